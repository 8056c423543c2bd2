"""95th percentiles, the figure transit and colocation are billed on: pure functions.

The 95th percentile of a period is the nearest-rank one: sort the period's
fine samples (gaps left out), take the value at rank ceil(0.95 n). For a day,
it is computed exactly from that day's samples when the day closes.

A calendar month would need a month of fine samples, 30 times what the store
keeps, so each closed day also adds its samples to the month's histogram:
logarithmic bins whose width is a fixed fraction of their value (DDSketch's
idea), so the month's 95th percentile read from it is within RELATIVE_ERROR of
the exact one, whatever the traffic, for a few hundred counts an interface.
Values below 1 (b/s) count as zero.

A histogram is a list [zeros, first_bin, count, count, ...]: how many values
were zero, then the counts of the consecutive bins from first_bin on, where
bin i holds the values in (GAMMA**(i-1), GAMMA**i].
"""

import math

PERCENT = 95
RELATIVE_ERROR = 0.005
GAMMA = (1 + RELATIVE_ERROR) / (1 - RELATIVE_ERROR)
_LOG_GAMMA = math.log(GAMMA)


def rank(count: int, percent: float = PERCENT) -> int:
    """The 1-based nearest rank of the percentile among `count` values."""
    return max(1, math.ceil(percent / 100 * count))


def nearest_rank(values, percent: float = PERCENT):
    """The percentile of the non-null values by plain sort, or None when there is none."""
    return sorted_nearest_rank(sorted(v for v in values if v is not None), percent)


def sorted_nearest_rank(ordered: list, percent: float = PERCENT):
    return ordered[rank(len(ordered), percent) - 1] if ordered else None


def bin_of(value: float) -> int:
    return math.ceil(math.log(value) / _LOG_GAMMA)


def bin_value(index: int) -> float:
    """The value that stands for bin `index`: within RELATIVE_ERROR of all it holds."""
    return 2 * GAMMA ** index / (GAMMA + 1)


def histogram(values):
    """The histogram of the non-null values, or None when there is none."""
    return sorted_histogram(sorted(v for v in values if v is not None))


def sorted_histogram(ordered: list):
    """histogram() of values already sorted: a logarithm per bin, not per value."""
    zeros = 0
    while zeros < len(ordered) and ordered[zeros] < 1:
        zeros += 1
    if zeros == len(ordered):
        return [zeros, 0] if zeros else None
    first = current = bin_of(ordered[zeros])
    top = GAMMA ** current
    counts = [0]
    for v in ordered[zeros:]:
        if v > top:
            current = bin_of(v)
            if GAMMA ** current < v:      # rounding at a bin's edge
                current += 1
            counts.extend([0] * (current - first + 1 - len(counts)))
            top = GAMMA ** current
        counts[-1] += 1
    return [zeros, first] + counts


def merge(a, b):
    """The histogram of both histograms' values (either may be None)."""
    if not a:
        return list(b) if b else None
    if not b:
        return list(a)
    if len(a) == 2:
        return [a[0] + b[0]] + b[1:]
    if len(b) == 2:
        return [a[0] + b[0]] + a[1:]
    first = min(a[1], b[1])
    top = max(a[1] + len(a) - 3, b[1] + len(b) - 3)
    counts = [0] * (top - first + 1)
    for h in (a, b):
        offset = h[1] - first
        for i, c in enumerate(h[2:]):
            counts[offset + i] += c
    return [a[0] + b[0], first] + counts


def count(h) -> int:
    return 0 if not h else h[0] + sum(h[2:])


def histogram_percentile(h, percent: float = PERCENT):
    """The percentile read from a histogram (within RELATIVE_ERROR), or None when empty."""
    n = count(h)
    if not n:
        return None
    wanted = rank(n, percent)
    seen = h[0]
    if seen >= wanted:
        return 0.0
    for i, c in enumerate(h[2:]):
        seen += c
        if seen >= wanted:
            return bin_value(h[1] + i)
    return bin_value(h[1] + len(h) - 3)  # pragma: no cover - the counts add up to n


def busier_direction(in_value, out_value):
    """"in" or "out", whichever is greater (in on a tie), or None when both are unknown."""
    if in_value is None and out_value is None:
        return None
    if out_value is None or (in_value is not None and in_value >= out_value):
        return "in"
    return "out"


def busier(in_value, out_value):
    """The busier direction's figure: transit is billed on the greater of in and out."""
    direction = busier_direction(in_value, out_value)
    return None if direction is None else (in_value if direction == "in" else out_value)
