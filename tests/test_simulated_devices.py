"""The simulated devices' records and the snmpsim variations they need."""

import re

from vigie import simulated_devices as sim


def variations_used(text: str) -> set:
    """The variation module of each record (`oid|tag:variation|value`)."""
    return {match for match in re.findall(r"^[0-9.]+\|[0-9]+:([a-z]+)\|", text, re.M)}


def test_every_variation_a_record_uses_is_one_snmpsim_gets():
    demo = sim.demo_network(["a", "b"], {"a": 4, "b": 4})
    texts = [sim.lively_device(f"dev-{seed}", seed=seed, extra=demo.get("a")) for seed in range(6)]
    texts.append(sim.device_snmprec("sw", [sim.interface(1, errors_per_second=1, jitter=0.2)], counter_bits=32))
    used = set().union(*map(variations_used, texts))
    assert used == {"numeric"}, used          # counters, health that moves
    assert used <= set(sim.VARIATIONS)


def test_the_variation_folder_links_snmpsims_own_modules_and_can_be_made_again(tmp_path):
    folder = sim.variation_folder(tmp_path / "variation")
    assert sorted(p.name for p in folder.iterdir()) == [f"{name}.py" for name in sorted(sim.VARIATIONS)]
    for link in folder.iterdir():
        assert link.is_symlink() and "def variate(" in link.read_text()
    assert sim.variation_folder(tmp_path / "variation") == folder   # a restart finds it made
