"""Numbers as people read them: bit rates and durations, the same in the terminal
(collector.status) and on the site (the Jinja filters)."""

MISSING = "–"
_RATE_UNITS = ("b/s", "kb/s", "Mb/s", "Gb/s", "Tb/s")
_BYTE_UNITS = ("B", "kB", "MB", "GB", "TB", "PB")
_DURATION_UNITS = (("d", 86400), ("h", 3600), ("min", 60), ("s", 1))


def bits_per_second(value) -> str:
    """1234567 -> '1.23 Mb/s' (three significant digits, SI prefixes), never below 1 b/s
    (a trickle reads '< 1 b/s', not '0.4 b/s' nor a milli); None -> '–'."""
    if value is None:
        return MISSING
    value = float(value)
    if 0 < value < 1:
        return "< 1 b/s"
    return _si(value, _RATE_UNITS)


def byte_count(value) -> str:
    """An amount of traffic: 8640000 -> '8.64 MB' (three significant digits, SI prefixes,
    bytes); None -> '–'."""
    if value is None:
        return MISSING
    return _si(float(value), _BYTE_UNITS)


def _si(value: float, units: tuple) -> str:
    """Three significant digits under the largest SI prefix that keeps the figure under
    1000 (whole numbers in the base unit, units[0]; the last unit takes any size)."""
    for unit in units:
        if abs(value) < 999.5 or unit == units[-1]:
            return f"{value:.0f} {unit}" if unit == units[0] or abs(value) >= 999.5 else f"{value:.3g} {unit}"
        value /= 1000
    return MISSING  # pragma: no cover


def measure(value, unit: str = "") -> str:
    """A health value with its unit: bytes with SI prefixes ('3.2 GB'), a percentage with one
    decimal ('41.5 %'), anything else with three significant digits and its unit
    ('41.9 °C', '0.0195 A', '6240 RPM', '0.42'); None -> '–'."""
    if value is None:
        return MISSING
    if unit == "B":
        return byte_count(value)
    if unit == "%":
        return f"{value:.1f} %"
    text = f"{value:.0f}" if abs(value) >= 999.5 else f"{value:.3g}"
    return f"{text} {unit}" if unit else text


def duration(seconds) -> str:
    """The two largest units of a duration, the second left out when it is zero:
    93784 -> '1 d 2 h', 7200 -> '2 h', 90 -> '1 min 30 s', 45 -> '45 s'; None -> '–'."""
    if seconds is None:
        return MISSING
    rest = max(0, int(seconds))
    parts = []
    for unit, size in _DURATION_UNITS:
        count, rest = divmod(rest, size)
        if count or (parts and len(parts) < 2):
            parts.append((count, unit))
        if len(parts) == 2:
            break
    if not parts:
        return "0 s"
    if len(parts) == 2 and parts[1][0] == 0:
        parts.pop()
    return " ".join(f"{count} {unit}" for count, unit in parts)
