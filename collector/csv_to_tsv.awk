# An alerts CSV as tab-separated values, one alert per line, for explore.sh and
# one-liners with cut, sort, uniq and grep: the header line is checked and
# dropped, quotes undone, line breaks and tabs inside values turned into spaces,
# values trimmed, severities spelled in full (severity.awk) and
# environments in lower case. Rows without 7 fields are named on stderr and
# skipped. Needs csv.awk and severity.awk; run under LC_ALL=C.

function emit(rec, first, last,    n, i, line, v) {
  if (!HEADER_SEEN) {
    HEADER_SEEN = 1
    if (substr(rec, 1, 3) == "\357\273\277") rec = substr(rec, 4)
    if (rec != HEADER) { print PROG ": line 1: the header must be " HEADER > "/dev/stderr"; FATAL = 1; exit 2 }
    return
  }
  if (rec ~ /^[ \t]*$/) return
  n = csv_split(rec)
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
  HEADER = "timestamp,server,severity,message,provider,application,environment"
  if (!severity_load()) { print PROG ": " SEVERITY_ERROR > "/dev/stderr"; FATAL = 1; exit 2 }
}

{
  if (NBUF == 0) { START = NR; REC = $0; QUOTES = 0 } else REC = REC "\n" $0
  NBUF++
  if (index($0, "\"")) { q = $0; QUOTES += gsub(/"/, "", q) }
  if (QUOTES % 2 == 0) { sub(/\r$/, "", REC); emit(REC, START, NR); NBUF = 0 }
}

END {
  if (FATAL) exit 2
  if (NBUF > 0) { SKIPPED++; print PROG ": line " START ": a quoted field opened here is never closed, skipped the rest" > "/dev/stderr" }
  if (!HEADER_SEEN) { print PROG ": the file is empty: expected the header " HEADER > "/dev/stderr"; exit 2 }
}
