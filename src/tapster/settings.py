"""Server settings: one dataclass, each default explained beside it.

The command line, ``tapster.serve(app, **settings)`` and ``App.run()`` all
fill this one class; the CLI builds its flags from the fields' metadata, so
a setting, its default and its help text live in exactly one place.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from .http import limits

__all__ = ["GUNICORN_ACCESS_LOG_FORMAT", "Settings", "SettingsError"]

#: The access log format gunicorn users know (its ``access_log_format`` default).
GUNICORN_ACCESS_LOG_FORMAT = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"'


class SettingsError(ValueError):
    """A setting is unknown or has an invalid value; the message names it."""


def _setting(default: Any, group: str, help: str, *, flag: str | None = None, **extra: Any) -> Any:
    metadata = {"group": group, "help": help, "flag": flag, **extra}
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
    )
    host: str | None = _setting(None, "binding", "Shorthand: listen on HOST (with --port).")
    port: int | None = _setting(None, "binding", "Shorthand: listen on PORT (0 picks a free one).")
    backlog: int = _setting(
        2048,
        "binding",
        # The kernel caps it at net.core.somaxconn (4096 on current Linux).
        # A deep queue absorbs bursts of new connections instead of refusing them.
        "Listen backlog: connections the kernel queues before they are accepted.",
    )
    unix_socket_mode: int | None = _setting(
        None,
        "binding",
        "Permissions of unix socket files, in octal (e.g. 660); default: from the umask.",
        parse=lambda text: int(text, 8),
    )

    # -- the application ----------------------------------------------------------------
    threads: int = _setting(
        64,
        "workers",
        # A pool that grows on demand: a fast app stays on a few threads, one
        # that waits (database, HTTP calls) gets up to this many. 64 keeps a
        # 50 ms handler at 50 concurrent clients near its ideal 1,000 req/s.
        "Most threads running the application at once (the pool grows to this on demand).",
    )
    root_path: str = _setting(
        "",
        "workers",
        "URL prefix the application is mounted at (WSGI SCRIPT_NAME), e.g. /app.",
    )

    # -- limits ----------------------------------------------------------------------------
    max_connections: int = _setting(
        10000,
        "limits",
        # Each idle keep-alive connection costs a few KiB; beyond this the
        # kernel backlog queues new connections instead of this process.
        "Most open connections per process; beyond it new ones wait in the backlog.",
    )
    max_request_line: int = _setting(
        limits.MAX_REQUEST_LINE, "limits", "Longest request line in bytes (414 beyond)."
    )
    max_header_bytes: int = _setting(
        limits.MAX_HEADER_BYTES, "limits", "Largest request header section in bytes (431 beyond)."
    )
    max_header_count: int = _setting(
        limits.MAX_HEADER_COUNT, "limits", "Most request header fields (431 beyond)."
    )
    max_body_bytes: int = _setting(
        limits.MAX_BODY_BYTES, "limits", "Largest request body in bytes (413 beyond); 0 = no limit."
    )
    max_drain_bytes: int = _setting(
        1024 * 1024,
        "limits",
        # Reading and discarding 1 MiB takes about a millisecond, cheaper than a
        # new connection; a larger unread body is not worth reading at all.
        "Unread request body the server reads and discards to keep a connection alive.",
    )

    # -- time-outs -----------------------------------------------------------------------
    head_timeout: float = _setting(
        20.0,
        "timeouts",
        # Apache's mod_reqtimeout allows 20 s for a head; a slowloris client
        # trickling bytes is closed when it runs out, whatever its pace.
        "Seconds a client has to send a whole request head, from its first byte.",
    )
    body_timeout: float = _setting(
        30.0,
        "timeouts",
        "Seconds the server waits for the next piece of a request body (nginx: 60).",
    )
    keepalive_timeout: float = _setting(
        5.0,
        "timeouts",
        # Long enough for a browser's next click on a page's assets, short
        # enough that idle connections do not pile up (uvicorn: 5, gunicorn: 2).
        "Seconds an idle keep-alive connection stays open between requests.",
        flag="--keep-alive",
    )
    send_timeout: float = _setting(
        30.0,
        "timeouts",
        "Seconds a client may take to accept more response bytes before it is dropped.",
    )
    graceful_timeout: float = _setting(
        30.0,
        "timeouts",
        "Seconds in-flight requests get to finish after SIGTERM/SIGINT (gunicorn: 30).",
    )

    # -- logging -----------------------------------------------------------------------
    log_level: str = _setting(
        "info",
        "logging",
        "Error log level: debug, info, warning, error or critical.",
        choices=("debug", "info", "warning", "error", "critical"),
    )
    access_log: str | None = _setting(
        None,
        "logging",
        "Write an access log line per request to FILE ('-' for stdout); off by default.",
        metavar="FILE",
    )
    access_log_format: str = _setting(
        GUNICORN_ACCESS_LOG_FORMAT,
        "logging",
        "Access log format, with gunicorn's atoms (h, l, u, t, r, m, U, q, H, s, b, B, f, a, "
        "T, D, M, L, p).",
    )
    server_header: str = _setting(
        "tapster",
        "logging",
        "Value of the Server response header; empty to send none.",
    )

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise ``SettingsError`` naming the first invalid setting."""
        positive_ints = (
            "threads",
            "max_connections",
            "max_request_line",
            "max_header_bytes",
            "max_header_count",
            "backlog",
        )
        for name in positive_ints:
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise SettingsError(f"{name} must be a positive whole number, not {value!r}")
        for name in ("max_body_bytes", "max_drain_bytes"):
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
        if self.port is not None and not 0 <= self.port <= 65535:
            raise SettingsError(f"port must be 0-65535, not {self.port!r}")
        if self.log_level not in ("debug", "info", "warning", "error", "critical"):
            raise SettingsError(f"log_level must be debug, info, warning, error or critical, "
                                f"not {self.log_level!r}")
        if self.root_path and (not self.root_path.startswith("/") or self.root_path.endswith("/")):
            raise SettingsError(f"root_path must start with / and not end with one: "
                                f"{self.root_path!r}")
        if isinstance(self.bind, str):
            self.bind = [self.bind]

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
