"""/api/user...: the users, for admins (the command line is `api.py adduser`)."""

from bottle import response

from vigie import db
from vigie.roles import SERVICE_ACCOUNTS
from vigie.api import auth
from vigie.api.context import context, no_content, reject_unknown_fields
from vigie.api.errors import ApiError

USER_FIELDS = ("username", "role", "password")


def list_users():
    ctx = context()
    ctx.require("admin")
    users = [dict(u, service=SERVICE_ACCOUNTS.get(u["username"])) for u in db.list_users(ctx.conn())]
    return {"count": len(users), "results": users}


def add_user():
    ctx = context()
    admin = ctx.require("admin")
    body = ctx.read_object('{"username", "role", "password"}')
    reject_unknown_fields(body, USER_FIELDS)
    username = auth.check_username(body.get("username"))
    role = auth.check_role(body.get("role"))
    password = auth.check_password(body.get("password"))
    if db.get_user(ctx.conn(), username):
        raise ApiError(409, f"user {username!r} already exists", "username")
    db.create_user(ctx.conn(), username, role, ctx.hash_password(password))
    db.record_audit(ctx.conn(), admin["username"], "create", "user", username, {"role": role})
    response.status = 201
    return {"username": username, "role": role}


def delete_user(name):
    ctx = context()
    user = ctx.require("admin")
    if name == user["username"]:
        raise ApiError(409, "you cannot delete yourself", "username")
    if name in SERVICE_ACCOUNTS:
        raise ApiError(409, f"{name} is a service account, {SERVICE_ACCOUNTS[name]}: it cannot be removed", "username")
    if not db.delete_user(ctx.conn(), name):
        raise ApiError(404, f"no user {name!r}", "username")
    db.record_audit(ctx.conn(), user["username"], "delete", "user", name)
    return no_content()


ROUTES = (
    ("GET", "/api/user", list_users),
    ("POST", "/api/user", add_user),
    ("DELETE", "/api/user/<name>", delete_user),
)
