"""The context globals: ``current_app``, ``g``, ``request`` and ``session``.

Each is a proxy that looks up the object of the context active *now*, kept
in a ``contextvars.ContextVar``: every thread and every asyncio task sees its
own request, with no thread-local tricks. Outside a context, using one raises
a ``RuntimeError`` that says which context is missing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from .app import App
    from .ctx import AppContext, RequestContext, _AppCtxGlobals
    from .request import Request

__all__ = ["LocalProxy", "current_app", "g", "request", "session"]

_cv_app: ContextVar[AppContext] = ContextVar("tapster.app_ctx")
_cv_request: ContextVar[RequestContext] = ContextVar("tapster.request_ctx")

_NO_APP = """\
Working outside of application context.

This typically means that you attempted to use functionality that needed
the current application. To solve this, set up an application context
with app.app_context(). See the documentation for more information."""

_NO_REQUEST = """\
Working outside of request context.

This typically means that you attempted to use functionality that needed
an active HTTP request. See the documentation on testing for information
about how to avoid this problem."""


class LocalProxy:
    """Stands for the object ``get()`` returns at each use: attribute, item, call, iteration.

    ``_get_current_object()`` returns the object itself, for passing it to
    code that must not hold the proxy (another thread, a signal receiver).
    """

    __slots__ = ("_get",)

    def __init__(self, get: Callable[[], Any]) -> None:
        object.__setattr__(self, "_get", get)

    def _get_current_object(self) -> Any:
        """The object this proxy currently stands for."""
        return self._get()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._get(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._get(), name, value)

    def __delattr__(self, name: str) -> None:
        delattr(self._get(), name)

    def __getitem__(self, key: Any) -> Any:
        return self._get()[key]

    def __setitem__(self, key: Any, value: Any) -> None:
        self._get()[key] = value

    def __delitem__(self, key: Any) -> None:
        del self._get()[key]

    def __contains__(self, item: Any) -> bool:
        return item in self._get()

    def __iter__(self) -> Iterator[Any]:
        return iter(self._get())

    def __len__(self) -> int:
        return len(self._get())

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._get()(*args, **kwargs)

    def __bool__(self) -> bool:
        # False outside the context, so ``if request:`` is a safe test.
        try:
            return bool(self._get())
        except RuntimeError:
            return False

    def __eq__(self, other: object) -> bool:
        return bool(self._get() == other)

    def __ne__(self, other: object) -> bool:
        return bool(self._get() != other)

    def __hash__(self) -> int:
        return hash(self._get())

    def __str__(self) -> str:
        return str(self._get())

    def __repr__(self) -> str:
        try:
            return repr(self._get())
        except RuntimeError:
            return f"<{type(self).__name__} unbound>"

    @property  # type: ignore[misc]
    def __class__(self) -> type:  # so isinstance(request, Request) holds
        try:
            return type(self._get())
        except RuntimeError:
            return LocalProxy

    def __dir__(self) -> list[str]:
        return dir(self._get())


#: What a context proxy answers itself rather than pass on: the ``LocalProxy``
#: machinery and ``__class__`` (which says ``LocalProxy`` outside a context).
_PROXY_OWN = frozenset({"_get", "_get_current_object", "__class__"})


def _context_proxy(var: ContextVar[Any], attribute: str, message: str) -> LocalProxy:
    """A ``LocalProxy`` for ``attribute`` of the context in ``var``.

    Its class (one per proxy) answers every attribute read in
    ``__getattribute__``, one call: a ``__getattr__`` is only reached after
    the normal look-up has failed and raised ``AttributeError`` inside, which
    costs 0.5 µs a read; views read ``request`` often enough for that to show.
    """
    get_context = var.get

    def current() -> Any:
        context = get_context(None)
        if context is None:
            raise RuntimeError(message)
        return getattr(context, attribute)

    class ContextProxy(LocalProxy):
        __slots__ = ()

        def __getattribute__(self, name: str) -> Any:
            if name in _PROXY_OWN:
                return object.__getattribute__(self, name)
            context = get_context(None)
            if context is None:
                raise RuntimeError(message)
            return getattr(getattr(context, attribute), name)

    ContextProxy.__qualname__ = ContextProxy.__name__ = f"{attribute.capitalize()}Proxy"
    return ContextProxy(current)


#: The application handling the current request (or of the pushed app context).
current_app: App = cast("App", _context_proxy(_cv_app, "app", _NO_APP))
#: A namespace for data during one application context (one request).
g: _AppCtxGlobals = cast("_AppCtxGlobals", _context_proxy(_cv_app, "g", _NO_APP))
#: The request being handled.
request: Request = cast("Request", _context_proxy(_cv_request, "request", _NO_REQUEST))
#: The session of the current request (a dict-like object).
session: Any = _context_proxy(_cv_request, "session", _NO_REQUEST)
