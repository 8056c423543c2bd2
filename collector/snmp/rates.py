"""Traffic rates from SNMP counters: pure functions on numbers.

A counter only means something as the difference between two readings. This
module decides when that difference is trustworthy: a 32-bit counter that went
backwards wrapped once and is unwrapped; a 64-bit counter that went backwards
was reset, so the interval is a gap; a device whose sysUpTime went back (or is
shorter than the time since the last poll) rebooted, so every counter is a gap;
an interface whose ifIndex now names another interface is a gap; and a rate
above the interface's speed is impossible and dropped. A gap is None, never a
spike and never a negative number.
"""

from vigie.samples.format import utilisation_percent  # noqa: F401 - the rule lives with the samples format

COUNTER32_MODULO = 2 ** 32
COUNTER64_MODULO = 2 ** 64
TICKS_PER_SECOND = 100          # sysUpTime is in hundredths of a second
SPEED_TOLERANCE = 1.1           # poll-time jitter: allow 10 % over the nominal speed
REBOOT_SLACK_SECONDS = 2.0


def counter_delta(previous, current, counter_bits: int):
    """Increase of a counter between two readings, or None when it cannot be known."""
    if previous is None or current is None:
        return None
    if current >= previous:
        return current - previous
    if counter_bits == 32 and previous < COUNTER32_MODULO:
        return current + COUNTER32_MODULO - previous
    return None


def uptime_ticks_to_seconds(ticks):
    return None if ticks is None else ticks / TICKS_PER_SECOND


def rebooted(previous_uptime_ticks, uptime_ticks, elapsed_seconds) -> bool:
    """True when the device restarted between two polls.

    Either sysUpTime went back, or the device has been up for less time than
    has passed since the previous poll.
    """
    if previous_uptime_ticks is None or uptime_ticks is None:
        return False
    if uptime_ticks < previous_uptime_ticks:
        return True
    return uptime_ticks_to_seconds(uptime_ticks) + REBOOT_SLACK_SECONDS < elapsed_seconds


def interval_seconds(wall_elapsed_seconds, previous_uptime_ticks, uptime_ticks):
    """Seconds between two readings, by the agent's own clock when it can be trusted.

    sysUpTime is read in the same request as the counters, so its delta is the
    time between the two counter samples on the device, free of network and
    scheduling delays on our side; it is used unless it disagrees with the wall
    clock by more than half (a restarted agent, a wrapped or frozen uptime).
    """
    if wall_elapsed_seconds is None:
        return None
    if previous_uptime_ticks is None or uptime_ticks is None or uptime_ticks <= previous_uptime_ticks:
        return wall_elapsed_seconds
    agent = (uptime_ticks - previous_uptime_ticks) / TICKS_PER_SECOND
    if 0.5 * wall_elapsed_seconds <= agent <= 1.5 * wall_elapsed_seconds:
        return agent
    return wall_elapsed_seconds


def octets_to_bits_per_second(delta_octets, interval_seconds):
    if delta_octets is None or not interval_seconds or interval_seconds <= 0:
        return None
    return delta_octets * 8 / interval_seconds


def plausible_bps(bits_per_second, speed_bps):
    """The rate, or None when it is above what the interface can carry."""
    if bits_per_second is None:
        return None
    if speed_bps and bits_per_second > speed_bps * SPEED_TOLERANCE:
        return None
    return bits_per_second


def interface_bps(previous_octets, octets, counter_bits, interval_seconds, speed_bps):
    """Bits per second over one interval from two octet counter readings, or None."""
    delta = counter_delta(previous_octets, octets, counter_bits)
    return plausible_bps(octets_to_bits_per_second(delta, interval_seconds), speed_bps)


def counter_per_second(previous, current, counter_bits, interval_seconds):
    """Rate of a generic counter (extra OIDs of type "counter"), or None."""
    delta = counter_delta(previous, current, counter_bits)
    if delta is None or not interval_seconds or interval_seconds <= 0:
        return None
    return delta / interval_seconds


def speed_bps(if_speed, if_high_speed_mbps):
    """Interface speed: ifHighSpeed (Mbit/s) when ifSpeed is saturated or absent."""
    if if_high_speed_mbps and (not if_speed or if_speed >= COUNTER32_MODULO - 1):
        return if_high_speed_mbps * 1_000_000
    return if_speed or (if_high_speed_mbps * 1_000_000 if if_high_speed_mbps else None)
