#!/usr/bin/env bash
# Split an alerts CSV into one alert file per row, in the seven-line format of
# docs/DESIGN.md (Date, Serveur, Criticité, Message, Infogerant, Application,
# Environnement).
#
# One awk process reads the CSV (RFC 4180: quoted fields holding commas, doubled
# quotes and line breaks; UTF-8), checks every row and writes the files into a
# hidden folder inside OUTDIR; finished files are renamed into OUTDIR in batches
# while awk goes on, so a reader never sees half a file. Names are stable:
#   <timestamp digits>_<server>_<hash of the row>.txt   (e.g. 20261122T101503_web-01_1f0c9a2e.txt)
# plus -2, -3... for identical rows, so running again on the same CSV writes
# nothing new and two different alerts never share a name.
set -uo pipefail

prog=split_alerts
max_errors=100
sync_files=0

usage() {
  cat <<EOF
Usage: bash collector/split_alerts.sh [options] CSV OUTDIR

Write one alert file per row of CSV (header: timestamp,server,severity,message,
provider,application,environment) into OUTDIR, created if missing. CSV '-' reads
standard input.

Files are named <timestamp digits>_<server>_<hash>.txt from the row's content:
a re-run on the same CSV skips the files already in OUTDIR (or taken by the
watcher: in done/ or processing/*/) and never overwrites a different alert.

Options:
  --max-errors N   show at most N rejected rows on stderr (default $max_errors)
  --sync           flush each batch of files to disk before renaming it into
                   place, so even a power cut never leaves an empty alert file
                   (slower: the kernel writes the files out at once)
  -h, --help       show this help

Exit status: 0 every row was written or already there; 1 some rows were rejected
(named on stderr; the good rows are written all the same); 2 the CSV or OUTDIR
cannot be used (unreadable, wrong header): nothing written.
EOF
}

die() { echo "$prog: $*" >&2; exit 2; }

args=()
while [ $# -gt 0 ]; do
  case $1 in
    -h|--help) usage; exit 0 ;;
    --max-errors) [ $# -ge 2 ] || die "--max-errors needs a number"; max_errors=$2; shift 2 ;;
    --max-errors=*) max_errors=${1#*=}; shift ;;
    --sync) sync_files=1; shift ;;
    --no-sync) sync_files=0; shift ;;
    --) shift; args+=("$@"); break ;;
    -?*) die "unknown option '$1' (see --help)" ;;
    *) args+=("$1"); shift ;;
  esac
done
[ ${#args[@]} -eq 2 ] || { usage >&2; exit 2; }
case $max_errors in ''|*[!0-9]*) die "--max-errors needs a number, not '$max_errors'" ;; esac
csv=${args[0]} outdir=${args[1]}

if [ "$csv" != - ]; then
  [ -e "$csv" ] || die "cannot read '$csv': no such file"
  [ -d "$csv" ] && die "cannot read '$csv': it is a directory"
  [ -r "$csv" ] || die "cannot read '$csv': permission denied"
fi
mkdir -p -- "$outdir" 2>/dev/null || die "cannot create the output folder '$outdir'"
[ -d "$outdir" ] && [ -w "$outdir" ] || die "cannot write into '$outdir'"

# A hidden folder left by a run killed outright (kill -9) more than a day ago.
find "$outdir" -maxdepth 1 -type d -name '.split.??????' -mmin +1440 -exec rm -rf -- {} + 2>/dev/null
tmpdir=$(mktemp -d "$outdir/.split.XXXXXX") || die "cannot create a temporary folder in '$outdir'"
trap 'rm -rf -- "$tmpdir"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# mawk is the fastest awk and Debian's default; any POSIX awk works. LC_ALL=C:
# bytes in, bytes out, whatever the locale.
awk_bin=$(command -v mawk || command -v awk) || die "awk is not installed"

# Where the watcher keeps files it has taken: done/ and processing/<watcher>/.
also_check=""
for sub in "$outdir"/done/ "$outdir"/processing/*/; do
  [ -d "$sub" ] && also_check+="${sub%/}"$'\n'
done

# Paths go through the environment: awk -v would read backslashes as escapes.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export SPLIT_OUT=$outdir SPLIT_TMP=$tmpdir SPLIT_ALSO=$also_check SPLIT_CSV=$csv
export VIGIE_SEVERITIES=$here/../vigie/severities.txt
[ "$csv" = - ] && csv=/dev/stdin SPLIT_CSV="(standard input)"
# awk names each file once it is complete; xargs renames them into OUTDIR in
# batches while awk goes on (the two run side by side): mv -n, one atomic rename
# per file, never overwriting a name that appeared in OUTDIR meanwhile. With
# --sync each batch's files are flushed to disk first (fsync of those files
# only: flushing the whole file system can stall for long on a busy disk).
if [ "$sync_files" -eq 1 ]; then
  mover=(bash -c 'cd "$0" && { sync -- "${@:2}" 2>/dev/null; exec mv -n -t "$1" -- "${@:2}"; }' "$tmpdir" "$(cd "$outdir" && pwd)")
else
  mover=(bash -c 'cd "$0" && exec mv -n -t "$1" -- "${@:2}"' "$tmpdir" "$(cd "$outdir" && pwd)")
fi
LC_ALL=C "$awk_bin" -v MAXERR="$max_errors" -v PROG="$prog" -f "$here/csv.awk" -f "$here/severity.awk" -f "$here/split_alerts.awk" < "$csv" \
  | xargs -d '\n' -r -n 2000 "${mover[@]}" 2> "$tmpdir/.mv-errors"
awk_status=${PIPESTATUS[0]}
read -r written present rejected < "$tmpdir/.summary" 2>/dev/null
if [ "$awk_status" -ne 0 ] || [ -z "${written:-}" ]; then
  # awk stopped before its summary: a fatal input error (already explained) or a write failure.
  [ "$awk_status" -ne 0 ] || echo "$prog: splitting '$csv' failed" >&2
  exit 2
fi

# mv's exit status when it skips a file differs between coreutils versions, so
# what is left behind tells: a name now taken in OUTDIR, or a failure.
left=0 failed=0
while IFS= read -r -d '' file; do
  if [ -e "$outdir/${file##*/}" ]; then left=$((left + 1)); else failed=$((failed + 1)); fi
done < <(find "$tmpdir" -maxdepth 1 -type f -name '*.txt' -print0)
if [ "$failed" -gt 0 ]; then
  head -n 5 "$tmpdir/.mv-errors" >&2
  die "$failed alert files could not be moved into '$outdir'; run again once fixed"
fi
written=$((written - left)) present=$((present + left))

echo "$prog: $written alert files written to $outdir ($present already there, $rejected rows rejected)"
[ "$rejected" -eq 0 ]
