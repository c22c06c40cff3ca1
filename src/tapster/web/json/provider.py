"""JSON for the app: ``app.json`` is a provider, replaceable with ``app.json_provider_class``.

The default provider uses the standard library and serialises what Flask's
does beyond plain JSON: dates and datetimes as HTTP dates (RFC 9110 §5.6.7),
``Decimal`` and ``UUID`` as strings, dataclasses as objects, and anything
with ``__html__`` (``markupsafe.Markup``) as its markup.
"""

from __future__ import annotations

import dataclasses
import decimal
import json
import uuid
from collections.abc import Callable
from datetime import date
from json.encoder import (  # type: ignore[attr-defined]
    c_make_encoder,
    encode_basestring,
    encode_basestring_ascii,
)
from typing import IO, TYPE_CHECKING, Any

from ..http import http_date

if TYPE_CHECKING:
    from ..app import App
    from ..response import Response

__all__ = ["DefaultJSONProvider", "JSONProvider"]


class JSONProvider:
    """The JSON operations an app uses; subclass it to use another JSON library.

    Subclasses implement ``dumps`` and ``loads``; ``dump``, ``load`` and
    ``response`` are built on them.
    """

    def __init__(self, app: App) -> None:
        self._app = app

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        """Serialise ``obj`` to a JSON string."""
        raise NotImplementedError

    def dump(self, obj: Any, fp: IO[str], **kwargs: Any) -> None:
        """Serialise ``obj`` into a text file."""
        fp.write(self.dumps(obj, **kwargs))

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """Parse a JSON document."""
        raise NotImplementedError

    def load(self, fp: IO[Any], **kwargs: Any) -> Any:
        """Parse the JSON document in a file."""
        return self.loads(fp.read(), **kwargs)

    def _prepare_response_obj(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if args and kwargs:
            raise TypeError("app.json.response() takes either args or kwargs, not both")
        if not args and not kwargs:
            return None
        if len(args) == 1:
            return args[0]
        return args or kwargs

    def response(self, *args: Any, **kwargs: Any) -> Response:
        """A ``application/json`` response of one value, of several (a list), or of keywords."""
        obj = self._prepare_response_obj(args, kwargs)
        return self._app.response_class(self.dumps(obj), mimetype="application/json")


def _default(obj: Any) -> Any:
    """What the standard ``json`` module cannot serialise, as Flask serialises it."""
    if isinstance(obj, date):
        return http_date(obj)
    if isinstance(obj, (decimal.Decimal, uuid.UUID)):
        return str(obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return dataclasses.asdict(obj)
    if hasattr(obj, "__html__"):
        return str(obj.__html__())
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


def _make_encode(
    compact: bool, default: Callable[[Any], Any], ensure_ascii: bool, sort_keys: bool
) -> Callable[[Any], str]:
    """``json.dumps`` with these settings, with as little as possible redone per call.

    ``json.dumps`` and ``JSONEncoder.encode`` spend more time deciding how to
    encode (about 1.5 µs a call here) than a small object takes to encode.
    For compact output the standard library's C encoder is called directly,
    with the arguments ``JSONEncoder.iterencode`` gives it (unchanged from
    Python 3.6 to 3.13) and a fresh circular-reference record per call, so
    threads share nothing. Without the C encoder, or indented, a kept
    ``JSONEncoder`` does the work.
    """
    if compact and c_make_encoder is not None:
        quote = encode_basestring_ascii if ensure_ascii else encode_basestring

        def encode(obj: Any) -> str:
            chunks = c_make_encoder({}, default, quote, None, ":", ",", sort_keys, False, True)
            return "".join(chunks(obj, 0))

        return encode
    layout: dict[str, Any] = {"separators": (",", ":")} if compact else {"indent": 2}
    return json.JSONEncoder(
        default=default, ensure_ascii=ensure_ascii, sort_keys=sort_keys, **layout
    ).encode


# First bytes a JSON text in UTF-8 starts with; a UTF-16 or -32 text has a NUL among
# its first two bytes, and a BOM starts with a byte above 0x7F.
_ASCII_STARTS = frozenset(bytes([byte]) for byte in b'{["-0123456789tfn \t\r\n')

# The standard library's own scanner (C when available), as json.loads uses it.
_scan_value = json.JSONDecoder().scan_once
_CONTAINER_STARTS = frozenset("{[")


def _decode(text: str) -> Any:
    """``json.loads(text)``, without its set-up, for an object or array filling the text.

    ``json.loads`` checks its arguments, skips whitespace with a regular
    expression and wraps the scanner: a third of the cost of parsing a small
    body. An object or array that ends where the text ends is scanned
    directly; anything else (whitespace around it, a bare value, an error
    at the start) goes through ``json.loads``, for its exact behaviour and
    error messages. Errors inside the value come from the same scanner.
    """
    if text[:1] in _CONTAINER_STARTS:
        try:
            value, end = _scan_value(text, 0)
        except StopIteration:
            pass
        else:
            if end == len(text):
                return value
    return json.loads(text)


class DefaultJSONProvider(JSONProvider):
    """JSON with the standard library, configured by the attributes below (Flask's)."""

    #: How to serialise what ``json`` cannot (dates, ``Decimal``, ``UUID``, dataclasses).
    default = staticmethod(_default)
    #: Escape non-ASCII characters as ``\\uXXXX``.
    ensure_ascii = True
    #: Sort the keys of objects, so output is stable (and caches hit).
    sort_keys = True
    #: ``None``: indented in debug mode, compact otherwise; ``True``/``False`` force it.
    compact: bool | None = None
    #: The media type of ``response()``.
    mimetype = "application/json"

    def __init__(self, app: App) -> None:
        super().__init__(app)
        self._encoders: dict[tuple[Any, ...], Callable[[Any], str]] = {}

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        """Serialise with this provider's ``default``, ``ensure_ascii`` and ``sort_keys``."""
        kwargs.setdefault("default", self.default)
        kwargs.setdefault("ensure_ascii", self.ensure_ascii)
        kwargs.setdefault("sort_keys", self.sort_keys)
        return json.dumps(obj, **kwargs)

    def _encoder(self, compact: bool) -> Callable[[Any], str]:
        """The ``encode(obj)`` that ``response()`` uses, kept while the settings stay the same."""
        key = (compact, self.default, self.ensure_ascii, self.sort_keys)
        cached = self._encoders.get(key)
        if cached is None:
            cached = _make_encode(compact, self.default, self.ensure_ascii, self.sort_keys)
            self._encoders[key] = cached
        return cached

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """Parse with the standard library (bytes are decoded as UTF-8, -16 or -32)."""
        if s.__class__ is bytes and s[:1] in _ASCII_STARTS and (len(s) < 2 or s[1]):
            # What json.loads would find (no BOM, no NUL: UTF-8), without its search.
            s = s.decode("utf-8", "surrogatepass")
        if kwargs or s.__class__ is not str:
            return json.loads(s, **kwargs)
        return _decode(s)

    def response(self, *args: Any, **kwargs: Any) -> Response:
        """A JSON response ending in a newline; indented in debug mode unless ``compact``."""
        obj = self._prepare_response_obj(args, kwargs)
        compact = not (self.compact is False or (self.compact is None and self._app.debug))
        if type(self).dumps is DefaultJSONProvider.dumps:
            body = self._encoder(compact)(obj)
        else:  # a subclass serialises its own way
            body = self.dumps(obj, **({"separators": (",", ":")} if compact else {"indent": 2}))
        return self._app.response_class(f"{body}\n", mimetype=self.mimetype)
