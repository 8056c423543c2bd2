"""The REST API: a Bottle app over the SQLite alerts database (see make_app)."""

from vigie.api.app import make_app

__all__ = ["make_app"]
