"""The ``tapster`` command: ``tapster serve MODULE:APP`` serves any WSGI application.

Flags are generated from ``tapster.Settings``, so the command line, its
``--help`` and ``tapster.serve()`` cannot disagree. The server needs only
the standard library, so this uses ``argparse``.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from . import __version__
from .net import BindError
from .settings import Settings, SettingsError

__all__ = ["AppLoadError", "load_app", "main"]

_GROUP_TITLES = {
    "binding": "where to listen",
    "workers": "the application",
    "limits": "limits",
    "timeouts": "time-outs (seconds)",
    "logging": "logging",
}

_CONVERTERS: dict[str, Callable[[str], Any]] = {
    "int": int,
    "int | None": int,
    "float": float,
    "str": str,
    "str | None": str,
    "list[str]": str,
}


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
        node = ast.parse(expression.strip(), mode="eval").body
    except SyntaxError:
        raise AppLoadError(f"cannot parse {expression!r} as a name or a call") from None
    if isinstance(node, ast.Name):
        name, call = node.id, None
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        name, call = node.func.id, node
    else:
        raise AppLoadError(f"{expression!r} must be a name or a call such as create_app()")
    if not hasattr(module, name):
        raise AppLoadError(f"module {module_name!r} has no attribute {name!r}")
    value = getattr(module, name)
    if call is None:
        return value
    try:
        args = [ast.literal_eval(arg) for arg in call.args]
        kwargs = {kw.arg: ast.literal_eval(kw.value) for kw in call.keywords if kw.arg}
    except ValueError:
        raise AppLoadError(f"the arguments of {expression!r} must be literals") from None
    try:
        return value(*args, **kwargs)
    except Exception as error:
        raise AppLoadError(
            f"calling {module_name}:{expression} failed: {type(error).__name__}: {error}"
        ) from error


def _flag(field: dataclasses.Field[Any]) -> str:
    return field.metadata.get("flag") or "--" + field.name.replace("_", "-")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, with ``serve``'s flags made from the settings fields."""
    parser = argparse.ArgumentParser(
        prog="tapster",
        description="tapster: a production-grade HTTP/1.1 WSGI server in pure Python.",
    )
    parser.add_argument("--version", action="version", version=f"tapster {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    serve = commands.add_parser(
        "serve",
        help="serve a WSGI application",
        description="Serve the WSGI application MODULE:APP (any framework: tapster, Flask, "
        "Django, ...) until SIGTERM or SIGINT.",
    )
    serve.add_argument(
        "app",
        metavar="MODULE:APP",
        help="the application: module:name, module (uses 'app'), or module:factory()",
    )
    groups: dict[str, argparse._ArgumentGroup] = {}
    for field in dataclasses.fields(Settings):
        group_name = field.metadata["group"]
        if group_name not in groups:
            groups[group_name] = serve.add_argument_group(_GROUP_TITLES[group_name])
        kwargs: dict[str, Any] = {
            "dest": field.name,
            "help": field.metadata["help"],
            "type": field.metadata.get("parse") or _CONVERTERS[str(field.type)],
            "default": argparse.SUPPRESS,
        }
        if field.type == "list[str]":
            kwargs["action"] = "append"
        if "metavar" in field.metadata:
            kwargs["metavar"] = field.metadata["metavar"]
        if "choices" in field.metadata:
            kwargs["choices"] = field.metadata["choices"]
        default = field.default if field.default is not dataclasses.MISSING else None
        if default not in (None, [], ""):
            kwargs["help"] += f" (default: {default})"
        kwargs["help"] = kwargs["help"].replace("%", "%%")  # argparse formats help with %
        groups[group_name].add_argument(_flag(field), **kwargs)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = build_parser()
    arguments = vars(parser.parse_args(argv))
    command = arguments.pop("command")
    if command is None:
        parser.print_help()
        return 2
    target = arguments.pop("app")
    from .wsgi.server import Server, configure_access_log, configure_logging

    try:
        settings = Settings.from_options(arguments)
        configure_logging(settings.log_level)
        configure_access_log(settings.access_log)
        app = load_app(target)
        server = Server(app, settings)
    except (SettingsError, AppLoadError, BindError, OSError) as error:
        print(f"tapster: error: {error}", file=sys.stderr)
        return 1
    server.run()
    return 0
