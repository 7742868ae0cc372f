"""The console's pages: sign-in and sign-out, the analyst's map and statistics, embeds and
users for admins. Server-rendered with Jinja2; each page's data comes from the ``/v1`` API,
which the page's script calls with the session cookie (and its CSRF token for changes).

Who may open a page is decided from the same :class:`~gridsvc.access.Principal` the API
uses: the map page asks for a citywide caller, as ``/v1/stats`` and ``/v1/maps`` do.
"""

from __future__ import annotations

import hmac
import json
import secrets
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.concurrency import run_in_threadpool

from api.deps import SESSION_COOKIE, Service, session_of
from gridsvc import users
from gridsvc.errors import Conflict, InvalidInput, Unauthenticated
from gridsvc.service import Gridsvc
from web.labels import DEFAULT_LANGUAGE, labels

router = APIRouter(include_in_schema=False)
LOGIN_COOKIE = "gridsvc_login"  # the sign-in form's own CSRF nonce (double submit)

_env = Environment(
    loader=PackageLoader("web", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def render(
    request: Request,
    name: str,
    *,
    status: int = 200,
    session: users.Session | None = None,
    **context: Any,
) -> HTMLResponse:
    t = labels(DEFAULT_LANGUAGE)
    html = _env.get_template(name).render(
        t=t,
        labels_json=json.dumps(t, ensure_ascii=False).replace("<", "\\u003c"),
        session=session,
        principal=session.principal if session else None,
        path=request.url.path,
        **context,
    )
    response = HTMLResponse(html, status_code=status)
    response.headers["Cache-Control"] = "no-store"  # pages carry the user's data and token
    return response


def _secure(request: Request, svc: Gridsvc) -> bool:
    mode = svc.settings.security.cookie_secure
    return mode == "always" or (mode == "auto" and request.url.scheme == "https")


def _local_path(target: str | None) -> str | None:
    """``target`` if it is a path of this site (no other host, no scheme), else None."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


def home_of(principal: Any) -> str:
    """The page a role starts on: analysts and citywide callers the map, grid workers the
    field page, dispatchers of an area and departments the dispatch console."""
    if principal.citywide:
        return "/console/map"
    if principal.role == "grid_worker":
        return "/field"
    if principal.role in ("dispatcher", "department"):
        return "/dispatch"
    return "/console/home"


def _to_login(request: Request, *, expired: bool = False) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    url = f"/login?next={quote(target)}" + ("&expired=1" if expired else "")
    response = RedirectResponse(url, status_code=303)
    if expired:
        response.delete_cookie(SESSION_COOKIE, path="/")
    return response


async def signed_in(svc: Gridsvc, request: Request) -> users.Session | Response:
    """The page's session, or the answer to give instead (to the sign-in form)."""
    try:
        found = await session_of(svc, request)
    except Unauthenticated:
        return _to_login(request, expired=True)
    return found if found is not None else _to_login(request)


@router.get("/")
async def root(svc: Service, request: Request) -> Response:
    found = await signed_in(svc, request)
    if isinstance(found, Response):
        return RedirectResponse("/login", status_code=303)
    return RedirectResponse(home_of(found.principal), status_code=303)


def _login_form(
    request: Request,
    svc: Gridsvc,
    *,
    status: int = 200,
    message: str | None = None,
    username: str = "",
    errors: dict[str, str] | None = None,
    notice: str | None = None,
) -> HTMLResponse:
    nonce = secrets.token_urlsafe(24)
    response = render(
        request,
        "login.html",
        status=status,
        nonce=nonce,
        next=_local_path(request.query_params.get("next")) or "",
        message=message,
        notice=notice,
        username=username,
        errors=errors or {},
    )
    response.set_cookie(
        LOGIN_COOKIE,
        nonce,
        max_age=3600,
        path="/login",
        httponly=True,
        samesite="strict",
        secure=_secure(request, svc),
    )
    return response


@router.get("/login")
async def login_page(svc: Service, request: Request) -> Response:
    t = labels()
    notice = None
    if request.query_params.get("expired"):
        notice = t["login_expired"]
    elif request.query_params.get("signed_out"):
        notice = t["signed_out"]
    return _login_form(request, svc, notice=notice)


@router.post("/login")
async def login(
    svc: Service,
    request: Request,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    nonce: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    """Check the password; on success a new session (a new id: any session the browser
    had before is ended, so a planted cookie cannot be carried over) and a redirect."""
    t = labels()
    username = username.strip()
    sent = request.cookies.get(LOGIN_COOKIE, "")
    if not nonce or not sent or not hmac.compare_digest(nonce, sent):
        return _login_form(
            request, svc, status=400, message=t["login_form_stale"], username=username
        )
    errors = {
        k: t["field_required"] for k, v in (("username", username), ("password", password)) if not v
    }
    if errors:
        return _login_form(request, svc, status=400, username=username, errors=errors)
    security = svc.settings.security
    try:
        new = await run_in_threadpool(
            users.sign_in,
            svc.db,
            username,
            password,
            ttl_s=security.session_hours * 3600,
            max_failures=security.login_failures_max,
            lock_s=security.login_lock_minutes * 60,
        )
    except Unauthenticated as exc:
        locked = "locked_until" in exc.details
        return _login_form(
            request,
            svc,
            status=401,  # counted by the per-address limit of failed authentications
            message=t["login_locked"] if locked else t["login_failed"],
            username=username,
        )
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        await run_in_threadpool(users.sign_out, svc.db, old)
    target = _local_path(next) or home_of(new.principal)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        new.session_id,
        max_age=int(security.session_hours * 3600),
        path="/",
        httponly=True,
        samesite="lax",
        secure=_secure(request, svc),
    )
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    return response


@router.post("/logout")
async def logout(
    svc: Service, request: Request, csrf_token: Annotated[str, Form()] = ""
) -> Response:
    cookie = request.cookies.get(SESSION_COOKIE)
    try:
        found = await session_of(svc, request)
    except Unauthenticated:
        found = None
    if found is not None and cookie:
        if not users.csrf_matches(found, csrf_token):
            return render(request, "error.html", status=403, session=found, message="CSRF")
        await run_in_threadpool(users.sign_out, svc.db, cookie)
    response = RedirectResponse("/login?signed_out=1", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    # web.field.SIGNED_OUT_COOKIE: the field page's service worker (and the page) drop the
    # page they kept, which holds this session's name and CSRF token. A cookie, since
    # Clear-Site-Data "cache" leaves CacheStorage alone in Chromium and "storage" would also
    # wipe the reports queued in IndexedDB.
    response.set_cookie(
        "gridsvc_signed_out",
        "1",
        max_age=400 * 24 * 3600,
        path="/",
        httponly=False,
        samesite="lax",
        secure=_secure(request, svc),
    )
    return response


def forbidden(request: Request, session: users.Session) -> HTMLResponse:
    return render(
        request, "error.html", status=403, session=session, message=labels()["forbidden_page"]
    )


@router.get("/console/home")
async def home(svc: Service, request: Request) -> Response:
    found = await signed_in(svc, request)
    if isinstance(found, Response):
        return found
    role = labels()[f"role_{found.principal.role}"]
    return render(request, "home.html", session=found, role_name=role)


@router.get("/console/map")
async def map_page(svc: Service, request: Request) -> Response:
    found = await signed_in(svc, request)
    if isinstance(found, Response):
        return found
    if not found.principal.citywide:
        return forbidden(request, found)
    return render(request, "map.html", session=found)


@router.get("/console/embeds")
async def embeds_page(svc: Service, request: Request) -> Response:
    found = await signed_in(svc, request)
    if isinstance(found, Response):
        return found
    if found.principal.role != "admin":
        return forbidden(request, found)
    return render(request, "embeds.html", session=found)


@router.get("/console/users")
async def users_page(svc: Service, request: Request) -> Response:
    found = await signed_in(svc, request)
    if isinstance(found, Response):
        return found
    if found.principal.role != "admin":
        return forbidden(request, found)
    return await _users(svc, request, found)


async def _users(
    svc: Gridsvc,
    request: Request,
    found: users.Session,
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    notice: str | None = None,
) -> HTMLResponse:
    rows = await run_in_threadpool(users.list_users, svc.db)
    return render(
        request,
        "users.html",
        status=status,
        session=found,
        users=rows,
        errors=errors or {},
        form=form or {},
        notice=notice,
    )


# the user form's fields and the label of what is wrong with each (gridsvc's own errors are
# for apps and logs; a person at the console reads these)
_FORM_ERRORS = {
    "username": "err_username",
    "password": "err_password",
    "role": "err_role",
    "scope": "err_scope",
    "department": "err_department",
}


@router.post("/console/users")
async def create_user(
    svc: Service,
    request: Request,
    csrf_token: Annotated[str, Form()] = "",
    username: Annotated[str, Form()] = "",
    display_name: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
    scope: Annotated[str, Form()] = "",
    department: Annotated[str, Form()] = "",
) -> Response:
    found = await signed_in(svc, request)
    if isinstance(found, Response):
        return found
    if found.principal.role != "admin":
        return forbidden(request, found)
    if not users.csrf_matches(found, csrf_token):
        return render(request, "error.html", status=403, session=found, message="CSRF")
    form = {
        "username": username.strip(),
        "display_name": display_name.strip(),
        "role": role,
        "scope": scope.strip(),
        "department": department.strip(),
    }
    try:
        await run_in_threadpool(
            lambda: users.create_user(
                svc.db,
                username=form["username"],
                password=password,
                role=role,
                display_name=form["display_name"] or None,
                scope_code=form["scope"] or None,
                department_code=form["department"] or None,
            )
        )
    except (InvalidInput, Conflict) as exc:
        field = exc.field if exc.field in _FORM_ERRORS else "username"
        key = "err_username_taken" if isinstance(exc, Conflict) else _FORM_ERRORS[field]
        return await _users(
            svc, request, found, status=400, errors={field: labels()[key]}, form=form
        )
    return await _users(svc, request, found, notice=labels()["user_created"])


@router.post("/console/users/{username}/disable")
async def disable_user(
    svc: Service, request: Request, username: str, csrf_token: Annotated[str, Form()] = ""
) -> Response:
    found = await signed_in(svc, request)
    if isinstance(found, Response):
        return found
    if found.principal.role != "admin":
        return forbidden(request, found)
    if not users.csrf_matches(found, csrf_token):
        return render(request, "error.html", status=403, session=found, message="CSRF")
    await run_in_threadpool(users.disable_user, svc.db, username)
    return RedirectResponse("/console/users", status_code=303)
