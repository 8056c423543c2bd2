"""Silences and maintenance windows: which alerts they match, and when they are on.

Pure functions, tested on literal times. A silence has matchers (each one given must
match the alert) and a time: one window [starts_at, ends_at), or a weekly schedule
(days of the week and a range of wall-clock time in a named time zone) repeated from
starts_at until ends_at (None: for ever).

A schedule keeps its local hours across a change of daylight saving time: each day's
window is placed on that day's wall clock, then turned into UTC. A start or end that
does not exist that day (clocks going forward) is the moment the clocks jump; on the
night clocks go back, a window reaching into the repeated hour covers both passes of
it (its start is the first pass, its end the second), so nothing that happens at a
wall-clock time inside the range escapes it.
"""

import fnmatch
import functools
import re
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import re2

from vigie.alert import SEVERITIES, AlertError, clean_text, normalize_severity, parse_timestamp
from vigie.errors import InputError, refuse_unknown_fields
from vigie.utc import iso_exact

MATCHER_KEYS = ("server", "application", "environment", "provider", "severity", "message")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_NAMES = {name: i for i, name in enumerate(DAYS)}
_DAY_NAMES.update({full: i for i, full in enumerate(
    ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))})
GLOB_CHARACTERS = "*?["
MAX_COMMENT = 2000
_CLOCK = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])|24:00")


class SilenceError(InputError):
    """A bad silence; `field` names the field (e.g. "matchers.server", "schedule.timezone")."""


# ---------------------------------------------------------------- matchers
#
# A matcher on a text field (server, application, environment, provider, message) is
# either a string, "equal" as silences always read it (server exact or a glob, message
# containing the text in any case, the others exactly), or a list of conditions
# {"op", "value"}, all of which must hold, as Alertmanager writes them:
#   "="  equal (as a string reads),       "!=" not equal (the opposite of "="),
#   "=~" the whole value matches the regular expression, "!~" it does not.
# Regular expressions are RE2's, as Alertmanager's (Go's regexp): case-sensitive, no
# back-references or look-around, and matched in time linear in the text, so no
# expression an operator writes can stall the intake that checks every alert with it.
# A single "=" condition is kept as its string, so silences stored before conditions
# existed read the same. Severity stays a list of severities (the alert's is among them).

EQUAL, NOT_EQUAL, REGEX, NOT_REGEX = "=", "!=", "=~", "!~"
OPERATORS = (EQUAL, NOT_EQUAL, REGEX, NOT_REGEX)
NEGATIVE = (NOT_EQUAL, NOT_REGEX)
MAX_REGEX = 256          # characters of a regular expression
MAX_CONDITIONS = 10      # conditions on one field
_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False   # a bad expression is the caller's 400, not a line on stderr


@functools.lru_cache(maxsize=4096)
def regex(pattern: str):
    """The compiled RE2 expression; re2.error when it is not one."""
    return re2.compile(pattern, _RE2_OPTIONS)


def regex_error(pattern: str):
    """Why `pattern` is not an RE2 regular expression, or None."""
    try:
        regex(pattern)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else "not a regular expression"
        return reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason)
    return None


# Texts a regular expression is tried on to tell whether it holds every value (".*", ".+").
_ANY_TEXTS = ("x", "web-01", "Z9 _-./:@", "DISK full on /var (98%)", "a" * 40)


def _condition(field, raw) -> dict:
    """{"op", "value"} checked; a regular expression compiled to find its errors."""
    if isinstance(raw, str):
        raw = {"op": EQUAL, "value": raw}
    if not isinstance(raw, dict) or set(raw) != {"op", "value"}:
        raise SilenceError(field, f"{field}: a text, or conditions {{\"op\": \"=~\", \"value\": \"web-.*\"}} "
                                  f"(op one of {', '.join(OPERATORS)})")
    op = raw["op"]
    if op not in OPERATORS:
        raise SilenceError(field, f"{field}: unknown op {op!r}: expected one of {', '.join(OPERATORS)}")
    try:
        value = clean_text(field, raw["value"])
    except AlertError as exc:
        raise SilenceError(field, exc.message) from None
    if op in (REGEX, NOT_REGEX):
        if len(value) > MAX_REGEX:
            raise SilenceError(field, f"{field}: a regular expression of at most {MAX_REGEX} characters")
        why = regex_error(value)
        if why is not None:
            raise SilenceError(field, f"{field}: bad regular expression {value!r}: {why} (RE2 syntax, as in "
                                      f"Alertmanager)")
    elif field == "matchers.environment":
        value = value.lower()
    return {"op": op, "value": value}


def _text_matcher(field, value):
    """A text field's matcher normalised: a string, or a list of conditions."""
    items = value if isinstance(value, list) else [value]
    if not items or len(items) > MAX_CONDITIONS:
        raise SilenceError(field, f"{field}: from 1 to {MAX_CONDITIONS} conditions")
    conditions = []
    for item in items:
        condition = _condition(field, item)
        if condition not in conditions:
            conditions.append(condition)
    if len(conditions) == 1 and conditions[0]["op"] == EQUAL:
        return conditions[0]["value"]
    return conditions


def conditions(value) -> list:
    """A text field's matcher as its list of conditions (a string is one "=")."""
    return [{"op": EQUAL, "value": value}] if isinstance(value, str) else list(value)


def normalize_matchers(raw) -> dict:
    """{"server": "edge-*", "severity": ["CRITICAL"], "message": [{"op": "!~", "value": ".*test.*"}]}
    checked and normalised."""
    if not isinstance(raw, dict):
        raise SilenceError("matchers", "matchers must be an object such as {\"server\": \"web-*\"}")
    matchers = {}
    for key, value in raw.items():
        field = f"matchers.{key}"
        if key not in MATCHER_KEYS:
            raise SilenceError(field, f"unknown matcher {key!r}: expected one of {', '.join(MATCHER_KEYS)}")
        if key == "severity":
            values = value if isinstance(value, list) else [value]
            if not values:
                raise SilenceError(field, "severity needs at least one severity")
            try:
                matchers[key] = sorted({normalize_severity(v) for v in values})
            except AlertError as exc:
                raise SilenceError(field, exc.message) from None
            continue
        matchers[key] = _text_matcher(field, value)
    if not matchers:
        raise SilenceError("matchers", "give at least one matcher: a silence matching everything would hide every alert")
    return matchers


def is_glob(pattern: str) -> bool:
    return any(c in pattern for c in GLOB_CHARACTERS)


def exact_server(matchers: dict):
    """The one server a silence's matchers name exactly (a plain string, no glob), or None:
    such a silence can only match that server's alerts, so it is looked up by it."""
    server = matchers.get("server")
    return server if isinstance(server, str) and not is_glob(server) else None


def describe(matchers: dict) -> str:
    """The matchers as Alertmanager writes them: 'server=~"web-.*", severity="CRITICAL|ERROR"'."""
    parts = []
    for key, value in sorted(matchers.items()):
        if key == "severity":
            parts.append(f'severity="{"|".join(value)}"')
        else:
            parts += [f'{key}{c["op"]}"{c["value"]}"' for c in conditions(value)]
    return ", ".join(parts)


def _equal(key: str, pattern: str, value: str) -> bool:
    """"=" as silences read it: server exact or glob, message containing (any case), else exact."""
    if key == "server":
        return fnmatch.fnmatchcase(value, pattern) if is_glob(pattern) else value == pattern
    if key == "message":
        return pattern.casefold() in value.casefold()
    return value == pattern


def holds(key: str, condition: dict, value: str) -> bool:
    """Whether one condition on the field `key` holds for the alert's `value`."""
    op, pattern = condition["op"], condition["value"]
    if op in (EQUAL, NOT_EQUAL):
        return _equal(key, pattern, value) == (op == EQUAL)
    return (regex(pattern).fullmatch(value) is not None) == (op == REGEX)


def matches(matchers: dict, alert: dict) -> bool:
    """Whether an alert (the seven fields) matches every matcher: for each text field
    every condition holds (see above), the severity is among those listed."""
    for key, value in matchers.items():
        if key == "severity":
            if alert["severity"] not in value:
                return False
        elif not all(holds(key, c, alert[key]) for c in conditions(value)):
            return False
    return True


def _holds_all(key: str, condition: dict) -> bool:
    """Whether a condition holds every value there can be: a server glob of `*` (and at
    most one `?`), a regular expression matching any text tried; never a negative one
    (it leaves nearly everything, so it narrows nothing worth counting)."""
    op, pattern = condition["op"], condition["value"]
    if op == EQUAL:
        rest = pattern.replace("*", "")
        return key == "server" and (rest == "" or (rest == "?" and "*" in pattern))
    if op == REGEX:
        return all(regex(pattern).fullmatch(text) for text in _ANY_TEXTS)
    return True


def matches_everything(matchers: dict) -> bool:
    """Whether the matchers hold every alert there can be (or all but some few): each
    one given is every severity, or conditions of which none narrows (a server glob of
    `*`, a regular expression matching anything, a negative condition)."""
    def holds_all(key, value):
        if key == "severity":
            return set(value) >= set(SEVERITIES)
        return all(_holds_all(key, c) for c in conditions(value))
    return bool(matchers) and all(holds_all(key, value) for key, value in matchers.items())


def needs_admin(silence: dict, now: datetime, max_days: float):
    """Why only an admin may make this silence, or None: it matches every alert, it
    has no end, or it lasts longer than `max_days` from now (or from its start)."""
    if matches_everything(silence["matchers"]):
        return "it matches every alert"
    if silence["ends_at"] is None:
        return "it has no end"
    lasting = silence["ends_at"] - max(silence["starts_at"], now)
    if lasting > timedelta(days=max_days):
        return f"it lasts {lasting.total_seconds() / 86400:.1f} days, more than silence_max_days ({max_days:g})"
    return None


class MatcherIndex:
    """Silences looked up by the alert's server first, so an alert is only compared with
    the silences that could match it (those naming its server exactly, and the others)."""

    def __init__(self, silences):
        self.by_server, self.others = {}, []
        for silence in silences:
            server = exact_server(silence["matchers"])
            if server is not None:
                self.by_server.setdefault(server, []).append(silence)
            else:
                self.others.append(silence)

    def __bool__(self):
        return bool(self.by_server or self.others)

    def matching(self, alert: dict) -> list:
        candidates = self.by_server.get(alert["server"], []) + self.others
        return [s for s in candidates if matches(s["matchers"], alert)]


# ---------------------------------------------------------------- schedules

def zone(name):
    if not isinstance(name, str) or not name.strip():
        raise SilenceError("schedule.timezone", "timezone must be a name such as Europe/Paris or UTC")
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise SilenceError("schedule.timezone", f"unknown time zone {name!r} (e.g. Europe/Paris, UTC)") from None


def _clock(field, value) -> str:
    if not isinstance(value, str) or not _CLOCK.fullmatch(value.strip()):
        raise SilenceError(field, f"{field.split('.')[-1]} must be a time of day HH:MM (00:00 to 24:00), not {value!r}")
    return value.strip()


def normalize_schedule(raw) -> dict:
    """{"days": ["sun"], "start": "02:00", "end": "04:00", "timezone": "Europe/Paris"}
    (timezone: UTC when left out)."""
    if not isinstance(raw, dict):
        raise SilenceError("schedule", "schedule must be an object {days, start, end, timezone}")
    for key in raw:
        if key not in ("days", "start", "end", "timezone"):
            raise SilenceError(f"schedule.{key}", f"unknown schedule field {key!r}")
    days = raw.get("days")
    if not isinstance(days, list) or not all(isinstance(d, str) for d in days):
        raise SilenceError("schedule.days", "days must be a list such as [\"sat\", \"sun\"]")
    numbers = set()
    for day in days:
        if day.strip().lower() not in _DAY_NAMES:
            raise SilenceError("schedule.days", f"unknown day {day!r}: expected {', '.join(DAYS)}")
        numbers.add(_DAY_NAMES[day.strip().lower()])
    if not numbers:
        raise SilenceError("schedule.days", "a schedule needs at least one day, or it never matches")
    start = _clock("schedule.start", raw.get("start"))
    end = _clock("schedule.end", raw.get("end"))
    if start == "24:00":
        raise SilenceError("schedule.start", "start must be before 24:00")
    if start == end:
        raise SilenceError("schedule.end", "end equals start: the window would last no time (use 00:00-24:00 for all day)")
    name = raw["timezone"] if "timezone" in raw else "UTC"
    zone(name)
    return {"days": [DAYS[n] for n in sorted(numbers)], "start": start, "end": end, "timezone": name.strip()}


def _at(day: date, clock: str, tz, later_pass: bool) -> datetime:
    """The UTC moment of a wall-clock time on a day in a zone (see the module's note)."""
    if clock == "24:00":
        day, clock = day + timedelta(days=1), "00:00"
    hours, minutes = map(int, clock.split(":"))
    local = datetime.combine(day, time(hours, minutes), tzinfo=tz)
    first = local.replace(fold=0).astimezone(timezone.utc)
    second = local.replace(fold=1).astimezone(timezone.utc)
    if first.astimezone(tz).replace(tzinfo=None) != local.replace(tzinfo=None):  # skipped by the clocks
        return _jump(min(first, second), max(first, second), tz)
    return max(first, second) if later_pass else min(first, second)


def _jump(low: datetime, high: datetime, tz) -> datetime:
    """The moment in [low, high] when the zone's offset changes (to the second)."""
    before = low.astimezone(tz).utcoffset()
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(tz).utcoffset() == before:
            low = middle
        else:
            high = middle
    return high


def day_window(schedule: dict, day: date) -> tuple:
    """(start, end) in UTC of the window that starts on the local `day`."""
    tz = zone(schedule["timezone"])
    start = _at(day, schedule["start"], tz, later_pass=False)
    end_day = day if schedule["end"] > schedule["start"] else day + timedelta(days=1)  # "24:00" sorts last
    return start, _at(end_day, schedule["end"], tz, later_pass=True)


def windows(silence: dict, since: datetime, until: datetime) -> list:
    """The silence's windows (UTC datetimes) that overlap [since, until), in order."""
    starts, ends = silence["starts_at"], silence["ends_at"]
    schedule = silence.get("schedule")
    if schedule is None:
        return [(starts, ends)] if starts < until and ends > since else []
    tz = zone(schedule["timezone"])
    low, high = max(since, starts), until if ends is None else min(until, ends)
    if low >= high:
        return []
    found = []
    day = low.astimezone(tz).date() - timedelta(days=2)
    last = high.astimezone(tz).date() + timedelta(days=1)
    days = {_DAY_NAMES[d] for d in schedule["days"]}
    while day <= last:
        if day.weekday() in days:
            start, end = day_window(schedule, day)
            start, end = max(start, starts), end if ends is None else min(end, ends)
            if start < end and start < until and end > since:
                found.append((start, end))
        day += timedelta(days=1)
    return found


def active_window(silence: dict, moment: datetime):
    """The window holding `moment`, or None."""
    for start, end in windows(silence, moment, moment + timedelta(microseconds=1)):
        if start <= moment < end:
            return start, end
    return None


def next_window(silence: dict, moment: datetime):
    """The window holding `moment`, else the next one to start (None: no more)."""
    horizon = max(moment, silence["starts_at"]) + timedelta(days=9)
    for start, end in windows(silence, moment, horizon):
        if end > moment:
            return start, end
    return None


def boundaries(silence: dict, since: datetime, until: datetime) -> list:
    """[(moment, "start" | "end")] of the silence's windows within (since, until]."""
    found = []
    for start, end in windows(silence, since, until + timedelta(microseconds=1)):
        if since < start <= until:
            found.append((start, "start"))
        if end is not None and since < end <= until:
            found.append((end, "end"))
    return found


def next_boundary(silence: dict, moment: datetime):
    """The first start or end of a window after `moment`, or None."""
    window = next_window(silence, moment)
    if window is None:
        return None
    start, end = window
    return start if start > moment else end


# ---------------------------------------------------------------- a whole silence

def parse_time(field, value) -> datetime:
    try:
        return parse_timestamp(value, field)
    except AlertError as exc:
        raise SilenceError(field, exc.message) from None


def normalize_silence(body, now: datetime) -> dict:
    """A silence from a request body, checked; raise SilenceError naming the field.

    {"matchers": {...}, "starts_at": (default now), "ends_at": (required without a
    schedule), "schedule": {...} or null, "comment": why}"""
    if not isinstance(body, dict):
        raise SilenceError(None, "send a JSON object {\"matchers\", \"ends_at\" or \"schedule\", \"comment\"}")
    refuse_unknown_fields(body, ("matchers", "starts_at", "ends_at", "schedule", "comment"), SilenceError)
    if "matchers" not in body:
        raise SilenceError("matchers", "missing field 'matchers'")
    matchers = normalize_matchers(body["matchers"])
    starts = parse_time("starts_at", body["starts_at"]) if "starts_at" in body else now
    ends = parse_time("ends_at", body["ends_at"]) if "ends_at" in body else None
    schedule = normalize_schedule(body["schedule"]) if "schedule" in body else None
    if schedule is None and ends is None:
        raise SilenceError("ends_at", "a silence needs an end (ends_at), or a weekly schedule")
    if ends is not None and ends <= starts:
        raise SilenceError("ends_at", f"ends_at ({iso_exact(ends)}) is not after starts_at ({iso_exact(starts)})")
    if ends is not None and ends <= now:
        raise SilenceError("ends_at", f"ends_at ({iso_exact(ends)}) is in the past")
    comment = body.get("comment")
    if not isinstance(comment, str) or not comment.strip():
        raise SilenceError("comment", "say why (comment): whoever sees the silenced alerts will want to know")
    if len(comment) > MAX_COMMENT:
        raise SilenceError("comment", f"comment is longer than {MAX_COMMENT} characters")
    silence = {"matchers": matchers, "starts_at": starts, "ends_at": ends, "schedule": schedule,
               "comment": " ".join(comment.split())}
    if schedule is not None and next_window(silence, max(now, starts)) is None:
        raise SilenceError("schedule", "this schedule never matches between starts_at and ends_at")
    return silence
