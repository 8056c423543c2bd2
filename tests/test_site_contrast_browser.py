"""Every page of the built site reads well in light and dark mode (headless Chromium):
each visible piece of text, the search box's suggestions open, has the contrast WCAG AA
asks against what is behind it (4.5:1, 3:1 for large text), computed from the styles the
browser applied."""

import pytest

from tests.support.browser import new_context, watched_page
from tests.support.full_site import admin_session, open_site_page, site_pages, start_full_site

pytestmark = pytest.mark.slow

# Every element with text of its own, visible and enabled (WCAG exempts disabled controls),
# with its text colour and the colour behind it: the backgrounds of it and its ancestors
# laid over one another up to the first opaque one (the canvas, white, under them all).
TEXTS = """() => {
  const rgba = c => { const n = (c.match(/[\\d.]+/g) || []).map(Number); return n.length === 3 ? n.concat(1) : n; };
  const over = (top, under) => { const a = top[3] + under[3] * (1 - top[3]);
    return a === 0 ? [0, 0, 0, 0] : [0, 1, 2].map(i => (top[i] * top[3] + under[i] * under[3] * (1 - top[3])) / a).concat(a); };
  const behind = e => { let layers = [];
    for (let n = e; n; n = n.parentElement) { const c = rgba(getComputedStyle(n).backgroundColor);
      if (c[3] > 0) { layers.push(c); if (c[3] >= 1) break; } }
    return layers.reverse().reduce((under, top) => over(top, under), [255, 255, 255, 1]); };
  const own = e => Array.from(e.childNodes).some(n => n.nodeType === 3 && n.textContent.trim());
  const shown = e => { const r = e.getBoundingClientRect(), s = getComputedStyle(e);
    return r.width > 0 && r.height > 0 && s.visibility === 'visible' && parseFloat(s.opacity) > 0; };
  return Array.from(document.querySelectorAll('body *')).filter(e => !e.closest('svg, script, style, option')
      && own(e) && shown(e) && !e.disabled && !e.closest('[disabled]')).map(e => {
    const s = getComputedStyle(e), bg = behind(e), fg = over(rgba(s.color), bg);
    return {what: e.tagName + (e.id ? '#' + e.id : '') + (typeof e.className === 'string' && e.className ? '.' + e.className.split(' ').join('.') : ''),
            text: e.textContent.trim().slice(0, 40), fg, bg, size: parseFloat(s.fontSize), bold: parseInt(s.fontWeight) >= 700};
  });
}"""


def luminance(rgb) -> float:
    """WCAG 2 relative luminance of an sRGB colour (0-255 channels)."""
    def linear(c):
        c = c / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (linear(c) for c in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(fg, bg) -> float:
    light, dark = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def needed(text) -> float:
    """AA: 3:1 for large text (24 px, or 18.66 px bold), 4.5:1 for the rest."""
    large = text["size"] >= 24 or (text["bold"] and text["size"] >= 18.66)
    return 3.0 if large else 4.5


def test_contrast_of_literal_colours():
    assert contrast([0, 0, 0], [255, 255, 255]) == pytest.approx(21)
    assert contrast([223, 232, 245], [255, 255, 255]) < 1.3   # the header's link colour on a white panel
    assert contrast([27, 31, 36], [255, 255, 255]) > 15


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    server = start_full_site(tmp_path_factory.mktemp("contrast"))
    yield server
    server.stop()


def open_search(page):
    """Type into the header's search box, when the page has one, so its suggestions show."""
    if page.is_visible("#search-input"):
        page.fill("#search-input", "core")
        page.wait_for_selector("#search-results:not([hidden]) a")


def faint_texts(tab, site, path) -> list:
    wp = open_site_page(None, site, path, tab)
    open_search(wp.page)
    texts = wp.page.evaluate(TEXTS)
    assert texts, f"no text found on {path}"
    return [f"{t['what']} {t['text']!r}: {contrast(t['fg'], t['bg']):.2f}" for t in texts
            if contrast(t["fg"], t["bg"]) < needed(t)]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_page_has_readable_text(chromium, site, scheme):
    faint = {}
    with new_context(chromium, width=1366, height=900, color_scheme=scheme) as context:
        admin_session(context, site)
        with watched_page(context) as tab:
            for path in site_pages(site.www_dir):
                found = faint_texts(tab, site, path)
                if found:
                    faint[path] = found[:8]
    assert faint == {}, f"text under 4.5:1 (3:1 large) in {scheme} mode: {faint}"
