"""Header values that are sets or small structures: ``HeaderSet``, CSP, ``WWWAuthenticate``.

``HeaderSet`` is a case-insensitive ordered set of tokens (``Vary``,
``Allow``, ``Content-Language``, ``Pragma``, the CORS lists);
``ContentSecurityPolicy`` a dict of CSP directives; ``WWWAuthenticate`` a
challenge (RFC 9110 §11.6.1). Each can call ``on_update`` after a change,
which the response uses to rewrite its field.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, MutableSet
from typing import Any, SupportsIndex

from .datastructures import CallbackDict
from .http import dump_header, parse_dict_header, parse_list_header, quote_header_value

__all__ = [
    "ContentSecurityPolicy",
    "HeaderSet",
    "WWWAuthenticate",
    "dump_csp_header",
    "parse_csp_header",
    "parse_set_header",
]


class HeaderSet(MutableSet[str]):
    """An ordered set of tokens compared without regard to case: ``"GET" in allow``.

    Keeps the first spelling of each item; changes call ``on_update(self)``.
    """

    def __init__(
        self,
        headers: Iterable[str] | None = None,
        on_update: Callable[[HeaderSet], Any] | None = None,
    ) -> None:
        self._headers: list[str] = []
        self._set: set[str] = set()
        for header in headers or ():
            if header.lower() not in self._set:
                self._headers.append(header)
                self._set.add(header.lower())
        self.on_update = on_update

    def _changed(self) -> None:
        if self.on_update is not None:
            self.on_update(self)

    def add(self, header: str) -> None:
        """Add ``header`` unless it is there (in any case)."""
        self.update((header,))

    def update(self, iterable: Iterable[str]) -> None:
        """Add each item of ``iterable`` that is not there yet; one notification."""
        added = False
        for header in iterable:
            key = header.lower()
            if key not in self._set:
                self._headers.append(header)
                self._set.add(key)
                added = True
        if added:
            self._changed()

    def remove(self, header: str) -> None:
        """Remove ``header`` (in any case); ``KeyError`` if it is not there."""
        key = header.lower()
        if key not in self._set:
            raise KeyError(header)
        self._set.remove(key)
        del self._headers[self.find(header)]
        self._changed()

    def discard(self, header: str) -> None:
        """Remove ``header`` if it is there."""
        if header.lower() in self._set:
            self.remove(header)

    def find(self, header: str) -> int:
        """The position of ``header`` (in any case), or -1."""
        key = header.lower()
        for position, item in enumerate(self._headers):
            if item.lower() == key:
                return position
        return -1

    def index(self, header: str) -> int:
        """The position of ``header``; ``IndexError`` if it is not there (as in Werkzeug)."""
        position = self.find(header)
        if position < 0:
            raise IndexError(header)
        return position

    def clear(self) -> None:
        """Remove everything."""
        self._set.clear()
        self._headers.clear()
        self._changed()

    def as_set(self, preserve_casing: bool = False) -> set[str]:
        """A plain ``set``: lower-cased items, or as written with ``preserve_casing``."""
        return set(self._headers) if preserve_casing else set(self._set)

    def to_header(self) -> str:
        """The field value: ``Accept-Encoding, Cookie``."""
        return ", ".join(quote_header_value(header) for header in self._headers)

    def __getitem__(self, index: SupportsIndex) -> str:
        return self._headers[index]

    def __delitem__(self, index: SupportsIndex) -> None:
        removed = self._headers.pop(index)
        self._set.remove(removed.lower())
        self._changed()

    def __setitem__(self, index: SupportsIndex, value: str) -> None:
        old = self._headers[index]
        self._set.remove(old.lower())
        self._headers[index] = value
        self._set.add(value.lower())
        self._changed()

    def __contains__(self, header: object) -> bool:
        return isinstance(header, str) and header.lower() in self._set

    def __len__(self) -> int:
        return len(self._set)

    def __iter__(self) -> Iterator[str]:
        return iter(self._headers)

    def __bool__(self) -> bool:
        return bool(self._set)

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._headers!r})"


def parse_set_header(
    value: str | None, on_update: Callable[[HeaderSet], Any] | None = None
) -> HeaderSet:
    """A comma-separated list (RFC 9110 §5.6.1) as a ``HeaderSet``."""
    if not value:
        return HeaderSet(None, on_update)
    return HeaderSet(parse_list_header(value), on_update)


def _csp_property(key: str) -> Any:
    return property(
        lambda self: self.get(key),
        lambda self, value: self._set_value(key, value),
        lambda self: self.pop(key, None),
        doc=f"The ``{key}`` directive.",
    )


class ContentSecurityPolicy(CallbackDict):
    """A ``Content-Security-Policy`` field: directive names to their values.

    ``csp.script_src = "'self'"`` sets a directive (``None`` removes it);
    changes call ``on_update``.
    """

    base_uri: str | None = _csp_property("base-uri")
    child_src: str | None = _csp_property("child-src")
    connect_src: str | None = _csp_property("connect-src")
    default_src: str | None = _csp_property("default-src")
    font_src: str | None = _csp_property("font-src")
    form_action: str | None = _csp_property("form-action")
    frame_ancestors: str | None = _csp_property("frame-ancestors")
    frame_src: str | None = _csp_property("frame-src")
    img_src: str | None = _csp_property("img-src")
    manifest_src: str | None = _csp_property("manifest-src")
    media_src: str | None = _csp_property("media-src")
    navigate_to: str | None = _csp_property("navigate-to")
    object_src: str | None = _csp_property("object-src")
    prefetch_src: str | None = _csp_property("prefetch-src")
    plugin_types: str | None = _csp_property("plugin-types")
    report_to: str | None = _csp_property("report-to")
    report_uri: str | None = _csp_property("report-uri")
    sandbox: str | None = _csp_property("sandbox")
    script_src: str | None = _csp_property("script-src")
    script_src_attr: str | None = _csp_property("script-src-attr")
    script_src_elem: str | None = _csp_property("script-src-elem")
    style_src: str | None = _csp_property("style-src")
    style_src_attr: str | None = _csp_property("style-src-attr")
    style_src_elem: str | None = _csp_property("style-src-elem")
    worker_src: str | None = _csp_property("worker-src")

    def __init__(
        self,
        values: Mapping[str, str] | Iterable[tuple[str, str]] | None = (),
        on_update: Callable[[ContentSecurityPolicy], Any] | None = None,
    ) -> None:
        super().__init__(values, on_update)
        #: Whether the field was in the message.
        self.provided = values is not None

    def _set_value(self, key: str, value: str | None) -> None:
        if value is None:
            self.pop(key, None)
        else:
            self[key] = value

    def to_header(self) -> str:
        """The field value: ``default-src 'self'; img-src *``."""
        return dump_csp_header(self)

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        directives = " ".join(f"{key}={value!r}" for key, value in sorted(self.items()))
        return f"<{type(self).__name__} {directives}>"


def parse_csp_header(
    value: str | None,
    on_update: Callable[[ContentSecurityPolicy], Any] | None = None,
    cls: type[ContentSecurityPolicy] | None = None,
) -> ContentSecurityPolicy:
    """A CSP value (``name value; name value``) as a ``ContentSecurityPolicy``.

    A directive without a value (no space) is skipped, as in Werkzeug.
    """
    kind = ContentSecurityPolicy if cls is None else cls
    if value is None:
        return kind((), on_update)
    directives = []
    for policy in value.split(";"):
        policy = policy.strip(" \t")
        if " " in policy:
            name, _, text = policy.partition(" ")
            directives.append((name.strip(" \t"), text.strip(" \t")))
    return kind(directives, on_update)


def dump_csp_header(header: Mapping[str, str]) -> str:
    """``name value; name value`` from a CSP mapping."""
    return "; ".join(f"{name} {value}" for name, value in header.items())


# Digest parameters sent as quoted strings even when they are tokens (RFC 7616 §3.3).
_DIGEST_QUOTED = frozenset({"realm", "domain", "nonce", "opaque", "qop"})
# RFC 9110 §11.5: "For historical reasons, a sender MUST only generate the
# quoted-string syntax" for realm, whatever the scheme (Werkzeug quotes it
# for Digest only).
_ALWAYS_QUOTED = frozenset({"realm"})


class WWWAuthenticate:
    """A ``WWW-Authenticate`` challenge (RFC 9110 §11.6.1): a scheme with parameters or a token.

    ``challenge.realm``, ``challenge["realm"]`` and ``challenge.get("realm")``
    read a parameter; setting one (or ``type``, ``token``, ``parameters``)
    calls the response's update, which rewrites the field.
    """

    _own = frozenset({"_type", "_parameters", "_token", "_on_update"})

    def __init__(
        self,
        auth_type: str,
        values: Mapping[str, str | None] | None = None,
        token: str | None = None,
    ) -> None:
        self._type = auth_type.lower()
        self._parameters: dict[str, str | None] = CallbackDict(values, self._notify)
        self._token = token
        self._on_update: Callable[[WWWAuthenticate], Any] | None = None

    def _notify(self, _changed: Any = None) -> None:
        if self._on_update is not None:
            self._on_update(self)

    @property
    def type(self) -> str:
        """The scheme, lower-cased: ``basic``, ``digest``, ``bearer``."""
        return self._type

    @type.setter
    def type(self, value: str) -> None:
        self._type = value
        self._notify()

    @property
    def parameters(self) -> dict[str, str | None]:
        """The auth-params (``realm``...); a token scheme has none."""
        return self._parameters

    @parameters.setter
    def parameters(self, value: Mapping[str, str | None]) -> None:
        self._parameters = CallbackDict(value, self._notify)
        self._notify()

    @property
    def token(self) -> str | None:
        """The token68 of a scheme that has one instead of parameters."""
        return self._token

    @token.setter
    def token(self, value: str | None) -> None:
        self._token = value
        self._notify()

    def __getitem__(self, key: str) -> str | None:
        return self._parameters.get(key)

    def __setitem__(self, key: str, value: str | None) -> None:
        if value is None:
            self._parameters.pop(key, None)
        else:
            self._parameters[key] = value

    def __delitem__(self, key: str) -> None:
        self._parameters.pop(key, None)

    def __getattr__(self, name: str) -> str | None:
        # Only called for names not found normally; dunders (copy, pickle) must fail.
        if name.startswith("__") or "_parameters" not in self.__dict__:
            raise AttributeError(name)
        return self[name]

    def __setattr__(self, name: str, value: Any) -> None:
        if name in self._own or name in type(self).__dict__:
            super().__setattr__(name, value)
        else:
            self[name] = value

    def __delattr__(self, name: str) -> None:
        del self[name]

    def __contains__(self, key: str) -> bool:
        return key in self._parameters

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, WWWAuthenticate):
            return NotImplemented
        return (self.type, self.token, self.parameters) == (
            other.type,
            other.token,
            other.parameters,
        )

    __hash__ = None  # type: ignore[assignment]

    def get(self, key: str, default: str | None = None) -> str | None:
        """A parameter, or ``default``."""
        return self._parameters.get(key, default)

    @classmethod
    def from_header(cls, value: str | None) -> WWWAuthenticate | None:
        """Parse one challenge; ``None`` for an empty value."""
        if not value:
            return None
        scheme, _, rest = value.partition(" ")
        rest = rest.strip(" \t")
        if "=" in rest.rstrip("="):  # an "=" that is not token68 padding: auth-params
            return cls(scheme, parse_dict_header(rest), None)
        return cls(scheme, None, rest)

    def to_header(self) -> str:
        """The field value: ``Basic realm="x"``, ``Bearer abc``, ``Digest realm="r", ...``."""
        scheme = self.type.title()
        if self.token is not None:
            return f"{scheme} {self.token}"
        if not self.parameters:
            return scheme
        quoted = _DIGEST_QUOTED if self.type == "digest" else _ALWAYS_QUOTED
        items = []
        for key, value in self.parameters.items():
            if value is None:
                items.append(key)
            elif key in quoted:
                items.append(f"{key}={quote_header_value(value, allow_token=False)}")
            else:
                items.append(dump_header({key: value}))
        return f"{scheme} {', '.join(items)}"

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_header()}>"
