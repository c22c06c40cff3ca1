"""Form bodies: the one place that turns a request body into ``form`` and ``files``.

``FormDataParser.parse`` picks a parser by mimetype from ``parse_functions``
and returns ``(stream, form, files)``. ``application/x-www-form-urlencoded``
is parsed here. A mimetype without an entry (for now including
``multipart/form-data``, whose parser comes with ``request.files``) gives an
empty form and leaves the stream unread. To support another type, subclass
and add an entry, then set ``Request.form_data_parser_class``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import IO
from urllib.parse import unquote

from .datastructures import ImmutableMultiDict, MultiDict
from .exceptions import RequestEntityTooLarge
from .urls import URL_QUOTE

__all__ = ["FormDataParser", "parse_urlencoded"]

ParseResult = tuple[IO[bytes], MultiDict, MultiDict]


def parse_urlencoded(data: bytes, cls: type[MultiDict] = MultiDict) -> MultiDict:
    """The fields of a query string or url-encoded body, in order.

    As ``urllib.parse.parse_qsl(keep_blank_values=True)`` (the WHATWG
    ``application/x-www-form-urlencoded`` rules): fields split on ``&``, a
    field without ``=`` has the empty value, ``+`` is a space, escapes are
    UTF-8. Bytes that are not UTF-8 (raw or escaped) are kept as ``%XX``
    rather than failing: a mangled field must not lose its neighbours.
    """
    if not data:
        return cls()
    text = data.decode("utf-8", URL_QUOTE)
    fields: dict[str, list[str]] = {}
    for field in text.split("&"):
        if not field:
            continue
        name, _, value = field.partition("=")
        if "+" in name:
            name = name.replace("+", " ")
        if "%" in name:
            name = unquote(name, errors=URL_QUOTE)
        if "+" in value:
            value = value.replace("+", " ")
        if "%" in value:
            value = unquote(value, errors=URL_QUOTE)
        if name in fields:
            fields[name].append(value)
        else:
            fields[name] = [value]
    return cls._from_lists(fields)


class FormDataParser:
    """Parse a form body; ``Request.make_form_data_parser`` builds one per request.

    ``max_content_length`` is checked against the announced length before
    anything is read (the stream enforces it while reading as well).
    ``max_form_memory_size`` and ``max_form_parts`` are for the multipart
    parser: a url-encoded body is read whole, so the body limit is what
    bounds its memory (as in Werkzeug 3.1.9, which stopped applying them here).
    ``silent`` turns a ``ValueError`` from a parser into an empty form.
    """

    #: Mimetype -> name of the method that parses it. The one overridable table.
    parse_functions: dict[str, str] = {
        "application/x-www-form-urlencoded": "_parse_urlencoded",
    }

    def __init__(
        self,
        stream_factory: Callable[..., IO[bytes]] | None = None,
        max_form_memory_size: int | None = None,
        max_content_length: int | None = None,
        cls: type[MultiDict] | None = None,
        silent: bool = True,
        *,
        max_form_parts: int | None = None,
    ) -> None:
        self.stream_factory = stream_factory
        self.max_form_memory_size = max_form_memory_size
        self.max_content_length = max_content_length
        self.max_form_parts = max_form_parts
        self.cls: type[MultiDict] = ImmutableMultiDict if cls is None else cls
        self.silent = silent

    def get_parse_func(
        self, mimetype: str, options: dict[str, str]
    ) -> Callable[[IO[bytes], str, int | None, dict[str, str]], ParseResult] | None:
        """The bound parser for ``mimetype``, or ``None`` when it is not a form type."""
        name = self.parse_functions.get(mimetype)
        return None if name is None else getattr(self, name)  # type: ignore[no-any-return]

    def parse(
        self,
        stream: IO[bytes],
        mimetype: str,
        content_length: int | None,
        options: dict[str, str] | None = None,
    ) -> ParseResult:
        """``(stream, form, files)`` for a body of ``mimetype``."""
        if (
            self.max_content_length is not None
            and content_length is not None
            and content_length > self.max_content_length
        ):
            raise RequestEntityTooLarge()
        options = {} if options is None else options
        parse_func = self.get_parse_func(mimetype, options)
        if parse_func is not None:
            try:
                return parse_func(stream, mimetype, content_length, options)
            except ValueError:
                if not self.silent:
                    raise
        return stream, self.cls(), self.cls()

    def _parse_urlencoded(
        self,
        stream: IO[bytes],
        mimetype: str,
        content_length: int | None,
        options: dict[str, str],
    ) -> ParseResult:
        return stream, parse_urlencoded(stream.read(), self.cls), self.cls()
