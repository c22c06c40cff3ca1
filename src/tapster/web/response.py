"""``Response``: status, header fields and body, and itself a WSGI application.

The body (``response``) is bytes, a string, a list of them, or any iterable
(a generator streams). Called as a WSGI application, a response:

- adds ``Content-Length`` for a list or tuple body that lacks one;
- sends no body to a HEAD request, nor with a 1xx, 204 or 304 status
  (RFC 9110 §9.3.2, §15.2, §15.3.5, §15.4.5), keeping the other fields;
- streams any other iterable chunk by chunk, encoding ``str`` as UTF-8;
- returns an iterable whose ``close()`` closes the body and runs the
  ``call_on_close`` callbacks, or the body list itself when nothing needs
  closing, which keeps the common small response cheap.

Header fields with structure are read as values (``cache_control``,
``vary``, ``content_range``, ``www_authenticate``...), built only when read;
the mutable ones write their field back when changed. ``make_conditional``
answers conditional and range requests (see ``conditional.py``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta, timezone
from http import HTTPStatus
from typing import Any
from urllib.parse import urljoin

from .cache_control import ResponseCacheControl, dump_age, parse_age, parse_cache_control_header
from .conditional import preconditions_of, select_byte_range
from .datastructures import CallbackDict, Headers, _header_field
from .exceptions import STATUS_PHRASES
from .globals import _cv_app
from .header_values import (
    ContentSecurityPolicy,
    HeaderSet,
    WWWAuthenticate,
    parse_csp_header,
    parse_set_header,
)
from .http import (
    dump_cookie,
    dump_header,
    dump_options_header,
    generate_etag,
    get_content_type,
    http_date,
    parse_date,
    parse_options_header,
    quote_etag,
    remove_entity_headers,
    unquote_etag,
)
from .ranges import ContentRange, parse_content_range_header
from .urls import iri_to_uri
from .utils import header_property

__all__ = ["ClosingIterator", "Response", "ResponseStream", "run_wsgi_app"]

# "404 NOT FOUND": Werkzeug upper-cases the phrase, and ported tests compare it.
_STATUS_LINES = {code: f"{code} {phrase.upper()}" for code, phrase in STATUS_PHRASES.items()}


def _status_line(code: int) -> str:
    line = _STATUS_LINES.get(code)
    return f"{code} UNKNOWN" if line is None else line


_content_types: dict[str, str] = {}


def _content_type_for(mimetype: str) -> str:
    """The checked ``Content-Type`` for a mimetype, remembered for the common few."""
    content_type = _content_types.get(mimetype)
    if content_type is None:
        content_type = _header_field("Content-Type", get_content_type(mimetype, "utf-8"))[1]
        if len(_content_types) < 256:  # bounded: mimetypes might come from input
            _content_types[mimetype] = content_type
    return content_type


def _iter_encoded(iterable: Iterable[str | bytes]) -> Iterator[bytes]:
    for item in iterable:
        yield item.encode() if isinstance(item, str) else item


class ClosingIterator:
    """Iterate ``iterable``; ``close()`` closes it (if it can be) then calls ``callbacks``.

    Every callback runs even if one fails; the first error is raised after.
    """

    __slots__ = ("_callbacks", "_next")

    def __init__(
        self,
        iterable: Iterable[bytes],
        callbacks: Callable[[], Any] | Iterable[Callable[[], Any]] | None = None,
    ) -> None:
        self._next = iter(iterable).__next__
        if callbacks is None:
            callbacks = []
        elif callable(callbacks):
            callbacks = [callbacks]
        else:
            callbacks = list(callbacks)
        close = getattr(iterable, "close", None)
        if close is not None:
            callbacks.insert(0, close)
        self._callbacks = callbacks

    def __iter__(self) -> ClosingIterator:
        return self

    def __next__(self) -> bytes:
        return self._next()

    def close(self) -> None:
        """Run the close callbacks."""
        error: BaseException | None = None
        for callback in self._callbacks:
            try:
                callback()
            except BaseException as exc:  # run the others, then report the first
                if error is None:
                    error = exc
        if error is not None:
            raise error


def run_wsgi_app(
    app: Callable[..., Iterable[bytes]], environ: dict[str, Any], buffered: bool = False
) -> tuple[Iterable[bytes], str, Headers]:
    """Call a WSGI application as a server would; ``(body iterable, status, Headers)``.

    Handles applications that call ``write()`` (its output keeps its place
    among the chunks) or only call ``start_response`` once their iterable
    is running. ``buffered`` reads the whole body at once and closes the
    iterable before returning; otherwise the body is read as it is
    iterated, and the iterable's ``close()`` is called once, when the body
    ends or its ``close()`` is called, whichever comes first. The test
    client and ``Response.from_app`` both run applications through this.

    ``start_response`` with ``exc_info`` re-raises that exception, as
    Werkzeug's does: in a test or a ``from_app``, the application's error is
    the news (PEP 3333 lets a server send a new status instead while no
    body has gone out).
    """
    environ = dict(environ)
    started: list[Any] = []
    written: list[bytes] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        if exc_info is not None:
            try:
                raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None
        if started:
            raise RuntimeError("start_response() called a second time without exc_info")
        started[:] = [status, headers]
        return written.append

    returned = app(environ, start_response)
    close = getattr(returned, "close", None)
    body = _AppBody(written, iter(returned), close)
    try:
        if buffered:
            chunks = list(body)  # write() calls and yielded chunks, in the order they came
        else:
            # Run the iterable until the application has started the response.
            while not started and body.read_ahead():
                pass
        if not started:
            raise RuntimeError("the WSGI application did not call start_response")
    except BaseException:
        body.close()
        raise
    status, headers = started
    return (chunks if buffered else body), status, Headers(headers)


class _AppBody:
    """An application's body: ``write()`` output in place, and its ``close()`` called once."""

    __slots__ = ("_close", "_iterator", "_pending")

    def __init__(
        self, pending: list[bytes], iterator: Iterator[bytes], close: Callable[[], Any] | None
    ) -> None:
        self._pending = pending  # what write() sent, and chunks read ahead, in order
        self._iterator = iterator
        self._close = close

    def read_ahead(self) -> bool:
        """Read one chunk from the application into the pending ones; False at the end."""
        try:
            chunk = next(self._iterator)
        except StopIteration:
            self.close()
            return False
        except BaseException:  # the application failed: it is closed all the same
            self.close()
            raise
        self._pending.append(chunk)  # after whatever write() sent while it was made
        return True

    def __iter__(self) -> _AppBody:
        return self

    def __next__(self) -> bytes:
        if not self._pending and not self.read_ahead() and not self._pending:
            raise StopIteration
        return self._pending.pop(0)

    def close(self) -> None:
        """Call the application iterable's ``close()``, the first time only."""
        close, self._close = self._close, None
        self._iterator = iter(())
        if close is not None:
            close()


class _WriteBackField:
    """A field read as a value object (``HeaderSet``, ``ContentSecurityPolicy``) that
    writes itself back into the headers when changed.

    ``parse(text, on_update)`` makes the object; ``dump(value)`` turns an
    assigned non-string value into the field's text. Assigning a string sets
    the field as it is; anything empty (or ``None``) removes the field.
    """

    def __init__(
        self, name: str, parse: Callable[..., Any], dump: Callable[[Any], str], doc: str
    ) -> None:
        self.name = name
        self.parse = parse
        self.dump = dump
        self.__doc__ = doc

    def __get__(self, response: Any, owner: type | None = None) -> Any:
        if response is None:
            return self
        name = self.name

        def on_update(value: Any) -> None:
            if value:
                response.headers[name] = value.to_header()
            else:
                response.headers.remove(name)

        return self.parse(response.headers.get(name), on_update)

    def __set__(self, response: Any, value: Any) -> None:
        if not value:
            response.headers.remove(self.name)
        else:
            response.headers[self.name] = value if isinstance(value, str) else self.dump(value)


def _dump_list(value: str | Iterable[str]) -> str:
    """A list field's value from names, or a string kept as it is (Werkzeug would split it)."""
    return value if isinstance(value, str) else dump_header(value)


def _set_field(name: str, doc: str) -> _WriteBackField:
    """A list field (``Vary``, ``Allow``...) as a ``HeaderSet``; an iterable assigned is joined."""
    return _WriteBackField(name, parse_set_header, dump_header, doc)


def _policy_field(name: str, doc: str) -> _WriteBackField:
    """A CSP field as a ``ContentSecurityPolicy``."""
    return _WriteBackField(name, parse_csp_header, ContentSecurityPolicy.to_header, doc)


def _range_of(chunks: Iterable[bytes], start: int, stop: int) -> Iterator[bytes]:
    """Bytes ``start`` to ``stop`` of a body given in ``chunks``, read no further than needed."""
    position = 0
    for chunk in chunks:
        end = position + len(chunk)
        if end > start:
            yield chunk[max(start - position, 0) : stop - position]
        position = end
        if position >= stop:
            break


class ResponseStream:
    """A write-only file over a response's body (``response.stream``): each write appends.

    Writing turns the body into a list and drops ``Content-Length``, which
    is worked out again when the response is sent.
    """

    mode = "wb+"

    def __init__(self, response: Response) -> None:
        self.response = response
        self.closed = False

    def _check_open(self) -> None:
        if self.closed:
            raise ValueError("I/O operation on closed file")

    def write(self, value: bytes | str) -> int:
        """Append ``value`` (``str`` is encoded when sent) to the body; its length."""
        self._check_open()
        self.response._ensure_sequence(mutable=True)
        self.response.response.append(value)  # type: ignore[union-attr]
        self.response.headers.remove("Content-Length")
        return len(value)

    def writelines(self, lines: Iterable[bytes | str]) -> None:
        """``write`` each item."""
        for line in lines:
            self.write(line)

    def tell(self) -> int:
        """The length of the body so far, in bytes."""
        self.response._ensure_sequence()
        return sum(len(chunk) for chunk in self.response.iter_encoded())

    def flush(self) -> None:
        """Nothing to flush: the body is in memory (``ValueError`` once closed)."""
        self._check_open()

    def isatty(self) -> bool:
        """Always false."""
        self._check_open()
        return False

    def close(self) -> None:
        """Refuse further writes."""
        self.closed = True

    @property
    def encoding(self) -> str:
        """The encoding of ``str`` writes: UTF-8."""
        return "utf-8"


class Response:
    """An HTTP response. ``Response("hello", 404, {"X-A": "b"}, mimetype="text/plain")``.

    ``status`` is the status line (``"404 NOT FOUND"``) and ``status_code`` the
    number; setting either updates both. Without ``content_type`` or a
    ``Content-Type`` in ``headers``, ``mimetype`` (default ``text/html``)
    gives one, with ``; charset=utf-8`` for text types. A ``str`` or bytes
    body sets ``Content-Length``.
    """

    #: The status when none is given.
    default_status = 200
    #: The mimetype when none is given.
    default_mimetype: str | None = "text/html"
    #: Whether reading ``data`` may turn a streamed body into a list.
    implicit_sequence_conversion = True
    #: Whether a relative ``Location`` is made absolute (RFC 9110 allows relative).
    autocorrect_location_header = False
    #: Whether ``Content-Length`` is added when the body's length is known.
    automatically_set_content_length = True
    #: Where ``get_json`` finds ``loads``.
    json_module: Any = json
    # Whether __init__ may inline set_data and the status setter (see __init_subclass__).
    _plain_set_data = True
    _plain_status = True

    response: Iterable[bytes] | Iterable[str]
    headers: Headers

    def __init__(
        self,
        response: Iterable[bytes] | bytes | Iterable[str] | str | None = None,
        status: int | str | HTTPStatus | None = None,
        headers: Any = None,
        mimetype: str | None = None,
        content_type: str | None = None,
        direct_passthrough: bool = False,
    ) -> None:
        fresh = False
        if isinstance(headers, Headers):
            self.headers = headers
        elif not headers:
            self.headers = Headers()
            fresh = True  # known empty: fields can be appended without a search
        else:
            self.headers = Headers(headers)
        fields = self.headers._list
        if content_type is None:
            if mimetype is None and (fresh or "content-type" not in self.headers):
                mimetype = self.default_mimetype
            if mimetype is not None:
                content_type = _content_type_for(mimetype)
                if fresh:
                    fields.append(("Content-Type", content_type))
                else:
                    self.headers["Content-Type"] = content_type
        elif fresh:
            fields.append(_header_field("Content-Type", content_type))
        else:
            self.headers["Content-Type"] = content_type

        if status is None:
            status = self.default_status
        if status.__class__ is int and self._plain_status:
            self._status_code = status  # type: ignore[assignment]
            self._status = _status_line(status)  # type: ignore[arg-type]
        else:
            self.status = status
        self.direct_passthrough = direct_passthrough
        self._on_close: list[Callable[[], Any]] = []
        if response is None:
            self.response = []
        elif isinstance(response, (str, bytes, bytearray)):
            if fresh and self._plain_set_data and self.automatically_set_content_length:
                # set_data() inlined: no Content-Length can be there yet.
                data = response.encode() if isinstance(response, str) else response
                self.response = [data]
                fields.append(("Content-Length", str(len(data))))
            else:
                self.set_data(response)
        else:
            self.response = response

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # What __init__ inlines is only right if the subclass kept ours.
        cls._plain_set_data = cls.set_data is Response.set_data
        cls._plain_status = cls.status is Response.status

    def __repr__(self) -> str:
        if self.is_sequence:
            body = f"{sum(map(len, self.iter_encoded()))} bytes"
        else:
            body = "streamed" if self.is_streamed else "likely-streamed"
        return f"<{type(self).__name__} {body} [{self.status}]>"

    # ---------------------------------------------------------------- status

    @property
    def status(self) -> str:
        """The status line: ``"200 OK"``, ``"404 NOT FOUND"``, ``"299 UNKNOWN"``."""
        return self._status

    @status.setter
    def status(self, value: int | str | HTTPStatus) -> None:
        if isinstance(value, int):  # HTTPStatus is an int too
            code = int(value)
            self._status, self._status_code = _status_line(code), code
            return
        if not isinstance(value, str):
            raise TypeError(f"status must be an int or a str, not {type(value).__name__}")
        value = value.strip()
        if not value:
            raise ValueError("Empty status argument")
        if "\n" in value or "\r" in value or "\x00" in value:
            # The status line would end early: response splitting (RFC 9112 §4).
            raise ValueError("The status must not contain CR, LF or NUL characters.")
        code_text, space, _reason = value.partition(" ")
        try:
            code = int(code_text)
        except ValueError:
            # A reason phrase alone: Werkzeug sends it with code 0.
            self._status, self._status_code = f"0 {value}", 0
            return
        # "418 I'm a teapot" is kept as written; a bare "418" gets the phrase.
        self._status = value if space else _status_line(code)
        self._status_code = code

    @property
    def status_code(self) -> int:
        """The status code as a number."""
        return self._status_code

    @status_code.setter
    def status_code(self, code: int) -> None:
        self.status = code

    # ------------------------------------------------------------------ body

    def get_data(self, as_text: bool = False) -> Any:
        """The whole body as bytes (``as_text``: UTF-8 text); a streamed body is read in."""
        self._ensure_sequence()
        data = b"".join(self.iter_encoded())
        return data.decode() if as_text else data

    def set_data(self, value: bytes | str) -> None:
        """Make ``value`` the body (``str`` encoded as UTF-8) and set ``Content-Length``."""
        if isinstance(value, str):
            value = value.encode()
        self.response = [value]
        if self.automatically_set_content_length:
            self.headers["Content-Length"] = str(len(value))

    data = property(get_data, set_data, doc="The body: ``get_data()`` and ``set_data()``.")

    @property
    def is_sequence(self) -> bool:
        """Whether the body is a list or tuple (its length is known)."""
        return isinstance(self.response, (list, tuple))

    @property
    def is_streamed(self) -> bool:
        """Whether the body has no length (a generator or other iterator)."""
        try:
            len(self.response)  # type: ignore[arg-type]
        except (TypeError, AttributeError):
            return True
        return False

    def iter_encoded(self) -> Iterator[bytes]:
        """The body chunks as bytes."""
        return _iter_encoded(self.response)

    def calculate_content_length(self) -> int | None:
        """The body length, or ``None`` if it cannot be known without streaming."""
        try:
            self._ensure_sequence()
        except RuntimeError:
            return None
        return sum(len(chunk) for chunk in self.iter_encoded())

    def make_sequence(self) -> None:
        """Read a streamed body into a list of bytes (closing it at ``close()``)."""
        if not self.is_sequence:
            close = getattr(self.response, "close", None)
            self.response = list(self.iter_encoded())
            if close is not None:
                self.call_on_close(close)

    def _ensure_sequence(self, mutable: bool = False) -> None:
        if self.is_sequence:
            if mutable and not isinstance(self.response, list):
                self.response = list(self.response)
            return
        if self.direct_passthrough:
            raise RuntimeError(
                "Attempted implicit sequence conversion but the response object is in"
                " direct passthrough mode."
            )
        if not self.implicit_sequence_conversion:
            raise RuntimeError(
                "The response object required the iterable to be a sequence, but the"
                " implicit conversion was disabled. Call make_sequence() yourself."
            )
        self.make_sequence()

    def freeze(self) -> None:
        """Read the body into a list, and set ``Content-Length`` and an ``ETag``."""
        self.response = list(self.iter_encoded())
        self.headers["Content-Length"] = str(sum(map(len, self.response)))
        self.add_etag()

    # -------------------------------------------------------- header fields

    content_type = header_property[str]("Content-Type", doc="The ``Content-Type`` field.")
    content_length = header_property[int](
        "Content-Length", None, int, str, doc="The ``Content-Length`` field, as an int."
    )
    content_encoding = header_property[str](
        "Content-Encoding", doc="The ``Content-Encoding`` field (``gzip``...)."
    )
    content_location = header_property[str](
        "Content-Location", doc="The ``Content-Location`` field."
    )
    location = header_property[str](
        "Location", doc="The ``Location`` field: where a redirect or a new resource is."
    )
    date = header_property[Any](
        "Date", None, parse_date, http_date, doc="The ``Date`` field, as a datetime."
    )
    expires = header_property[Any](
        "Expires", None, parse_date, http_date, doc="The ``Expires`` field, as a datetime."
    )
    last_modified = header_property[Any](
        "Last-Modified", None, parse_date, http_date, doc="The ``Last-Modified`` field."
    )

    @property
    def mimetype(self) -> str | None:
        """The media type of ``Content-Type``, without parameters."""
        content_type = self.headers.get("content-type")
        if content_type:
            return content_type.partition(";")[0].strip()  # type: ignore[no-any-return]
        return None

    @mimetype.setter
    def mimetype(self, value: str) -> None:
        self.headers["Content-Type"] = get_content_type(value, "utf-8")

    @property
    def mimetype_params(self) -> dict[str, str]:
        """The ``Content-Type`` parameters; changing the dict rewrites the field."""

        def on_update(params: dict[str, str]) -> None:
            self.headers["Content-Type"] = dump_options_header(self.mimetype, params)

        params = parse_options_header(self.headers.get("content-type", ""))[1]
        return CallbackDict(params, on_update)

    @property
    def is_json(self) -> bool:
        """Whether the body is JSON: ``application/json`` or ``application/*+json``."""
        mimetype = self.mimetype
        return mimetype is not None and (
            mimetype == "application/json"
            or (mimetype.startswith("application/") and mimetype.endswith("+json"))
        )

    @property
    def json(self) -> Any:
        """The body parsed as JSON, or ``None`` if the mimetype is not JSON."""
        return self.get_json()

    def get_json(self, force: bool = False, silent: bool = False) -> Any:
        """The body parsed as JSON (``force``: whatever the mimetype).

        ``None`` when the mimetype is not JSON; a body that is not JSON raises
        ``ValueError`` unless ``silent``. Meant for tests of an application.
        """
        if not (force or self.is_json):
            return None
        try:
            return self.json_module.loads(self.get_data())
        except ValueError:
            if not silent:
                raise
            return None

    def get_etag(self) -> tuple[str | None, bool | None]:
        """``(etag, is_weak)`` from the ``ETag`` field, ``(None, None)`` without one."""
        return unquote_etag(self.headers.get("ETag"))

    def set_etag(self, etag: str, weak: bool = False) -> None:
        """Set the ``ETag`` field to ``etag`` (quoted; ``W/`` when weak)."""
        self.headers["ETag"] = quote_etag(etag, weak)

    def add_etag(self, overwrite: bool = False, weak: bool = False) -> None:
        """Set an ``ETag`` from a hash of the body, unless one is set (or ``overwrite``)."""
        if overwrite or "etag" not in self.headers:
            self.set_etag(generate_etag(self.get_data()), weak)

    # ------------------------------------- caching and representation fields

    age = header_property[timedelta](
        "Age",
        None,
        parse_age,
        dump_age,  # type: ignore[arg-type]
        doc="The ``Age`` field (RFC 9111 §5.1): seconds since the origin made it, a timedelta.",
    )
    content_md5 = header_property[str](
        "Content-MD5", doc="The ``Content-MD5`` field (RFC 1864, obsolete)."
    )
    accept_ranges = header_property[str](
        "Accept-Ranges", doc="The ``Accept-Ranges`` field: ``bytes`` or ``none``."
    )
    vary = _set_field(
        "Vary", "The ``Vary`` field as a ``HeaderSet``; changing it rewrites the field."
    )
    allow = _set_field(
        "Allow", "The ``Allow`` field (the methods a 405 offers) as a ``HeaderSet``."
    )
    content_language = _set_field(
        "Content-Language", "The ``Content-Language`` field as a ``HeaderSet``."
    )

    @property
    def cache_control(self) -> ResponseCacheControl:
        """The ``Cache-Control`` directives; setting one rewrites the field.

        ``response.cache_control.max_age = 60`` gives ``Cache-Control: max-age=60``;
        removing the last directive removes the field.
        """
        def on_update(cache_control: ResponseCacheControl) -> None:
            if cache_control:
                self.headers["Cache-Control"] = cache_control.to_header()
            else:
                self.headers.remove("Cache-Control")

        return parse_cache_control_header(  # type: ignore[no-any-return]
            self.headers.get("Cache-Control"), on_update, ResponseCacheControl
        )

    @property
    def retry_after(self) -> datetime | None:
        """The ``Retry-After`` field as an aware datetime (a number of seconds counts from now).

        Set a datetime, or a number of seconds, which is sent as it is.
        """
        value = self.headers.get("Retry-After")
        if value is None:
            return None
        if value.isascii() and value.isdigit():  # delay-seconds = 1*DIGIT (RFC 9110 §10.2.3)
            return datetime.now(timezone.utc) + timedelta(seconds=int(value))
        return parse_date(value)

    @retry_after.setter
    def retry_after(self, value: datetime | int | str | None) -> None:
        if value is None:
            self.headers.remove("Retry-After")
        elif isinstance(value, datetime):
            self.headers["Retry-After"] = http_date(value)
        else:
            self.headers["Retry-After"] = str(value)

    @property
    def content_range(self) -> ContentRange:
        """The ``Content-Range`` field as a ``ContentRange`` (empty if absent); writes back."""
        def on_update(content_range: ContentRange) -> None:
            if content_range:
                self.headers["Content-Range"] = content_range.to_header()
            else:
                self.headers.remove("Content-Range")

        parsed = parse_content_range_header(self.headers.get("Content-Range"), on_update)
        if parsed is None:
            parsed = ContentRange(None, None, None, on_update=on_update)
        return parsed

    @content_range.setter
    def content_range(self, value: ContentRange | str | None) -> None:
        if not value:
            self.headers.remove("Content-Range")
        else:
            self.headers["Content-Range"] = value if isinstance(value, str) else value.to_header()

    # ---------------------------------------------------- security fields

    @property
    def www_authenticate(self) -> WWWAuthenticate:
        """The ``WWW-Authenticate`` challenge (a ``basic`` one if absent); changes write back.

        Assign a ``WWWAuthenticate`` to set the field, a list of them to send
        several challenges, ``None`` (or ``del``) to remove it.
        """
        challenge = WWWAuthenticate.from_header(self.headers.get("WWW-Authenticate"))
        if challenge is None:
            challenge = WWWAuthenticate("basic")
        self._follow_challenge(challenge)
        return challenge

    def _follow_challenge(self, challenge: WWWAuthenticate) -> None:
        def on_update(changed: WWWAuthenticate) -> None:
            self.headers.set("WWW-Authenticate", changed.to_header())

        challenge._on_update = on_update

    @www_authenticate.setter
    def www_authenticate(self, value: WWWAuthenticate | list[WWWAuthenticate] | None) -> None:
        if not value:
            self.headers.remove("WWW-Authenticate")
        elif isinstance(value, list):
            # Later changes to the items are not followed: which field would they rewrite?
            self.headers.set("WWW-Authenticate", value[0].to_header())
            for challenge in value[1:]:
                self.headers.add("WWW-Authenticate", challenge.to_header())
        else:
            self.headers.set("WWW-Authenticate", value.to_header())
            self._follow_challenge(value)

    @www_authenticate.deleter
    def www_authenticate(self) -> None:
        self.headers.remove("WWW-Authenticate")

    content_security_policy = _policy_field(
        "Content-Security-Policy",
        "The ``Content-Security-Policy`` field as a ``ContentSecurityPolicy``; writes back.",
    )
    content_security_policy_report_only = _policy_field(
        "Content-Security-Policy-Report-Only",
        "The ``Content-Security-Policy-Report-Only`` field: a policy reported, not enforced.",
    )

    # --------------------------------------------------------------- CORS

    @property
    def access_control_allow_credentials(self) -> bool:
        """Whether ``Access-Control-Allow-Credentials`` is sent (as ``true``)."""
        return "Access-Control-Allow-Credentials" in self.headers

    @access_control_allow_credentials.setter
    def access_control_allow_credentials(self, value: bool | None) -> None:
        if value is True:
            self.headers["Access-Control-Allow-Credentials"] = "true"
        else:
            self.headers.remove("Access-Control-Allow-Credentials")

    access_control_allow_headers = header_property[HeaderSet](
        "Access-Control-Allow-Headers",
        None,
        parse_set_header,
        _dump_list,
        doc="The fields a cross-origin request may send.",
    )
    access_control_allow_methods = header_property[HeaderSet](
        "Access-Control-Allow-Methods",
        None,
        parse_set_header,
        _dump_list,
        doc="The methods a cross-origin request may use.",
    )
    access_control_allow_origin = header_property[str](
        "Access-Control-Allow-Origin",
        doc="The origin (or ``*``) that may read the response cross-origin.",
    )
    access_control_expose_headers = header_property[HeaderSet](
        "Access-Control-Expose-Headers",
        None,
        parse_set_header,
        _dump_list,
        doc="The fields a cross-origin script may read.",
    )
    access_control_max_age = header_property[int](
        "Access-Control-Max-Age",
        None,
        int,
        str,
        doc="How long (seconds) a preflight's answer may be cached.",
    )

    # ------------------------------------------------ conditional requests

    def make_conditional(
        self,
        request_or_environ: Any,
        accept_ranges: bool | str = False,
        complete_length: int | None = None,
    ) -> Response:
        """Answer the request's preconditions and ``Range`` (RFC 9110 §13.2.2, §14); ``self``.

        Only for GET and HEAD. Adds ``Date``; a failed ``If-Match`` or
        ``If-Unmodified-Since`` makes a 412 (with no body), a matching
        ``If-None-Match`` or unchanged ``If-Modified-Since`` a 304. Then, with
        ``accept_ranges`` (``True`` is ``bytes``; the value is sent as
        ``Accept-Ranges``), a single byte range gives a 206 with that part of
        the body and ``Content-Range``, and a range past the end raises
        ``RequestedRangeNotSatisfiable`` (416). ``complete_length`` is the
        body's length; for a list body it is counted when not given. Set the
        ``ETag`` (``add_etag``) and ``Last-Modified`` first: they are the
        validators compared. See ``conditional.py`` for where this differs
        from Werkzeug.
        """
        environ = getattr(request_or_environ, "environ", request_or_environ)
        method = environ.get("REQUEST_METHOD", "GET")
        if method not in ("GET", "HEAD"):
            return self
        headers = self.headers
        if "date" not in headers:
            headers["Date"] = http_date()
        if accept_ranges:
            headers["Accept-Ranges"] = "bytes" if accept_ranges is True else accept_ranges
        etag = headers.get("ETag")
        last_modified = parse_date(headers.get("Last-Modified"))
        status = preconditions_of(environ, etag, last_modified)
        if status == 412:
            # The body is the representation the precondition was about: not sent.
            self._drop_body()
            headers["Content-Length"] = "0"
            self.status_code = 412
        elif status == 304:
            self.status_code = 304
        elif accept_ranges and "HTTP_RANGE" in environ:
            if complete_length is None and self.is_sequence:
                complete_length = self.calculate_content_length()
            selected = select_byte_range(
                environ["HTTP_RANGE"],
                environ.get("HTTP_IF_RANGE"),
                complete_length,
                etag,
                last_modified,
            )
            if selected is not None:
                start, stop = selected
                if self.is_sequence:
                    self.response = [self.get_data()[start:stop]]
                else:
                    chunks = self.iter_encoded()
                    self._drop_body()  # closed with the response, after the part is sent
                    self.response = _range_of(chunks, start, stop)
                headers["Content-Length"] = str(stop - start)
                headers["Content-Range"] = f"bytes {start}-{stop - 1}/{complete_length}"
                self.status_code = 206
        # A 304 sends no body and drops the length anyway (RFC 9110 §15.4.5): reading a
        # streamed body to count it would be wasted (Werkzeug reads it).
        if (
            status != 304
            and self.automatically_set_content_length
            and "content-length" not in headers
        ):
            length = self.calculate_content_length()
            if length is not None:
                headers["Content-Length"] = str(length)
        return self

    def _drop_body(self) -> None:
        """Replace the body by nothing, closing the old one when the response closes."""
        close = getattr(self.response, "close", None)
        if close is not None:
            self.call_on_close(close)
        self.response = []

    @property
    def stream(self) -> ResponseStream:
        """A file to ``write`` the body into (``tell``, ``writelines``, ``close``)."""
        return ResponseStream(self)

    # ---------------------------------------------------------------- cookies

    @property
    def max_cookie_size(self) -> int:
        """``Set-Cookie`` values longer than this warn: browsers may drop them (0: no check).

        The current app's ``MAX_COOKIE_SIZE`` setting, else 4093.
        """
        context = _cv_app.get(None)
        if context is not None:
            config = getattr(context.app, "config", None)
            if config is not None and "MAX_COOKIE_SIZE" in config:
                return config["MAX_COOKIE_SIZE"]  # type: ignore[no-any-return]
        return 4093

    def set_cookie(
        self,
        key: str,
        value: str = "",
        max_age: Any = None,
        expires: Any = None,
        path: str | None = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: str | None = None,
        partitioned: bool = False,
    ) -> None:
        """Add a ``Set-Cookie`` field (see ``http.dump_cookie`` for the arguments)."""
        self.headers.add(
            "Set-Cookie",
            dump_cookie(
                key,
                value=value,
                max_age=max_age,
                expires=expires,
                path=path,
                domain=domain,
                secure=secure,
                httponly=httponly,
                max_size=self.max_cookie_size,
                samesite=samesite,
                partitioned=partitioned,
            ),
        )

    def delete_cookie(
        self,
        key: str,
        path: str | None = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: str | None = None,
        partitioned: bool = False,
    ) -> None:
        """Tell the client to drop a cookie: same name, path and domain, expired now."""
        self.set_cookie(
            key,
            expires=0,
            max_age=0,
            path=path,
            domain=domain,
            secure=secure,
            httponly=httponly,
            samesite=samesite,
            partitioned=partitioned,
        )

    # -------------------------------------------------------------- lifetime

    def call_on_close(self, func: Callable[[], Any]) -> Callable[[], Any]:
        """Call ``func`` when the response is closed (after it is sent); usable as a decorator."""
        self._on_close.append(func)
        return func

    def close(self) -> None:
        """Close the body if it can be, then run the ``call_on_close`` callbacks."""
        close = getattr(self.response, "close", None)
        if close is not None:
            close()
        for func in self._on_close:
            func()

    def __enter__(self) -> Response:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ------------------------------------------------------------------ WSGI

    @classmethod
    def force_type(cls, response: Any, environ: dict[str, Any] | None = None) -> Response:
        """Make ``response`` an instance of this class, in place when it is a Response.

        Any other WSGI application is run against ``environ`` and its output
        wrapped (which needs an ``environ``: ``TypeError`` without one).
        """
        if not isinstance(response, Response):
            if environ is None:
                raise TypeError(
                    "cannot convert WSGI application into response objects without an environ"
                )
            response = Response(*run_wsgi_app(response, environ))
        response.__class__ = cls
        return response

    @classmethod
    def from_app(
        cls, app: Callable[..., Iterable[bytes]], environ: dict[str, Any], buffered: bool = False
    ) -> Response:
        """The response a WSGI application gives for ``environ``."""
        return cls(*run_wsgi_app(app, environ, buffered))

    def get_wsgi_headers(self, environ: dict[str, Any]) -> Headers:
        """The fields to send for ``environ``: a copy of ``headers``, adjusted.

        ``Location`` and ``Content-Location`` are made URIs (absolute if
        ``autocorrect_location_header``); 1xx and 204 lose ``Content-Length``
        (RFC 9110 §8.6), 304 the representation fields (§15.4.5); a list body
        gets its ``Content-Length``.
        """
        headers = Headers()
        headers._list = self._wsgi_fields(environ)
        return headers

    def _wsgi_fields(self, environ: dict[str, Any]) -> list[tuple[str, str]]:
        # get_wsgi_headers as a plain list: __call__ needs nothing more.
        fields = self.headers.to_wsgi_list()
        location = content_location = content_length = None
        for name, value in fields:
            if name == "Content-Type":
                continue  # the usual field, and not one of those looked for
            lowered = name.lower()
            if lowered == "content-length":
                content_length = value
            elif lowered == "location":
                location = value
            elif lowered == "content-location":
                content_location = value
        if location is not None or content_location is not None:
            adjusted = Headers()
            adjusted._list = fields
            if location is not None:
                location = iri_to_uri(location)
                if self.autocorrect_location_header:
                    from .request import Request  # only for this rarely used option

                    here = Request(environ, populate_request=False, shallow=True).base_url
                    location = urljoin(iri_to_uri(here), location)
                adjusted["Location"] = location
            if content_location is not None:
                adjusted["Content-Location"] = iri_to_uri(content_location)

        status = self._status_code
        if 100 <= status < 200 or status == 204:
            if content_length is not None:
                fields = [field for field in fields if field[0].lower() != "content-length"]
        elif status == 304:
            remove_entity_headers(fields)
        elif (
            content_length is None
            and self.automatically_set_content_length
            and isinstance(self.response, (list, tuple))
        ):
            length = sum(len(chunk) for chunk in self.iter_encoded())
            fields.append(("Content-Length", str(length)))
        return fields

    def _needs_close(self) -> bool:
        return bool(
            self._on_close
            or getattr(self.response, "close", None) is not None
            or type(self).close is not Response.close
        )

    def get_app_iter(self, environ: dict[str, Any]) -> Iterable[bytes]:
        """The body iterable to return to the server for ``environ``.

        Empty for HEAD and bodiless statuses; the body itself with
        ``direct_passthrough``; otherwise the encoded chunks, closing the
        response when the server closes the iterable.
        """
        status = self._status_code
        if (
            environ.get("REQUEST_METHOD") == "HEAD"
            or 100 <= status < 200
            or status in (204, 304)
        ):
            iterable: Iterable[bytes] = ()
        elif self.direct_passthrough:
            return self.response  # type: ignore[return-value]
        else:
            body = self.response
            if isinstance(body, (list, tuple)) and not self._needs_close():
                # Nothing to close: hand the list itself over (encoded if need be).
                for chunk in body:
                    if chunk.__class__ is not bytes:
                        return list(self.iter_encoded())
                return body  # type: ignore[return-value]
            iterable = self.iter_encoded()
        if not self._needs_close():
            return iterable
        return ClosingIterator(iterable, self.close)

    def get_wsgi_response(
        self, environ: dict[str, Any]
    ) -> tuple[Iterable[bytes], str, list[tuple[str, str]]]:
        """``(body iterable, status line, header list)`` for ``environ``."""
        if type(self).get_wsgi_headers is Response.get_wsgi_headers:
            fields = self._wsgi_fields(environ)  # the same, without the Headers object
        else:
            fields = self.get_wsgi_headers(environ).to_wsgi_list()
        return self.get_app_iter(environ), self._status, fields

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        """Answer as a WSGI application."""
        app_iter, status, headers = self.get_wsgi_response(environ)
        start_response(status, headers)
        return app_iter
