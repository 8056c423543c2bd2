# CSV reading shared by split_alerts.sh and explore.sh (RFC 4180, bytes in,
# bytes out: run under LC_ALL=C). Callers set up the whitespace patterns with
# csv_setup() in BEGIN.

function csv_setup() {
  # the characters Python's str.strip() removes, as UTF-8 byte sequences
  CSV_WS = "([ \t\v\f\034-\037]|\302[\205\240]|\341\232\200|\342\200[\200-\212\250\251\257]|\342\201\237|\343\200\200)"
  CSV_LEAD = "^" CSV_WS "+"; CSV_TRAIL = CSV_WS "+$"
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

