"""Serving the HTTP API in several processes, each with a listening socket of its own.

uvicorn's ``--workers`` binds one socket in the parent and shares it: every worker accepts
from the same queue, and the worker that wakes first takes a burst of connections. Keep-alive
clients (a reverse proxy's upstream pool, a phone app's gateway, a load test) then stay on one
worker while another idles: with 2 workers and 32 clients we saw splits of 32/0 and 30/2 (the
served requests halved, p99 80-105 ms). Here, on Linux, each worker binds its own socket to
the same address with ``SO_REUSEPORT`` and the kernel spreads new connections over the
sockets by a hash of their addresses (splits of 13-19 per worker in the same test).

The supervisor replaces a worker that ends, after a pause that doubles with each of its
predecessors in a row that ended within :data:`QUICK_S` of its start (up to
:data:`BACKOFF_MAX_S`); it gives up, stopping every worker (exit status 1), after
:data:`QUICK_FAILURES_MAX` such ends in a row, and at once
if a worker's app fails its start-up (uvicorn's status 3) before any worker has run for
:data:`QUICK_S`: a service that cannot start should say so, not spin. SIGINT or SIGTERM stops
every worker, each finishing its requests in flight. Workers get SIGTERM if the supervisor
itself dies. Elsewhere (no ``SO_REUSEPORT``, or port 0, where each worker would get a port of
its own) it hands over to uvicorn's own supervisor.

uvicorn loads ``api:create_app`` by name: the library does not import the web framework.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib.util
import logging
import multiprocessing
import signal
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess
from types import FrameType
from typing import Any, Final

APP: Final = "api:create_app"
#: uvicorn's default listen backlog.
BACKLOG: Final = 2048
#: What a worker exits with when the app fails to start (uvicorn's STARTUP_FAILURE).
STARTUP_FAILURE: Final = 3
#: Seconds a worker has to finish its requests after SIGTERM before it is killed.
GRACE_S: Final = 30.0
#: A worker that ends within this many seconds of its start counts as failing to start.
QUICK_S: Final = 10.0
QUICK_FAILURES_MAX: Final = 5
BACKOFF_MAX_S: Final = 10.0
_PR_SET_PDEATHSIG: Final = 1

log = logging.getLogger("gridsvc.server")


def uvicorn_options() -> dict[str, Any]:
    """uvicorn's settings for gridsvc: uvloop and httptools where installed, no access log of
    uvicorn's own (the app logs each request), warnings only."""
    return {
        "factory": True,
        "loop": "uvloop" if importlib.util.find_spec("uvloop") else "asyncio",
        "http": "httptools" if importlib.util.find_spec("httptools") else "h11",
        "access_log": False,
        "log_level": "warning",
    }


def reuse_port_supported(port: int) -> bool:
    """Whether workers can have sockets of their own: Linux's ``SO_REUSEPORT`` spreads
    connections over the sockets of a group (other systems accept the option but send every
    connection to one socket), and a fixed port (with port 0 each would get its own)."""
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT") and port != 0


def address(host: str, port: int) -> str:
    """``host:port`` as a URL writes it (``[::1]:8000`` for IPv6)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def listen(host: str, port: int, *, reuse_port: bool = True) -> socket.socket:
    """A listening TCP socket on ``host:port``, in the ``SO_REUSEPORT`` group of that address
    when ``reuse_port``. IPv6 when ``host`` has a colon, else IPv4, as uvicorn binds. Raises
    ``OSError`` when the address cannot be bound: taken (without ``reuse_port``, by any socket;
    with it, by a socket outside the group) or not local."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
        sock.listen(BACKLOG)
    except OSError:
        sock.close()
        raise
    return sock


def _worker(host: str, port: int) -> None:
    """One worker process: its own socket, then uvicorn's server on it until a signal."""
    import uvicorn

    # SIGTERM when the supervisor dies (even by SIGKILL): no worker outlives it
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    sock = listen(host, port)
    config = uvicorn.Config(APP, host=host, port=port, **uvicorn_options())
    # Ctrl-C reaches every process of the terminal's group: uvicorn shuts down gracefully,
    # then re-raises the signal it caught; no traceback for that
    with contextlib.suppress(KeyboardInterrupt):
        uvicorn.Server(config).run(sockets=[sock])


def serve(host: str, port: int, workers: int) -> int:
    """Serve the API on ``host:port`` in ``workers`` processes until SIGINT or SIGTERM; the
    exit status: 0 after a signal, 1 if the address cannot be bound or workers keep ending
    at start, 3 if the app cannot start."""
    import uvicorn

    if workers <= 1 or not reuse_port_supported(port):
        uvicorn.run(APP, host=host, port=port, workers=workers, **uvicorn_options())
        return 0
    try:
        # fail here, once and clearly, if anything listens there already: without this probe
        # (no SO_REUSEPORT) a second gridsvc on the port would join the first one's group and
        # take half of its connections
        listen(host, port, reuse_port=False).close()
    except OSError as exc:
        log.error(
            "cannot listen on %s: %s. Stop what listens there, or choose another --port "
            "(GRIDSVC_PORT).",
            address(host, port),
            exc.strerror or exc,
        )
        return 1
    return _Supervisor(host, port, workers).run()


@dataclass
class _Slot:
    process: BaseProcess | None = None
    started: float = 0.0
    restart_at: float = 0.0
    """When to start the next process, if ``process`` is None."""
    quick_failures: int = 0
    """Processes of this slot in a row that ended within :data:`QUICK_S` of their start."""


class _Supervisor:
    def __init__(
        self,
        host: str,
        port: int,
        workers: int,
        target: Callable[[str, int], None] = _worker,
    ) -> None:
        self.host, self.port, self.target = host, port, target
        self.context = multiprocessing.get_context("spawn")
        self.slots = [_Slot() for _ in range(workers)]
        self.stopping = False
        self.began = time.monotonic()

    def _start(self, slot: _Slot) -> None:
        process = self.context.Process(
            target=self.target, args=(self.host, self.port), name="gridsvc-worker"
        )
        process.start()
        slot.process, slot.started = process, time.monotonic()

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True

    def run(self) -> int:
        previous = {s: signal.signal(s, self._stop) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            for slot in self.slots:
                self._start(slot)
            while not self.stopping:
                running = [s.process.sentinel for s in self.slots if s.process is not None]
                wait(running, timeout=0.5)
                status = self._tend()
                if status is not None:
                    return status
            return 0
        finally:
            self._shutdown()
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def _tend(self) -> int | None:
        """Note the workers that ended and start the ones whose pause is over; an exit
        status when the supervisor should give up."""
        now = time.monotonic()
        for slot in self.slots:
            if self.stopping:
                return None
            process = slot.process
            if process is None:
                if now >= slot.restart_at:
                    self._start(slot)
                continue
            if process.exitcode is None:
                if now - slot.started >= QUICK_S:
                    slot.quick_failures = 0  # it ran long enough: the app can start
                continue
            quick = now - slot.started < QUICK_S
            if process.exitcode == STARTUP_FAILURE and now - self.began < QUICK_S:
                log.error("the app could not start (see above); stopping")
                return STARTUP_FAILURE
            slot.quick_failures = slot.quick_failures + 1 if quick else 0
            if slot.quick_failures >= QUICK_FAILURES_MAX:
                log.error(
                    "%d workers in a row ended within %g s of their start (the last with exit "
                    "status %s); stopping",
                    slot.quick_failures,
                    QUICK_S,
                    process.exitcode,
                )
                return 1
            pause = min(BACKOFF_MAX_S, 0.5 * 2 ** (slot.quick_failures - 1)) if quick else 0.0
            log.warning(
                "worker %s ended (exit status %s); starting another in %g s",
                process.pid,
                process.exitcode,
                pause,
            )
            slot.process, slot.restart_at = None, now + pause
        return None

    def _shutdown(self) -> None:
        """SIGTERM to every living worker (uvicorn finishes the requests in flight; unlike a
        second SIGINT after the terminal's own, it does not cut them short), then SIGKILL to
        any still running after :data:`GRACE_S`."""
        processes = [s.process for s in self.slots if s.process is not None]
        for process in processes:
            if process.exitcode is None:
                process.terminate()
        deadline = time.monotonic() + GRACE_S
        for process in processes:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.exitcode is None:
                process.kill()
                process.join()
