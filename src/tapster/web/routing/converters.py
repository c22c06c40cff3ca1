"""Converters: the typed placeholders of a rule, such as ``<int:id>``.

A converter works both ways. When matching, its ``regex`` says which text a
placeholder accepts and ``to_python`` turns that text into the view argument;
when building, ``to_url`` turns a value back into URL text. Raising
``ValidationError`` from ``to_python`` means "this rule does not match this
URL". ``weight`` orders dynamic parts when several could match the same
segment (lower is tried first), and a converter whose regex may match a slash
(``part_isolating = False``) consumes the rest of the path.

The names and behaviour are Werkzeug's, so a Flask app's custom converters
(``class ListConverter(BaseConverter)``) work unchanged.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

if TYPE_CHECKING:
    from .map import Map

__all__ = [
    "DEFAULT_CONVERTERS",
    "AnyConverter",
    "BaseConverter",
    "FloatConverter",
    "IntegerConverter",
    "NumberConverter",
    "PathConverter",
    "UUIDConverter",
    "UnicodeConverter",
    "ValidationError",
]

#: Characters left as they are in a path segment: the WHATWG URL standard's
#: path-segment set (https://url.spec.whatwg.org/#url-path-segment-string),
#: the same set Werkzeug uses, so built URLs are byte-for-byte the same.
PATH_SAFE = "!$&'()*+,/:;=@"


class ValidationError(ValueError):
    """Raised by ``to_python`` (or ``to_url``): this value does not fit, try the next rule."""


class BaseConverter:
    """The base of every converter: one path segment of any text, quoted when built.

    Subclasses set ``regex`` (what the placeholder matches), ``weight`` (lower
    is tried first among dynamic parts) and override ``to_python`` / ``to_url``.
    Arguments written in the rule (``<name(1, key=2):var>``) arrive as
    ``*args`` and ``**kwargs``.
    """

    regex: str = "[^/]+"
    weight: int = 100
    part_isolating: bool = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # A subclass that writes its own regex but says nothing about slashes
        # is assumed to span segments exactly when its regex mentions "/",
        # as Werkzeug 2.3+ assumes.
        if "regex" in cls.__dict__ and "part_isolating" not in cls.__dict__:
            cls.part_isolating = "/" not in cls.regex

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        self.map = map

    def to_python(self, value: str) -> Any:
        """The view argument for the matched text (the text itself here)."""
        return value

    def to_url(self, value: Any) -> str:
        """The URL text for ``value``: its ``str()``, percent-encoded as UTF-8."""
        return quote(str(value), safe=PATH_SAFE)


class UnicodeConverter(BaseConverter):
    """The default converter (``<name>``, ``<string:name>``): text without a slash.

    ``minlength``, ``maxlength`` and ``length`` bound the number of characters:
    ``<string(length=2):lang>`` matches exactly two.
    """

    def __init__(
        self,
        map: Map,
        minlength: int = 1,
        maxlength: int | None = None,
        length: int | None = None,
    ) -> None:
        super().__init__(map)
        if length is not None:
            repeat = f"{{{int(length)}}}"
        else:
            upper = "" if maxlength is None else str(int(maxlength))
            repeat = f"{{{int(minlength)},{upper}}}"
        self.regex = f"[^/]{repeat}"


class AnyConverter(BaseConverter):
    """One of a fixed set of words: ``<any(about, help, "foo,bar"):page>``."""

    def __init__(self, map: Map, *items: str) -> None:
        super().__init__(map)
        self.items = set(items)
        # Alternatives in the order written: the regex engine backtracks into
        # the next one when an earlier prefix leaves the segment unfinished.
        self.regex = "(?:" + "|".join(re.escape(item) for item in items) + ")"

    def to_url(self, value: Any) -> str:
        """The value itself, which must be one of the items."""
        if value in self.items:
            return str(value)
        valid = ", ".join(repr(item) for item in sorted(self.items))
        raise ValueError(f"{value!r} is not one of {valid}")


class PathConverter(BaseConverter):
    """Like the default converter but slashes too (``<path:file>``); it is tried last."""

    regex = "[^/].*?"
    weight = 200
    part_isolating = False


class NumberConverter(BaseConverter):
    """The base of ``int`` and ``float``: digits, bounded by ``min``/``max``, ``-`` if signed."""

    weight = 50
    num_convert: Callable[[Any], Any] = int

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | float | None = None,
        max: int | float | None = None,
        signed: bool = False,
    ) -> None:
        super().__init__(map)
        if signed:
            self.regex = "-?" + type(self).regex
        self.fixed_digits = fixed_digits
        self.min = min
        self.max = max
        self.signed = signed

    def to_python(self, value: str) -> Any:
        """The number, or ``ValidationError`` when it has the wrong width or is out of bounds."""
        if self.fixed_digits and len(value) != self.fixed_digits:
            raise ValidationError(f"{value!r} does not have {self.fixed_digits} digits")
        try:
            number = self.num_convert(value)
        except ValueError as error:
            raise ValidationError(str(error)) from error
        if (self.min is not None and number < self.min) or (
            self.max is not None and number > self.max
        ):
            raise ValidationError(f"{number!r} is out of bounds")
        return number

    def to_url(self, value: Any) -> str:
        """The number as text, left-padded with zeros to ``fixed_digits``."""
        text = str(self.num_convert(value))
        if self.fixed_digits:
            text = text.zfill(self.fixed_digits)
        return text


class IntegerConverter(NumberConverter):
    """Whole numbers (``<int:id>``); ``fixed_digits=4`` wants ``0042``, ``signed=True`` a ``-``."""

    regex = r"\d+"


class FloatConverter(NumberConverter):
    """Decimal numbers written with a point (``<float:ratio>`` matches ``0.5``, not ``1``)."""

    regex = r"\d+\.\d+"
    num_convert = float

    def __init__(
        self,
        map: Map,
        min: float | None = None,
        max: float | None = None,
        signed: bool = False,
    ) -> None:
        super().__init__(map, min=min, max=max, signed=signed)


class UUIDConverter(BaseConverter):
    """A UUID in its 8-4-4-4-12 hex form (``<uuid:key>``), given to the view as ``uuid.UUID``."""

    regex = (
        r"[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}"
    )

    def to_python(self, value: str) -> uuid.UUID:
        """The ``uuid.UUID`` for the matched text."""
        return uuid.UUID(value)

    def to_url(self, value: Any) -> str:
        """The UUID's canonical text."""
        return str(value)


#: The converters every map knows, by the name a rule uses (``default`` is ``<name>``).
DEFAULT_CONVERTERS: Mapping[str, type[BaseConverter]] = {
    "default": UnicodeConverter,
    "string": UnicodeConverter,
    "any": AnyConverter,
    "path": PathConverter,
    "int": IntegerConverter,
    "float": FloatConverter,
    "uuid": UUIDConverter,
}
