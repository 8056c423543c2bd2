"""One syslog message, from the bytes on the wire to its fields: a pure function.

    parse(b"<34>1 2026-11-22T10:15:03.5Z rt1 sshd 42 - - Failed password", received=...)

RFC 5424 (`<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG`) and RFC 3164
(`<PRI>Mmm dd hh:mm:ss HOST TAG[PID]: MSG`) as devices really send them:
no year (the year closest to the time of receipt is taken), no host name, an
ISO timestamp in a BSD header, Cisco's sequence number and `*`/`.` clock
marks (`<189>57: *Mar  1 18:46:11.123 UTC: %LINK-3-UPDOWN: ...`), a year or a
time-zone name after the date, a UTF-8 byte-order mark or spaces before the
message (rsyslog forwards `tag: msg` as ` msg`), no PRI at all (user.notice, as RFC 3164 says). Bytes that are not UTF-8 become
U+FFFD; whatever cannot be read as a header stays in the message, so nothing
a device sends is lost.
"""

import re
from datetime import datetime, timedelta, timezone
from functools import lru_cache

from vigie.device_log import FACILITIES, SEVERITIES

DEFAULT_PRI = 13  # user.notice (RFC 3164 4.3.3)
MONTHS = {m: i for i, m in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
                                      "Nov", "Dec"), start=1)}
PRI_RE = re.compile(r"<(\d{1,3})>")
CISCO_SEQUENCE_RE = re.compile(r"(\d{1,10}): (?:([A-Za-z0-9._-]{1,255}): )?(?=[*.]?[A-Z][a-z]{2} |[*.]?\d{4}-)")
BSD_TIME_RE = re.compile(
    r"[*.]?(?P<mon>[A-Z][a-z]{2}) {1,2}(?P<day>\d{1,2})(?: (?P<year>\d{4}))? "
    r"(?P<h>\d{2}):(?P<m>\d{2}):(?P<s>\d{2})(?:\.(?P<frac>\d{1,6}))?(?: (?P<zone>[A-Z]{3,5}))?(?::? |:?$)")
ISO_TIME_RE = re.compile(
    r"[*.]?(?P<date>\d{4}-\d{2}-\d{2})[T ](?P<time>\d{2}:\d{2}:\d{2})(?:\.(?P<frac>\d{1,9}))?"
    r"(?P<zone>Z|[+-]\d{2}:?\d{2})?(?::? |:?$)")
TAG_RE = re.compile(r"%?(?P<app>[^\s\[\]:]{1,64})(?:\[(?P<pid>[^\]\s]{0,128})\])?:(?: |$)")


def split_pri(text: str):
    """(facility, severity, rest): the PRI part, or user.notice when it is missing or out of range."""
    match = PRI_RE.match(text)
    if match and int(match.group(1)) <= 191:
        pri, text = int(match.group(1)), text[match.end():]
    else:
        pri = DEFAULT_PRI
    return FACILITIES[pri >> 3], SEVERITIES[pri & 7], text


def _iso_to_ts(date: str, clock: str, frac: str, zone: str, local_tz):
    if not (date + clock).isascii():   # \d matches the digits of other scripts too
        return None
    try:
        moment = datetime(int(date[:4]), int(date[5:7]), int(date[8:10]), int(clock[:2]), int(clock[3:5]),
                          int(clock[6:8]))
    except ValueError:
        return None
    if frac:
        moment = moment.replace(microsecond=int(frac[:6].ljust(6, "0")))
    if zone in (None, ""):
        return _local_ts(moment, local_tz)
    if zone == "Z":
        return moment.replace(tzinfo=timezone.utc).timestamp()
    sign = 1 if zone[0] == "+" else -1
    digits = zone[1:].replace(":", "")
    offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    if offset >= timedelta(hours=24):
        return None
    return moment.replace(tzinfo=timezone(sign * offset)).timestamp()


def _local_ts(naive: datetime, local_tz):
    """A clock reading without a zone, read in `local_tz` (None: this machine's zone, DST included)."""
    try:
        return naive.timestamp() if local_tz is None else naive.replace(tzinfo=local_tz).timestamp()
    except (OverflowError, ValueError, OSError):
        return None


@lru_cache(maxsize=256)
def _clock_ts(year: int, month: int, day: int, clock: tuple, zone):
    try:
        naive = datetime(year, month, day, *clock)
    except ValueError:  # 29 February of a common year, 31 April...
        return None
    return _local_ts(naive, zone)


def bsd_time(match, received: float, local_tz):
    """The unix time of a BSD timestamp; without a year, the year that puts it closest to `received`."""
    month, day = MONTHS.get(match["mon"]), int(match["day"])
    if month is None:
        return None
    clock = (int(match["h"]), int(match["m"]), int(match["s"]),
             int((match["frac"] or "0")[:6].ljust(6, "0")))
    zone = timezone.utc if match["zone"] in ("UTC", "GMT") else local_tz
    if match["year"]:
        return _clock_ts(int(match["year"]), month, day, clock, zone)
    year = _year_of(int(received))
    candidates = [ts for ts in (_clock_ts(y, month, day, clock, zone) for y in (year, year - 1, year + 1))
                  if ts is not None]
    return min(candidates, key=lambda ts: abs(ts - received)) if candidates else None


@lru_cache(maxsize=16)
def _year_of(second: int) -> int:
    return datetime.fromtimestamp(second).year


def read_timestamp(text: str, received: float, local_tz):
    """(found, unix time or None, rest of the text) for a BSD or ISO timestamp at the start of
    `text`; the time is None when the timestamp names no real moment (31 February)."""
    match = ISO_TIME_RE.match(text)
    if match:
        return True, _iso_to_ts(match["date"], match["time"], match["frac"], match["zone"], local_tz), text[match.end():]
    match = BSD_TIME_RE.match(text)
    if match:
        return True, bsd_time(match, received, local_tz), text[match.end():]
    return False, None, text


def _looks_like_tag(token: str) -> bool:
    return token.endswith(":") or "[" in token or token.startswith("%")


def parse_3164(text: str, received: float, local_tz) -> dict:
    fields = {"host": "", "app": "", "pid": "", "msgid": "", "device_time": None, "sd": None, "format": "rfc3164"}
    cisco = CISCO_SEQUENCE_RE.match(text)
    if cisco:
        text = text[cisco.end():]
        fields["host"] = cisco.group(2) or ""
    found, fields["device_time"], text = read_timestamp(text, received, local_tz)
    if found and not fields["host"]:
        token, sep, rest = text.partition(" ")
        if token and sep and not _looks_like_tag(token):
            fields["host"], text = token, rest
    tag = TAG_RE.match(text)
    if tag:
        fields["app"], fields["pid"] = tag["app"], tag["pid"] or ""
        text = text[tag.end():]
    fields["message"] = text.lstrip(" \ufeff")
    return fields


def _nil(value: str) -> str:
    return "" if value == "-" else value


def parse_structured_data(text: str):
    """(sd, rest) for RFC 5424 STRUCTURED-DATA at the start of `text`; sd is {id: {name: value}},
    None for "-"; ValueError when it is malformed."""
    if text.startswith("-"):
        return None, text[1:]
    sd, i = {}, 0
    while i < len(text) and text[i] == "[":
        end_id = i + 1
        while end_id < len(text) and text[end_id] not in " ]":
            end_id += 1
        sd_id, params, i = text[i + 1:end_id], {}, end_id
        while i < len(text) and text[i] == " ":
            eq = text.find('="', i)
            if eq < 0:
                raise ValueError("parameter without a value")
            name, i, value = text[i + 1:eq], eq + 2, []
            while i < len(text) and text[i] != '"':
                if text[i] == "\\" and i + 1 < len(text) and text[i + 1] in '"\\]':
                    i += 1
                value.append(text[i])
                i += 1
            if i >= len(text):
                raise ValueError("unterminated parameter value")
            params[name] = "".join(value)
            i += 1
        if i >= len(text) or text[i] != "]" or not sd_id:
            raise ValueError("unterminated element")
        sd[sd_id] = params
        i += 1
    if not sd:
        raise ValueError("expected '-' or '['")
    return sd, text[i:]


def parse_5424(text: str, received: float, local_tz):
    """The fields of an RFC 5424 message (text after the PRI), or None when the header is not one."""
    parts = text.split(" ", 6)
    if len(parts) < 6 or parts[0] != "1":
        return None
    _, stamp, host, app, pid, msgid = parts[:6]
    rest = parts[6] if len(parts) > 6 else "-"
    if stamp == "-":
        device_time = None
    else:
        match = ISO_TIME_RE.fullmatch(stamp)
        if not match:
            return None
        device_time = _iso_to_ts(match["date"], match["time"], match["frac"], match["zone"], local_tz)
    try:
        sd, message = parse_structured_data(rest)
    except ValueError:
        sd, message = None, rest
    return {"host": _nil(host), "app": _nil(app), "pid": _nil(pid), "msgid": _nil(msgid),
            "device_time": device_time, "sd": sd, "message": message.lstrip(" \ufeff"),
            "format": "rfc5424"}


def decode(data: bytes) -> str:
    """The datagram or frame as text: invalid UTF-8 becomes U+FFFD; trailing line ends and NULs go."""
    return data.decode("utf-8", "replace").rstrip("\r\n\x00")


def parse(data, received: float, local_tz=None) -> dict:
    """The fields of one message: facility, severity, host, app, pid, msgid, message,
    device_time (unix time or None), sd (structured data or None), format.

    `local_tz` is the zone of timestamps that carry none (None: this machine's).
    """
    text = decode(data) if isinstance(data, (bytes, bytearray)) else data
    text = text.lstrip("\ufeff")
    facility, severity, rest = split_pri(text)
    fields = parse_5424(rest, received, local_tz) if rest.startswith("1 ") else None
    if fields is None:
        fields = parse_3164(rest, received, local_tz)
    fields.update(facility=facility, severity=severity)
    return fields
