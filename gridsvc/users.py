"""People who sign in to the web console: accounts, passwords, sessions.

A user is the console's twin of an API token (:mod:`gridsvc.access`): the same roles, the
same scope rules, checked by the same :class:`~gridsvc.access.Principal`, so a signed-in
person has exactly the rights a token of that role and scope would have. What differs is
how the caller proves who it is:

- a **password**, hashed with Argon2id (``argon2-cffi``, its default cost; a hash made with
  an older cost is upgraded at the next sign-in). Wrong passwords in a row lock the account
  for a while (``GRIDSVC_LOGIN_FAILURES_MAX``, ``GRIDSVC_LOGIN_LOCK_MINUTES``); the same
  answer is given for an unknown name, a wrong password and a disabled account, so the form
  does not tell which names exist;
- a **session**: 256 random bits in a cookie, of which only the SHA-256 is stored; a new id
  at every sign-in (no fixation), an absolute expiry (``GRIDSVC_SESSION_HOURS``), and a
  CSRF token of its own that every state-changing request must send back.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from gridsvc.access import Principal, check_rights
from gridsvc.dates import local, local_iso
from gridsvc.db.pool import Database
from gridsvc.errors import Conflict, InvalidInput, NotFound, Unauthenticated
from gridsvc.sql import query

USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{1,63}$")
MIN_PASSWORD = 10
_HASHER = PasswordHasher()
# verified against when the name is unknown, so both answers take as long
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class Session:
    """A live console session: who, until when, and the CSRF token forms must send back.

    ``session_id`` is the cookie's value; it is only known right after :func:`sign_in`
    (the database keeps its hash), and empty on a session read back from a cookie.
    """

    principal: Principal
    display_name: str
    csrf_token: str
    expires_at: datetime
    session_id: str = ""


def hash_session_id(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(
            "user.password_short", field="password", length=len(password), minimum=MIN_PASSWORD
        )
    if len(password) > 256:
        raise InvalidInput("user.password_long", field="password")


def create_user(
    db: Database,
    *,
    username: str,
    password: str,
    role: str,
    display_name: str | None = None,
    scope_code: str | None = None,
    department_code: str | None = None,
) -> int:
    """A new account; its id. Conflict if the name is taken."""
    if not USERNAME.match(username):
        raise InvalidInput("user.bad_name", field="username", username=username[:64])
    check_password(password)
    check_rights(db, role, scope_code, department_code, holder="user")
    rows = db.cursor_fetchall(
        query("user_insert"),
        {
            "username": username,
            "display_name": (display_name or username).strip()[:100] or username,
            "role": role,
            "scope_code": scope_code,
            "department_code": department_code,
            "password_hash": _HASHER.hash(password),
        },
    )
    if not rows:
        raise Conflict("user.taken", field="username", username=username)
    return int(rows[0][0])


def set_password(db: Database, username: str, password: str) -> None:
    """A new password; ends the account's sessions and lifts a lock."""
    check_password(password)
    rows = db.cursor_fetchall(
        query("user_set_password"),
        {"username": username, "password_hash": _HASHER.hash(password)},
    )
    if not rows:
        raise NotFound("user.not_found", username=username)


def disable_user(db: Database, username: str) -> None:
    """The account can no longer sign in; its sessions end at once."""
    if not db.cursor_fetchall(query("user_disable"), {"username": username}):
        raise NotFound("user.not_found", username=username)


def list_users(db: Database) -> list[dict[str, Any]]:
    keys = (
        "id",
        "username",
        "display_name",
        "role",
        "scope_code",
        "department_code",
        "created_at",
        "disabled_at",
        "locked_until",
        "last_login_at",
    )
    times = ("created_at", "disabled_at", "locked_until", "last_login_at")
    out = []
    for row in db.cursor_fetchall(query("user_list")):
        user = dict(zip(keys, row, strict=True))
        out.append({**user, **{k: local(user[k]) for k in times}})  # shown in the city's zone
    return out


def sign_in(
    db: Database,
    username: str,
    password: str,
    *,
    ttl_s: float,
    max_failures: int = 5,
    lock_s: float = 900.0,
) -> Session:
    """A new session for a right password; Unauthenticated otherwise (one message for an
    unknown name, a wrong password and a disabled account; a locked account says so and
    until when, since its owner needs to know). Each wrong password of a known account
    counts towards the lock, in the same transaction as the check."""
    with db.connection() as conn, conn.cursor() as cur:
        cur.execute(query("user_for_login"), {"username": username})
        row = cur.fetchone()
        if row is None:
            _verify(_DUMMY_HASH, password)
            raise Unauthenticated("user.refused")
        user_id, stored, disabled, locked, locked_until = row
        if locked:
            raise Unauthenticated(
                "user.locked",
                failures=max_failures,
                until=f"{local(locked_until):%H:%M}",
                details={"locked_until": local_iso(locked_until)},
            )
        if disabled or not _verify(stored, password):
            if not disabled:
                cur.execute(
                    query("user_login_failed"),
                    {"id": user_id, "max_failures": max_failures, "lock_s": lock_s},
                )
            conn.commit()  # the failure counts even though the request fails
            raise Unauthenticated("user.refused")
        rehash = _HASHER.hash(password) if _HASHER.check_needs_rehash(stored) else None
        cur.execute(query("user_login_ok"), {"id": user_id, "rehash": rehash})
        session_id = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        cur.execute(
            query("session_insert"),
            {
                "id_sha256": hash_session_id(session_id),
                "user_id": user_id,
                "csrf_token": csrf,
                "ttl_s": ttl_s,
            },
        )
        inserted = cur.fetchone()
        assert inserted is not None  # INSERT … RETURNING gives its row
        expires_at = inserted[0]
    found = session(db, session_id)
    assert found is not None
    return Session(found.principal, found.display_name, csrf, local(expires_at), session_id)


def _verify(stored: str, password: str) -> bool:
    try:
        return bool(_HASHER.verify(stored, password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def session(db: Database, session_id: str) -> Session | None:
    """The live session of a cookie value, or None (unknown, expired, user disabled)."""
    if not session_id or len(session_id) > 128:
        return None
    rows = db.cursor_fetchall(query("session_lookup"), {"id_sha256": hash_session_id(session_id)})
    if not rows:
        return None
    user_id, username, display_name, role, scope, department, csrf, expires_at, digest = rows[0]
    if not hmac.compare_digest(digest, hash_session_id(session_id)):
        return None
    principal = Principal(0, username, role, scope, department, user_id=int(user_id))
    return Session(principal, display_name, csrf, local(expires_at))


def sign_out(db: Database, session_id: str) -> None:
    db.cursor_fetchall(query("session_delete"), {"id_sha256": hash_session_id(session_id)})


def csrf_matches(session_: Session, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(session_.csrf_token, str(sent))


def create_first_admin(db: Database) -> tuple[str, str] | None:
    """The first start's account: user ``admin`` with a random password, if no user exists
    yet; its name and password (shown once), or None."""
    if db.cursor_fetchall("SELECT 1 FROM app_user LIMIT 1"):
        return None
    password = "-".join(secrets.token_urlsafe(4) for _ in range(4))
    create_user(db, username="admin", password=password, role="admin", display_name="管理员")
    return "admin", password
