"""How the API package is built (import circles: tests/test_layout.py): handlers a reader can jump to,
validators that raise domain errors, and each rule (roles, limits) defined once."""

import json
import inspect
import sqlite3
from pathlib import Path

import pytest

import api as api_cli
from tests.support.api_wsgi import Api
from vigie import db, machines
from vigie.api import auth, limits, openapi, routes_alerts, routes_machines, routes_tokens
from vigie.api.app import ROUTE_MODULES
from vigie.errors import InputError
from vigie.roles import ROLE_RANK, ROLES, role_allows

def test_every_route_handler_is_a_module_level_function(tmp_path):
    app = Api(tmp_path).app
    assert len(app.routes) >= 30
    for route in app.routes:
        handler = route.callback
        module = inspect.getmodule(handler)
        assert handler.__qualname__ == handler.__name__, f"{route.rule}: {handler.__qualname__} is nested"
        assert getattr(module, handler.__name__) is handler
        assert module in ROUTE_MODULES or module.__name__ == "vigie.api.app"


@pytest.mark.parametrize("check, value, field", [
    (lambda v: routes_tokens.parse_new_token(v, 30), {"days": 0}, "days"),
    (lambda v: routes_tokens.parse_new_token(v, 30), {"label": 5}, "label"),
    (lambda v: routes_tokens.parse_new_token(v, 30), {"colour": 1}, "colour"),
    (auth.check_username, "a b", "username"),
    (auth.check_password, "short", "password"),
    (auth.check_role, "root", "role"),
    (machines.check_name, ".hidden", "name"),
    (routes_alerts.parse_new_alert, {"colour": 1}, "colour"),
    (lambda v: routes_machines.keep_masked_secrets(v, None), {"snmp": {"community": "********"}}, "snmp.community"),
])
def test_validators_raise_domain_errors_naming_the_field(check, value, field):
    with pytest.raises(InputError) as caught:
        check(value)
    assert isinstance(caught.value, ValueError) and caught.value.field == field and caught.value.message


def test_the_command_line_knows_nothing_of_bottle():
    source = Path(api_cli.__file__).read_text()
    assert "bottle" not in source.lower() and "HTTPResponse" not in source


def test_roles_are_ordered_once_and_everything_derives_from_them(tmp_path):
    assert list(ROLE_RANK) == list(ROLES) and sorted(ROLE_RANK.values()) == list(ROLE_RANK.values())
    assert role_allows("admin", "viewer") and not role_allows("viewer", "operator") and not role_allows("x", "viewer")
    conn = db.connect(tmp_path / "v.db")
    for role in ROLES:
        db.create_user(conn, f"u-{role}", role, "h")
    with pytest.raises(sqlite3.IntegrityError):
        with db.transaction(conn):
            conn.execute("INSERT INTO users (username, role, password_hash, created_at) VALUES ('x', 'root', 'h', '')")
    from vigie.db.schema import MIGRATIONS
    assert "CHECK (role IN ('viewer','operator','admin'))" in MIGRATIONS[0], \
        "the roles changed: add a migration that rebuilds the users table with the new CHECK"
    adduser = api_cli.build_parser()._subparsers._group_actions[0].choices["adduser"]
    role_option = next(a for a in adduser._actions if a.dest == "role")
    assert tuple(role_option.choices) == ROLES
    assert openapi.components()["schemas"]["NewUser"]["properties"]["role"]["enum"] == list(ROLES)


def test_the_openapi_document_publishes_the_limits_the_handlers_check():
    schemas = openapi.components()["schemas"]
    assert schemas["NewToken"]["properties"]["label"]["maxLength"] == limits.TOKEN_LABEL_MAX
    assert schemas["NewToken"]["properties"]["days"]["maximum"] == limits.TOKEN_DAYS_MAX
    assert schemas["NewUser"]["properties"]["password"]["minLength"] == limits.PASSWORD_MIN
    assert schemas["NewAlert"]["properties"]["source_id"]["maxLength"] == limits.SOURCE_ID_MAX
    assert routes_tokens.parse_new_token({"days": limits.TOKEN_DAYS_MAX, "label": "x" * limits.TOKEN_LABEL_MAX}, 1)
    with pytest.raises(InputError):
        routes_tokens.parse_new_token({"days": limits.TOKEN_DAYS_MAX + 1}, 1)
    auth.check_password("p" * limits.PASSWORD_MIN)
    with pytest.raises(InputError):
        auth.check_password("p" * (limits.PASSWORD_MIN - 1))
    auth.check_username("u" * limits.USERNAME_MAX)
    with pytest.raises(InputError):
        auth.check_username("u" * (limits.USERNAME_MAX + 1))
    offset = next(p for p in openapi._filter_params(True) if p["name"] == "offset")
    assert offset["schema"]["maximum"] == limits.OFFSET_MAX


def test_the_pages_get_the_role_ranks_from_the_builder(tmp_path):
    from site_builder import build
    from site_builder.build import STATIC_DIR

    (tmp_path / "machines").mkdir()
    build.build(tmp_path / "machines", tmp_path / "samples", tmp_path / "none.db", tmp_path / "www")
    page = (tmp_path / "www" / "login.html").read_text()
    block = page.split('<script type="application/json" id="role-rank">', 1)[1].split("</script>", 1)[0]
    assert json.loads(block) == ROLE_RANK
    common_js = (STATIC_DIR / "common.js").read_text()
    assert not any(role in common_js for role in ROLES), "common.js keeps its own copy of the roles"


def test_every_reference_in_the_openapi_document_names_a_part_of_it():
    document = openapi.spec({})
    found = []

    def walk(node):
        if isinstance(node, dict):
            found.extend(v for k, v in node.items() if k == "$ref")
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(document)
    assert found

    def resolved(ref):
        node = document
        for part in ref.removeprefix("#/").split("/"):
            if not isinstance(node, dict) or part not in node:
                return False
            node = node[part]
        return True

    assert [ref for ref in found if not ref.startswith("#/") or not resolved(ref)] == []
