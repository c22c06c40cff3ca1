"""Descriptors the request and response classes are built from.

``cached_property`` computes a value on first access and stores it in the
instance ``__dict__``, where later lookups find it without calling anything:
that is what makes ``Request`` lazy at no cost once a value is known.
``header_property`` exposes one header field as a typed attribute.
``secure_filename`` makes an uploaded file's name safe to use in a path.
"""

from __future__ import annotations

import importlib
import os
import re
import unicodedata
from collections.abc import Callable
from typing import Any, Generic, TypeVar, overload

__all__ = ["cached_property", "header_property", "lazy_module_attributes", "secure_filename"]

T = TypeVar("T")


class cached_property(Generic[T]):
    """A property computed once per instance, then read from the instance ``__dict__``.

    Unlike ``functools.cached_property`` on Python 3.11, no lock is taken: a
    request or response belongs to one thread, and the lock costs more than
    the computations it would guard. Assigning or deleting the attribute
    replaces or forgets the cached value, as with ``functools``.
    """

    def __init__(self, func: Callable[[Any], T]) -> None:
        self.func = func
        self.name = func.__name__
        self.__doc__ = func.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> cached_property[T]: ...

    @overload
    def __get__(self, instance: object, owner: type | None = None) -> T: ...

    def __get__(self, instance: object | None, owner: type | None = None) -> Any:
        if instance is None:
            return self
        value = self.func(instance)
        # A non-data descriptor: once the value is in __dict__, Python finds it
        # there first and never calls __get__ again.
        instance.__dict__[self.name] = value
        return value


class header_property(Generic[T]):
    """One header field as an attribute: read with ``load``, written with ``dump``.

    A missing field, or one ``load`` rejects with ``ValueError``/``TypeError``,
    reads as ``default``. Assigning ``None`` (or ``del``) removes the field.
    """

    def __init__(
        self,
        name: str,
        default: T | None = None,
        load: Callable[[str], T] | None = None,
        dump: Callable[[T], str] | None = None,
        doc: str | None = None,
        read_only: bool = False,
    ) -> None:
        self.name = name
        self.default = default
        self.load = load
        self.dump = dump
        self.read_only = read_only
        self.__doc__ = doc or f"The ``{name}`` header field."

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> header_property[T]: ...

    @overload
    def __get__(self, instance: object, owner: type | None = None) -> T | None: ...

    def __get__(self, instance: object | None, owner: type | None = None) -> Any:
        if instance is None:
            return self
        value = instance.headers.get(self.name)  # type: ignore[attr-defined]
        if value is None:
            return self.default
        if self.load is None:
            return value
        try:
            return self.load(value)
        except (ValueError, TypeError):
            return self.default

    def __set__(self, instance: object, value: T | None) -> None:
        if self.read_only:
            raise AttributeError(f"{self.name} is read-only")
        headers = instance.headers  # type: ignore[attr-defined]
        if value is None:
            headers.remove(self.name)
        else:
            headers[self.name] = value if self.dump is None else self.dump(value)

    def __delete__(self, instance: object) -> None:
        if self.read_only:
            raise AttributeError(f"{self.name} is read-only")
        instance.headers.remove(self.name)  # type: ignore[attr-defined]


# Whatever is not an ASCII letter, digit, "_", "." or "-" goes: no quotes,
# no shell or glob characters, no ":" (drive letters, NTFS streams).
_UNSAFE_FILENAME_CHARACTER = re.compile(r"[^A-Za-z0-9_.-]")
_PATH_SEPARATORS = tuple(sep for sep in (os.sep, os.altsep) if sep)
# Names Windows opens as devices whatever the extension ("con.txt" is the
# console). Microsoft's "Naming Files" page lists COM0 and LPT0 too.
_WINDOWS_DEVICE_NAMES = frozenset(
    ["AUX", "CON", "NUL", "PRN", *(f"COM{n}" for n in range(10)), *(f"LPT{n}" for n in range(10))]
)
_WINDOWS = os.name == "nt"


def secure_filename(filename: str) -> str:
    """A version of ``filename`` that is safe to join to a folder, as Werkzeug's.

    Letters are folded to ASCII (``"é"`` -> ``"e"``, NFKD), path separators
    and whitespace runs become ``_``, other characters are dropped, and
    leading or trailing ``.`` and ``_`` are removed, so ``"../../etc/passwd"``
    gives ``"etc_passwd"``. On Windows a device name (``CON``, ``NUL``,
    ``COM1``...) is prefixed with ``_``. The result may be empty: choose a
    name of your own then.
    """
    text = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    for separator in _PATH_SEPARATORS:
        text = text.replace(separator, " ")
    # str.split() without arguments splits on runs of any whitespace.
    text = _UNSAFE_FILENAME_CHARACTER.sub("", "_".join(text.split())).strip("._")
    if _WINDOWS and text.partition(".")[0].upper() in _WINDOWS_DEVICE_NAMES:
        text = "_" + text
    return text


def lazy_module_attributes(
    module_name: str, package: str, homes: dict[str, str]
) -> Callable[[str], Any]:
    """A module ``__getattr__`` finding each name of ``homes`` in its sibling module, on use.

    For names a module offers at Werkzeug's address but which live in a
    module that imports it (so importing them up front would be a cycle).
    """

    def __getattr__(name: str) -> Any:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {module_name!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f".{home}", package), name)

    return __getattr__
