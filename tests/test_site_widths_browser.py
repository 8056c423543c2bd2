"""Every page of the built site fits a phone (390 px) and a laptop (1366 px), in light and
dark mode, for an admin (whose navigation is the longest), in headless Chromium: the page
never scrolls sideways, and the columns a user reads first are on screen (the console's
Message on a phone; the last column of the console's and the machine page's tables at
1366 px, where they have room)."""

import pytest

from tests.support.browser import new_context, watched_page
from tests.support.full_site import MACHINE, admin_session, open_site_page, site_pages, start_full_site

pytestmark = pytest.mark.slow

PHONE, LAPTOP = 390, 1366

# The page's width beyond the window, and each header link's right edge
OVERFLOW = """() => ({width: document.documentElement.scrollWidth, window: document.documentElement.clientWidth,
  cut: Array.from(document.querySelectorAll('header.top a, header.top button, header.top input')).filter(e => {
    const r = e.getBoundingClientRect(); return r.width > 0 && r.right > document.documentElement.clientWidth + 0.5;
  }).map(e => e.textContent.trim() || e.id)})"""

# Whether a table's column (a 1-based index, -1 the last) is in the window and not
# hidden by its scroll box: its first row's cell (what is read, whether the table keeps
# its heading row or reflows) against the window and every ancestor that clips it; and,
# where asked, on the first screen, without scrolling down past the filters.
COLUMN_SHOWN = """([table, column, firstScreen]) => {
  const row = document.querySelector(table + ' tbody tr[data-id], ' + table + ' tbody tr[data-key]');
  const cell = row.children[column < 0 ? row.children.length + column : column - 1];
  const name = document.querySelectorAll(table + ' thead th')[cell.cellIndex].textContent.trim();
  const r = cell.getBoundingClientRect();
  if (r.width < 1 || getComputedStyle(cell).display === 'none') return name + ' not shown';
  if (firstScreen && r.top >= window.innerHeight) return name + ' below the first screen, at ' + Math.round(r.top) + ' px';
  let right = document.documentElement.clientWidth, left = 0;
  for (let n = cell.parentElement; n; n = n.parentElement) {
    if (getComputedStyle(n).overflowX !== 'visible') { const b = n.getBoundingClientRect();
      right = Math.min(right, b.right); left = Math.max(left, b.left); }
  }
  return (r.left >= left - 0.5 && r.right <= right + 0.5) ? 'shown' : name + ' cut: ' +
    Math.round(r.left) + '..' + Math.round(r.right) + ' in ' + Math.round(left) + '..' + Math.round(right);
}"""

ESSENTIAL = {PHONE: {"alerts.html": [("#alerts", "Message", True)]},
             LAPTOP: {"alerts.html": [("#alerts", -1, False)], f"machines/{MACHINE}.html": [("#interfaces", -1, False)]}}


def column_index(page, table, column):
    if isinstance(column, int):
        return column
    headings = page.eval_on_selector_all(table + " thead th", "ths => ths.map(t => t.textContent.trim())")
    return headings.index(column) + 1


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    server = start_full_site(tmp_path_factory.mktemp("widths"))
    yield server
    server.stop()


def page_problems(tab, site, path, width) -> list:
    wp = open_site_page(None, site, path, tab)
    page = wp.page
    problems = []
    found = page.evaluate(OVERFLOW)
    if found["width"] > found["window"]:
        problems.append(f"page {found['width']} px wide in {found['window']} px; past the edge: {found['cut']}")
    for table, column, first_screen in ESSENTIAL[width].get(path, []):
        shown = page.evaluate(COLUMN_SHOWN, [table, column_index(page, table, column), first_screen])
        if shown != "shown":
            problems.append(f"{table}: {shown}")
    assert wp.errors == [], f"{path}: {wp.errors}"
    return problems


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [PHONE, LAPTOP])
def test_every_page_fits_without_sideways_scroll(chromium, site, width, scheme):
    pages = site_pages(site.www_dir)
    assert {"index.html", "alerts.html", "silences.html", "reports.html", "devices.html", "users.html",
            "account.html", "map.html", "login.html", "notify.html", f"machines/{MACHINE}.html"} <= set(pages)
    problems = {}
    with new_context(chromium, width=width, height=844 if width == PHONE else 768, color_scheme=scheme) as context:
        admin_session(context, site)
        with watched_page(context) as tab:
            for path in pages:
                found = page_problems(tab, site, path, width)
                if found:
                    problems[path] = found
    assert problems == {}, f"at {width} px ({scheme}): {problems}"


# Each visible tick box or radio button in a label, and how far its middle is from the
# middle of the first line of its label's text (in px)
BOXES = """() => Array.from(document.querySelectorAll('label input[type=checkbox], label input[type=radio]')).filter(box => {
    const r = box.getBoundingClientRect(); return r.width > 0 && r.height > 0; }).map(box => {
  const label = box.closest('label'), walker = document.createTreeWalker(label, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.textContent.trim()) continue;
    const range = document.createRange(); range.selectNodeContents(node);
    const line = range.getClientRects()[0], b = box.getBoundingClientRect();
    if (!line) continue;
    return {text: label.textContent.trim().slice(0, 40), off: Math.abs((b.top + b.bottom) / 2 - (line.top + line.bottom) / 2),
            before: b.right <= line.left + 1};
  }
  return null;
}).filter(Boolean)"""


@pytest.mark.parametrize("width", [PHONE, LAPTOP])
def test_tick_boxes_sit_on_the_line_of_their_label(chromium, site, width):
    """A tick box or radio button is level with the first line of its label and before it."""
    askew = {}
    with new_context(chromium, width=width, height=900) as context:
        admin_session(context, site)
        with watched_page(context) as tab:
            for path in site_pages(site.www_dir):
                boxes = open_site_page(context, site, path, tab).page.evaluate(BOXES)
                bad = [f"{b['text']!r} {b['off']:.0f} px off" + ("" if b["before"] else ", after its text")
                       for b in boxes if b["off"] > 3 or not b["before"]]
                if bad:
                    askew[path] = bad
    assert askew == {}, f"at {width} px: {askew}"
