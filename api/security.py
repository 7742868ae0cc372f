"""What every response carries and who may send how much: security headers, CORS, rates.

- **Headers** (:class:`SecurityHeaders`): ``X-Content-Type-Options: nosniff`` everywhere;
  ``Referrer-Policy: no-referrer``, or ``strict-origin-when-cross-origin`` on HTML pages
  (tile servers need the origin); a ``Content-Security-Policy`` on HTML pages
  that lets the offline map pages run (their scripts and styles are inline or from this
  origin) and loads nothing from elsewhere; framing denied (``frame-ancestors 'none'`` and
  ``X-Frame-Options: DENY``). A header a route set itself is never overwritten, and a route
  whose own ``Content-Security-Policy`` names ``frame-ancestors`` (public embeds) gets no
  ``X-Frame-Options``, which would contradict it.
- **CORS** (:func:`install`): closed unless ``GRIDSVC_CORS_ORIGINS`` lists origins.
- **Rates** (:class:`RateLimit`): in-process token buckets, answered with 429 and
  ``Retry-After``: requests per token (per client IP without one) when
  ``GRIDSVC_RATE_LIMIT_PER_S`` is set, and 401 answers per client IP
  (``GRIDSVC_AUTH_FAILURES_PER_MIN``), which stops token guessing; tokens that have worked
  from that address still pass.
"""

from __future__ import annotations

import hashlib
import math
import re
import threading
import time
from dataclasses import dataclass

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import send_json_error
from gridsvc.messages import Msg
from gridsvc.settings import SecuritySettings

# Map pages (folium) put their scripts and styles inline and load Leaflet from
# /static/maps/; Swagger UI (/docs) is served from this origin too.
HTML_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src * data: blob:; font-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
# JSON, CSV, files: nothing in them may run or be framed.
DATA_POLICY = "default-src 'none'; frame-ancestors 'none'"

ALWAYS = ((b"x-content-type-options", b"nosniff"),)
# Pages send only their origin, and only to other sites: tile servers (OSM's usage policy,
# Tianditu's domain-bound keys) need it; nothing else, the query string above all, leaves.
HTML_REFERRER = "strict-origin-when-cross-origin"


class SecurityHeaders:
    """Pure ASGI middleware adding the headers above to every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                add_security_headers(MutableHeaders(scope=message))
            await send(message)

        await self.app(scope, receive, send_with_headers)


def add_security_headers(headers: MutableHeaders) -> None:
    """Add what is missing; what the route set stays as it is."""
    for name, value in ALWAYS:
        if name.decode() not in headers:
            headers.append(name.decode(), value.decode())
    html = headers.get("content-type", "").startswith("text/html")
    if "referrer-policy" not in headers:
        headers.append("Referrer-Policy", HTML_REFERRER if html else "no-referrer")
    own_policy = headers.get("content-security-policy")
    if own_policy is None:
        headers.append("Content-Security-Policy", HTML_POLICY if html else DATA_POLICY)
    elif "frame-ancestors" in own_policy:
        return  # the route decided who may frame it (public embeds)
    if "x-frame-options" not in headers:
        headers.append("X-Frame-Options", "DENY")


# --- rates -----------------------------------------------------------------------------------


@dataclass
class _Bucket:
    tokens: float
    stamp: float


class TokenBuckets:
    """Token buckets by key: ``rate`` tokens per second up to ``burst``. Thread-safe (the
    sync routes run in a thread pool); the oldest keys are dropped past ``max_keys``."""

    def __init__(self, rate_per_s: float, burst: float, *, max_keys: int = 100_000) -> None:
        self.rate = rate_per_s
        self.burst = max(burst, 1.0)
        self.max_keys = max_keys
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def _refilled(self, key: str, now: float) -> _Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self.max_keys:
                self._buckets.pop(next(iter(self._buckets)))
            bucket = self._buckets[key] = _Bucket(self.burst, now)
        else:
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.stamp) * self.rate)
            bucket.stamp = now
        return bucket

    def wait_s(self, key: str, *, now: float | None = None) -> float:
        """Seconds until ``key`` has a token (0: it has one now); takes nothing."""
        with self._lock:
            bucket = self._refilled(key, time.monotonic() if now is None else now)
            return 0.0 if bucket.tokens >= 1 else (1 - bucket.tokens) / self.rate

    def take(self, key: str, *, now: float | None = None) -> float:
        """Take a token: 0 if there was one, else the seconds to wait (nothing taken)."""
        with self._lock:
            bucket = self._refilled(key, time.monotonic() if now is None else now)
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return 0.0
            return (1 - bucket.tokens) / self.rate

    def charge(self, key: str, *, now: float | None = None) -> None:
        """Take a token even when none is left (the bucket goes down to zero)."""
        with self._lock:
            bucket = self._refilled(key, time.monotonic() if now is None else now)
            bucket.tokens = max(0.0, bucket.tokens - 1)


def _client_ip(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


_SESSION_COOKIE = re.compile(rb"(?:^|;)\s*gridsvc_session=([^;]+)")


def _caller_key(scope: Scope) -> str:
    """The sha256 of the bearer token or of the console session cookie (never either
    itself), or the client IP. A session is a caller of its own: one that worked must not
    exempt its whole address from the limit of failed sign-ins."""
    cookie = None
    for name, value in scope["headers"]:
        if name == b"authorization":
            return "token:" + hashlib.sha256(value.partition(b" ")[2].strip()).hexdigest()
        if name == b"cookie":
            cookie = _SESSION_COOKIE.search(value)
    if cookie is not None:
        return "session:" + hashlib.sha256(cookie.group(1).strip()).hexdigest()
    return "ip:" + _client_ip(scope)


class RateLimit:
    """Pure ASGI middleware: 429 with ``Retry-After`` past the rates of
    :class:`SecuritySettings`. ``/health`` is exempt (probes)."""

    def __init__(self, app: ASGIApp, settings: SecuritySettings) -> None:
        self.app = app
        rate = settings.rate_limit_per_s
        self.requests = (
            TokenBuckets(rate, settings.rate_limit_burst or rate * 10) if rate > 0 else None
        )
        per_min = settings.auth_failures_per_min
        self.failures = TokenBuckets(per_min / 60, per_min) if per_min > 0 else None
        # tokens that worked: an address blocked for failures still lets them through, so a
        # guesser behind the same NAT as the city's workers does not lock them out
        self._good: dict[str, None] = {}

    def _remember(self, caller: str) -> None:
        if caller not in self._good:
            if len(self._good) >= 100_000:
                self._good.pop(next(iter(self._good)))
            self._good[caller] = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] == "/health":
            await self.app(scope, receive, send)
            return
        ip = "ip:" + _client_ip(scope)
        # the sign-in form is always judged by address: a session that works must not lift
        # the limit for guesses at other accounts' passwords
        caller = ip if scope["path"] == "/login" else _caller_key(scope)
        known = caller in self._good
        if self.failures is not None and not known:
            wait = self.failures.wait_s(ip)
            if wait > 0:
                await _too_many(send, scope, wait, "limits.failures")
                return
        if self.requests is not None:
            wait = self.requests.take(caller)
            if not known and caller != ip:
                # a token not seen working yet also counts against its address: random
                # tokens must not each get a fresh allowance
                wait = max(wait, self.requests.take(ip))
            if wait > 0:
                await _too_many(send, scope, wait, "limits.rate")
                return
        if self.failures is None and self.requests is None:
            await self.app(scope, receive, send)
            return
        failures = self.failures

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                if message["status"] == 401:
                    if failures is not None:
                        failures.charge(ip)
                elif scope.get("state", {}).get("authenticated"):
                    self._remember(caller)  # set by api.deps.get_principal
            await send(message)

        await self.app(scope, receive, watch)


async def _too_many(send: Send, scope: Scope, wait_s: float, message_id: str) -> None:
    retry = max(1, math.ceil(wait_s))
    await send_json_error(
        send,
        scope,
        429,
        "TooManyRequests",
        Msg(message_id),
        [(b"retry-after", str(retry).encode())],
        retry_after_s=retry,
    )


# --- assembly --------------------------------------------------------------------------------


def install_limits(app: FastAPI, settings: SecuritySettings) -> None:
    """The rate limits: register inside the request log, so refused requests are logged."""
    app.add_middleware(RateLimit, settings=settings)


def install_headers(app: FastAPI, settings: SecuritySettings) -> None:
    """CORS and security headers: register last (outermost), so that every answer — 413,
    429 and errors included — carries them."""
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "If-None-Match", "X-Request-ID"],
            expose_headers=["ETag", "Retry-After", "X-Request-ID"],
            max_age=600,
        )
    app.add_middleware(SecurityHeaders)
