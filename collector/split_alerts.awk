# The splitter's awk program (see split_alerts.sh): checks every CSV row, writes
# one alert file per good row into TMP and prints its name once it is complete,
# names the bad rows on stderr, and writes "written present rejected" to
# TMP/.summary at the end. Needs csv.awk and severity.awk; run under LC_ALL=C.
# Input from the environment: SPLIT_OUT, SPLIT_TMP, SPLIT_ALSO, SPLIT_CSV;
# variables: MAXERR, PROG.

function fail(msg) { print PROG ": " CSVNAME ": " msg > "/dev/stderr"; FATAL = 1; exit 3 }

function reject(first, last, msg) {
  REJECTED++
  if (REJECTED <= MAXERR)
    print PROG ": " CSVNAME " line " first (last > first ? "-" last : "") ": " msg ", row skipped" > "/dev/stderr"
}

function shown(value) {
  gsub(/[\r\n]/, " ", value)
  return "'" (length(value) > 60 ? substr(value, 1, 57) "..." : value) "'"
}

function characters(v,    bytes) {
  bytes = length(v)
  return bytes - gsub(/[\200-\277]/, "", v)
}

function days_in_month(y, m) {
  if (m == 2) return (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) ? 29 : 28
  return (m == 4 || m == 6 || m == 9 || m == 11) ? 30 : 31
}

# Empty when the timestamp is one Python reads (ISO 8601 with an offset), else the reason.
function timestamp_problem(t,    y, mo, d, offset) {
  if (t !~ TS_RE) return "timestamp " shown(t) " is not ISO 8601 with an offset (e.g. 2026-11-22T10:15:03+00:00)"
  y = substr(t, 1, 4) + 0; mo = substr(t, 6, 2) + 0; d = substr(t, 9, 2) + 0
  if (y < 1000 || y > 9998) return "timestamp " shown(t) " has a year out of range"
  if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo)) return "timestamp " shown(t) " is not a real date"
  if (substr(t, 12, 2) + 0 > 23 || substr(t, 15, 2) + 0 > 59 || (substr(t, 17, 1) == ":" && substr(t, 18, 2) + 0 > 59))
    return "timestamp " shown(t) " is not a real time of day"
  offset = substr(t, 12)
  if (match(offset, /[+-]/)) {
    offset = substr(offset, RSTART + 1); gsub(/:/, "", offset)
    if (substr(offset, 1, 2) + 0 > 23 || substr(offset, 3, 2) + 0 > 59) return "timestamp " shown(t) " has an offset out of range"
  }
  return ""
}

# 2026-11-22T10:15:03+00:00 -> 20261122T101503 (the time as written, for people to read)
function compact_time(t,    day, time) {
  day = substr(t, 1, 10); gsub(/-/, "", day)
  time = substr(t, 12, 8)
  if (substr(time, 6, 1) != ":") time = substr(time, 1, 5) ":00"
  gsub(/:/, "", time)
  return day "T" time
}

# A polynomial hash of the row (base 31, modulo the prime 2^31-1), four bytes
# per step: exact in awk's doubles and cheap enough for a million rows.
function hash(s,    n, i, h) {
  n = split(s, CH, ""); h = n
  for (i = 1; i <= n; i += 4)
    h = ((((h * 31 + ORD[CH[i]]) * 31 + ORD[CH[i + 1]]) * 31 + ORD[CH[i + 2]]) * 31 + ORD[CH[i + 3]]) % 2147483647
  return sprintf("%08x", h)
}

function exists(path,    line, found) {
  found = (getline line < path) >= 0
  if (found) close(path)
  return found
}

function already_there(name,    i) {
  if (exists(OUT "/" name)) return 1
  for (i = 1; i <= NALSO; i++) if (exists(ALSODIR[i] "/" name)) return 1
  return 0
}

# One record from the shared reader (csv.awk): the header first, then the rows.
function csv_record(rec, n, first, last,    i, v, key, name, file, problem) {
  if (!HEADER_SEEN) {
    HEADER_SEEN = 1; problem = csv_header_problem(n)
    if (problem != "") fail("line 1: " problem " (found " shown(rec) "); nothing written")
    return
  }
  if (rec ~ /^[ \t]*$/) return
  if (n < 0) { reject(first, last, CSV_ERROR); return }
  if (n != 7) { reject(first, last, "expected 7 fields, found " n); return }
  if (rec ~ /[\200-\377]/) {
    v = rec; gsub(UTF8, "", v)
    if (v ~ /[\200-\377]/) { reject(first, last, "not valid UTF-8"); return }
  }
  for (i = 1; i <= 7; i++) {
    V[i] = csv_clean(F[i])
    if (length(V[i]) > 2000 && characters(V[i]) > 2000) { reject(first, last, CSV_FIELD[i] " is longer than 2000 characters"); return }
  }
  problem = timestamp_problem(V[1])
  if (problem != "") { reject(first, last, problem); return }
  if (V[2] == "") { reject(first, last, "server is empty"); return }
  if (!(tolower(V[3]) in SEVERITY)) { reject(first, last, "unknown severity " shown(V[3]) ": expected " SEVERITY_WORDS); return }
  V[3] = SEVERITY[tolower(V[3])]
  if (V[4] == "") { reject(first, last, "message is empty"); return }

  key = V[1]; for (i = 2; i <= 7; i++) key = key "\037" V[i]
  name = V[2]; gsub(/[^A-Za-z0-9._-]/, "_", name)
  name = compact_time(V[1]) "_" substr(name, 1, 40) "_" hash(key)
  n = ++SEEN[name]
  if (n > 1) name = name "-" n
  name = name ".txt"
  if (already_there(name)) { PRESENT++; return }
  file = TMP "/" name
  printf "Date : %s\nServeur : %s\nCriticit\303\251 : %s\nMessage : %s\nInfogerant : %s\nApplication : %s\nEnvironnement : %s\n", \
    V[1], V[2], V[3], V[4], V[5], V[6], V[7] > file
  close(file)
  print name   # complete: the shell may rename it into place now
  WRITTEN++
}

BEGIN {
  for (i = 1; i < 256; i++) ORD[sprintf("%c", i)] = i
  ORD[""] = 0
  csv_setup()
  UTF8 = "([\302-\337][\200-\277]|\340[\240-\277][\200-\277]|[\341-\354\356\357][\200-\277][\200-\277]|\355[\200-\237][\200-\277]|\360[\220-\277][\200-\277][\200-\277]|[\361-\363][\200-\277][\200-\277][\200-\277]|\364[\200-\217][\200-\277][\200-\277])"
  D = "[0-9]"
  TS_RE = "^" D D D D "-" D D "-" D D "[T ]" D D ":" D D "(:" D D "([.,]" D D "?" D "?" D "?" D "?" D "?)?)?([Zz]|[+-]" D D "(:?" D D ")?)$"
  OUT = ENVIRON["SPLIT_OUT"]; TMP = ENVIRON["SPLIT_TMP"]; CSVNAME = ENVIRON["SPLIT_CSV"]
  # accepted spellings (any case, French too) -> the one written
  if (!severity_load()) fail(SEVERITY_ERROR)
  ALSO = ENVIRON["SPLIT_ALSO"]; sub(/\n$/, "", ALSO)
  NALSO = ALSO == "" ? 0 : split(ALSO, ALSODIR, "\n")
  WRITTEN = PRESENT = REJECTED = 0
}

{ csv_feed($0, NR) }

END {
  if (FATAL) exit 3
  csv_end()
  if (!HEADER_SEEN) fail("the file is empty: expected the header " CSV_HEADER)
  if (REJECTED > MAXERR) print PROG ": " CSVNAME ": " REJECTED - MAXERR " more rejected rows not shown" > "/dev/stderr"
  print WRITTEN, PRESENT, REJECTED > (TMP "/.summary")
}
