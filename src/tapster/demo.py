"""The bundled demo: a small WSGI application that shows what the server does.

``make serve`` runs it at http://127.0.0.1:8000. It grows into a full
application once tapster's framework lands.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["app"]

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tapster demo</title>
<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}}
code,pre{{background:#f3f3f3;padding:.1rem .3rem;border-radius:3px}}</style></head>
<body><h1>tapster is serving</h1>
<p>This page came through tapster's own HTTP/1.1 server: a listening socket,
an epoll loop, a strict request parser and a PEP 3333 bridge, all in Python.</p>
<h2>Your request</h2>
<pre>{request}</pre>
<h2>Try</h2>
<ul>
<li><a href="/echo?hello=world"><code>GET /echo</code></a>: your request as JSON</li>
<li><code>curl -T somefile http://127.0.0.1:8000/upload</code>:
counts the bytes of an upload, streamed</li>
<li><a href="/stream"><code>GET /stream</code></a>: a chunked response</li>
</ul></body></html>
"""

StartResponse = Callable[..., Any]


def _request_summary(environ: dict[str, Any]) -> dict[str, Any]:
    headers = {
        key[5:].replace("_", "-").title(): value
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    return {
        "method": environ["REQUEST_METHOD"],
        "path": environ["PATH_INFO"],
        "query": environ["QUERY_STRING"],
        "protocol": environ["SERVER_PROTOCOL"],
        "remote": environ.get("REMOTE_ADDR", ""),
        "headers": headers,
    }


def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    """The demo WSGI application."""
    path = environ["PATH_INFO"]
    if path == "/":
        summary = json.dumps(_request_summary(environ), indent=2)
        body = _PAGE.format(request=html.escape(summary)).encode("utf-8")
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        return [body]
    if path == "/echo":
        body = json.dumps(_request_summary(environ), indent=2).encode("utf-8")
        start_response("200 OK", [("Content-Type", "application/json")])
        return [body]
    if path == "/upload":
        wsgi_input = environ["wsgi.input"]
        total = 0
        while chunk := wsgi_input.read(65536):
            total += len(chunk)
        start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
        return [f"received {total} bytes\n".encode()]
    if path == "/stream":
        start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
        return (f"line {number}\n".encode() for number in range(1, 11))
    start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
    return [b"Not Found\n"]
