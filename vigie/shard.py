"""Sharing the machines among several collectors: `--shard K/N`.

Collector K of N polls the machines whose name hashes to K (SHA-256 of the
name, modulo N): every collector computes the same split from the same
machines folder without talking to the others, a machine stays with its
collector while others are added or removed, and the N shards together are
the whole folder, each machine exactly once.
"""

import hashlib


class ShardError(ValueError):
    pass


def parse_shard(text: str) -> tuple:
    """(k, n) from "K/N", 1 <= K <= N; ShardError otherwise."""
    k, sep, n = str(text).partition("/")
    if not sep or not k.isdigit() or not n.isdigit() or not 1 <= int(k) <= int(n):
        raise ShardError(f"--shard {text!r}: expected K/N with 1 <= K <= N, e.g. 1/2")
    return int(k), int(n)


def shard_of(name: str, count: int) -> int:
    """The shard (1..count) a machine's name falls in."""
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


def in_shard(name: str, shard) -> bool:
    """Whether machine `name` belongs to shard (k, n); every machine does when shard is None."""
    return shard is None or shard_of(name, shard[1]) == shard[0]
