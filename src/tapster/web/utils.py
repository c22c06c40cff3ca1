"""Descriptors the request and response classes are built from.

``cached_property`` computes a value on first access and stores it in the
instance ``__dict__``, where later lookups find it without calling anything:
that is what makes ``Request`` lazy at no cost once a value is known.
``header_property`` exposes one header field as a typed attribute.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar, overload

__all__ = ["cached_property", "header_property"]

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
