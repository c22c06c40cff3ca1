"""The application and request contexts: what ``current_app``, ``g`` and ``request`` point at.

A context is pushed for each request (and by ``app.app_context()``) and
popped when the request ends, running the teardown functions even after an
exception. Pushing sets a ``ContextVar``; popping resets it with the token
from that push, so contexts nest, can be pushed again (``stream_with_context``,
the test client's ``with client:``), and every thread and asyncio task sees
its own.
"""

from __future__ import annotations

import contextvars
import functools
import sys
from collections.abc import Callable, Iterator
from functools import cached_property
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from .exceptions import HTTPException
from .globals import _cv_app, _cv_request
from .signals import appcontext_popped, appcontext_pushed

if TYPE_CHECKING:
    from .app import App
    from .request import Request
    from .response import Response
    from .routing import MapAdapter

__all__ = [
    "AppContext",
    "RequestContext",
    "after_this_request",
    "copy_current_request_context",
    "has_app_context",
    "has_request_context",
]

F = TypeVar("F", bound=Callable[..., Any])

_MISSING = object()


class _AppCtxGlobals:
    """``g``: a plain namespace for one application context, with a few dict-like helpers."""

    def get(self, name: str, default: Any = None) -> Any:
        """The attribute ``name``, or ``default``."""
        return self.__dict__.get(name, default)

    def pop(self, name: str, default: Any = _MISSING) -> Any:
        """Remove and return the attribute ``name`` (``default`` when missing, else KeyError)."""
        if default is _MISSING:
            return self.__dict__.pop(name)
        return self.__dict__.pop(name, default)

    def setdefault(self, name: str, default: Any = None) -> Any:
        """The attribute ``name``, set to ``default`` first when missing."""
        return self.__dict__.setdefault(name, default)

    def __contains__(self, item: str) -> bool:
        return item in self.__dict__

    def __iter__(self) -> Iterator[str]:
        return iter(self.__dict__)

    def __repr__(self) -> str:
        context = _cv_app.get(None)
        if context is not None:
            return f"<tapster.g of '{context.app.name}'>"
        return object.__repr__(self)


class AppContext:
    """The application context: makes ``current_app`` and ``g`` available.

    Pushed automatically with each request; push one yourself with
    ``with app.app_context():`` to use the app outside a request (CLI
    commands, tests, background jobs).
    """

    def __init__(self, app: App) -> None:
        self.app = app
        self.g: _AppCtxGlobals = app.app_ctx_globals_class()
        self._tokens: list[contextvars.Token[AppContext]] = []

    @cached_property
    def url_adapter(self) -> MapAdapter | None:
        """The URL map bound to ``SERVER_NAME`` for ``url_for`` outside requests (or None).

        Made on first use: a request builds URLs with its own adapter, so most
        app contexts never need this one.
        """
        return self.app.create_url_adapter(None)

    def push(self) -> None:
        """Make this the current application context."""
        self._tokens.append(_cv_app.set(self))
        if appcontext_pushed.receivers:
            appcontext_pushed.send(self.app, _async_wrapper=self.app.ensure_sync)

    def pop(self, exc: BaseException | None = _MISSING) -> None:  # type: ignore[assignment]
        """Run the app's teardown functions (on the last pop) and restore the previous context."""
        try:
            if len(self._tokens) == 1:
                if exc is _MISSING:
                    exc = sys.exc_info()[1]
                self.app.do_teardown_appcontext(exc)
        finally:
            context = _cv_app.get(None)
            _cv_app.reset(self._tokens.pop())
        if context is not self:
            raise AssertionError(f"Popped the wrong app context ({context!r} instead of {self!r})")
        if appcontext_popped.receivers:
            appcontext_popped.send(self.app, _async_wrapper=self.app.ensure_sync)

    def __enter__(self) -> AppContext:
        self.push()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.pop(exc_value)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self.app.name!r}>"


class RequestContext:
    """The request context: makes ``request`` and ``session`` available for one request.

    Created from the WSGI environ; the URL is matched here, so a routing
    error is known before any hook runs and is raised at dispatch, where
    error handlers can answer it.
    """

    def __init__(
        self,
        app: App,
        environ: dict[str, Any],
        request: Request | None = None,
        session: Any = None,
    ) -> None:
        self.app = app
        if request is None:
            request = app.request_class(environ)
            request.json_module = app.json
            config = app.config
            request.max_content_length = config["MAX_CONTENT_LENGTH"]
            request.max_form_memory_size = config["MAX_FORM_MEMORY_SIZE"]
            request.max_form_parts = config["MAX_FORM_PARTS"]
        self.request: Request = request
        self.url_adapter: MapAdapter | None = None
        try:
            self.url_adapter = app.create_url_adapter(request)
        except HTTPException as error:
            request.routing_exception = error
        self._session = session
        #: The flashed messages read in this request (``get_flashed_messages``).
        self.flashes: list[tuple[str, str]] | None = None
        self._after_request_functions: list[Callable[[Response], Response]] = []
        self._tokens: list[tuple[contextvars.Token[RequestContext], AppContext | None]] = []
        if self.url_adapter is not None:
            self.match_request()

    def match_request(self) -> None:
        """Match the URL: set ``url_rule`` and ``view_args``, or ``routing_exception``."""
        try:
            rule, view_args = self.url_adapter.match(return_rule=True)  # type: ignore[union-attr]
        except HTTPException as error:
            self.request.routing_exception = error
        else:
            self.request.url_rule = rule
            self.request.view_args = view_args

    def copy(self) -> RequestContext:
        """A new context for the same request object and session (for another thread)."""
        return type(self)(self.app, self.request.environ, self.request, self._session)

    @property
    def session(self) -> Any:
        """The request's session, opened on first use (the null session without a secret key).

        Opening lazily saves requests that never touch the session the cost
        of reading and verifying the cookie.
        """
        session = self._session
        if session is None:
            interface = self.app.session_interface
            session = interface.open_session(self.app, self.request)
            if session is None:
                session = interface.make_null_session(self.app)
            self._session = session
        return session

    @session.setter
    def session(self, value: Any) -> None:
        self._session = value

    @property
    def session_opened(self) -> bool:
        """Whether the session was opened (by use, or given) during this request."""
        return self._session is not None

    def push(self) -> None:
        """Make this the current request context, pushing an app context when needed."""
        app_context = _cv_app.get(None)
        if app_context is None or app_context.app is not self.app:
            app_context = self.app.app_context()
            app_context.push()
        else:
            app_context = None
        self._tokens.append((_cv_request.set(self), app_context))

    def pop(self, exc: BaseException | None = _MISSING) -> None:  # type: ignore[assignment]
        """Run the teardown functions (on the last pop), then restore the previous contexts."""
        clear_request = len(self._tokens) == 1
        try:
            if clear_request:
                if exc is _MISSING:
                    exc = sys.exc_info()[1]
                self.app.do_teardown_request(exc)
                close = getattr(self.request, "close", None)
                if close is not None:
                    close()
        finally:
            context = _cv_request.get(None)
            token, app_context = self._tokens.pop()
            _cv_request.reset(token)
            if app_context is not None:
                app_context.pop(exc)
        if context is not self:
            raise AssertionError(
                f"Popped the wrong request context ({context!r} instead of {self!r})"
            )

    def __enter__(self) -> RequestContext:
        self.push()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.pop(exc_value)

    def __repr__(self) -> str:
        request = self.request
        return f"<{type(self).__name__} {request.url!r} [{request.method}] of {self.app.name}>"


def default_template_context() -> dict[str, Any]:
    """``g``, ``request`` and ``session`` for templates (the app's first context processor)."""
    context: dict[str, Any] = {}
    app_context = _cv_app.get(None)
    if app_context is not None:
        context["g"] = app_context.g
    request_context = _cv_request.get(None)
    if request_context is not None:
        context["request"] = request_context.request
        context["session"] = request_context.session
    return context


def has_request_context() -> bool:
    """Whether a request context is active (``request`` is usable)."""
    return _cv_request.get(None) is not None


def has_app_context() -> bool:
    """Whether an application context is active (``current_app`` and ``g`` are usable)."""
    return _cv_app.get(None) is not None


def after_this_request(f: F) -> F:
    """Run ``f(response)`` after this request, before the app's ``after_request`` functions."""
    context = _cv_request.get(None)
    if context is None:
        raise RuntimeError(
            "'after_this_request' can only be used when a request context is active, "
            "such as in a view function."
        )
    context._after_request_functions.append(f)
    return f


def copy_current_request_context(f: F) -> F:
    """Wrap ``f`` so it runs in a copy of the current request context (for another thread)."""
    context = _cv_request.get(None)
    if context is None:
        raise RuntimeError(
            "'copy_current_request_context' can only be used when a request context is "
            "active, such as in a view function."
        )
    context = context.copy()

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with context:
            return context.app.ensure_sync(f)(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
