"""`--shard K/N`: the split of the machines among collectors (vigie/shard.py) and the poller's option."""

import json
import subprocess
import sys

import pytest

from vigie.shard import ShardError, in_shard, parse_shard, shard_of

NAMES = [f"sw-{i:03d}" for i in range(300)]


def test_the_shards_cover_every_machine_exactly_once():
    for count in (1, 2, 3, 7):
        owners = [[k for k in range(1, count + 1) if in_shard(name, (k, count))] for name in NAMES]
        assert all(len(o) == 1 for o in owners)
        sizes = [sum(1 for o in owners if o == [k]) for k in range(1, count + 1)]
        assert min(sizes) > len(NAMES) / count / 2     # roughly even


def test_a_machine_keeps_its_shard_whatever_else_is_in_the_folder():
    assert shard_of("core-rt1", 4) == shard_of("core-rt1", 4)
    assert shard_of("core-rt1", 4) == 1 + int.from_bytes(__import__("hashlib").sha256(b"core-rt1").digest()[:8], "big") % 4


def test_no_shard_is_everything():
    assert all(in_shard(name, None) for name in NAMES)


@pytest.mark.parametrize("text", ["0/2", "3/2", "1", "a/b", "1/0", "-1/2", ""])
def test_bad_shards(text):
    with pytest.raises(ShardError):
        parse_shard(text)


def test_poll_once_polls_only_its_shard(tmp_path):
    machines = tmp_path / "machines"
    machines.mkdir()
    names = [f"m{i}" for i in range(12)]
    for name in names:   # nothing answers on port 9: each poll fails fast, but is attempted
        (machines / f"{name}.json").write_text(json.dumps(
            {"host": "127.0.0.1", "port": 9, "snmp": {"version": "2c", "community": "c"}, "timeout": 0.2,
             "retries": 0}))
    polled = {}
    for k in (1, 2):
        samples = tmp_path / f"samples-{k}"
        result = subprocess.run([sys.executable, "-m", "collector.poll", "--once", "--shard", f"{k}/2",
                                 "--machines", str(machines), "--samples", str(samples),
                                 "--alertfiles", str(tmp_path / "alerts")], capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        polled[k] = sorted(p.stem for p in samples.glob("*.json"))
        assert polled[k] == sorted(n for n in names if shard_of(n, 2) == k)
    assert sorted(polled[1] + polled[2]) == sorted(names) and polled[1] and polled[2]


def test_poll_rejects_a_bad_shard(tmp_path):
    result = subprocess.run([sys.executable, "-m", "collector.poll", "--once", "--shard", "3/2", "--machines",
                             str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "1 <= K <= N" in result.stderr
