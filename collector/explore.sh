#!/usr/bin/env bash
# Answer the usual questions about an alerts CSV with standard tools.
#
# The CSV is first turned into tab-separated values by one awk pass
# (csv_to_tsv.awk: quoted fields holding commas and line breaks are undone),
# then each question is a short pipeline of cut, sort, uniq, grep and awk on
# that; docs/alert-files.md shows the same one-liners.
set -uo pipefail

prog=explore
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export LC_ALL=C
export VIGIE_SEVERITIES=$here/../vigie/severities.txt

usage() {
  cat <<'EOF'
Usage: bash collector/explore.sh CSV [QUESTION] [--top N]

Answers questions about an alerts CSV (header timestamp,server,severity,
message,provider,application,environment). Without a question: a report with
every summary below, the latest critical alerts and the count of non-INFO ones.

Questions:
  --servers         number of distinct servers
  --per-server      alerts per server, busiest first
  --server NAME     every alert of one server
  --critical        every critical alert
  --non-info        every alert that is not INFO
  --severity-env    alerts counted by severity and environment
  --provider        alerts per provider (infogérant)
  --application     alerts per application
  --busiest-hour    the busiest hour (UTC) and the busiest hour of the day
  --tsv             the CSV as tab-separated values, for your own one-liners

Options:
  --top N           lines shown by --per-server, --provider, --application
                    (default 10 in the report, all when asked alone; 0 = all)
  -h, --help        show this help

Alert lists are tab-separated: timestamp, server, severity, message, provider,
application, environment. Rows that are not valid CSV are named on stderr and
left out; the exit status is then 1.
EOF
}

die() { echo "$prog: $*" >&2; exit 2; }

question=report csv="" top="" server=""
while [ $# -gt 0 ]; do
  case $1 in
    -h|--help) usage; exit 0 ;;
    --top) [ $# -ge 2 ] || die "--top needs a number"; top=$2; shift 2 ;;
    --top=*) top=${1#*=}; shift ;;
    --server) [ $# -ge 2 ] || die "--server needs a name"; question=server server=$2; shift 2 ;;
    --server=*) question=server server=${1#*=}; shift ;;
    --servers|--per-server|--critical|--non-info|--severity-env|--provider|--application|--busiest-hour|--tsv)
      question=${1#--}; shift ;;
    -?*) die "unknown option '$1' (see --help)" ;;
    *) [ -z "$csv" ] || die "one CSV at a time ('$csv' and '$1' given)"; csv=$1; shift ;;
  esac
done
[ -n "$csv" ] || { usage >&2; exit 2; }
case $top in ''|*[!0-9]*) [ -z "$top" ] || die "--top needs a number, not '$top'" ;; esac
if [ "$csv" != - ]; then
  [ -e "$csv" ] || die "cannot read '$csv': no such file"
  [ -d "$csv" ] && die "cannot read '$csv': it is a directory"
  [ -r "$csv" ] || die "cannot read '$csv': permission denied"
else
  csv=/dev/stdin
fi

awk_bin=$(command -v mawk || command -v awk) || die "awk is not installed"
tsv=$(mktemp "${TMPDIR:-/tmp}/vigie-explore.XXXXXX") || die "cannot create a temporary file"
trap 'rm -f -- "$tsv" "$tsv.err"' EXIT

"$awk_bin" -v PROG="$prog" -f "$here/csv.awk" -f "$here/severity.awk" -f "$here/csv_to_tsv.awk" < "$csv" > "$tsv" 2> "$tsv.err"
status=$?
cat "$tsv.err" >&2
[ "$status" -eq 0 ] || exit 2
skipped=0
[ -s "$tsv.err" ] && skipped=1
# the severities, most severe first (vigie/severities.txt)
mapfile -t severities < <("$awk_bin" -f "$here/severity.awk" -f /dev/stdin <<'AWK'
BEGIN { severity_load(); for (i = 1; i <= SEVERITY_COUNT; i++) print SEVERITY_NAME[i] }
AWK
)

# --- one function per question, each a pipeline on the TSV ------------------

limit() {  # the first N lines, or all when N is 0
  if [ "${1:-0}" -gt 0 ]; then head -n "$1"; else cat; fi
}

count_by() {  # count_by FIELD: "  COUNT value" lines, busiest first, ties by name
  cut -f"$1" "$tsv" | sort | uniq -c | sort -k1,1nr -k2
}

servers() { cut -f2 "$tsv" | sort -u | wc -l; }
per_server() { count_by 2 | limit "$1"; }
provider() { count_by 5 | limit "$1"; }
application() { count_by 6 | limit "$1"; }
server_alerts() { EXPLORE_SERVER=$server awk -F'\t' '$2 == ENVIRON["EXPLORE_SERVER"]' "$tsv"; }
critical() { awk -F'\t' -v S="${severities[0]}" '$3 == S' "$tsv"; }
non_info() { awk -F'\t' -v S="${severities[-1]}" '$3 != S' "$tsv"; }

severity_env() {  # a table: one row per severity, one column per environment (busiest first)
  awk -F'\t' -v ORDER="${severities[*]}" '
    { n[$3 SUBSEP $7]++; env[$7]++; sev[$3]++ }
    END {
      ns = split(ORDER, order, " ")
      ne = 0
      for (e in env) names[++ne] = e
      for (i = 2; i <= ne; i++)   # insertion sort: busiest environment first, then by name
        for (j = i; j > 1 && (env[names[j]] > env[names[j-1]] || env[names[j]] == env[names[j-1]] && names[j] < names[j-1]); j--) {
          t = names[j]; names[j] = names[j-1]; names[j-1] = t
        }
      printf "%-10s", "severity"
      for (i = 1; i <= ne; i++) printf " %10s", (names[i] == "" ? "(none)" : names[i])
      printf " %10s\n", "total"
      for (k = 1; k <= ns; k++) {
        printf "%-10s", order[k]
        for (i = 1; i <= ne; i++) printf " %10d", n[order[k] SUBSEP names[i]]
        printf " %10d\n", sev[order[k]]
      }
      printf "%-10s", "total"
      for (i = 1; i <= ne; i++) printf " %10d", env[names[i]]
      printf " %10d\n", NR
    }' "$tsv"
}

busiest_hour() {  # timestamps turned to UTC hours with their offsets, then counted
  awk -F'\t' '
    function days_from_civil(y, m, d,    era, yoe, doy) {
      y -= (m <= 2); era = int(y / 400); yoe = y - era * 400
      doy = int((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1
      return era * 146097 + yoe * 365 + int(yoe / 4) - int(yoe / 100) + doy - 719468
    }
    function civil_from_days(z,    era, doe, yoe, y, doy, mp, d, m) {
      z += 719468; era = int(z / 146097); doe = z - era * 146097
      yoe = int((doe - int(doe / 1460) + int(doe / 36524) - int(doe / 146096)) / 365)
      y = yoe + era * 400; doy = doe - (365 * yoe + int(yoe / 4) - int(yoe / 100))
      mp = int((5 * doy + 2) / 153); d = doy - int((153 * mp + 2) / 5) + 1
      m = mp < 10 ? mp + 3 : mp - 9
      return sprintf("%04d-%02d-%02d", y + (m <= 2), m, d)
    }
    {
      t = $1; offset = 0
      if (match(substr(t, 12), /[+-][0-9][0-9]:?[0-9]?[0-9]?$/)) {
        o = substr(t, 11 + RSTART); sign = substr(o, 1, 1) == "-" ? -1 : 1; gsub(/[^0-9]/, "", o)
        offset = sign * (substr(o, 1, 2) * 60 + substr(o, 3, 2))
      }
      date = substr(t, 1, 10)
      if (!(date in days)) days[date] = days_from_civil(substr(t, 1, 4) + 0, substr(t, 6, 2) + 0, substr(t, 9, 2) + 0)
      minutes = days[date] * 1440 \
                + substr(t, 12, 2) * 60 + substr(t, 15, 2) - offset
      hour = int(minutes / 60); if (hour * 60 > minutes) hour--
      per_hour[hour]++; per_hour_of_day[(hour % 24 + 24) % 24]++
      if (!(hour in first_seen)) first_seen[hour] = NR
    }
    END {
      if (NR == 0) { print "no alerts"; exit }
      best = ""
      for (h in per_hour)
        if (best == "" || per_hour[h] > per_hour[best] || per_hour[h] == per_hour[best] && h + 0 < best + 0) best = h
      day = int(best / 24); if (day * 24 > best) day--
      printf "busiest hour: %s %02d:00 UTC, %d alerts\n", civil_from_days(day), best - day * 24, per_hour[best]
      best = ""
      for (h = 0; h < 24; h++) if (best == "" || per_hour_of_day[h] > per_hour_of_day[best]) best = h
      printf "busiest hour of the day: %02d:00-%02d:59 UTC, %d alerts in all\n", best, best, per_hour_of_day[best]
    }' "$tsv"
}

report() {
  local n top_n=${top:-10}
  n=$(wc -l < "$tsv")
  echo "Alerts: $n, servers: $(servers)"
  echo
  echo "Alerts per server$([ "$top_n" -gt 0 ] && echo " (top $top_n)"):"; per_server "$top_n"; echo
  echo "Alerts by severity and environment:"; severity_env; echo
  echo "Alerts by provider$([ "$top_n" -gt 0 ] && echo " (top $top_n)"):"; provider "$top_n"; echo
  echo "Alerts by application$([ "$top_n" -gt 0 ] && echo " (top $top_n)"):"; application "$top_n"; echo
  echo "Busiest hour:"; busiest_hour; echo
  echo "Critical alerts: $(critical | wc -l) (the 10 latest below; all: --critical)"
  critical | tail -n 10; echo
  echo "Alerts that are not INFO: $(non_info | wc -l) (all: --non-info)"
}

case $question in
  report) report ;;
  servers) servers ;;
  per-server) per_server "${top:-0}" ;;
  server) server_alerts ;;
  critical) critical ;;
  non-info) non_info ;;
  severity-env) severity_env ;;
  provider) provider "${top:-0}" ;;
  application) application "${top:-0}" ;;
  busiest-hour) busiest_hour ;;
  tsv) cat "$tsv" ;;
esac
[ "$skipped" -eq 0 ] || exit 1
