"""The API's settings: the `[api]` section of the configuration (vigie/config.py, where
each one is defined) and the folders the API reads, as one flat dict for make_app."""

from vigie import config

FOLDERS = ("db", "www", "machines", "samples", "logs", "alertfiles", "topology", "discovery")


def flat(cfg: config.Config) -> dict:
    """{key: value} of the [api] section plus the folders of [paths] the API reads and the
    vantage of [dependencies] (lists copied)."""
    settings = dict(cfg["api"], **{key: cfg["paths"][key] for key in FOLDERS}, vantage=cfg["dependencies"]["vantage"])
    settings["config_file"] = str(cfg.path) if cfg.path else ""   # handed to the commands the API starts
    return {key: list(value) if isinstance(value, list) else value for key, value in settings.items()}


def defaults() -> dict:
    """The built-in defaults, for an app made without a configuration (tests)."""
    return flat(config.builtin())
