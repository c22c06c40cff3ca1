"""Tagged JSON: JSON that keeps tuples, bytes, Markup, UUIDs and datetimes (the session format).

A value JSON cannot hold is written as a one-key object ``{" t": [...]}``
whose key names its type; reading turns it back. The tags and their
spelling are Flask's, so a session cookie signed with the same key reads
the same in Flask and in tapster.
"""

from __future__ import annotations

import json
from base64 import b64decode, b64encode
from datetime import datetime
from typing import Any
from uuid import UUID

from ..http import http_date, parse_date

__all__ = ["JSONTag", "TaggedJSONSerializer"]


class JSONTag:
    """One type the serializer can tag: ``check`` it, ``to_json`` it, read it back ``to_python``.

    A tag with ``key = ""`` only passes its contents through the serializer
    (dicts and lists, whose items may need tags).
    """

    key = ""

    def __init__(self, serializer: TaggedJSONSerializer) -> None:
        self.serializer = serializer

    def check(self, value: Any) -> bool:
        """Whether this tag handles ``value``."""
        raise NotImplementedError

    def to_json(self, value: Any) -> Any:
        """``value`` as something JSON holds."""
        raise NotImplementedError

    def to_python(self, value: Any) -> Any:
        """The value back from what ``to_json`` gave."""
        raise NotImplementedError

    def tag(self, value: Any) -> Any:
        """``value`` in its tagged JSON form."""
        return {self.key: self.to_json(value)}


class _TagDict(JSONTag):
    """A one-key dict whose key looks like a tag: its key gets a ``__`` suffix."""

    key = " di"

    def check(self, value: Any) -> bool:
        return (
            isinstance(value, dict)
            and len(value) == 1
            and next(iter(value)) in self.serializer.tags
        )

    def to_json(self, value: Any) -> Any:
        key = next(iter(value))
        return {f"{key}__": self.serializer.tag(value[key])}

    def to_python(self, value: Any) -> Any:
        key = next(iter(value))
        return {key[:-2]: value[key]}


class _PassDict(JSONTag):
    def check(self, value: Any) -> bool:
        return isinstance(value, dict)

    def to_json(self, value: Any) -> Any:
        tag = self.serializer.tag
        return {key: tag(item) for key, item in value.items()}

    tag = to_json


class _TagTuple(JSONTag):
    key = " t"

    def check(self, value: Any) -> bool:
        return isinstance(value, tuple)

    def to_json(self, value: Any) -> Any:
        return [self.serializer.tag(item) for item in value]

    def to_python(self, value: Any) -> Any:
        return tuple(value)


class _PassList(JSONTag):
    def check(self, value: Any) -> bool:
        return isinstance(value, list)

    def to_json(self, value: Any) -> Any:
        return [self.serializer.tag(item) for item in value]

    tag = to_json


class _TagBytes(JSONTag):
    key = " b"

    def check(self, value: Any) -> bool:
        return isinstance(value, bytes)

    def to_json(self, value: Any) -> Any:
        return b64encode(value).decode("ascii")

    def to_python(self, value: Any) -> Any:
        return b64decode(value)


class _TagMarkup(JSONTag):
    """Anything with ``__html__``; read back as ``markupsafe.Markup``."""

    key = " m"

    def check(self, value: Any) -> bool:
        return callable(getattr(value, "__html__", None))

    def to_json(self, value: Any) -> Any:
        return str(value.__html__())

    def to_python(self, value: Any) -> Any:
        from markupsafe import Markup  # Jinja2's dependency, loaded only when met

        return Markup(value)


class _TagUUID(JSONTag):
    key = " u"

    def check(self, value: Any) -> bool:
        return isinstance(value, UUID)

    def to_json(self, value: Any) -> Any:
        return value.hex

    def to_python(self, value: Any) -> Any:
        return UUID(value)


class _TagDateTime(JSONTag):
    """A datetime as an HTTP date (whole seconds, UTC), as Flask writes it."""

    key = " d"

    def check(self, value: Any) -> bool:
        return isinstance(value, datetime)

    def to_json(self, value: Any) -> Any:
        return http_date(value)

    def to_python(self, value: Any) -> Any:
        return parse_date(value)


class TaggedJSONSerializer:
    """``dumps``/``loads`` tagged JSON; ``register`` adds a tag for another type."""

    default_tags: list[type[JSONTag]] = [
        _TagDict,
        _PassDict,
        _TagTuple,
        _PassList,
        _TagBytes,
        _TagMarkup,
        _TagUUID,
        _TagDateTime,
    ]

    def __init__(self) -> None:
        self.tags: dict[str, JSONTag] = {}
        self.order: list[JSONTag] = []
        for cls in self.default_tags:
            self.register(cls)

    def register(self, tag_class: type[JSONTag], force: bool = False, index: int | None = None):
        """Add a tag; ``index`` puts it before others (tags are tried in order)."""
        tag = tag_class(self)
        if tag.key:
            if tag.key in self.tags and not force:
                raise KeyError(f"Tag '{tag.key}' is already registered.")
            self.tags[tag.key] = tag
        if index is None:
            self.order.append(tag)
        else:
            self.order.insert(index, tag)

    def tag(self, value: Any) -> Any:
        """``value`` with every part JSON cannot hold tagged."""
        for tag in self.order:
            if tag.check(value):
                return tag.tag(value)
        return value

    def untag(self, value: dict[str, Any]) -> Any:
        """A JSON object back to the value it tags (or as it is when it is no tag)."""
        if len(value) != 1:
            return value
        key = next(iter(value))
        tag = self.tags.get(key)
        if tag is None:
            return value
        return tag.to_python(value[key])

    def dumps(self, value: Any) -> str:
        """Tagged, compact JSON."""
        return json.dumps(self.tag(value), separators=(",", ":"))

    def loads(self, value: str | bytes) -> Any:
        """The value of a tagged JSON document."""
        return json.loads(value, object_hook=self.untag)


