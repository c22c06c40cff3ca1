"""Entity-tag lists: the ``If-Match`` and ``If-None-Match`` request fields (RFC 9110 §13.1).

``parse_etags`` reads a field into an ``ETags`` set, which knows the two
comparisons of RFC 9110 §8.8.3.2: ``contains`` is the strong one (only
strong tags count: ``If-Match``) and ``contains_weak`` the weak one (any
tag with the same opaque string: ``If-None-Match``). ``*`` is kept as
``star_tag`` and matches any current representation.

Tags are held without their quotes, as Werkzeug holds them.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Iterator

from .http import generate_etag, unquote_etag

__all__ = ["ETags", "parse_etags"]


class ETags(Collection[str]):
    """A set of entity tags, strong and weak, or ``*`` (``star_tag``).

    ``tag in etags`` is ``contains(tag)``; iterating or ``len`` covers the
    strong tags only, as in Werkzeug.
    """

    def __init__(
        self,
        strong_etags: Iterable[str] | None = None,
        weak_etags: Iterable[str] | None = None,
        star_tag: bool = False,
    ) -> None:
        # dicts keep the tags in the order they came, for to_header().
        self._strong = dict.fromkeys(() if star_tag else strong_etags or ())
        self._weak = dict.fromkeys(weak_etags or ())
        self.star_tag = star_tag

    def as_set(self, include_weak: bool = False) -> set[str]:
        """The tags as a ``set``: the strong ones, and the weak ones with ``include_weak``."""
        tags = set(self._strong)
        if include_weak:
            tags.update(self._weak)
        return tags

    def is_weak(self, etag: str) -> bool:
        """Whether ``etag`` was given as a weak tag."""
        return etag in self._weak

    def is_strong(self, etag: str) -> bool:
        """Whether ``etag`` was given as a strong tag."""
        return etag in self._strong

    def contains(self, etag: str) -> bool:
        """Strong comparison (RFC 9110 §8.8.3.2): ``*``, or ``etag`` among the strong tags."""
        return self.star_tag or etag in self._strong

    def contains_weak(self, etag: str) -> bool:
        """Weak comparison: ``*``, or ``etag`` among the tags, weak or strong."""
        return etag in self._weak or self.contains(etag)

    def contains_raw(self, etag: str) -> bool:
        """Compare a quoted tag: ``W/"x"`` weakly, ``"x"`` strongly."""
        tag, weak = unquote_etag(etag)
        if tag is None:
            return False
        return self.contains_weak(tag) if weak else self.contains(tag)

    def to_header(self) -> str:
        """The field value: ``*``, or the quoted tags, strong ones first."""
        if self.star_tag:
            return "*"
        strong = [f'"{tag}"' for tag in self._strong]
        return ", ".join(strong + [f'W/"{tag}"' for tag in self._weak])

    def __call__(
        self, etag: str | None = None, data: bytes | None = None, include_weak: bool = False
    ) -> bool:
        """Whether ``etag`` (or the tag of ``data``) is listed; weak tags with ``include_weak``.

        ``*`` is not taken into account here, as in Werkzeug.
        """
        if etag is None:
            if data is None:
                raise TypeError("'data' is required when 'etag' is not given.")
            etag = generate_etag(data)
        return (include_weak and etag in self._weak) or etag in self._strong

    def __bool__(self) -> bool:
        return bool(self.star_tag or self._strong or self._weak)

    def __len__(self) -> int:
        return len(self._strong)

    def __iter__(self) -> Iterator[str]:
        return iter(self._strong)

    def __contains__(self, etag: object) -> bool:
        return isinstance(etag, str) and self.contains(etag)

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_header()!r}>"


# One element of an entity-tag list (RFC 9110 §8.8.3):
#   entity-tag = [ weak ] opaque-tag ; weak = %s"W/" ; opaque-tag = DQUOTE *etagc DQUOTE
# Read leniently, as Werkzeug and browsers do: "w/" is weak too, and an
# unquoted tag is taken as it is. Anything else up to the next comma is skipped.
_ETAG = re.compile(
    r"""
    [ \t]*
    ([Ww]/)?
    (?: "([^"]*)" | ([^" \t,]+) )
    [ \t]*
    (?:,|\Z)
    """,
    re.ASCII | re.VERBOSE,
)


def parse_etags(value: str | None) -> ETags:
    """An ``If-Match``/``If-None-Match`` value as ``ETags``; an absent field gives an empty set."""
    if not value:
        return ETags()
    # A field value carries no surrounding whitespace (RFC 9110 §5.5).
    if value.strip(" \t") == "*":
        return ETags(star_tag=True)
    strong: list[str] = []
    weak: list[str] = []
    pos, end = 0, len(value)
    while pos < end:
        match = _ETAG.match(value, pos)
        if match is None:
            pos = value.find(",", pos) + 1
            if not pos:
                break
            continue
        weak_mark, quoted, bare = match.groups()
        (weak if weak_mark else strong).append(quoted if quoted is not None else bare)
        pos = match.end()
    return ETags(strong, weak)
