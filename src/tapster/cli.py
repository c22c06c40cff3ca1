"""The ``tapster`` command: ``tapster serve MODULE:APP`` serves any WSGI application.

``serve``'s flags are generated from ``tapster.Settings`` with ``argparse``,
so the command line, its ``--help`` and ``tapster.serve()`` cannot disagree.
The ``tapster`` command around it is the framework's click group
(``tapster.web.cli.TapsterGroup``): ``tapster run``, ``routes``, ``shell``
and a tapster app's own commands; ``serve`` hands its arguments, untouched,
to the ``argparse`` parser, which stays the one source of its flags.
The names of ``flask.cli`` (``with_appcontext``, ``AppGroup``...) are
importable from here, as a ported app would write them.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

import click

from .config_sources import CONFIG_ENV, ENV_PREFIX, SettingsLoader, converter, format_settings
from .net import BindError
from .server_hooks import HookError
from .settings import Settings, SettingsError
from .web.cli import (  # what ``flask.cli`` offers, under the name a port would import
    AppGroup,
    NoAppException,
    ScriptInfo,
    TapsterGroup,
    load_dotenv,
    parse_app_expression,
    pass_script_info,
    with_appcontext,
)

__all__ = [
    "AppGroup",
    "AppLoadError",
    "NoAppException",
    "ScriptInfo",
    "TapsterGroup",
    "cli",
    "load_app",
    "load_dotenv",
    "main",
    "pass_script_info",
    "serve_main",
    "with_appcontext",
]

_GROUP_TITLES = {
    "binding": "where to listen",
    "workers": "the application",
    "processes": "worker processes",
    "limits": "limits",
    "timeouts": "time-outs (seconds)",
    "tls": "TLS (HTTPS)",
    "proxies": "proxies in front",
    "logging": "logging",
    "development": "development",
}

#: Short flags where a gunicorn user would type them.
_SHORT_FLAGS = {"bind": "-b", "workers": "-w"}


class AppLoadError(Exception):
    """``MODULE:APP`` does not name a WSGI application; the message says why."""


def load_app(target: str) -> Callable[..., Any]:
    """Import ``MODULE:APP`` (or ``MODULE``, or ``MODULE:factory(args)``) and return the app.

    Without ``:APP``, the module's ``app`` or ``application`` is used. A call
    such as ``create_app()`` or ``create_app("production")`` calls a factory
    with literal arguments, as ``flask --app`` does.
    """
    module_name, _, expression = target.partition(":")
    if not module_name or not all(part.isidentifier() for part in module_name.split(".")):
        raise AppLoadError(f"{target!r} is not MODULE:APP (e.g. myproject.wsgi:app)")
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        # The module itself (or a package on its path) is missing, not
        # something it imports whose name merely starts the same way.
        if error.name and (module_name + ".").startswith(error.name + "."):
            raise AppLoadError(
                f"cannot import {module_name!r}: no module named {error.name!r}"
            ) from None
        raise AppLoadError(f"error importing {module_name!r}: {error}") from error
    except Exception as error:
        raise AppLoadError(
            f"error importing {module_name!r}: {type(error).__name__}: {error}"
        ) from error

    if not expression:
        for name in ("app", "application"):
            if hasattr(module, name):
                expression = name
                break
        else:
            raise AppLoadError(f"module {module_name!r} has no 'app' or 'application'; "
                               f"name it: {module_name}:NAME")
    app = _evaluate(module, module_name, expression)
    if not callable(app):
        raise AppLoadError(f"{module_name}:{expression} is not callable "
                           f"(it is a {type(app).__name__}), so it is not a WSGI application")
    return app


def _evaluate(module: Any, module_name: str, expression: str) -> Any:
    try:
        name, call = parse_app_expression(expression)
    except ValueError as error:
        raise AppLoadError(str(error)) from None
    if not hasattr(module, name):
        raise AppLoadError(f"module {module_name!r} has no attribute {name!r}")
    value = getattr(module, name)
    if call is None:
        return value
    args, kwargs = call
    try:
        return value(*args, **kwargs)
    except Exception as error:
        raise AppLoadError(
            f"calling {module_name}:{expression} failed: {type(error).__name__}: {error}"
        ) from error


def _flag(field: dataclasses.Field[Any]) -> str:
    return field.metadata.get("flag") or "--" + field.name.replace("_", "-")


def build_parser() -> argparse.ArgumentParser:
    """``tapster serve``'s argument parser, with its flags made from the settings fields."""
    serve = argparse.ArgumentParser(
        prog="tapster serve",
        description="Serve the WSGI application MODULE:APP (any framework: tapster, Flask, "
        "Django, ...) until SIGTERM or SIGINT. Each setting comes from its flag, else from "
        f"the variable {ENV_PREFIX}<SETTING> (e.g. {ENV_PREFIX}WORKERS=4), else from the "
        "config file, else its default.",
    )
    serve.add_argument(
        "app",
        metavar="MODULE:APP",
        nargs="?",
        help="the application: module:name, module (uses 'app'), or module:factory()",
    )
    configuration = serve.add_argument_group("configuration")
    configuration.add_argument(
        "-c", "--config", metavar="FILE", default=None,
        help=f"Read settings from FILE: TOML (.toml) or Python (.py, module-level lowercase "
        f"names); flags and {ENV_PREFIX}* variables win over it. Default: ${CONFIG_ENV}, "
        "else none.",
    )
    configuration.add_argument(
        "--check-config", action="store_true",
        help="Print the effective settings, each with where it came from, and exit (0 when "
        "valid; with MODULE:APP, also check that the application loads).",
    )
    groups: dict[str, argparse._ArgumentGroup] = {}
    for field in dataclasses.fields(Settings):
        group_name = field.metadata["group"]
        if group_name not in groups:
            groups[group_name] = serve.add_argument_group(
                _GROUP_TITLES.get(group_name, group_name)
            )
        kwargs: dict[str, Any] = {
            "dest": field.name,
            "help": field.metadata["help"],
            "default": argparse.SUPPRESS,
        }
        if field.type == "bool":
            kwargs["action"] = "store_true"  # a switch: present means on
        else:
            kwargs["type"] = converter(field)
        if field.type == "list[str]":
            kwargs["action"] = "append"
        if "metavar" in field.metadata:
            kwargs["metavar"] = field.metadata["metavar"]
        if "choices" in field.metadata:
            kwargs["choices"] = field.metadata["choices"]
        default = field.default if field.default is not dataclasses.MISSING else None
        if default not in (None, [], "") and default is not False:
            kwargs["help"] += f" (default: {default})"
        kwargs["help"] = kwargs["help"].replace("%", "%%")  # argparse formats help with %
        names = [_flag(field), *field.metadata.get("aliases", ())]
        if field.name in _SHORT_FLAGS:
            names.insert(0, _SHORT_FLAGS[field.name])
        groups[group_name].add_argument(*names, **kwargs)
    return serve


def serve_main(argv: Sequence[str]) -> int:
    """``tapster serve ARGV``: serve until stopped; the exit status.

    Invalid flags exit at once with status 2 (``argparse``'s usage error);
    invalid settings from any source are one line and status 1.
    """
    parser = build_parser()
    arguments = vars(parser.parse_args(argv))
    target = arguments.pop("app")
    config = arguments.pop("config")
    check_only = arguments.pop("check_config")
    if target is None and not check_only:
        parser.error("the following arguments are required: MODULE:APP")
    from .wsgi.server import build_server, configure_logging

    def load_in_worker() -> Callable[..., Any]:
        # A worker that cannot import the application says why and exits;
        # the master counts it as a failed start.
        try:
            return load_app(target)
        except AppLoadError as error:
            print(f"tapster: error: {error}", file=sys.stderr)
            raise SystemExit(1) from None

    loader = SettingsLoader(arguments, config=config, converted=True)
    try:
        loaded = loader.load()
        if check_only:
            from .wsgi.server import resolve_binds

            resolve_binds(loaded.settings)  # the addresses parse (nothing is bound)
            if target is not None:
                load_app(target)
            sys.stdout.write(format_settings(loaded))
            if target is not None:
                sys.stdout.write(f"# {target} loads\n")
            return 0
        settings = loaded.settings
        if settings.reload and loaded.config_file is not None:
            # In development, editing the config file restarts the server like code does.
            settings.reload_extra_files.append(loaded.config_file)
        configure_logging(settings)
        if settings.needs_master and not settings.preload:
            # Each worker imports the application, and the master never does:
            # a module it imported would be inherited, and SIGHUP could not
            # load new code.
            server = build_server(settings, load_in_worker, reload_settings=loader.load,
                                  hooks=loaded.hooks)
        else:
            server = build_server(settings, lambda: load_app(target),
                                  reload_settings=loader.load, hooks=loaded.hooks)
    except (SettingsError, AppLoadError, BindError, OSError, RuntimeError, HookError) as error:
        print(f"tapster: error: {error}", file=sys.stderr)
        return 1
    try:
        return server.run() or 0
    except HookError as error:  # when_ready (its traceback is logged)
        print(f"tapster: error: {error}", file=sys.stderr)
        return 1


#: The ``tapster`` command.
cli = TapsterGroup(
    name="tapster",
    help="""tapster: a production-grade HTTP/1.1 WSGI server in pure Python, and the
    command line of tapster apps.

    'tapster serve MODULE:APP' serves any WSGI application. The other commands
    work on a tapster app, found with '--app', the TAPSTER_APP variable, or a
    'wsgi.py' or 'app.py' file in the current folder; the app's own commands
    ('@app.cli.command()') are listed here too.
    """,
)


@cli.command(
    "serve",
    with_appcontext=False,
    add_help_option=False,
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True,
                      "help_option_names": []},
    short_help="Serve any WSGI application (MODULE:APP), with every server setting.",
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
@click.pass_context
def serve_command(ctx: click.Context, args: tuple[str, ...]) -> None:
    """Serve the WSGI application MODULE:APP; 'tapster serve --help' lists the settings."""
    ctx.exit(serve_main(list(args)))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``tapster`` command line; return the exit status."""
    try:
        cli.main(args=list(argv) if argv is not None else None, prog_name="tapster")
    except SystemExit as exit:
        if exit.code is None or isinstance(exit.code, int):
            return exit.code or 0
        print(exit.code, file=sys.stderr)
        return 1
    return 0
