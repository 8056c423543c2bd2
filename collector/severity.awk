# Alert severities for the awk tools, read from vigie/severities.txt, the one
# definition Python reads too. The calling script exports its path as
# VIGIE_SEVERITIES. severity_load() fills
#   SEVERITY[spelling]   the severity's name for every accepted spelling (lower case)
#   SEVERITY_NAME[1..SEVERITY_COUNT]   the names, most severe first
#   SEVERITY_WORDS       "CRITICAL, ERROR, WARNING or INFO"
# and returns 1, or 0 when the file cannot be read (SEVERITY_ERROR says why).

function severity_load(    path, line, n, w, i, status) {
  path = ENVIRON["VIGIE_SEVERITIES"]
  if (path == "") { SEVERITY_ERROR = "VIGIE_SEVERITIES is not set"; return 0 }
  SEVERITY_COUNT = 0
  while ((status = (getline line < path)) > 0) {
    sub(/#.*/, "", line)
    n = split(line, w, " ")
    if (n == 0) continue
    SEVERITY_NAME[++SEVERITY_COUNT] = w[1]
    for (i = 1; i <= n; i++) SEVERITY[tolower(w[i])] = w[1]
  }
  if (status < 0 || SEVERITY_COUNT == 0) { SEVERITY_ERROR = "cannot read the severities from " path; return 0 }
  close(path)
  SEVERITY_WORDS = SEVERITY_NAME[1]
  for (i = 2; i <= SEVERITY_COUNT; i++) SEVERITY_WORDS = SEVERITY_WORDS (i < SEVERITY_COUNT ? ", " : " or ") SEVERITY_NAME[i]
  return 1
}
