"""Alert severities: their names, their order and the spellings accepted.

Read from `severities.txt` beside this module, the file the awk tools read
too (collector/severity.awk), so Python, SQL, the pages and awk agree.
Everything else here is derived: the rank used to sort by gravity, the
alias table, the SQL CHECK and ORDER BY expressions.
"""

from pathlib import Path

DEFINITION = Path(__file__).with_name("severities.txt")


def parse_definition(text: str) -> tuple:
    """((NAME, (spelling, ...)), ...) most severe first, from the file's text."""
    entries = []
    for line in text.splitlines():
        words = line.split("#", 1)[0].split()
        if words:
            entries.append((words[0], tuple(words[1:])))
    return tuple(entries)


_ENTRIES = parse_definition(DEFINITION.read_text(encoding="utf-8"))

SEVERITIES = tuple(name for name, _ in _ENTRIES)  # most severe first
RANK = {name: len(SEVERITIES) - 1 - i for i, name in enumerate(SEVERITIES)}  # INFO 0 ... CRITICAL 3
ALIASES = {spelling.lower(): name for name, spellings in _ENTRIES for spelling in (name,) + spellings}
MOST_SEVERE = SEVERITIES[0]
LEAST_SEVERE = SEVERITIES[-1]


def in_words(names=SEVERITIES) -> str:
    """'CRITICAL, ERROR, WARNING or INFO'."""
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _sql_text(name: str) -> str:
    if not name.isalnum():  # the file is ours, but SQL text is built from it
        raise ValueError(f"severity name {name!r} must be letters and digits only")
    return f"'{name}'"


def sql_check(column: str = "severity") -> str:
    """The CHECK constraint body: severity IN ('CRITICAL',...)."""
    return f"{column} IN ({','.join(_sql_text(s) for s in SEVERITIES)})"


def sql_rank(column: str = "severity") -> str:
    """An SQL expression giving the rank (least severe 0), to sort by gravity."""
    cases = " ".join(f"WHEN {_sql_text(s)} THEN {RANK[s]}" for s in SEVERITIES)
    return f"CASE {column} {cases} END"
