"""The WSGI server: connections, exchanges and PEP 3333, on top of net and http."""

from __future__ import annotations

from .body import InputError, RequestBody
from .file_wrapper import FileWrapper
from .server import Server, serve

__all__ = ["FileWrapper", "InputError", "RequestBody", "Server", "serve"]
