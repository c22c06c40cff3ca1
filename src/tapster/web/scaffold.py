"""What an App and a Blueprint share: routes, hooks and error handlers, registered by decorator.

Hooks and handlers are kept per *scope*: ``None`` for the app itself, a
blueprint's name for that blueprint, so a blueprint's hooks run only for its
own requests. ``add_url_rule`` is the one method the two implement
differently (the app adds a rule to its map; a blueprint records it until
it is registered).
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections import defaultdict
from collections.abc import Callable, Mapping
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

from .exceptions import HTTPException, default_exceptions

if TYPE_CHECKING:
    from jinja2 import BaseLoader

    from .cli import AppGroup

__all__ = ["Scaffold", "get_root_path", "registering", "send_file_max_age", "setupmethod"]

F = TypeVar("F", bound=Callable[..., Any])

ErrorHandler = Callable[[Any], Any]


def send_file_max_age(config: Mapping[str, Any]) -> int | None:
    """``SEND_FILE_MAX_AGE_DEFAULT`` of ``config`` in seconds (None: clients revalidate)."""
    value = config["SEND_FILE_MAX_AGE_DEFAULT"]
    if value is None:
        return None
    if isinstance(value, timedelta):
        return int(value.total_seconds())
    return int(value)


def registering(add: Callable[..., Any], name: str | None) -> Callable[[F], F]:
    """A decorator that registers the function it decorates with ``add(f, name=name)``."""

    def decorator(f: F) -> F:
        add(f, name=name)
        return f

    return decorator


def setupmethod(f: F) -> F:
    """Mark a registration method: calling it after the first request is an error."""
    name = f.__name__

    def wrapper(self: Scaffold, *args: Any, **kwargs: Any) -> Any:
        self._check_setup_finished(name)
        return f(self, *args, **kwargs)

    wrapper.__name__ = name
    wrapper.__doc__ = f.__doc__
    wrapper.__qualname__ = f.__qualname__
    wrapper.__wrapped__ = f  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


def get_root_path(import_name: str) -> str:
    """The folder of the module or package ``import_name`` (the working folder for ``__main__``)."""
    module = sys.modules.get(import_name)
    file = getattr(module, "__file__", None)
    if file is not None:
        return os.path.dirname(os.path.abspath(file))
    try:
        spec = importlib.util.find_spec(import_name)
    except (ImportError, ValueError):
        spec = None
    if spec is None or spec.origin in (None, "namespace", "built-in", "frozen"):
        # An interactive session, or a name that is not a module: Flask uses the cwd too.
        return os.getcwd()
    # A module's folder; for a package, origin is its __init__.py, so its folder too.
    return os.path.dirname(os.path.abspath(spec.origin))


class Scaffold:
    """The registration API shared by ``App`` and ``Blueprint``."""

    #: The app (or blueprint) name: the import name, or a blueprint's own name.
    name: str
    #: Set by the app once it served a request; registration then fails.
    _got_first_request = False

    def __init__(
        self,
        import_name: str,
        static_folder: str | os.PathLike[str] | None = None,
        static_url_path: str | None = None,
        template_folder: str | os.PathLike[str] | None = None,
        root_path: str | None = None,
    ) -> None:
        self.import_name = import_name
        self.static_folder = static_folder  # type: ignore[assignment]
        self.static_url_path = static_url_path
        self.template_folder = template_folder
        self.root_path = root_path if root_path is not None else get_root_path(import_name)

        #: endpoint -> view function.
        self.view_functions: dict[str, Callable[..., Any]] = {}
        #: scope -> status code (or None) -> exception class -> handler.
        self.error_handler_spec: dict[
            str | None, dict[int | None, dict[type[BaseException], ErrorHandler]]
        ] = defaultdict(lambda: defaultdict(dict))
        #: scope -> functions run before each request; one returning a value ends the request.
        self.before_request_funcs: dict[str | None, list[Callable[..., Any]]] = defaultdict(list)
        #: scope -> functions given the response after each request.
        self.after_request_funcs: dict[str | None, list[Callable[..., Any]]] = defaultdict(list)
        #: scope -> functions run when the request context is popped, even after an error.
        self.teardown_request_funcs: dict[str | None, list[Callable[..., Any]]] = defaultdict(
            list
        )
        #: scope -> functions returning values for every template's context.
        self.template_context_processors: dict[str | None, list[Callable[..., Any]]] = (
            defaultdict(list)
        )
        #: scope -> functions given (endpoint, view_args) before the view, to pop values.
        self.url_value_preprocessors: dict[str | None, list[Callable[..., Any]]] = defaultdict(
            list
        )
        #: scope -> functions given (endpoint, values) when building a URL, to add values.
        self.url_default_functions: dict[str | None, list[Callable[..., Any]]] = defaultdict(
            list
        )

    def _check_setup_finished(self, f_name: str) -> None:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"

    # -- folders -------------------------------------------------------------------

    @property
    def static_folder(self) -> str | None:
        """The absolute path of the folder of static files, if one is configured."""
        if self._static_folder is not None:
            return os.path.join(self.root_path, self._static_folder)
        return None

    @static_folder.setter
    def static_folder(self, value: str | os.PathLike[str] | None) -> None:
        if value is not None:
            value = os.fspath(value).rstrip(r"\/")
        self._static_folder = value

    @property
    def has_static_folder(self) -> bool:
        """Whether a static folder is configured (it may not exist on disk)."""
        return self.static_folder is not None

    @property
    def static_url_path(self) -> str | None:
        """The URL prefix of static files: given, or ``/`` + the static folder's name."""
        if self._static_url_path is not None:
            return self._static_url_path
        if self.static_folder is not None:
            basename = os.path.basename(self.static_folder)
            return f"/{basename}".rstrip("/")
        return None

    @static_url_path.setter
    def static_url_path(self, value: str | None) -> None:
        if value is not None:
            value = value.rstrip("/")
        self._static_url_path = value

    def send_static_file(self, filename: str) -> Any:
        """The view of the ``static`` endpoint: a file from ``static_folder``."""
        if not self.has_static_folder:
            raise RuntimeError("'static_folder' must be set to serve static_files.")
        from .files import send_from_directory

        # The owner's own method, as in Flask: a blueprint (subclass) may cache its files longer.
        max_age = self.get_send_file_max_age(filename)
        return send_from_directory(self.static_folder, filename, max_age=max_age)  # type: ignore[arg-type]

    def get_send_file_max_age(self, filename: str | None) -> int | None:
        """Seconds ``filename`` of the static folder may be cached: the current app's
        ``SEND_FILE_MAX_AGE_DEFAULT`` (None: revalidate); override it to choose per file."""
        from .globals import current_app

        return send_file_max_age(current_app.config)

    def open_resource(self, resource: str, mode: str = "rb", encoding: str | None = None) -> Any:
        """Open a file relative to ``root_path`` for reading (``"rb"``, ``"r"`` or ``"rt"``)."""
        if mode not in {"r", "rt", "rb"}:
            raise ValueError("Resources can only be opened for reading.")
        path = os.path.join(self.root_path, resource)
        if mode == "rb":
            return open(path, mode)
        return open(path, mode, encoding=encoding)

    @cached_property
    def jinja_loader(self) -> BaseLoader | None:
        """The loader of this app's (or blueprint's) ``template_folder``, if it has one."""
        if self.template_folder is None:
            return None
        from jinja2 import FileSystemLoader

        return FileSystemLoader(os.path.join(self.root_path, self.template_folder))

    @cached_property
    def cli(self) -> AppGroup:
        """The click group of this app's (or blueprint's) commands, for ``@app.cli.command()``."""
        from .cli import AppGroup  # click is loaded only when commands are used

        return AppGroup(name=self.name)

    # -- routes --------------------------------------------------------------------

    def _method_route(self, method: str, rule: str, options: dict[str, Any]) -> Callable[[F], F]:
        if "methods" in options:
            raise TypeError("Use the 'route' decorator to use the 'methods' argument.")
        return self.route(rule, methods=[method], **options)

    @setupmethod
    def get(self, rule: str, **options: Any) -> Callable[[F], F]:
        """``route(rule, methods=["GET"])``."""
        return self._method_route("GET", rule, options)

    @setupmethod
    def post(self, rule: str, **options: Any) -> Callable[[F], F]:
        """``route(rule, methods=["POST"])``."""
        return self._method_route("POST", rule, options)

    @setupmethod
    def put(self, rule: str, **options: Any) -> Callable[[F], F]:
        """``route(rule, methods=["PUT"])``."""
        return self._method_route("PUT", rule, options)

    @setupmethod
    def delete(self, rule: str, **options: Any) -> Callable[[F], F]:
        """``route(rule, methods=["DELETE"])``."""
        return self._method_route("DELETE", rule, options)

    @setupmethod
    def patch(self, rule: str, **options: Any) -> Callable[[F], F]:
        """``route(rule, methods=["PATCH"])``."""
        return self._method_route("PATCH", rule, options)

    @setupmethod
    def route(self, rule: str, **options: Any) -> Callable[[F], F]:
        """Register the decorated function as the view of ``rule`` (see ``add_url_rule``)."""

        def decorator(f: F) -> F:
            endpoint = options.pop("endpoint", None)
            self.add_url_rule(rule, endpoint, f, **options)
            return f

        return decorator

    @setupmethod
    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: Callable[..., Any] | None = None,
        provide_automatic_options: bool | None = None,
        **options: Any,
    ) -> None:
        """Route ``rule`` to ``endpoint`` (default: the view's name), served by ``view_func``."""
        raise NotImplementedError

    @setupmethod
    def endpoint(self, endpoint: str) -> Callable[[F], F]:
        """Register the decorated function as the view of an endpoint added without one."""

        def decorator(f: F) -> F:
            self.view_functions[endpoint] = f
            return f

        return decorator

    # -- hooks ---------------------------------------------------------------------

    @setupmethod
    def before_request(self, f: F) -> F:
        """Run ``f()`` before each request; a value it returns is the response (no view runs)."""
        self.before_request_funcs[None].append(f)
        return f

    @setupmethod
    def after_request(self, f: F) -> F:
        """Run ``f(response)`` after each request; it returns the response to send."""
        self.after_request_funcs[None].append(f)
        return f

    @setupmethod
    def teardown_request(self, f: F) -> F:
        """Run ``f(error_or_None)`` when each request ends, even when it failed."""
        self.teardown_request_funcs[None].append(f)
        return f

    @setupmethod
    def context_processor(self, f: F) -> F:
        """Register ``f()``, whose dict is merged into every template's context."""
        self.template_context_processors[None].append(f)
        return f

    @setupmethod
    def url_value_preprocessor(self, f: F) -> F:
        """Run ``f(endpoint, view_args)`` before the view, e.g. to pop a value into ``g``."""
        self.url_value_preprocessors[None].append(f)
        return f

    @setupmethod
    def url_defaults(self, f: F) -> F:
        """Run ``f(endpoint, values)`` when building a URL, to fill in values in place."""
        self.url_default_functions[None].append(f)
        return f

    # -- errors --------------------------------------------------------------------

    @setupmethod
    def errorhandler(self, code_or_exception: type[BaseException] | int) -> Callable[[F], F]:
        """Register the decorated function for a status code or an exception class."""

        def decorator(f: F) -> F:
            self.register_error_handler(code_or_exception, f)
            return f

        return decorator

    @setupmethod
    def register_error_handler(
        self, code_or_exception: type[BaseException] | int, f: ErrorHandler
    ) -> None:
        """Handle errors of a status code or exception class with ``f(error)``."""
        exc_class, code = self._get_exc_class_and_code(code_or_exception)
        self.error_handler_spec[None][code][exc_class] = f

    @staticmethod
    def _get_exc_class_and_code(
        exc_class_or_code: type[BaseException] | int,
    ) -> tuple[type[BaseException], int | None]:
        """The exception class and status code a handler is registered under."""
        exc_class: type[BaseException]
        if isinstance(exc_class_or_code, int):
            try:
                exc_class = default_exceptions[exc_class_or_code]
            except KeyError:
                raise ValueError(
                    f"'{exc_class_or_code}' is not a recognized HTTP error code. Use a "
                    "subclass of HTTPException with that code instead."
                ) from None
        else:
            exc_class = exc_class_or_code
        if isinstance(exc_class, BaseException):
            raise TypeError(
                f"{exc_class!r} is an instance, not a class. Handlers can only be "
                "registered for Exception classes or HTTP error codes."
            )
        if not isinstance(exc_class, type) or not issubclass(exc_class, Exception):
            raise ValueError(
                f"'{getattr(exc_class, '__name__', exc_class)}' is not a subclass of "
                "Exception. Handlers can only be registered for Exception classes or HTTP "
                "error codes."
            )
        if issubclass(exc_class, HTTPException):
            return exc_class, exc_class.code
        return exc_class, None
