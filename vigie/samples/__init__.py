"""Per-machine samples (data/samples/): the format, the collector's store, the readers.

Bounded like MRTG's log: a day at the poll step, then a week at 30 min, a month
at 2 h and two years at a day, whatever the time a machine has been polled;
but a poll appends its own line instead of rewriting the machine's history.
The format is described in vigie/samples/format.py. Only the collector
writes (`SamplesStore`); everyone else reads through these functions and
never needs the collector running:

    read_current(samples_dir, name)   status, interfaces with current rates, peaks
                                      and 95th percentiles, extra OIDs (a dict)
    read_samples(path)                the same from the head file's path
    current_signature(samples_dir, name)   changes when read_current's answer may have
    read_events(samples_dir, name)    the last state changes
    read_states(samples_dir, name)    the state history: up, down, no data, for two years
    read_discovery(samples_dir, name) the device's interfaces, chassis id and neighbours as last discovered
    read_archive(samples_dir, name, archive, since)   the lines of one archive
    follow_fine(samples_dir, name, cursor)            the fine lines since the last call
    daily_percentiles / monthly_percentiles           95th percentiles per day / month

A samples file written by an older Vigie (format 1, one JSON file per machine)
is converted on disk by the collector's first poll, and read through an
in-memory conversion until then.
"""

from vigie.samples.format import (ARCHIVES, AVG, COARSE_ARCHIVES, COUNTER_ERRORS, COUNTER_IN, COUNTER_OUT, DAY_SECONDS,
                                  FINE, FORMAT, IN, IN_AVG, IN_MAX, IN_P95, IN_P95_MONTH,
                                  MAX, MAX_EVENTS, MAX_INTERFACES, MONTH, OUT, OUT_AVG, OUT_MAX, OUT_P95,
                                  OUT_P95_MONTH, WEEK, YEAR, MachineSamples, archive_layout, compact_number,
                                  current_view, empty_head, empty_view, empty_now, interface_key, iso,
                                  utilisation_percent)
from vigie.samples.store import (Family, SamplesError, SamplesStore, current_signature, daily_percentiles,
                                 fine_pair, follow_fine,
                                 monthly_percentiles, read_archive, read_current, read_discovery, read_events,
                                 read_head, read_month_histograms, read_samples, read_states, samples_path)

__all__ = [
    "ARCHIVES", "AVG", "COARSE_ARCHIVES", "COUNTER_ERRORS", "COUNTER_IN", "COUNTER_OUT",
    "DAY_SECONDS", "FINE", "FORMAT", "IN", "IN_AVG", "IN_MAX", "IN_P95", "IN_P95_MONTH", "MAX", "MAX_EVENTS",
    "MAX_INTERFACES", "MONTH", "OUT", "OUT_AVG", "OUT_MAX", "OUT_P95", "OUT_P95_MONTH", "WEEK", "YEAR",
    "MachineSamples", "archive_layout", "compact_number", "current_view", "empty_head", "empty_view", "empty_now",
    "interface_key", "iso", "utilisation_percent",
    "Family", "SamplesError", "SamplesStore", "current_signature", "daily_percentiles", "fine_pair", "follow_fine",
    "monthly_percentiles", "read_archive", "read_current", "read_discovery", "read_events", "read_head",
    "read_month_histograms", "read_samples", "read_states", "samples_path",
]
