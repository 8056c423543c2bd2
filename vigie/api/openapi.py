"""The OpenAPI 3 document served at /api/openapi.json (filled in below)."""


def spec(settings: dict) -> dict:
    return {"openapi": "3.0.3", "info": {"title": "Vigie API", "version": "1"}, "paths": {}}
