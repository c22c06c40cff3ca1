"""The debug error page: an unhandled exception shown to the developer's browser.

``DebuggedApplication`` is WSGI middleware. In debug mode the app lets
unhandled exceptions propagate (``PROPAGATE_EXCEPTIONS``); the middleware
catches them and answers 500 with an HTML page: the exception's type and
message, the exceptions chained to it, and the traceback with the source
lines around each frame. Everything shown is HTML-escaped. Unlike
Werkzeug's debugger there is no console: the page executes nothing, and no
request can make the server run code.

``App.run(debug=True)`` and ``tapster run --debug`` wrap the app in it; it
is never used unless debug mode is on. It reveals the source code and the
exceptions of the app, so it must never face the internet.
"""

from __future__ import annotations

import html
import linecache
import os
import sys
import traceback
from collections.abc import Callable, Iterable, Iterator
from typing import Any

__all__ = ["DebuggedApplication", "render_traceback_html"]

WSGIApp = Callable[..., Any]

#: Source lines shown before and after the line of each frame.
CONTEXT_LINES = 3

#: How the traceback module words the link between chained exceptions.
_CAUSE = "The above exception was the direct cause of the following exception:"
_CONTEXT = "During handling of the above exception, another exception occurred:"

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 0; color: #222; background: #fff; }
header { background: #7a1f1f; color: #fff; padding: 1em 1.5em; }
header h1 { margin: 0; font-size: 1.4em; }
header p { margin: .4em 0 0; font-family: ui-monospace, monospace; white-space: pre-wrap; }
main { padding: 0 1.5em 2em; }
h2 { font-size: 1.1em; margin: 1.5em 0 .5em; }
.chain { margin: 1.5em 0 0; font-style: italic; color: #555; }
.frame { margin: .6em 0; border: 1px solid #ddd; border-radius: 4px; }
.frame.library { opacity: .65; }
.where { background: #f3f3f3; padding: .3em .6em; font-family: ui-monospace, monospace; }
.where .function { font-weight: bold; }
pre { margin: 0; padding: .3em 0; overflow-x: auto; font-size: .9em; }
pre span { display: block; padding: 0 .6em; }
pre .current { background: #fde8e8; font-weight: bold; }
pre .number { color: #999; user-select: none; }
footer { color: #777; font-size: .85em; padding: 0 1.5em 1em; }
"""


class DebuggedApplication:
    """Answer an exception ``app`` raises with the debug error page (500), for development.

    An exception raised while the response is being iterated gets the page
    too, as long as no byte of the body has been produced; after that, the
    status line is on the wire already, so the exception goes on to the
    server, which closes the connection. The traceback is also written to
    ``wsgi.errors`` (the server's error log).
    """

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        """The WSGI entry point."""
        try:
            body = self.app(environ, start_response)
        except Exception:
            return self._error_page(environ, start_response, sys.exc_info())
        if isinstance(body, (list, tuple)):
            return body  # produced already: nothing left to fail
        return self._guard(body, environ, start_response)

    def _guard(
        self, body: Iterable[bytes], environ: dict[str, Any], start_response: Any
    ) -> Iterator[bytes]:
        produced = False
        try:
            for chunk in body:
                produced = produced or bool(chunk)
                yield chunk
        except Exception:
            if produced:
                raise
            yield from self._error_page(environ, start_response, sys.exc_info())
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()

    def _error_page(
        self, environ: dict[str, Any], start_response: Any, exc_info: Any
    ) -> list[bytes]:
        error = exc_info[1]
        text = "".join(traceback.format_exception(*exc_info))
        errors = environ.get("wsgi.errors")
        if errors is not None:
            method, path = environ.get("REQUEST_METHOD", "?"), environ.get("PATH_INFO", "")
            errors.write(f"Exception on {path} [{method}] (debug page shown)\n{text}")
            errors.flush()
        if environ.get("HTTP_X_REQUESTED_WITH", "").lower() == "xmlhttprequest":
            body = text.encode("utf-8", "replace")
            content_type = "text/plain; charset=utf-8"
        else:
            body = render_traceback_html(error).encode("utf-8", "replace")
            content_type = "text/html; charset=utf-8"
        headers = [
            ("Content-Type", content_type),
            ("Content-Length", str(len(body))),
            # Never keep a page that shows source code in a cache.
            ("Cache-Control", "no-store"),
        ]
        start_response("500 INTERNAL SERVER ERROR", headers, exc_info)
        return [body]


def render_traceback_html(error: BaseException) -> str:
    """The debug page for ``error``: a complete HTML document, everything escaped."""
    chain = _exception_chain(error)
    title = _exception_line(error)
    parts = [
        "<!doctype html>\n<html lang=en>\n<head>\n<meta charset=utf-8>\n",
        f"<title>{_e(title)} // tapster debug page</title>\n",
        f"<style>{_STYLE}</style>\n</head>\n<body>\n",
        f"<header>\n<h1>{_e(type(error).__name__)}</h1>\n<p>{_e(str(error))}</p>\n</header>\n",
        "<main>\n",
    ]
    for link, exception in chain:
        if link:
            parts.append(f'<p class="chain">{_e(link)}</p>\n')
        parts.append(_render_exception(exception))
    parts.append("</main>\n<footer>The tapster debug page is shown in debug mode only. "
                 "It shows source code: never run debug mode where others can reach "
                 "it.</footer>\n</body>\n</html>\n")
    return "".join(parts)


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _exception_line(error: BaseException) -> str:
    name = type(error).__qualname__
    module = type(error).__module__
    if module not in ("builtins", "__main__"):
        name = f"{module}.{name}"
    message = str(error)
    return f"{name}: {message}" if message else name


def _exception_chain(error: BaseException) -> list[tuple[str, BaseException]]:
    """The exceptions in the order Python prints them (the first cause first), each with
    the sentence printed before it ("" for the first)."""
    chain: list[tuple[str, BaseException]] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        earlier: BaseException | None = None
        link = ""
        if current.__cause__ is not None:
            earlier, link = current.__cause__, _CAUSE
        elif current.__context__ is not None and not current.__suppress_context__:
            earlier, link = current.__context__, _CONTEXT
        chain.append((link if earlier is not None and id(earlier) not in seen else "", current))
        current = earlier
    chain.reverse()
    return chain


def _render_exception(error: BaseException) -> str:
    parts = ["<h2>Traceback <small>(most recent call last)</small></h2>\n"]
    for frame, line_number in traceback.walk_tb(error.__traceback__):
        code = frame.f_code
        if code.co_filename == __file__:
            continue  # this middleware's call of the app is not the developer's concern
        parts.append(_render_frame(code.co_filename, line_number, code.co_name,
                                   frame.f_globals))
    if isinstance(error, SyntaxError) and error.filename and error.lineno:
        # The bad line is in the file that failed to compile, not in a frame.
        parts.append(_render_frame(error.filename, error.lineno, "", {}))
    parts.append(f"<h2>{_e(_exception_line(error))}</h2>\n")
    return "".join(parts)


def _render_frame(
    filename: str, line_number: int, function: str, module_globals: dict[str, Any]
) -> str:
    library = " library" if _is_library(filename) else ""
    where = f'File <span class="file">{_e(filename)}</span>, line {line_number}'
    if function:
        where += f', in <span class="function">{_e(function)}</span>'
    lines = linecache.getlines(filename, module_globals)
    first = max(line_number - CONTEXT_LINES, 1)
    last = min(line_number + CONTEXT_LINES, len(lines))
    source = []
    for number in range(first, last + 1):
        current = ' class="current"' if number == line_number else ""
        text = lines[number - 1].rstrip("\r\n")
        source.append(f'<span{current}><span class="number">{number:>5}  </span>'
                      f"{_e(text)}</span>")
    listing = f"<pre>{''.join(source)}</pre>" if source else ""
    return f'<div class="frame{library}">\n<div class="where">{where}</div>\n{listing}\n</div>\n'


def _library_folders() -> tuple[str, ...]:
    import sysconfig

    paths = sysconfig.get_paths()
    folders = [paths[key] for key in ("stdlib", "purelib", "platlib") if key in paths]
    # tapster's own frames (the framework around the view) are not the app's code.
    folders.append(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return tuple(os.path.join(folder, "") for folder in folders)


def _is_library(filename: str) -> bool:
    return os.path.abspath(filename).startswith(_LIBRARY_FOLDERS)


_LIBRARY_FOLDERS = _library_folders()
