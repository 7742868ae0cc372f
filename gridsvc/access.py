"""Who may see and do what: API tokens, roles and scopes.

Tokens are random (256 bits) and shown once; only their SHA-256 is stored, so a database dump
reveals no usable token. A fast hash is right here (unlike passwords, the secret has full
entropy); the lookup is by hash and the final comparison constant-time.

Roles:

``grid_worker``  reports anywhere; reads and acts on events in its scope (a community or
                 street code) — verification of resolutions there.
``dispatcher``   accepts, rejects, dispatches, merges within its scope (street, district, or
                 the city).
``department``   sees and acts on events dispatched to its department only.
``analyst``      reads events, statistics and maps citywide; changes nothing.
``admin``        everything, including grids, taxonomy, departments and tokens.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any, Final

from gridsvc.dates import local
from gridsvc.db.pool import Database
from gridsvc.errors import Forbidden, InvalidInput, NotFound, Unauthenticated
from gridsvc.messages import Msg
from gridsvc.settings import CITY_AT_START
from gridsvc.sql import query

ROLES = ("grid_worker", "dispatcher", "department", "analyst", "admin")
TOKEN_PREFIX = "gsk_"
CITY_CODE: Final = CITY_AT_START.code
"""The city's own code (the city's settings, :class:`gridsvc.settings.CitySettings`): a scope
of the whole city."""

# The event columns a scope code selects on, by the code's shape.
_SCOPE_COLUMN = {6: "district_code", 9: "street_code", 12: "community_code"}


def scope_column(code: str) -> str | None:
    """The event column matching a scope code, or None for the whole city."""
    if code == CITY_CODE:
        return None
    if code.startswith("S"):
        return "sector_code"
    column = _SCOPE_COLUMN.get(len(code))
    if column is None or not code.isdigit():
        raise InvalidInput("access.not_scope", field="scope", code=code, city=CITY_CODE)
    return column


@dataclass(frozen=True)
class Principal:
    """The caller of one request."""

    token_id: int
    name: str
    role: str
    scope_code: str | None = None
    department_code: str | None = None
    user_id: int | None = None
    """Set when the caller signed in to the console (:mod:`gridsvc.users`); ``token_id``
    is 0 then. Rights come from role and scope alone, whichever way the caller came."""

    @property
    def citywide(self) -> bool:
        return self.role in ("admin", "analyst") or (
            self.role == "dispatcher" and self.scope_code in (None, CITY_CODE)
        )

    def in_scope(self, event: dict[str, Any], dispatched_to: set[str] | None = None) -> bool:
        """Whether this caller may see ``event`` (an event dict of gridsvc.events.store)."""
        if self.citywide:
            return True
        if self.role == "department":
            return self.department_code in (dispatched_to or set())
        if not self.scope_code:
            return False
        column = scope_column(self.scope_code)
        return column is None or event["grid"].get(column) == self.scope_code

    def describe(self) -> str:
        where = self.scope_code or self.department_code or "city"
        return f"{self.role} '{self.name}' ({where})"

    def who(self) -> Msg:
        """:meth:`describe` for a message, in the reader's words."""
        where = self.scope_code or self.department_code or Msg("common.citywide")
        return Msg("common.who", {"role": self.role, "name": self.name, "where": where})


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


_HOLDERS = {"token": "access.holder_token", "user": "access.holder_user"}


def check_rights(
    db: Database,
    role: str,
    scope_code: str | None,
    department_code: str | None,
    *,
    holder: str = "token",
) -> None:
    """InvalidInput unless ``role`` with this scope and department is a valid holder of
    rights: the rules for tokens and console users alike (``--scope`` and ``--department``
    as the command line names them; ``holder``: token or user)."""
    if role not in ROLES:
        raise InvalidInput("access.unknown_role", field="role", role=role, roles=ROLES)
    who: dict[str, Any] = {"role": role, "holder": Msg(_HOLDERS[holder])}
    if role in ("grid_worker", "dispatcher"):
        if not scope_code:
            raise InvalidInput("access.needs_scope", field="scope", **who)
        scope_column(scope_code)
        if role == "grid_worker" and len(scope_code) not in (9, 12):
            raise InvalidInput("access.worker_scope", field="scope")
    elif scope_code:
        raise InvalidInput("access.no_scope", field="scope", **who)
    if role == "department":
        if not department_code:
            raise InvalidInput("access.needs_department", field="department", **who)
        rows = db.cursor_fetchall("SELECT 1 FROM department WHERE code = %s", (department_code,))
        if not rows:
            raise InvalidInput(
                "access.unknown_department", field="department", department=department_code
            )
    elif department_code:
        raise InvalidInput("access.no_department", field="department", **who)


def create_token(
    db: Database,
    *,
    role: str,
    name: str,
    scope_code: str | None = None,
    department_code: str | None = None,
) -> tuple[int, str]:
    """Create a token; returns its id and the token itself (shown once, never stored)."""
    check_rights(db, role, scope_code, department_code)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    rows = db.cursor_fetchall(
        query("token_insert"),
        {
            "name": name,
            "role": role,
            "scope_code": scope_code,
            "department_code": department_code,
            "token_sha256": hash_token(token),
        },
    )
    return int(rows[0][0]), token


def revoke_token(db: Database, token_id: int, cache: TokenCache | None = None) -> None:
    """Revoke a token; ``cache``: this process's :class:`TokenCache`, forgotten at once
    (other processes forget it within their ``token_cache_s``)."""
    rows = db.cursor_fetchall(query("token_revoke"), {"id": token_id})
    if not rows:
        raise NotFound("access.no_active_token", token_id=token_id)
    if cache is not None:
        cache.clear()


def list_tokens(db: Database) -> list[dict[str, Any]]:
    keys = (
        "id",
        "name",
        "role",
        "scope_code",
        "department_code",
        "created_at",
        "revoked_at",
        "last_used_at",
    )
    out = []
    for row in db.cursor_fetchall(query("token_list")):
        token = dict(zip(keys, row, strict=True))
        for key in ("created_at", "revoked_at", "last_used_at"):
            token[key] = local(token[key])  # the city's time, as every time gridsvc shows
        out.append(token)
    return out


class TokenCache:
    """Principals of tokens that worked, kept for ``ttl_s`` seconds per process, so that a
    request does not wait for a database round trip to learn who sent it.

    Only known tokens are kept (an unknown one always asks the database), at most
    ``max_items``. The price: a token revoked elsewhere (the CLI, another server process)
    keeps working here for up to ``ttl_s`` seconds; ``ttl_s=0`` turns the cache off.
    """

    def __init__(self, ttl_s: float, max_items: int = 10_000) -> None:
        self.ttl_s = ttl_s
        self.max_items = max_items
        self._items: dict[str, tuple[float, Principal]] = {}
        self._lock = threading.Lock()

    def get(self, digest: str) -> Principal | None:
        if self.ttl_s <= 0:
            return None
        item = self._items.get(digest)
        if item is None or time.monotonic() - item[0] >= self.ttl_s:
            return None
        return item[1]

    def put(self, digest: str, principal: Principal) -> None:
        if self.ttl_s <= 0:
            return
        with self._lock:
            if len(self._items) >= self.max_items:
                self._items.clear()
            self._items[digest] = (time.monotonic(), principal)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


def _bearer_digest(authorization: str | None) -> str:
    """The SHA-256 of the token of an ``Authorization: Bearer …`` header; Unauthenticated
    for a missing or malformed header."""
    if not authorization:
        raise Unauthenticated("access.no_token")
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() == "basic" and token:
        # GIS clients that cannot send a custom header (QGIS 3.22's "Basic" authentication)
        # send the token as the password of HTTP Basic; the user name is not checked
        try:
            token = base64.b64decode(token, validate=True).decode().partition(":")[2]
        except (ValueError, UnicodeDecodeError):
            token = ""
        if not token:
            raise Unauthenticated("access.basic_no_token")
        return hash_token(token)
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated("access.not_bearer")
    return hash_token(token)


def cached_principal(authorization: str | None, cache: TokenCache) -> Principal | None:
    """The principal of the header if ``cache`` remembers its token (no database access);
    None when the database must be asked; Unauthenticated for a malformed header."""
    return cache.get(_bearer_digest(authorization))


def authenticate(
    db: Database, authorization: str | None, cache: TokenCache | None = None
) -> Principal:
    """The principal of an ``Authorization: Bearer …`` header; raises Unauthenticated."""
    digest = _bearer_digest(authorization)
    cached = cache.get(digest) if cache is not None else None
    if cached is not None:
        return cached
    rows = db.cursor_fetchall(query("token_lookup"), {"token_sha256": digest})
    if not rows or not hmac.compare_digest(rows[0][5], digest):
        raise Unauthenticated("access.bad_token")
    token_id, name, role, scope, department, _ = rows[0]
    principal = Principal(int(token_id), name, role, scope, department)
    if cache is not None:
        cache.put(digest, principal)
    return principal


def require_role(principal: Principal, *roles: str, action: str) -> None:
    """Forbidden unless ``principal`` has one of ``roles``; ``action``: the catalogue id of
    what it wanted to do (``access.act_report``: "report events")."""
    if principal.role not in roles:
        raise Forbidden(
            "access.may_not", who=principal.who(), action=Msg(action), roles=list(roles)
        )
