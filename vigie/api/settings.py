"""API settings: one table of defaults with a help line each.

A TOML file (`api.py serve --config FILE`) overrides the defaults, command-line
flags override the file. The result is a plain dict handed to make_app.
"""

import ipaddress
import re
import tomllib

from vigie import lifecycle, paths, safe_read
from vigie.notify import channels
from vigie.api import limits

# key: (default, type, help)
SETTINGS = {
    "host": ("127.0.0.1", str, "address to listen on"),
    "port": (8080, int, "TCP port to listen on (0: any free port, printed at start)"),
    "db": (str(paths.DB_PATH), str, "SQLite alerts database"),
    "www": (str(paths.WWW_DIR), str, "folder of the built site, served at /"),
    "machines": (str(paths.MACHINES_DIR), str, "folder of machines/<name>.json files"),
    "workers": (2, int, "gunicorn worker processes"),
    "threads": (4, int, "threads per worker for reads, and as many for writes (a request gets one once read whole)"),
    "connections": (1000, int, "most open client connections per worker"),
    "timeout": (30, int, "seconds before a stuck worker is restarted"),
    "header_seconds": (10.0, float, "a new connection's request headers must arrive within this time"),
    "body_seconds": (60.0, float, "a request body must arrive within this time (408 beyond)"),
    "busy_seconds": (5.0, float, "how long a write waits for another process's write lock (then 503, Retry-After)"),
    "anonymous_read": (False, bool, "let anonymous clients read alerts, stats, machines and the site"),
    "cors_origins": ([], list, "origins allowed to call the API from a browser (empty: CORS off)"),
    "max_body_bytes": (limits.MAX_BODY_BYTES, int, "largest request body accepted (413 above)"),
    "max_batch": (limits.MAX_BATCH, int, "most alerts in one POST /api/alert batch"),
    "page_size": (limits.PAGE_SIZE, int, "default page size of GET /api/alert"),
    "max_page_size": (limits.MAX_PAGE_SIZE, int, "largest limit accepted by GET /api/alert"),
    "secure_cookies": (False, bool, "session cookies only over HTTPS (on by itself for requests that came over "
                                    "HTTPS, through a proxy gunicorn trusts)"),
    "forwarded_allow_ips": (["127.0.0.1", "::1"], list, "proxies (addresses or networks, * for any) whose "
                            "X-Forwarded-For and X-Forwarded-Proto are believed: the client's address for the "
                            "login throttle, HTTPS for secure cookies (gunicorn's setting of that name)"),
    "session_hours": (12.0, float, "lifetime of a login (token and browser session)"),
    "token_days": (365, int, "default lifetime of tokens made by `api.py mktoken` or POST /api/token"),
    "access_log": (False, bool, "log every request (gunicorn access log)"),
    "samples": (str(paths.SAMPLES_DIR), str, "folder of the collector's samples (for /metrics and the percentiles)"),
    "logs": (str(paths.LOGS_DIR), str, "folder of device logs (GET /api/machine/<name>/log)"),
    "alertfiles": (str(paths.ALERTFILES_DIR), str, "the watcher's drop folder (its backlog in /metrics)"),
    "metrics_open": (False, bool, "let anyone read /metrics without a login (else: a viewer's token)"),
    "fingerprint_fields": (list(lifecycle.DEFAULT_FINGERPRINT_FIELDS), list,
                           "alert fields whose values make the default deduplication key (fingerprint), among "
                           + ", ".join(lifecycle.FINGERPRINT_CHOICES)),
    "flap_threshold": (5, int, "an alert that opens and resolves more than this many times within flap_window_minutes "
                               "is flapping"),
    "flap_window_minutes": (30, int, "the flapping window; a flapping alert calms down after this long without change"),
    "silence_max_days": (7.0, float, "longest silence an operator may make; one without an end, one longer than "
                                     "this, or one matching every alert needs an admin"),
    "channel_refused_networks": (list(channels.DEFAULT_REFUSED_NETWORKS), list,
                                 "networks no notification channel may send to (checked when a channel is saved, "
                                 "and by the notifier when a message leaves); link-local and cloud metadata "
                                 "addresses by default"),
    "channel_headers": (False, bool, "let channel URLs set HTTP headers (Apprise's +Header=value)"),
    "alertmanager_labels": ([], list, "POST /api/webhook/alertmanager: FIELD=label,label entries overriding which "
                                      "labels give server, application, environment, provider and severity"),
}
ALERTMANAGER_ENTRY = re.compile(r"\s*(server|application|environment|provider|severity)\s*=[^=]*\w[^=]*")
# Checks beyond the type: key -> function(value) returning an error text or None.
CHECKS = {
    "forwarded_allow_ips": lambda v: next((f"{entry!r} is not an address or a network" for entry in v
                                           if entry != "*" and not _network(entry)), None),
    "fingerprint_fields": lambda v: None if v and set(v) <= set(lifecycle.FINGERPRINT_CHOICES) else
    f"expected some of {', '.join(lifecycle.FINGERPRINT_CHOICES)}",
    "flap_threshold": lambda v: None if v >= 1 else "expected at least 1",
    "flap_window_minutes": lambda v: None if 1 <= v <= 7 * 24 * 60 else "expected 1 to 10080",
    "channel_refused_networks": lambda v: next((f"{entry!r} is not a network" for entry in v
                                                if not _network(entry)), None),
    "silence_max_days": lambda v: None if 0 < v <= 3660 else "expected more than 0 and at most 3660",
    "alertmanager_labels": lambda v: next((
        f"{entry!r}: expected FIELD=label,label with FIELD one of server, application, environment, provider, "
        "severity" for entry in v if not ALERTMANAGER_ENTRY.fullmatch(entry)), None),
}


def _network(text: str) -> bool:
    try:
        ipaddress.ip_network(text.strip(), strict=False)
        return True
    except ValueError:
        return False


class SettingsError(ValueError):
    pass


def defaults() -> dict:
    return {key: (list(value[0]) if isinstance(value[0], list) else value[0]) for key, value in SETTINGS.items()}


def coerce(key: str, value):
    if key not in SETTINGS:
        raise SettingsError(f"unknown setting {key!r}: expected one of {', '.join(SETTINGS)}")
    kind = SETTINGS[key][1]
    if kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("1", "true", "yes", "on", "0", "false", "no", "off"):
            return value.lower() in ("1", "true", "yes", "on")
        raise SettingsError(f"setting {key}: expected true or false, got {value!r}")
    if kind is list:
        if isinstance(value, str):
            return checked(key, [v.strip() for v in value.split(",") if v.strip()])
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return checked(key, value)
        raise SettingsError(f"setting {key}: expected a list of strings, got {value!r}")
    try:
        if kind is int and isinstance(value, float):
            raise ValueError
        value = kind(value)
    except (TypeError, ValueError):
        raise SettingsError(f"setting {key}: expected {kind.__name__}, got {value!r}") from None
    return checked(key, value)


def checked(key: str, value):
    problem = CHECKS[key](value) if key in CHECKS else None
    if problem:
        raise SettingsError(f"setting {key}: {problem}, got {value!r}")
    return value


def read_settings(path=None, overrides: dict = None) -> dict:
    """Defaults, then the TOML file at `path` (if any), then the non-None overrides."""
    settings = defaults()
    if path:
        try:
            data = tomllib.loads(safe_read.read_text(path, safe_read.SETTINGS_FILE_MAX, what="a settings file"))
        except (OSError, ValueError) as exc:
            if isinstance(exc, tomllib.TOMLDecodeError):
                raise SettingsError(f"{path}: {exc}") from None
            raise SettingsError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
        for key, value in data.items():
            settings[key] = coerce(key, value)
    for key, value in (overrides or {}).items():
        if value is not None:
            settings[key] = coerce(key, value)
    return settings


def describe() -> str:
    """The settings table as text, for `api.py settings`."""
    lines = []
    for key, (default, kind, text) in SETTINGS.items():
        lines.append(f"{key:16} {text} (default: {default!r})")
    return "\n".join(lines)
