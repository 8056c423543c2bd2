"""Order does not matter: the same faults, polled in a thousand random orders, give the
same notifications every time.

A small simulation drives the real rules: the collector's down and up detection (a
machine answers when it is alive and some path of live machines leads to it from the
vantage), two shards polling at random phases within the interval, each alert reaching
the API after a random delay (the watcher's order), the API's verdict of dependencies
(vigie.db.dependencies.verdict over the open down alerts, as the database makes it), and
the notifier's rules with the hold (vigie.notify.policy.advance). What is told is
recorded as (kind, machine, the machines named unreachable behind it)."""

import heapq
import random
from datetime import datetime, timedelta, timezone

import pytest

from vigie import dependencies as dp
from vigie.db.dependencies import verdict
from vigie.down_alerts import reachability_fingerprint, reachability_machine
from vigie.notify import policy

INTERVAL = 60.0        # every machine's poll interval
MOST_DELAY = 10.0      # from the poll to the API: writing the file, the watcher's pass, the batch
HOLD = 75.0            # a little more than the interval and the delay
RULE = {"steps": [{"after_minutes": 0, "channels": ["ops"]}], "repeat_minutes": 0, "group_wait_seconds": 0,
        "events": ["opened", "reopened", "escalated", "resolved", "flapping"]}
START = datetime(2026, 11, 22, 3, 0, tzinfo=timezone.utc)

LEAVES_1 = [f"leaf-{i}" for i in range(1, 7)]
LEAVES_2 = [f"leaf-{i}" for i in range(7, 11)]
CABLES = ([("core", "dist-1"), ("core", "dist-2")] + [("dist-1", leaf) for leaf in LEAVES_1]
          + [("dist-2", leaf) for leaf in LEAVES_2] + [("dist-1", "twin"), ("dist-2", "twin")])
MACHINES = ["core", "dist-1", "dist-2"] + LEAVES_1 + LEAVES_2 + ["twin"]   # twin: two uplinks


def iso(seconds: float) -> str:
    return (START + timedelta(seconds=seconds)).isoformat(timespec="microseconds")


def parents() -> dict:
    topology = {"nodes": [{"id": m, "machine": m} for m in MACHINES],
                "links": [{"a": {"node": a, "interface": f"to-{b}"}, "b": {"node": b, "interface": f"to-{a}"},
                           "via": ["lldp"]} for a, b in CABLES]}
    found, problems = dp.upstreams([{"name": m} for m in MACHINES], topology, vantage=["core"])
    assert not problems
    return dp.parents_of(found)


PARENTS = parents()
NETWORK = dp.Network(PARENTS, {}, "v1")


def reached_from_the_vantage(dead: frozenset) -> set:
    """The machines alive with a path of live machines to them from the vantage (no parent)."""
    def answers(machine):
        return machine not in dead and (not PARENTS[machine] or any(answers(p) for p in PARENTS[machine]))
    return {machine for machine in MACHINES if answers(machine)}


class Simulation:
    def __init__(self, seed: int, faults: list, hold: float = HOLD, until: float = 900.0):
        self.rng = random.Random(seed)
        self.faults = faults          # [(machine, dies at, comes back at or None)]
        self.hold, self.until = hold, until
        self.down_after = self.rng.choice((1, 2))
        shards = {m: self.rng.randrange(2) for m in MACHINES}            # two collectors
        offset = [self.rng.uniform(0, INTERVAL) for _ in range(2)]       # each started at its own time
        self.phase = {m: (offset[shards[m]] + self.rng.uniform(0, INTERVAL)) % INTERVAL for m in MACHINES}
        self.failures = {m: 0 for m in MACHINES}
        self.declared_down = set()
        self.alerts = {}              # machine -> {"id", "open", "suppressed"}
        self.tracks, self.told, self.queue, self.ids = {}, [], [], 0
        self.reached = {}             # the machines dead -> the machines that answer

    # -- the world and the collector
    def dead(self, t: float) -> frozenset:
        return frozenset(m for m, dies, back in self.faults if dies <= t and (back is None or t < back))

    def answers(self, machine: str, t: float) -> bool:
        """Alive, and reached through live machines from the vantage."""
        dead = self.dead(t)
        if dead not in self.reached:
            self.reached[dead] = reached_from_the_vantage(dead)
        return machine in self.reached[dead]

    def poll(self, machine: str, t: float) -> None:
        if self.answers(machine, t):
            self.failures[machine] = 0
            if machine in self.declared_down:
                self.declared_down.discard(machine)
                self.later(t + self.rng.uniform(0, MOST_DELAY), "arrive", (machine, "up"))
        else:
            self.failures[machine] += 1
            if self.failures[machine] >= self.down_after and machine not in self.declared_down:
                self.declared_down.add(machine)
                self.later(t + self.rng.uniform(0, MOST_DELAY), "arrive", (machine, "down"))

    # -- the API: the alert stored, the verdict made again
    def arrive(self, machine: str, change: str, t: float) -> None:
        alert = self.alerts.get(machine)
        touched = []
        if change == "down":
            hint = None if alert is None else "reopened"
            if alert is None:
                self.ids += 1
                alert = self.alerts[machine] = {"id": self.ids, "machine": machine, "suppressed": None}
            alert["open"] = True
            alert["suppressed"] = None     # a new spell is decided anew
            touched.append((alert, hint))
        elif alert is not None and alert["open"]:
            alert["open"] = False
            touched.append((alert, None))
        live = [{"id": a["id"], "fingerprint": reachability_fingerprint(a["machine"])}
                for a in self.alerts.values() if a["open"]]
        decided = verdict(NETWORK, live)
        for other in self.alerts.values():
            if other["open"]:
                root = decided.get(other["id"], (None,))[0]
                if root != other["suppressed"]:
                    other["suppressed"] = root
                    touched.append((other, None))
        for alert, hint in touched:
            self.notice(alert, t, hint)

    # -- the notifier
    def notice(self, alert: dict, t: float, hint=None) -> None:
        state = policy.condition("open" if alert["open"] else "resolved", suppressed=alert["suppressed"] is not None)
        track, items, check_at = policy.advance(self.tracks.get(alert["id"]), state, RULE, iso(t), hint, self.hold)
        self.tracks[alert["id"]] = track
        for item in items:
            self.told.append((item.kind, alert["machine"], self.behind(alert) if item.kind != "resolved" else ()))
        if check_at is not None:
            self.later((datetime.fromisoformat(check_at) - START).total_seconds(), "check", (alert, check_at))

    def behind(self, alert: dict) -> tuple:
        return tuple(sorted(a["machine"] for a in self.alerts.values() if a["open"] and a["suppressed"]
                            and self.alerts[a["suppressed"]] is alert))

    def check(self, alert: dict, check_at: str, t: float) -> None:
        if policy.next_check(RULE, self.tracks[alert["id"]]) == check_at:   # still what this check was for
            self.notice(alert, t)

    # -- the clock
    def later(self, t: float, what: str, args: tuple) -> None:
        heapq.heappush(self.queue, (t, self.rng.random(), what, args))

    def run(self) -> list:
        for machine in MACHINES:
            t = self.phase[machine] - INTERVAL * 3
            while t < self.until:
                self.later(t, "poll", (machine,))
                t += INTERVAL
        while self.queue:
            t, _, what, args = heapq.heappop(self.queue)
            getattr(self, what)(*args, t)
        return sorted(self.told)


def told(faults, seeds=range(1000), hold=HOLD) -> set:
    return {tuple(Simulation(seed, faults, hold).run()) for seed in seeds}


BEHIND_CORE = tuple(sorted(MACHINES[1:]))


def test_the_core_down_and_back_is_one_notification_naming_everything_behind_it_and_one_resolve():
    outcomes = told([("core", 0.0, 400.0)])
    assert outcomes == {(("opened", "core", BEHIND_CORE), ("resolved", "core", ()))}


def test_a_distribution_switch_down_is_one_notification_and_the_device_with_a_second_uplink_stays_quiet():
    outcomes = told([("dist-1", 0.0, 400.0)])
    assert outcomes == {(("opened", "dist-1", tuple(sorted(LEAVES_1))), ("resolved", "dist-1", ()))}


def test_a_device_behind_two_down_uplinks_is_named_by_the_first_of_them():
    outcomes = told([("dist-1", 0.0, 400.0), ("dist-2", 0.0, 400.0)])
    assert outcomes == {(("opened", "dist-1", tuple(sorted(LEAVES_1 + ["twin"]))),
                         ("opened", "dist-2", tuple(sorted(LEAVES_2))),
                         ("resolved", "dist-1", ()), ("resolved", "dist-2", ()))}


def test_a_child_still_down_when_its_parent_comes_back_is_told_on_its_own():
    outcomes = told([("dist-2", 0.0, 300.0), ("leaf-7", 0.0, None)])
    assert outcomes == {(("opened", "dist-2", tuple(sorted(LEAVES_2))), ("opened", "leaf-7", ()),
                         ("resolved", "dist-2", ()))}


def test_a_device_behind_a_live_parent_is_told_on_its_own():
    outcomes = told([("leaf-3", 0.0, 400.0)])
    assert outcomes == {(("opened", "leaf-3", ()), ("resolved", "leaf-3", ()))}


@pytest.mark.parametrize("hold", [0.0, INTERVAL / 2])
def test_without_a_hold_longer_than_the_interval_the_order_changes_what_is_told(hold):
    """The same simulation with too short a hold: what is told depends on the order."""
    outcomes = told([("core", 0.0, 400.0)], seeds=range(200), hold=hold)
    assert len(outcomes) > 1
    assert any(("opened", "leaf-1", ()) in outcome for outcome in outcomes)
