"""Helpers used inside views: ``url_for``, ``redirect``, ``make_response``, streaming, flashing."""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from .globals import _cv_app, _cv_request, current_app, session
from .signals import message_flashed

if TYPE_CHECKING:
    from .response import Response

__all__ = [
    "flash",
    "get_flashed_messages",
    "make_response",
    "redirect",
    "stream_with_context",
    "url_for",
]

# Characters a URI may hold as they are (RFC 3986 §2.2 and §2.3, and "%" of
# existing escapes): only what is outside them, such as non-ASCII, is quoted.
_URI_SAFE = "!#$%&'()*+,/:;=?@[]~"


def url_for(
    endpoint: str,
    *,
    _anchor: str | None = None,
    _method: str | None = None,
    _scheme: str | None = None,
    _external: bool | None = None,
    **values: Any,
) -> str:
    """The URL of ``endpoint``: path parameters from ``values``, the rest as a query string.

    ``.name`` is relative to the current blueprint. ``_external=True`` gives
    an absolute URL (the default outside a request), ``_scheme`` its scheme,
    ``_anchor`` a ``#fragment``, ``_method`` picks the rule for that method.
    """
    return current_app.url_for(
        endpoint,
        _anchor=_anchor,
        _method=_method,
        _scheme=_scheme,
        _external=_external,
        **values,
    )


def _redirect(location: str, code: int, response_class: type[Response]) -> Response:
    """A redirect response with a short HTML body; a relative location stays relative."""
    display = html.escape(location)
    uri = quote(location, safe=_URI_SAFE)
    body = (
        "<!doctype html>\n<html lang=en>\n<title>Redirecting...</title>\n"
        "<h1>Redirecting...</h1>\n"
        "<p>You should be redirected automatically to the target URL: "
        f'<a href="{html.escape(uri)}">{display}</a>. If not, click the link.\n'
    )
    response = response_class(body, code, mimetype="text/html")
    response.headers["Location"] = uri
    return response


def redirect(location: str, code: int = 302, Response: type[Response] | None = None) -> Response:
    """A response redirecting to ``location`` (302 unless ``code`` says otherwise).

    Inside an app context the app's ``redirect`` is used, so an app can
    change how redirects are made.
    """
    context = _cv_app.get(None)
    if context is not None and Response is None:
        return context.app.redirect(location, code)
    if Response is None:
        from .response import Response
    return _redirect(location, code, Response)


def make_response(*args: Any) -> Response:
    """The response a view's return value would give, to change it before returning it.

    ``make_response()`` is an empty response; one argument or several
    (``body, status, headers``) are what a view may return.
    """
    if not args:
        return current_app.response_class()
    if len(args) == 1:
        args = args[0]
    return current_app.make_response(args)


def stream_with_context(
    generator_or_function: Iterable[Any] | Callable[..., Iterable[Any]],
) -> Any:
    """Keep the request context while a streamed response's generator runs.

    The context of a request normally ends when the view returns, before
    the server iterates the body; a generator wrapped here sees ``request``
    and ``session`` until it finishes. Use it on a generator or as a
    decorator of a generator function.
    """
    if callable(generator_or_function) and not hasattr(generator_or_function, "__next__"):
        function = generator_or_function

        def decorated(*args: Any, **kwargs: Any) -> Iterator[Any]:
            return stream_with_context(function(*args, **kwargs))  # type: ignore[no-any-return]

        decorated.__name__ = getattr(function, "__name__", "decorated")
        decorated.__doc__ = function.__doc__
        return decorated

    context = _cv_request.get(None)
    if context is None:
        raise RuntimeError(
            "'stream_with_context' can only be used when a request context is active, such "
            "as in a view function."
        )
    iterator = iter(generator_or_function)  # type: ignore[arg-type]

    def generator() -> Iterator[Any]:
        with context:
            yield None  # primed below, so the context is pushed by the time we return
            try:
                yield from iterator
            finally:
                close = getattr(iterator, "close", None)
                if close is not None:
                    close()

    wrapped = generator()
    next(wrapped)
    return wrapped


def flash(message: str, category: str = "message") -> None:
    """Keep a message for the next request (and this one) to show: see ``get_flashed_messages``."""
    flashes = session.get("_flashes", [])
    flashes.append((category, message))
    session["_flashes"] = flashes
    if message_flashed.receivers:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        message_flashed.send(app, _async_wrapper=app.ensure_sync, message=message,
                             category=category)


def get_flashed_messages(
    with_categories: bool = False, category_filter: Iterable[str] = ()
) -> list[Any]:
    """The messages flashed for this request, removed from the session on first read.

    ``with_categories`` gives ``(category, message)`` pairs;
    ``category_filter`` keeps only those categories. Within one request the
    same list is returned every time.
    """
    context = _cv_request.get()
    flashes = context.flashes
    if flashes is None:
        flashes = context.flashes = session.pop("_flashes") if "_flashes" in session else []
    if category_filter:
        wanted = set(category_filter)
        flashes = [item for item in flashes if item[0] in wanted]
    if not with_categories:
        return [item[1] for item in flashes]
    return list(flashes)
