"""Build WSGI environs for the framework's tests, as tapster's server would.

``make_environ("/path?x=1", method="POST", body=b"...", headers={...})``
fills in what PEP 3333 requires; ``PATH_INFO`` and ``SCRIPT_NAME`` are given
as text and stored the PEP 3333 way (UTF-8 bytes as latin-1 code points).
"""

from __future__ import annotations

import io
from typing import Any

__all__ = ["make_environ", "wsgi_str"]


def wsgi_str(text: str) -> str:
    """``text`` as a PEP 3333 "native string": its UTF-8 bytes as latin-1."""
    return text.encode().decode("latin-1")


def make_environ(
    target: str = "/",
    *,
    method: str = "GET",
    headers: dict[str, str] | list[tuple[str, str]] | None = None,
    body: bytes | None = None,
    script_name: str = "",
    scheme: str = "http",
    server: tuple[str, str] = ("localhost", "80"),
    remote_addr: str | None = "127.0.0.1",
    terminated: bool = True,
    **extra: Any,
) -> dict[str, Any]:
    """A WSGI environ for a request to ``target`` (a path with an optional query).

    The query string is stored the same way as the path.
    ``headers`` become ``HTTP_*`` keys (``Content-Type`` and ``Content-Length``
    their own); a ``body`` sets ``Content-Length`` unless a header gives one.
    ``terminated`` sets ``wsgi.input_terminated`` as tapster's server does.
    """
    path, _, query = target.partition("?")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": wsgi_str(script_name),
        "PATH_INFO": wsgi_str(path),
        "QUERY_STRING": wsgi_str(query),
        "SERVER_NAME": server[0],
        "SERVER_PORT": server[1],
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scheme,
        "wsgi.input": io.BytesIO(body or b""),
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    if terminated:
        environ["wsgi.input_terminated"] = True
    if remote_addr is not None:
        environ["REMOTE_ADDR"] = remote_addr
    items = headers.items() if isinstance(headers, dict) else (headers or [])
    for name, value in items:
        key = name.upper().replace("-", "_")
        if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            key = "HTTP_" + key
        environ[key] = wsgi_str(value)
    chunked = environ.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked"
    if body is not None and "CONTENT_LENGTH" not in environ and not chunked:
        environ["CONTENT_LENGTH"] = str(len(body))
    environ.update(extra)
    return environ
