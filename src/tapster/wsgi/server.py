"""The server: listeners, the loop, the thread pool and the application, tied together.

``serve(app, **settings)`` is the public entry point, and the same code path
as ``tapster serve`` on the command line; both go through ``build_server``.
With one worker (the default) the ``Server`` runs in the calling process;
with more (or ``max_requests``), a ``Prefork`` master owns the sockets and
each forked worker runs a ``Server``. With ``reload`` on, the process the
user started is a ``Reloader`` instead, which runs this same program again
as the server process and restarts it when code changes.

Server hooks (``tapster.server_hooks``) are called at the moments of that
life: ``build_server`` calls ``on_starting``, the ``run()`` of a ``Server``
without a master or of a ``Prefork`` calls ``when_ready`` and ``on_exit``,
and a ``Prefork`` the worker and reload hooks. Nothing of them runs per
request.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import logging.config
import os
import re
import signal
import socket
import ssl
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from types import FrameType
from typing import TYPE_CHECKING, Any

from .. import __version__
from ..net import (
    DEFAULT_PORT,
    Bind,
    Listener,
    Master,
    PidFile,
    Reactor,
    ThreadPool,
    Worker,
    close_listeners,
    inherited_systemd_binds,
    open_listeners,
    parse_bind,
)
from ..net.proxy_protocol import ProxyHeader, ProxyHeaderReader
from ..net.reactor import Handler
from ..net.reloader import Reloader, enter_server_process, is_server_process
from ..net.tls import TLSConfigError, TLSHandshake, make_server_context
from ..net.trust import TrustedPeers
from ..server_hooks import HookError, Hooks, HookWorker, ServerHooks
from ..settings import Settings, SettingsError
from .access_log import AccessLog
from .connection import Connection
from .environ import listener_environ
from .tls import TLSConnection

if TYPE_CHECKING:
    from ..config_sources import LoadedSettings

__all__ = ["Prefork", "Server", "build_server", "resolve_binds", "serve"]

log = logging.getLogger("tapster.error")

WSGIApp = Callable[..., Any]

#: The answer, in the clear, to plain HTTP sent to a TLS port (as nginx gives one).
_PLAIN_HTTP_BODY = b"This port speaks HTTPS: use an https:// URL to reach it\n"
_PLAIN_HTTP_TO_TLS_PORT = (
    b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n"
    b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(_PLAIN_HTTP_BODY), _PLAIN_HTTP_BODY)
)


def resolve_binds(settings: Settings) -> list[Bind]:
    """The addresses to listen on: --bind, else --host/--port, else systemd's, else the default."""
    if settings.bind:
        return [parse_bind(spec) for spec in settings.bind]
    if settings.host is not None or settings.port is not None:
        host = settings.host or "127.0.0.1"
        port = DEFAULT_PORT if settings.port is None else settings.port
        return [parse_bind(f"[{host}]:{port}" if ":" in host else f"{host}:{port}")]
    return inherited_systemd_binds() or [parse_bind(f"127.0.0.1:{DEFAULT_PORT}")]


def listen(settings: Settings, reuse_port: bool | None = None) -> list[Listener]:
    """The listening sockets of ``settings``, opened (``reuse_port`` overrides the setting)."""
    return open_listeners(
        resolve_binds(settings),
        backlog=settings.backlog,
        unix_socket_mode=settings.unix_socket_mode,
        reuse_port=settings.reuse_port if reuse_port is None else reuse_port,
    )


class Server:
    """A running (or ready) tapster server for one WSGI application in this process.

    Given a ``worker``, it is one worker process of a ``Prefork`` master: it
    beats the master's heartbeat, counts its requests and leaves the
    listening sockets, the pid file, the banner and the hooks to the master.
    Without one, ``run()`` calls the ``when_ready`` and ``on_exit`` of ``hooks``.
    """

    def __init__(
        self,
        app: WSGIApp,
        settings: Settings,
        listeners: Sequence[Listener] | None = None,
        worker: Worker | None = None,
        hooks: ServerHooks | None = None,
    ) -> None:
        self.app = app
        self.settings = settings
        self.worker = worker
        self.hooks = hooks if hooks is not None else ServerHooks(None, settings)
        #: The TLS context when serving HTTPS, else None (loaded before any
        #: socket is opened, so that a bad certificate leaves nothing open).
        self.tls_context = tls_context(settings)
        if listeners is None:
            listeners = listen(settings)
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
        #: Peers trusted as proxies (``--forwarded-allow-ips``).
        self.trusted_peers = TrustedPeers.parse(settings.forwarded_allow_ips)
        # Whether connections are set up in stages (a PROXY header, a TLS
        # handshake) before HTTP: decided here, so that a plain server's
        # accept does exactly what it did before either existed.
        self._staged = self.tls_context is not None or settings.proxy_protocol
        self.listener_environs = {
            listener.sock.fileno(): listener_environ(
                listener,
                root_path=settings.root_path,
                multithread=settings.threads > 1,
                # PEP 3333: true when other processes serve the same application.
                multiprocess=worker is not None and settings.workers > 1,
                software=software,
                url_scheme="https" if self.tls_context is not None else "http",
            )
            for listener in self.listeners
        }
        #: Environ keys derived from each (memoized) Request, see request_environ().
        self.environ_memo: dict[Any, dict[str, Any]] = {}
        #: Whether each (memoized) Request carries a Forwarded or X-Forwarded-* field.
        self.proxied_memo: dict[Any, bool] = {}
        #: None when the access log is off: then nothing of it runs per request.
        self.access_log = (
            AccessLog(settings.access_log_format, colour=access_log_colour(settings))
            if access_log_enabled(settings)
            else None
        )
        self.pool = ThreadPool(settings.threads, track_jobs=worker is not None)
        self.reactor = Reactor(
            self.listeners,
            self._accept,
            max_connections=settings.max_connections,
            on_sweep=self._beat if worker is not None else None,
        )
        #: Set once the server accepts connections.
        self.started = threading.Event()

    def _accept(self, sock: socket.socket, peer: object, listener: Listener) -> Handler:
        if sock.family != socket.AF_UNIX:
            # Responses go out in one write; Nagle would hold the last segment.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if not self._staged:
            return Connection(sock, peer, listener, self)
        # The head time-out runs from here, through every stage.
        deadline = time.monotonic() + self.settings.head_timeout
        if self.settings.proxy_protocol and self.trusted_peers.trusts_peer(peer):

            def after_header(header: ProxyHeader) -> None:
                remote = header.source if header.source is not None else peer
                self.reactor.hand_over(
                    reader, self._after_proxy_header(sock, peer, remote, listener, deadline)
                )

            reader = ProxyHeaderReader(sock, self.reactor, deadline, after_header)
            return reader
        return self._after_proxy_header(sock, peer, peer, listener, deadline)

    def _after_proxy_header(
        self, sock: socket.socket, peer: object, remote: object, listener: Listener,
        deadline: float,
    ) -> Handler:
        """The TLS handshake, or the HTTP connection itself when TLS is off."""
        if self.tls_context is None:
            connection = Connection(sock, peer, listener, self, remote)
            connection.deadline = deadline
            return connection

        def after_handshake(tls_sock: ssl.SSLSocket) -> None:
            connection = TLSConnection(tls_sock, peer, listener, self, remote)
            connection.deadline = deadline
            if self.settings.cert_reqs != "none":
                connection.environ["tapster.peer_cert"] = tls_sock.getpeercert()
            self.reactor.hand_over(handshake, connection)

        handshake = TLSHandshake(
            sock, self.tls_context, remote, self.reactor, deadline, after_handshake,
            _PLAIN_HTTP_TO_TLS_PORT,
        )
        return handshake

    def run(self) -> None:
        """Serve until stopped (``stop()``, SIGTERM or SIGINT), then clean up.

        Signal handlers are installed only when called from the main thread.
        Raises ``HookError`` when the ``when_ready`` hook raises.
        """
        restore = self._install_signal_handlers()
        pid_file = PidFile(self.settings.pid if self.worker is None else None)
        try:
            pid_file.write()
            if self.worker is None:
                log_banner(self.listeners, self.settings)
                self.hooks.when_ready()
            else:
                self._beat(time.monotonic())  # the first beat tells the master: ready
            self.started.set()
            self.reactor.run()
        finally:
            close_listeners(self.listeners)
            self.pool.shutdown(timeout=1.0)
            restore()
            pid_file.remove()
            if self.worker is None:
                self.hooks.on_exit()
                log.info("Shutdown complete")

    def stop(self, grace: float | None = None) -> None:
        """Stop accepting and finish in-flight requests within ``grace`` seconds."""
        self.reactor.stop(
            self.settings.graceful_timeout if grace is None else grace,
            idle_linger=self.worker.idle_linger if self.worker is not None else 0.0,
        )

    def _beat(self, now: float) -> None:
        # A worker's loop, twice a second: tell the master how it is doing.
        assert self.worker is not None
        pool = self.pool
        master_alive = self.worker.beat(now, pool.oldest_job_started(), pool.jobs_done)
        if not master_alive and not self.reactor.stopping:
            log.warning("The master process is gone: stopping")
            self.stop()

    def _install_signal_handlers(self) -> Callable[[], None]:
        if threading.current_thread() is not threading.main_thread():
            return lambda: None
        stops = 0
        # A worker's master logs what it does with each signal; the worker's
        # own lines would repeat that once per worker.
        level = logging.INFO if self.worker is None else logging.DEBUG

        def on_signal(signum: int, frame: FrameType | None) -> None:
            nonlocal stops
            name = signal.Signals(signum).name
            if self.worker is not None and stops and signum == signal.SIGTERM:
                # A stopping worker's SIGTERM is the same stop again, not a second
                # one: its master sends it after whoever signalled the whole group
                # did (Ctrl-C, systemd's default KillMode=control-group). Taking it
                # for "now" would cut the requests the first signal let finish.
                # The master says "now" with SIGQUIT.
                log.debug("%s received again: already stopping", name)
                return
            stops += 1
            if stops == 1 and signum != signal.SIGQUIT:
                log.log(level, "%s received: finishing in-flight requests (up to %gs)", name,
                        self.settings.graceful_timeout)
                self.stop()
            else:
                log.log(level, "%s received%s: stopping now", name,
                        " again" if stops > 1 else "")
                self.stop(0)

        def on_resize(signum: int, frame: FrameType | None) -> None:
            # Their default would suspend the process (job control).
            log.warning("%s ignored: one process has no workers to add or remove "
                        "(--workers 2 or more starts a master)", signal.Signals(signum).name)

        previous = {
            sig: signal.signal(sig, on_signal)
            for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT)
        }
        if self.worker is None:
            for sig in (signal.SIGTTIN, signal.SIGTTOU):
                previous[sig] = signal.signal(sig, on_resize)
        previous_wakeup = signal.set_wakeup_fd(self.reactor.wakeup_fd, warn_on_full_buffer=False)

        def restore() -> None:
            signal.set_wakeup_fd(previous_wakeup)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            if self.worker is not None:
                # A worker is on its way out: a late SIGTERM or SIGINT (the master's,
                # after the group's) must not kill it by default before it exits 0.
                signal.signal(signal.SIGTERM, signal.SIG_IGN)
                signal.signal(signal.SIGINT, signal.SIG_IGN)

        return restore


def tls_context(settings: Settings) -> ssl.SSLContext | None:
    """The server's TLS context when ``certfile`` is set; ``SettingsError`` when unusable."""
    if settings.certfile is None:
        return None
    try:
        return make_server_context(
            settings.certfile,
            settings.keyfile,
            ca_certs=settings.ca_certs,
            cert_reqs=settings.cert_reqs,
            min_version=settings.ssl_min_version,
            ciphers=settings.ciphers,
        )
    except TLSConfigError as error:
        raise SettingsError(str(error)) from None


def _url(listener: Listener, tls: bool) -> str:
    url = listener.url
    return "https" + url[4:] if tls and url.startswith("http:") else url


#: Marks the handlers tapster installed itself: a reload (SIGHUP) replaces
#: these, and never a handler the application or --log-config set up.
_OWN_HANDLER = "_tapster_own_handler"

# Control characters in the values logged (an exception message, a request
# target): written as \xNN so that no value starts a line of its own.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class _EscapingFormatter(logging.Formatter):
    """A formatter that escapes control characters in the arguments of a message."""

    def format(self, record: logging.LogRecord) -> str:
        if isinstance(record.args, tuple) and record.args:
            record.args = tuple(
                _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", arg)
                if isinstance(arg, str) else arg
                for arg in record.args
            )
        return super().format(record)


class _JsonFormatter(_EscapingFormatter):
    """Error log records as JSON lines: time, level, pid, logger, message, traceback."""

    def format(self, record: logging.LogRecord) -> str:
        super().format(record)  # fills record.message (escaped) and record.exc_text
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "pid": record.process,
            "logger": record.name,
            "message": record.message,
        }
        if record.exc_text:
            entry["traceback"] = record.exc_text
        return json.dumps(entry)


def _handler(target: str, default_stream: Any) -> logging.Handler:
    handler: logging.Handler
    if target == "-":
        handler = logging.StreamHandler(default_stream)
    else:
        handler = logging.FileHandler(target)
    setattr(handler, _OWN_HANDLER, True)
    return handler


def _remove_own_handlers(logger: logging.Logger) -> None:
    for handler in list(logger.handlers):
        if getattr(handler, _OWN_HANDLER, False):
            logger.removeHandler(handler)
            handler.close()


def configure_logging(settings: Settings) -> None:
    """Set up the error log and the access log as the settings say.

    With ``log_config``, ``logging.config.dictConfig`` does it all and
    tapster adds nothing. Otherwise the ``tapster`` loggers go to
    ``error_log`` (stderr by default) unless the application configured
    logging itself, and ``tapster.access`` to ``access_log`` when set.
    Called again on SIGHUP: tapster's own handlers are replaced (files
    reopened), any other is left alone. Raises ``SettingsError`` when the
    ``log_config`` dictionary is wrong.
    """
    from ..config_sources import read_log_config

    logger = logging.getLogger("tapster")
    access = logging.getLogger("tapster.access")
    _remove_own_handlers(logger)
    _remove_own_handlers(access)
    if settings.log_config is not None:
        try:
            logging.config.dictConfig(read_log_config(settings.log_config))
        except (ValueError, TypeError, AttributeError, ImportError) as error:
            raise SettingsError(f"log_config: {error}") from None
        return
    logger.setLevel(settings.log_level.upper())
    if not logger.handlers and not logging.getLogger().handlers:
        handler = _handler(settings.error_log, sys.stderr)
        if settings.error_log_format == "json":
            handler.setFormatter(_JsonFormatter())
        else:
            handler.setFormatter(
                _EscapingFormatter("[%(asctime)s] [%(process)d] [%(levelname)s] %(message)s",
                                   "%Y-%m-%d %H:%M:%S %z")
            )
        logger.addHandler(handler)
    if settings.access_log is not None:
        access.setLevel(logging.INFO)
        access.propagate = False
        if not access.handlers:
            handler = _handler(settings.access_log, sys.stdout)
            # The line is escaped already (access_log.escape).
            handler.setFormatter(logging.Formatter("%(message)s"))
            access.addHandler(handler)


def access_log_enabled(settings: Settings) -> bool:
    """Whether to log each request: ``access_log`` is set, or ``log_config`` gave it a handler."""
    if settings.access_log is not None:
        return True
    return settings.log_config is not None and bool(logging.getLogger("tapster.access").handlers)


def access_log_colour(settings: Settings) -> bool:
    """Whether the access log's status codes are coloured: on a terminal, without NO_COLOR."""
    return (
        settings.access_log == "-"
        and settings.log_config is None
        and not os.environ.get("NO_COLOR")  # https://no-color.org: set and not empty
        and sys.stdout.isatty()
    )


def log_banner(
    listeners: Sequence[Listener], settings: Settings, workers: int | None = None
) -> None:
    """The start-up lines: each address as a URL, the processes and threads, how to stop."""
    for listener in listeners:
        note = ""
        if not listener.is_unix and listener.host in ("0.0.0.0", "::"):
            note = " (every IPv4 address)" if listener.host == "0.0.0.0" else " (every address)"
        log.info("Listening at: %s%s", _url(listener, settings.certfile is not None), note)
    pid = os.getpid()
    if workers is None:
        processes = f"1 process (pid {pid}), up to {settings.threads} threads"
    else:
        processes = (f"master pid {pid}, {workers} worker{'s' if workers != 1 else ''} "
                     f"x up to {settings.threads} threads")
    interactive = (sys.stdin is not None and sys.stdin.isatty()) or sys.stderr.isatty()
    stop = "Press Ctrl-C to stop" if interactive else f"Stop with SIGTERM (kill {pid})"
    log.info("tapster %s: %s. %s.", __version__, processes, stop)


#: Settings a reload (SIGHUP) cannot apply: they shape the listening
#: sockets the master keeps open, or the master itself. A change to one of
#: them is logged as needing a restart, and the running value is kept.
RESTART_SETTINGS = frozenset({
    "bind", "host", "port", "backlog", "unix_socket_mode", "reuse_port",
    "preload", "pid", "reload", "reload_extra_files", "reload_exclude",
})


class Prefork:
    """A master process serving through forked workers (``--workers`` > 1 or ``--max-requests``).

    The listening sockets are opened here, in the master, before any worker
    exists: a worker that dies or is replaced never closes them. The
    application is ``app`` when given (imported already: ``--preload``, or
    ``serve(app)``), else ``load()`` imports it in each worker, so that a
    reload (SIGHUP) serves the code as it is on disk now. With
    ``reload_settings``, a reload also reads the settings again (the config
    file and the environment) and the new workers run with them, and with
    the hooks read with them.
    """

    def __init__(
        self,
        settings: Settings,
        app: WSGIApp | None = None,
        load: Callable[[], WSGIApp] | None = None,
        listeners: Sequence[Listener] | None = None,
        reload_settings: Callable[[], LoadedSettings] | None = None,
        hooks: ServerHooks | None = None,
    ) -> None:
        if app is None and load is None:
            raise ValueError("Prefork needs an application or a way to load it")
        self.settings = settings
        self.app = app
        self.load = load
        self.hooks = hooks if hooks is not None else ServerHooks(None, settings)
        # Load the certificate once here, so that a bad one is one line at
        # start-up, not a failure of every worker (each loads its own after
        # the fork, so that SIGHUP picks up a renewed certificate).
        tls_context(settings)
        self.reload_settings = reload_settings
        if listeners is None:
            listeners = listen(settings)
        self.listeners = list(listeners)
        self.master = Master(
            self.listeners,
            self._start_worker,
            workers=settings.workers,
            timeout=settings.timeout,
            graceful_timeout=settings.graceful_timeout,
            max_requests=settings.max_requests,
            max_requests_jitter=settings.max_requests_jitter,
            reuse_port=settings.reuse_port,
            backlog=settings.backlog,
            preloaded=app is not None,
            on_reload=self._reload,
            on_child_exit=self._child_exited,
        )

    def run(self) -> int:
        """Supervise workers until SIGTERM, SIGINT or SIGQUIT; the exit status.

        Raises ``HookError`` when the ``when_ready`` hook raises.
        """
        pid_file = PidFile(self.settings.pid)
        try:
            pid_file.write()
            log_banner(self.listeners, self.settings, workers=self.settings.workers)
            self.hooks.when_ready()
            status = self.master.run()
        finally:
            close_listeners(self.listeners)
            pid_file.remove()
            self.hooks.on_exit()
        log.info("Shutdown complete")
        return status

    def _start_worker(self, worker: Worker) -> int:
        # In the forked child: import the application (unless preloaded), serve.
        # A start-up hook that raises (its traceback logged) ends the worker
        # before it is ready: the master counts a failed start.
        about = HookWorker(os.getpid(), worker.age, worker.slot, worker.master_pid)
        try:
            self.hooks.post_fork(about)
            app = self.app if self.app is not None else self.load()  # type: ignore[misc]
            server = Server(app, self.settings, listeners=worker.listeners, worker=worker)
            about.app = app
            self.hooks.post_worker_init(about)
        except HookError:
            return 1
        server.run()
        self.hooks.worker_exit(about)
        return 0

    def _child_exited(self, pid: int, age: int, slot: int, status: int) -> None:
        # In the master, once a worker is reaped.
        about = HookWorker(pid, age, slot, os.getpid(), exit_code=os.waitstatus_to_exitcode(status))
        self.hooks.child_exit(about)

    def _reload(self) -> bool:
        """On SIGHUP, in the master: read the settings again; False keeps everything as is.

        The ``on_reload`` hook (the one just read) runs once they are in force,
        before the new workers start.
        """
        if self.reload_settings is None:
            self.hooks.on_reload()
            return True
        try:
            loaded = self.reload_settings()
        except SettingsError as error:
            log.error("SIGHUP: the configuration is invalid, nothing reloaded: %s", error)
            return False
        new = loaded.settings
        old = self.settings
        kept = {}
        changed = []
        for name in dataclasses.fields(Settings):
            before, after = getattr(old, name.name), getattr(new, name.name)
            if before == after:
                continue
            if name.name in RESTART_SETTINGS:
                kept[name.name] = before
                log.warning("SIGHUP: %s changed to %r, which needs a restart of the server; "
                            "keeping %r", name.name, after, before)
            else:
                changed.append(f"{name.name}={after!r}")
        if kept:
            new = dataclasses.replace(new, **kept)
        try:
            configure_logging(new)  # reopens the log files too
        except SettingsError as error:
            log.error("SIGHUP: %s; nothing reloaded", error)
            configure_logging(old)
            return False
        self.settings = new
        master = self.master
        if new.workers != old.workers:
            master.target = new.workers
        master.timeout = new.timeout
        master.graceful_timeout = new.graceful_timeout
        master.max_requests = new.max_requests
        master.max_requests_jitter = new.max_requests_jitter
        log.info("SIGHUP: settings reloaded%s", ": " + ", ".join(changed) if changed
                 else " (unchanged)")
        self.hooks.replace(loaded.hooks, new)
        self.hooks.on_reload()
        return True


def build_server(
    settings: Settings,
    load: Callable[[], WSGIApp] | None = None,
    app: WSGIApp | None = None,
    reload_settings: Callable[[], LoadedSettings] | None = None,
    hooks: Hooks | None = None,
) -> Server | Prefork | Reloader:
    """What serves with these settings, listening already: ``run()`` it.

    ``app`` is the application, or ``load`` imports it: once here for a
    single process or with ``preload``, else in each worker. With
    ``settings.reload``, in the process the user started, a ``Reloader``
    comes back instead: it opens the sockets and runs this same program
    again as its server process, without loading the application itself (an
    application that fails to import then waits for a fix in the reloader
    rather than ending it). ``reload_settings`` (a ``SettingsLoader``'s
    ``load``) lets a prefork master read its settings again on SIGHUP.
    ``hooks`` are called at their moments, in the server process (not in the
    reloader's): ``on_starting`` here, before anything is opened or loaded.
    Raises ``BindError`` when a socket cannot be opened, ``HookError`` when
    ``on_starting`` raises, and what ``load`` raises.
    """
    listeners: list[Listener] | None = None
    if settings.reload:
        if not is_server_process():
            return _reloader(settings)
        listeners = enter_server_process(backlog=settings.backlog)
    calls = ServerHooks(hooks, settings)
    try:
        calls.on_starting()
    except HookError:
        close_listeners(listeners or [])
        raise
    if settings.needs_master:
        if app is None and settings.preload:
            app = load()  # type: ignore[misc]
        return Prefork(settings, app=app, load=load, listeners=listeners,
                       reload_settings=reload_settings, hooks=calls)
    return Server(app if app is not None else load(), settings,  # type: ignore[misc]
                  listeners, hooks=calls)


def _reloader(settings: Settings) -> Reloader:
    listeners = listen(settings, reuse_port=False)
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


def serve(app: WSGIApp, *, config: str | None = None,
          defaults: Mapping[str, Any] | None = None, **options: Any) -> None:
    """Serve the WSGI application ``app`` until SIGTERM or SIGINT.

    ``options`` are the fields of ``tapster.Settings`` (``bind``, ``threads``,
    ``workers``, ``keepalive_timeout``, ``reload``, ...); an unknown one raises
    ``SettingsError``. They win over ``TAPSTER_SERVE_*`` variables, which win
    over the config file ``config`` (TOML or Python, as ``--config``), which
    wins over ``defaults`` (settings too: ``App.run()`` gives port 5000). With
    ``workers`` > 1 the workers are forked from this process with ``app`` as
    it is (as with ``--preload``), and SIGHUP reads the config file and the
    variables again. Raises ``SystemExit(1)`` when the workers keep failing
    to start.

    ``options`` may also be server hooks (``on_starting=``, ``post_fork=``,
    ...; see ``tapster.server_hooks``), which win over the config file's.
    Raises ``HookError`` when a start-up hook of this process raises.
    """
    from ..config_sources import SettingsLoader

    loader = SettingsLoader(options, config=config, options_source="serve() argument",
                            defaults=defaults)
    loaded = loader.load()
    settings = loaded.settings
    configure_logging(settings)
    status = build_server(settings, app=app, reload_settings=loader.load,
                          hooks=loaded.hooks).run()
    if status:
        raise SystemExit(status)
