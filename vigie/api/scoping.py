"""Who sees what: a member of a scoped team sees only the alerts, machines and silences
in the team's scope (vigie/scope.py), everywhere the API shows them.

Every handler that reads or acts on an alert, a machine or a silence asks here:
`current_scopes(ctx)` gives the scopes restricting the user of this request (None:
everything, for admins and users in no scoped team), looked up once per request.
What is outside them answers exactly as what does not exist (404), so a member
cannot even learn that it exists.
"""

from bottle import request

from vigie import db, machines as mc, scope
from vigie.api.errors import ApiError

_KEY = "vigie.scopes"


def current_scopes(ctx):
    """The scopes of the user of this request (None: sees everything)."""
    if _KEY not in request.environ:
        user = ctx.identify()
        request.environ[_KEY] = None if user is None else scope.user_scopes(
            user["role"], db.teams.scopes_of_user(ctx.conn(), user["username"]))
    return request.environ[_KEY]


def alert_visible(ctx, alert: dict) -> bool:
    return scope.in_any_scope(current_scopes(ctx), alert)


def machine_visible(ctx, name: str, config: dict) -> bool:
    return scope.in_any_scope(current_scopes(ctx), scope.machine_fields(name, config))


def machine_file_visible(ctx, name: str, path) -> bool:
    """Whether the user may see the machine whose file is `path` (a file that does not
    load: only unscoped users, who are told what is wrong with it)."""
    if current_scopes(ctx) is None:
        return True
    try:
        return machine_visible(ctx, name, mc.load_machine(path))
    except mc.MachineConfigError:
        return False


def require_visible_machine(ctx, name: str):
    """The file of machine `name` when the user may see it; a 404 otherwise, the same
    whether it does not exist or lies outside the user's scope."""
    path = ctx.machines_dir / f"{mc.check_name(name)}.json"
    if not path.exists() or not machine_file_visible(ctx, name, path):
        raise ApiError(404, f"no machine {name!r}", "name")
    return path


def filters_in_scope(ctx, filters: dict) -> dict:
    """The filters of a list, count or bulk action, kept to the user's scopes."""
    scopes = current_scopes(ctx)
    return filters if scopes is None else dict(filters, scopes=scopes)


def refuse_if_scoped(ctx, what: str) -> None:
    if current_scopes(ctx) is not None:
        raise ApiError(403, f"{what} covers every team: it is for users who are not limited to a team's scope")


def silence_visible(ctx, silence: dict, user=None) -> bool:
    """A member sees the silences held inside their scope, and those they made."""
    scopes = current_scopes(ctx)
    if scopes is None:
        return True
    user = user or ctx.identify()
    if user is not None and silence.get("created_by") == user["username"]:
        return True
    return scope.silence_inside(silence.get("matchers") or {}, scopes)


def check_silence_in_scope(ctx, matchers: dict) -> None:
    """A member may silence only inside their scope (never another team's alerts)."""
    scopes = current_scopes(ctx)
    if scopes is not None and not scope.silence_inside(matchers, scopes):
        raise ApiError(403, "a silence you make must stay inside your team's scope: give matchers that pin it "
                            "(e.g. its provider, or servers your team's patterns cover)", "matchers")
