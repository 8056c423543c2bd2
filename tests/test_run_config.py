"""The configuration `make run` hands to the commands it starts (vigie.run.write_run_config),
read back as they read it."""

import random

from collector import generate
from vigie import config, run


def run_config(tmp_path):
    cfg = config.load(overrides={"paths.data": (str(tmp_path / "data"), "test")}, environ={})
    (tmp_path / "data").mkdir()
    return config.load(run.write_run_config(cfg, "http://127.0.0.1:8080", 5514), environ={})


def test_the_demo_alerts_are_about_a_fleet_of_their_own_not_the_simulated_devices(tmp_path):
    """The generator's application alerts (web, database, billing...) are not put on the
    simulated routers and switches, whose own alerts come from polling them."""
    devices = list(run.SIM_DEVICES[:3])
    servers = run_config(tmp_path)["generate"]["servers"]
    fleet = generate.build_fleet(random.Random(1), generate.servers_option(servers or "20"))
    assert len(fleet) >= 10 and not {s["server"] for s in fleet} & set(devices), servers
