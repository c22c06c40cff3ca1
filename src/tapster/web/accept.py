"""Content negotiation: the ``Accept*`` request fields (RFC 9110 §12).

``parse_accept_header`` reads ``Accept``, ``Accept-Charset``,
``Accept-Encoding`` and ``Accept-Language`` into an ``Accept`` list of
``(value, quality)`` pairs; ``request.accept_mimetypes`` and its siblings
are built with it. The classes have Werkzeug's names and methods
(``best``, ``best_match``, ``quality``, ``in``, ``values``, ``to_header``).

The list is ordered as Werkzeug orders it, most specific first, then by
quality, keeping the client's order otherwise; a value's quality is that of
the most specific range that matches it (RFC 9110 §12.5.1). Three answers
follow the RFC where Werkzeug does not (``tests/web/test_header_deviations.py``):

- ``q=0`` means "not acceptable" (§12.4.2): such a value is not ``in`` the
  list (nor ``accept_html``/``accept_json``), and ``best`` is never one;
- ``best`` is the value the client rates highest, not the most specific;
- a media range without parameters matches a media type with parameters
  (``text/html`` matches ``text/html;level=3``, the RFC's own example); a
  range with parameters matches when the type has those parameters.

Two of Werkzeug's readings are kept, on purpose. A request without the
field gives an empty list whose ``best_match`` returns the default (RFC
9110 §12.5.1 would have any type acceptable; apps pass the default they
want for that case, and ``provided`` tells it apart). And a ``q`` is read
as any decimal from 0 to 1 (``0.12345``, ``01``), not only the three
decimals of §12.4.2: being lenient here harms nothing.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable, Iterator
from typing import Any, SupportsIndex, TypeVar, overload

from .datastructures import ImmutableList
from .http import dump_options_header, parse_list_header, parse_options_header

__all__ = [
    "Accept",
    "CharsetAccept",
    "LanguageAccept",
    "MIMEAccept",
    "parse_accept_header",
]

_A = TypeVar("_A", bound="Accept")

# RFC 9110 §12.4.2 writes qvalue as 0[.ddd] or 1[.000]; like Werkzeug, any
# decimal is read and values outside 0..1 make the item invalid (skipped).
_QVALUE = re.compile(r"-?[0-9]+(?:\.[0-9]+)?", re.ASCII)


class Accept(ImmutableList):
    """An ``Accept*`` field: a read-only list of ``(value, quality)`` pairs.

    ``accept["utf-8"]`` (or ``quality``) is the quality given to a value
    (0 if none matches); ``value in accept`` says whether it is acceptable;
    ``best_match(offers)`` picks the server's offer the client prefers.
    ``provided`` is false when the request had no such field.
    """

    def __init__(self, values: Iterable[tuple[str, float]] | None = ()) -> None:
        if values is None:
            super().__init__()
            self.provided = False
        elif isinstance(values, Accept):
            super().__init__(values)
            self.provided = values.provided
        else:
            # Stable sort: among equally specific values of equal quality the
            # client's order is kept.
            ordered = sorted(
                values, key=lambda pair: (self._specificity(pair[0]), pair[1]), reverse=True
            )
            super().__init__(ordered)
            self.provided = True

    # -- the rules of one kind of field (overridden by the subclasses)

    def _specificity(self, value: str) -> tuple[bool, ...]:
        """How specific an accepted value is; a wildcard is the least."""
        return (value != "*",)

    def _value_matches(self, value: str, item: str) -> bool:
        """Whether the offered ``value`` is covered by the accepted ``item``."""
        return item == "*" or item.lower() == value.lower()

    # -- queries

    def _match(self, value: str) -> tuple[str, float] | None:
        """The most specific accepted item that covers ``value`` (the list is sorted so)."""
        for item, quality in self:
            if self._value_matches(value, item):
                return item, quality
        return None

    @overload
    def __getitem__(self, key: str) -> float: ...

    @overload
    def __getitem__(self, key: SupportsIndex) -> tuple[str, float]: ...

    @overload
    def __getitem__(self, key: slice) -> list[tuple[str, float]]: ...

    def __getitem__(self, key: Any) -> Any:
        """``accept["text/html"]`` is a quality; an index or slice reads the list."""
        if isinstance(key, str):
            return self.quality(key)
        return list.__getitem__(self, key)

    def quality(self, key: str) -> float:
        """The quality the client gives ``key``: that of the most specific match, else 0."""
        match = self._match(key)
        return 0 if match is None else match[1]

    def __contains__(self, value: object) -> bool:
        """Whether ``value`` is acceptable: matched by an item of quality above 0."""
        return isinstance(value, str) and self.quality(value) > 0

    def index(self, key: Any, *args: Any) -> int:  # type: ignore[override]
        """The position of the first item matching ``key`` (a value or a pair); ValueError."""
        if isinstance(key, str):
            for position, (item, _quality) in enumerate(self):
                if self._value_matches(key, item):
                    return position
            raise ValueError(key)
        return list.index(self, key, *args)

    def find(self, key: Any) -> int:
        """Like ``index``, but -1 when nothing matches."""
        try:
            return self.index(key)
        except ValueError:
            return -1

    def values(self) -> Iterator[str]:
        """The accepted values, without their qualities."""
        for value, _quality in self:
            yield value

    def best_match(self, matches: Iterable[str], default: str | None = None) -> str | None:
        """The offer in ``matches`` the client prefers, else ``default``.

        Higher quality wins; at equal quality, the offer matched by the more
        specific item; then the earlier offer. Offers of quality 0 never win.
        """
        result = default
        best_quality: float = -1
        best_specificity: tuple[bool, ...] = ()
        for offer in matches:
            match = self._match(offer)
            if match is None:
                continue
            item, quality = match
            if quality <= 0 or quality < best_quality:
                continue
            specificity = self._specificity(item)
            if quality > best_quality or specificity > best_specificity:
                result, best_quality, best_specificity = offer, quality, specificity
        return result

    @property
    def best(self) -> str | None:
        """The value the client rates highest (the first of equals), or ``None``."""
        best: str | None = None
        best_quality: float = 0
        for value, quality in self:
            if quality > best_quality:
                best, best_quality = value, quality
        return best

    def to_header(self) -> str:
        """The field value: ``text/html,application/json;q=0.5``."""
        return ",".join(
            value if quality == 1 else f"{value};q={quality}" for value, quality in self
        )

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        pairs = ", ".join(f"({value!r}, {quality})" for value, quality in self)
        return f"{type(self).__name__}([{pairs}])"


# Splits "type/subtype;a=1" into its pieces: the type, subtype and parameters.
_MIME_PIECES = re.compile(r"/|[ \t]*;[ \t]*")


def _mime_parts(value: str) -> tuple[str, str, frozenset[str]]:
    pieces = _MIME_PIECES.split(value.lower())
    return pieces[0], pieces[1], frozenset(piece for piece in pieces[2:] if piece)


class MIMEAccept(Accept):
    """The ``Accept`` field: media ranges such as ``text/*`` or ``text/html;level=1``."""

    def _specificity(self, value: str) -> tuple[bool, ...]:
        return tuple(piece != "*" for piece in _MIME_PIECES.split(value))

    def _value_matches(self, value: str, item: str) -> bool:
        if "/" not in item:
            return False  # not a media range: the client's mistake, matches nothing
        if "/" not in value:
            # The application's mistake: say so rather than match nothing.
            raise ValueError(f"invalid mimetype {value!r}")
        value_type, value_subtype, value_params = _mime_parts(value)
        if value_type == "*" and value_subtype != "*":
            raise ValueError(f"invalid mimetype {value!r}")
        item_type, item_subtype, item_params = _mime_parts(item)
        if item_type == "*":
            return item_subtype == "*"  # "*/html" is not a media range
        if value_type == "*":
            return True
        if item_type != value_type:
            return False
        if item_subtype == "*" or value_subtype == "*":
            return True
        # RFC 9110 §12.5.1: a range's parameters must all be the type's; a
        # range without parameters covers the type with any.
        return item_subtype == value_subtype and item_params <= value_params

    @property
    def accept_html(self) -> bool:
        """Whether HTML (or XHTML) is acceptable."""
        return "text/html" in self or self.accept_xhtml

    @property
    def accept_xhtml(self) -> bool:
        """Whether XHTML (``application/xhtml+xml`` or ``application/xml``) is acceptable."""
        return "application/xhtml+xml" in self or "application/xml" in self

    @property
    def accept_json(self) -> bool:
        """Whether ``application/json`` is acceptable."""
        return "application/json" in self


_LANGUAGE_SEPARATOR = re.compile(r"[_-]")


def _language_parts(tag: str) -> list[str]:
    # "en_US" is a locale name, not a language tag, but it is what people write.
    return _LANGUAGE_SEPARATOR.split(tag.lower())


def _primary_language(tag: str) -> str:
    return _LANGUAGE_SEPARATOR.split(tag, maxsplit=1)[0]


class LanguageAccept(Accept):
    """The ``Accept-Language`` field: tags compared without regard to case, ``_`` as ``-``."""

    def _value_matches(self, value: str, item: str) -> bool:
        return item == "*" or _language_parts(value) == _language_parts(item)

    def best_match(self, matches: Iterable[str], default: str | None = None) -> str | None:
        """The supported language the client prefers, falling back on primary subtags.

        An exact match first; then a client's ``en-US`` accepts an offered
        ``en``; then a client's ``en`` accepts an offered ``en-GB`` (the first
        such offer is returned, as given). Otherwise ``default``.
        """
        offers = list(matches)
        result = super().best_match(offers)
        if result is not None:
            return result
        primaries = Accept([(_primary_language(item), quality) for item, quality in self])
        result = primaries.best_match(offers)
        if result is not None:
            return result
        result = super().best_match([_primary_language(offer) for offer in offers])
        if result is not None:
            return next(offer for offer in offers if offer.startswith(result))
        return default


def _codec_name(name: str) -> str:
    try:
        return codecs.lookup(name).name
    except LookupError:
        return name.lower()


class CharsetAccept(Accept):
    """The ``Accept-Charset`` field: names compared as codecs (``UTF8`` is ``utf-8``)."""

    def _value_matches(self, value: str, item: str) -> bool:
        return item == "*" or _codec_name(value) == _codec_name(item)


@overload
def parse_accept_header(value: str | None) -> Accept: ...


@overload
def parse_accept_header(value: str | None, cls: type[_A]) -> _A: ...


def parse_accept_header(value: str | None, cls: type[Accept] | None = None) -> Accept:
    """An ``Accept*`` field value as an ``Accept`` (or ``cls``) list (RFC 9110 §12.4.2).

    Items whose ``q`` is not a number from 0 to 1 are skipped; other
    parameters stay part of the value (``text/html; level=1``). An absent
    or empty field gives an empty list whose ``provided`` is false.
    """
    kind = Accept if cls is None else cls
    if not value:
        return kind(None)
    items: list[tuple[str, float]] = []
    for element in parse_list_header(value):
        item, params = parse_options_header(element)
        quality: float = 1
        if "q" in params:
            text = params.pop("q").strip(" \t")
            if _QVALUE.fullmatch(text) is None:
                continue
            quality = float(text)
            if not 0 <= quality <= 1:
                continue
        if params:
            item = dump_options_header(item, params)
        items.append((item, quality))
    return kind(items)
