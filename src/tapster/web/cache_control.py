"""The ``Cache-Control`` field (RFC 9111 §5.2) and the ``Age`` field (§5.1).

A cache-control object is a dict of directives (``{"max-age": "60",
"no-cache": None}``) with a typed attribute per directive, dashes written
as underscores: ``max_age`` is an int, ``no_store`` a bool. The request's
(``RequestCacheControl``) is read-only; the response's
(``ResponseCacheControl``) calls ``on_update`` after each change, which
``Response.cache_control`` uses to rewrite the field.

Three points follow RFC 9111 where Werkzeug does not
(``tests/web/test_header_deviations.py``): directive names are compared
without regard to case (§5.2: ``No-Store`` is ``no-store``); a number is
``delta-seconds`` (§1.2.2: ASCII digits only; ``-1`` or ``+5`` read as
``None``, where Werkzeug hands them to ``int()``), in ``Age`` too; and the
field names of a response's ``no-cache`` and ``private`` are sent quoted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import timedelta
from typing import Any, NoReturn

from .datastructures import CallbackDict
from .http import dump_header, parse_dict_header, quote_header_value

__all__ = [
    "RequestCacheControl",
    "ResponseCacheControl",
    "cache_control_property",
    "dump_age",
    "parse_age",
    "parse_cache_control_header",
]


def _delta_seconds(value: str) -> int:
    """RFC 9111 §1.2.2 ``delta-seconds = 1*DIGIT``; ``ValueError`` for anything else."""
    if not (value.isascii() and value.isdigit()):
        raise ValueError(value)
    return int(value)


def cache_control_property(
    key: str, empty: Any, type: type | None, *, doc: str | None = None
) -> Any:
    """A property for the directive ``key``, for a subclass that adds an extension.

    ``type`` ``bool``: whether the directive is present. Otherwise the value
    converted by ``type`` (``int``: delta-seconds; ``None`` if it does not
    convert), ``empty`` when the directive has no value, ``None`` when absent.
    Setting ``True`` writes the bare directive, ``None`` or ``False`` removes it.
    """
    if doc is None:
        doc = f"The ``{key}`` directive" + (" (present or not)." if type is bool else ".")
    return property(
        lambda self: self._get_cache_value(key, empty, type),
        lambda self, value: self._set_cache_value(key, value, type),
        lambda self: self._del_cache_value(key),
        doc=doc,
    )


class _CacheControl(CallbackDict):
    """The directives both requests and responses use; see the module docstring."""

    no_store: bool = cache_control_property("no-store", None, bool)
    max_age: int | None = cache_control_property("max-age", None, int)
    no_transform: bool = cache_control_property("no-transform", None, bool)
    stale_if_error: int | None = cache_control_property("stale-if-error", None, int)

    def __init__(
        self,
        values: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = (),
        on_update: Callable[[Any], Any] | None = None,
    ) -> None:
        # Straight into the dict: on_update must not run while building.
        dict.__init__(self, values or ())
        self.on_update = on_update
        #: Whether the field was in the message.
        self.provided = values is not None

    def _get_cache_value(self, key: str, empty: Any, type: type | None) -> Any:
        if type is bool:
            return key in self
        if key not in self:
            return None
        value = self[key]
        if value is None:
            return empty
        if type is int:
            try:
                return _delta_seconds(value.strip(" \t"))
            except ValueError:
                return None
        if type is not None:
            try:
                return type(value)
            except ValueError:
                return None
        return value

    def _set_cache_value(self, key: str, value: Any, type: type | None) -> None:
        if type is bool:
            if value:
                self[key] = None
            else:
                self.pop(key, None)
        elif value is None or value is False:
            self.pop(key, None)
        elif value is True:
            self[key] = None
        else:
            self[key] = str(type(value) if type is not None else value)

    def _del_cache_value(self, key: str) -> None:
        self.pop(key, None)

    def to_header(self) -> str:
        """The field value: ``max-age=60, no-cache``."""
        return dump_header(self)

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        directives = " ".join(f"{key}={value!r}" for key, value in sorted(self.items()))
        return f"<{type(self).__name__} {directives}>"

    cache_property = staticmethod(cache_control_property)


class RequestCacheControl(_CacheControl):
    """A request's ``Cache-Control`` (RFC 9111 §5.2.1), read-only."""

    no_cache: bool = cache_control_property("no-cache", None, bool)
    max_stale: int | bool | None = cache_control_property("max-stale", True, int)
    min_fresh: int | None = cache_control_property("min-fresh", None, int)
    only_if_cached: bool = cache_control_property("only-if-cached", None, bool)

    def _refuse(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError(f"{type(self).__name__!r} objects are immutable")

    __setitem__ = __delitem__ = __ior__ = _refuse  # type: ignore[assignment]
    clear = update = setdefault = pop = popitem = _refuse  # type: ignore[assignment]

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(frozenset(self.items()))


class ResponseCacheControl(_CacheControl):
    """A response's ``Cache-Control`` (RFC 9111 §5.2.2); changes call ``on_update``.

    ``no_cache`` and ``private`` are ``True`` when bare, or their field-name
    list (``private="Set-Cookie"``).
    """

    no_cache: str | bool | None = cache_control_property("no-cache", True, None)
    public: bool = cache_control_property("public", None, bool)
    private: str | bool | None = cache_control_property("private", True, None)
    must_revalidate: bool = cache_control_property("must-revalidate", None, bool)
    proxy_revalidate: bool = cache_control_property("proxy-revalidate", None, bool)
    s_maxage: int | None = cache_control_property("s-maxage", None, int)
    immutable: bool = cache_control_property("immutable", None, bool)
    must_understand: bool = cache_control_property("must-understand", None, bool)
    stale_while_revalidate: int | None = cache_control_property(
        "stale-while-revalidate", None, int
    )

    def to_header(self) -> str:
        """The field value; ``no-cache`` and ``private`` field names always quoted.

        RFC 9111 §5.2.2.4 and §5.2.2.7: those two take a quoted-string, and a
        sender should not use the token form even for one name (Werkzeug does).
        """
        items = []
        for key, value in self.items():
            if value is None:
                items.append(key)
            elif key in ("no-cache", "private"):
                items.append(f"{key}={quote_header_value(value, allow_token=False)}")
            else:
                items.append(dump_header({key: value}))
        return ", ".join(items)


def parse_cache_control_header(
    value: str | None,
    on_update: Callable[[Any], Any] | None = None,
    cls: type[_CacheControl] | None = None,
) -> Any:
    """A ``Cache-Control`` value as ``cls`` (default ``RequestCacheControl``).

    Directive names are lower-cased; quoted arguments unquoted. An absent
    field gives an empty object whose ``provided`` is false.
    """
    kind = RequestCacheControl if cls is None else cls
    if not value:
        return kind((), on_update)
    directives = {key.lower(): argument for key, argument in parse_dict_header(value).items()}
    return kind(directives, on_update)


def parse_age(value: str | None = None) -> timedelta | None:
    """An ``Age`` value (RFC 9111 §5.1, delta-seconds) as a ``timedelta``; ``None`` if invalid."""
    if not value:
        return None
    try:
        return timedelta(seconds=_delta_seconds(value.strip(" \t")))
    except (ValueError, OverflowError):
        return None


def dump_age(age: timedelta | int | None = None) -> str | None:
    """Seconds as an ``Age`` value; ``None`` stays ``None``, a negative age is a ValueError."""
    if age is None:
        return None
    seconds = int(age.total_seconds()) if isinstance(age, timedelta) else int(age)
    if seconds < 0:
        raise ValueError("age cannot be negative")
    return str(seconds)
