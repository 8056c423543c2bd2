"""Threshold rules with patience and hysteresis, as pure functions.

A value that crosses its limit on one poll is not yet a problem: the alert is
raised after `polls` polls in a row at or past the limit, and cleared only once
the value is back on the right side of the limit by `hysteresis` (units of the
value: points of utilisation, errors per second...). A value hovering around its
limit therefore raises one alert and one return to normal, never a stream of
both. `step` is the whole rule; the callers keep its state between polls.

    rule  = {"limit": 85, "above": True, "polls": 2, "hysteresis": 10}
    state = {"count": polls in a row past the limit, "raised": bool}
"""

import math

RAISE, CLEAR = "raise", "clear"


def rule(limit: float, above: bool = True, polls: int = 2, hysteresis: float = 0.0) -> dict:
    return {"limit": limit, "above": above, "polls": max(1, int(polls)), "hysteresis": max(0.0, hysteresis)}


def past_limit(value: float, r: dict) -> bool:
    return value >= r["limit"] if r["above"] else value <= r["limit"]


def clear_level(r: dict) -> float:
    """The value the reading must get past (strictly) for a raised alert to clear."""
    return r["limit"] - r["hysteresis"] if r["above"] else r["limit"] + r["hysteresis"]


def cleared(value: float, r: dict) -> bool:
    return value < clear_level(r) if r["above"] else value > clear_level(r)


def step(state: dict, value, r: dict) -> tuple:
    """(new state, RAISE, CLEAR or None) after one poll. A missing value (no rate this
    poll) changes nothing: it is neither past the limit nor back."""
    count, raised = int((state or {}).get("count") or 0), bool((state or {}).get("raised"))
    if value is None:
        return {"count": count, "raised": raised}, None
    if not raised:
        count = count + 1 if past_limit(value, r) else 0
        if count >= r["polls"]:
            return {"count": count, "raised": True}, RAISE
        return {"count": count, "raised": False}, None
    if cleared(value, r):
        return {"count": 0, "raised": False}, CLEAR
    return {"count": count + 1 if past_limit(value, r) else 0, "raised": True}, None


SIDES = {">=": lambda a, b: a >= b, "<=": lambda a, b: a <= b, "<": lambda a, b: a < b, ">": lambda a, b: a > b}


def shown(value: float, side: str, level: float) -> str:
    """`value` rounded to the fewest decimals (0 to 2) that keep `value side level` true
    as written, and that write it as the limit only when it is the limit: a message never
    says "back under 39% (39%)". Past two decimals the value is cut towards the right
    side instead of rounded."""
    if value != level and side in (">=", "<="):
        side = side[0]   # not at the limit: never written as if it were
    holds = SIDES[side]
    # at least two significant digits (3.4 stays 3.4; 21.4 may read 21), none for a whole number
    first = 0 if float(value).is_integer() or abs(value) >= 10 else (1 if abs(value) >= 1 else 2)
    for decimals in range(first, 3):
        if holds(round(value, decimals), level):
            return f"{value:.{decimals}f}"
    cut = math.floor if side in ("<", "<=") else math.ceil
    return f"{cut(value * 100) / 100:.2f}"
