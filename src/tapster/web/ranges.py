"""Range requests: the ``Range``, ``If-Range`` and ``Content-Range`` fields (RFC 9110 §14).

``parse_range_header`` gives a ``Range`` (its unit and a list of
``(start, stop)`` pairs, ``stop`` exclusive; a suffix ``-500`` is held as
``(-500, None)``), ``parse_if_range_header`` an ``IfRange`` (a tag or a
date) and ``parse_content_range_header`` a ``ContentRange``. These are
the one parser of each field in tapster: ``send_file`` and
``Response.make_conditional`` both read requests through them.

``Range.range_for_length`` follows RFC 9110 §14.1.2 where Werkzeug does not:
a suffix longer than the representation selects all of it (Werkzeug finds
it unsatisfiable).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from .http import http_date, parse_date, quote_etag, unquote_etag

__all__ = [
    "ContentRange",
    "IfRange",
    "Range",
    "is_byte_range_valid",
    "parse_content_range_header",
    "parse_if_range_header",
    "parse_range_header",
]

# Decimal digits, optionally negative, and nothing else: int() would also
# take "+1", "1_0" and non-ASCII digits, which no HTTP field allows.
_PLAIN_INT = re.compile(r"-?[0-9]+", re.ASCII)


def _plain_int(text: str) -> int:
    text = text.strip(" \t")
    if _PLAIN_INT.fullmatch(text) is None:
        raise ValueError(text)
    return int(text)


def is_byte_range_valid(start: int | None, stop: int | None, length: int | None) -> bool:
    """Whether ``start``-``stop`` (exclusive) is a range of a ``length``-byte representation.

    Both bounds or neither (``*``); ``start`` must lie inside the length.
    """
    if (start is None) != (stop is None):
        return False
    if start is None or stop is None:
        return length is None or length >= 0
    if length is None:
        return 0 <= start < stop
    return 0 <= start < stop and start < length


class IfRange:
    """The ``If-Range`` field: an entity tag or a date (never both), or neither if absent.

    ``weak`` records a ``W/`` tag, which can never satisfy ``If-Range``
    (RFC 9110 §13.1.5 asks for a strong comparison).
    """

    def __init__(
        self, etag: str | None = None, date: datetime | None = None, weak: bool = False
    ) -> None:
        self.etag = etag
        self.date = date
        self.weak = weak

    def to_header(self) -> str:
        """The field value, or ``""`` when there is none."""
        if self.date is not None:
            return http_date(self.date)
        if self.etag is not None:
            return quote_etag(self.etag, self.weak)
        return ""

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_header()!r}>"


def parse_if_range_header(value: str | None) -> IfRange:
    """An ``If-Range`` value as an ``IfRange``: a date when it reads as one, else a tag."""
    if not value:
        return IfRange()
    date = parse_date(value)
    if date is not None:
        return IfRange(date=date)
    etag, weak = unquote_etag(value)
    return IfRange(etag, weak=bool(weak))


class Range:
    """A ``Range`` field: ``units`` and ``ranges``, a list of ``(start, stop)`` pairs.

    ``stop`` is exclusive, or ``None`` for "to the end"; a suffix range
    (the last N bytes) is ``(-N, None)``. Several ranges are kept, but the
    methods serve one only. Invalid pairs raise ``ValueError``.
    """

    def __init__(self, units: str, ranges: Sequence[tuple[int, int | None]]) -> None:
        self.units = units
        self.ranges = ranges
        for start, stop in ranges:
            if start is None or (stop is not None and (start < 0 or start >= stop)):
                raise ValueError(f"{(start, stop)} is not a valid range.")

    def range_for_length(self, length: int | None) -> tuple[int, int] | None:
        """The ``(start, stop)`` bytes to send of a ``length``-byte body, or ``None``.

        ``None`` unless the unit is bytes, there is one range and it is
        satisfiable (RFC 9110 §14.1.2: its first byte lies inside the body).
        ``stop`` is clipped to the length; a suffix longer than the body
        selects the whole body.
        """
        if self.units != "bytes" or length is None or len(self.ranges) != 1:
            return None
        start, stop = self.ranges[0]
        if stop is None:
            stop = length
            if start < 0:
                start = max(start + length, 0)
        if length and is_byte_range_valid(start, stop, length):
            return start, min(stop, length)
        return None

    def make_content_range(self, length: int | None) -> ContentRange | None:
        """The ``ContentRange`` of the part ``range_for_length`` selects, or ``None``."""
        selected = self.range_for_length(length)
        if selected is None:
            return None
        return ContentRange(self.units, selected[0], selected[1], length)

    def to_header(self) -> str:
        """The field value: ``bytes=0-499,-500``."""
        specs = []
        for start, stop in self.ranges:
            if stop is None:
                specs.append(f"{start}-" if start >= 0 else str(start))
            else:
                specs.append(f"{start}-{stop - 1}")
        return f"{self.units}={','.join(specs)}"

    def to_content_range_header(self, length: int | None) -> str | None:
        """The ``Content-Range`` value of the selected part, or ``None``."""
        content_range = self.make_content_range(length)
        return None if content_range is None else content_range.to_header()

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_header()!r}>"


def parse_range_header(value: str | None, make_inclusive: bool = True) -> Range | None:
    """A ``Range`` value (RFC 9110 §14.2) as a ``Range``; ``None`` if absent or invalid.

    Every range must be valid, and they must come in ascending order
    without overlap, with a suffix range only last: RFC 9110 §14.2 lets a
    server refuse anything else, and Werkzeug does. The unit is lower-cased
    (units are case-insensitive, §14.1). ``make_inclusive`` is accepted for
    Werkzeug's signature and has no effect, as there.
    """
    if not value or "=" not in value:
        return None
    units, _, specs = value.partition("=")
    units = units.strip(" \t").lower()
    ranges: list[tuple[int, int | None]] = []
    last_stop = 0  # -1 once a range runs to the end: nothing may follow it
    for spec in specs.split(","):
        spec = spec.strip(" \t")
        if "-" not in spec:
            return None
        try:
            if spec.startswith("-"):  # suffix-range = "-" suffix-length
                if last_stop < 0:
                    return None
                start, stop = _plain_int(spec), None
                if start == 0:
                    return None  # "-0" selects nothing
                last_stop = -1
            else:  # int-range = first-pos "-" [ last-pos ]
                first, _, last = spec.partition("-")
                start = _plain_int(first)
                if start < last_stop or last_stop < 0:
                    return None
                stop = _plain_int(last) + 1 if last.strip(" \t") else None
                if stop is not None and start >= stop:
                    return None
                last_stop = -1 if stop is None else stop
        except ValueError:
            return None
        ranges.append((start, stop))
    return Range(units, ranges)


class _NotifyingField:
    """A ``ContentRange`` attribute whose assignment calls the object's ``on_update``."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.attribute = f"_{name}"

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return self
        return instance.__dict__[self.attribute]

    def __set__(self, instance: Any, value: Any) -> None:
        instance.__dict__[self.attribute] = value
        if instance.on_update is not None:
            instance.on_update(instance)


class ContentRange:
    """A ``Content-Range`` field: ``units``, ``start``, ``stop`` (exclusive) and ``length``.

    ``length`` ``None`` is an unknown length (``*``); ``start`` and ``stop``
    ``None`` an unsatisfied range (``bytes */1000``); ``units`` ``None``
    no field at all (``unset()``). Each change calls ``on_update``, which
    ``Response.content_range`` uses to rewrite the field.
    """

    units = _NotifyingField()
    start = _NotifyingField()
    stop = _NotifyingField()
    length = _NotifyingField()

    def __init__(
        self,
        units: str | None,
        start: int | None,
        stop: int | None,
        length: int | None = None,
        on_update: Callable[[ContentRange], Any] | None = None,
    ) -> None:
        self.on_update = on_update
        self.set(start, stop, length, units)

    def set(
        self,
        start: int | None,
        stop: int | None,
        length: int | None = None,
        units: str | None = "bytes",
    ) -> None:
        """Set every part at once (one ``on_update``); ``ValueError`` for an invalid range."""
        if not is_byte_range_valid(start, stop, length):
            raise ValueError("Bad range provided")
        self.__dict__.update(_units=units, _start=start, _stop=stop, _length=length)
        if self.on_update is not None:
            self.on_update(self)

    def unset(self) -> None:
        """Make the object empty, which removes the field from a response."""
        self.set(None, None, units=None)

    def to_header(self) -> str:
        """The field value: ``bytes 0-499/1234``, ``bytes */1234``, or ``""`` when unset."""
        if self._units is None:  # type: ignore[attr-defined]
            return ""
        length = "*" if self._length is None else self._length  # type: ignore[attr-defined]
        if self._start is None:  # type: ignore[attr-defined]
            return f"{self._units} */{length}"  # type: ignore[attr-defined]
        return f"{self._units} {self._start}-{self._stop - 1}/{length}"  # type: ignore[attr-defined]

    def __bool__(self) -> bool:
        return self._units is not None  # type: ignore[attr-defined]

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_header()!r}>"


def parse_content_range_header(
    value: str | None, on_update: Callable[[ContentRange], Any] | None = None
) -> ContentRange | None:
    """A ``Content-Range`` value (RFC 9110 §14.4) as a ``ContentRange``; ``None`` if invalid."""
    if value is None:
        return None
    units, _, spec = value.strip(" \t").partition(" ")
    if "/" not in spec:
        return None
    span, _, complete = spec.partition("/")
    try:
        length = None if complete == "*" else _plain_int(complete)
        if span == "*":
            if not is_byte_range_valid(None, None, length):
                return None
            return ContentRange(units, None, None, length, on_update)
        if "-" not in span:
            return None
        first, _, last = span.partition("-")
        start, stop = _plain_int(first), _plain_int(last) + 1
    except ValueError:
        return None
    if not is_byte_range_valid(start, stop, length):
        return None
    return ContentRange(units, start, stop, length, on_update)
