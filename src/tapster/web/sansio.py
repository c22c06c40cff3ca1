"""The request logic that needs no I/O: URL parts, headers, cookies, content type.

Also the structured header fields: content negotiation (``accept_*``),
conditions (``if_match``, ``if_modified_since``, ``range``...), and
``cache_control``, each parsed by its own module when first read.

``SansIORequest`` computes everything from a handful of plain values
(method, scheme, server address, root path, path, query string, headers,
client address), so it can be built and tested from literals.
``tapster.web.request.Request`` binds it to a WSGI environ, where those
values are read from the environ only when first asked for.

Every derived value is a ``cached_property``: computed on first access,
then a plain attribute.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .accept import Accept, CharsetAccept, LanguageAccept, MIMEAccept, parse_accept_header
from .cache_control import RequestCacheControl, parse_cache_control_header
from .datastructures import (
    Authorization,
    Headers,
    ImmutableList,
    ImmutableMultiDict,
    MultiDict,
)
from .etags import ETags, parse_etags
from .formparser import parse_urlencoded
from .header_values import HeaderSet, parse_set_header
from .http import (
    get_content_length,
    get_host,
    parse_authorization,
    parse_cookie,
    parse_date,
    parse_list_header,
    parse_options_header,
)
from .ranges import IfRange, Range, parse_if_range_header, parse_range_header
from .urls import URL_QUOTE, get_current_url
from .user_agent import UserAgent
from .utils import cached_property, header_property

__all__ = ["SansIORequest"]


class SansIORequest:
    """An HTTP request described by plain values; everything else is derived lazily.

    ``path`` always starts with ``/``; ``root_path`` (the mount point, or
    ``script_root``) never ends with one. ``query_string`` is bytes.
    """

    #: The MultiDict class of ``args`` (and ``form``).
    parameter_storage_class: type[MultiDict] = ImmutableMultiDict
    #: The MultiDict class of ``cookies``.
    dict_storage_class: type[MultiDict] = ImmutableMultiDict
    #: The list class of ``access_route``.
    list_storage_class: type[list[Any]] = ImmutableList
    #: The class of ``user_agent``; a subclass may read more from the string.
    user_agent_class: type[UserAgent] = UserAgent
    #: Host names this application answers for (``.example.com`` takes the
    #: subdomains too); another ``Host`` raises ``SecurityError`` (400).
    trusted_hosts: list[str] | None = None

    method: str
    scheme: str
    server: tuple[str, int | None] | None
    root_path: str
    path: str
    query_string: bytes
    headers: Headers
    remote_addr: str | None

    def __init__(
        self,
        method: str,
        scheme: str,
        server: tuple[str, int | None] | None,
        root_path: str,
        path: str,
        query_string: bytes,
        headers: Headers,
        remote_addr: str | None,
    ) -> None:
        self.method = method.upper()
        self.scheme = scheme
        self.server = server
        self.root_path = root_path.rstrip("/")
        self.path = "/" + path.lstrip("/")
        self.query_string = query_string
        self.headers = headers
        self.remote_addr = remote_addr

    def __repr__(self) -> str:
        try:
            url = self.url
        except Exception as error:  # a repr must not fail, whatever the request holds
            url = f"(invalid URL: {error})"
        return f"<{type(self).__name__} {url!r} [{self.method}]>"

    # ------------------------------------------------------------- URL

    @cached_property
    def args(self) -> MultiDict:
        """The query string's parameters; ``args["missing"]`` raises ``BadRequestKeyError``."""
        return parse_urlencoded(self.query_string, self.parameter_storage_class)

    @cached_property
    def full_path(self) -> str:
        """``path`` and the query string, always with the ``?``: ``/a?b=c`` or ``/a?``."""
        return f"{self.path}?{self.query_string.decode('utf-8', URL_QUOTE)}"

    @property
    def script_root(self) -> str:
        """The mount point of the application (``root_path``), without a trailing ``/``."""
        return self.root_path

    @cached_property
    def host(self) -> str:
        """``host[:port]`` the request was sent to, without the scheme's default port.

        From the ``Host`` field, else the server's address; ``""`` when it has
        characters a host cannot have. Checked against ``trusted_hosts``.
        """
        host_header = self.headers.get("host")
        server = self.server if host_header is None else None
        return get_host(self.scheme, host_header, server, self.trusted_hosts)

    @cached_property
    def url(self) -> str:
        """The full URL, as an IRI: ``http://example.com/app/påth?q=1``."""
        return get_current_url(self.scheme, self.host, self.root_path, self.path, self.query_string)

    @cached_property
    def base_url(self) -> str:
        """``url`` without the query string."""
        return get_current_url(self.scheme, self.host, self.root_path, self.path)

    @cached_property
    def root_url(self) -> str:
        """The URL of the application root, with a trailing ``/``."""
        return get_current_url(self.scheme, self.host, self.root_path)

    @property
    def url_root(self) -> str:
        """``root_url`` under its older name."""
        return self.root_url

    @cached_property
    def host_url(self) -> str:
        """``scheme://host/``."""
        return get_current_url(self.scheme, self.host)

    @property
    def is_secure(self) -> bool:
        """Whether the request came over TLS (``https`` or ``wss``)."""
        return self.scheme in ("https", "wss")

    # ---------------------------------------------------------- client

    @cached_property
    def access_route(self) -> list[str]:
        """The client address then each proxy's, from ``X-Forwarded-For``; else ``[remote_addr]``.

        ``X-Forwarded-For`` is whatever the client or a proxy wrote: trust it
        only behind a proxy that sets it.
        """
        if "X-Forwarded-For" in self.headers:
            return self.list_storage_class(parse_list_header(self.headers["X-Forwarded-For"]))
        if self.remote_addr is not None:
            return self.list_storage_class([self.remote_addr])
        return self.list_storage_class()

    @cached_property
    def cookies(self) -> MultiDict:
        """The cookies the client sent (RFC 6265); malformed pairs are skipped."""
        return parse_cookie(";".join(self.headers.getlist("Cookie")), self.dict_storage_class)

    @cached_property
    def user_agent(self) -> UserAgent:
        """The ``User-Agent`` field, parsed (see ``UserAgent``)."""
        return self.user_agent_class(self.headers.get("User-Agent", ""))

    @cached_property
    def authorization(self) -> Authorization | None:
        """The ``Authorization`` credentials, or ``None`` if absent or malformed."""
        return parse_authorization(self.headers.get("Authorization"))

    referrer = header_property[str](
        "Referer", read_only=True, doc="The ``Referer`` field: the page that linked here."
    )
    origin = header_property[str](
        "Origin", read_only=True, doc="The ``Origin`` field of a CORS or form request."
    )

    # --------------------------------------------------------- content

    content_type = header_property[str](
        "Content-Type", read_only=True, doc="The ``Content-Type`` field, as sent."
    )
    content_encoding = header_property[str](
        "Content-Encoding",
        read_only=True,
        doc="The ``Content-Encoding`` field: codings applied to the body (``gzip`` ...).",
    )

    @cached_property
    def content_length(self) -> int | None:
        """The announced body length; ``None`` if absent or chunked, 0 if malformed."""
        return get_content_length(
            self.headers.get("Content-Length"), self.headers.get("Transfer-Encoding")
        )

    @cached_property
    def _parsed_content_type(self) -> tuple[str, dict[str, str]]:
        return parse_options_header(self.headers.get("Content-Type", ""))

    @property
    def mimetype(self) -> str:
        """The media type of the body, lower-cased, without parameters (``""`` if none)."""
        return self._parsed_content_type[0].lower()

    @property
    def mimetype_params(self) -> dict[str, str]:
        """The ``Content-Type`` parameters: ``{"charset": "utf-8"}``."""
        return self._parsed_content_type[1]

    @property
    def is_json(self) -> bool:
        """Whether the body is JSON: ``application/json`` or ``application/*+json``."""
        mimetype = self.mimetype
        return mimetype == "application/json" or (
            mimetype.startswith("application/") and mimetype.endswith("+json")
        )

    content_md5 = header_property[str](
        "Content-MD5",
        read_only=True,
        doc="The ``Content-MD5`` field (RFC 1864, obsolete): the body's MD5, base64.",
    )

    # ------------------------------------------- negotiation (RFC 9110 §12)

    @cached_property
    def accept_mimetypes(self) -> MIMEAccept:
        """The ``Accept`` field: the media types the client takes, with their qualities."""
        return parse_accept_header(self.headers.get("Accept"), MIMEAccept)

    @cached_property
    def accept_charsets(self) -> CharsetAccept:
        """The ``Accept-Charset`` field."""
        return parse_accept_header(self.headers.get("Accept-Charset"), CharsetAccept)

    @cached_property
    def accept_encodings(self) -> Accept:
        """The ``Accept-Encoding`` field: content codings such as ``gzip`` or ``br``."""
        return parse_accept_header(self.headers.get("Accept-Encoding"))

    @cached_property
    def accept_languages(self) -> LanguageAccept:
        """The ``Accept-Language`` field; ``best_match`` falls back on primary subtags."""
        return parse_accept_header(self.headers.get("Accept-Language"), LanguageAccept)

    # ----------------------------- conditions and caching (RFC 9110 §13, 9111)

    @cached_property
    def cache_control(self) -> RequestCacheControl:
        """The ``Cache-Control`` directives of the request (read-only)."""
        return parse_cache_control_header(  # type: ignore[no-any-return]
            self.headers.get("Cache-Control"), None, RequestCacheControl
        )

    @cached_property
    def if_match(self) -> ETags:
        """The ``If-Match`` entity tags (empty if absent)."""
        return parse_etags(self.headers.get("If-Match"))

    @cached_property
    def if_none_match(self) -> ETags:
        """The ``If-None-Match`` entity tags (empty if absent)."""
        return parse_etags(self.headers.get("If-None-Match"))

    @cached_property
    def if_modified_since(self) -> datetime | None:
        """The ``If-Modified-Since`` date, timezone-aware, or ``None``."""
        return parse_date(self.headers.get("If-Modified-Since"))

    @cached_property
    def if_unmodified_since(self) -> datetime | None:
        """The ``If-Unmodified-Since`` date, timezone-aware, or ``None``."""
        return parse_date(self.headers.get("If-Unmodified-Since"))

    @cached_property
    def if_range(self) -> IfRange:
        """The ``If-Range`` field: a tag or a date (both ``None`` if absent)."""
        return parse_if_range_header(self.headers.get("If-Range"))

    @cached_property
    def range(self) -> Range | None:
        """The ``Range`` field, or ``None`` if absent or invalid."""
        return parse_range_header(self.headers.get("Range"))

    @cached_property
    def pragma(self) -> HeaderSet:
        """The ``Pragma`` field (``no-cache`` from HTTP/1.0 clients) as a set."""
        return parse_set_header(self.headers.get("Pragma", ""))

    date = header_property[datetime](
        "Date", None, parse_date, read_only=True, doc="The ``Date`` field, timezone-aware."
    )
    max_forwards = header_property[int](
        "Max-Forwards",
        None,
        int,
        read_only=True,
        doc="The ``Max-Forwards`` field (TRACE and OPTIONS), as an int.",
    )

    # ------------------------------------------------------------- CORS

    access_control_request_headers = header_property[HeaderSet](
        "Access-Control-Request-Headers",
        None,
        parse_set_header,
        read_only=True,
        doc="The fields a CORS preflight asks to send.",
    )
    access_control_request_method = header_property[str](
        "Access-Control-Request-Method",
        read_only=True,
        doc="The method a CORS preflight asks to use.",
    )
