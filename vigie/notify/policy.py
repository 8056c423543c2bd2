"""What a rule tells about one alert, and when: opened, escalated, repeated, resolved.

Pure functions on ISO 8601 UTC texts, tested on literal times. The notifier keeps,
for each rule and alert, a `Track` (what was told, from when the escalation clock
runs); `advance` takes the track, the alert's condition at `now` and the rule, and
returns the new track, the items to tell (a step of the rule and a kind) and the
next moment something may fall due (an escalation or a repeat) without any change.

The rules, as Alertmanager users expect them:
- an alert that needs a human (open, not acknowledged, shelved or silenced, not
  flapping) is told to the first step at once (`opened`, or `reopened` once it
  had been resolved); still so after a step's `after_minutes`, to that step
  (`escalated`); then again every `repeat_minutes` to the step reached (`repeat`);
- acknowledged, shelved or silenced: nothing, and the clock stops; when that ends
  and it still needs a human, it is told again (`reopened`), and escalation resumes
  where it stopped;
- flapping: told once, as `flapping`, then nothing until it stops flapping;
- resolved: told once (`resolved`) to every step that had been told, if any;
- suppressed (unreachable behind a machine that is down, vigie/dependencies.py):
  nothing, as muted; the root cause's own message names it;
- the hold: an alert saying a machine or an interface is down (the caller passes
  `hold_seconds` for those) is not told at once when it newly needs a human (its
  first telling, or once it is no longer suppressed): the track waits `hold_seconds`
  (`held_until`), and is looked at again then. Still needing a human, it is told;
  suppressed by then (its parent was seen down meanwhile), or resolved (it answered
  again), it never is. So a child polled before its parent waits for its parent's
  state, whatever the order the alerts came in.
Items of a kind the rule does not tell (its `events`) are dropped, but the track
moves on all the same, so a rule telling only resolutions still tells them.
"""

from dataclasses import dataclass, replace

from vigie.utc import plus_seconds

# The condition of an alert, as far as notifications go.
NEEDS_HUMAN, MUTED, FLAPPING, RESOLVED = "needs_human", "muted", "flapping", "resolved"
SUPPRESSED = "suppressed"   # the doing of another machine that is down
HELD = "held"               # a track's state while its first telling is held back (never a condition)
KINDS = ("opened", "reopened", "escalated", "repeat", "resolved", "flapping")

RETRY_FIRST_SECONDS = 5
RETRY_MAX_SECONDS = 600


@dataclass(frozen=True)
class Track:
    since: str                 # when the escalation clock started
    step: int = -1             # highest step told (-1: none yet)
    last_told_at: str = None   # when the reached step was last told
    state: str = NEEDS_HUMAN   # the condition it was last seen in
    held_until: str = None     # its telling waits until then (the hold)


@dataclass(frozen=True)
class Item:
    step: int
    kind: str


def condition(status: str, silenced: bool = False, flapping: bool = False, suppressed: bool = False) -> str:
    """The notification condition of an alert from its lifecycle status at a moment
    (open, acknowledged, shelved, resolved) and whether it is silenced, flapping, or
    suppressed (unreachable behind another machine, which takes the telling)."""
    if suppressed and status != "resolved":
        return SUPPRESSED
    if flapping:
        return FLAPPING
    if status == "resolved":
        return RESOLVED
    if status in ("acknowledged", "shelved") or silenced:
        return MUTED
    return NEEDS_HUMAN


def _step_due(rule: dict, track: Track, step: int) -> str:
    return plus_seconds(track.since, rule["steps"][step]["after_minutes"] * 60)


def next_check(rule: dict, track: Track):
    """When a hold ends, or an escalation or a repeat of this track next falls due; None
    when nothing can fall due without a change of the alert."""
    if track.held_until is not None:
        return track.held_until
    if track.state != NEEDS_HUMAN or track.step < 0:
        return None
    moments = []
    if track.step + 1 < len(rule["steps"]):
        moments.append(_step_due(rule, track, track.step + 1))
    if rule["repeat_minutes"] > 0 and track.last_told_at:
        moments.append(plus_seconds(track.last_told_at, rule["repeat_minutes"] * 60))
    return min(moments) if moments else None


def _tell_needs_human(track, rule, now, reopened: bool):
    """An alert newly needing a human, or needing one again after a mute."""
    if track is None or track.state == RESOLVED or track.step < 0:
        kind = "reopened" if reopened or (track is not None and track.state == RESOLVED) else "opened"
        return Track(since=now, step=0, last_told_at=now, state=NEEDS_HUMAN), [Item(0, kind)]
    # muted or flapping, told before: tell the step reached again, resume its clock
    resumed = plus_seconds(now, -rule["steps"][track.step]["after_minutes"] * 60)
    return Track(since=resumed, step=track.step, last_told_at=now, state=NEEDS_HUMAN), [Item(track.step, "reopened")]


def _escalate_or_repeat(track, rule, now):
    items = []
    while track.step + 1 < len(rule["steps"]) and _step_due(rule, track, track.step + 1) <= now:
        track = replace(track, step=track.step + 1, last_told_at=now)
        items.append(Item(track.step, "escalated"))
    if not items and rule["repeat_minutes"] > 0 and plus_seconds(track.last_told_at, rule["repeat_minutes"] * 60) <= now:
        track = replace(track, last_told_at=now)
        items.append(Item(track.step, "repeat"))
    return track, items


def _held_back(track) -> bool:
    """Whether telling now would be a first telling (of the alert, or of a new spell of it)
    or one after a suppression: what the hold delays."""
    return track is None or track.step < 0 or track.state in (RESOLVED, SUPPRESSED)


def _needs_human(track, rule, now, reopened: bool, hold_seconds: float):
    if hold_seconds > 0 and _held_back(track):
        if track is None:
            return Track(since=now, state=HELD, held_until=plus_seconds(now, hold_seconds)), []
        if track.held_until is None:
            return replace(track, held_until=plus_seconds(now, hold_seconds)), []
        if now < track.held_until:
            return track, []
    return _tell_needs_human(track, rule, now, reopened)


def advance(track, state: str, rule: dict, now: str, event: str = None, hold_seconds: float = 0):
    """(new track, items to tell, next check) for one alert of one rule at `now`.

    `track` is None when the rule never saw the alert; `state` its condition now
    (`condition()`); `event` the change that brings it here, if any ("reopened" makes
    a first telling say reopened); `hold_seconds` how long a first telling waits (the
    hold, for alerts saying a machine or an interface is down)."""
    items = []
    if state == NEEDS_HUMAN:
        if track is None or track.state != NEEDS_HUMAN:
            track, items = _needs_human(track, rule, now, event == "reopened", hold_seconds)
        else:
            track, items = _escalate_or_repeat(track, rule, now)
    elif state in (MUTED, SUPPRESSED):
        track = replace(track, state=state, held_until=None) if track else Track(since=now, state=state)
    elif state == FLAPPING:
        if track is None or track.state != FLAPPING:
            step = max(track.step if track else -1, 0)
            items = [Item(step, "flapping")]
            track = Track(since=track.since if track else now, step=step, last_told_at=now, state=FLAPPING)
    elif state == RESOLVED:
        if track is not None and track.state != RESOLVED:
            items = [Item(step, "resolved") for step in range(track.step + 1)]
            track = replace(track, state=RESOLVED, held_until=None)
        elif track is not None and track.held_until is not None:   # a new spell held, over before it was told
            track = replace(track, held_until=None)
        elif track is None:
            track = Track(since=now, state=RESOLVED)
    else:
        raise ValueError(f"unknown condition {state!r}")
    told = [item for item in items if item.kind == "repeat" or item.kind in rule["events"]]
    return track, told, next_check(rule, track)


def retry_delay_seconds(failed_attempts: int) -> int:
    """Back-off after the n-th failed attempt: 5 s, 10 s, 20 s ... up to 10 minutes."""
    return min(RETRY_MAX_SECONDS, RETRY_FIRST_SECONDS * 2 ** max(0, min(failed_attempts - 1, 20)))
