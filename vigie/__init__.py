"""Vigie: shared pieces used by the API, the collector and the site builder."""

__version__ = "0.1.0"
