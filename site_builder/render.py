"""Render stage: the Jinja2 environment (autoescaping on for every template),
the display filters, and the Content-Security-Policy the pages carry.

Pages hold no inline script: data for the scripts travels in
<script type="application/json"> blocks, which browsers never execute and
which `json_data` escapes so no value can close the block.
"""

import functools
import json
from pathlib import Path
from urllib.parse import urlsplit

import jinja2
from markupsafe import Markup

from vigie import units
from vigie.units import MISSING

TEMPLATES_DIR = Path(__file__).with_name("templates")

_JSON_ESCAPES = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026",
                 0x2028: "\\u2028", 0x2029: "\\u2029"}


def json_data(value) -> Markup:
    """JSON safe inside a <script type="application/json"> element."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return Markup(text.translate(_JSON_ESCAPES))


def percent(value) -> str:
    return MISSING if value is None else f"{value:.1f} %"


def content_security_policy(api_url: str = "") -> str:
    """Scripts and data only from this site (and the API's origin when it is elsewhere).
    Inline styles are allowed because Plotly positions its SVG with style attributes."""
    connect = "'self'"
    if api_url:
        parts = urlsplit(api_url)
        if parts.scheme in ("http", "https") and parts.netloc:
            connect += f" {parts.scheme}://{parts.netloc}"
    return ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            f"connect-src {connect}; font-src 'self'; base-uri 'none'; form-action 'self'")


_CONTROLS = {c: "\ufffd" for c in list(range(0x20)) + [0x7F] if chr(c) not in "\t\n\r"}


def no_controls(value):
    """Every value written into a page: NUL and the other control characters (which
    HTML does not allow) shown as U+FFFD, as a browser shows a character it cannot."""
    if isinstance(value, Markup):  # already safe HTML (json_data): stays so, minus the controls
        return Markup(str.translate(value, _CONTROLS))
    return value.translate(_CONTROLS) if isinstance(value, str) else value


@functools.cache
def make_environment() -> jinja2.Environment:
    """The environment every build renders with, made once a process: the templates are
    compiled at their first use and kept (and compiled again if their file changes)."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True,
                             keep_trailing_newline=True, finalize=no_controls)
    env.filters.update(json_data=json_data, bps=units.bits_per_second, bytes=units.byte_count, duration=units.duration, percent=percent,
                       measure=units.measure)
    return env


def render(env: jinja2.Environment, template: str, context: dict) -> bytes:
    return env.get_template(template).render(**context).encode("utf-8")
