"""The server: listeners, the loop, the thread pool and the application, tied together.

``serve(app, **settings)`` is the public entry point, and the same code path
as ``tapster serve`` on the command line: both go through ``build_server``,
which gives the server, or with ``reload`` on, the reloader that runs the
server in a child process and restarts it when code changes.
"""

from __future__ import annotations

import logging
import signal
import socket
import sys
import threading
from collections.abc import Callable, Sequence
from types import FrameType
from typing import Any

from .. import __version__
from ..net import (
    DEFAULT_PORT,
    Bind,
    Listener,
    Reactor,
    ThreadPool,
    close_listeners,
    inherited_systemd_binds,
    open_listeners,
    parse_bind,
)
from ..net.reloader import Reloader, enter_server_process, is_server_process
from ..settings import Settings
from .access_log import AccessLog
from .connection import Connection
from .environ import listener_environ

__all__ = ["Server", "build_server", "resolve_binds", "serve"]

log = logging.getLogger("tapster.error")

WSGIApp = Callable[..., Any]


def resolve_binds(settings: Settings) -> list[Bind]:
    """The addresses to listen on: --bind, else --host/--port, else systemd's, else the default."""
    if settings.bind:
        return [parse_bind(spec) for spec in settings.bind]
    if settings.host is not None or settings.port is not None:
        host = settings.host or "127.0.0.1"
        port = DEFAULT_PORT if settings.port is None else settings.port
        return [parse_bind(f"[{host}]:{port}" if ":" in host else f"{host}:{port}")]
    return inherited_systemd_binds() or [parse_bind(f"127.0.0.1:{DEFAULT_PORT}")]


class Server:
    """A running (or ready) tapster server for one WSGI application in this process."""

    def __init__(
        self,
        app: WSGIApp,
        settings: Settings,
        listeners: Sequence[Listener] | None = None,
    ) -> None:
        self.app = app
        self.settings = settings
        if listeners is None:
            listeners = open_listeners(
                resolve_binds(settings),
                backlog=settings.backlog,
                unix_socket_mode=settings.unix_socket_mode,
            )
        self.listeners = list(listeners)
        #: Keyword arguments of every connection's ``RequestParser``.
        self.parser_limits = {
            "max_request_line": settings.max_request_line,
            "max_header_bytes": settings.max_header_bytes,
            "max_header_count": settings.max_header_count,
            "max_body_bytes": settings.max_body_bytes or None,
            "memo": {},  # parsed heads, shared by all connections (same limits)
        }
        #: The complete ``Server`` field line, or b"" for none.
        self.server_line = (
            f"Server: {settings.server_header}\r\n".encode("latin-1")
            if settings.server_header
            else b""
        )
        software = f"tapster/{__version__}"
        self.listener_environs = {
            listener.sock.fileno(): listener_environ(
                listener,
                root_path=settings.root_path,
                multithread=settings.threads > 1,
                software=software,
            )
            for listener in self.listeners
        }
        #: Environ keys derived from each (memoized) Request, see request_environ().
        self.environ_memo: dict[Any, dict[str, Any]] = {}
        self.access_log = (
            AccessLog(settings.access_log_format) if settings.access_log is not None else None
        )
        self.pool = ThreadPool(settings.threads)
        self.reactor = Reactor(
            self.listeners, self._accept, max_connections=settings.max_connections
        )
        #: Set once the server accepts connections.
        self.started = threading.Event()

    def _accept(self, sock: socket.socket, peer: object, listener: Listener) -> Connection:
        if sock.family != socket.AF_UNIX:
            # Responses go out in one write; Nagle would hold the last segment.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return Connection(sock, peer, listener, self)

    def run(self) -> None:
        """Serve until stopped (``stop()``, SIGTERM or SIGINT), then clean up.

        Signal handlers are installed only when called from the main thread.
        """
        restore = self._install_signal_handlers()
        try:
            for listener in self.listeners:
                log.info("Listening at: %s", listener.url)
            self.started.set()
            self.reactor.run()
        finally:
            close_listeners(self.listeners)
            self.pool.shutdown(timeout=1.0)
            restore()
            log.info("Shutdown complete")

    def stop(self, grace: float | None = None) -> None:
        """Stop accepting and finish in-flight requests within ``grace`` seconds."""
        self.reactor.stop(self.settings.graceful_timeout if grace is None else grace)

    def _install_signal_handlers(self) -> Callable[[], None]:
        if threading.current_thread() is not threading.main_thread():
            return lambda: None
        stops = 0

        def on_signal(signum: int, frame: FrameType | None) -> None:
            nonlocal stops
            stops += 1
            name = signal.Signals(signum).name
            if stops == 1:
                log.info("%s received: finishing in-flight requests (up to %gs)", name,
                         self.settings.graceful_timeout)
                self.stop()
            else:
                log.info("%s received again: stopping now", name)
                self.stop(0)

        previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
        previous_wakeup = signal.set_wakeup_fd(self.reactor.wakeup_fd, warn_on_full_buffer=False)

        def restore() -> None:
            signal.set_wakeup_fd(previous_wakeup)
            for sig, handler in previous.items():
                signal.signal(sig, handler)

        return restore


def configure_logging(level: str) -> None:
    """Send tapster's logs to stderr, unless the application configured them."""
    logger = logging.getLogger("tapster")
    logger.setLevel(level.upper())
    if not logger.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(
            logging.Formatter("[%(asctime)s] [%(process)d] [%(levelname)s] %(message)s",
                              "%Y-%m-%d %H:%M:%S %z")
        )
        logger.addHandler(handler)


def configure_access_log(target: str | None) -> None:
    """Route the ``tapster.access`` logger to ``target`` (a path, or '-' for stdout)."""
    if target is None:
        return
    logger = logging.getLogger("tapster.access")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    if logger.handlers:
        return
    handler: logging.Handler
    if target == "-":
        handler = logging.StreamHandler(sys.stdout)
    else:
        handler = logging.FileHandler(target)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)


def build_server(settings: Settings, load_app: Callable[[], WSGIApp]) -> Server | Reloader:
    """What serves with these settings: ``run()`` it.

    A ``Server`` for the application ``load_app()`` returns; with
    ``settings.reload``, in the process the user started, a ``Reloader``
    instead, which opens the sockets and runs this same program again as
    its server process, without loading the application itself (an
    application that fails to import then waits for a fix in the reloader
    rather than ending it). Raises ``BindError`` when a socket cannot be
    opened, and what ``load_app`` raises.
    """
    if not settings.reload:
        return Server(load_app(), settings)
    if is_server_process():
        return Server(load_app(), settings, enter_server_process(backlog=settings.backlog))
    listeners = open_listeners(
        resolve_binds(settings), backlog=settings.backlog,
        unix_socket_mode=settings.unix_socket_mode,
    )
    try:
        return Reloader(
            listeners,
            extra_files=settings.reload_extra_files,
            exclude=settings.reload_exclude,
            grace=settings.graceful_timeout,
        )
    except BaseException:
        close_listeners(listeners)
        raise


def serve(app: WSGIApp, **options: Any) -> None:
    """Serve the WSGI application ``app`` until SIGTERM or SIGINT.

    ``options`` are the fields of ``tapster.Settings`` (``bind``, ``threads``,
    ``keepalive_timeout``, ``reload``, ...); an unknown one raises
    ``SettingsError``.
    """
    settings = Settings.from_options(options)
    configure_logging(settings.log_level)
    configure_access_log(settings.access_log)
    build_server(settings, lambda: app).run()
