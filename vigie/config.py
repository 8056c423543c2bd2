"""Vigie's configuration: one table of every setting, one file, the same rules for every command.

`SECTIONS` below is the only place a setting is defined: its default, its type, a
line of help, the checks its value must pass. A TOML file overrides the defaults,
section by section (`[paths]`, `[api]`, `[poll]`...); an environment variable a
setting names overrides the file; a command's flags override everything, for one
run. `load` returns a `Config` holding every value and where it came from, which the
command passes on explicitly; `describe` prints it (`python -m vigie config`).

Which file: `--config FILE`, else `$VIGIE_CONFIG` (empty: none, the defaults), else in
a checkout (the folder holding pyproject.toml) `data/vigie.toml` when it exists, and in
an installed copy `/etc/vigie/vigie.toml`, which must exist (systemd/install.sh
writes it). Relative paths in a file are taken from the file's folder.

A new command declares its section by adding an entry to `SECTIONS` (a `Section`
of `setting(...)` entries), and its flags with `add_options(parser, flags)`; docs/
configuration.md is generated from the table (`python -m vigie config --markdown`).
"""

import argparse
import difflib
import functools
import os
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from vigie import addresses, device_log, lifecycle, machines, paths, safe_read, topology
from vigie.shard import ShardError, parse_shard
from vigie.errors import nearest

ENV_FILE = "VIGIE_CONFIG"
INSTALLED_FILE = Path("/etc/vigie/vigie.toml")
CHECKOUT_FILE = paths.DATA_DIR / "vigie.toml"
MASK = "********"


class ConfigError(ValueError):
    """A configuration that cannot be used; the message names the file (or flag) and the key."""


@dataclass(frozen=True)
class Derived:
    """A default computed from other settings, e.g. a folder under `paths.data`."""
    text: str            # how the default is made, for people
    make: object         # function(values: {section: {key: value}}) -> value


@dataclass(frozen=True)
class Setting:
    default: object
    kind: type           # str, int, float, bool, list (of strings) or Path (stored as text)
    help: str
    check: object = None  # function(value) -> None, or what the value must be ("at least 1")
    secret: bool = False  # never printed, never quoted in an error
    env: str = None      # an environment variable that overrides the file


@dataclass(frozen=True)
class Section:
    help: str
    settings: dict = field(default_factory=dict)


setting = Setting


# --------------------------------------------------------------------- checks

def at_least(low):
    return lambda v: None if v >= low else "0 or more" if low == 0 else f"at least {low}"


def above(low):
    return lambda v: None if v > low else f"more than {low}"


def between(low, high):
    return lambda v: None if low <= v <= high else f"between {low} and {high}"


def port(v):
    return between(0, 65535)(v)


def networks(entries, also=()):
    """None when every entry is an address or a network (or one of `also`), else what it must be."""
    for entry in entries:
        if entry in also:
            continue
        try:
            addresses.network(entry)
        except ValueError:
            return f"addresses or networks{' or ' + ', '.join(also) if also else ''} (not {entry!r})"
    return None


def some_of(choices):
    return lambda v: None if v and set(v) <= set(choices) else f"some of {', '.join(choices)}"


ALERTMANAGER_FIELDS = ("server", "application", "environment", "provider", "severity")


def alertmanager_entries(entries):
    for entry in entries:
        name, sep, labels = entry.partition("=")
        if not sep or name.strip() not in ALERTMANAGER_FIELDS or not any(c.isalnum() or c == "_" for c in labels) \
                or "=" in labels:
            return (f"FIELD=label,label entries with FIELD one of {', '.join(ALERTMANAGER_FIELDS)} "
                    f"(not {entry!r})")
    return None


def shard(v):
    try:
        return None if v == "" or parse_shard(v) else None
    except ShardError:
        return "K/N with 1 <= K <= N, e.g. 1/2, or empty"


def machine_names(v):
    problem = next((machines.name_problem(name) for name in v if machines.name_problem(name)), None)
    return f"machine names ({problem})" if problem else None


def syslog_severity(v):
    try:
        return None if v.lower() == "none" or device_log.normalize_severity(v) else None
    except device_log.DeviceLogError:
        return f"a syslog severity ({', '.join(device_log.SEVERITIES)}) or none"


def under_data(name):
    return Derived(f"paths.data/{name}", lambda values: str(Path(values["paths"]["data"]) / name))


def beside_samples(name):
    """Beside the samples folder, so that a command given its own samples folder keeps there."""
    return Derived(f"{name} beside paths.samples", lambda values: str(Path(values["paths"]["samples"]).parent / name))


def api_url(values):
    host, port_ = values["api"]["host"], values["api"]["port"]
    host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    return f"http://{f'[{host}]' if ':' in host else host}:{port_}"


# ---------------------------------------------------------------------- table

LOG_LIMITS = device_log.Limits()

SECTIONS = {
    "paths": Section("Folders and files every part shares. Those under `data` move with it unless set.", {
        "data": setting(str(paths.DATA_DIR), Path, "the data folder: database, samples, device logs, heartbeats"),
        "machines": setting(str(paths.MACHINES_DIR), Path, "folder of machine files (<name>.json)"),
        "alertfiles": setting(str(paths.ALERTFILES_DIR), Path, "drop folder of alert files, read by the watcher"),
        "www": setting(str(paths.WWW_DIR), Path, "the built web site, served by the API at /"),
        "db": setting(under_data("vigie.db"), Path, "the SQLite alerts database"),
        "samples": setting(under_data("samples"), Path, "the collector's samples, one file and folder per machine"),
        "logs": setting(under_data("logs"), Path, "device logs (syslog and traps), one file per machine"),
        "heartbeat": setting(under_data("heartbeat"), Path, "where the parts record that they are alive "
                             "(empty: no heartbeats)", env="VIGIE_HEARTBEAT_DIR"),
        "topology": setting(Derived("topology.json beside paths.samples",
                                    lambda values: str(topology.path_beside(values["paths"]["samples"]))),
                            Path, "the network's topology (LLDP, CDP and the "
                            "machine files' links), written by the discovery and the collector"),
        "discovery": setting(beside_samples("discovery"), Path, "the discoveries run from the Devices page, one "
                             "folder each (the machine files they propose, mode 0600)"),
    }),
    "api": Section("The REST API and web site (`api.py serve`).", {
        "host": setting("127.0.0.1", str, "address to listen on"),
        "port": setting(8080, int, "TCP port to listen on (0: any free port, printed at start)", port),
        "url": setting(Derived("http://api.host:api.port", api_url), str,
                       "the API's base URL for the other parts (watcher, notifier links)"),
        "workers": setting(2, int, "gunicorn worker processes", at_least(1)),
        "threads": setting(4, int, "threads per worker for reads, and as many for writes (a request gets one "
                                   "once read whole)", at_least(1)),
        "connections": setting(1000, int, "most open client connections per worker", at_least(1)),
        "timeout": setting(30, int, "seconds before a stuck worker is restarted", at_least(1)),
        "header_seconds": setting(10.0, float, "a new connection's request headers must arrive within this time",
                                  above(0)),
        "body_seconds": setting(60.0, float, "a request body must arrive within this time (408 beyond)", above(0)),
        "busy_seconds": setting(5.0, float, "how long a write waits for another process's write lock (then 503, "
                                            "Retry-After)", above(0)),
        "anonymous_read": setting(False, bool, "let anonymous clients read alerts, stats, machines and the site"),
        "cors_origins": setting([], list, "origins allowed to call the API from a browser (empty: CORS off)"),
        "max_body_bytes": setting(8 * 1024 * 1024, int, "largest request body accepted (413 above)", at_least(1024)),
        "max_batch": setting(10000, int, "most alerts in one POST /api/alert batch", at_least(1)),
        "page_size": setting(100, int, "default page size of GET /api/alert", at_least(1)),
        "max_page_size": setting(1000, int, "largest limit accepted by GET /api/alert", at_least(1)),
        "secure_cookies": setting(False, bool, "session cookies only over HTTPS (on by itself for requests that "
                                               "came over HTTPS, through a proxy gunicorn trusts)"),
        "forwarded_allow_ips": setting(["127.0.0.1", "::1"], list, "proxies (addresses or networks, * for any) "
                                       "whose X-Forwarded-For and X-Forwarded-Proto are believed: the client's "
                                       "address for the login throttle, HTTPS for secure cookies (gunicorn's "
                                       "setting of that name)", lambda v: networks(v, also=("*",))),
        "password_cost": setting(14, int, "scrypt cost of the password hashes made from now on, as log2 of N: at "
                                          "14 a check takes about 50 ms of CPU and 16 MiB, each step up doubles "
                                          "both; hashes made at another cost keep theirs",
                                 between(10, 16)),
        "session_hours": setting(12.0, float, "lifetime of a login (token and browser session)", above(0)),
        "token_days": setting(365, int, "default lifetime of tokens made by `api.py mktoken` or POST /api/token",
                              at_least(1)),
        "access_log": setting(False, bool, "log every request (gunicorn access log)"),
        "metrics_open": setting(False, bool, "let anyone read /metrics without a login (else: a viewer's token)"),
        "fingerprint_fields": setting(
            list(lifecycle.DEFAULT_FINGERPRINT_FIELDS), list,
            "alert fields whose values make the default deduplication key (fingerprint), among "
            + ", ".join(lifecycle.FINGERPRINT_CHOICES), some_of(lifecycle.FINGERPRINT_CHOICES)),
        "flap_threshold": setting(5, int, "an alert that opens and resolves more than this many times within "
                                          "flap_window_minutes is flapping", at_least(1)),
        "flap_window_minutes": setting(30, int, "the flapping window; a flapping alert calms down after this long "
                                                "without change", between(1, 7 * 24 * 60)),
        "silence_max_days": setting(7.0, float, "longest silence an operator may make; one without an end, one "
                                                "longer than this, or one matching every alert needs an admin",
                                    lambda v: None if 0 < v <= 3660 else "more than 0 and at most 3660"),
        "channel_refused_networks": setting(["169.254.0.0/16", "fe80::/10", "fd00:ec2::254/128",
                                             "100.100.100.200/32"], list,
                                            "networks no notification channel may send to (checked when a channel "
                                            "is saved, and by the notifier when a message leaves); link-local and "
                                            "cloud metadata addresses by default", networks),
        "channel_headers": setting(False, bool, "let channel URLs set HTTP headers (Apprise's +Header=value)"),
        "discovery_networks": setting([], list, "the only networks the Devices page's discovery may probe, as "
                                                "CIDRs (empty: that discovery is off)", networks),
        "alertmanager_labels": setting([], list, "POST /api/webhook/alertmanager: FIELD=label,label entries "
                                                 "overriding which labels give server, application, environment, "
                                                 "provider and severity", alertmanager_entries),
    }),
    "poll": Section("The SNMP collector (`python -m collector.poll`).", {
        "concurrency": setting(32, int, "machines polled at the same time", at_least(1)),
        "rescan_seconds": setting(30.0, float, "seconds between reads of the machines folder", above(0)),
        "shard": setting("", str, "poll only shard K/N of the machines (several collectors sharing one folder)",
                         shard),
        "capacity_days": setting(7.0, float, "a WARNING when a storage will be full in fewer days than this at the "
                                             "trend of its last week (least squares over its daily averages); 0 turns "
                                             "it off; a machine file's health_thresholds (\"storage\" or one storage) "
                                             "may set its own \"days\"", between(0, 3650)),
    }),
    "discover": Section("The network discovery (`python -m collector.discover`, and the Devices page's).", {
        "max_sweep_prefix": setting(20, int, "the largest sweep without --yes, as a prefix length: a /20 is 4,096 "
                                             "addresses", between(8, 32)),
        "rate": setting(100.0, float, "probes started per second, at most", at_least(0.1)),
        "timeout_seconds": setting(1.0, float, "seconds to wait for a device's answer", above(0)),
        "retries": setting(1, int, "SNMP retries after a timeout", between(0, 10)),
        "max_devices": setting(1000, int, "devices found at most; those past it are listed as skipped",
                               at_least(1)),
        "max_in_flight": setting(4096, int, "addresses asked at the same time, at most (the pace sets how many "
                                            "below that)", at_least(1)),
    }),
    "watch": Section("The watcher, which posts alert files to the API (`python -m collector.watch`).", {
        "token_file": setting(under_data("watcher.token"), Path,
                              "file holding an operator token; when this is left to its default, $VIGIE_TOKEN or "
                              "the systemd credential watcher.token come first"),
        "batch_size": setting(500, int, "alerts per POST /api/alert", at_least(1)),
        "batch_bytes": setting(4 * 1024 * 1024, int, "most bytes of JSON per POST /api/alert; keep it under the "
                                                     "API's max_body_bytes", at_least(1024)),
        "keep_days": setting(7.0, float, "days to keep ingested files in done/; 0 deletes them once the API has "
                                         "them", at_least(0)),
        "rescan_seconds": setting(10.0, float, "daemon: seconds between full rescans of the folder", at_least(0.1)),
        "settle_seconds": setting(1.0, float, "seconds a file must be left untouched before a scan takes it, when "
                                              "it cannot be told whether a writer still has it open", at_least(0)),
        "timeout_seconds": setting(30.0, float, "HTTP timeout", at_least(0)),
        "max_backoff_seconds": setting(30.0, float, "longest wait between retries while the API is unavailable",
                                       at_least(0)),
    }),
    "notify": Section("The notifier (`python -m vigie.notify`).", {
        "site_url": setting(Derived("api.url", lambda values: values["api"]["url"]), str,
                            "address of the site, for the links in messages"),
        "stale_minutes": setting(10.0, float, "a part with no heartbeat for this long is reported down", above(0)),
        "recheck_seconds": setting(300.0, float, "how often every tracked alert is looked at again, for changes "
                                                 "that come with time", above(0)),
        "give_up_hours": setting(24.0, float, "a message not delivered after this long of retries is marked "
                                              "failed", above(0)),
        "keep_days": setting(30.0, float, "delivered and failed messages are kept this long", above(0)),
        "workers": setting(4, int, "channels delivered to at once", at_least(1)),
        "tick_seconds": setting(0.5, float, "how often the outbox is read", above(0)),
    }),
    "dependencies": Section("Dependency-aware alerting: which machines are unreachable behind a machine that is "
                            "down (the API decides, the notifier holds the first telling, the site shows the "
                            "parents).", {
        "vantage": setting([], list, "the machines nearest the collector, where every path toward the others "
                                     "starts (empty: the seeds of the discovery; a part of the network holding "
                                     "none of them starts at its most central machine)", machine_names),
        "hold_seconds": setting(75.0, float, "a machine's or an interface's new down alert waits this long before "
                                             "it is told, so that the machines in front of it are seen down first "
                                             "(a little more than the poll interval; 0: no wait)", at_least(0)),
    }),
    "device_logs": Section("How big and how old a machine's device log may grow (syslog intake and traps).", {
        "max_bytes": setting(LOG_LIMITS.max_bytes, int, "size at which a machine's log is rotated", at_least(1)),
        "keep": setting(LOG_LIMITS.keep, int, "rotated files kept per machine", at_least(0)),
        "rotate_hours": setting(LOG_LIMITS.rotate_seconds / 3600, float, "a log whose first line is older than this "
                                                                         "is rotated", above(0)),
        "max_age_days": setting(LOG_LIMITS.max_age_seconds / 86400, float, "rotated files older than this are "
                                                                            "removed", above(0)),
    }),
    "syslog": Section("The syslog intake (`python -m collector.syslog`).", {
        "listen": setting([], list, "udp://HOST:PORT and tcp://HOST:PORT addresses (empty: the sockets systemd "
                                    "hands over, else udp and tcp 127.0.0.1:5514)"),
        "alert_severity": setting("err", str, "messages at this syslog severity or graver become alerts; 'none' "
                                              "for no alerts", syslog_severity),
        "alert_holddown_seconds": setting(60.0, float, "the same message again within this time writes no new "
                                                       "alert file", at_least(0)),
        "max_alerts_per_minute": setting(600, int, "alert files written at most per minute, all machines "
                                                   "together", at_least(1)),
        "unknown_per_minute": setting(60.0, float, "messages kept per minute from each sender that matches no "
                                                   "machine", above(0)),
        "max_message_bytes": setting(8192, int, "longer messages are cut here and marked truncated", at_least(1)),
        "rescan_seconds": setting(30.0, float, "seconds between reads of the machines folder", above(0)),
        "max_connections": setting(512, int, "TCP connections at once", at_least(1)),
        "idle_timeout_seconds": setting(3600.0, float, "a TCP connection silent this long is closed", above(0)),
        "timezone": setting("local", str, "zone of device timestamps that carry none: 'local', 'UTC' or e.g. "
                                          "Europe/Paris"),
    }),
    "traps": Section("The SNMP trap handler run by snmptrapd (`python -m collector.traps`).", {
        "alerts": setting([], list, "more traps that raise alerts, as OID=SEVERITY (CRITICAL, ERROR, WARNING or "
                                    "INFO)"),
    }),
    "build": Section("The static site builder (`python -m site_builder`).", {
        "api_url": setting("", str, "the API's base URL as the browser sees it (empty: the site's own origin)"),
        "jobs": setting(min(4, os.cpu_count() or 1), int, "processes rendering machine pages", at_least(1)),
        "metrics": setting(False, bool, "also write www/metrics, the Prometheus exposition, for a plain web "
                                        "server"),
    }),
    "metrics": Section("`python -m vigie.metrics`, the Prometheus exposition written to a file.", {
        "out": setting("", Path, "file to write atomically (empty: standard output)"),
        "every_seconds": setting(0.0, float, "write again this often until stopped (0: once)", at_least(0)),
        "alert_counts": setting(False, bool, "count the alerts of paths.db (off on a collector host, which has "
                                             "no database)"),
    }),
    "generate": Section("Demonstration alerts: `collector/generate_and_split.sh` (vigie-generate.timer, "
                        "`make run`).", {
        "count": setting(20, int, "alerts per run", at_least(0)),
        "span": setting("15m", str, "how far back they are dated: 45s, 30m, 12h, 7d",
                        lambda v: None if v[:-1].isdigit() and v[-1:] in "smhdw" else "a number and a unit (s, m, "
                                                                                     "h, d, w), e.g. 15m",
                        env="VIGIE_GENERATE_SPAN"),
        "servers": setting("", str, "the servers they are about: a count or names separated by commas (empty: "
                                    "a fleet of 20)"),
    }),
    "run": Section("`make run` (`python -m vigie.run`): the whole system on simulated devices.", {
        "devices": setting(3, int, "simulated devices to start", between(0, 3)),
        "sim_port": setting(0, int, "UDP port of the first simulated device, the others on the next ports "
                                    "(0: free ports)", between(0, 65535 - 3)),
        "poll_every": setting(15.0, float, "poll interval of the simulated devices", at_least(5)),
        "build_every": setting(30.0, float, "site rebuild period, in seconds", at_least(1)),
        "generate_every": setting(60.0, float, "period of the alert generator in seconds, 0 to turn it off",
                                  at_least(0)),
        "generate_count": setting(5, int, "alerts per generator run", at_least(1)),
        "history": setting(500, int, "on the first run in a data folder, start with this many alerts spread over "
                                     "the past week, kept in data/alerts.csv", at_least(0)),
        "syslog": setting(True, bool, "start the syslog intake"),
        "syslog_port": setting(5514, int, "UDP and TCP port of the syslog intake on 127.0.0.1; 0, or a taken "
                                          "port, for any free one", port),
        "mail_server": setting(0, int, "also run a local test mail server on 127.0.0.1 at this port (0: none)",
                               port),
    }),
}


def lookup(dotted: str) -> Setting:
    section, _, key = dotted.partition(".")
    return SECTIONS[section].settings[key]


def default(dotted: str):
    """A setting's built-in default (not for derived ones, which depend on others)."""
    value = lookup(dotted).default
    assert not isinstance(value, Derived), dotted
    return list(value) if isinstance(value, list) else value


# --------------------------------------------------------------- the result

class Config:
    """Every setting's value, by section, and where it came from."""

    def __init__(self, values: dict, origins: dict, path=None):
        self.values, self.origins, self.path = values, origins, path
        self.chosen_by = None   # how the file was found: "flag --config", "env VIGIE_CONFIG", "checkout"...

    def __getitem__(self, section: str) -> dict:
        return self.values[section]

    def get(self, dotted: str):
        section, _, key = dotted.partition(".")
        return self.values[section][key]

    def origin(self, dotted: str) -> str:
        return self.origins[dotted]

    def where(self, dotted: str) -> str:
        """Where a value was set, as an error names it: `--flag`, `FILE: [section] key`, `$VAR`."""
        kind, _, source = self.origins[dotted].partition(" ")
        section, _, key = dotted.partition(".")
        return {"flag": source, "env": f"${source}", "file": f"{source}: [{section}] {key}"}.get(
            kind, f"[{section}] {key}")


# ----------------------------------------------------------------- coercion

KIND_NAMES = {str: "text", int: "a whole number", float: "a number", bool: "true or false",
              list: "a list of texts", Path: "a path"}


def typed(value, kind):
    """`value` (from TOML) as `kind`, or raise TypeError."""
    if kind is bool and isinstance(value, bool):
        return value
    if kind is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if kind is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if kind in (str, Path) and isinstance(value, str):
        return value
    if kind is list and isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise TypeError


def from_text(text: str, kind):
    """A value from a flag or an environment variable (always text), or raise TypeError."""
    if kind is bool:
        lowered = text.strip().lower()
        if lowered in ("1", "true", "yes", "on", "0", "false", "no", "off"):
            return lowered in ("1", "true", "yes", "on")
        raise TypeError
    if kind is list:
        return [part.strip() for part in text.split(",") if part.strip()]
    if kind in (str, Path):
        return text
    try:
        return kind(text)
    except ValueError:
        raise TypeError from None


def checked(where: str, spec: Setting, value):
    """`value` if it passes the setting's check, else ConfigError naming `where`."""
    problem = spec.check(value) if spec.check else None
    if problem:
        shown = "" if spec.secret else f", got {value!r}"
        raise ConfigError(f"{where} must be {problem}{shown}")
    return value


# ------------------------------------------------------------------ reading

def where_else(key: str, but: str = None) -> str:
    """'; did you mean [api] port?' when `key` is a setting of another section."""
    homes = [name for name, section in SECTIONS.items() if key in section.settings and name != but]
    return f"; did you mean [{homes[0]}] {key}?" if homes else ""


def read_file(path: Path) -> dict:
    """The parsed file: a regular file of bounded size (vigie/safe_read.py), valid TOML."""
    try:
        text = safe_read.read_text(path, safe_read.SETTINGS_FILE_MAX, what="a configuration file")
    except FileNotFoundError:
        raise ConfigError(f"configuration file {path} does not exist") from None
    except (OSError, safe_read.Unreadable) as exc:
        raise ConfigError(f"cannot read the configuration file {path}: {exc.strerror}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def file_values(data: dict, path: Path) -> dict:
    """{dotted: value} from a parsed file, every key known and typed; ConfigError otherwise."""
    found = {}
    for name, body in data.items():
        if not isinstance(body, dict):
            raise ConfigError(f"{path}: {name!r} is outside any section{where_else(name)}")
        if name not in SECTIONS:
            close = difflib.get_close_matches(name, list(SECTIONS), n=1, cutoff=0.6)
            raise ConfigError(f"{path}: unknown section [{name}]" + (f"; did you mean [{close[0]}]?" if close else ""))
        for key, value in body.items():
            found[f"{name}.{key}"] = file_value(path, name, key, value)
    return found


def file_value(path: Path, section: str, key: str, value):
    """One value of the file, typed and checked; a relative path taken from the file's folder."""
    known = SECTIONS[section].settings
    if key not in known:
        raise ConfigError(f"{path}: [{section}] unknown key {key!r}{nearest(key, known) or where_else(key, section)}")
    spec = known[key]
    try:
        value = typed(value, spec.kind)
    except TypeError:
        shown = "" if spec.secret else f", got {value!r}"
        raise ConfigError(f"{path}: [{section}] {key} must be {KIND_NAMES[spec.kind]}{shown}") from None
    if spec.kind is Path and value:
        value = os.path.normpath(os.path.join(os.path.abspath(path.parent), value))
    return checked(f"{path}: [{section}] {key}", spec, value)


def env_values(environ) -> dict:
    found = {}
    for section, body in SECTIONS.items():
        for key, spec in body.settings.items():
            if spec.env and spec.env in environ:
                try:
                    value = from_text(environ[spec.env], spec.kind)
                except TypeError:
                    raise ConfigError(f"${spec.env} must be {KIND_NAMES[spec.kind]}") from None
                found[f"{section}.{key}"] = (checked(f"${spec.env}", spec, value), f"env {spec.env}")
    return found


def env_names() -> set:
    """Every environment variable a setting reads, and the file's: what a command that hands
    its children a written configuration removes from their environment."""
    return {ENV_FILE} | {spec.env for body in SECTIONS.values() for spec in body.settings.values() if spec.env}


def is_checkout(root: Path = paths.REPO_ROOT) -> bool:
    return (root / "pyproject.toml").is_file()


def config_file(flag=None, environ=None, checkout=None):
    """(path or None, how it was chosen): the file a command reads (see the module's docstring)."""
    environ = os.environ if environ is None else environ
    if flag:
        return Path(flag), "flag --config"
    if ENV_FILE in environ:
        return (Path(environ[ENV_FILE]) if environ[ENV_FILE] else None), f"env {ENV_FILE}"
    if is_checkout() if checkout is None else checkout:
        return (CHECKOUT_FILE if CHECKOUT_FILE.is_file() else None), "checkout"
    if not INSTALLED_FILE.is_file():
        raise ConfigError(f"no configuration file {INSTALLED_FILE} (systemd/install.sh writes it): "
                          f"give one with --config FILE or ${ENV_FILE}")
    return INSTALLED_FILE, "installed"


def load(path=None, overrides: dict = None, environ=None) -> Config:
    """Defaults, then the file at `path` (None: none), then the environment, then
    `overrides` ({dotted: (value, origin)}, e.g. flags). Derived defaults last."""
    environ = os.environ if environ is None else environ
    values = {name: {} for name in SECTIONS}
    origins = {}
    layers = [({k: (v, f"file {path}") for k, v in file_values(read_file(Path(path)), Path(path)).items()}
               if path else {}), env_values(environ), overrides or {}]
    for layer in layers:
        for dotted, (value, origin) in layer.items():
            section, _, key = dotted.partition(".")
            values[section][key], origins[dotted] = value, origin
    for section, body in SECTIONS.items():
        for key, spec in body.settings.items():
            if key not in values[section] and not isinstance(spec.default, Derived):
                values[section][key], origins[f"{section}.{key}"] = default(f"{section}.{key}"), "default"
    for section, body in SECTIONS.items():
        for key, spec in body.settings.items():
            if key not in values[section]:
                values[section][key] = spec.default.make(values)
                origins[f"{section}.{key}"] = f"default ({spec.default.text})"
    return Config(values, origins, path)


# --------------------------------------------------------- command line

@dataclass(frozen=True)
class Flag:
    """A command-line flag that overrides one setting for one run."""
    flag: str            # "--samples"
    dotted: str          # "paths.samples"
    dest: str = None     # the attribute of args the command reads (default: from the flag)
    const: object = None  # a flag without a value sets this (e.g. True for --anonymous-read)
    append: bool = False  # repeatable, each adding one entry to a list setting
    metavar: str = None

    @property
    def name(self) -> str:
        return self.dest or self.flag.lstrip("-").replace("-", "_")


def flag_type(item: Flag):
    spec = lookup(item.dotted)

    def convert(text):
        try:
            value = from_text(text, str if item.append else spec.kind)
        except TypeError:
            raise argparse.ArgumentTypeError(f"expected {KIND_NAMES[spec.kind]}") from None
        return value
    return convert


def recording(base):
    """An argparse action that also notes on the namespace that its flag was given."""
    class Recording(base):
        def __call__(self, parser, namespace, values, option_string=None):
            super().__call__(parser, namespace, values, option_string)
            namespace._given = getattr(namespace, "_given", set()) | {self.dest}
    return Recording


@functools.lru_cache(maxsize=1)
def builtin() -> "Config":
    """The built-in defaults alone: no file, no environment (made once; not to be changed)."""
    return load(None, environ={})


def add_options(parser, flags=(), shown=True) -> None:
    """`--config FILE`, `--show-config` and each of `flags`, their help from the table. A flag's
    attribute defaults to the built-in default, so a namespace parsed alone is usable; `from_args`
    puts the configuration's value there unless the flag was given."""
    parser.add_argument("--config", metavar="FILE", help=f"configuration file (default: ${ENV_FILE}, else "
                        f"data/vigie.toml in a checkout, {INSTALLED_FILE} installed; see docs/configuration.md)")
    if shown:
        parser.add_argument("--show-config", action="store_true",
                            help="print the configuration this command would use, with where each value comes "
                                 "from, and exit")
    defaults = builtin() if flags else None
    for item in flags:
        spec, value = lookup(item.dotted), defaults.get(item.dotted)
        value = list(value) if isinstance(value, list) else value   # the cached defaults stay as they are
        text = f"{spec.help} (setting {item.dotted}, default {shown_value(item.dotted, value)})".replace("%", "%%")
        if item.const is not None:
            parser.add_argument(item.flag, dest=item.name, action=recording(argparse._StoreConstAction),
                                const=item.const, default=value, help=text)
        else:
            parser.add_argument(item.flag, dest=item.name, type=flag_type(item), default=value,
                                action=recording(argparse._AppendAction if item.append else argparse._StoreAction),
                                metavar=item.metavar or item.name.upper(), help=text)
    parser.set_defaults(_flags=tuple(flags))


def from_args(args, environ=None, extra: dict = None) -> Config:
    """The configuration of a command: its file (--config or the usual one), the environment,
    `extra` ({dotted: (value, origin)}: what a command's own options imply), then the flags
    given. Each flag's attribute on `args` is set to the setting's value, so the command
    reads `args.samples` whether it came from a flag, the file or a default."""
    path, chosen_by = config_file(getattr(args, "config", None), environ)
    given = getattr(args, "_given", set())
    overrides = dict(extra or {})
    for item in getattr(args, "_flags", ()):
        if item.name in given:
            value = getattr(args, item.name)
            if item.append:
                value = value[len(builtin().get(item.dotted)):]   # the entries given, not the default's
            overrides[item.dotted] = (checked(item.flag, lookup(item.dotted), value), f"flag {item.flag}")
    cfg = load(path, overrides, environ)
    for item in getattr(args, "_flags", ()):
        setattr(args, item.name, cfg.get(item.dotted))
    cfg.chosen_by = chosen_by
    args.cfg = cfg
    return cfg


def start(args, sections=None, say=None, extra: dict = None):
    """Read a command's configuration from its parsed arguments (from_args): None to go on,
    or the exit status to end with. A configuration that cannot be used is said (`say`: a
    logger's error, for journald; else on stderr) and ends with 2; --show-config prints the
    effective configuration of `sections` (every section: None) and ends with 0."""
    try:
        from_args(args, extra=extra)
    except ConfigError as exc:
        (say or _say_on_stderr)("%s", exc)
        return 2
    if getattr(args, "show_config", False):
        print(describe(args.cfg, sections))
        return 0
    return None


def _say_on_stderr(template: str, *values) -> None:
    print("vigie: " + template % values, file=sys.stderr)


# --------------------------------------------------------------- printing

def shown_value(dotted: str, value) -> str:
    if lookup(dotted).secret and value not in ("", None):
        return MASK
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(value) if value else "(none)"
    return str(value) if value != "" else "(empty)"


def describe(cfg: Config, sections=None) -> str:
    """The effective configuration as a table: key, value, where it came from."""
    rows = [("SETTING", "VALUE", "FROM")]
    for section in sections or SECTIONS:
        for key in SECTIONS[section].settings:
            dotted = f"{section}.{key}"
            rows.append((dotted, shown_value(dotted, cfg.get(dotted)), cfg.origin(dotted)))
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    how = f" ({cfg.chosen_by})" if cfg.chosen_by else ""
    head = f"configuration file: {cfg.path or 'none, the built-in defaults'}{how}"
    return "\n".join([head, ""] + [f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]}" for r in rows])


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    text = str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{text}"'


def default_text(spec: Setting) -> str:
    if isinstance(spec.default, Derived):
        return spec.default.text
    return MASK if spec.secret else toml_value(spec.default)


def template(chosen: dict = None) -> str:
    """A TOML file listing every setting with its help, those in `chosen` ({dotted: value})
    set, the others commented out at the value they then take."""
    chosen = chosen or {}
    cfg = load(None, {dotted: (value, "chosen") for dotted, value in chosen.items()}, environ={})
    lines = ["# Vigie's configuration (docs/configuration.md lists every setting).",
             "# A setting left commented out keeps its default; flags override this file for one run."]
    for name, section in SECTIONS.items():
        lines += ["", f"# {section.help}", f"[{name}]"]
        for key, spec in section.settings.items():
            dotted = f"{name}.{key}"
            derived = f" (default: {spec.default.text})" if isinstance(spec.default, Derived) else ""
            lines.append(f"# {spec.help}{derived}")
            value = MASK if spec.secret and dotted not in chosen else toml_value(cfg.get(dotted))
            lines.append(f"{'' if dotted in chosen else '#'}{key} = {value}")
    return "\n".join(lines) + "\n"


def dump(cfg: Config, sections=None) -> str:
    """Every value of `cfg` as a TOML file (what `make run` hands its commands)."""
    lines = ["# Written by Vigie: every setting with the value in force."]
    for name in sections or SECTIONS:
        lines += ["", f"[{name}]"]
        lines += [f"{key} = {toml_value(value)}" for key, value in cfg[name].items()
                  if not lookup(f"{name}.{key}").secret]
    return "\n".join(lines) + "\n"


def markdown() -> str:
    """docs/configuration.md: every section and setting, from the table."""
    out = [
        "# Configuration",
        "",
        "<!-- Generated by `python -m vigie config --markdown` from vigie/config.py; "
        "tests/test_config.py checks it is current. -->",
        "",
        "Every Vigie command reads one TOML file, in sections. Which file:",
        "",
        "1. `--config FILE`, which every command takes;",
        f"2. else the file named by `${ENV_FILE}` (set but empty: no file, the built-in defaults);",
        "3. else, in a checkout (the folder holding `pyproject.toml`), `data/vigie.toml` when it exists, "
        "the built-in defaults otherwise;",
        f"4. else, installed, `{INSTALLED_FILE}`, which `systemd/install.sh` writes with the installed folders "
        "and which must exist.",
        "",
        "A value in the file overrides the default; an environment variable named below overrides the file; "
        "a command's flags override everything, for that run. Relative paths in the file are taken from the "
        "file's folder. A key or section the table does not know, or a value of the wrong type, is refused "
        "with the file, the section and the key named (and the nearest known key).",
        "",
        "`.venv/bin/python -m vigie config` (installed: `/opt/vigie/.venv/bin/python -m vigie config`) prints "
        "the configuration in force and where each value comes from "
        "(`--config FILE` for another file); each command does the same with `--show-config`, its flags "
        "included. `.venv/bin/python -m vigie config --template` prints a file with every setting commented out at its "
        "default. The folders under `paths.data` move with it unless set one by one.",
        "",
        "An installed system's file, as `systemd/install.sh` writes it (with every other setting commented out "
        "at its default):",
        "",
        "```toml",
        "[paths]",
        'data = "/var/lib/vigie"',
        'machines = "/etc/vigie/machines"',
        'alertfiles = "/var/lib/vigie/alertfiles"',
        'www = "/var/lib/vigie/www"',
        "",
        "[api]",
        'host = "127.0.0.1"',
        "port = 8080",
        "```",
    ]
    for name, section in SECTIONS.items():
        out += ["", f"## [{name}]", "", section.help, "", "| key | default | meaning |", "| --- | --- | --- |"]
        for key, spec in section.settings.items():
            extra = f" (environment: `${spec.env}`)" if spec.env else ""
            default_shown = default_text(spec).replace("|", "\\|")
            if name == "paths" and not isinstance(spec.default, Derived):
                default_shown = f"`{Path(spec.default).name}` in a checkout"
            elif name == "build" and key == "jobs":
                default_shown = "the number of CPUs, at most 4"
            else:
                default_shown = f"`{default_shown}`"
            out.append(f"| `{key}` | {default_shown} | {spec.help}{extra} |")
    return "\n".join(out) + "\n"


# ------------------------------------------------------------ the command

def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m vigie config",
                                description="Print Vigie's configuration in force and where each value comes "
                                            "from (default, file, environment).")
    add_options(p, shown=False)
    what = p.add_mutually_exclusive_group()
    what.add_argument("--get", nargs="+", metavar="SECTION.KEY",
                      help="print these values only, one a line (for scripts)")
    what.add_argument("--template", action="store_true",
                      help="print a configuration file with every setting commented out at its default")
    what.add_argument("--markdown", action="store_true", help="print docs/configuration.md")
    p.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE",
                   help="with --template: set this value in the file (repeatable)")
    return p


def known(dotted: str) -> bool:
    section, _, key = dotted.partition(".")
    return section in SECTIONS and key in SECTIONS[section].settings


def unknown(dotted: str, option: str) -> ConfigError:
    every = [f"{s}.{k}" for s, body in SECTIONS.items() for k in body.settings]
    return ConfigError(f"{option} {dotted!r}: unknown setting{nearest(dotted, every)}")


def parse_assignment(text: str):
    """(dotted, value) from `--set SECTION.KEY=VALUE`."""
    dotted, sep, value = text.partition("=")
    if not sep or not known(dotted):
        raise unknown(dotted, "--set")
    spec = lookup(dotted)
    try:
        return dotted, checked(f"--set {dotted}", spec, from_text(value, spec.kind))
    except TypeError:
        raise ConfigError(f"--set {dotted} must be {KIND_NAMES[spec.kind]}") from None


def get_text(cfg: Config, dotted: str) -> str:
    """A value as `--get` prints it for a script: lists joined by commas, secrets refused."""
    if not known(dotted):
        raise unknown(dotted, "--get")
    if lookup(dotted).secret:
        raise ConfigError(f"{dotted} is a secret: it is not printed")
    value = cfg.get(dotted)
    if isinstance(value, list):
        return ",".join(value)
    return toml_value(value) if isinstance(value, bool) else str(value)


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    try:
        if args.markdown or args.template:
            sys.stdout.write(markdown() if args.markdown else template(dict(map(parse_assignment, args.set))))
            return 0
        cfg = from_args(args)
        lines = [get_text(cfg, dotted) for dotted in args.get] if args.get else [describe(cfg)]
    except ConfigError as exc:
        print(f"vigie config: {exc}", file=sys.stderr)
        return 2
    try:
        print("\n".join(lines), flush=True)
    except BrokenPipeError:   # `| head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0
