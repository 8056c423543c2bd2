"""Each machine's state as the collector last saw it, from the samples files alone.

    python -m collector.status            # a table for a person
    python -m collector.status --json     # a list for scripts

Reads machines/ for the list of machines and their samples (vigie.samples) for
their state; it never talks SNMP and never prints a secret.
"""

import argparse
import json
import sys

from vigie.machines import load_all
from vigie import config as configuration
from vigie.config import Flag
from vigie.units import MISSING, bits_per_second, duration
from vigie.samples import SamplesError, empty_view, read_current, samples_path

EXIT_STATUS = ("Exit status: 0 when every samples file could be read; 1 when one could not (named on standard "
               "error, its machine shown as unknown); 2 when the configuration cannot be used. A bad machine file "
               "is named and skipped, as the collector does.")


def machine_status(name: str, samples: dict) -> dict:
    """The public status of one machine (the --json shape)."""
    status = samples["status"]
    return {
        "name": name,
        "status": status["state"],
        "since": status.get("since"),
        "last_seen": status["last_seen"],
        "uptime_seconds": status["uptime_seconds"],
        "consecutive_failures": status.get("consecutive_failures", 0),
        "last_error": status.get("last_error"),
        "interfaces": [{"index": i["index"], "name": i["name"], "oper_status": i["oper_status"],
                        "in_bps": i["in_bps"], "out_bps": i["out_bps"]} for i in samples["interfaces"]],
    }


def render_table(statuses: list) -> str:
    lines = [f"{'MACHINE':<24} {'STATE':<8} {'LAST SEEN':<26} {'UPTIME':<12} DETAIL"]
    for s in statuses:
        detail = s["last_error"] if s["status"] != "up" and s["last_error"] else f"{len(s['interfaces'])} interface(s)"
        lines.append(f"{s['name']:<24} {s['status']:<8} {s['last_seen'] or MISSING:<26} "
                     f"{duration(s['uptime_seconds']):<12} {detail}")
        for i in s["interfaces"]:
            lines.append(f"    {i['name']:<20} {i['oper_status']:<6} in {bits_per_second(i['in_bps']):>12}  "
                         f"out {bits_per_second(i['out_bps']):>12}")
    return "\n".join(lines)


def parser():
    p = argparse.ArgumentParser(prog="python -m collector.status", description=__doc__.split("\n\n")[0],
                                epilog=EXIT_STATUS)
    p.add_argument("--json", action="store_true", help="print a JSON list instead of a table")
    configuration.add_options(p, (Flag("--machines", "paths.machines"), Flag("--samples", "paths.samples")))
    return p


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    status = configuration.start(args, ("paths",))
    if status is not None:
        return status
    configs, errors = load_all(args.machines)
    for error in errors:
        print(f"vigie: machine file skipped: {error}", file=sys.stderr)
    statuses, code = [], 0
    for config in configs:
        try:
            samples = read_current(args.samples, config["name"])
            statuses.append(machine_status(config["name"], samples))
            continue
        except SamplesError as exc:
            print(f"vigie: {exc}", file=sys.stderr)
        except (KeyError, TypeError, AttributeError, IndexError) as exc:
            print(f"vigie: {samples_path(args.samples, config['name'])}: not a usable samples file "
                  f"({type(exc).__name__}: {exc})", file=sys.stderr)
        statuses.append(machine_status(config["name"], empty_view(config["name"])))
        code = 1
    if args.json:
        print(json.dumps(statuses, indent=2))
    else:
        print(render_table(statuses))
    return code


if __name__ == "__main__":
    sys.exit(main())
