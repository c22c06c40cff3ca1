"""The framework's commands: app discovery and the ``run``, ``routes`` and ``shell`` commands.

This is ``flask``'s command line for tapster apps:

- ``ScriptInfo`` finds the app: ``--app``/``TAPSTER_APP`` naming
  ``MODULE``, ``MODULE:name``, ``MODULE:create_app(args)`` or a file
  ``path/to/app.py``, else a ``wsgi.py`` or ``app.py`` in the current folder;
  in a module, the app is ``app`` or ``application``, the only ``App`` it
  holds, or what its ``create_app``/``make_app`` factory returns.
- ``AppGroup`` is the click group of ``app.cli``: its commands run inside
  the app context. ``TapsterGroup`` is the ``tapster`` command itself: it
  adds the ``--app``, ``--env-file``, ``--debug`` and ``--version`` options,
  the built-in commands, and the app's own commands, which it finds only
  when asked for one (so ``tapster --help`` works without an app).
- ``load_dotenv`` reads ``.tapsterenv`` and ``.env`` when python-dotenv is
  installed.

A missing or broken app is one line, ``Error: ...``, and exit status 1:
never a traceback.
"""

from __future__ import annotations

import ast
import inspect
import os
import platform
import re
import sys
import traceback
from collections.abc import Callable
from functools import update_wrapper
from operator import itemgetter
from types import ModuleType, TracebackType
from typing import TYPE_CHECKING, Any, TypeVar, cast

import click
from click.core import ParameterSource

from .config import debug_from_environment
from .globals import _cv_app

if TYPE_CHECKING:
    from .app import App

__all__ = [
    "AppGroup",
    "NoAppException",
    "ScriptInfo",
    "TapsterGroup",
    "find_app_by_string",
    "find_best_app",
    "get_debug_flag",
    "get_load_dotenv",
    "load_dotenv",
    "locate_app",
    "parse_app_expression",
    "pass_script_info",
    "prepare_import",
    "routes_command",
    "run_command",
    "shell_command",
    "with_appcontext",
]

F = TypeVar("F", bound=Callable[..., Any])

_NO_APP = (
    "Could not locate a Tapster application. Use the 'tapster --app' option, 'TAPSTER_APP' "
    "environment variable, or a 'wsgi.py' or 'app.py' file in the current directory."
)


class NoAppException(click.ClickException):
    """The app could not be found or loaded; the one-line message says why (exit status 1).

    Flask's is a usage error (exit status 2, with the usage printed before
    it); here it is one line, since the command was used correctly and the
    application is what failed.
    """

    exit_code = 1


class _NoAppLocated(NoAppException):
    """Nothing named an app and no default file holds one (``tapster --help`` stays quiet)."""


# -- environment -------------------------------------------------------------------------


def get_debug_flag() -> bool:
    """Whether ``TAPSTER_DEBUG`` asks for debug mode (set and not ``0``, ``false`` or ``no``)."""
    return debug_from_environment()


def get_load_dotenv(default: bool = True) -> bool:
    """Whether to load dotenv files: ``default``, unless ``TAPSTER_SKIP_DOTENV`` says to skip."""
    value = os.environ.get("TAPSTER_SKIP_DOTENV")
    if not value:
        return default
    return value.lower() in ("0", "false", "no")


def load_dotenv(path: str | os.PathLike[str] | None = None, load_defaults: bool = True) -> bool:
    """Set environment variables from dotenv files; True if any variable was read.

    The nearest ``.tapsterenv`` (public settings, committed) and ``.env``
    (private ones) up from the current folder are read when
    ``load_defaults``, then ``path``; a later file wins over an earlier
    one, and a variable already in the environment wins over them all.
    Without python-dotenv installed this does nothing.
    """
    try:
        import dotenv
    except ImportError:
        return False
    values: dict[str, str | None] = {}
    if load_defaults:
        for name in (".tapsterenv", ".env"):
            found = dotenv.find_dotenv(name, usecwd=True)
            if found:
                values.update(dotenv.dotenv_values(found, encoding="utf-8"))
    if path is not None and os.path.isfile(path):
        values.update(dotenv.dotenv_values(path, encoding="utf-8"))
    for key, value in values.items():
        if key not in os.environ and value is not None:
            os.environ[key] = value
    return bool(values)


# -- finding the app ------------------------------------------------------------------------


def parse_app_expression(expression: str) -> tuple[str, tuple[list[Any], dict[str, Any]] | None]:
    """Split ``name`` or ``name(literal, key=literal)`` into the name and the call's arguments.

    The call is None for a bare name. Raises ``ValueError`` with a one-line
    message for anything else (attribute access, non-literal arguments), so
    a command line cannot run arbitrary code. ``tapster serve`` parses its
    ``MODULE:APP`` with this too.
    """
    try:
        node = ast.parse(expression.strip(), mode="eval").body
    except SyntaxError:
        raise ValueError(f"cannot parse {expression!r} as a name or a call") from None
    if isinstance(node, ast.Name):
        return node.id, None
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
        raise ValueError(f"{expression!r} must be a name or a call such as create_app()")
    try:
        args = [ast.literal_eval(arg) for arg in node.args]
        kwargs = {kw.arg: ast.literal_eval(kw.value) for kw in node.keywords if kw.arg}
    except ValueError:
        raise ValueError(f"the arguments of {expression!r} must be literals") from None
    return node.func.id, (args, kwargs)


def prepare_import(path: str) -> str:
    """The module name for ``path`` (a module name or a ``.py`` file), made importable.

    For a file inside packages (folders with ``__init__.py``) the name is
    dotted from the outermost package, and the folder above it is put first
    on ``sys.path``.
    """
    path = os.path.realpath(path)
    stem, extension = os.path.splitext(path)
    if extension == ".py":
        path = stem
    if os.path.basename(path) == "__init__":
        path = os.path.dirname(path)
    parts = []
    while True:
        path, name = os.path.split(path)
        parts.append(name)
        if not os.path.exists(os.path.join(path, "__init__.py")):
            break
    if sys.path[0] != path:
        sys.path.insert(0, path)
    return ".".join(reversed(parts))


def _where(error: BaseException) -> str:
    """`` (file, line N)`` of the innermost frame an error came from, outside importlib."""
    if isinstance(error, SyntaxError):
        return ""  # its message names the file and line already
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if not frame.filename.startswith("<frozen importlib")
    ]
    if not frames:
        return ""
    frame = frames[-1]
    filename = frame.filename
    try:
        relative = os.path.relpath(filename)
        if not relative.startswith(".."):
            filename = relative
    except ValueError:  # another drive (Windows)
        pass
    return f" ({filename}, line {frame.lineno})"


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}{_where(error)}"


def _called_with_wrong_args(function: Callable[..., Any], error: BaseException) -> bool:
    """Whether a ``TypeError`` came from calling ``function`` rather than from inside it."""
    code = getattr(function, "__code__", None)
    tb: TracebackType | None = error.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code is code:
            return False  # the function ran: the error is its own
        tb = tb.tb_next
    return True


def _app_class() -> type[App]:
    from .app import App  # late: app.py imports this module for ``app.cli``

    return App


def find_best_app(module: ModuleType) -> App:
    """The app of a module named without ``:name``.

    In order: an ``App`` called ``app`` or ``application``; the only
    ``App`` in the module; what a ``create_app`` or ``make_app`` function
    returns when called without arguments.
    """
    app_class = _app_class()
    name = module.__name__
    for attribute in ("app", "application"):
        candidate = getattr(module, attribute, None)
        if isinstance(candidate, app_class):
            return candidate
    found = [value for value in vars(module).values() if isinstance(value, app_class)]
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        raise NoAppException(
            f"Detected multiple Tapster applications in module '{name}'. Use "
            f"'tapster --app {name}:name' to specify the correct one."
        )
    for attribute in ("create_app", "make_app"):
        factory = getattr(module, attribute, None)
        if not inspect.isfunction(factory):
            continue
        try:
            app = factory()
        except TypeError as error:
            if not _called_with_wrong_args(factory, error):
                raise NoAppException(
                    f"Calling '{attribute}' in module '{name}' failed: {_describe(error)}"
                ) from error
            raise NoAppException(
                f"Detected factory '{attribute}' in module '{name}', but could not call it "
                f"without arguments. Use 'tapster --app {name}:{attribute}(args)' to specify "
                "arguments."
            ) from error
        except Exception as error:
            raise NoAppException(
                f"Calling '{attribute}' in module '{name}' failed: {_describe(error)}"
            ) from error
        if isinstance(app, app_class):
            return app
    raise NoAppException(
        f"Failed to find Tapster application or factory in module '{name}'. Use "
        f"'tapster --app {name}:name' to specify one."
    )


def find_app_by_string(module: ModuleType, app_name: str) -> App:
    """The app ``app_name`` names in ``module``: an attribute, or a factory call with literals.

    A function named without a call (``create_app``) is called without
    arguments.
    """
    try:
        name, call = parse_app_expression(app_name)
    except ValueError as error:
        raise NoAppException(str(error)) from None
    target = f"{module.__name__}:{app_name}"
    try:
        value = getattr(module, name)
    except AttributeError:
        raise NoAppException(
            f"Failed to find attribute '{name}' in '{module.__name__}'."
        ) from None
    if inspect.isfunction(value):
        args, kwargs = call or ([], {})
        try:
            value = value(*args, **kwargs)
        except TypeError as error:
            if _called_with_wrong_args(value, error):
                raise NoAppException(
                    f"The factory '{app_name}' in module '{module.__name__}' could not be called "
                    "with the specified arguments."
                ) from error
            raise NoAppException(f"Calling {target} failed: {_describe(error)}") from error
        except Exception as error:
            raise NoAppException(f"Calling {target} failed: {_describe(error)}") from error
    elif call is not None:
        raise NoAppException(f"'{name}' in '{module.__name__}' is not a function to call.")
    if isinstance(value, _app_class()):
        return value
    raise NoAppException(f"A valid Tapster application was not obtained from '{target}'.")


def locate_app(module_name: str, app_name: str | None, raise_if_not_found: bool = True) -> Any:
    """Import ``module_name`` and find its app (by ``app_name`` when given).

    A module that does not exist is an error, or None when not
    ``raise_if_not_found``; one that fails to import is an error naming
    the exception and where it was raised.
    """
    try:
        __import__(module_name)
    except ModuleNotFoundError as error:
        # The module itself (or a package on its path) is missing, not
        # something it imports whose name merely starts the same way.
        if error.name and (module_name + ".").startswith(error.name + "."):
            if not raise_if_not_found:
                return None
            raise NoAppException(f"Could not import '{module_name}'.") from None
        raise NoAppException(
            f"While importing '{module_name}', an ImportError was raised: {_describe(error)}"
        ) from error
    except Exception as error:
        raise NoAppException(
            f"While importing '{module_name}', an error was raised: {_describe(error)}"
        ) from error
    module = sys.modules[module_name]
    if app_name is None:
        return find_best_app(module)
    return find_app_by_string(module, app_name)


class ScriptInfo:
    """How a command finds the app: the ``--app`` value, or a ``create_app`` callback.

    ``load_app()`` loads it once and returns the same app afterwards.
    ``data`` is free for commands to share values in.
    """

    def __init__(
        self,
        app_import_path: str | None = None,
        create_app: Callable[..., Any] | None = None,
        set_debug_flag: bool = True,
        load_dotenv_defaults: bool = True,
    ) -> None:
        #: ``MODULE``, ``MODULE:name``, ``MODULE:factory(args)`` or ``path/to/app.py``.
        self.app_import_path = app_import_path
        #: A callable that returns the app; it wins over ``app_import_path``.
        self.create_app = create_app
        #: Values commands share.
        self.data: dict[Any, Any] = {}
        #: Whether ``load_app()`` sets the app's debug flag from ``TAPSTER_DEBUG``.
        self.set_debug_flag = set_debug_flag
        #: Whether the ``.tapsterenv``/``.env`` files are read (``TAPSTER_SKIP_DOTENV`` says no).
        self.load_dotenv_defaults = get_load_dotenv(load_dotenv_defaults)
        self._loaded_app: Any = None

    def load_app(self) -> App:
        """The app (loaded on the first call); ``NoAppException`` when there is none."""
        if self._loaded_app is not None:
            return cast("App", self._loaded_app)
        app: Any = None
        if self.create_app is not None:
            app = self.create_app()
        elif self.app_import_path:
            # "path:name" - but not the colon of a Windows drive ("C:\...").
            path, name = ([*re.split(r":(?![\\/])", self.app_import_path, maxsplit=1), None])[:2]
            app = locate_app(prepare_import(path), name)
        else:
            for filename in ("wsgi.py", "app.py"):
                if os.path.isfile(filename):
                    app = locate_app(prepare_import(filename), None, raise_if_not_found=False)
                    if app is not None:
                        break
        if app is None:
            raise _NoAppLocated(_NO_APP)
        if self.set_debug_flag:
            app.debug = get_debug_flag()
        self._loaded_app = app
        return cast("App", app)


#: Decorator: pass the ``ScriptInfo`` to the command as its first argument.
pass_script_info = click.make_pass_decorator(ScriptInfo, ensure=True)


def with_appcontext(f: F) -> F:
    """Run a command inside the app's context (loading the app if no context is active)."""

    @click.pass_context
    def decorator(ctx: click.Context, /, *args: Any, **kwargs: Any) -> Any:
        if _cv_app.get(None) is None:
            app = ctx.ensure_object(ScriptInfo).load_app()
            ctx.with_resource(app.app_context())
        return ctx.invoke(f, *args, **kwargs)

    return cast(F, update_wrapper(decorator, f))


class AppGroup(click.Group):
    """A click group whose commands run in the app context (``app.cli`` is one).

    ``command(with_appcontext=False)`` opts out; ``group()`` makes an
    ``AppGroup`` too. ``@group.command`` works with or without parentheses.
    """

    def command(self, *args: Any, **kwargs: Any) -> Any:
        """Like ``click.Group.command``, with the callback wrapped in ``with_appcontext``."""
        wrap = kwargs.pop("with_appcontext", True)
        if len(args) == 1 and callable(args[0]) and not kwargs:
            return self.command(with_appcontext=wrap)(args[0])  # used without parentheses

        def decorator(f: Callable[..., Any]) -> click.Command:
            if wrap:
                f = with_appcontext(f)
            return super(AppGroup, self).command(*args, **kwargs)(f)

        return decorator

    def group(self, *args: Any, **kwargs: Any) -> Any:
        """Like ``click.Group.group``, making an ``AppGroup``."""
        kwargs.setdefault("cls", AppGroup)
        return super().group(*args, **kwargs)


# -- the options of the tapster group ------------------------------------------------------


def _set_app(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    info = ctx.ensure_object(ScriptInfo)
    info.app_import_path = value
    return value


def _set_debug(ctx: click.Context, param: click.Parameter, value: bool) -> bool | None:
    # Only an explicit --debug/--no-debug (or TAPSTER_DEBUG itself) sets the variable;
    # the default leaves whatever the environment says.
    source = ctx.get_parameter_source(param.name or "debug")
    if source is None or source in (ParameterSource.DEFAULT, ParameterSource.DEFAULT_MAP):
        return None
    os.environ["TAPSTER_DEBUG"] = "1" if value else "0"
    return value


def _env_file(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    try:
        import dotenv  # noqa: F401
    except ImportError:
        if value is not None:
            raise click.BadParameter(
                "python-dotenv must be installed to load an env file.", ctx=ctx, param=param
            ) from None
        return value
    info = ctx.ensure_object(ScriptInfo)
    if value is not None or info.load_dotenv_defaults:
        load_dotenv(value, load_defaults=info.load_dotenv_defaults)
    return value


def _show_version(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from .. import __version__

    click.echo(f"tapster {__version__}\nPython {platform.python_version()}")
    ctx.exit()


_app_option = click.Option(
    ["-A", "--app"],
    metavar="IMPORT",
    help=(
        "The Tapster application or factory function to load, in the form 'module:name'. "
        "Module can be a dotted import or file path. Name is not required if it is 'app', "
        "'application', 'create_app', or 'make_app', and can be 'name(args)' to pass arguments."
    ),
    is_eager=True,
    expose_value=False,
    callback=_set_app,
)

_debug_option = click.Option(
    ["--debug/--no-debug"],
    help="Set debug mode.",
    expose_value=False,
    callback=_set_debug,
)

# Eager, and first, so the variables it sets are there for the other options.
_env_file_option = click.Option(
    ["-e", "--env-file"],
    type=click.Path(exists=True, dir_okay=False),
    help=(
        "Load environment variables from this file, taking precedence over those set by "
        "'.env' and '.tapsterenv'. Variables set directly in the environment take highest "
        "precedence. python-dotenv must be installed."
    ),
    is_eager=True,
    expose_value=False,
    callback=_env_file,
)

_version_option = click.Option(
    ["--version"],
    help="Show the tapster and Python versions.",
    expose_value=False,
    callback=_show_version,
    is_flag=True,
    is_eager=True,
)


# -- the built-in commands -----------------------------------------------------------------


def _split_paths(ctx: click.Context, param: click.Parameter, value: str | None) -> list[str]:
    """A value of paths or patterns separated by ``os.pathsep`` (':'), as Flask takes them."""
    return [item for item in (value or "").split(os.pathsep) if item]


def _failed_app(error: Exception) -> Callable[..., Any]:
    """A WSGI app that raises ``error`` (an app that failed to load) on every request."""
    traceback = error.__traceback__

    def failed_app(environ: dict[str, Any], start_response: Any) -> Any:
        raise error.with_traceback(traceback)  # the same traceback each time, not a longer one

    return failed_app


@click.command("run", short_help="Serve the app on tapster's server.")
@click.option("--host", "-h", default="127.0.0.1", show_default=True,
              help="The interface to bind to.")
@click.option("--port", "-p", default=5000, show_default=True,
              help="The port to bind to (0 picks a free one).")
@click.option("--reload/--no-reload", default=None,
              help="Restart the server when a Python file or template changes. "
                   "On by default in debug mode.")
@click.option("--debugger/--no-debugger", default=None,
              help="Answer unhandled exceptions with the debug page (the traceback, with "
                   "source lines; no console). Only in debug mode, where it is on by default.")
@click.option("--extra-files", default=None, metavar="PATHS", callback=_split_paths,
              help=f"Also restart when these files change. Separate paths with "
                   f"'{os.pathsep}'.")
@click.option("--exclude-patterns", default=None, metavar="PATTERNS", callback=_split_paths,
              help=f"Do not restart when files matching these fnmatch patterns change. "
                   f"Separate patterns with '{os.pathsep}'.")
@pass_script_info
def run_command(
    info: ScriptInfo,
    host: str,
    port: int,
    reload: bool | None,
    debugger: bool | None,
    extra_files: list[str],
    exclude_patterns: list[str],
) -> None:
    """Serve the app on tapster's HTTP/1.1 server until SIGTERM or Ctrl-C.

    The same server as 'tapster serve', fit for production; 'tapster serve'
    takes every server setting. In debug mode (--debug), the server restarts
    when code changes and unhandled exceptions show the debug page.
    """
    # The framework reaches the server only here, where it must serve.
    from tapster.config_sources import load_settings
    from tapster.net import BindError
    from tapster.net.reloader import is_server_process
    from tapster.settings import SettingsError
    from tapster.wsgi import serve
    from tapster.wsgi.server import build_server, configure_logging

    debug = get_debug_flag()
    if reload is None:
        reload = debug
    show_debug_page = debug and (debug if debugger is None else debugger)

    def load() -> Any:
        try:
            app = info.load_app()
        except Exception as error:
            if not (show_debug_page and reload and is_server_process()):
                raise
            # As with Flask: in the reloader's server, an app that does not load
            # is shown on the debug page until a change restarts the server.
            message = error.format_message() if isinstance(error, click.ClickException) else (
                _describe(error))
            click.secho(f"Error: {message}", err=True, fg="red")
            app = _failed_app(error)
        else:
            app.debug = debug
        if show_debug_page:
            from .debug import DebuggedApplication

            return DebuggedApplication(app)
        return app

    in_reloader = reload and not is_server_process()
    # The reloader leaves the app to its server process (an app that fails
    # to import waits there for a fix); without it, a broken app fails now.
    app = None if in_reloader else load()
    if not (reload and is_server_process()):  # once, not at every restart
        if info.app_import_path is not None:
            click.echo(f" * Serving Tapster app '{info.app_import_path}'")
        click.echo(f" * Debug mode: {'on' if debug else 'off'}")
        if show_debug_page:
            click.echo(" * Debug page: on (tracebacks in the browser; no console)")
    options: dict[str, Any] = {"host": host, "port": port}
    if reload:
        options["reload"] = True
    if extra_files:
        options["reload_extra_files"] = extra_files
    if exclude_patterns:
        options["reload_exclude"] = exclude_patterns
    try:
        if app is not None:
            serve(app, **options)  # the server, or the reloader's server process
        else:
            # The reloader: it never calls load(), its server process does.
            # The same sources as serve(): TAPSTER_SERVE_* variables under the options.
            settings = load_settings(options, options_source="tapster run").settings
            configure_logging(settings)
            build_server(settings, load).run()
    except (SettingsError, BindError, OSError, RuntimeError) as error:
        raise click.ClickException(str(error)) from None


# Like `flask run --debug`: the group's --debug also works after the command name,
# and so does --app.
run_command.params[:0] = [_debug_option, _app_option]


@click.command("shell", short_help="Run a shell in the app context.")
@with_appcontext
def shell_command() -> None:
    """Run an interactive Python shell in the app's context.

    Its names are the app's shell context: 'app', 'g' and what the
    app's shell context processors add.
    """
    import code

    from .globals import current_app

    app = cast("App", current_app._get_current_object())  # type: ignore[attr-defined]
    banner = (
        f"Python {sys.version} on {sys.platform}\n"
        f"App: {app.import_name}\n"
        f"Instance: {app.instance_path}"
    )
    names: dict[str, Any] = {}
    # The interpreter's own start-up file, as `python` would run it.
    startup = os.environ.get("PYTHONSTARTUP")
    if startup and os.path.isfile(startup):
        with open(startup) as file:
            exec(compile(file.read(), startup, "exec"), names)
    names.update(app.make_shell_context())
    # At a terminal, set up readline completion of the shell's names and history,
    # as `python` does (its hook writes the history file, so not when piped).
    hook = getattr(sys, "__interactivehook__", None)
    if hook is not None and sys.stdin.isatty():
        try:
            import readline
            from rlcompleter import Completer
        except ImportError:
            pass
        else:
            readline.set_completer(Completer(names).complete)
        hook()
    code.interact(banner=banner, local=names)


shell_command.params[:0] = [_app_option]


@click.command("routes", short_help="Show the routes for the app.")
@click.option(
    "--sort",
    "-s",
    type=click.Choice(("endpoint", "methods", "domain", "rule", "match")),
    default="endpoint",
    help=(
        "Method to sort routes by. 'match' is the order that Tapster will match routes "
        "when dispatching a request."
    ),
)
@click.option("--all-methods", is_flag=True, help="Show HEAD and OPTIONS methods.")
@with_appcontext
def routes_command(sort: str, all_methods: bool) -> None:
    """Show the app's routes: endpoint, methods and rule, one line each."""
    from .globals import current_app

    url_map = current_app.url_map
    rules = list(url_map.iter_rules())
    if not rules:
        click.echo("No routes were registered.")
        return
    hidden = set() if all_methods else {"HEAD", "OPTIONS"}
    host_matching = url_map.host_matching
    with_domain = any(rule.host if host_matching else rule.subdomain for rule in rules)
    headers = ["Endpoint", "Methods"]
    sorts = ["endpoint", "methods"]
    if with_domain:
        headers.append("Host" if host_matching else "Subdomain")
        sorts.append("domain")
    headers.append("Rule")
    sorts.append("rule")
    rows = []
    for rule in rules:
        row = [rule.endpoint, ", ".join(sorted(set(rule.methods or ()) - hidden))]
        if with_domain:
            row.append((rule.host if host_matching else rule.subdomain) or "")
        row.append(rule.rule)
        rows.append(row)
    if sort in sorts:  # "match" keeps the map's order (and so does "domain" without domains)
        rows.sort(key=itemgetter(sorts.index(sort)))
    widths = [max(len(row[i]) for row in (headers, *rows)) for i in range(len(headers))]
    # Every line padded to the full width, as `flask routes` prints it.
    template = "  ".join(f"{{{i}:<{width}}}" for i, width in enumerate(widths))
    click.echo(template.format(*headers))
    click.echo(template.format(*("-" * width for width in widths)))
    for row in rows:
        click.echo(template.format(*row))


routes_command.params[:0] = [_app_option]


# -- the tapster group ---------------------------------------------------------------------


class TapsterGroup(AppGroup):
    """The ``tapster`` command: built-in commands, then the app's own, found lazily.

    Installed packages add commands through the ``tapster.commands`` entry
    point group (Flask's ``flask.commands``); they work without an app.

    Options: ``--app``/``-A`` (also ``TAPSTER_APP``), ``--env-file``/``-e``,
    ``--debug/--no-debug`` (sets ``TAPSTER_DEBUG``) and ``--version``. The
    app is loaded only when a command needs it, so ``--help`` and
    ``--version`` work without one. ``create_app`` (a callable returning
    the app) replaces discovery, for a project's own command script.
    """

    def __init__(
        self,
        add_default_commands: bool = True,
        create_app: Callable[..., Any] | None = None,
        add_version_option: bool = True,
        load_dotenv: bool = True,
        set_debug_flag: bool = True,
        **extra: Any,
    ) -> None:
        params = list(extra.pop("params", None) or ())
        # Options work through callbacks, not the group callback, so a
        # subclass may have a callback of its own; --env-file comes first
        # so the variables it loads are there for --app.
        params.extend((_env_file_option, _app_option, _debug_option))
        if add_version_option:
            params.append(_version_option)
        context_settings = dict(extra.pop("context_settings", None) or {})
        context_settings.setdefault("auto_envvar_prefix", "TAPSTER")
        super().__init__(params=params, context_settings=context_settings, **extra)
        self.create_app = create_app
        self.load_dotenv = load_dotenv
        self.set_debug_flag = set_debug_flag
        if add_default_commands:
            self.add_command(run_command)
            self.add_command(shell_command)
            self.add_command(routes_command)
        self._plugins_loaded = False

    def _load_plugin_commands(self) -> None:
        """Add the commands installed packages declare (entry points of ``tapster.commands``)."""
        if self._plugins_loaded:
            return
        from importlib.metadata import entry_points

        for entry_point in entry_points(group="tapster.commands"):
            self.add_command(entry_point.load(), entry_point.name)
        self._plugins_loaded = True

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """A built-in or plugin command, else the app's (loading it and pushing its context)."""
        self._load_plugin_commands()
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            return command
        info = ctx.ensure_object(ScriptInfo)
        try:
            app = info.load_app()
        except NoAppException as error:
            click.secho(f"Error: {error.format_message()}\n", err=True, fg="red")
            return None
        # The app's commands, their options' callbacks included, run in its context.
        active = _cv_app.get(None)
        if active is None or active.app is not app:
            ctx.with_resource(app.app_context())
        return cast("click.Command | None", app.cli.get_command(ctx, cmd_name))

    def list_commands(self, ctx: click.Context) -> list[str]:
        """The built-in and plugin commands and, when an app loads, the app's."""
        self._load_plugin_commands()
        names = set(super().list_commands(ctx))
        info = ctx.ensure_object(ScriptInfo)
        try:
            names.update(info.load_app().cli.list_commands(ctx))
        except _NoAppLocated:
            pass  # no app around: the help lists the built-in commands, quietly
        except NoAppException as error:
            click.secho(f"Error: {error.format_message()}\n", err=True, fg="red")
        except Exception as error:
            click.secho(f"Error: {_describe(error)}\n", err=True, fg="red")
        return sorted(names)

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        """A context whose ``obj`` is the ``ScriptInfo``; tells ``App.run()`` not to serve."""
        # An app module that calls app.run() at import time (outside a
        # __main__ guard) must not start a server when a command loads it.
        os.environ["TAPSTER_RUN_FROM_CLI"] = "true"
        if "obj" not in extra and "obj" not in self.context_settings:
            extra["obj"] = ScriptInfo(
                create_app=self.create_app,
                set_debug_flag=self.set_debug_flag,
                load_dotenv_defaults=self.load_dotenv,
            )
        return super().make_context(info_name, args, parent=parent, **extra)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Before printing the help, read the dotenv files and ``TAPSTER_APP``.

        The help lists the app's commands, so the app must be known when no
        arguments (or only ``--help``) are given.
        """
        if (not args and self.no_args_is_help) or (
            len(args) == 1 and args[0] in self.get_help_option_names(ctx)
        ):
            _env_file_option.handle_parse_result(ctx, {}, [])
            _app_option.handle_parse_result(ctx, {}, [])
        return super().parse_args(ctx, args)
