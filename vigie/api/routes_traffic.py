"""GET /api/machine/<name>/percentiles: each interface's current rates, its peaks of the
last 24 h and its 95th percentiles (each UTC day's, exact; each calendar month's, to
date); GET /api/machine/<name>/health: the device's health metrics (cpu, memory,
storage with its days until full, sensors...). Both read the collector's samples
through vigie.samples."""

from pathlib import Path

from bottle import request

from vigie import samples
from vigie.api import scoping
from vigie.api.context import context
from vigie.api.errors import ApiError
from vigie.errors import InputError
from vigie.samples.percentile import busier

DAYS, MONTHS = 31, 24


def _directions(entry: dict, **extra) -> dict:
    entry = entry or {}
    return dict(extra, in_bps=entry.get("in_bps"), out_bps=entry.get("out_bps"),
                busier_bps=busier(entry.get("in_bps"), entry.get("out_bps")))


def interface_percentiles(view: dict) -> list:
    out = []
    for i in view["interfaces"]:
        p95 = i.get("p95") or {}
        day, month = p95.get("day") or {}, p95.get("month") or {}
        out.append({"name": i["key"], "index": i.get("index"), "in_bps": i.get("in_bps"), "out_bps": i.get("out_bps"),
                    "in_peak_bps": i.get("in_peak_bps"), "out_peak_bps": i.get("out_peak_bps"),
                    "p95_day": _directions(day, date=day.get("date")),
                    "p95_month": _directions(month, month=month.get("month"), days=month.get("days"))})
    return out


def _samples_dir(name) -> Path:
    """The samples folder, once the caller may see this machine and asked nothing else."""
    ctx = context()
    ctx.require("viewer")
    scoping.require_visible_machine(ctx, name)
    for key in request.query.keys():
        raise InputError(key, f"unknown parameter {key!r}: this resource takes none")
    return Path(ctx.settings["samples"])


HEALTH_KEYS = ("family", "label", "unit", "source", "last", "size", "percent", "status", "days_to_full",
               "trend_per_day")


def machine_health(name):
    samples_dir = _samples_dir(name)
    try:
        view = samples.read_current(samples_dir, name)
    except (samples.SamplesError, OSError):
        raise ApiError(500, f"the samples of machine {name!r} cannot be read (see collector.status)") from None
    return {"machine": name, "updated": view["updated"],
            "metrics": [dict({key: spec.get(key) for key in HEALTH_KEYS}, name=metric)
                        for metric, spec in view["health"].items()]}


def machine_percentiles(name):
    samples_dir = _samples_dir(name)
    try:
        view = samples.read_current(samples_dir, name)
        days = samples.daily_percentiles(samples_dir, name, DAYS)
        months = samples.monthly_percentiles(samples_dir, name, MONTHS)
    except (samples.SamplesError, OSError):
        raise ApiError(500, f"the samples of machine {name!r} cannot be read (see collector.status)") from None
    return {"machine": name, "updated": view["updated"], "interfaces": interface_percentiles(view),
            "days": days, "months": months}


ROUTES = (
    ("GET", "/api/machine/<name>/percentiles", machine_percentiles),
    ("GET", "/api/machine/<name>/health", machine_health),
)
