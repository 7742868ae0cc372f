"""Serving the HTTP API in several processes, each with a listening socket of its own.

uvicorn's ``--workers`` binds one socket in the parent and shares it: every worker accepts
from the same queue, and the worker that wakes first takes a burst of connections. Keep-alive
clients (a reverse proxy's upstream pool, a phone app's HTTP/2 gateway, a load test) then stay
on one worker while another idles: with 2 workers and 32 clients we saw splits of 32/0 and
30/2 (the served requests halved, p99 80-105 ms). Here, on Linux, each worker binds its own
socket to the same address with ``SO_REUSEPORT`` and the kernel spreads new connections over
the sockets by a hash of their addresses (splits of 14-18 per worker in the same test).

The supervisor restarts a worker that dies, stops all of them on SIGINT or SIGTERM, and stops
(exit status 3) if a worker fails its start-up (a bad setting would only fail again). Elsewhere
(no ``SO_REUSEPORT``, or port 0, where each worker would get a port of its own) it hands over
to uvicorn's own supervisor.

uvicorn loads ``api:create_app`` by name: the library does not import the web framework.
"""

from __future__ import annotations

import importlib.util
import logging
import multiprocessing
import signal
import socket
import sys
import time
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


def listen(host: str, port: int, *, reuse_port: bool = True) -> socket.socket:
    """A listening TCP socket on ``host:port``, in the ``SO_REUSEPORT`` group of that address
    when ``reuse_port``. Raises ``OSError`` when the address cannot be bound: taken (without
    ``reuse_port``, by any socket; with it, by a socket outside the group) or not local."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(address)
        sock.listen(BACKLOG)
    except OSError:
        sock.close()
        raise
    return sock


def _worker(host: str, port: int) -> None:
    """One worker process: its own socket, then uvicorn's server on it until a signal."""
    import uvicorn

    sock = listen(host, port)
    config = uvicorn.Config(APP, host=host, port=port, **uvicorn_options())
    uvicorn.Server(config).run(sockets=[sock])


def serve(host: str, port: int, workers: int) -> int:
    """Serve the API on ``host:port`` in ``workers`` processes until SIGINT or SIGTERM; the
    exit status (0 after a signal, 3 if a worker could not start, 1 if the address cannot be
    bound)."""
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
        print(
            f"gridsvc: cannot listen on {host}:{port}: {exc.strerror or exc}. Stop what "
            "listens there, or choose another --port (GRIDSVC_PORT).",
            file=sys.stderr,
        )
        return 1
    return _Supervisor(host, port, workers).run()


class _Supervisor:
    def __init__(self, host: str, port: int, workers: int) -> None:
        self.host, self.port, self.count = host, port, workers
        self.context = multiprocessing.get_context("spawn")
        self.processes: list[BaseProcess] = []
        self.stopping = False

    def _start(self) -> BaseProcess:
        process = self.context.Process(
            target=_worker, args=(self.host, self.port), name="gridsvc-worker"
        )
        process.start()
        return process

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True

    def run(self) -> int:
        previous = {s: signal.signal(s, self._stop) for s in (signal.SIGINT, signal.SIGTERM)}
        status = 0
        try:
            self.processes = [self._start() for _ in range(self.count)]
            while not self.stopping:
                wait([p.sentinel for p in self.processes], timeout=0.5)
                for i, process in enumerate(self.processes):
                    if process.exitcode is None or self.stopping:
                        continue
                    if process.exitcode == STARTUP_FAILURE:
                        print("gridsvc: a worker could not start; stopping.", file=sys.stderr)
                        self.stopping, status = True, STARTUP_FAILURE
                        break
                    print(
                        f"gridsvc: worker {process.pid} ended (exit status {process.exitcode}); "
                        "starting another.",
                        file=sys.stderr,
                    )
                    self.processes[i] = self._start()
        finally:
            self._shutdown()
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        return status

    def _shutdown(self) -> None:
        """SIGTERM to every living worker (uvicorn finishes the requests in flight; unlike a
        second SIGINT after the terminal's own, it does not cut them short), then SIGKILL to
        any still running after :data:`GRACE_S`."""
        for process in self.processes:
            if process.exitcode is None:
                process.terminate()
        deadline = time.monotonic() + GRACE_S
        for process in self.processes:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.exitcode is None:
                process.kill()
                process.join()
