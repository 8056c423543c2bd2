"""The documentation holds together: every relative link of README.md and docs/*.md leads
to a file of the repository (and to a heading of it when it names one), nothing links
outside the repository, every project command shown in a ```sh block answers `--help`
(the files it names exist, `make` is given a real target), and the README stays a front
door, under 250 lines."""

import re
import shlex
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README_MAX_LINES = 250

FENCE = re.compile(r"^(```|~~~)")
LINK = re.compile(r"!?\[[^\]\n]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HTML_LINK = re.compile(r"<(?:img|a)\s[^>]*?(?:src|href)=\"([^\"]+)\"", re.I)
SCHEME = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//)", re.I)
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
SEPARATORS = {";", "&&", "||", "|", "&", "(", ")", "$(", "`"}
REPO_DIRS = ("api.py", "vigie/", "collector/", "site_builder/", "bench/", "scripts/", "systemd/", "tests/", "docs/")


def pages() -> list:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def outside_fences(text: str) -> list:
    """The lines outside fenced code blocks."""
    kept, fenced = [], False
    for line in text.splitlines():
        if FENCE.match(line.lstrip()):
            fenced = not fenced
        elif not fenced:
            kept.append(line)
    return kept


def prose(text: str) -> str:
    """The text outside fenced code blocks, with inline code spans blanked."""
    return "\n".join(re.sub(r"`[^`\n]*`", "``", line) for line in outside_fences(text))


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: its text without markup, lower case, punctuation
    dropped, spaces as hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)
    text = re.sub(r"[`*_~]|<[^>]+>", "", text).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(text: str) -> set:
    found, seen = set(), {}
    for line in outside_fences(text):
        match = HEADING.match(line)
        if not match:
            continue
        base = slug(match.group(2))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def links(text: str) -> list:
    body = prose(text)
    return LINK.findall(body) + HTML_LINK.findall(body)


def link_problems(files: list, root: Path) -> list:
    """Each link of `files` that leads nowhere, or outside `root`, as 'file: target: why'."""
    problems = []
    for page in files:
        text = page.read_text(encoding="utf-8")
        for target in links(text):
            where = f"{page.relative_to(root)}: {target}"
            if SCHEME.match(target):
                problems.append(f"{where}: points outside the repository")
                continue
            path, _, fragment = target.partition("#")
            dest = (page.parent / path).resolve() if path else page
            if root.resolve() not in (dest, *dest.parents):
                problems.append(f"{where}: points outside the repository")
            elif not dest.exists():
                problems.append(f"{where}: no such file")
            elif fragment and (dest.suffix != ".md" or fragment not in anchors(dest.read_text(encoding="utf-8"))):
                problems.append(f"{where}: no heading '#{fragment}' in {dest.name}")
    return problems


# ---- commands shown in ```sh blocks

def sh_lines(text: str) -> list:
    """The command lines of the ```sh blocks, continuation lines joined."""
    lines, block, pending = [], None, ""
    for line in text.splitlines():
        stripped = line.strip()
        if FENCE.match(stripped):
            block = None if block is not None else stripped.strip("`~").strip()
            continue
        if block not in ("sh", "bash", "shell", "console"):
            continue
        if stripped.endswith("\\") and not stripped.startswith("#"):
            pending += stripped[:-1] + " "
            continue
        lines.append(pending + stripped)
        pending = ""
    return [line for line in lines if line and not line.startswith("#")]


def simple_commands(line: str) -> list:
    """The simple commands of a shell line (split at ; && || | and parentheses), as words;
    a line shlex cannot read (an unclosed quote across lines of an example) gives none."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|()<>")
    lexer.whitespace_split = True
    lexer.commenters = "#"
    try:
        words = list(lexer)
    except ValueError:
        return []
    commands, current = [], []
    for word in words:
        if word in SEPARATORS or set(word) <= set(";&|()"):
            commands.append(current)
            current = []
        else:
            current.append(word)
    commands.append(current)
    return [c for c in commands if c]


def leading_words(words: list) -> list:
    """The words up to the first option or redirection: a command and its subcommand."""
    kept = []
    for word in words:
        if word.startswith("-") or set(word) & set("<>$"):
            break
        kept.append(word)
    return kept


def makefile_targets(makefile: Path) -> set:
    targets = set()
    for line in makefile.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([A-Za-z0-9_][A-Za-z0-9_ .-]*?)\s*:(?!=)", line)
        if match and not line.startswith("."):
            targets |= set(match.group(1).split())
    return targets


def entry_point(words: list):
    """('make', target), ('run', argv to run with --help, files it names) or None, for one
    simple command: python (any path to it, python3 too) -m MODULE or SCRIPT.py, api.py,
    bash SCRIPT, make TARGET."""
    while words and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[0]):
        words = words[1:]
    if not words:
        return None
    program, rest = words[0], words[1:]
    if program == "make":
        targets = [w for w in rest if not w.startswith("-") and "=" not in w]
        return ("make", targets[0] if targets else None)
    if re.search(r"(^|/)python3?$", program):
        if rest[:1] == ["-m"] and len(rest) > 1:
            head = leading_words(rest[1:])
            return ("run", [sys.executable, "-m", *head, "--help"], rest)
        if rest and rest[0].endswith(".py"):
            head = leading_words(rest)
            return ("run", [sys.executable, *head, "--help"], rest)
        return None
    if program.endswith(".py") and program.lstrip("./").startswith(REPO_DIRS):
        head = leading_words(words)
        return ("run", [sys.executable, *head, "--help"], words)
    if program == "bash" and rest and rest[0].startswith(REPO_DIRS):
        head = leading_words(rest)
        return ("run", ["bash", *head, "--help"], rest)
    return None


def named_files(words: list) -> list:
    """The words of a command that name a file of the repository (a script, a test file)."""
    return [w for w in words if w.lstrip("./").startswith(REPO_DIRS) and re.search(r"\.(py|sh|json|md)$", w)]


def doc_commands(files: list) -> tuple:
    """({argv: where}, [(where, make target)], [(where, file)]) of every ```sh block."""
    runs, makes, files_named = {}, [], []
    for page in files:
        for line in sh_lines(page.read_text(encoding="utf-8")):
            for words in simple_commands(line):
                found = entry_point(words)
                where = f"{page.name}: {line}"
                if found is None:
                    continue
                if found[0] == "make":
                    makes.append((where, found[1]))
                else:
                    runs.setdefault(tuple(found[1]), where)
                    files_named += [(where, f) for f in named_files(found[2])]
    return runs, makes, files_named


def run_help(argv: tuple) -> tuple:
    try:
        done = subprocess.run(list(argv), cwd=ROOT, capture_output=True, text=True, timeout=120,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return argv, None, "no answer within 120 s"
    return argv, done.returncode, (done.stderr or done.stdout)[-400:]


def command_problems(files: list, root: Path = ROOT) -> list:
    runs, makes, files_named = doc_commands(files)
    targets = makefile_targets(root / "Makefile")
    problems = [f"{where}: make {target or '(no target)'}: no such Makefile target"
                for where, target in makes if target not in targets]
    problems += [f"{where}: {name}: no such file" for where, name in files_named if not (root / name).exists()]
    with ThreadPoolExecutor(max_workers=2) as pool:
        for argv, code, output in pool.map(run_help, runs):
            if code != 0:
                shown = " ".join(["python" if a == sys.executable else a for a in argv])
                problems.append(f"{runs[argv]}: `{shown}` exits {code}: {output}")
    return problems


# ---- the repository's documentation

def test_every_link_of_the_docs_leads_to_a_file_and_heading_of_the_repository():
    assert link_problems(pages(), ROOT) == []


def test_the_readme_is_a_front_door_linking_every_topic_page():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) < README_MAX_LINES
    linked = {(ROOT / target.partition("#")[0]).resolve() for target in links(readme)}
    unlinked = [p.name for p in sorted((ROOT / "docs").glob("*.md")) if p.resolve() not in linked]
    assert unlinked == [], f"docs pages the README does not link to: {unlinked}"


@pytest.mark.slow
def test_every_project_command_of_the_docs_answers_help():
    runs, makes, _ = doc_commands(pages())
    assert len(runs) > 20 and len(makes) > 3    # the blocks were read
    assert command_problems(pages()) == []


# ---- the checks themselves, on literal pages

def write(root: Path, name: str, text: str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_broken_links_are_found(tmp_path):
    write(tmp_path, "docs/topic.md", "# Topic\n\n## The `make run` tour\n\ntext\n")
    readme = write(tmp_path, "README.md", "\n".join([
        "# Front", "## Quick start",
        "[good](docs/topic.md) [good anchor](docs/topic.md#the-make-run-tour) [here](#quick-start)",
        "[missing](docs/nope.md) [bad anchor](docs/topic.md#nowhere) [self](#no-such-heading)",
        "[outside](https://example.org/page) ![picture](../elsewhere.png)",
        '<img src="docs/missing.png" alt="x">',
        "```sh", "[not a link](in-code.md)", "```", "`[inline](code.md)`"]))
    problems = link_problems([readme], tmp_path)
    assert problems == [
        "README.md: docs/nope.md: no such file",
        "README.md: docs/topic.md#nowhere: no heading '#nowhere' in topic.md",
        "README.md: #no-such-heading: no heading '#no-such-heading' in README.md",
        "README.md: https://example.org/page: points outside the repository",
        "README.md: ../elsewhere.png: points outside the repository",
        "README.md: docs/missing.png: no such file",
    ]


def test_headings_give_githubs_anchors():
    assert slug("Trying it in `make run`") == "trying-it-in-make-run"
    assert slug("Endpoints, with curl") == "endpoints-with-curl"
    assert slug("Scale: a year of history, 100 to 1,000 switches of 48 ports") == \
        "scale-a-year-of-history-100-to-1000-switches-of-48-ports"
    assert anchors("# A\n## Tests\n### Tests\n```\n# not a heading\n```\n") == {"a", "tests", "tests-1"}


def test_commands_are_read_from_sh_blocks():
    text = "\n".join([
        "```sh",
        "make run RUN_ARGS=\"--port 8081\"   # a comment",
        "API=x; AUTH=\"-u admin:$(cat data/admin.password)\"",
        ".venv/bin/python api.py serve --port 0 \\",
        "    --workers 4",
        "TOKEN=$(curl -s x | python3 -c 'import json')",
        "VIGIE_CONFIG=a.toml python3 -m vigie config --template > data/vigie.toml",
        "bash collector/split_alerts.sh alerts.csv alertfiles/",
        "```",
        "```json", "{\"python -m not.this\": 1}", "```",
        "python -m nor.this outside a block"])
    found = [entry_point(words) for line in sh_lines(text) for words in simple_commands(line)]
    found = [f[:2] if f[0] == "run" else f for f in found if f]
    assert found == [
        ("make", "run"),
        ("run", [sys.executable, "api.py", "serve", "--help"]),
        ("run", [sys.executable, "-m", "vigie", "config", "--help"]),
        ("run", ["bash", "collector/split_alerts.sh", "alerts.csv", "alertfiles/", "--help"]),
    ]


@pytest.mark.slow
def test_commands_that_do_not_run_are_found(tmp_path):
    page = write(tmp_path, "docs/bad.md", "\n".join([
        "```sh",
        "make nosuchtarget",
        ".venv/bin/python -m vigie.nosuchmodule --flag",
        ".venv/bin/python bench/bench_nosuch.py --runs 3",
        "make run",
        "```"]))
    problems = command_problems([page])
    assert len(problems) == 4, problems
    assert any("make nosuchtarget: no such Makefile target" in p for p in problems)
    assert any("bench/bench_nosuch.py: no such file" in p for p in problems)
    assert any("vigie.nosuchmodule --help` exits 1" in p for p in problems)
    assert any("bench/bench_nosuch.py --help` exits 2" in p for p in problems)
