"""Form bodies: the one place that turns a request body into ``form`` and ``files``.

``FormDataParser.parse`` picks a parser by mimetype from ``parse_functions``
and returns ``(stream, form, files)``. A mimetype without an entry gives an
empty form and leaves the stream unread. To support another type, subclass
and add an entry, then set ``Request.form_data_parser_class``.

- ``application/x-www-form-urlencoded`` is parsed here, whole (the body
  limit is what bounds it).
- ``multipart/form-data`` (RFC 7578) is read in 64 KiB chunks and pushed
  through the ``multipart`` package's ``PushMultipartParser``, which finds
  the boundaries and part headers; this module decides what the parts
  become. A part with a ``filename`` is a file: its bytes go to a stream
  from ``stream_factory`` (by default memory for a small body, a temporary
  file otherwise, see ``default_stream_factory``) and it lands in ``files``
  as a ``FileStorage``. Other parts are text fields, decoded with the part's
  charset (UTF-8 unless it names ASCII or ISO-8859-1). So a body of any size
  is parsed in bounded memory.

Limits answer 413 (``RequestEntityTooLarge``): ``max_content_length`` for
the body, ``max_form_memory_size`` for each text field, ``max_form_parts``
for the number of parts (and the parser's own bounds on part headers: 8
lines of at most 4224 bytes each). A multipart body that does not parse, or
has no valid boundary, answers 400 (``BadRequest``) whatever ``silent``
says: Werkzeug gives an empty form there, which hides a truncated upload
from the view (docs/framework.md says more). An empty body is an empty form.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from io import BytesIO
from math import inf
from tempfile import SpooledTemporaryFile
from typing import IO, Any
from urllib.parse import unquote

from .datastructures import FileStorage, Headers, ImmutableMultiDict, MultiDict
from .exceptions import BadRequest, RequestEntityTooLarge
from .http import parse_options_header
from .urls import URL_QUOTE

__all__ = ["FormDataParser", "default_stream_factory", "parse_urlencoded"]

ParseResult = tuple[IO[bytes], MultiDict, MultiDict]

#: How much of the request's uploaded files may stay in memory (Werkzeug's
#: figure): a file beyond it, and the files that come after it once the
#: request's files reach it, are written to temporary files.
MEMORY_FILE_SIZE = 500 * 1024
#: Bytes read from the body per step of the multipart parser.
MULTIPART_CHUNK_SIZE = 64 * 1024

# RFC 2046 §5.1.1 allows 1 to 70 characters of a small set; accept any run
# of printable ASCII up to 200 (clients are sloppier than the RFC, and
# Werkzeug takes any ASCII), but nothing that could break the delimiter line.
_VALID_BOUNDARY = re.compile(r"[ -~]{0,199}[!-~]")
# The Content-Disposition browsers send, with nothing to unescape: read by
# this one regex. Anything else (escapes, RFC 2231 filename*=, odd spacing)
# goes through parse_options_header, as Werkzeug reads every part.
_PLAIN_DISPOSITION = re.compile(r'form-data; name="([^"\\%]*)"(?:; filename="([^"\\%]*)")?')
# The charsets a text field may declare (Werkzeug's safe list, with the
# aliases Python knows them by): decoding with whatever a client names
# (UTF-7, say) would let it smuggle markup past filters.
_FIELD_CHARSETS = {
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "ascii": "ascii",
    "us-ascii": "ascii",
    "iso-8859-1": "latin-1",
    "latin-1": "latin-1",
    "latin1": "latin-1",
}


def default_stream_factory(
    total_content_length: int | None,
    content_type: str | None,
    filename: str | None,
    content_length: int | None = None,
) -> IO[bytes]:
    """Where an uploaded file's bytes go: memory when small, a temporary file when not.

    A body of at most ``MEMORY_FILE_SIZE`` bytes cannot hold a larger file,
    so its files are ``BytesIO``. Otherwise the file is a
    ``SpooledTemporaryFile`` that moves to disk past ``MEMORY_FILE_SIZE``;
    on Linux the file has no name (``O_TMPFILE``) and is gone once closed
    or once the process dies.
    """
    if total_content_length is not None and total_content_length <= MEMORY_FILE_SIZE:
        return BytesIO()
    return SpooledTemporaryFile(max_size=MEMORY_FILE_SIZE, mode="rb+")  # type: ignore[return-value]


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
    ``max_form_memory_size`` (the largest text field) and ``max_form_parts``
    are for the multipart parser: a url-encoded body is read whole, so the
    body limit is what bounds its memory (as in Werkzeug 3.1.9, which
    stopped applying them there). ``stream_factory`` is called as
    ``default_stream_factory`` is, once per uploaded file. ``silent`` turns
    a ``ValueError`` from a parser into an empty form; a broken multipart
    body is a ``BadRequest`` all the same.
    """

    #: Mimetype -> name of the method that parses it. The one overridable table.
    parse_functions: dict[str, str] = {
        "application/x-www-form-urlencoded": "_parse_urlencoded",
        "multipart/form-data": "_parse_multipart",
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
        self.stream_factory: Callable[..., IO[bytes]] = (
            default_stream_factory if stream_factory is None else stream_factory
        )
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

    def _parse_multipart(
        self,
        stream: IO[bytes],
        mimetype: str,
        content_length: int | None,
        options: dict[str, str],
    ) -> ParseResult:
        read = stream.read
        chunk = read(MULTIPART_CHUNK_SIZE)
        if not chunk:
            # No body at all (a GET that names a form type, say) is an empty
            # form, as for a url-encoded body, not a broken one.
            return stream, self.cls(), self.cls()
        boundary = options.get("boundary", "")
        if _VALID_BOUNDARY.fullmatch(boundary) is None:
            raise BadRequest("The multipart/form-data body has no valid boundary parameter.")
        # Imported on first use: a server running a plain WSGI app never needs it.
        from multipart import (
            MultipartError,
            MultipartSegment,
            ParserLimitReached,
            PushMultipartParser,
        )

        max_parts = self.max_form_parts
        parser = PushMultipartParser(
            boundary, max_segment_count=inf if max_parts is None else max_parts
        )
        parts = _MultipartCollector(self, content_length)
        try:
            while True:
                # An empty chunk tells the parser the body ended: it raises
                # then if the closing boundary never came.
                for event in parser.parse(chunk):
                    if event is None:
                        parts.end()
                    elif event.__class__ is MultipartSegment:
                        parts.start(event)
                    else:
                        parts.write(event)  # type: ignore[arg-type]
                if not chunk:
                    break
                chunk = read(MULTIPART_CHUNK_SIZE)
        except ParserLimitReached as error:
            parts.discard()
            raise RequestEntityTooLarge() from error
        except MultipartError as error:
            parts.discard()
            raise BadRequest(f"The multipart/form-data body is malformed: {error}") from error
        except BaseException:
            parts.discard()
            raise
        return stream, self.cls._from_lists(parts.fields), self.cls._from_lists(parts.files)


class _MultipartCollector:
    """What the parts of one multipart body become: text fields and ``FileStorage`` files.

    Fed the parser's events: ``start`` (a part's headers), ``write`` (its
    bytes, in pieces), ``end``. ``discard`` closes the files after an error.
    """

    __slots__ = (
        "_chunks",
        "_field_limit",
        "_field_size",
        "_file",
        "_filename",
        "_memory_left",
        "_name",
        "_segment",
        "_stream_factory",
        "_total_length",
        "fields",
        "files",
    )

    def __init__(self, parser: FormDataParser, total_length: int | None) -> None:
        self._stream_factory = parser.stream_factory
        self._field_limit = parser.max_form_memory_size
        self._total_length = total_length
        self._memory_left = MEMORY_FILE_SIZE
        self.fields: dict[Any, list[Any]] = {}
        self.files: dict[Any, list[Any]] = {}
        self._name: str | None = None
        self._filename: str | None = None
        self._segment: Any = None
        self._chunks: list[bytes] = []
        self._field_size = 0
        self._file: IO[bytes] | None = None

    def start(self, segment: Any) -> None:
        """A part begins; ``segment`` is the parser's ``MultipartSegment``."""
        for _, value in segment.headerlist:
            # The package lets NUL, and a CR or LF that is not part of a CRLF,
            # into a header value; RFC 9110 §5.5 forbids them there (and
            # FileStorage.headers would refuse them later).
            if "\n" in value or "\r" in value or "\x00" in value:
                raise BadRequest(
                    "The multipart/form-data body has a CR, LF or NUL in a part header."
                )
        # Not the multipart package's name and filename: it skips filename*=
        # and strips Windows paths. Read as every other header is read.
        disposition = segment.header("Content-Disposition")
        plain = _PLAIN_DISPOSITION.fullmatch(disposition)
        if plain is not None:
            self._name, filename = plain.groups()
        else:
            params = parse_options_header(disposition)[1]
            self._name, filename = params.get("name"), params.get("filename")
        self._filename = filename
        self._segment = segment
        if filename is None:
            self._chunks = []
            self._field_size = 0
            self._file = None
            return
        declared = segment.header("Content-Length")
        self._file = self._stream_factory(
            total_content_length=self._total_length,
            content_type=segment.header("Content-Type"),
            filename=filename,
            content_length=int(declared) if declared is not None else 0,
        )

    def write(self, data: bytes) -> None:
        """More bytes of the current part."""
        if self._file is not None:
            self._file.write(data)
            return
        self._field_size += len(data)
        if self._field_limit is not None and self._field_size > self._field_limit:
            raise RequestEntityTooLarge()
        self._chunks.append(data)

    def end(self) -> None:
        """The current part is complete."""
        file = self._file
        if file is None:
            declared = self._segment.charset  # from the part's Content-Type
            charset = _FIELD_CHARSETS.get(declared.lower(), "utf-8") if declared else "utf-8"
            value = b"".join(self._chunks).decode(charset, "replace")
            self._chunks = []
            _append(self.fields, self._name, value)
            return
        self._file = None
        size = file.tell()
        rollover = getattr(file, "rollover", None)
        if rollover is not None:
            # A spooled file moves to disk on its own past its size; this
            # keeps many small files from adding up in memory.
            if size <= self._memory_left:
                self._memory_left -= size
            else:
                rollover()
        file.seek(0)
        headers = Headers(self._segment.headerlist)
        storage = FileStorage(file, self._filename, self._name, headers=headers)
        _append(self.files, self._name, storage)

    def discard(self) -> None:
        """Close every file opened so far (parsing failed: nobody will)."""
        if self._file is not None:
            self._file.close()
            self._file = None
        for storages in self.files.values():
            for storage in storages:
                storage.close()
        self.files = {}


def _append(lists: dict[Any, list[Any]], key: Any, value: Any) -> None:
    values = lists.get(key)
    if values is None:
        lists[key] = [value]
    else:
        values.append(value)
