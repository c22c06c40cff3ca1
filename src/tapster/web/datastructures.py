"""The containers requests and responses are made of, with Werkzeug's API.

- ``MultiDict``: a ``dict`` whose keys may carry several values (query
  strings, forms, cookies). ``d[key]`` is the first value; ``getlist`` gives
  all. Values are kept as lists inside the ``dict``, as Werkzeug does, so
  ``isinstance(d, dict)`` holds and ``dict(d)`` gives the first values.
- ``ImmutableMultiDict`` and ``CombinedMultiDict``: the read-only forms
  ``request.args``/``form``/``values`` use.
- ``Headers``: an ordered, case-insensitive list of header fields that
  refuses CR, LF and NUL (header injection); ``EnvironHeaders`` is a
  read-only view of a WSGI environ's ``HTTP_*`` keys.
- ``CallbackDict``, ``ImmutableList`` and ``Authorization``: small helpers
  of the request and response classes.
- ``FileStorage``: one uploaded file of ``request.files``, its stream and
  the headers of its part; ``save(dst)`` copies it out in bounded memory.

A missing key raises ``BadRequestKeyError``: a ``KeyError`` that, left
uncaught in a view, answers 400 instead of 500.
"""

from __future__ import annotations

import base64
import copy as _copy
import os
import shutil
from collections.abc import Callable, Iterable, Iterator, Mapping
from io import BytesIO
from itertools import repeat
from typing import IO, TYPE_CHECKING, Any, NoReturn, TypeVar

from .exceptions import BadRequestKeyError
from .utils import lazy_module_attributes

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = [
    "Authorization",
    "CallbackDict",
    "CombinedMultiDict",
    "EnvironHeaders",
    "FileStorage",
    "Headers",
    "ImmutableList",
    "ImmutableMultiDict",
    "MultiDict",
    "iter_multi_items",
]

T = TypeVar("T")

_missing: Any = object()


def iter_multi_items(mapping: Any) -> Iterator[tuple[Any, Any]]:
    """Every ``(key, value)`` pair of a MultiDict, a mapping or an iterable of pairs.

    A mapping's list, tuple or set values count as one pair per element, so
    ``{"a": [1, 2]}`` yields ``("a", 1)`` and ``("a", 2)``.
    """
    if isinstance(mapping, MultiDict):
        yield from mapping.items(multi=True)
    elif isinstance(mapping, (dict, Mapping)):  # dict first: the ABC check is slow
        for key, value in mapping.items():
            if isinstance(value, (list, tuple, set)):
                for item in value:
                    yield key, item
            else:
                yield key, value
    else:
        yield from mapping


def _immutable(self: object) -> NoReturn:
    raise TypeError(f"{type(self).__name__!r} objects are immutable")


class ImmutableList(list):  # type: ignore[type-arg]
    """A ``list`` that refuses changes and is therefore hashable (``request.access_route``)."""

    _hash_cache: int | None = None

    def __hash__(self) -> int:  # type: ignore[override]
        if self._hash_cache is None:
            self._hash_cache = hash(tuple(self))
        return self._hash_cache

    def __reduce_ex__(self, protocol: Any) -> Any:
        return type(self), (list(self),)

    def _refuse(self, *args: Any, **kwargs: Any) -> NoReturn:
        _immutable(self)

    __setitem__ = __delitem__ = __iadd__ = __imul__ = _refuse  # type: ignore[assignment]
    append = remove = extend = insert = pop = reverse = sort = clear = _refuse  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({list.__repr__(self)})"


class MultiDict(dict):  # type: ignore[type-arg]
    """A dict with several values per key; item access and ``get`` give the first.

    Build one from a mapping (a list, tuple or set value becomes several
    values; an empty one is dropped), an iterable of ``(key, value)`` pairs,
    or another MultiDict. ``update`` adds values rather than replacing them.
    """

    def __init__(self, mapping: Any = None) -> None:
        if mapping is None:
            super().__init__()
        elif isinstance(mapping, MultiDict):
            super().__init__((key, list(values)) for key, values in mapping.lists())
        elif isinstance(mapping, Mapping):
            lists: dict[Any, list[Any]] = {}
            for key, value in mapping.items():
                if isinstance(value, (list, tuple, set)):
                    if value:
                        lists[key] = list(value)
                else:
                    lists[key] = [value]
            super().__init__(lists)
        else:
            lists = {}
            for key, value in mapping:
                if key in lists:
                    lists[key].append(value)
                else:
                    lists[key] = [value]
            super().__init__(lists)

    @classmethod
    def _from_lists(cls, lists: dict[Any, list[Any]]) -> Self:
        """An instance holding ``lists`` (key -> non-empty list of values) as they are.

        The parsers build their lists directly; this skips the per-pair work
        of ``__init__`` unless a subclass changed ``__init__``.
        """
        if cls.__init__ is not MultiDict.__init__:
            return cls((key, value) for key, values in lists.items() for value in values)
        new = cls.__new__(cls)
        dict.update(new, lists)
        return new

    def __reduce_ex__(self, protocol: Any) -> Any:
        # Rebuilt from the pairs: the default dict pickling would keep only
        # the first value of each key (and fail on the immutable classes).
        return type(self), (list(self.items(multi=True)),)

    # Overriding __iter__ (even with dict's own) makes dict(md) and {**md}
    # go through keys() and __getitem__, so they see first values, not lists.
    def __iter__(self) -> Iterator[Any]:
        return dict.__iter__(self)

    def __getitem__(self, key: Any) -> Any:
        values = dict.get(self, key)
        if values:
            return values[0]
        raise BadRequestKeyError(key)

    def __setitem__(self, key: Any, value: Any) -> None:
        dict.__setitem__(self, key, [value])

    def get(self, key: Any, default: Any = None, type: Callable[[Any], T] | None = None) -> Any:
        """The first value for ``key``, converted by ``type`` if given.

        A missing key, or a value ``type`` rejects with ``ValueError`` or
        ``TypeError``, gives ``default``.
        """
        values = dict.get(self, key)
        if not values:
            return default
        if type is None:
            return values[0]
        try:
            return type(values[0])
        except (ValueError, TypeError):
            return default

    def add(self, key: Any, value: Any) -> None:
        """Append ``value`` to the values of ``key``."""
        values = dict.get(self, key)
        if values is None:
            dict.__setitem__(self, key, [value])
        else:
            values.append(value)

    def getlist(self, key: Any, type: Callable[[Any], T] | None = None) -> list[Any]:
        """All values of ``key`` (a new list; empty if missing).

        With ``type``, each value is converted and those it rejects with
        ``ValueError`` or ``TypeError`` are left out.
        """
        values = dict.get(self, key)
        if values is None:
            return []
        if type is None:
            return list(values)
        converted = []
        for value in values:
            try:
                converted.append(type(value))
            except (ValueError, TypeError):
                pass
        return converted

    def setlist(self, key: Any, new_list: Iterable[Any]) -> None:
        """Replace the values of ``key`` with (a copy of) ``new_list``."""
        dict.__setitem__(self, key, list(new_list))

    def setdefault(self, key: Any, default: Any = None) -> Any:
        """The first value of ``key``, after setting it to ``default`` if missing."""
        if key not in self:
            self[key] = default
        return self[key]

    def setlistdefault(self, key: Any, default_list: Iterable[Any] | None = None) -> list[Any]:
        """The live list of values of ``key``, set from ``default_list`` if missing.

        Appending to the returned list adds values to the MultiDict.
        """
        if key not in self:
            dict.__setitem__(self, key, list(default_list or ()))
        return dict.__getitem__(self, key)  # type: ignore[no-any-return]

    def items(self, multi: bool = False) -> Iterator[tuple[Any, Any]]:  # type: ignore[override]
        """``(key, first value)`` pairs, or ``(key, value)`` for every value if ``multi``."""
        for key, values in dict.items(self):
            if multi:
                for value in values:
                    yield key, value
            else:
                yield key, values[0]

    def lists(self) -> Iterator[tuple[Any, list[Any]]]:
        """``(key, list of values)`` pairs; each list is a copy."""
        for key, values in dict.items(self):
            yield key, list(values)

    def values(self) -> Iterator[Any]:  # type: ignore[override]
        """The first value of every key."""
        for values in dict.values(self):
            yield values[0]

    def listvalues(self) -> Iterable[list[Any]]:
        """The value list of every key, in key order."""
        return dict.values(self)

    def copy(self) -> Self:
        """A shallow copy (the value lists are new, the values are shared)."""
        return self.__class__(self)

    def deepcopy(self, memo: Any = None) -> Self:
        """A copy whose values are deep copies."""
        return self.__class__(_copy.deepcopy(self.to_dict(flat=False), memo))

    def __copy__(self) -> Self:
        return self.copy()

    def __deepcopy__(self, memo: Any) -> Self:
        return self.deepcopy(memo)

    def to_dict(self, flat: bool = True) -> dict[Any, Any]:
        """A plain dict: first values, or value lists when ``flat`` is false."""
        if flat:
            return dict(self.items())
        return dict(self.lists())

    def update(self, mapping: Any = (), /) -> None:  # type: ignore[override]
        """Add the values of ``mapping`` (see ``iter_multi_items``) to these, keeping both."""
        for key, value in iter_multi_items(mapping):
            self.add(key, value)

    def __or__(self, other: Any) -> MultiDict:  # type: ignore[override]
        if not isinstance(other, Mapping):
            return NotImplemented
        combined = self.copy()
        combined.update(other)
        return combined

    def __ior__(self, other: Any) -> Self:  # type: ignore[override]
        if not isinstance(other, (Mapping, Iterable)):
            return NotImplemented
        self.update(other)
        return self

    def pop(self, key: Any, default: Any = _missing) -> Any:
        """Remove ``key`` and return its first value (``default``, if given, when missing)."""
        values = dict.pop(self, key, None)
        if values:
            return values[0]
        if default is not _missing:
            return default
        raise BadRequestKeyError(key)

    def popitem(self) -> tuple[Any, Any]:
        """Remove a key and return ``(key, first value)``."""
        try:
            key, values = dict.popitem(self)
        except KeyError as error:
            raise BadRequestKeyError(error.args[0]) from None
        if not values:
            raise BadRequestKeyError(key)
        return key, values[0]

    def poplist(self, key: Any) -> list[Any]:
        """Remove ``key`` and return all its values (an empty list if missing)."""
        return dict.pop(self, key, [])  # type: ignore[no-any-return]

    def popitemlist(self) -> tuple[Any, list[Any]]:
        """Remove a key and return ``(key, list of values)``."""
        try:
            return dict.popitem(self)  # type: ignore[no-any-return]
        except KeyError as error:
            raise BadRequestKeyError(error.args[0]) from None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({list(self.items(multi=True))!r})"


class _ImmutableMultiDictMixin:
    """Refuses every change, and hashes by content (so it may be a dict key)."""

    _hash_cache: int | None = None

    @classmethod
    def fromkeys(cls, keys: Iterable[Any], value: Any = None) -> Any:
        """A new instance with each of ``keys`` mapped to ``value``."""
        return cls(zip(keys, repeat(value)))  # type: ignore[call-arg]

    def __hash__(self) -> int:
        if self._hash_cache is None:
            self._hash_cache = hash(frozenset(self.items(multi=True)))  # type: ignore[attr-defined]
        return self._hash_cache

    def _refuse(self, *args: Any, **kwargs: Any) -> NoReturn:
        _immutable(self)

    __setitem__ = __delitem__ = __ior__ = _refuse
    add = setlist = setdefault = setlistdefault = update = _refuse
    pop = popitem = poplist = popitemlist = clear = _refuse


class ImmutableMultiDict(_ImmutableMultiDictMixin, MultiDict):
    """A MultiDict that cannot change (``request.args``, ``form``, ``cookies``).

    ``copy()`` returns a mutable ``MultiDict``; ``copy.copy`` returns the
    object itself, as for any immutable value.
    """

    def copy(self) -> MultiDict:  # type: ignore[override]
        """A mutable ``MultiDict`` with the same content."""
        return MultiDict(self)

    def __copy__(self) -> Self:
        return self


class CombinedMultiDict(_ImmutableMultiDictMixin, MultiDict):
    """A read-only union of MultiDicts, looked up in order (``request.values``).

    ``d[key]`` is the first value in the first dict that has the key;
    ``getlist`` concatenates the values of every dict.
    """

    def __init__(self, dicts: Iterable[MultiDict] | None = None) -> None:
        super().__init__()
        self.dicts: list[MultiDict] = list(dicts or ())

    def __reduce_ex__(self, protocol: Any) -> Any:
        return type(self), (self.dicts,)

    @classmethod
    def fromkeys(cls, keys: Iterable[Any], value: Any = None) -> NoReturn:
        """Not supported: a combined dict is made from other dicts."""
        raise TypeError(f"cannot create {cls.__name__!r} instances by fromkeys")

    def __getitem__(self, key: Any) -> Any:
        for d in self.dicts:
            if key in d:
                return d[key]
        raise BadRequestKeyError(key)

    def get(self, key: Any, default: Any = None, type: Callable[[Any], T] | None = None) -> Any:
        """The first value found for ``key``; with ``type``, the first that converts."""
        for d in self.dicts:
            if key in d:
                if type is None:
                    return d[key]
                try:
                    return type(d[key])
                except (ValueError, TypeError):
                    continue
        return default

    def getlist(self, key: Any, type: Callable[[Any], T] | None = None) -> list[Any]:
        """The values of ``key`` in every dict, in order."""
        found: list[Any] = []
        for d in self.dicts:
            found.extend(d.getlist(key, type))
        return found

    def _key_order(self) -> dict[Any, None]:
        # A dict keeps first-seen order, where Werkzeug's set has none.
        return dict.fromkeys(key for d in self.dicts for key in d)

    def keys(self) -> Any:  # type: ignore[override]
        """Every key of every dict, once, in first-seen order."""
        return self._key_order().keys()

    def __iter__(self) -> Iterator[Any]:
        return iter(self._key_order())

    def __len__(self) -> int:
        return len(self._key_order())

    def __contains__(self, key: object) -> bool:
        return any(key in d for d in self.dicts)

    def __eq__(self, other: object) -> bool:
        # dict.__eq__ would compare the (always empty) underlying dicts.
        if isinstance(other, MultiDict):
            return self.to_dict(flat=False) == other.to_dict(flat=False)
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    __hash__ = _ImmutableMultiDictMixin.__hash__

    def items(self, multi: bool = False) -> Iterator[tuple[Any, Any]]:  # type: ignore[override]
        """``(key, first value)`` for each key, or every ``(key, value)`` if ``multi``."""
        seen = set()
        for d in self.dicts:
            for key, value in d.items(multi):
                if multi:
                    yield key, value
                elif key not in seen:
                    seen.add(key)
                    yield key, value

    def values(self) -> Iterator[Any]:  # type: ignore[override]
        """The first value of each key."""
        for _key, value in self.items():
            yield value

    def lists(self) -> Iterator[tuple[Any, list[Any]]]:
        """``(key, values of every dict)`` for each key."""
        merged: dict[Any, list[Any]] = {}
        for d in self.dicts:
            for key, values in d.lists():
                merged.setdefault(key, []).extend(values)
        return iter(merged.items())

    def listvalues(self) -> Iterator[list[Any]]:
        """The merged value list of each key."""
        return (values for _key, values in self.lists())

    def copy(self) -> MultiDict:  # type: ignore[override]
        """A mutable ``MultiDict`` of the current content of all the dicts."""
        return MultiDict(self.items(multi=True))

    def __copy__(self) -> Self:
        return self

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.dicts!r})"


class CallbackDict(dict):  # type: ignore[type-arg]
    """A dict that calls ``on_update(self)`` after each change (``mimetype_params``)."""

    def __init__(self, initial: Any = None, on_update: Callable[[Any], Any] | None = None) -> None:
        super().__init__(initial or ())
        self.on_update = on_update

    def _changed(self) -> None:
        if self.on_update is not None:
            self.on_update(self)

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(key, value)
        self._changed()

    def __delitem__(self, key: Any) -> None:
        super().__delitem__(key)
        self._changed()

    def clear(self) -> None:
        """Remove everything."""
        super().clear()
        self._changed()

    def update(self, *args: Any, **kwargs: Any) -> None:
        """Like ``dict.update``, then one notification."""
        super().update(*args, **kwargs)
        self._changed()

    def __ior__(self, other: Any) -> Self:  # type: ignore[override,misc]
        self.update(other)
        return self

    def setdefault(self, key: Any, default: Any = None) -> Any:
        """Like ``dict.setdefault``; notifies only if the key was added."""
        if key in self:
            return self[key]
        self[key] = default
        return default

    def pop(self, key: Any, default: Any = _missing) -> Any:
        """Like ``dict.pop``; notifies only if the key was present."""
        if key not in self:
            if default is _missing:
                raise KeyError(key)
            return default
        value = super().pop(key)
        self._changed()
        return value

    def popitem(self) -> tuple[Any, Any]:
        """Like ``dict.popitem``, then a notification."""
        item = super().popitem()
        self._changed()
        return item

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {dict.__repr__(self)}>"


# CR and LF would end the field (response splitting, RFC 9112 §2.2); NUL is
# refused by RFC 9110 §5.5 and truncates values in some proxies.
def _header_field(key: Any, value: Any) -> tuple[str, str]:
    """The ``(name, value)`` pair to store, with the value as ``str``; refuses injection."""
    if value.__class__ is not str:
        value = str(value)
    # Three substring tests beat a regex search on the short strings headers are.
    if "\n" in value or "\r" in value or "\x00" in value or _unsafe_name(key):
        raise ValueError("Header names and values must not contain CR, LF or NUL characters.")
    return key, value


def _unsafe_name(key: str) -> bool:
    return "\n" in key or "\r" in key or "\x00" in key


def _with_params(value: Any, params: dict[str, Any]) -> str:
    """``value; key=param ...`` with ``_`` in keyword names turned into ``-``."""
    from .http import dump_options_header  # http builds on this module

    return dump_options_header(value, {k.replace("_", "-"): v for k, v in params.items()})


class Headers:
    """An ordered list of header fields with a case-insensitive dict interface.

    ``h["Name"]`` is the first value (a missing name raises
    ``BadRequestKeyError``); ``h[0]`` is the first ``(name, value)`` tuple;
    iterating yields the tuples. ``add`` appends, ``set`` replaces. A value
    with CR, LF or NUL raises ``ValueError``. Build one from a dict (list
    values give several fields), a list of pairs, a MultiDict or Headers.
    """

    __slots__ = ("_list",)

    def __init__(self, defaults: Any = None) -> None:
        self._list: list[tuple[str, str]] = []
        if defaults is not None:
            self.extend(defaults)

    def _find(self, key: str) -> str | None:
        """The first value of ``key``, or ``None`` (values are never ``None``)."""
        lowered = key.lower()
        for name, value in self._list:
            if name.lower() == lowered:
                return value
        return None

    def _get_key(self, key: str) -> str:
        value = self._find(key)
        if value is None:
            raise BadRequestKeyError(key)
        return value

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return self._get_key(key)
        if isinstance(key, int):
            return self._list[key]
        return self.__class__(self._list[key])

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        mine = {(name.lower(), value) for name, value in self._list}
        return mine == {(name.lower(), value) for name, value in other._list}  # type: ignore[attr-defined]

    __hash__ = None  # type: ignore[assignment]

    def get(self, key: str, default: Any = None, type: Callable[[str], T] | None = None) -> Any:
        """The first value of ``key`` converted by ``type``; ``default`` if missing or rejected."""
        value = self._find(key)
        if value is None:
            return default
        if type is None:
            return value
        try:
            return type(value)
        except (ValueError, TypeError):
            return default

    def getlist(self, key: str, type: Callable[[str], T] | None = None) -> list[Any]:
        """Every value of ``key``; with ``type``, the converted values it accepts."""
        lowered = key.lower()
        found = [value for name, value in self if name.lower() == lowered]
        if type is None:
            return found
        converted = []
        for value in found:
            try:
                converted.append(type(value))
            except (ValueError, TypeError):
                pass
        return converted

    def get_all(self, name: str) -> list[str]:
        """Every value of ``name`` (``wsgiref.headers.Headers`` spelling)."""
        return self.getlist(name)

    def items(self, lower: bool = False) -> Iterator[tuple[str, str]]:
        """The ``(name, value)`` pairs, names lower-cased if ``lower``."""
        for name, value in self:
            yield (name.lower() if lower else name), value

    def keys(self, lower: bool = False) -> Iterator[str]:
        """The field names in order (repeated names repeat)."""
        for name, _value in self.items(lower):
            yield name

    def values(self) -> Iterator[str]:
        """The field values in order."""
        for _name, value in self:
            yield value

    def extend(self, arg: Any = None, /, **kwargs: Any) -> None:
        """Add every field of ``arg`` and of the keyword arguments, keeping existing ones."""
        if arg is not None:
            for key, value in iter_multi_items(arg):
                self.add(key, value)
        if kwargs:
            for key, value in iter_multi_items(kwargs):
                self.add(key, value)

    def __delitem__(self, key: Any) -> None:
        if isinstance(key, str):
            self.remove(key)
        else:
            del self._list[key]

    def remove(self, key: str) -> None:
        """Remove every field named ``key`` (nothing happens if there is none)."""
        lowered = key.lower()
        self._list[:] = [field for field in self._list if field[0].lower() != lowered]

    def pop(self, key: Any = None, default: Any = _missing) -> Any:
        """Remove and return: the last field (no key), the field at an index, or a name's value.

        For a name, every field of that name goes and the first value is
        returned; a missing name gives ``default`` or ``BadRequestKeyError``.
        """
        if key is None:
            return self._list.pop()
        if isinstance(key, int):
            return self._list.pop(key)
        value = self._find(key)
        if value is None:
            if default is not _missing:
                return default
            raise BadRequestKeyError(key)
        self.remove(key)
        return value

    def popitem(self) -> tuple[str, str]:
        """Remove and return the last ``(name, value)`` field."""
        return self._list.pop()

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._find(key) is not None

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._list)

    def __len__(self) -> int:
        return len(self._list)

    def add(self, key: str, value: Any, /, **kwargs: Any) -> None:
        """Append a field; keyword arguments become parameters.

        ``h.add("Content-Disposition", "attachment", filename="a b.txt")``
        adds ``attachment; filename="a b.txt"``.
        """
        if kwargs:
            value = _with_params(value, kwargs)
        self._list.append(_header_field(key, value))

    def add_header(self, key: str, value: Any, /, **kwargs: Any) -> None:
        """``add`` under the ``wsgiref.headers.Headers`` name."""
        self.add(key, value, **kwargs)

    def clear(self) -> None:
        """Remove every field."""
        self._list.clear()

    def set(self, key: str, value: Any, /, **kwargs: Any) -> None:
        """Make ``value`` the only field named ``key``.

        It takes the place of the first existing field of that name, or goes
        last if there is none. Keyword arguments work as in ``add``.
        """
        if kwargs:
            value = _with_params(value, kwargs)
        field = _header_field(key, value)
        fields = self._list
        lowered = key.lower()
        for index, (name, _value) in enumerate(fields):
            if name.lower() == lowered:
                fields[index] = field
                # Drop any later fields of the same name.
                rest = fields[index + 1 :]
                if rest:
                    fields[index + 1 :] = [f for f in rest if f[0].lower() != lowered]
                return
        fields.append(field)

    def setlist(self, key: str, values: Iterable[Any]) -> None:
        """Replace the fields named ``key`` with one per value (none: remove them)."""
        if values:
            iterator = iter(values)
            self.set(key, next(iterator))
            for value in iterator:
                self.add(key, value)
        else:
            self.remove(key)

    def setdefault(self, key: str, default: Any) -> str:
        """The first value of ``key``, after setting it to ``default`` if missing."""
        value = self._find(key)
        if value is None:
            self.set(key, default)
            value = self._get_key(key)
        return value

    def setlistdefault(self, key: str, default: Iterable[Any]) -> list[str]:
        """The values of ``key``, after setting them from ``default`` if missing.

        The returned list is a copy: changing it does not change the headers.
        """
        if key not in self:
            self.setlist(key, default)
        return self.getlist(key)

    def __setitem__(self, key: Any, value: Any) -> None:
        if isinstance(key, str):
            self.set(key, value)
        elif isinstance(key, int):
            self._list[key] = _header_field(value[0], value[1])
        else:
            self._list[key] = [_header_field(k, v) for k, v in value]

    def update(self, arg: Any = None, /, **kwargs: Any) -> None:
        """Replace the fields named in ``arg`` and the keyword arguments with their values.

        Unlike ``extend``, a name present in both keeps only the new value(s);
        a list, tuple or set value gives one field per item.
        """
        if arg is not None:
            if isinstance(arg, (Headers, MultiDict)):
                for key in dict.fromkeys(arg.keys()):
                    self.setlist(key, arg.getlist(key))
            elif isinstance(arg, Mapping):
                self._update_from(arg.items())
            else:
                for key, value in arg:
                    self.set(key, value)
        self._update_from(kwargs.items())

    def _update_from(self, pairs: Iterable[tuple[str, Any]]) -> None:
        for key, value in pairs:
            if isinstance(value, (list, tuple, set)):
                self.setlist(key, value)
            else:
                self.set(key, value)

    def __or__(self, other: Any) -> Self:
        if not isinstance(other, Mapping):
            return NotImplemented
        combined = self.copy()
        combined.update(other)
        return combined

    def __ior__(self, other: Any) -> Self:
        if not isinstance(other, (Mapping, Iterable)):
            return NotImplemented
        self.update(other)
        return self

    def to_wsgi_list(self) -> list[tuple[str, str]]:
        """The fields as the list of tuples ``start_response`` takes."""
        return list(self)

    def copy(self) -> Self:
        """An independent copy."""
        new = self.__class__()
        new._list = list(self)
        return new

    def __copy__(self) -> Self:
        return self.copy()

    def __str__(self) -> str:
        """The fields as an HTTP header block, ending with the empty line."""
        return "".join(f"{name}: {value}\r\n" for name, value in self.to_wsgi_list()) + "\r\n"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({list(self)!r})"


class EnvironHeaders(Headers):
    """A read-only ``Headers`` view of a WSGI environ (``request.headers``).

    Names come from ``HTTP_*`` keys plus ``CONTENT_TYPE`` and
    ``CONTENT_LENGTH``, title-cased as Werkzeug gives them
    (``HTTP_X_FORWARDED_FOR`` is ``X-Forwarded-For``). Nothing is copied:
    each lookup reads the environ.
    """

    __slots__ = ("environ",)

    def __init__(self, environ: dict[str, Any]) -> None:
        self._list = []
        self.environ = environ

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, EnvironHeaders):
            return NotImplemented
        return self.environ is other.environ

    __hash__ = None  # type: ignore[assignment]

    def _find(self, key: str) -> str | None:
        if not isinstance(key, str):
            return None
        name = key.upper().replace("-", "_")
        if name not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            name = "HTTP_" + name
        return self.environ.get(name)

    def __getitem__(self, key: Any) -> str:
        return self._get_key(key)

    def getlist(self, key: str, type: Callable[[str], T] | None = None) -> list[Any]:
        """The value of ``key`` as a one-item list, or ``[]``: a WSGI environ holds one."""
        # Werkzeug answers through iteration, which skips an empty CONTENT_TYPE
        # or CONTENT_LENGTH and cannot match a name spelled with "_".
        value = self._find(key)
        if value is None or "_" in key:
            return []
        if not value and key.upper() in ("CONTENT-TYPE", "CONTENT-LENGTH"):
            return []
        if type is None:
            return [value]
        try:
            return [type(value)]
        except (ValueError, TypeError):
            return []

    def __len__(self) -> int:
        return sum(1 for _field in self)

    def __iter__(self) -> Iterator[tuple[str, str]]:
        for key, value in self.environ.items():
            if key.startswith("HTTP_"):
                if key not in ("HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH"):
                    yield key[5:].replace("_", "-").title(), value
            elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
                yield key.replace("_", "-").title(), value

    def copy(self) -> NoReturn:
        """Not supported: make a ``Headers(environ_headers)`` instead."""
        raise TypeError(f"cannot create {type(self).__name__!r} copies")

    def __or__(self, other: Any) -> NoReturn:
        raise TypeError(f"cannot create {type(self).__name__!r} copies")

    def _refuse(self, *args: Any, **kwargs: Any) -> NoReturn:
        _immutable(self)

    __setitem__ = __delitem__ = __ior__ = _refuse  # type: ignore[assignment]
    add = add_header = set = setlist = setdefault = setlistdefault = _refuse  # type: ignore[assignment]
    remove = extend = update = pop = popitem = clear = _refuse  # type: ignore[assignment]


class Authorization:
    """The parsed ``Authorization`` request field (``request.authorization``).

    ``type`` is the lower-cased scheme. ``Basic`` credentials are decoded into
    the ``username`` and ``password`` parameters; token schemes such as
    ``Bearer`` set ``token``; others (``Digest``) fill ``parameters``.
    ``auth.name``, ``auth["name"]`` and ``auth.get("name")`` read a parameter.
    """

    def __init__(
        self,
        auth_type: str,
        data: dict[str, str | None] | None = None,
        token: str | None = None,
    ) -> None:
        self.type = auth_type
        self.parameters: dict[str, str | None] = {} if data is None else data
        self.token = token

    def __getattr__(self, name: str) -> str | None:
        # Only called for names not found normally; dunder lookups (copy,
        # pickle) must fail rather than read parameters.
        if name.startswith("__") or "parameters" not in self.__dict__:
            raise AttributeError(name)
        return self.parameters.get(name)

    def __getitem__(self, name: str) -> str | None:
        return self.parameters.get(name)

    def get(self, key: str, default: str | None = None) -> str | None:
        """A parameter, or ``default``."""
        return self.parameters.get(key, default)

    def __contains__(self, key: str) -> bool:
        return key in self.parameters

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Authorization):
            return NotImplemented
        return (self.type, self.token, self.parameters) == (
            other.type,
            other.token,
            other.parameters,
        )

    __hash__ = None  # type: ignore[assignment]

    @classmethod
    def from_header(cls, value: str | None) -> Authorization | None:
        """Parse a field value; ``None`` if it is empty or malformed."""
        from .http import parse_authorization

        return parse_authorization(value, cls)

    def to_header(self) -> str:
        """The field value these credentials are sent as."""
        if self.type == "basic":
            credentials = f"{self.username}:{self.password}".encode()
            return "Basic " + base64.b64encode(credentials).decode("ascii")
        if self.token is not None:
            return f"{self.type.title()} {self.token}"
        from .http import dump_header

        return f"{self.type.title()} {dump_header(self.parameters)}"

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_header()}>"


class FileStorage:
    """An uploaded file (a value of ``request.files``): a stream and its part's headers.

    ``filename`` is what the client called the file, unchecked: pass it
    through ``secure_filename`` before using it in a path. ``name`` is the
    form field. Anything not defined here (``read``, ``readline``, ``seek``,
    ``tell``...) is the stream's, and iterating gives the stream's lines.
    The object is false when the client sent no file name, which is how a
    browser sends a file input left empty.
    """

    def __init__(
        self,
        stream: IO[bytes] | None = None,
        filename: str | os.PathLike[str] | bytes | None = None,
        name: str | None = None,
        content_type: str | None = None,
        content_length: int | None = None,
        headers: Headers | None = None,
    ) -> None:
        self.name = name
        self.stream: IO[bytes] = BytesIO() if stream is None else stream
        if filename is None:
            # An open file knows its path; streams such as sys.stdin are
            # named "<stdin>", which is no file name.
            filename = getattr(stream, "name", None)
            if isinstance(filename, int) or (
                isinstance(filename, str) and filename.startswith("<") and filename.endswith(">")
            ):
                filename = None
        self.filename: str | None = None if filename is None else os.fsdecode(filename)
        self.headers: Headers = Headers() if headers is None else headers
        if content_type is not None:
            self.headers["Content-Type"] = content_type
        if content_length is not None:
            self.headers["Content-Length"] = str(content_length)

    @property
    def content_type(self) -> str | None:
        """The part's ``Content-Type``, as the client sent it (``None`` if it sent none)."""
        return self.headers.get("Content-Type")  # type: ignore[no-any-return]

    @property
    def content_length(self) -> int:
        """The part's ``Content-Length``; 0 when absent or not a number (browsers send none)."""
        value = self.headers.get("Content-Length")
        if value is not None:
            value = value.strip()
            if value.isdigit() and value.isascii():
                return int(value)
        return 0

    def _parsed_content_type(self) -> tuple[str, dict[str, str]]:
        from .http import parse_options_header  # http builds on this module

        return parse_options_header(self.content_type)

    @property
    def mimetype(self) -> str:
        """``content_type`` without its parameters, lower-cased: ``text/plain``."""
        return self._parsed_content_type()[0].lower()

    @property
    def mimetype_params(self) -> dict[str, str]:
        """The parameters of ``content_type``: ``{"charset": "utf-8"}``."""
        return self._parsed_content_type()[1]

    def save(self, dst: str | os.PathLike[str] | IO[bytes], buffer_size: int = 16384) -> None:
        """Copy the file, from the stream's position on, to a path or an open binary file.

        At most ``buffer_size`` bytes are in memory at once. A path is opened,
        written and closed here; a file object is left open for the caller.
        """
        if isinstance(dst, (str, os.PathLike)):
            with open(dst, "wb") as target:
                shutil.copyfileobj(self.stream, target, buffer_size)
        else:
            shutil.copyfileobj(self.stream, dst, buffer_size)

    def close(self) -> None:
        """Close the stream (a temporary file is deleted); errors are ignored."""
        try:
            self.stream.close()
        except Exception:
            pass

    def __bool__(self) -> bool:
        return bool(self.filename)

    def __getattr__(self, name: str) -> Any:
        # Only reached for names this class lacks; dunder lookups (copy,
        # pickle) must not go to the stream, nor recurse before __init__ ran.
        if name.startswith("__") or "stream" not in self.__dict__:
            raise AttributeError(name)
        stream = self.__dict__["stream"]
        try:
            return getattr(stream, name)
        except AttributeError:
            # Python 3.10's SpooledTemporaryFile lacks some IOBase methods
            # (readable, seekable...): its backing file has them.
            backing = getattr(stream, "_file", None)
            if backing is None:
                raise
            return getattr(backing, name)

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.stream)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self.filename!r} ({self.content_type!r})>"


# Werkzeug exports its header value types from werkzeug.datastructures; they
# live in their own modules here, which import this one, so they are found
# on first use rather than imported at load time.
_HEADER_VALUE_MODULES = dict.fromkeys(
    ("Accept", "MIMEAccept", "LanguageAccept", "CharsetAccept"), "accept"
) | {
    "ETags": "etags",
    "IfRange": "ranges",
    "Range": "ranges",
    "ContentRange": "ranges",
    "RequestCacheControl": "cache_control",
    "ResponseCacheControl": "cache_control",
    "HeaderSet": "header_values",
    "ContentSecurityPolicy": "header_values",
    "WWWAuthenticate": "header_values",
}


__getattr__ = lazy_module_attributes(__name__, __package__, _HEADER_VALUE_MODULES)
