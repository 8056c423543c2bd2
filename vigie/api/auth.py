"""Who is asking, and may they: password hashes, tokens, sessions, CSRF, roles.

Passwords are stored as salted scrypt hashes. Bearer tokens and session
cookies are random strings; only their SHA-256 is stored, so a copy of the
database does not hand out live credentials. Tokens (POST /api/login, or
`api.py mktoken`) expire and can be revoked; sessions are the browser's
cookie. The CSRF value is derived from the session token (HMAC-free double
submit: the page echoes the non-HttpOnly `vigie_csrf` cookie in a header, and
the server checks it matches the session it belongs to).
"""

import base64
import binascii
import functools
import hashlib
import hmac
import secrets
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from vigie import db, utc
from vigie.api import limits
from vigie.errors import InputError
from vigie.roles import ROLES

SCRYPT_R, SCRYPT_P = 8, 1   # scrypt's block size and parallelism; N is 2 ** cost (the setting api.password_cost)
SESSION_COOKIE = "vigie_session"
CSRF_COOKIE = "vigie_csrf"
CSRF_HEADER = "X-CSRF-Token"


# scrypt at the default cost (14) takes about 50 ms of CPU and 16 MiB on purpose; one at a
# time per process, so a flood of logins waits its turn instead of taking every core.
HASHING = threading.BoundedSemaphore(1)


def scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    with HASHING:
        return hashlib.scrypt(password.encode("utf-8"), salt=salt, dklen=32, n=n, r=r, p=p,
                              maxmem=2 * 128 * r * n * p + 2 ** 20)


def hash_password(password: str, cost: int) -> str:
    """A new salted hash at scrypt N = 2 ** cost; the hash names its own parameters, so
    hashes made at another cost still verify."""
    salt = secrets.token_bytes(16)
    n = 2 ** cost
    digest = scrypt(password, salt, n, SCRYPT_R, SCRYPT_P)
    return f"scrypt${n}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        computed = scrypt(password, bytes.fromhex(salt), int(n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(computed.hex(), digest)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def csrf_for(session_token: str) -> str:
    return hashlib.sha256(b"vigie-csrf:" + session_token.encode("utf-8")).hexdigest()[:32]


def expiry(hours: float) -> str:
    return utc.iso(datetime.now(timezone.utc) + timedelta(hours=hours))


def issue(conn, kind: str, username: str, hours: float, label: str = ""):
    """A new random token (tokens) or session (sessions) for a user: (token, expires_at)."""
    user = db.get_user(conn, username)
    if user is None:
        raise KeyError(username)
    token = secrets.token_urlsafe(32)
    expires_at = expiry(hours)
    db.add_credential(conn, kind, user["id"], token_hash(token), expires_at, label)
    return token, expires_at


def generate_password() -> str:
    return secrets.token_urlsafe(15)


class PasswordCache:
    """Remembers recently verified credentials for a short while, so a script sending
    Basic credentials on every request, or logging in again and again, does not pay a
    full scrypt each time. Keyed by a
    hash of user and password; a changed password simply misses."""

    def __init__(self, ttl_seconds: float = 60.0, size: int = 256):
        self.ttl_seconds, self.size = ttl_seconds, size
        self.entries = {}
        self.lock = threading.Lock()

    def key(self, username, password, stored_hash):
        return hashlib.sha256(f"{username}\0{password}\0{stored_hash}".encode("utf-8")).hexdigest()

    def check(self, key) -> bool:
        with self.lock:
            seen = self.entries.get(key)
            return seen is not None and time.monotonic() - seen < self.ttl_seconds

    def remember(self, key):
        with self.lock:
            if len(self.entries) >= self.size:
                self.entries.clear()
            self.entries[key] = time.monotonic()


def parse_basic(header: str):
    """(username, password) from an `Authorization: Basic ...` header, or None."""
    try:
        raw = base64.b64decode(header.split(" ", 1)[1].strip(), validate=True).decode("utf-8")
    except (IndexError, ValueError, binascii.Error, UnicodeDecodeError):
        return None
    username, sep, password = raw.partition(":")
    return (username, password) if sep else None


def check_login(conn, username: str, password: str, cost: int, cache: PasswordCache = None):
    """The user dict when the password is right, else None. An unknown user costs a hash
    at `cost` (api.password_cost), as a known one does."""
    user = db.get_user(conn, username) if isinstance(username, str) else None
    if user is None or not isinstance(password, str):
        hash_password("x" * 8, cost)  # same cost whether the user exists or not
        return None
    key = cache.key(username, password, user["password_hash"]) if cache else None
    if key and cache.check(key):
        return user
    if not verify_password(password, user["password_hash"]):
        return None
    if key:
        cache.remember(key)
    return user


class UserError(InputError):
    """A bad user name, role or password; `field` names which."""


def check_username(username) -> str:
    if not isinstance(username, str) or not limits.USERNAME_RE.fullmatch(username):
        raise UserError("username", f"username must be {limits.USERNAME_RULE}")
    return username


def check_role(role) -> str:
    if role not in ROLES:
        raise UserError("role", f"role must be one of {', '.join(ROLES)}")
    return role


COMMON_PASSWORDS = Path(__file__).with_name("common_passwords.txt")


@functools.lru_cache(maxsize=1)
def common_passwords() -> frozenset:
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def check_password(password) -> str:
    if not isinstance(password, str) or len(password) < limits.PASSWORD_MIN:
        raise UserError("password", f"password must be a string of at least {limits.PASSWORD_MIN} characters")
    if password.lower() in common_passwords():
        raise UserError("password", "password is among the most common ones: choose another")
    return password
