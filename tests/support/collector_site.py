"""The folders of one collector run for the tests, polled through `collector.poll --once`'s
main(), and what it wrote read back through vigie.samples and the site builder."""

import json
from pathlib import Path

from collector import poll
from site_builder import build as site_build
from vigie import samples as sl
from vigie.alert_file import parse


class CollectorSite:
    def __init__(self, root: Path):
        self.root = Path(root)
        self.machines, self.alertfiles, self.samples = root / "machines", root / "alertfiles", root / "samples"
        self.www = root / "www"
        self.machines.mkdir(parents=True)

    def add(self, name, config):
        (self.machines / f"{name}.json").write_text(json.dumps(config))

    def poll(self):
        assert poll.main(["--once", "-q", "--machines", str(self.machines), "--alertfiles", str(self.alertfiles),
                          "--samples", str(self.samples)]) == 0

    def poll_until_health(self, name, metric, polls=5):
        """Poll until the machine has this health metric: a walk an agent did not answer in
        time (a busy test machine) is tried again at the next poll."""
        for _ in range(polls):
            self.poll()
            if metric in self.health(name):
                return
        view = self.view(name)
        raise AssertionError(f"{name} has no {metric} after {polls} polls: it has {sorted(view['health'])}; "
                             f"status {view['status']}")

    def view(self, name):
        return sl.read_current(self.samples, name)

    def health(self, name):
        return self.view(name)["health"]

    def alerts(self):
        found = [parse(p.read_text()) for p in sorted(self.alertfiles.glob("*.txt"))] if self.alertfiles.exists() else []
        return sorted(found, key=lambda a: a["timestamp"])

    def page(self, name):
        assert site_build.main(["--machines", str(self.machines), "--samples", str(self.samples), "--out",
                                str(self.www), "--db", str(self.root / "none.db"), "--jobs", "1"]) == 0
        return (self.www / "machines" / f"{name}.html").read_text()
