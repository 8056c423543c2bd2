#!/usr/bin/env bash
# Fresh demonstration alerts in one step: generate N alerts dated within the
# last SPAN into a CSV, then split it into one alert file each in OUTDIR, where
# the watcher picks them up. For timers (systemd, make run) and by hand.
set -uo pipefail

prog=generate_and_split
count=""
span=""
keep_csv=""
seed=""
servers=""
config=""

usage() {
  cat <<EOF
Usage: bash collector/generate_and_split.sh [--config FILE] [--count N] [--span SPAN] [--seed S]
                                           [--servers LIST] [--csv FILE] OUTDIR

Generate N fake alerts (python -m collector.generate) dated within the last SPAN
and split them into alert files in OUTDIR (collector/split_alerts.sh).

Options (their defaults are the settings of [generate] in the configuration,
see docs/configuration.md):
  --config FILE the configuration file (default: the usual one); with it, OUTDIR
                may be left out for the setting paths.alertfiles
  --count N     how many alerts (setting generate.count, 20)
  --span SPAN   how far back they are dated: 45s, 30m, 12h, 7d
                (setting generate.span, or \$VIGIE_GENERATE_SPAN; 15m)
  --seed S      reproducible alerts (default: new ones every run)
  --servers L   the servers the alerts are about: a count or a comma-separated list of
                names, e.g. your machines' names (setting generate.servers; default:
                a fleet of 20, web-01...)
  --csv FILE    keep the generated CSV in FILE (default: a temporary file, removed)
  -h, --help    show this help

The Python used is \$VIGIE_PYTHON, else the project's .venv, else python3.
Exit status: the splitter's (0 all written, 1 rows rejected, 2 failure).
EOF
}

die() { echo "$prog: $*" >&2; exit 2; }

outdir=""
while [ $# -gt 0 ]; do
  case $1 in
    -h|--help) usage; exit 0 ;;
    --count|--span|--seed|--csv|--servers|--config)
      [ $# -ge 2 ] || die "$1 needs a value"
      case $1 in --count) count=$2 ;; --span) span=$2 ;; --seed) seed=$2 ;; --csv) keep_csv=$2 ;;
                 --servers) servers=$2 ;; --config) config=$2 ;; esac
      shift 2 ;;
    --config=*) config=${1#*=}; shift ;;
    --count=*) count=${1#*=}; shift ;;
    --span=*) span=${1#*=}; shift ;;
    --seed=*) seed=${1#*=}; shift ;;
    --csv=*) keep_csv=${1#*=}; shift ;;
    --servers=*) servers=${1#*=}; shift ;;
    -?*) die "unknown option '$1' (see --help)" ;;
    *) [ -z "$outdir" ] || die "one OUTDIR only ('$outdir' and '$1' given)"; outdir=$1; shift ;;
  esac
done
[ -n "$outdir" ] || [ -n "$config" ] || { usage >&2; exit 2; }
[ -z "$count" ] || [[ $count =~ ^[0-9]+$ ]] || die "--count needs a whole number, not '$count'"
[ -z "$span" ] || [[ $span =~ ^[0-9]+[smhdw]$ ]] ||
  die "--span needs a number and a unit (s, m, h, d, w), e.g. 15m, not '$span'"

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
python=${VIGIE_PYTHON:-$repo/.venv/bin/python}
[ -x "$python" ] || python=$(command -v python3) || die "no Python found (set VIGIE_PYTHON)"

# What no option gave comes from the configuration, read as every Vigie command reads it.
settings=$(PYTHONPATH="$repo${PYTHONPATH:+:$PYTHONPATH}" "$python" -m vigie config ${config:+--config "$config"} \
             --get generate.count generate.span generate.servers paths.alertfiles) || exit 2
{ read -r c; read -r s; read -r v; read -r a; } <<< "$settings"
count=${count:-$c}; span=${span:-$s}; servers=${servers:-$v}; outdir=${outdir:-$a}

if [ -n "$keep_csv" ]; then
  csv=$keep_csv
else
  csv=$(mktemp "${TMPDIR:-/tmp}/vigie-alerts.XXXXXX") || die "cannot create a temporary file"
  trap 'rm -f -- "$csv"' EXIT
fi

generate=(--count "$count" --start="-$span" --end=now --out "$csv")
[ -n "$seed" ] && generate+=(--seed "$seed")
[ -n "$servers" ] && generate+=(--servers "$servers")
PYTHONPATH="$repo${PYTHONPATH:+:$PYTHONPATH}" "$python" -m collector.generate "${generate[@]}" \
  || die "generating the alerts failed"
# few files per run: flushing them to disk before they appear costs little
bash "$here/split_alerts.sh" --sync "$csv" "$outdir"
