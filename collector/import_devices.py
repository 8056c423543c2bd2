"""Add devices from a CSV file: one machine file per row, checked whole before any is written.

    python -m collector.import_devices devices.csv --dry-run   # what it would do, nothing written
    python -m collector.import_devices devices.csv             # write the new machine files

The columns (a header names them): name, address, credentials (the name of a machine whose
SNMP credentials to use, or env:VARIABLE / file:/path holding a v2c community), and
optionally tags (key=value;key=value), port, description. See vigie/device_import.py.
"""

import argparse
import json
import sys
import textwrap

from vigie import config as configuration
from vigie import device_import, machines as mc, safe_read
from vigie.config import Flag

EXIT_STATUS = ("Exit status: 0 when every row is added or already known; 1 when the file has errors (each named "
               "by line and column on standard error; nothing is written); 2 when the file or the configuration "
               "cannot be used. An existing machine is never written over: its row is reported as known.")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m collector.import_devices", description=__doc__,
                                epilog=textwrap.fill(EXIT_STATUS, 88),
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file", help="the CSV file (UTF-8, comma-separated, a header line)")
    p.add_argument("--dry-run", action="store_true", help="check the file and say what would be added; write nothing")
    p.add_argument("--json", action="store_true", help="print the outcome as JSON (for scripts)")
    configuration.add_options(p, (Flag("--machines", "paths.machines"),))
    return p


def report(source: str, result: device_import.Plan, added, known, dry_run: bool) -> str:
    """The outcome for a person: one line per row added or known, then the counts."""
    lines = [f"  {'add' if dry_run else 'added':<6} {name:<24} {device_import.address_text(machine)}  "
             f"credentials {credentials}" for _, name, machine, credentials in result.add if dry_run or name in added]
    lines += [f"  known  {name:<24} line {line}: {why}" for line, name, why in known]
    count = len(result.add) if dry_run else len(added)
    verb = "to add" if dry_run else "added"
    lines.append(f"{source}: {count} device{'s' if count != 1 else ''} {verb}, {len(known)} known"
                 + (" (dry run: nothing written)" if dry_run else ""))
    return "\n".join(lines)


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    status = configuration.start(args, ("paths",))
    if status is not None:
        return status
    try:
        text = safe_read.read_text(args.file, device_import.MAX_BYTES, what="a CSV file to import")
    except UnicodeDecodeError as exc:
        print(f"vigie: cannot read {args.file}: not UTF-8 text (byte {exc.start + 1})", file=sys.stderr)
        return 2
    except (OSError, ValueError) as exc:
        print(f"vigie: cannot read {args.file}: {getattr(exc, 'strerror', None) or exc}", file=sys.stderr)
        return 2
    result = device_import.plan(text, device_import.existing_machines(args.machines))
    for problem in result.errors:
        print(f"vigie: {problem.text(args.file)}", file=sys.stderr)
    if result.errors:
        print(f"vigie: {args.file}: {len(result.errors)} error(s): nothing written", file=sys.stderr)
        if args.json:
            print(json.dumps(device_import.outcome(result, [], result.known, args.dry_run), indent=2))
        return 1
    if args.dry_run:
        added, known = [], result.known
    else:
        added, known = device_import.write(result, args.machines, mc.FILE_MODE)
    if args.json:
        print(json.dumps(device_import.outcome(result, added, known, args.dry_run), indent=2))
    else:
        print(report(args.file, result, added, known, args.dry_run))
    return 0


if __name__ == "__main__":
    sys.exit(main())
