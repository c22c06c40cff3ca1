"""Where server settings come from: the command line, ``TAPSTER_SERVE_*`` variables, a file.

One ``Settings`` is filled from layers, the first that sets a field wins:

1. the command line (or the keyword arguments of ``tapster.serve()`` and
   ``App.run()``),
2. environment variables ``TAPSTER_SERVE_<FIELD>`` (``TAPSTER_SERVE_WORKERS=4``),
3. a config file: ``--config FILE`` (else ``TAPSTER_SERVE_CONFIG``), TOML
   (``.toml``) or Python (``.py``, like gunicorn's: module-level lowercase
   names are settings, and functions named as gunicorn's hooks are hooks),
4. the defaults of ``Settings``.

Server hooks (``tapster.server_hooks``) come from the same layers, though
only the first and the third can hold a function: ``serve()``'s keywords win
over the config file's functions.

Why ``TAPSTER_SERVE_`` and not ``TAPSTER_``: the framework's
``config.from_prefixed_env()`` reads every ``TAPSTER_*`` variable into an
app's configuration, and ``TAPSTER_APP``, ``TAPSTER_DEBUG`` and the
reloader's variables live there too. A plain ``TAPSTER_TIMEOUT`` meant for an
app's own ``TIMEOUT`` key would silently change the server's worker time-out.
``TAPSTER_SERVE_`` is the name click gives the options of ``tapster serve``
(``tapster run``'s read ``TAPSTER_RUN_*``), and only names of settings
fields count: any other ``TAPSTER_SERVE_*`` variable is an error.

Every mistake is a ``SettingsError`` whose message is one line naming the
setting and where it came from.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import os
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .server_hooks import HOOK_NAMES, Hooks, check_hook, describe_hook, hook_error
from .settings import Settings, SettingsError

__all__ = [
    "CONFIG_ENV",
    "ENV_PREFIX",
    "LoadedSettings",
    "SettingsLoader",
    "converter",
    "format_settings",
    "load_settings",
    "read_config_file",
    "read_log_config",
]

#: Prefix of the environment variables that set server settings.
ENV_PREFIX = "TAPSTER_SERVE_"
#: The variable naming a config file when ``--config`` does not.
CONFIG_ENV = ENV_PREFIX + "CONFIG"

_FIELDS = {item.name: item for item in dataclasses.fields(Settings)}

# gunicorn's names in its config files, for the "did you mean" of an unknown setting.
_GUNICORN_NAMES = {
    "accesslog": "access_log",
    "errorlog": "error_log",
    "loglevel": "log_level",
    "logconfig": "log_config",
    "keepalive": "keepalive_timeout",
    "preload_app": "preload",
    "pidfile": "pid",
    "limit_request_line": "max_request_line",
    "limit_request_fields": "max_header_count",
}

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


# How a text value becomes a field's value, by the field's type (a ``parse``
# in the field's metadata wins: octal, "auto" workers).
_CONVERTERS: dict[str, Callable[[str], Any]] = {
    "int": int,
    "int | None": int,
    "float": float,
    "str": str,
    "str | None": str,
    "list[str]": str,
}


def converter(field: dataclasses.Field[Any]) -> Callable[[str], Any]:
    """How one text value of ``field`` (a flag's or a variable's) becomes its value."""
    return field.metadata.get("parse") or _CONVERTERS[str(field.type)]  # type: ignore[no-any-return]


def unknown_setting(name: str, where: str) -> SettingsError:
    """The error for a name that is no setting, with a suggestion when one is close."""
    if name in HOOK_NAMES:
        return SettingsError(f"{where}: {name!r} is a hook, not a setting: define it in a "
                             f"Python config file, or pass it to serve()")
    guess = _GUNICORN_NAMES.get(name)
    if guess is None:
        spelled = name.replace("-", "_").lower()
        flags = {(item.metadata.get("flag") or "").lstrip("-").replace("-", "_"): item.name
                 for item in _FIELDS.values()}
        if spelled in _FIELDS or spelled in flags:
            guess = flags.get(spelled, spelled)
        else:
            close = difflib.get_close_matches(spelled, list(_FIELDS), n=1, cutoff=0.75)
            guess = close[0] if close else None
    hint = f" (did you mean {guess!r}?)" if guess else ""
    return SettingsError(f"{where}: unknown setting {name!r}{hint}")


# -- the environment ------------------------------------------------------------------


def _from_text(field: dataclasses.Field[Any], text: str, where: str) -> Any:
    kind = str(field.type)
    if kind == "bool":
        lowered = text.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise SettingsError(f"{where}: {field.name} must be 1, true, yes, on or 0, false, no, "
                            f"off, not {text!r}")
    parse = converter(field)
    if kind == "list[str]":
        # Commas separate the items: no address, path or pattern a server is
        # given here usually holds one.
        return [parse(item.strip()) for item in text.split(",") if item.strip()]
    try:
        return parse(text)
    except ValueError:
        name = getattr(parse, "__name__", "")
        raise SettingsError(f"{where}: invalid {name} value {text!r} for {field.name}") from None


def read_environment(environ: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The settings ``TAPSTER_SERVE_*`` variables give, and the variable of each."""
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for variable in sorted(environ):
        if not variable.startswith(ENV_PREFIX) or variable == CONFIG_ENV:
            continue
        name = variable[len(ENV_PREFIX):].lower()
        field = _FIELDS.get(name)
        if field is None:
            raise unknown_setting(name, f"environment variable {variable}")
        values[name] = _from_text(field, environ[variable], variable)
        sources[name] = f"environment {variable}"
    return values, sources


# -- config files -------------------------------------------------------------------------


def _load_toml(path: str) -> dict[str, Any]:
    try:
        import tomllib  # Python 3.11 and later
    except ModuleNotFoundError:
        try:
            import tomli as tomllib  # the same parser, for Python 3.10
        except ModuleNotFoundError:
            raise SettingsError(f"{path}: reading TOML needs Python 3.11 or the 'tomli' "
                                f"package (pip install tomli); or use a .py config file") from None
    try:
        with open(path, "rb") as file:
            return tomllib.load(file)
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(f"{path}: invalid TOML: {error}") from None


def _load_python(path: str) -> dict[str, Any]:
    module = types.ModuleType("tapster_config")
    module.__file__ = path
    try:
        with open(path, "rb") as file:
            code = compile(file.read(), path, "exec")
        exec(code, module.__dict__)
    except SyntaxError as error:
        raise SettingsError(f"{path}, line {error.lineno}: SyntaxError: {error.msg}") from None
    except OSError:
        raise
    except Exception as error:
        raise SettingsError(f"{path}: {type(error).__name__}: {error}") from None
    # Settings and hooks are the module-level lowercase names; imported
    # modules and functions (other than hooks) and names starting with "_"
    # are the file's own helpers. Anything else that is not a setting or a
    # hook is an error: a typo must not pass in silence, nor a gunicorn hook
    # (pre_request...) tapster would never call.
    return {
        name: value
        for name, value in vars(module).items()
        if not name.startswith("_") and name.islower() and not isinstance(value, types.ModuleType)
        and not _imported_helper(name, value, module.__name__)
    }


def _imported_helper(name: str, value: Any, module: str) -> bool:
    """Whether ``value`` is a function or class the config file imported (``from x import y``)."""
    if not callable(value) or name in HOOK_NAMES:
        return False
    return getattr(value, "__module__", module) != module


def read_config_file(path: str) -> dict[str, Any]:
    """The settings (and hooks) a config file gives, checked and converted.

    Raises ``SettingsError`` when one is wrong.
    """
    if path.endswith(".toml"):
        loader = _load_toml
    elif path.endswith(".py"):
        loader = _load_python
    else:
        raise SettingsError(f"config file {path!r} must end in .toml or .py")
    try:
        raw = loader(path)
    except OSError as error:
        raise SettingsError(f"cannot read config file {path}: {error.strerror or error}") from None
    return {name: _file_value(name, value, path) for name, value in raw.items()}


def _file_value(name: str, value: Any, where: str) -> Any:
    if name in HOOK_NAMES:
        return check_hook(name, value, where)
    field = _FIELDS.get(name)
    if field is None:
        raise hook_error(name, where) if callable(value) else unknown_setting(name, where)
    return check_value(field, value, where)


def check_value(field: dataclasses.Field[Any], value: Any, where: str) -> Any:
    """``value`` for ``field`` from Python (a file, a keyword): of the right type, or an error."""
    kind = str(field.type)
    name = field.name
    if value is None and "None" in kind:
        return None
    if name == "log_config" and isinstance(value, dict):
        return value
    if kind == "bool":
        if isinstance(value, bool):
            return value
        raise SettingsError(f"{where}: {name} must be true or false, not {value!r}")
    if kind == "list[str]":
        if isinstance(value, str):
            return [value]
        if isinstance(value, (list, tuple)) and all(isinstance(item, str) for item in value):
            return list(value)
        raise SettingsError(f"{where}: {name} must be a string or a list of strings, "
                            f"not {value!r}")
    if isinstance(value, str) and "parse" in field.metadata:
        # workers = "auto", unix_socket_mode = "660": as on the command line.
        return _from_text(field, value, where)
    if kind.startswith("int"):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise SettingsError(f"{where}: {name} must be a whole number, not {value!r}")
    if kind.startswith("float"):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        raise SettingsError(f"{where}: {name} must be a number, not {value!r}")
    if isinstance(value, str):
        return value
    raise SettingsError(f"{where}: {name} must be a string, not {value!r}")


def read_log_config(source: str | dict[str, Any]) -> dict[str, Any]:
    """The ``logging.config.dictConfig`` dictionary of ``--log-config`` (a JSON or TOML file)."""
    if isinstance(source, dict):
        return source
    try:
        if source.endswith(".toml"):
            return _load_toml(source)
        if source.endswith(".json"):
            with open(source, encoding="utf-8") as file:
                loaded = json.load(file)
            if not isinstance(loaded, dict):
                raise SettingsError(f"{source}: log_config must hold a JSON object")
            return loaded
    except OSError as error:
        raise SettingsError(f"log_config: cannot read {source}: "
                            f"{error.strerror or error}") from None
    except json.JSONDecodeError as error:
        raise SettingsError(f"{source}: invalid JSON: {error}") from None
    raise SettingsError(f"log_config file {source!r} must end in .json or .toml")


# -- the layers together ---------------------------------------------------------------------


@dataclass
class LoadedSettings:
    """Settings and hooks, and where each came from (``--check-config`` prints both)."""

    settings: Settings
    #: For every field: "default", "the command line", "config file X", "environment V";
    #: and for every hook that is set, where it was.
    sources: dict[str, str]
    #: The config file read, if any.
    config_file: str | None = None
    #: The server hooks given (a Python config file's functions, ``serve()``'s keywords).
    hooks: Hooks = dataclasses.field(default_factory=Hooks)


def load_settings(
    options: Mapping[str, Any] | None = None,
    *,
    config: str | None = None,
    environ: Mapping[str, str] | None = None,
    options_source: str = "the command line",
    converted: bool = False,
    defaults: Mapping[str, Any] | None = None,
) -> LoadedSettings:
    """Fill ``Settings`` from ``options`` > ``TAPSTER_SERVE_*`` > the config file > defaults.

    ``config`` is the config file (``--config``); without it,
    ``TAPSTER_SERVE_CONFIG`` may name one. ``options`` are checked like a
    config file's values unless ``converted`` (argparse made them from text
    already). ``defaults`` replace the built-in defaults of some settings
    (``App.run()``'s port 5000), below every other source. ``options`` and
    the config file may also give hooks (``post_fork=...``). Raises
    ``SettingsError`` with one line naming the setting and its source.
    """
    environ = os.environ if environ is None else environ
    options = dict(options or {})
    merged: dict[str, Any] = {}
    sources = {name: "default" for name in _FIELDS}
    for name, value in (defaults or {}).items():
        if name not in _FIELDS:
            raise unknown_setting(name, "defaults")
        merged[name] = check_value(_FIELDS[name], value, "defaults")
    hooks: dict[str, Any] = {}
    config_file = config if config is not None else (environ.get(CONFIG_ENV) or None)
    if config_file is not None:
        for name, value in read_config_file(config_file).items():
            (hooks if name in HOOK_NAMES else merged)[name] = value
            sources[name] = f"config file {config_file}"
    env_values, env_sources = read_environment(environ)
    merged.update(env_values)
    sources.update(env_sources)
    for name, value in options.items():
        if name in HOOK_NAMES:
            hooks[name] = check_hook(name, value, options_source)
            sources[name] = options_source
            continue
        field = _FIELDS.get(name)
        if field is None:
            if callable(value):
                raise hook_error(name, options_source)
            raise unknown_setting(name, options_source)
        if not converted:
            value = check_value(field, value, options_source)
        merged[name] = value
        sources[name] = options_source
    for name, value in merged.items():
        choices = _FIELDS[name].metadata.get("choices")
        if choices and value not in choices:
            where = "" if sources[name] == options_source else f" (from {sources[name]})"
            raise SettingsError(f"{name} must be {', '.join(choices[:-1])} or {choices[-1]}, "
                                f"not {value!r}{where}")
    try:
        settings = Settings(**merged)
    except SettingsError as error:
        # Settings' messages start with the field's name: say where it was
        # set, unless the caller gave it (they know) or nobody did.
        name = str(error).split(" ", 1)[0]
        where = sources.get(name, "default")
        if where in ("default", options_source):
            raise
        raise SettingsError(f"{error} (from {where})") from None
    return LoadedSettings(settings, sources, config_file, Hooks(**hooks))


class SettingsLoader:
    """Loads settings from the same layers again, for SIGHUP: the options are kept as given.

    The command line (or ``serve()``'s keywords) cannot change under a
    running process; the config file and the environment are read anew.
    """

    def __init__(
        self,
        options: Mapping[str, Any],
        *,
        config: str | None = None,
        options_source: str = "the command line",
        converted: bool = False,
        defaults: Mapping[str, Any] | None = None,
    ) -> None:
        self.options = dict(options)
        self.config = config
        self.options_source = options_source
        self.converted = converted
        self.defaults = dict(defaults or {})

    def load(self) -> LoadedSettings:
        """Settings from the current config file and environment; ``SettingsError`` if wrong."""
        return load_settings(self.options, config=self.config,
                             options_source=self.options_source, converted=self.converted,
                             defaults=self.defaults)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a TOML basic string accepts JSON's escapes
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {_toml_value(v)}"
                               for k, v in value.items()) + "}"
    return json.dumps(str(value))


def format_settings(loaded: LoadedSettings) -> str:
    """The effective settings as TOML lines, each with its source (``--check-config``).

    The hooks that are set follow, as comments (a function is no TOML value).
    """
    lines = []
    for name in _FIELDS:
        value = getattr(loaded.settings, name)
        text = f"# {name} is not set" if value is None else f"{name} = {_toml_value(value)}"
        lines.append((text, loaded.sources[name]))
    for name, hook in loaded.hooks.items():
        lines.append((f"# hook {name}: {describe_hook(hook)}", loaded.sources[name]))
    # Aligned, but a long value (the access log format) does not push every comment far right.
    width = min(48, max(len(text) for text, _ in lines))
    return "".join(f"{text:<{width}}  # {source}\n" for text, source in lines)
