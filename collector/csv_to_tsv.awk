# An alerts CSV as tab-separated values, one alert per line, for explore.sh and
# one-liners with cut, sort, uniq and grep: the header line is checked and
# dropped, quotes undone, line breaks and tabs inside values turned into spaces,
# values trimmed, severities spelled in full (severity.awk) and
# environments in lower case. Rows without 7 fields are named on stderr and
# skipped. Needs csv.awk and severity.awk; run under LC_ALL=C.

# One record from the shared reader (csv.awk): the header first, then the rows.
function csv_record(rec, n, first, last,    i, line, v, problem) {
  if (!HEADER_SEEN) {
    HEADER_SEEN = 1; problem = csv_header_problem(n)
    if (problem != "") { print PROG ": line 1: " problem > "/dev/stderr"; FATAL = 1; exit 2 }
    return
  }
  if (rec ~ /^[ \t]*$/) return
  if (n != 7) {
    SKIPPED++
    print PROG ": line " first (last > first ? "-" last : "") ": " (n < 0 ? CSV_ERROR : "expected 7 fields, found " n) ", skipped" > "/dev/stderr"
    return
  }
  for (i = 1; i <= 7; i++) {
    v = csv_clean(F[i]); gsub(/\t/, " ", v)
    if (i == 3 && tolower(v) in SEVERITY) v = SEVERITY[tolower(v)]
    if (i == 7) v = tolower(v)
    line = i == 1 ? v : line "\t" v
  }
  print line
}

BEGIN {
  csv_setup()
  if (!severity_load()) { print PROG ": " SEVERITY_ERROR > "/dev/stderr"; FATAL = 1; exit 2 }
}

{ csv_feed($0, NR) }

END {
  if (FATAL) exit 2
  csv_end()
  if (!HEADER_SEEN) { print PROG ": the file is empty: expected the header " CSV_HEADER > "/dev/stderr"; exit 2 }
}
