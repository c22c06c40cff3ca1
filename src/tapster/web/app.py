"""``App``: the WSGI application at the centre of a tapster (Flask-style) project.

One request goes: ``wsgi_app`` pushes a request context (matching the URL),
``full_dispatch_request`` runs the ``before_request`` hooks and the view,
``make_response`` turns what the view returned into a response,
``process_response`` runs the ``after_request`` hooks, and the context is
popped (teardown functions) whatever happened. Exceptions go to the
registered error handlers; an unhandled one is logged and answered 500, or
propagated in debug and testing mode as Flask's ``PROPAGATE_EXCEPTIONS``
says.
"""

from __future__ import annotations

import collections.abc
import importlib.util
import inspect
import logging
import os
import sys
import weakref
from collections.abc import Callable, Iterator
from datetime import timedelta
from functools import cached_property
from itertools import chain
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

from . import exceptions
from .config import Config, ConfigAttribute, _timedelta, debug_from_environment
from .ctx import AppContext, RequestContext, _AppCtxGlobals, default_template_context
from .exceptions import (
    BadRequest,
    BadRequestKeyError,
    HTTPException,
    InternalServerError,
)
from .globals import _cv_app, _cv_request, g, request, session
from .helpers import get_flashed_messages
from .json.provider import DefaultJSONProvider, JSONProvider
from .logging import create_logger
from .request import Request, _split_blueprint_path
from .response import Response
from .routing import BuildError, Map, MapAdapter, RequestRedirect, Rule
from .scaffold import Scaffold, registering, send_file_max_age, setupmethod
from .sessions import SecureCookieSessionInterface, SessionInterface
from .signals import (
    appcontext_tearing_down,
    got_request_exception,
    request_finished,
    request_started,
    request_tearing_down,
)
from .sync import async_to_sync

if TYPE_CHECKING:
    from .templating import DispatchingJinjaLoader, Environment
    from .testing import Client, CliRunner

__all__ = ["App"]

F = TypeVar("F", bound=Callable[..., Any])

#: The configuration every app starts with (Flask 3.1's keys and defaults).
DEFAULT_CONFIG: dict[str, Any] = {
    "DEBUG": None,
    "TESTING": False,
    "PROPAGATE_EXCEPTIONS": None,
    "SECRET_KEY": None,
    "SECRET_KEY_FALLBACKS": None,
    "PERMANENT_SESSION_LIFETIME": timedelta(days=31),
    "USE_X_SENDFILE": False,
    "TRUSTED_HOSTS": None,
    "SERVER_NAME": None,
    "APPLICATION_ROOT": "/",
    "SESSION_COOKIE_NAME": "session",
    "SESSION_COOKIE_DOMAIN": None,
    "SESSION_COOKIE_PATH": None,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SECURE": False,
    "SESSION_COOKIE_PARTITIONED": False,
    "SESSION_COOKIE_SAMESITE": None,
    "SESSION_REFRESH_EACH_REQUEST": True,
    "MAX_CONTENT_LENGTH": None,
    "MAX_FORM_MEMORY_SIZE": 500_000,
    "MAX_FORM_PARTS": 1_000,
    "SEND_FILE_MAX_AGE_DEFAULT": None,
    "TRAP_BAD_REQUEST_ERRORS": None,
    "TRAP_HTTP_EXCEPTIONS": False,
    "EXPLAIN_TEMPLATE_LOADING": False,
    "PREFERRED_URL_SCHEME": "http",
    "TEMPLATES_AUTO_RELOAD": None,
    "MAX_COOKIE_SIZE": 4093,
    "PROVIDE_AUTOMATIC_OPTIONS": True,
}

#: The file endings whose templates are HTML-escaped (Flask's list).
AUTOESCAPE_EXTENSIONS = (".html", ".htm", ".xml", ".xhtml", ".svg")

_ANCHOR_SAFE = "%!#$&'()*+,/:;=?@"


class _TemplatingClass:
    """A class attribute that is ``tapster.templating.Environment``, imported when read.

    ``App.jinja_environment`` is a class, as in Flask, but importing the
    templating module (and Jinja2) is left for the first template.
    """

    def __get__(self, instance: object, owner: type | None = None) -> type:
        from .templating import Environment

        return Environment


class App(Scaffold):
    """The WSGI application: create one per project, register views on it, serve it.

    ``import_name`` (usually ``__name__``) locates the project's folder, from
    which templates, static files and resources are found.
    """

    #: The class of ``request`` objects.
    request_class: type[Request] = Request
    #: The class responses are made with (``make_response``, ``jsonify``...).
    response_class: type[Response] = Response
    #: The class of ``app.json``.
    json_provider_class: type[JSONProvider] = DefaultJSONProvider
    #: The class of ``g``.
    app_ctx_globals_class = _AppCtxGlobals
    #: The class of ``app.config``.
    config_class = Config
    #: The class of ``app.url_map``.
    url_map_class = Map
    #: The class of ``app.url_rule_class`` rules.
    url_rule_class = Rule
    #: The session interface; replace it to store sessions elsewhere.
    session_interface: SessionInterface = SecureCookieSessionInterface()
    #: The client class of ``test_client()`` (``tapster.testing.Client`` when None).
    test_client_class: type[Client] | None = None
    #: The runner class of ``test_cli_runner()`` (``tapster.testing.CliRunner`` when None).
    test_cli_runner_class: type[CliRunner] | None = None
    #: The class of ``app.aborter``.
    aborter_class = exceptions.Aborter
    #: The default config values.
    default_config = DEFAULT_CONFIG
    #: Options for the Jinja2 environment (``autoescape``, ``extensions``...).
    jinja_options: dict[str, Any] = {}
    #: The Jinja2 environment class (``tapster.templating.Environment``);
    #: a subclass may name its own. Imported on first use, as Jinja2 is.
    jinja_environment: type[Environment] = _TemplatingClass()  # type: ignore[assignment]

    #: Testing mode (errors propagate to the test): the ``TESTING`` config key.
    testing = ConfigAttribute[bool]("TESTING")
    #: The key signing sessions: the ``SECRET_KEY`` config key.
    secret_key = ConfigAttribute[Any]("SECRET_KEY")
    #: How long a permanent session lives: ``PERMANENT_SESSION_LIFETIME`` as a timedelta.
    permanent_session_lifetime = ConfigAttribute[timedelta](
        "PERMANENT_SESSION_LIFETIME", _timedelta
    )

    def __init__(
        self,
        import_name: str,
        static_url_path: str | None = None,
        static_folder: str | os.PathLike[str] | None = "static",
        static_host: str | None = None,
        host_matching: bool = False,
        subdomain_matching: bool = False,
        template_folder: str | os.PathLike[str] | None = "templates",
        instance_path: str | None = None,
        instance_relative_config: bool = False,
        root_path: str | None = None,
    ) -> None:
        super().__init__(
            import_name,
            static_folder=static_folder,
            static_url_path=static_url_path,
            template_folder=template_folder,
            root_path=root_path,
        )
        if instance_path is None:
            instance_path = self.auto_find_instance_path()
        elif not os.path.isabs(instance_path):
            raise ValueError(
                "If an instance path is provided it must be absolute. A relative path was given "
                "instead."
            )
        #: The folder for files that are not part of the package (config, database...).
        self.instance_path = instance_path
        #: The configuration (``config["DEBUG"]``...).
        self.config = self.make_config(instance_relative_config)
        #: ``abort`` inside this app's requests uses this.
        self.aborter = self.make_aborter()
        #: JSON operations (``app.json.dumps``, ``app.json.response``...).
        self.json: JSONProvider = self.json_provider_class(self)
        #: Handlers for ``url_for`` build errors: ``f(error, endpoint, values)``.
        self.url_build_error_handlers: list[Callable[[Exception, str, dict[str, Any]], str]] = []
        #: Functions run when the app context is popped.
        self.teardown_appcontext_funcs: list[Callable[[BaseException | None], None]] = []
        #: Functions returning names for ``tapster shell``.
        self.shell_context_processors: list[Callable[[], dict[str, Any]]] = []
        #: Registered blueprints by name.
        self.blueprints: dict[str, Any] = {}
        #: A place for extensions to keep their state.
        self.extensions: dict[str, Any] = {}
        #: The URL rules.
        self.url_map = self.url_map_class(host_matching=host_matching)
        self.subdomain_matching = subdomain_matching
        self._got_first_request = False
        self.template_context_processors[None].append(default_template_context)
        if self.has_static_folder:
            if bool(static_host) != host_matching:
                raise ValueError("Invalid static_host/host_matching combination")
            app_ref = weakref.ref(self)  # the view must not keep the app alive
            self.add_url_rule(
                f"{self.static_url_path}/<path:filename>",
                endpoint="static",
                host=static_host,
                view_func=lambda **kw: app_ref().send_static_file(**kw),  # type: ignore[union-attr]
            )
        self._sync_views: dict[str, tuple[Callable[..., Any], Callable[..., Any]]] = {}

    # -- set-up --------------------------------------------------------------------

    def _check_setup_finished(self, f_name: str) -> None:
        if self._got_first_request:
            raise AssertionError(
                f"The setup method '{f_name}' can no longer be called on the application. It "
                "has already handled its first request, any changes will not be applied "
                "consistently.\nMake sure all imports, decorators, functions, etc. needed to "
                "set up the application are done before running it."
            )

    @cached_property
    def name(self) -> str:  # type: ignore[override]
        """The import name, or the script's name when run as ``__main__``."""
        if self.import_name == "__main__":
            main_file = getattr(sys.modules["__main__"], "__file__", None)
            if main_file is None:
                return "__main__"
            return os.path.splitext(os.path.basename(main_file))[0]
        return self.import_name

    @property
    def debug(self) -> bool:
        """Debug mode: unhandled errors propagate and JSON is indented (the ``DEBUG`` key)."""
        return bool(self.config["DEBUG"])

    @debug.setter
    def debug(self, value: bool) -> None:
        self.config["DEBUG"] = value
        if self.config["TEMPLATES_AUTO_RELOAD"] is None and "jinja_env" in self.__dict__:
            self.jinja_env.auto_reload = value  # templates reload in debug mode

    @cached_property
    def logger(self) -> logging.Logger:
        """The ``logging`` logger named after the app, with a handler when none is set up."""
        return create_logger(self)

    def make_config(self, instance_relative: bool = False) -> Config:
        """The ``config`` object: the defaults, with ``DEBUG`` from ``TAPSTER_DEBUG``."""
        root_path = self.instance_path if instance_relative else self.root_path
        defaults = dict(self.default_config)
        defaults["DEBUG"] = debug_from_environment()
        return self.config_class(root_path, defaults)

    def make_aborter(self) -> exceptions.Aborter:
        """The ``aborter`` used by ``abort()`` in this app."""
        return self.aborter_class()

    def auto_find_instance_path(self) -> str:
        """``instance/`` beside the top-level package (or module); ``<prefix>/var/<name>-instance``
        when the project is installed in site-packages (Flask's rule)."""
        root_name = self.import_name.partition(".")[0]
        try:
            spec = importlib.util.find_spec(root_name) if root_name != "__main__" else None
        except (ImportError, ValueError):
            spec = None
        if spec is not None and spec.submodule_search_locations:
            base = os.path.dirname(os.path.commonpath(list(spec.submodule_search_locations)))
        elif spec is not None and spec.origin not in (None, "built-in", "frozen"):
            base = os.path.dirname(os.path.abspath(spec.origin))  # type: ignore[arg-type]
        else:
            base = self.root_path
        site_dirs = [p for p in sys.path if p.endswith(("site-packages", "dist-packages"))]
        if any(base.startswith(os.path.abspath(p)) for p in site_dirs):
            return os.path.join(sys.prefix, "var", f"{self.name}-instance")
        return os.path.join(base, "instance")

    def get_send_file_max_age(self, filename: str | None) -> int | None:
        """Seconds a sent file may be cached: ``SEND_FILE_MAX_AGE_DEFAULT`` (None: revalidate)."""
        return send_file_max_age(self.config)

    def open_instance_resource(
        self, resource: str, mode: str = "rb", encoding: str | None = "utf-8"
    ) -> Any:
        """Open a file in the instance folder (any mode: the instance folder is writable)."""
        path = os.path.join(self.instance_path, resource)
        if "b" in mode:
            return open(path, mode)
        return open(path, mode, encoding=encoding)

    @setupmethod
    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: Callable[..., Any] | None = None,
        provide_automatic_options: bool | None = None,
        **options: Any,
    ) -> None:
        """Route ``rule`` to ``endpoint`` (default: the view's ``__name__``).

        ``methods`` defaults to the view's ``methods`` attribute, else
        ``("GET",)``; GET implies HEAD, and OPTIONS is answered automatically
        unless the view says otherwise. ``options`` go to the ``Rule``
        (``defaults``, ``strict_slashes``, ``subdomain``, ``host``...).
        """
        if endpoint is None:
            if view_func is None:
                raise TypeError("add_url_rule() needs an endpoint or a view function")
            endpoint = view_func.__name__
        options["endpoint"] = endpoint
        methods = options.pop("methods", None)
        if methods is None:
            methods = getattr(view_func, "methods", None) or ("GET",)
        if isinstance(methods, str):
            raise TypeError(
                "Allowed methods must be a list of strings, for example: @app.route(..., "
                "methods=['POST'])"
            )
        methods = {method.upper() for method in methods}
        required_methods = set(getattr(view_func, "required_methods", ()))
        if provide_automatic_options is None:
            provide_automatic_options = getattr(view_func, "provide_automatic_options", None)
        if provide_automatic_options is None:
            if "OPTIONS" not in methods and self.config["PROVIDE_AUTOMATIC_OPTIONS"]:
                provide_automatic_options = True
                required_methods.add("OPTIONS")
            else:
                provide_automatic_options = False
        methods |= required_methods
        url_rule = self.url_rule_class(rule, methods=methods, **options)
        url_rule.provide_automatic_options = provide_automatic_options
        self.url_map.add(url_rule)
        if view_func is not None:
            existing = self.view_functions.get(endpoint)
            if existing is not None and existing is not view_func:
                raise AssertionError(
                    "View function mapping is overwriting an existing endpoint function: "
                    f"{endpoint}"
                )
            self.view_functions[endpoint] = view_func

    @setupmethod
    def teardown_appcontext(self, f: F) -> F:
        """Run ``f(error_or_None)`` when the application context is popped."""
        self.teardown_appcontext_funcs.append(f)
        return f

    @setupmethod
    def shell_context_processor(self, f: F) -> F:
        """Register ``f()``, whose dict adds names to ``tapster shell``."""
        self.shell_context_processors.append(f)
        return f

    def make_shell_context(self) -> dict[str, Any]:
        """The names ``tapster shell`` starts with: ``app``, ``g`` and the processors' names."""
        from .globals import g

        names: dict[str, Any] = {"app": self, "g": g}
        for processor in self.shell_context_processors:
            names.update(processor())
        return names

    @setupmethod
    def register_blueprint(self, blueprint: Any, **options: Any) -> None:
        """Register a blueprint's routes, hooks and handlers on this app."""
        blueprint.register(self, options)

    def iter_blueprints(self) -> Iterator[Any]:
        """The registered blueprints, in registration order."""
        return iter(self.blueprints.values())

    # -- templates -------------------------------------------------------------------

    @cached_property
    def jinja_env(self) -> Environment:
        """The Jinja2 environment, made on first use by ``create_jinja_environment``."""
        return self.create_jinja_environment()

    def create_jinja_environment(self) -> Environment:
        """The Jinja2 environment: autoescape by file type, reload in debug, Flask's globals."""
        options = dict(self.jinja_options)
        options.setdefault("autoescape", self.select_jinja_autoescape)
        if "auto_reload" not in options:
            auto_reload = self.config["TEMPLATES_AUTO_RELOAD"]
            options["auto_reload"] = self.debug if auto_reload is None else auto_reload
        env = self.jinja_environment(self, **options)
        env.globals.update(
            url_for=self.url_for,
            get_flashed_messages=get_flashed_messages,
            config=self.config,
            request=request,
            session=session,
            g=g,
        )
        env.policies["json.dumps_function"] = self.json.dumps
        return env

    def create_global_jinja_loader(self) -> DispatchingJinjaLoader:
        """The loader trying the app's templates folder, then each blueprint's."""
        from .templating import DispatchingJinjaLoader

        return DispatchingJinjaLoader(self)

    def select_jinja_autoescape(self, filename: str | None) -> bool:
        """Autoescape templates from strings and ``.html``/``.htm``/``.xml``/``.xhtml``/``.svg``."""
        if filename is None:
            return True
        return filename.endswith(AUTOESCAPE_EXTENSIONS)

    def update_template_context(self, context: dict[str, Any]) -> None:
        """Add the context processors' values to ``context``; the caller's own names win."""
        names: Any = (None,)
        request_context = _cv_request.get(None)
        if request_context is not None:
            names = chain(names, reversed(request_context.request.blueprints))
        given = context.copy()
        for name in names:
            for processor in self.template_context_processors.get(name, ()):
                context.update(self.ensure_sync(processor)())
        context.update(given)

    @setupmethod
    def template_filter(self, name: str | None = None) -> Callable[[F], F]:
        """Register the decorated function as a template filter (``{{ value|name }}``)."""

        return registering(self.add_template_filter, name)

    @setupmethod
    def add_template_filter(self, f: Callable[..., Any], name: str | None = None) -> None:
        """Register ``f`` as a template filter, named ``name`` or after the function."""
        self.jinja_env.filters[name or f.__name__] = f

    @setupmethod
    def template_test(self, name: str | None = None) -> Callable[[F], F]:
        """Register the decorated function as a template test (``{% if x is name %}``)."""

        return registering(self.add_template_test, name)

    @setupmethod
    def add_template_test(self, f: Callable[..., bool], name: str | None = None) -> None:
        """Register ``f`` as a template test, named ``name`` or after the function."""
        self.jinja_env.tests[name or f.__name__] = f

    @setupmethod
    def template_global(self, name: str | None = None) -> Callable[[F], F]:
        """Register the decorated function as a global of every template."""

        return registering(self.add_template_global, name)

    @setupmethod
    def add_template_global(self, f: Callable[..., Any], name: str | None = None) -> None:
        """Register ``f`` as a template global, named ``name`` or after the function."""
        self.jinja_env.globals[name or f.__name__] = f

    # -- contexts ------------------------------------------------------------------

    def app_context(self) -> AppContext:
        """A new application context (``with app.app_context(): ...``)."""
        return AppContext(self)

    def request_context(self, environ: dict[str, Any]) -> RequestContext:
        """A new request context for a WSGI environ."""
        return RequestContext(self, environ)

    def test_request_context(self, *args: Any, **kwargs: Any) -> RequestContext:
        """A request context for a request built like the test client's (path, method, data...)."""
        from .testing import EnvironBuilder

        builder = EnvironBuilder(self, *args, **kwargs)
        try:
            return self.request_context(builder.get_environ())
        finally:
            builder.close()

    def test_client(self, use_cookies: bool = True, **kwargs: Any) -> Client:
        """A client that calls this app without a server (``app.test_client().get("/")``)."""
        cls = self.test_client_class
        if cls is None:
            from .testing import Client as cls  # type: ignore[no-redef]
        return cls(self, self.response_class, use_cookies=use_cookies, **kwargs)

    def test_cli_runner(self, **kwargs: Any) -> CliRunner:
        """A runner for this app's click commands (``runner.invoke(args=["hello"])``)."""
        cls = self.test_cli_runner_class
        if cls is None:
            from .testing import CliRunner as cls  # type: ignore[no-redef]
        return cls(self, **kwargs)

    # -- URLs ----------------------------------------------------------------------

    def create_url_adapter(self, request: Request | None) -> MapAdapter | None:
        """The URL map bound to a request, or (outside one) to ``SERVER_NAME`` if set.

        With ``TRUSTED_HOSTS`` set, a request whose ``Host`` is not in it
        raises ``SecurityError`` (400), which becomes its routing exception.
        """
        config = self.config
        if request is not None:
            trusted_hosts = config["TRUSTED_HOSTS"]
            if trusted_hosts is not None:
                # Checked here, before routing, so that an untrusted Host is a
                # 400 for every URL and never reaches a view or url_for.
                request.trusted_hosts = trusted_hosts
                request.__dict__.pop("host", None)  # a host read before was not checked
                request.host  # noqa: B018 - reading it checks it (SecurityError)
            subdomain: str | None = None
            server_name = config["SERVER_NAME"]
            if self.url_map.host_matching:
                server_name = None
            elif not self.subdomain_matching:
                subdomain = self.url_map.default_subdomain or ""
            return self.url_map.bind_to_environ(
                request.environ, server_name=server_name, subdomain=subdomain
            )
        if config["SERVER_NAME"] is not None:
            return self.url_map.bind(
                config["SERVER_NAME"],
                script_name=config["APPLICATION_ROOT"],
                url_scheme=config["PREFERRED_URL_SCHEME"],
            )
        return None

    def url_for(
        self,
        endpoint: str,
        /,
        *,
        _anchor: str | None = None,
        _method: str | None = None,
        _scheme: str | None = None,
        _external: bool | None = None,
        **values: Any,
    ) -> str:
        """The URL of ``endpoint`` with ``values`` (see ``tapster.url_for``)."""
        request_context = _cv_request.get(None)
        if request_context is not None:
            url_adapter = request_context.url_adapter
            blueprint_name = request_context.request.blueprint
            if endpoint[:1] == ".":
                endpoint = f"{blueprint_name}{endpoint}" if blueprint_name else endpoint[1:]
            if _external is None:
                _external = _scheme is not None
        else:
            app_context = _cv_app.get(None)
            if app_context is not None:
                url_adapter = app_context.url_adapter
            else:
                url_adapter = self.create_url_adapter(None)
            if url_adapter is None:
                raise RuntimeError(
                    "Unable to build URLs outside an active request without 'SERVER_NAME' "
                    "configured. Also configure 'APPLICATION_ROOT' and 'PREFERRED_URL_SCHEME' "
                    "as needed."
                )
            if _external is None:
                _external = True
        if _scheme is not None and not _external:
            raise ValueError("When specifying '_scheme', '_external' must be True.")
        self.inject_url_defaults(endpoint, values)
        try:
            url = url_adapter.build(  # type: ignore[union-attr]
                endpoint, values, method=_method, url_scheme=_scheme, force_external=_external
            )
        except BuildError as error:
            values.update(_anchor=_anchor, _method=_method, _scheme=_scheme, _external=_external)
            return self.handle_url_build_error(error, endpoint, values)
        if _anchor is not None:
            url = f"{url}#{quote(_anchor, safe=_ANCHOR_SAFE)}"
        return url

    def inject_url_defaults(self, endpoint: str, values: dict[str, Any]) -> None:
        """Let the app's and the endpoint's blueprints' ``url_defaults`` fill ``values``."""
        names: Any = (None,)
        if "." in endpoint:
            names = chain(names, reversed(_split_blueprint_path(endpoint.rpartition(".")[0])))
        for name in names:
            for function in self.url_default_functions.get(name, ()):
                function(endpoint, values)

    def handle_url_build_error(
        self, error: BuildError, endpoint: str, values: dict[str, Any]
    ) -> str:
        """Ask the ``url_build_error_handlers`` for a URL; re-raise when none gives one."""
        for handler in self.url_build_error_handlers:
            try:
                url = handler(error, endpoint, values)
            except BuildError as handler_error:
                error = handler_error
                continue
            if url is not None:
                return url
        if error is sys.exc_info()[1]:
            raise
        raise error

    def redirect(self, location: str, code: int = 302) -> Response:
        """A redirect response to ``location`` (kept relative when relative)."""
        from .helpers import _redirect

        return _redirect(location, code, self.response_class)

    # -- the request -----------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        """The WSGI entry point (``wsgi_app``, so middleware can wrap ``app.wsgi_app``)."""
        return self.wsgi_app(environ, start_response)

    def wsgi_app(self, environ: dict[str, Any], start_response: Any) -> Any:
        """Handle one request: push the context, dispatch, answer, pop the context."""
        context = self.request_context(environ)
        error: BaseException | None = None
        try:
            try:
                context.push()
                response = self.full_dispatch_request()
            except Exception as exc:
                error = exc
                response = self.handle_exception(exc)
            except BaseException:
                error = sys.exc_info()[1]
                raise
            return response(environ, start_response)
        finally:
            preserve = environ.get("tapster.preserve_context")
            if preserve is not None:
                preserve(_cv_app.get())
                preserve(_cv_request.get())
            if error is not None and self.should_ignore_error(error):
                error = None
            context.pop(error)

    def full_dispatch_request(self) -> Response:
        """Run the before-request hooks and the view, then finish the response."""
        self._got_first_request = True
        try:
            if request_started.receivers:
                request_started.send(self, _async_wrapper=self.ensure_sync)
            rv = self.preprocess_request()
            if rv is None:
                rv = self.dispatch_request()
        except Exception as error:
            rv = self.handle_user_exception(error)
        return self.finalize_request(rv)

    def _scopes(self, req: Request) -> list[str]:
        """The blueprints of the request, innermost first (none when the app has none)."""
        return req.blueprints if self.blueprints else []

    def preprocess_request(self) -> Any:
        """Run the URL value preprocessors and ``before_request`` hooks; a value ends it."""
        req = _cv_request.get().request
        names = (None, *reversed(self._scopes(req)))
        for name in names:
            functions = self.url_value_preprocessors.get(name)
            if functions:
                for function in functions:
                    function(req.endpoint, req.view_args)
        for name in names:
            functions = self.before_request_funcs.get(name)
            if functions:
                for function in functions:
                    rv = self.ensure_sync(function)()
                    if rv is not None:
                        return rv
        return None

    def dispatch_request(self) -> Any:
        """Call the view the URL matched (or answer the automatic OPTIONS)."""
        req = _cv_request.get().request
        if req.routing_exception is not None:
            self.raise_routing_exception(req)
        rule = req.url_rule
        if req.method == "OPTIONS" and getattr(rule, "provide_automatic_options", False):
            return self.make_default_options_response()
        endpoint = rule.endpoint  # type: ignore[union-attr]
        view = self.view_functions[endpoint]
        # ensure_sync inspects the function; remember its answer per view function.
        cached = self._sync_views.get(endpoint)
        if cached is None or cached[0] is not view:
            cached = self._sync_views[endpoint] = (view, self.ensure_sync(view))
        return cached[1](**req.view_args)

    def raise_routing_exception(self, request: Request) -> None:
        """Raise the error found when matching the URL (404, 405, or a 308 redirect)."""
        raise request.routing_exception  # type: ignore[misc]

    def make_default_options_response(self) -> Response:
        """The automatic answer to OPTIONS: an empty 200 with ``Allow``."""
        adapter = _cv_request.get().url_adapter
        methods = adapter.allowed_methods()  # type: ignore[union-attr]
        response = self.response_class()
        response.headers["Allow"] = ", ".join(sorted(methods))
        return response

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """``func``, or for an ``async def`` function a plain one running it to completion."""
        if inspect.iscoroutinefunction(func):
            return self.async_to_sync(func)
        return func

    def async_to_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """Wrap a coroutine function to run on this thread's loop (``tapster.web.sync``)."""
        return async_to_sync(func)

    def finalize_request(self, rv: Any, from_error_handler: bool = False) -> Response:
        """Turn the view's value into a response and run the after-request functions."""
        response = self.make_response(rv)
        try:
            response = self.process_response(response)
            if request_finished.receivers:
                request_finished.send(self, _async_wrapper=self.ensure_sync, response=response)
        except Exception:
            if not from_error_handler:
                raise
            self.logger.exception(
                "Request finalizing failed with an error while handling an error"
            )
        return response

    def make_response(self, rv: Any) -> Response:
        """Turn a view's return value into a response, as Flask does.

        Accepted: a response; ``str``/``bytes``; a ``dict`` or ``list`` (JSON);
        an iterator or generator (streamed); any WSGI callable; or a tuple
        ``(body, status)``, ``(body, headers)`` or ``(body, status, headers)``.
        """
        status = headers = None
        if isinstance(rv, tuple):
            length = len(rv)
            if length == 3:
                rv, status, headers = rv
            elif length == 2:
                if isinstance(rv[1], (dict, tuple, list)) or hasattr(rv[1], "to_wsgi_list"):
                    rv, headers = rv
                else:
                    rv, status = rv
            else:
                raise TypeError(
                    "The view function did not return a valid response tuple. The tuple must "
                    "have the form (body, status, headers), (body, status), or (body, headers)."
                )
        if rv is None:
            raise TypeError(
                f"The view function for {request.endpoint!r} did not return a valid response. "
                "The function either returned None or ended without a return statement."
            )
        kind = rv.__class__
        if kind is dict or kind is list:  # the common returns first, without ABC checks
            rv = self.json.response(rv)
        elif kind is str:
            rv = self.response_class(rv, status=status, headers=headers)
            status = headers = None
        elif not isinstance(rv, self.response_class):
            if isinstance(rv, (str, bytes, bytearray, collections.abc.Iterator)):
                rv = self.response_class(rv, status=status, headers=headers)
                status = headers = None
            elif isinstance(rv, (dict, list)):
                rv = self.json.response(rv)
            elif isinstance(rv, HTTPException) and isinstance(
                page := rv.get_response(request.environ), self.response_class
            ):
                rv = page  # the error's own response: no second response made from its WSGI call
            elif isinstance(rv, Response) or callable(rv):
                try:
                    rv = self.response_class.force_type(rv, request.environ)
                except TypeError as error:
                    raise TypeError(
                        f"{error}\nThe view function did not return a valid response. The "
                        "return type must be a string, dict, list, tuple with headers or "
                        "status, Response instance, or WSGI callable, but it was a "
                        f"{type(rv).__name__}."
                    ).with_traceback(sys.exc_info()[2]) from None
            else:
                raise TypeError(
                    "The view function did not return a valid response. The return type must "
                    "be a string, dict, list, tuple with headers or status, Response instance, "
                    f"or WSGI callable, but it was a {type(rv).__name__}."
                )
        if status is not None:
            if isinstance(status, (str, bytes, bytearray)):
                rv.status = status if isinstance(status, str) else status.decode()
            else:
                rv.status_code = status
        if headers:
            rv.headers.update(headers)
        return rv

    def process_response(self, response: Response) -> Response:
        """Run ``after_this_request`` functions and ``after_request`` hooks; save the session."""
        context = _cv_request.get()
        for function in context._after_request_functions:
            response = self.ensure_sync(function)(response)
        for name in (*self._scopes(context.request), None):
            functions = self.after_request_funcs.get(name)
            if functions:
                for function in reversed(functions):
                    response = self.ensure_sync(function)(response)
        if not context.session_opened and self._session_may_refresh(context.request):
            context.session  # noqa: B018 - open it, so a permanent one is refreshed
        if context.session_opened:
            session = context.session
            if not self.session_interface.is_null_session(session):
                self.session_interface.save_session(self, session, response)
        return response

    def _session_may_refresh(self, req: Request) -> bool:
        """Whether an unopened session must be opened anyway: a permanent session's cookie
        is sent again on every request when ``SESSION_REFRESH_EACH_REQUEST`` is on."""
        config = self.config
        return bool(
            config["SESSION_REFRESH_EACH_REQUEST"]
            and self.secret_key
            and config["SESSION_COOKIE_NAME"] in req.cookies
        )

    def do_teardown_request(self, exc: BaseException | None = None) -> None:
        """Run the ``teardown_request`` functions, innermost blueprint first, then the app's."""
        for name in (*self._scopes(_cv_request.get().request), None):
            functions = self.teardown_request_funcs.get(name)
            if functions:
                for function in reversed(functions):
                    self.ensure_sync(function)(exc)
        if request_tearing_down.receivers:
            request_tearing_down.send(self, _async_wrapper=self.ensure_sync, exc=exc)

    def do_teardown_appcontext(self, exc: BaseException | None = None) -> None:
        """Run the ``teardown_appcontext`` functions, last registered first."""
        for function in reversed(self.teardown_appcontext_funcs):
            self.ensure_sync(function)(exc)
        if appcontext_tearing_down.receivers:
            appcontext_tearing_down.send(self, _async_wrapper=self.ensure_sync, exc=exc)

    # -- errors ----------------------------------------------------------------------

    def _find_error_handler(
        self, error: BaseException, blueprints: list[str]
    ) -> Callable[[Any], Any] | None:
        """The handler for ``error``: by status code, then by class, blueprints before the app."""
        exc_class, code = self._get_exc_class_and_code(type(error))
        names = (*blueprints, None)
        for c in (code, None) if code is not None else (None,):
            for name in names:
                handler_map = self.error_handler_spec.get(name, {}).get(c)
                if not handler_map:
                    continue
                for cls in exc_class.__mro__:
                    handler = handler_map.get(cls)
                    if handler is not None:
                        return handler
        return None

    def handle_http_exception(self, error: HTTPException) -> Any:
        """Answer an HTTP error with its registered handler, or with the error itself."""
        if error.code is None or isinstance(error, RequestRedirect):
            return error
        handler = self._find_error_handler(error, request.blueprints)
        if handler is None:
            return error
        return self.ensure_sync(handler)(error)

    def trap_http_exception(self, error: Exception) -> bool:
        """Whether an HTTP error should propagate like an ordinary one (debugging aid)."""
        if self.config["TRAP_HTTP_EXCEPTIONS"]:
            return True
        trap_bad_request = self.config["TRAP_BAD_REQUEST_ERRORS"]
        if trap_bad_request is None and self.debug and isinstance(error, BadRequestKeyError):
            return True
        if trap_bad_request:
            return isinstance(error, BadRequest)
        return False

    def handle_user_exception(self, error: Exception) -> Any:
        """Answer an exception raised by a hook or view with its handler; re-raise when none."""
        if isinstance(error, BadRequestKeyError) and (
            self.debug or self.config["TRAP_BAD_REQUEST_ERRORS"]
        ):
            error.show_exception = True
        if isinstance(error, HTTPException) and not self.trap_http_exception(error):
            return self.handle_http_exception(error)
        handler = self._find_error_handler(error, request.blueprints)
        if handler is None:
            raise error
        return self.ensure_sync(handler)(error)

    def handle_exception(self, error: Exception) -> Response:
        """An unhandled error: propagate it (debug/testing), else log it and answer 500."""
        if got_request_exception.receivers:
            got_request_exception.send(self, _async_wrapper=self.ensure_sync, exception=error)
        propagate = self.config["PROPAGATE_EXCEPTIONS"]
        if propagate is None:
            propagate = self.testing or self.debug
        if propagate:
            if sys.exc_info()[1] is error:
                raise
            raise error
        self.log_exception(sys.exc_info())
        server_error: Any = InternalServerError(original_exception=error)
        handler = self._find_error_handler(server_error, request.blueprints)
        if handler is not None:
            server_error = self.ensure_sync(handler)(server_error)
        return self.finalize_request(server_error, from_error_handler=True)

    def log_exception(self, exc_info: Any) -> None:
        """Log an unhandled exception with its traceback on ``app.logger``."""
        self.logger.error(f"Exception on {request.path} [{request.method}]", exc_info=exc_info)

    def should_ignore_error(self, error: BaseException | None) -> bool:
        """Whether teardown functions should not see ``error`` (never, by default)."""
        return False

    # -- serving ---------------------------------------------------------------------

    def run(
        self,
        host: str | None = None,
        port: int | None = None,
        debug: bool | None = None,
        load_dotenv: bool = True,
        *,
        use_reloader: bool | None = None,
        use_debugger: bool | None = None,
        extra_files: list[str] | None = None,
        exclude_patterns: list[str] | None = None,
        **options: Any,
    ) -> None:
        """Serve this app on tapster's production server until SIGTERM or Ctrl-C.

        ``host`` and ``port`` win over ``TAPSTER_SERVE_*`` variables and the
        config file; without any of them, the server listens on the host and
        port of ``SERVER_NAME``, else on 127.0.0.1:5000. ``debug`` sets debug
        mode. Other keyword
        arguments are server settings (``threads=``, ``backlog=``,
        ``access_log=``...; see ``tapster.Settings``), the ones ``tapster
        serve`` takes, ``config=`` a config file, as its ``--config``, and
        server hooks (``on_starting=``, ``post_fork=``...; docs/server.md, Hooks).
        Unlike Flask's development server, this one is fit for production.

        In debug mode, as with Flask, the reloader restarts the server when
        code changes (``use_reloader``, with ``extra_files`` that also
        count and ``exclude_patterns`` that do not) and unhandled
        exceptions show the debug page (``use_debugger``); both default to
        ``debug``. The debug page needs debug mode: without it, an app's
        errors stay a plain 500.
        """
        if os.environ.get("TAPSTER_RUN_FROM_CLI") == "true":
            return  # ``tapster run`` serves the app itself; a module-level run() must not
        if load_dotenv:
            from .cli import load_dotenv as load_env

            load_env()
            if "TAPSTER_DEBUG" in os.environ:
                self.debug = debug_from_environment()
        if debug is not None:
            self.debug = bool(debug)
        # What is not given here may come from TAPSTER_SERVE_* variables or a
        # config file; failing those, Flask's defaults: SERVER_NAME's host and
        # port, else 127.0.0.1:5000.
        if host:
            options["host"] = host
        if port is not None:
            options["port"] = int(port)
        server_name = self.config.get("SERVER_NAME")
        default_host, _, default_port = (server_name or "").partition(":")
        defaults = {"host": default_host or "127.0.0.1", "port": int(default_port or 5000)}
        if use_reloader is not None:
            options["reload"] = use_reloader
        options.setdefault("reload", self.debug)
        if extra_files:
            options["reload_extra_files"] = list(extra_files)
        if exclude_patterns:
            options["reload_exclude"] = list(exclude_patterns)
        if "ssl_context" in options:
            options.update(_certificate_options(options.pop("ssl_context")))
        application: Any = self
        if self.debug and (self.debug if use_debugger is None else use_debugger):
            from .debug import DebuggedApplication

            application = DebuggedApplication(self)

        from tapster.wsgi import serve  # the framework loads the server only to run

        serve(application, defaults=defaults, **options)


def _certificate_options(ssl_context: Any) -> dict[str, str]:
    """Flask's ``run(ssl_context=...)`` as server settings: ``(cert, key)`` or a cert file."""
    if ssl_context is None:
        return {}
    if isinstance(ssl_context, (tuple, list)) and len(ssl_context) == 2:
        return {"certfile": str(ssl_context[0]), "keyfile": str(ssl_context[1])}
    if isinstance(ssl_context, (str, os.PathLike)) and ssl_context != "adhoc":
        return {"certfile": os.fspath(ssl_context)}
    raise TypeError(
        "ssl_context must be (certfile, keyfile) or a certificate file: tapster loads the "
        "certificate in each worker it starts, so it takes files, not an SSLContext or "
        "'adhoc' (pass certfile=, keyfile=, ca_certs=... as settings)"
    )
