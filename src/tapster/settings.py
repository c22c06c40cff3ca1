"""Server settings: one dataclass, each default explained beside it.

The command line, ``tapster.serve(app, **settings)`` and ``App.run()`` all
fill this one class; the CLI builds its flags from the fields' metadata, so
a setting, its default and its help text live in exactly one place.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from typing import Any

from .http import limits
from .http.grammar import FIELD_VALUE_INVALID

__all__ = ["GUNICORN_ACCESS_LOG_FORMAT", "Settings", "SettingsError"]

#: The access log format gunicorn users know (its ``access_log_format`` default).
GUNICORN_ACCESS_LOG_FORMAT = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"'


class SettingsError(ValueError):
    """A setting is unknown or has an invalid value; the message names it."""


def octal(text: str) -> int:
    """Parse file permissions written in octal, as chmod takes them (``660``)."""
    return int(text, 8)


def worker_count(text: str) -> int:
    """Parse ``--workers``: a number, or ``auto`` for one worker per CPU."""
    return _cpu_count() if text == "auto" else int(text)


def _cpu_count() -> int:
    # The CPUs this process may run on (a container's or taskset's limit),
    # not every CPU of the machine.
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _setting(
    default: Any, group: str, help: str, *, flag: str | None = None, why: str = "", **extra: Any
) -> Any:
    """A settings field: its CLI flag, help text and the reason for its default."""
    metadata = {"group": group, "help": help, "flag": flag, "why": why, **extra}
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata=metadata)
    return field(default=default, metadata=metadata)


@dataclass
class Settings:
    """Everything that configures a tapster server."""

    # -- where to listen ----------------------------------------------------------------
    bind: list[str] = _setting(
        [],
        "binding",
        "Address to listen on: HOST:PORT, [IPV6]:PORT, unix:PATH or fd://N; repeatable. "
        "Default 127.0.0.1:8000, or the sockets systemd passes (LISTEN_FDS).",
        metavar="ADDRESS",
        why="Loopback until told otherwise: serving the network is a decision, not a default.",
    )
    host: str | None = _setting(
        None, "binding", "Shorthand: listen on HOST (with --port).", why="As for --bind."
    )
    port: int | None = _setting(
        None, "binding", "Shorthand: listen on PORT (0 picks a free one).", why="8000, as gunicorn."
    )
    backlog: int = _setting(
        2048,
        "binding",
        "Listen backlog: connections the kernel queues before they are accepted.",
        why="A deep queue absorbs bursts of new connections instead of refusing them; the "
        "kernel caps it at net.core.somaxconn (4096 on current Linux).",
    )
    unix_socket_mode: int | None = _setting(
        None,
        "binding",
        "Permissions of unix socket files, in octal (e.g. 660); default: from the umask.",
        parse=octal,
        why="The umask is how the operator already says who may connect.",
    )
    reuse_port: bool = _setting(
        False,
        "binding",
        "With workers: each worker accepts on a TCP socket of its own (SO_REUSEPORT), so that "
        "the kernel spreads new connections evenly over the workers. One process: only sets "
        "SO_REUSEPORT, so that another server may listen on the same port.",
        why="Off: a shared socket lets an idle worker take a connection a busy one would "
        "keep waiting (docs/server.md, how connections spread).",
    )

    # -- the application ----------------------------------------------------------------
    threads: int = _setting(
        64,
        "workers",
        "Most threads running the application at once (the pool grows to this on demand).",
        why="The pool grows only when no thread is idle: a fast app stays on a few threads, "
        "one that waits (database, HTTP calls) gets up to this many. 64 keeps a 50 ms handler "
        "at 50 concurrent clients near its ideal 1,000 req/s.",
    )
    root_path: str = _setting(
        "",
        "workers",
        "URL prefix the application is mounted at (WSGI SCRIPT_NAME), e.g. /app.",
        why="Mounted at the root unless a proxy in front says otherwise.",
    )

    # -- worker processes ------------------------------------------------------------------
    workers: int = _setting(
        1,
        "processes",
        "Worker processes (prefork), or 'auto' for one per CPU. With more than one, a master "
        "process owns the sockets and supervises the workers.",
        parse=worker_count,
        metavar="N",
        why="One process, no master: as fast as tapster gets on one core, and what a "
        "container that is scaled by its orchestrator wants.",
    )
    timeout: float = _setting(
        30.0,
        "processes",
        "Seconds a worker may spend on one request (or on starting) before the master "
        "kills and replaces it; 0 = off. Needs a master.",
        why="gunicorn's default: far beyond any request a person waits for, so only a "
        "stuck worker meets it.",
    )
    max_requests: int = _setting(
        0,
        "processes",
        "Replace a worker after it served about this many requests; 0 = never. Starts a "
        "master even with one worker.",
        why="Off: recycling is a cure for leaks in the application, not for a healthy one.",
    )
    max_requests_jitter: int = _setting(
        0,
        "processes",
        "Add a random 0 to N to each worker's --max-requests, so that workers are not all "
        "replaced at once.",
        why="Off, as --max-requests.",
    )
    preload: bool = _setting(
        False,
        "processes",
        "Import the application once in the master, before forking the workers (shares "
        "memory; SIGHUP then cannot load new code).",
        why="Off, so that each worker imports the application and SIGHUP loads new code.",
    )
    pid: str | None = _setting(
        None,
        "processes",
        "Write the process id of the server (the master, with workers) to FILE.",
        metavar="FILE",
        why="None: a process manager (systemd, a container runtime) knows the pid already.",
    )

    # -- limits ----------------------------------------------------------------------------
    max_connections: int = _setting(
        10000,
        "limits",
        "Most open connections per process; beyond it new ones wait in the backlog.",
        why="An idle keep-alive connection costs about 1.2 KiB of memory and no thread "
        "(measured, docs/security.md); the bound keeps the process inside its file descriptor "
        "limit, which must be raised to match (ulimit -n).",
    )
    max_request_line: int = _setting(
        limits.MAX_REQUEST_LINE,
        "limits",
        "Longest request line in bytes (414 beyond).",
        why="What nginx and Apache accept; RFC 9112 §3 recommends at least 8000 octets.",
    )
    max_header_bytes: int = _setting(
        limits.MAX_HEADER_BYTES,
        "limits",
        "Largest request header section in bytes (431 beyond).",
        why="Generous for cookies and tokens, while bounding what an unfinished head pins "
        "in memory (nginx: 32 KiB, waitress: 256 KiB).",
    )
    max_header_count: int = _setting(
        limits.MAX_HEADER_COUNT,
        "limits",
        "Most request header fields (431 beyond).",
        why="gunicorn's and Apache's limit; browsers send 10 to 25.",
    )
    max_body_bytes: int = _setting(
        limits.MAX_BODY_BYTES,
        "limits",
        "Largest request body in bytes (413 beyond); 0 = no limit.",
        why="waitress's default; checked against Content-Length before reading, and counted "
        "while a chunked body streams.",
    )
    max_drain_bytes: int = _setting(
        1024 * 1024,
        "limits",
        "Unread request body the server reads and discards to keep a connection alive.",
        why="Reading and discarding 1 MiB takes about a millisecond, cheaper than a new "
        "connection; a larger unread body is not worth reading, so the connection closes.",
    )
    buffer_chunked_bodies: bool = _setting(
        False,
        "limits",
        "Read a chunked request body whole (past 1 MiB into a temporary file) before calling "
        "the application, and give it CONTENT_LENGTH: for applications that read a body without "
        "CONTENT_LENGTH as empty, as Django does.",
        why="Off: a chunked body streams to the application as it arrives, which PEP 3333 "
        "applications read with wsgi.input_terminated; waitress always buffers.",
    )

    # -- time-outs -----------------------------------------------------------------------
    head_timeout: float = _setting(
        20.0,
        "timeouts",
        "Seconds a client has to send a whole request head, from its first byte.",
        why="Apache's mod_reqtimeout allows 20 s; a slowloris client trickling bytes is "
        "closed when it runs out, whatever its pace. A new connection gets it too.",
    )
    body_timeout: float = _setting(
        30.0,
        "timeouts",
        "Seconds the server waits for the next piece of a request body.",
        why="Half nginx's 60 s: long enough for a slow mobile upload to make progress.",
    )
    keepalive_timeout: float = _setting(
        5.0,
        "timeouts",
        "Seconds an idle keep-alive connection stays open between requests.",
        flag="--keep-alive",
        why="Long enough for a browser's next click on a page's assets, short enough that "
        "idle connections do not pile up (uvicorn: 5, gunicorn: 2).",
    )
    send_timeout: float = _setting(
        30.0,
        "timeouts",
        "Seconds a client may take to accept more response bytes before it is dropped.",
        why="A reader that stops reading holds a worker thread; half nginx's 60 s.",
    )
    graceful_timeout: float = _setting(
        30.0,
        "timeouts",
        "Seconds in-flight requests get to finish after SIGTERM/SIGINT.",
        why="gunicorn's default, and Kubernetes' default termination grace period.",
    )

    # -- TLS -------------------------------------------------------------------------------
    certfile: str | None = _setting(
        None,
        "tls",
        "Serve HTTPS: the certificate chain in PEM (the server's certificate first). Every "
        "listener then speaks TLS.",
        metavar="FILE",
        why="Plain HTTP: TLS is usually ended by the proxy or load balancer in front.",
    )
    keyfile: str | None = _setting(
        None,
        "tls",
        "The certificate's private key in PEM; default: in --certfile.",
        metavar="FILE",
        why="One file holding both is common (certbot's, HAProxy's).",
    )
    ca_certs: str | None = _setting(
        None,
        "tls",
        "Certificates (PEM) of the authorities that sign accepted client certificates "
        "(with --cert-reqs).",
        metavar="FILE",
        why="None: no client certificates unless asked for.",
    )
    cert_reqs: str = _setting(
        "none",
        "tls",
        "Client certificates: none (not asked for), optional (verified when sent) or "
        "required (the handshake fails without one).",
        choices=("none", "optional", "required"),
        why="Browsers and API clients authenticate over HTTP, not with certificates.",
    )
    ssl_min_version: str = _setting(
        "TLSv1.2",
        "tls",
        "Oldest TLS version accepted: TLSv1.2 or TLSv1.3.",
        choices=("TLSv1.2", "TLSv1.3"),
        why="TLS 1.0 and 1.1 are deprecated (RFC 8996); every client of the last decade "
        "speaks 1.2.",
    )
    ciphers: str | None = _setting(
        None,
        "tls",
        "OpenSSL cipher list for TLS 1.2 (TLS 1.3's suites are all strong and not set here).",
        metavar="LIST",
        why="Python's default list: forward-secret AEAD ciphers only.",
    )

    # -- proxies ---------------------------------------------------------------------------
    forwarded_allow_ips: str = _setting(
        "127.0.0.1,::1,unix",
        "proxies",
        "Peers trusted as proxies, comma-separated: addresses, networks (10.0.0.0/8), 'unix' "
        "for unix socket peers, '*' for every peer. Only theirs are Forwarded and "
        "X-Forwarded-* headers applied (and PROXY headers read).",
        metavar="LIST",
        why="A proxy on the same machine (nginx in front, over loopback or a unix socket) is "
        "the usual set-up; any other peer could forge its own address.",
    )
    proxy_protocol: bool = _setting(
        False,
        "proxies",
        "Connections from trusted peers start with a PROXY protocol header (v1 or v2, as "
        "HAProxy and cloud load balancers send), which gives the client's address.",
        why="Off: a load balancer sends it only when told to, and a header is required once "
        "this is on.",
    )

    # -- logging -----------------------------------------------------------------------
    log_level: str = _setting(
        "info",
        "logging",
        "Error log level: debug, info, warning, error or critical.",
        choices=("debug", "info", "warning", "error", "critical"),
        why="Start-up, shutdown and errors, but no line per request.",
    )
    access_log: str | None = _setting(
        None,
        "logging",
        "Write an access log line per request to FILE ('-' for stdout); off by default.",
        metavar="FILE",
        aliases=("--access-logfile",),
        why="Off, as in gunicorn: formatting a line per request costs throughput; a proxy in "
        "front usually logs already.",
    )
    access_log_format: str = _setting(
        GUNICORN_ACCESS_LOG_FORMAT,
        "logging",
        "Access log format, with gunicorn's atoms (h, l, u, t, r, m, U, q, H, s, b, B, f, a, "
        "T, D, M, L, p, {header}i, {variable}e), or 'json' for one JSON object per line.",
        aliases=("--access-logformat",),
        why="gunicorn's default format, so existing log parsers keep working.",
    )
    error_log: str = _setting(
        "-",
        "logging",
        "Write the error log (start-up, errors, tracebacks) to FILE ('-' for stderr).",
        metavar="FILE",
        aliases=("--error-logfile",),
        why="stderr, where a process manager (systemd, a container runtime) collects it.",
    )
    error_log_format: str = _setting(
        "text",
        "logging",
        "Error log lines as text, or 'json' for one JSON object per line (time, level, pid, "
        "logger, message, traceback).",
        choices=("text", "json"),
        why="Text for a person reading a terminal; JSON for a log collector.",
    )
    log_config: str | None = _setting(
        None,
        "logging",
        "Configure logging from FILE, a logging.config.dictConfig dictionary in JSON or "
        "TOML (a config file may give the table itself); tapster then adds no handler of "
        "its own, and the access log is on when the tapster.access logger has a handler.",
        metavar="FILE",
        why="None: tapster's own handlers (--error-log, --access-log) suffice for most.",
    )
    server_header: str = _setting(
        "tapster",
        "logging",
        "Value of the Server response header; empty to send none.",
        why="Says what answered, without a version number to fingerprint.",
    )

    # -- development -------------------------------------------------------------------
    reload: bool = _setting(
        False,
        "development",
        "Restart the server when a Python file or template of the project changes "
        "(with watchfiles when installed, else by polling every second). For development.",
        why="Off: a production server changes code by a deployment, not by a file watcher; "
        "App.run(debug=True) and 'tapster run --debug' turn it on.",
    )
    reload_extra_files: list[str] = _setting(
        [],
        "development",
        "With --reload: also restart when FILE changes (a configuration file...); repeatable.",
        flag="--reload-extra-file",
        metavar="FILE",
        why="Only the project's Python files and templates unless told.",
    )
    reload_exclude: list[str] = _setting(
        [],
        "development",
        "With --reload: ignore changes of files matching this fnmatch PATTERN (by name or "
        "whole path); repeatable.",
        metavar="PATTERN",
        why="Editors' swap and backup files, bytecode, hidden and virtualenv folders are "
        "ignored already.",
    )

    def __post_init__(self) -> None:
        if self.workers == "auto":
            self.workers = _cpu_count()
        self.validate()

    @property
    def needs_master(self) -> bool:
        """Whether serving takes a master process and workers (else: one plain process)."""
        return self.workers > 1 or self.max_requests > 0

    def _validate_server_header(self) -> None:
        header = self.server_header
        if (
            not isinstance(header, str)
            or FIELD_VALUE_INVALID.search(header)
            or header != header.strip()
            or not header.isascii()
        ):
            # It is written into every response head: a CR or LF would split it.
            raise SettingsError(f"server_header must be printable ASCII with no control "
                                f"characters or surrounding spaces, not {header!r}")

    def validate(self) -> None:
        """Raise ``SettingsError`` naming the first invalid setting."""
        self._validate_server_header()
        positive_ints = (
            "threads",
            "max_connections",
            "max_request_line",
            "max_header_bytes",
            "max_header_count",
            "backlog",
            "workers",
        )
        for name in positive_ints:
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise SettingsError(f"{name} must be a positive whole number, not {value!r}")
        for name in ("max_body_bytes", "max_drain_bytes", "max_requests", "max_requests_jitter"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 0:
                raise SettingsError(f"{name} must be a whole number >= 0, not {value!r}")
        for name in (
            "head_timeout",
            "body_timeout",
            "keepalive_timeout",
            "send_timeout",
            "graceful_timeout",
        ):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or value <= 0:
                raise SettingsError(f"{name} must be a number of seconds > 0, not {value!r}")
        if not isinstance(self.timeout, (int, float)) or self.timeout < 0:
            raise SettingsError(f"timeout must be a number of seconds >= 0, not {self.timeout!r}")
        if self.port is not None and not 0 <= self.port <= 65535:
            raise SettingsError(f"port must be 0-65535, not {self.port!r}")
        if self.log_level not in ("debug", "info", "warning", "error", "critical"):
            raise SettingsError(f"log_level must be debug, info, warning, error or critical, "
                                f"not {self.log_level!r}")
        if self.root_path and (not self.root_path.startswith("/") or self.root_path.endswith("/")):
            raise SettingsError(f"root_path must start with / and not end with one: "
                                f"{self.root_path!r}")
        self._validate_tls_and_proxies()
        for name in ("bind", "reload_extra_files", "reload_exclude"):
            if isinstance(getattr(self, name), str):
                setattr(self, name, [getattr(self, name)])

    def _validate_tls_and_proxies(self) -> None:
        if isinstance(self.forwarded_allow_ips, (list, tuple)):
            self.forwarded_allow_ips = ",".join(self.forwarded_allow_ips)
        from .net.trust import TrustedPeers  # settings stays importable without the server

        try:
            TrustedPeers.parse(self.forwarded_allow_ips)
        except ValueError as error:
            raise SettingsError(f"forwarded_allow_ips: {error}") from None
        if self.cert_reqs not in ("none", "optional", "required"):
            raise SettingsError(f"cert_reqs must be none, optional or required, "
                                f"not {self.cert_reqs!r}")
        if self.ssl_min_version not in ("TLSv1.2", "TLSv1.3"):
            raise SettingsError(f"ssl_min_version must be TLSv1.2 or TLSv1.3, "
                                f"not {self.ssl_min_version!r}")
        if self.certfile is None:
            for name in ("keyfile", "ca_certs", "ciphers"):
                if getattr(self, name) is not None:
                    raise SettingsError(f"{name} needs certfile (TLS is off without it)")
            if self.cert_reqs != "none":
                raise SettingsError("cert_reqs needs certfile (TLS is off without it)")
        elif self.cert_reqs != "none" and self.ca_certs is None:
            raise SettingsError(f"cert_reqs {self.cert_reqs} needs ca_certs: the authorities "
                                f"that sign client certificates")

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> Settings:
        """Build settings from keyword options, naming any unknown one."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(options) - known)
        if unknown:
            raise SettingsError(f"unknown setting {unknown[0]!r}")
        try:
            return cls(**options)
        except TypeError as error:
            raise SettingsError(str(error)) from None


def settings_reference() -> str:
    """The settings as a Markdown table (docs/server.md embeds it; a test keeps it current)."""
    rows = [
        "| flag | `serve()` name | default | what it is | why this default |",
        "|---|---|---|---|---|",
    ]
    for item in dataclasses.fields(Settings):
        flag = item.metadata.get("flag") or "--" + item.name.replace("_", "-")
        flag = "`, `".join([flag, *item.metadata.get("aliases", ())])
        default = item.default if item.default is not dataclasses.MISSING else []
        if default is False:
            shown = "off"
        elif default in (None, [], ""):
            shown = "—"
        else:
            shown = f"`{default}`"
        help_text = item.metadata["help"].replace("|", "\\|")
        why = item.metadata["why"].replace("|", "\\|")
        rows.append(f"| `{flag}` | `{item.name}` | {shown} | {help_text} | {why} |")
    return "\n".join(rows) + "\n"
