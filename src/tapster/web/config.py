"""The application's configuration: a dict with loaders (``app.config``), as Flask's.

Only UPPERCASE keys are configuration; the loaders skip the rest, so a
module or class can hold helpers beside its settings.
"""

from __future__ import annotations

import errno
import importlib
import json
import os
import types
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import IO, Any, Generic, TypeVar

__all__ = ["Config", "ConfigAttribute", "debug_from_environment", "import_string"]

T = TypeVar("T")


def debug_from_environment() -> bool:
    """Whether ``TAPSTER_DEBUG`` asks for debug mode: set and not ``0``, ``false`` or ``no``
    (Flask's rule for ``FLASK_DEBUG``)."""
    value = os.environ.get("TAPSTER_DEBUG")
    return bool(value) and value.lower() not in ("0", "false", "no")


def import_string(name: str) -> Any:
    """Import ``"package.module"`` or ``"package.module:attr"`` / ``"package.module.attr"``."""
    module_name, colon, attribute = name.partition(":")
    if colon:
        return getattr(importlib.import_module(module_name), attribute)
    try:
        return importlib.import_module(name)
    except ImportError:
        module_name, _, attribute = name.rpartition(".")
        if not module_name:
            raise
        module = importlib.import_module(module_name)
        try:
            return getattr(module, attribute)
        except AttributeError:
            raise ImportError(f"module {module_name!r} has no attribute {attribute!r}") from None


class ConfigAttribute(Generic[T]):
    """An attribute of the app that reads and writes one config key (``app.debug``)."""

    def __init__(self, name: str, get_converter: Callable[[Any], T] | None = None) -> None:
        self.__name__ = name
        self.get_converter = get_converter

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        value = obj.config[self.__name__]
        if self.get_converter is not None:
            value = self.get_converter(value)
        return value

    def __set__(self, obj: Any, value: Any) -> None:
        obj.config[self.__name__] = value


def _timedelta(value: timedelta | int | None) -> timedelta | None:
    """Seconds as a ``timedelta``, as Flask accepts for lifetimes and max ages."""
    if value is None or isinstance(value, timedelta):
        return value
    return timedelta(seconds=value)


class Config(dict[str, Any]):
    """A dict of settings with loaders; file names are relative to ``root_path``."""

    def __init__(self, root_path: str | os.PathLike[str], defaults: dict[str, Any] | None = None):
        super().__init__(defaults or {})
        self.root_path = root_path

    def from_envvar(self, variable_name: str, silent: bool = False) -> bool:
        """Load the Python file named by the environment variable ``variable_name``."""
        filename = os.environ.get(variable_name)
        if not filename:
            if silent:
                return False
            raise RuntimeError(
                f"The environment variable {variable_name!r} is not set and as such "
                "configuration could not be loaded. Set this variable and make it point "
                "to a configuration file."
            )
        return self.from_pyfile(filename, silent=silent)

    def from_prefixed_env(
        self, prefix: str = "TAPSTER", *, loads: Callable[[str], Any] = json.loads
    ) -> bool:
        """Load ``PREFIX_KEY`` environment variables as ``KEY``, parsed as JSON when they are.

        ``PREFIX_A__B`` sets ``config["A"]["B"]`` (creating the dict). The
        default prefix is ``TAPSTER`` where Flask's is ``FLASK``; pass
        ``"FLASK"`` to keep an existing deployment's variables.
        """
        prefix = f"{prefix}_"
        for key in sorted(os.environ):
            if not key.startswith(prefix):
                continue
            value: Any = os.environ[key]
            try:
                value = loads(value)
            except Exception:
                pass  # not JSON: keep the string, as Flask does
            key = key[len(prefix):]
            if "__" not in key:
                self[key] = value
                continue
            current: dict[str, Any] = self
            *parts, tail = key.split("__")
            for part in parts:
                current = current.setdefault(part, {})
            current[tail] = value
        return True

    def from_pyfile(self, filename: str | os.PathLike[str], silent: bool = False) -> bool:
        """Run a Python file and load its UPPERCASE names; missing files pass when ``silent``."""
        path = os.path.join(self.root_path, filename)
        module = types.ModuleType("config")
        module.__file__ = path
        try:
            with open(path, mode="rb") as file:
                exec(compile(file.read(), path, "exec"), module.__dict__)
        except OSError as error:
            if silent and error.errno in (errno.ENOENT, errno.EISDIR, errno.ENOTDIR):
                return False
            error.strerror = f"Unable to load configuration file ({error.strerror})"
            raise
        self.from_object(module)
        return True

    def from_object(self, obj: object | str) -> None:
        """Load the UPPERCASE attributes of an object, class or module (or its import name)."""
        if isinstance(obj, str):
            obj = import_string(obj)
        for key in dir(obj):
            if key.isupper():
                self[key] = getattr(obj, key)

    def from_file(
        self,
        filename: str | os.PathLike[str],
        load: Callable[[IO[Any]], Mapping[str, Any]],
        silent: bool = False,
        text: bool = True,
    ) -> bool:
        """Load a file with ``load`` (``json.load``, ``tomllib.load`` with ``text=False``)."""
        path = os.path.join(self.root_path, filename)
        try:
            with open(path, "r" if text else "rb") as file:
                data = load(file)
        except OSError as error:
            if silent and error.errno in (errno.ENOENT, errno.EISDIR):
                return False
            error.strerror = f"Unable to load configuration file ({error.strerror})"
            raise
        return self.from_mapping(data)

    def from_mapping(self, mapping: Mapping[str, Any] | None = None, **kwargs: Any) -> bool:
        """Load the UPPERCASE keys of a mapping and of the keyword arguments."""
        merged: dict[str, Any] = {}
        if mapping is not None:
            merged.update(mapping)
        merged.update(kwargs)
        for key, value in merged.items():
            if key.isupper():
                self[key] = value
        return True

    def get_namespace(
        self, namespace: str, lowercase: bool = True, trim_namespace: bool = True
    ) -> dict[str, Any]:
        """The keys starting with ``namespace`` (``"IMAGE_STORE_"``), trimmed and lower-cased."""
        found = {}
        for key, value in self.items():
            if not key.startswith(namespace):
                continue
            name = key[len(namespace):] if trim_namespace else key
            found[name.lower() if lowercase else name] = value
        return found

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {dict.__repr__(self)}>"
