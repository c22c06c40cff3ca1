"""Sans-IO HTTP helpers: parse and produce header values, cookies and dates.

Nothing here knows WSGI: every function takes and returns plain values, so
the request and response classes (and tests) use them on strings alone.
Names and results follow Werkzeug's ``werkzeug.http`` so ported code keeps
working; where a rule comes from a protocol, the RFC section is cited.

Malformed input never raises: a bad parameter, cookie pair or date is
skipped or gives ``None``, as browsers and Werkzeug do.
"""

from __future__ import annotations

import base64
import binascii
import email.utils
import hashlib
import re
import time
import warnings
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta, timezone
from typing import Any, TypeVar
from urllib.parse import quote, unquote

from .datastructures import Authorization, MultiDict
from .exceptions import STATUS_PHRASES, SecurityError
from .utils import lazy_module_attributes

__all__ = [
    "HTTP_STATUS_CODES",
    "dump_cookie",
    "dump_header",
    "dump_options_header",
    "generate_etag",
    "get_content_length",
    "get_content_type",
    "get_host",
    "host_is_trusted",
    "http_date",
    "is_entity_header",
    "parse_authorization",
    "parse_cookie",
    "parse_date",
    "parse_dict_header",
    "parse_list_header",
    "parse_options_header",
    "quote_etag",
    "quote_header_value",
    "remove_entity_headers",
    "unquote_etag",
    "unquote_header_value",
    "wsgi_to_text",
]

#: Reason phrases by status code, under Werkzeug's name for the table.
HTTP_STATUS_CODES = STATUS_PHRASES

_M = TypeVar("_M", bound=MultiDict)

# RFC 9110 §5.6.2: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-"
#                        / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
_TCHARS = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_TOKEN = r"[\w!#$%&'*+\-.^`|~]+"  # with re.ASCII, \w is ALPHA / DIGIT / "_"
# RFC 9110 §5.6.4: quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE.
# A backslash always pairs with the next character, so there is exactly one
# way to match and no backtracking blow-up.
_QUOTED = r'"(?:[^"\\]|\\.)*"'


def quote_header_value(value: Any, allow_token: bool = True) -> str:
    """``value`` as a header token if it is one, else as a quoted-string (RFC 9110 §5.6.4).

    The empty string is quoted (``""``); ``"`` and ``\\`` are escaped.
    """
    text = str(value)
    if not text:
        return '""'
    if allow_token and _TCHARS.issuperset(text):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


_QUOTED_PAIR = re.compile(r"\\(.)", re.ASCII)


def unquote_header_value(value: str) -> str:
    """Undo ``quote_header_value``: strip the quotes and the backslash escapes."""
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return _QUOTED_PAIR.sub(r"\1", value[1:-1])
    return value


# One parameter of RFC 9110 §5.6.6: name "=" ( token / quoted-string ). The
# value is optional here so that "name=" followed by junk is recognised and
# skipped rather than ending the scan.
_PARAMETER = re.compile(rf"({_TOKEN})=(?:({_TOKEN})|({_QUOTED}))?", re.ASCII | re.DOTALL)
# RFC 2231 §3-4 name marks: "name*N" continues a value, a final "*" marks an
# ext-value (charset'language'percent-encoded).
_PARAMETER_NAME = re.compile(r"(.*?)(?:\*([0-9]+))?(\*)?", re.DOTALL)
_EXT_VALUE = re.compile(
    r"([\w!#$%&*+\-.^`|~]*)'[\w!#$%&*+\-.^`|~]*'([\w!#$%&'*+\-.^`|~]+)", re.ASCII
)
# Clients should send nothing but ASCII or UTF-8; other charsets (some of which
# Python would happily "decode", like rot13) leave the value percent-encoded.
_EXT_CHARSETS = frozenset({"ascii", "us-ascii", "utf-8", "iso-8859-1"})


def parse_options_header(value: str | None) -> tuple[str, dict[str, str]]:
    """Split a value with parameters, such as ``Content-Type``, into ``(value, params)``.

    ``'text/html; charset=UTF-8'`` gives ``('text/html', {'charset': 'UTF-8'})``.
    Parameter names are lower-cased; quoted values are unquoted (``\\"`` and
    the HTML form encoding ``%22`` both give ``"``); RFC 2231 ``name*=``
    ext-values are decoded (UTF-8, ASCII or ISO-8859-1 only) and ``name*0``,
    ``name*1`` continuations joined. Parameters that do not parse are skipped;
    an unterminated quoted string ends the parameters.
    """
    if value is None:
        return "", {}
    value, _, rest = value.partition(";")
    value = value.strip(" \t")
    rest = rest.strip(" \t")
    if not value or not rest:
        return value, {}

    found: list[tuple[str, str]] = []
    pos, end = 0, len(rest)
    while pos < end:
        match = _PARAMETER.match(rest, pos)
        if match is not None:
            name, token, quoted = match.groups()
            if token is not None or quoted is not None:
                found.append((name.lower(), token if token is not None else quoted))
            elif rest.startswith('"', match.end()):
                break  # an unterminated quoted string: nothing after it can be trusted
            pos = match.end()
        # Whatever else is in this parameter is junk: go to the next one.
        pos = rest.find(";", pos) + 1
        if not pos:
            break
        while pos < end and rest[pos] in " \t":
            pos += 1

    params: dict[str, str] = {}
    pieces: dict[str, list[str]] = {}
    piece_charsets: dict[str, str] = {}
    for full_name, raw in found:
        # The pattern matches any string: fullmatch never gives None here.
        name, index, extended = _PARAMETER_NAME.fullmatch(full_name).groups()  # type: ignore[union-attr]
        charset = None
        if extended:
            ext = _EXT_VALUE.fullmatch(raw)
            if ext is not None:
                charset, raw = ext.group(1).lower(), ext.group(2)
            if not charset and index is not None:
                # Later pieces of a continued value may omit the charset.
                charset = piece_charsets.get(name)
            text = unquote(raw, encoding=charset) if charset in _EXT_CHARSETS else raw
        else:
            text = unquote_header_value(raw).replace("%22", '"')
        if index is not None:
            params.pop(name, None)
            pieces.setdefault(name, []).append(text)
            if charset:
                piece_charsets[name] = charset
        else:
            pieces.pop(name, None)
            piece_charsets.pop(name, None)
            params[name] = text
    for name, parts in pieces.items():
        params[name] = "".join(parts)
    return value, params


def dump_options_header(header: str | None, options: Mapping[str, Any]) -> str:
    """``header; key=value; ...``: the inverse of ``parse_options_header``.

    ``None`` values are skipped; values are quoted when they are not tokens,
    except under a name ending in ``*``, which is taken as already encoded.
    """
    segments = [] if header is None else [header]
    for key, value in options.items():
        if value is None:
            continue
        if key.endswith("*"):
            segments.append(f"{key}={value}")
        else:
            segments.append(f"{key}={quote_header_value(value)}")
    return "; ".join(segments)


_LIST_PIECE = re.compile(rf'{_QUOTED}|[^,"]+|,|"', re.DOTALL)


def parse_list_header(value: str) -> list[str]:
    """Split a comma-separated list (RFC 9110 §5.6.1), honouring quoted strings.

    Items are stripped and unquoted when wholly quoted; empty items are
    dropped; an unclosed quoted string makes the whole value invalid (``[]``).
    """
    items: list[str] = []
    current: list[str] = []
    for match in _LIST_PIECE.finditer(value):
        piece = match.group()
        if piece == ",":
            items.append("".join(current))
            current = []
        elif piece == '"':
            return []
        else:
            current.append(piece)
    items.append("".join(current))
    stripped = (item.strip(" \t") for item in items)
    return [unquote_header_value(item) for item in stripped if item]


def parse_dict_header(value: str) -> dict[str, str | None]:
    """Parse ``a=b, c="d, e", f`` into ``{"a": "b", "c": "d, e", "f": None}``.

    ``key*=charset''value`` items are decoded as in ``parse_options_header``.
    """
    result: dict[str, str | None] = {}
    for item in parse_list_header(value):
        key, has_value, text = item.partition("=")
        key = key.strip(" \t")
        if not key:
            continue
        if not has_value:
            result[key] = None
            continue
        text = text.strip(" \t")
        if key.endswith("*"):
            key = key[:-1]
            ext = _EXT_VALUE.fullmatch(text)
            if ext is not None:
                charset, text = ext.group(1).lower(), ext.group(2)
                if charset in _EXT_CHARSETS:
                    text = unquote(text, encoding=charset)
        result[key] = unquote_header_value(text)
    return result


def dump_header(iterable: Mapping[str, Any] | Iterable[Any]) -> str:
    """A comma-separated header value from a list, or ``key=value`` items from a dict.

    A ``None`` dict value gives the bare key; values are quoted as needed.
    """
    if isinstance(iterable, Mapping):
        items = []
        for key, value in iterable.items():
            if value is None:
                items.append(key)
            elif key.endswith("*"):
                items.append(f"{key}={value}")
            else:
                items.append(f"{key}={quote_header_value(value)}")
        return ", ".join(items)
    return ", ".join(quote_header_value(item) for item in iterable)


# ---------------------------------------------------------------- cookies

# One cookie-pair of a Cookie field, read as leniently as browsers write them
# (RFC 6265 §5.4 serialises "name=value" pairs joined by "; "): spaces around
# "=" are tolerated, a name without "=" has the empty value, the value may be
# a quoted string. A pair that does not fit is skipped up to the next ";".
_COOKIE_PAIR = re.compile(
    r"""
    [ \t]*
    ([^ \t=";]+)                                   # the name
    (?:[ \t]*=[ \t]*("(?:[^\\"]|\\.)*"|[^ \t";]*))?  # "=" and the value, if any
    [ \t]*
    (?:;|\Z)
    """,
    re.VERBOSE,
)
# In a quoted value, "\ooo" is an octal byte (as dump_cookie and Python's
# http.cookies write them) and "\c" is the character c.
_COOKIE_ESCAPE = re.compile(rb"\\([0-3][0-7]{2}|.)")


def _cookie_unescape(match: re.Match[bytes]) -> bytes:
    escaped = match.group(1)
    return escaped if len(escaped) == 1 else bytes((int(escaped, 8),))


def wsgi_to_text(value: str, errors: str | None = "replace") -> str:
    """Text from a PEP 3333 string, whose code points are the bytes (latin-1) of UTF-8.

    Bytes that are not UTF-8 are decoded with ``errors`` (U+FFFD by default,
    as Werkzeug does for paths); with ``errors=None`` such a value is taken
    to be text already and returned unchanged. So is a value with characters
    beyond latin-1, which only a server ignoring PEP 3333 would produce.
    """
    if value.isascii():
        return value
    try:
        raw = value.encode("latin-1")
    except UnicodeEncodeError:
        return value
    if errors is not None:
        return raw.decode("utf-8", errors)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return value


def parse_cookie(
    header: str | Mapping[str, Any] | None, cls: type[_M] | None = None
) -> _M | MultiDict:
    """The cookies of a ``Cookie`` field value (or of a WSGI environ) as a MultiDict.

    Repeated names keep every value in order. Pairs that do not parse are
    skipped, never an error (RFC 6265 §5.4 clients, and Werkzeug, do the same).
    Quoted values are unquoted, with ``\\ooo`` octal escapes decoded as UTF-8.
    """
    if isinstance(header, Mapping):
        header = header.get("HTTP_COOKIE")
    storage = MultiDict if cls is None else cls
    if not header:
        return storage()
    # Text given directly (not a PEP 3333 string) is used as it is.
    cookie = wsgi_to_text(header, errors=None)
    if '"' not in cookie:
        return storage._from_lists(_parse_plain_cookie(cookie))
    pairs = []
    pos, end = 0, len(cookie)
    while pos < end:
        match = _COOKIE_PAIR.match(cookie, pos)
        if match is None:
            pos = cookie.find(";", pos) + 1
            if not pos:
                break
            continue
        name, value = match.groups()
        pos = match.end()
        if value is None:
            value = ""
        elif value[:1] == '"':
            raw = _COOKIE_ESCAPE.sub(_cookie_unescape, value[1:-1].encode())
            value = raw.decode(errors="replace")
        pairs.append((name, value))
    return storage(pairs)


def _parse_plain_cookie(cookie: str) -> dict[str, list[str]]:
    """``_COOKIE_PAIR`` applied to a field without quotes, by string methods (faster)."""
    cookies: dict[str, list[str]] = {}
    for pair in cookie.split(";"):
        pair = pair.strip(" \t")
        name, _, value = pair.partition("=")
        name = name.rstrip(" \t")
        value = value.lstrip(" \t")
        # The same rule as the regex: a name, and a value, without inner blanks.
        if not name or _has_blank(name) or _has_blank(value):
            continue
        if name in cookies:
            cookies[name].append(value)
        else:
            cookies[name] = [value]
    return cookies


def _has_blank(text: str) -> bool:
    return " " in text or "\t" in text


# RFC 6265 §4.1.1 cookie-octet, plus the characters browsers accept unquoted
# (Werkzeug's set): anything else makes the value quoted and escaped.
_COOKIE_PLAIN = re.compile(r"[\w!#$%&'()*+\-./:<=>?@\[\]^`{|}~]*", re.ASCII)
# Escaped inside the quotes: controls, DQUOTE, ",", ";", "\" and non-ASCII bytes.
_COOKIE_UNSAFE = re.compile(rb'[\x00-\x1f",;\\\x7f-\xff]')


def _cookie_escape(match: re.Match[bytes]) -> bytes:
    byte = match.group()
    if byte in (b'"', b"\\"):
        return b"\\" + byte
    return b"\\%03o" % byte[0]


def dump_cookie(
    key: str,
    value: str = "",
    max_age: timedelta | int | None = None,
    expires: str | datetime | int | float | None = None,
    path: str | None = "/",
    domain: str | None = None,
    secure: bool = False,
    httponly: bool = False,
    sync_expires: bool = True,
    max_size: int = 4093,
    samesite: str | None = None,
    partitioned: bool = False,
) -> str:
    """A ``Set-Cookie`` field value (RFC 6265 §4.1), in Werkzeug's exact format.

    Attributes come in the order Domain, Expires, Max-Age, Secure, HttpOnly,
    Path, SameSite, Partitioned. ``max_age`` alone also sets ``Expires``
    (``sync_expires``); ``samesite`` must be Strict, Lax or None
    (``ValueError`` otherwise); ``partitioned`` implies ``secure``. A value
    outside the cookie-octet set is quoted, with ``\\ooo`` escapes. A result
    longer than ``max_size`` (0: no limit) only warns: browsers may drop it.
    """
    if path is not None:
        # The characters of a URL path segment, and "%" for what is already
        # quoted; not ";", which would end the attribute.
        path = quote(path, safe="%!$&'()*+,/:=@")
    if domain:
        domain = domain.partition(":")[0].lstrip(".").encode("idna").decode("ascii")
    if isinstance(max_age, timedelta):
        max_age = int(max_age.total_seconds())
    if expires is not None:
        if not isinstance(expires, str):
            expires = http_date(expires)
    elif max_age is not None and sync_expires:
        expires = http_date(time.time() + max_age)
    if samesite is not None:
        samesite = samesite.title()
        if samesite not in ("Strict", "Lax", "None"):
            raise ValueError("SameSite must be 'Strict', 'Lax', or 'None'.")
    if partitioned:
        secure = True  # CHIPS: browsers drop a Partitioned cookie without Secure
    if _COOKIE_PLAIN.fullmatch(value) is None:
        escaped = _COOKIE_UNSAFE.sub(_cookie_escape, value.encode()).decode("ascii")
        value = f'"{escaped}"'

    # A non-ASCII name goes out as its UTF-8 bytes (the PEP 3333 latin-1 tunnel).
    parts = [f"{key.encode().decode('latin-1')}={value}"]
    for name, setting in (
        ("Domain", domain),
        ("Expires", expires),
        ("Max-Age", max_age),
        ("Secure", secure),
        ("HttpOnly", httponly),
        ("Path", path),
        ("SameSite", samesite),
        ("Partitioned", partitioned),
    ):
        if setting is None or setting is False:
            continue
        parts.append(name if setting is True else f"{name}={setting}")
    cookie = "; ".join(parts)

    if max_size and len(cookie) > max_size:
        value_size = len(value)
        warnings.warn(
            f"The {key!r} cookie is too large: the value was {value_size} bytes but the"
            f" header required {len(cookie) - value_size} extra bytes. The final size"
            f" was {len(cookie)} bytes but the limit is {max_size} bytes. Browsers may"
            " silently ignore cookies larger than this.",
            stacklevel=2,
        )
    return cookie


# ------------------------------------------------------------------ dates


def http_date(timestamp: datetime | date | int | float | time.struct_time | None = None) -> str:
    """An IMF-fixdate (RFC 9110 §5.6.7), such as ``Sun, 06 Nov 1994 08:49:37 GMT``.

    Takes a datetime (naive means UTC), a date (midnight UTC), a Unix
    timestamp, a ``struct_time`` in local time, or nothing for now.
    """
    if isinstance(timestamp, date):
        if isinstance(timestamp, datetime):
            if timestamp.tzinfo is None:
                timestamp = timestamp.replace(tzinfo=timezone.utc)
            else:
                timestamp = timestamp.astimezone(timezone.utc)
        else:
            midnight = (timestamp.year, timestamp.month, timestamp.day)
            timestamp = datetime(*midnight, tzinfo=timezone.utc)
        return email.utils.format_datetime(timestamp, usegmt=True)
    if isinstance(timestamp, time.struct_time):
        timestamp = time.mktime(timestamp)
    return email.utils.formatdate(timestamp, usegmt=True)


def parse_date(value: str | None) -> datetime | None:
    """A timezone-aware datetime from an HTTP date, or ``None`` if it does not parse.

    RFC 9110 §5.6.7: recipients accept IMF-fixdate and the obsolete RFC 850
    and asctime forms (which carry no zone and are taken as UTC).
    """
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=timezone.utc)
    return parsed


# ---------------------------------------------------- content and entities

# Types that are text but not text/*: they get a charset too.
_TEXTUAL_TYPES = frozenset(
    {
        "application/ecmascript",
        "application/javascript",
        "application/sql",
        "application/xml",
        "application/xml-dtd",
        "application/xml-external-parsed-entity",
    }
)


def get_content_type(mimetype: str, charset: str) -> str:
    """``mimetype`` with ``; charset=...`` added when it is a text type.

    Text types are ``text/*``, ``*+xml`` and a few textual ``application/``
    types (JavaScript, XML, SQL); ``application/json`` is UTF-8 by definition
    (RFC 8259 §8.1) and gets none.
    """
    if mimetype.startswith("text/") or mimetype in _TEXTUAL_TYPES or mimetype.endswith("+xml"):
        return f"{mimetype}; charset={charset}"
    return mimetype


_DECIMAL = re.compile(r"-?[0-9]+", re.ASCII)


def get_content_length(
    http_content_length: str | None = None, http_transfer_encoding: str | None = None
) -> int | None:
    """The body length a request announces: ``None`` if unknown, else an ``int`` ≥ 0.

    ``None`` without ``Content-Length``, or when ``Transfer-Encoding`` is
    chunked (RFC 9112 §6.3: chunked framing overrides the length). A value
    that is not a plain decimal (``+1``, ``1_0``, ``abc``) or is negative
    gives 0, as in Werkzeug: a body whose length cannot be trusted is not read.
    """
    if http_content_length is None:
        return None
    plain = http_content_length.isdigit() and http_content_length.isascii()  # not "²", "٣"
    if plain and http_transfer_encoding is None:
        return int(http_content_length)
    if http_transfer_encoding is not None and "chunked" in (
        item.lower() for item in parse_list_header(http_transfer_encoding)
    ):
        return None
    text = http_content_length.strip(" \t")
    if _DECIMAL.fullmatch(text) is None:
        return 0
    return max(0, int(text))


# Fields describing a representation (RFC 9110 §8), which a 304 leaves out.
_ENTITY_FIELDS = frozenset(
    {
        "allow",
        "content-encoding",
        "content-language",
        "content-length",
        "content-location",
        "content-md5",
        "content-range",
        "content-type",
        "expires",
        "last-modified",
    }
)


def is_entity_header(header: str) -> bool:
    """Whether ``header`` describes the representation (``Content-Type`` and kin)."""
    return header.lower() in _ENTITY_FIELDS


def remove_entity_headers(
    headers: Any, allowed: Iterable[str] = ("expires", "content-location")
) -> None:
    """Remove the representation fields from a Headers or list, in place, except ``allowed``.

    RFC 9110 §15.4.5: a 304 repeats Content-Location, Expires and the
    validators, and should not carry other representation metadata.
    """
    keep = {name.lower() for name in allowed}
    headers[:] = [
        (name, value)
        for name, value in headers
        if name.lower() not in _ENTITY_FIELDS or name.lower() in keep
    ]


def generate_etag(data: bytes) -> str:
    """An entity tag for ``data``: the SHA-1 of the bytes, in hex."""
    return hashlib.sha1(data, usedforsecurity=False).hexdigest()


def quote_etag(etag: str, weak: bool = False) -> str:
    """``"etag"`` (or ``W/"etag"``) as an entity-tag field value (RFC 9110 §8.8.3)."""
    if '"' in etag:
        raise ValueError("invalid etag")
    return f'W/"{etag}"' if weak else f'"{etag}"'


def unquote_etag(etag: str | None) -> tuple[str | None, bool | None]:
    """``(tag, is_weak)`` from an entity-tag value; ``(None, None)`` for none."""
    if not etag:
        return None, None
    weak = etag.startswith(("W/", "w/"))
    if weak:
        etag = etag[2:]
    if etag[:1] == etag[-1:] == '"':
        etag = etag[1:-1]
    return etag, weak


# ------------------------------------------------------------------- host

# RFC 9110 §7.2 / RFC 3986 §3.2.2: a reg-name or IPv4 of letters, digits, "."
# and "-", or a bracketed IPv6 literal; then an optional port 1-65535. Any
# other character (a space, "@", "/", non-ASCII) makes the Host unusable.
_HOST = re.compile(
    r"([a-z0-9.-]+|\[[a-f0-9]*:[a-f0-9.:]+\])(?::([1-9][0-9]{0,4}))?",
    re.ASCII | re.IGNORECASE,
)


def host_is_trusted(hostname: str | None, trusted_list: Iterable[str] | str | None = None) -> bool:
    """Whether ``hostname`` (``host[:port]``) is well formed and, if a list is given, in it.

    A list entry starting with ``.`` also matches every subdomain; ports are
    ignored; names compare case-insensitively, IDNA-encoded.
    """
    if not hostname:
        return False
    match = _HOST.fullmatch(hostname)
    if match is None:
        return False
    host, port = match.groups()
    if port and int(port) > 65535:
        return False
    if not trusted_list:
        return True
    if isinstance(trusted_list, str):
        trusted_list = [trusted_list]
    host = host.lower()
    for entry in trusted_list:
        subdomains = entry.startswith(".")
        if subdomains:
            entry = entry[1:]
        try:
            entry = entry.partition(":")[0].encode("idna").decode("ascii").lower()
        except UnicodeError:
            continue
        if host == entry or (subdomains and host.endswith("." + entry)):
            return True
    return False


def get_host(
    scheme: str,
    host_header: str | None,
    server: tuple[str, int | None] | None = None,
    trusted_hosts: Iterable[str] | None = None,
) -> str:
    """The ``host[:port]`` a request was sent to, without the scheme's default port.

    The ``Host`` field wins; without one, the server's ``(name, port)`` is
    used (a server on a Unix socket, with no port, gives nothing). A value
    with characters no host may contain gives ``""``; with ``trusted_hosts``,
    a host outside the list raises ``SecurityError`` (400).
    """
    if host_header is not None:
        host = host_header
    elif server is not None and server[1] is not None:
        name = server[0]
        if ":" in name and name[:1] != "[":
            name = f"[{name}]"  # an IPv6 SERVER_NAME, bracketed as in a Host field
        host = f"{name}:{server[1]}"
    else:
        return ""
    if scheme in ("http", "ws"):
        host = host.removesuffix(":80")
    elif scheme in ("https", "wss"):
        host = host.removesuffix(":443")
    if not host_is_trusted(host, trusted_hosts):
        if trusted_hosts:
            raise SecurityError(f"Host {host!r} is not trusted.")
        return ""
    return host


# ---------------------------------------------------------- authorization


def parse_authorization(
    value: str | None, cls: type[Authorization] = Authorization
) -> Authorization | None:
    """The credentials of an ``Authorization`` field (RFC 9110 §11.6.2), or ``None``.

    ``Basic`` (RFC 7617) is decoded into ``username`` and ``password``; a
    value with ``=`` inside (``Digest``) into parameters; anything else
    (``Bearer``, RFC 6750) is kept as ``token``. A field that is empty or
    whose Basic credentials are not base64 of UTF-8 gives ``None``.
    """
    if not value:
        return None
    scheme, _, rest = value.partition(" ")
    scheme = scheme.lower()
    rest = rest.strip(" \t")
    if scheme == "basic":
        try:
            decoded = base64.b64decode(rest.encode("ascii"), validate=True).decode()
        except (binascii.Error, UnicodeError, ValueError):
            return None
        username, _, password = decoded.partition(":")
        return cls(scheme, {"username": username, "password": password})
    if "=" in rest.rstrip("="):
        # An "=" that is not base64 padding: auth-params, not a token68.
        return cls(scheme, parse_dict_header(rest), None)
    return cls(scheme, None, rest)


# Werkzeug's werkzeug.http also holds the parsers of the header value types;
# here they live beside their types (accept.py, etags.py, ranges.py,
# cache_control.py, header_values.py), which import this module, so they
# are found on first use under the old address.
_HEADER_VALUE_FUNCTIONS = {
    "parse_accept_header": "accept",
    "parse_etags": "etags",
    "parse_range_header": "ranges",
    "parse_if_range_header": "ranges",
    "parse_content_range_header": "ranges",
    "is_byte_range_valid": "ranges",
    "parse_cache_control_header": "cache_control",
    "parse_age": "cache_control",
    "dump_age": "cache_control",
    "parse_set_header": "header_values",
    "parse_csp_header": "header_values",
    "dump_csp_header": "header_values",
}


__getattr__ = lazy_module_attributes(__name__, __package__, _HEADER_VALUE_FUNCTIONS)
