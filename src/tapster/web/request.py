"""``Request``: an incoming request, read from a WSGI environ only as far as asked.

Creating one stores the environ and nothing else. Each attribute (``path``,
``args``, ``form``, ``json``...) is computed on first access and cached, so
a view that only reads ``request.args`` never parses cookies or the body.

The body is read through ``stream``, which stops at ``Content-Length`` and
enforces ``max_content_length`` (413). ``form`` and ``files`` come from the
one ``FormDataParser`` dispatch table (url-encoded and multipart bodies, the
latter streamed: uploads go to temporary files, not memory); ``json`` uses
``json_module.loads``. ``close()`` closes the uploaded files.
The attributes Flask adds (``url_rule``, ``view_args``, ``endpoint``,
``blueprint``...) are here too: this is the request class of the framework.
"""

from __future__ import annotations

import json
from io import BytesIO
from typing import IO, Any

from .datastructures import (
    CombinedMultiDict,
    EnvironHeaders,
    Headers,
    MultiDict,
    iter_multi_items,
)
from .exceptions import BadRequest, ClientDisconnected, UnsupportedMediaType
from .formparser import FormDataParser, default_stream_factory
from .globals import _cv_app
from .http import get_content_length, parse_options_header, wsgi_to_text
from .sansio import SansIORequest
from .streams import get_input_stream
from .utils import cached_property

__all__ = ["Request"]


def _split_blueprint_path(name: str) -> list[str]:
    """``"a.b.c"`` -> ``["a.b.c", "a.b", "a"]``: a nested blueprint, then its parents."""
    names = [name]
    while "." in name:
        name = name.rpartition(".")[0]
        names.append(name)
    return names


# Bodies up to this size are read at once by get_data(), without a stream wrapper.
_DIRECT_READ_MAX = 64 * 1024


class Request(SansIORequest):
    """The request being handled, built on its WSGI ``environ``.

    ``populate_request`` stores the object in ``environ["tapster.request"]``
    (for middleware and debugging). A ``shallow`` request refuses to read the
    body (``RuntimeError``), so middleware cannot consume it by accident.
    """

    #: The largest body accepted, in bytes (``None``: no limit). The app sets
    #: it from ``MAX_CONTENT_LENGTH``; a view may change it for its request.
    max_content_length: int | None = None
    #: The largest non-file field of a ``multipart/form-data`` body (413 beyond).
    max_form_memory_size: int | None = 500_000
    #: The most parts a ``multipart/form-data`` body may have (413 beyond).
    max_form_parts: int | None = 1000
    #: The parser ``form`` and ``files`` come from; see ``make_form_data_parser``.
    form_data_parser_class: type[FormDataParser] = FormDataParser
    #: Where ``get_json`` finds ``loads``; the app points it at its JSON provider.
    json_module: Any = json

    #: The URL rule that matched (set by the app's routing), or ``None``.
    url_rule: Any = None
    #: The arguments the rule extracted from the URL, or ``None``.
    view_args: dict[str, Any] | None = None
    #: The routing error (``NotFound``, ``MethodNotAllowed``...) if matching failed.
    routing_exception: Exception | None = None

    # get_json's results, for silent=False and silent=True; ... is "not yet".
    _cached_json: tuple[Any, Any] = (Ellipsis, Ellipsis)

    environ: dict[str, Any]
    shallow: bool

    def __init__(
        self, environ: dict[str, Any], populate_request: bool = True, shallow: bool = False
    ) -> None:
        # Deliberately no call to SansIORequest.__init__: its values are read
        # from the environ on demand by the properties below.
        self.environ = environ
        self.shallow = shallow
        if populate_request and not shallow:
            environ["tapster.request"] = self

    # ---------------------------------------- the plain values, from the environ

    @cached_property
    def method(self) -> str:  # type: ignore[override]
        """The request method, upper-cased: ``GET``, ``POST``..."""
        return str(self.environ.get("REQUEST_METHOD", "GET")).upper()

    @cached_property
    def scheme(self) -> str:  # type: ignore[override]
        """``http`` or ``https`` (``wsgi.url_scheme``)."""
        return self.environ.get("wsgi.url_scheme", "http")  # type: ignore[no-any-return]

    @cached_property
    def server(self) -> tuple[str, int | None] | None:  # type: ignore[override]
        """``(SERVER_NAME, SERVER_PORT)``, the port ``None`` if not a number (Unix socket)."""
        name = self.environ.get("SERVER_NAME")
        if name is None:
            return None
        try:
            port: int | None = int(self.environ.get("SERVER_PORT"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            port = None
        return name, port

    @cached_property
    def root_path(self) -> str:  # type: ignore[override]
        """Where the application is mounted (``SCRIPT_NAME``), without a trailing ``/``."""
        return wsgi_to_text(self.environ.get("SCRIPT_NAME") or "").rstrip("/")

    @cached_property
    def path(self) -> str:  # type: ignore[override]
        """The path below ``root_path`` (``PATH_INFO`` as UTF-8 text), starting with ``/``."""
        path = self.environ.get("PATH_INFO") or ""
        if path[:1] == "/" and path[1:2] != "/" and path.isascii():
            return path  # the usual case, already in its final form
        return "/" + wsgi_to_text(path).lstrip("/")

    @cached_property
    def query_string(self) -> bytes:  # type: ignore[override]
        """The raw query string, as bytes."""
        query = self.environ.get("QUERY_STRING", "")
        try:
            return query.encode("latin-1")  # type: ignore[no-any-return]
        except UnicodeEncodeError:  # not PEP 3333 text: keep its characters
            return query.encode()  # type: ignore[no-any-return]

    @cached_property
    def headers(self) -> Headers:  # type: ignore[override]
        """The request header fields, a read-only view of the environ."""
        return EnvironHeaders(self.environ)

    @cached_property
    def remote_addr(self) -> str | None:  # type: ignore[override]
        """The client's address (``REMOTE_ADDR``)."""
        return self.environ.get("REMOTE_ADDR")

    @cached_property
    def content_length(self) -> int | None:  # type: ignore[override]
        """The announced body length; ``None`` if absent or chunked, 0 if malformed."""
        environ = self.environ
        return get_content_length(
            environ.get("CONTENT_LENGTH"), environ.get("HTTP_TRANSFER_ENCODING")
        )

    @cached_property
    def _parsed_content_type(self) -> tuple[str, dict[str, str]]:
        # Straight from the environ: the same field, without building the headers view.
        return parse_options_header(self.environ.get("CONTENT_TYPE", ""))

    # ------------------------------------------------------------------ body

    @cached_property
    def stream(self) -> IO[bytes]:
        """The body as a stream that ends at the body's end (see ``get_input_stream``).

        Raises ``RequestEntityTooLarge`` when ``Content-Length`` exceeds
        ``max_content_length``, or while reading when a chunked body does.
        Reading it yourself leaves nothing for ``data``, ``form`` or ``json``.
        """
        if self.shallow:
            raise RuntimeError(
                "This request was created with 'shallow=True', reading from the input"
                " stream is disabled."
            )
        return get_input_stream(self.environ, max_content_length=self.max_content_length)

    @property
    def input_stream(self) -> IO[bytes]:
        """The raw ``wsgi.input``, with no limit: prefer ``stream``."""
        return self.environ["wsgi.input"]  # type: ignore[no-any-return]

    def get_data(
        self, cache: bool = True, as_text: bool = False, parse_form_data: bool = False
    ) -> Any:
        """The whole body, read once and kept (unless ``cache`` is false).

        ``as_text`` decodes it as UTF-8 (bad bytes become U+FFFD). With
        ``parse_form_data``, a form body goes to ``form`` first and the data
        is then empty, as ``data`` does.
        """
        data = self.__dict__.get("_cached_data")
        if data is None:
            if parse_form_data:
                self._load_form_data()
            data = self._read_body()
            if cache:
                self.__dict__["_cached_data"] = data
        if as_text:
            return data.decode("utf-8", "replace")
        return data

    def _read_body(self) -> bytes:
        """What is left of the body, through ``stream``, or at once when that is cheaper.

        A small body of known, allowed length that nobody has started on is
        read straight from ``wsgi.input``: wrapping it in a ``LimitedStream``
        costs more than reading it (about 1.5 µs of a JSON request's 20).
        ``stream`` is then an empty stream, as it would be once read.
        """
        length = self.content_length
        limit = self.max_content_length
        wsgi_input = self.environ.get("wsgi.input")
        if (
            length is None
            or length > _DIRECT_READ_MAX
            or (limit is not None and length > limit)
            or wsgi_input is None
            or self.shallow
            or "stream" in self.__dict__
        ):
            return self.stream.read()  # type: ignore[no-any-return]
        self.__dict__["stream"] = BytesIO()
        pieces = []
        try:
            while length > 0:
                piece = wsgi_input.read(length)
                if not piece:
                    raise ClientDisconnected()  # the body ended before its length
                pieces.append(piece)
                length -= len(piece)
        except (OSError, ValueError) as error:
            raise ClientDisconnected() from error
        return pieces[0] if len(pieces) == 1 else b"".join(pieces)

    @cached_property
    def data(self) -> bytes:
        """The body as bytes, empty when it was a form (read ``form`` then)."""
        return self.get_data(parse_form_data=True)  # type: ignore[no-any-return]

    @property
    def want_form_data_parsed(self) -> bool:
        """Whether a body could hold a form: the request has a ``Content-Type``."""
        return bool(self.environ.get("CONTENT_TYPE"))

    def _get_file_stream(
        self,
        total_content_length: int | None,
        content_type: str | None,
        filename: str | None = None,
        content_length: int | None = None,
    ) -> IO[bytes]:
        """A writable, readable, seekable stream for one uploaded file.

        Werkzeug's hook, kept under its name: override it in a subclass to
        put uploads elsewhere. The default is ``default_stream_factory``
        (memory for a body of up to 500 KiB, else a temporary file).
        """
        return default_stream_factory(
            total_content_length=total_content_length,
            content_type=content_type,
            filename=filename,
            content_length=content_length,
        )

    def make_form_data_parser(self) -> FormDataParser:
        """The parser for this request's form, with this request's limits."""
        return self.form_data_parser_class(
            self._get_file_stream,
            max_form_memory_size=self.max_form_memory_size,
            max_content_length=self.max_content_length,
            cls=self.parameter_storage_class,
            max_form_parts=self.max_form_parts,
        )

    def _get_stream_for_parsing(self) -> IO[bytes]:
        # If get_data() already read the body, parse the kept copy.
        data = self.__dict__.get("_cached_data")
        if data is not None:
            return BytesIO(data)
        return self.stream

    def _load_form_data(self) -> None:
        """Parse the body into ``form`` and ``files`` (once)."""
        if "form" in self.__dict__:
            return
        if self.want_form_data_parsed:
            parser = self.make_form_data_parser()
            stream, form, files = parser.parse(
                self._get_stream_for_parsing(),
                self.mimetype,
                self.content_length,
                self.mimetype_params,
            )
        else:
            empty = self.parameter_storage_class()
            stream, form, files = self.stream, empty, empty
        # Straight into __dict__, where the cached properties look first.
        self.__dict__.update(stream=stream, form=form, files=files)

    @cached_property
    def form(self) -> MultiDict:
        """The text fields of a url-encoded or ``multipart/form-data`` body.

        A malformed multipart body raises ``BadRequest`` (400); a field
        beyond ``max_form_memory_size``, more parts than ``max_form_parts``
        or a body beyond ``max_content_length`` raise
        ``RequestEntityTooLarge`` (413).
        """
        self._load_form_data()
        return self.__dict__["form"]  # type: ignore[no-any-return]

    @cached_property
    def files(self) -> MultiDict:
        """The uploaded files of a ``multipart/form-data`` body: ``FileStorage`` objects.

        Keyed by form field (``getlist`` for an ``<input multiple>``); only
        parts with a ``filename`` are files, and a file input left empty is
        a ``FileStorage`` with ``filename == ""`` (false). The body is parsed
        as it is read: a file stays in memory only while the files are small
        (see ``formparser.default_stream_factory``), larger ones are written
        to temporary files, deleted by ``close()`` at the end of the request.
        Errors are those of ``form``.
        """
        self._load_form_data()
        return self.__dict__["files"]  # type: ignore[no-any-return]

    @cached_property
    def values(self) -> CombinedMultiDict:
        """``args`` and ``form`` together; ``args`` alone for GET.

        A GET body is left out because caches ignore it: a form in a GET
        body would change the answer with no trace in the URL.
        """
        sources = [self.args]
        if self.method != "GET":
            sources.append(self.form)
        return CombinedMultiDict(
            source if isinstance(source, MultiDict) else MultiDict(source) for source in sources
        )

    # ------------------------------------------------------------------ JSON

    @property
    def json(self) -> Any:
        """The body parsed as JSON (see ``get_json``; 415 if it is not JSON)."""
        return self.get_json()

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        """The body parsed as JSON.

        Without ``force``, the mimetype must be JSON (``is_json``), otherwise
        ``on_json_loading_failed(None)`` raises ``UnsupportedMediaType`` (415).
        A body that is not JSON calls ``on_json_loading_failed(error)``
        (``BadRequest``, 400). ``silent`` returns ``None`` in both cases.
        """
        if cache and self._cached_json[silent] is not Ellipsis:
            return self._cached_json[silent]
        if not (force or self.is_json):
            return None if silent else self.on_json_loading_failed(None)
        data = self.get_data(cache=cache)
        try:
            result = self.json_module.loads(data)
        except ValueError as error:
            if silent:
                result = None
                if cache:
                    self._cached_json = (self._cached_json[0], None)
            else:
                result = self.on_json_loading_failed(error)
                if cache:
                    self._cached_json = (result, self._cached_json[1])
        else:
            if cache:
                self._cached_json = (result, result)
        return result

    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        """Raise the error for a body ``get_json`` cannot use; a subclass may return a value.

        ``e`` is ``None`` when the mimetype is not JSON: 415. Otherwise the
        body did not parse: 400, whose description names the parse error only
        in debug mode (as Flask does: it may echo the body).
        """
        if e is None:
            raise UnsupportedMediaType(
                "Did not attempt to load JSON data because the request Content-Type was not"
                " 'application/json'."
            )
        detailed = BadRequest(f"Failed to decode JSON object: {e}")
        context = _cv_app.get(None)
        if context is not None and getattr(context.app, "debug", False):
            raise detailed
        raise BadRequest() from detailed

    # ----------------------------------------------------------- Flask's part

    @property
    def endpoint(self) -> str | None:
        """The endpoint of the matched rule, or ``None`` before or without a match."""
        if self.url_rule is not None:
            return self.url_rule.endpoint  # type: ignore[no-any-return]
        return None

    @property
    def blueprint(self) -> str | None:
        """The registered name of the blueprint of the endpoint (``None`` if none)."""
        endpoint = self.endpoint
        if endpoint is not None and "." in endpoint:
            return endpoint.rpartition(".")[0]
        return None

    @property
    def blueprints(self) -> list[str]:
        """The blueprint's name then its parents' (``["a.b", "a"]``); ``[]`` if none."""
        name = self.blueprint
        return [] if name is None else _split_blueprint_path(name)

    # -------------------------------------------------------------- lifetime

    def close(self) -> None:
        """Close the uploaded files, if the body was parsed (their temporary files go).

        The app calls it when the request context ends; a request used in a
        ``with`` block calls it on leaving.
        """
        files = self.__dict__.get("files")
        if files:
            for _key, value in iter_multi_items(files):
                close = getattr(value, "close", None)
                if close is not None:
                    close()

    def __enter__(self) -> Request:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
