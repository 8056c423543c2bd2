# The alerts CSV reader shared by split_alerts.sh and explore.sh (RFC 4180,
# bytes in, bytes out: run under LC_ALL=C), so both read a file the same way.
#
# A caller calls csv_setup() in BEGIN, has the main rule { csv_feed($0, NR) },
# calls csv_end() first thing in END, and defines
#   csv_record(rec, n, first, last)
# called once per record, in order: rec is its text, n its number of fields
# (in F[1..n]) or -1 when it is not valid CSV (CSV_ERROR says why), first and
# last its line numbers. A BOM before the header is dropped; a CR before a line
# feed ends a CRLF line (inside quotes it belongs to the value). A quote left
# open costs only the line it opens on: that line alone is reported, then the
# lines after it are read again. csv_header_problem(n) checks the header.

function csv_setup() {
  # the characters Python's str.strip() removes, as UTF-8 byte sequences
  CSV_WS = "([ \t\v\f\034-\037]|\302[\205\240]|\341\232\200|\342\200[\200-\212\250\251\257]|\342\201\237|\343\200\200)"
  CSV_LEAD = "^" CSV_WS "+"; CSV_TRAIL = CSV_WS "+$"
  CSV_HEADER = "timestamp,server,severity,message,provider,application,environment"
  split(CSV_HEADER, CSV_FIELD, ",")
}

# One physical line: gather the lines of a record whose quotes are still open.
function csv_feed(line, nr,    q, n) {
  if (nr == 1 && substr(line, 1, 3) == "\357\273\277") line = substr(line, 4)
  if (CSV_NBUF == 0) { CSV_START = nr; CSV_REC = line; CSV_QUOTES = 0 } else CSV_REC = CSV_REC "\n" line
  CSV_BUF[++CSV_NBUF] = line; CSV_BUFNR[CSV_NBUF] = nr
  if (index(line, "\"")) { q = line; CSV_QUOTES += gsub(/"/, "", q) }
  if (CSV_QUOTES % 2) return
  sub(/\r$/, "", CSV_REC)
  n = csv_split(CSV_REC)
  if (n < 0 && nr > CSV_START) {
    # most likely a quote left open on the first line that swallowed the next
    # ones: report that line alone and read the following lines again
    csv_report_first(CSV_ERROR " (a quote opened on this line runs to line " nr ")")
  } else {
    CSV_NBUF = 0
    csv_record(CSV_REC, n, CSV_START, nr)
  }
}

# At the end of the input: a quote left open to the end of the file costs its line only.
function csv_end() {
  while (CSV_NBUF > 0) csv_report_first("a quoted field opened here is never closed")
}

# Report the first buffered line as not valid CSV, then read the others again.
function csv_report_first(reason,    n, i, lines, numbers, first) {
  n = CSV_NBUF; first = CSV_BUF[1]
  for (i = 2; i <= n; i++) { lines[i] = CSV_BUF[i]; numbers[i] = CSV_BUFNR[i] }
  sub(/\r$/, "", first)
  CSV_NBUF = 0; CSV_ERROR = reason
  csv_record(first, -1, CSV_START, CSV_START)
  for (i = 2; i <= n; i++) csv_feed(lines[i], numbers[i])
}

# Empty when the record just split (n fields in F) is the alerts header, else what is wrong.
function csv_header_problem(n,    i) {
  if (n < 0) return "the header: " CSV_ERROR
  if (n != 7) return "the header must be " CSV_HEADER
  for (i = 1; i <= 7; i++) if (csv_clean(F[i]) != CSV_FIELD[i]) return "the header must be " CSV_HEADER
  return ""
}

# Fields of one CSV record into F[1..n]; n, or -1 with CSV_ERROR set.
function csv_split(s,    n, pos, len, j, val, rest) {
  if (index(s, "\"") == 0) return split(s, F, ",")
  n = 0; pos = 1; len = length(s)
  while (1) {
    n++
    # spaces before an opening quote or after a closing one are tolerated
    rest = substr(s, pos)
    if (rest ~ /^[ \t]+"/) { match(rest, /^[ \t]+/); pos += RLENGTH }
    if (substr(s, pos, 1) == "\"") {
      val = ""; pos++
      while (1) {
        rest = substr(s, pos); j = index(rest, "\"")
        if (j == 0) { CSV_ERROR = "field " n " opens a quote that is never closed"; return -1 }
        val = val substr(rest, 1, j - 1); pos += j
        if (substr(s, pos, 1) != "\"") break
        val = val "\""; pos++
      }
      F[n] = val
      while (substr(s, pos, 1) == " " || substr(s, pos, 1) == "\t") pos++
      if (pos > len) return n
      if (substr(s, pos, 1) != ",") { CSV_ERROR = "unexpected text after the closing quote of field " n; return -1 }
      pos++
    } else {
      rest = substr(s, pos); j = index(rest, ",")
      val = j ? substr(rest, 1, j - 1) : rest
      if (index(val, "\"")) {
        CSV_ERROR = "stray quote in unquoted field " n " (quote the whole field and double the quotes inside)"
        return -1
      }
      F[n] = val
      if (!j) return n
      pos += j
    }
  }
}

# A value as the alert file holds it: line breaks become spaces, and the
# whitespace Python strips is stripped, so parse() gives back exactly this.
function csv_clean(v) {
  if (v ~ /[\r\n]/) { gsub(/\r\n/, " ", v); gsub(/[\r\n]/, " ", v) }
  # cheap one-byte looks first: the full patterns only when an end may be blank
  if (v ~ /^[ \t\v\f\034-\037\302\341-\343]/ && v ~ CSV_LEAD) sub(CSV_LEAD, "", v)
  if (v ~ /[ \t\v\f\034-\037\200-\277]$/ && v ~ CSV_TRAIL) sub(CSV_TRAIL, "", v)
  return v
}

