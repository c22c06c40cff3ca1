"""The WSGI server: connections, exchanges and PEP 3333, on top of net and http."""

from __future__ import annotations

from .body import RequestBody
from .errors import ClientGone, InputError
from .file_wrapper import FileWrapper
from .server import Prefork, Server, build_server, serve

__all__ = [
    "ClientGone",
    "FileWrapper",
    "InputError",
    "Prefork",
    "RequestBody",
    "Server",
    "build_server",
    "serve",
]
