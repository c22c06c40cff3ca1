"""Class-based views: ``View`` (one ``dispatch_request``) and ``MethodView`` (a method per verb)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from .globals import current_app, request

__all__ = ["MethodView", "View"]

_HTTP_METHODS = frozenset(
    ["get", "post", "head", "options", "delete", "put", "trace", "patch"]
)


class View:
    """A view as a class: subclass it, implement ``dispatch_request``, register ``as_view(name)``.

    ``methods`` and ``provide_automatic_options`` are read by ``add_url_rule``;
    ``decorators`` wrap the generated view function. By default an instance
    is made for every request (``init_every_request``); turn that off to make
    one per registration and save the allocation.
    """

    #: The methods the view answers (``add_url_rule`` reads it).
    methods: ClassVar[set[str] | None] = None
    #: Whether OPTIONS is answered automatically (None: the app decides).
    provide_automatic_options: ClassVar[bool | None] = None
    #: Decorators applied, in order, to the function ``as_view`` returns.
    decorators: ClassVar[list[Callable[..., Any]]] = []
    #: Make a new instance for each request (False: one instance, shared by threads).
    init_every_request: ClassVar[bool] = True

    def dispatch_request(self, **kwargs: Any) -> Any:
        """Answer the request; keyword arguments are the URL's values."""
        raise NotImplementedError()

    @classmethod
    def as_view(cls, name: str, *class_args: Any, **class_kwargs: Any) -> Callable[..., Any]:
        """A view function named ``name``; the arguments are passed to the class."""
        if cls.init_every_request:

            def view(**kwargs: Any) -> Any:
                instance = view.view_class(*class_args, **class_kwargs)  # type: ignore[attr-defined]
                return current_app.ensure_sync(instance.dispatch_request)(**kwargs)

        else:
            instance = cls(*class_args, **class_kwargs)

            def view(**kwargs: Any) -> Any:
                return current_app.ensure_sync(instance.dispatch_request)(**kwargs)

        for decorator in cls.decorators:
            view = decorator(view)
        view.view_class = cls  # type: ignore[attr-defined]
        view.__name__ = name
        view.__doc__ = cls.__doc__
        view.__module__ = cls.__module__
        view.methods = cls.methods  # type: ignore[attr-defined]
        view.provide_automatic_options = cls.provide_automatic_options  # type: ignore[attr-defined]
        return view


class MethodView(View):
    """A view with a method per HTTP verb (``get``, ``post``...); HEAD falls back to ``get``.

    ``methods`` is filled from the methods the class (and its bases) define.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "methods" not in cls.__dict__:
            methods = set()
            for base in cls.__bases__:
                if getattr(base, "methods", None):
                    methods.update(base.methods)  # type: ignore[attr-defined]
            for name in _HTTP_METHODS:
                if hasattr(cls, name):
                    methods.add(name.upper())
            if methods:
                cls.methods = methods

    def dispatch_request(self, **kwargs: Any) -> Any:
        """Call the method named after the request's verb."""
        handler = getattr(self, request.method.lower(), None)
        if handler is None and request.method == "HEAD":
            handler = getattr(self, "get", None)
        if handler is None:
            raise AssertionError(f"Unimplemented method {request.method!r}")
        return current_app.ensure_sync(handler)(**kwargs)
