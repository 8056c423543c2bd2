"""`python -m vigie COMMAND`: Vigie's own commands (for now `config`)."""

import sys

COMMANDS = {"config": "print the configuration in force and where each value comes from (see --help)"}


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in COMMANDS:
        print("usage: python -m vigie COMMAND [options]\n\ncommands:", file=sys.stderr if argv else sys.stdout)
        for name, text in COMMANDS.items():
            print(f"  {name:10} {text}", file=sys.stderr if argv else sys.stdout)
        return 0 if argv[:1] in ([], ["-h"], ["--help"]) else 2
    from vigie import config
    return config.main(argv[1:])


if __name__ == "__main__":
    sys.exit(main())
