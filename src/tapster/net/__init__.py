"""Sockets and the event loop: listening, accepting, readiness, worker threads.

This package knows nothing of HTTP or WSGI.
"""

from __future__ import annotations

from .binds import DEFAULT_PORT, Bind, BindError, parse_bind
from .listeners import Listener, close_listeners, inherited_systemd_binds, open_listeners
from .reactor import Handler, Reactor
from .threadpool import ThreadPool
from .workers import Master, PidFile, Worker

__all__ = [
    "DEFAULT_PORT",
    "Bind",
    "BindError",
    "Handler",
    "Listener",
    "Master",
    "PidFile",
    "Reactor",
    "ThreadPool",
    "Worker",
    "close_listeners",
    "inherited_systemd_binds",
    "open_listeners",
    "parse_bind",
]
