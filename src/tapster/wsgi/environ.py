"""The PEP 3333 environ, built in three steps so that each request does the least.

1. ``listener_environ``: once per listening socket, everything constant.
2. ``connection_environ``: once per connection, adds the peer's address
   (the client's, when a PROXY protocol header named it).
3. ``request_environ``: once per request, a ``dict.copy()`` of the
   connection's environ plus the request's own keys.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_to_bytes

from ..http import Request
from ..net import Listener
from .error_stream import ErrorStream
from .file_wrapper import FileWrapper

__all__ = ["connection_environ", "environ_key", "listener_environ", "request_environ"]

Environ = dict[str, Any]

# Field names mapped to environ keys; "" marks a name that is never passed on.
_KEYS: dict[str, str] = {"content-type": "CONTENT_TYPE", "content-length": "CONTENT_LENGTH"}
_KEYS_MAX = 1024


def environ_key(name: str) -> str:
    """The CGI key for a lower-case field name, or ``""`` to drop the field.

    A name with ``_`` is dropped rather than mapped: ``X_Forwarded_For``
    and ``X-Forwarded-For`` would both become ``HTTP_X_FORWARDED_FOR``, and a
    client could forge what a proxy in front appended (header spoofing).
    """
    key = _KEYS.get(name)
    if key is None:
        key = "" if "_" in name else "HTTP_" + name.upper().replace("-", "_")
        if len(_KEYS) < _KEYS_MAX:
            _KEYS[name] = key
    return key


def listener_environ(
    listener: Listener,
    *,
    root_path: str,
    multithread: bool,
    software: str,
    multiprocess: bool = False,
    url_scheme: str = "http",
) -> Environ:
    """The keys that are the same for every request on one listening socket."""
    if listener.is_unix:
        # PEP 3333 wants both non-empty; a proxy in front sets Host anyway.
        server_name, server_port = "localhost", "80"
    else:
        server_name, server_port = listener.host, str(listener.port)
    return {
        "SERVER_NAME": server_name,
        "SERVER_PORT": server_port,
        "SCRIPT_NAME": root_path,
        "SERVER_SOFTWARE": software,
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": url_scheme,
        "wsgi.errors": ErrorStream(),
        "wsgi.multithread": multithread,
        "wsgi.multiprocess": multiprocess,
        "wsgi.run_once": False,
        # Every wsgi.input here ends at the body's end, chunked or not, so an
        # application may read until EOF (the convention mod_wsgi introduced).
        "wsgi.input_terminated": True,
        "wsgi.file_wrapper": FileWrapper,
    }


def connection_environ(base: Environ, peer: object, remote: object = None) -> Environ:
    """Add the client's address: ``REMOTE_ADDR``, ``REMOTE_PORT``, ``tapster.peer``.

    ``peer`` is the socket's peer as ``accept()`` gave it (kept as
    ``tapster.peer``); ``remote`` the client's address when a PROXY header
    gave it, else the peer's.
    """
    environ = base.copy()
    environ["tapster.peer"] = peer
    if remote is None:
        remote = peer
    if isinstance(remote, tuple):
        environ["REMOTE_ADDR"] = remote[0]
        environ["REMOTE_PORT"] = str(remote[1])
    else:
        # A unix socket peer has no address; the key stays, empty, for
        # applications that index it (CGI lists it as required).
        environ["REMOTE_ADDR"] = ""
        environ["REMOTE_PORT"] = ""
    return environ


def request_environ(
    base: Environ, request: Request, wsgi_input: object, memo: dict[Request, Environ]
) -> Environ:
    """The environ of one request, from its connection's environ.

    The keys derived from the request are memoized in ``memo`` (one dict per
    server, so per root path): the parser hands out the same ``Request``
    object for a head it has seen, and then only a copy and an update remain.
    """
    items = memo.get(request)
    if items is None:
        items = _request_items(request, base["SCRIPT_NAME"])
        if len(memo) >= _MEMO_MAX:
            memo.clear()
        memo[request] = items
    environ = base.copy()
    environ.update(items)
    environ["wsgi.input"] = wsgi_input
    return environ


# Bound of a server's environ memo; it starts over when full.
_MEMO_MAX = 512


def _request_items(request: Request, root_path: str) -> Environ:
    """The environ keys that come from the request itself."""
    environ: Environ = {"REQUEST_METHOD": request.method}
    path = request.path
    if "%" in path:
        # PEP 3333: PATH_INFO is the percent-decoded path as latin-1, so
        # that the application can re-decode the raw bytes (e.g. as UTF-8).
        path = unquote_to_bytes(path).decode("latin-1")
    if root_path and (path == root_path or path.startswith(root_path + "/")):
        path = path[len(root_path) :]
    environ["PATH_INFO"] = path
    environ["QUERY_STRING"] = request.query
    environ["REQUEST_URI"] = environ["RAW_URI"] = request.target
    environ["SERVER_PROTOCOL"] = "HTTP/1.1" if request.http_version == "1.1" else "HTTP/1.0"
    keys = _KEYS
    for name, value in request.headers:
        key = keys.get(name)
        if key is None:
            key = environ_key(name)
        if not key:
            continue
        if key in environ:
            # RFC 9110 §5.3: repeated fields combine with commas, except
            # Cookie, whose pairs are separated by "; " (RFC 6265 §5.4).
            environ[key] += ("; " if key == "HTTP_COOKIE" else ", ") + value
        else:
            environ[key] = value
    if request.content_length is not None:
        environ["CONTENT_LENGTH"] = str(request.content_length)  # "5, 5" becomes "5"
    if request.absolute_form:
        environ["HTTP_HOST"] = request.host  # RFC 9112 §3.2.2: the target's authority wins
    return environ
