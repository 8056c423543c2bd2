"""`python -m vigie COMMAND`: Vigie's own commands."""

import importlib
import sys

# command -> (what it does, the module whose main(argv) runs it)
COMMANDS = {"config": ("print the configuration in force and where each value comes from (see --help)", "vigie.config"),
            "parents": ("print each machine's parents toward the collector, where they came from, and the problems "
                        "of the parents set by hand (see --help)", "vigie.network_files")}


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in COMMANDS:
        print("usage: python -m vigie COMMAND [options]\n\ncommands:", file=sys.stderr if argv else sys.stdout)
        for name, (text, _) in COMMANDS.items():
            print(f"  {name:10} {text}", file=sys.stderr if argv else sys.stdout)
        return 0 if argv[:1] in ([], ["-h"], ["--help"]) else 2
    return importlib.import_module(COMMANDS[argv[0]][1]).main(argv[1:])


if __name__ == "__main__":
    sys.exit(main())
