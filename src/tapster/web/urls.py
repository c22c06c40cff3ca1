"""URL text helpers: IRI <-> URI conversion and rebuilding a request's URL.

An IRI (RFC 3987) may hold any Unicode character; a URI (RFC 3986) holds
ASCII only, with everything else percent-encoded as UTF-8. ``request.url``
is shown as an IRI, as in Werkzeug; a ``Location`` header is sent as a URI.
"""

from __future__ import annotations

import codecs
import re
from urllib.parse import quote, urlsplit, urlunsplit

__all__ = ["get_current_url", "iri_to_uri", "uri_to_iri"]


def _quote_undecodable(error: UnicodeError) -> tuple[str, int]:
    """Codec error handler: bytes that are not UTF-8 go back to ``%XX`` escapes."""
    bad = error.object[error.start : error.end]  # type: ignore[attr-defined]
    return quote(bad, safe=""), error.end  # type: ignore[attr-defined]


#: Decoding with ``errors=URL_QUOTE`` keeps undecodable bytes as ``%XX``, so
#: ``?a=%FF`` reads as ``"%FF"`` instead of failing or losing the byte.
URL_QUOTE = "tapster.url_quote"
codecs.register_error(URL_QUOTE, _quote_undecodable)

# RFC 3987 §3.2: controls, space and "%" always stay encoded in an IRI; each
# part also keeps its own delimiters encoded so the URL's meaning is unchanged.
_ALWAYS_ENCODED = "".join(map(chr, range(0x21))) + "%\x7f"
_KEEP_IN_PATH = frozenset(_ALWAYS_ENCODED + "/?#")
_KEEP_IN_QUERY = frozenset(_ALWAYS_ENCODED + "&=+#")
_KEEP_IN_FRAGMENT = frozenset(_ALWAYS_ENCODED)
_KEEP_IN_USERINFO = frozenset(_ALWAYS_ENCODED + ":@/?#")
_ESCAPE_RUN = re.compile(r"(?:%[0-9A-Fa-f]{2})+")


def _decode_escapes(text: str, keep: frozenset[str]) -> str:
    """Decode the ``%XX`` escapes of ``text`` as UTF-8, except bytes for ``keep`` characters.

    A kept escape is left exactly as written; bytes that are not UTF-8 stay escaped.
    """
    if "%" not in text:
        return text

    def decode_run(match: re.Match[str]) -> str:
        run = match.group()
        out: list[str] = []
        pending = bytearray()
        for start in range(0, len(run), 3):
            escape = run[start : start + 3]
            byte = int(escape[1:], 16)
            if byte < 0x80 and chr(byte) in keep:
                out.append(pending.decode("utf-8", URL_QUOTE))
                pending.clear()
                out.append(escape)
            else:
                pending.append(byte)
        out.append(pending.decode("utf-8", URL_QUOTE))
        return "".join(out)

    return _ESCAPE_RUN.sub(decode_run, text)


def _decode_idna(host: str) -> str:
    """A host name with its ``xn--`` labels shown in Unicode; bad labels stay as sent."""
    if not host.isascii():
        return host
    try:
        return host.encode("ascii").decode("idna")
    except UnicodeError:
        pass
    labels = []
    for label in host.split("."):
        try:
            labels.append(label.encode("ascii").decode("idna"))
        except UnicodeError:
            labels.append(label)
    return ".".join(labels)


def uri_to_iri(uri: str) -> str:
    """Decode a URI's escapes where that keeps its meaning, and its punycode host.

    ``http://xn--n3h.net/p%C3%A5th?q=%C3%A8ry%DF`` becomes
    ``http://☃.net/påth?q=èry%DF``: reserved characters, controls, spaces and
    bytes that are not UTF-8 stay escaped.
    """
    parts = urlsplit(uri)
    netloc = _decode_idna(parts.hostname) if parts.hostname else ""
    if ":" in netloc:
        netloc = f"[{netloc}]"
    if parts.port is not None:
        netloc = f"{netloc}:{parts.port}"
    if parts.username is not None:
        userinfo = _decode_escapes(parts.username, _KEEP_IN_USERINFO)
        if parts.password is not None:
            userinfo += ":" + _decode_escapes(parts.password, _KEEP_IN_USERINFO)
        netloc = f"{userinfo}@{netloc}"
    return urlunsplit(
        (
            parts.scheme,
            netloc,
            _decode_escapes(parts.path, _KEEP_IN_PATH),
            _decode_escapes(parts.query, _KEEP_IN_QUERY),
            _decode_escapes(parts.fragment, _KEEP_IN_FRAGMENT),
        )
    )


# RFC 3986 §3.3-3.5 characters allowed unencoded in each part, plus "%" so
# that what is already escaped is not escaped twice.
_PATH_SAFE = "%!$&'()*+,/:;=@"
_QUERY_SAFE = "%!$&'()*+,/:;=?@"
_FRAGMENT_SAFE = "%!#$&'()*+,/:;=?@"
_USERINFO_SAFE = "%!$&'()*+,;="


def iri_to_uri(iri: str) -> str:
    """Encode an IRI as an ASCII URI: UTF-8 escapes, and punycode for the host.

    ``http://☃.net/påth`` becomes ``http://xn--n3h.net/p%C3%A5th``. Reserved
    characters and existing escapes are kept. A value that is not a URL at all
    (a bad port, an unencodable host) is escaped as a whole instead.
    """
    if (
        iri[:1] == "/"
        and iri[1:2] != "/"
        and iri.isascii()
        and _URI_UNSAFE.search(iri) is None
        and not iri.endswith(("?", "#"))
        and "?#" not in iri
    ):
        # A plain ASCII path, the usual redirect target: splitting and joining
        # would give it back unchanged, so skip that work.
        return iri
    try:
        parts = urlsplit(iri)
        netloc = parts.hostname.encode("idna").decode("ascii") if parts.hostname else ""
        if ":" in netloc:
            netloc = f"[{netloc}]"
        if parts.port is not None:
            netloc = f"{netloc}:{parts.port}"
        if parts.username is not None:
            userinfo = quote(parts.username, safe=_USERINFO_SAFE)
            if parts.password is not None:
                userinfo += ":" + quote(parts.password, safe=_USERINFO_SAFE)
            netloc = f"{userinfo}@{netloc}"
    except ValueError:  # includes UnicodeError from the IDNA codec
        return quote(iri, safe=_FRAGMENT_SAFE + "[]")
    return urlunsplit(
        (
            parts.scheme,
            netloc,
            quote(parts.path, safe=_PATH_SAFE),
            quote(parts.query, safe=_QUERY_SAFE),
            quote(parts.fragment, safe=_FRAGMENT_SAFE),
        )
    )


# ASCII characters a URI path or query may not contain unencoded (RFC 3986
# §2-3): controls, space, and " < > [ \ ] ^ ` { | }.
_URI_UNSAFE = re.compile(r'[\x00-\x20"<>\[\\\]^`{|}\x7f]')


def get_current_url(
    scheme: str,
    host: str,
    root_path: str | None = None,
    path: str | None = None,
    query_string: bytes | None = None,
) -> str:
    """The URL of a request from its parts, as an IRI; parts left ``None`` end it.

    ``root_path`` alone gives the application root (with a trailing ``/``);
    nothing after ``host`` gives the host URL.
    """
    if (
        scheme in ("http", "https")
        and host
        and host == host.lower()
        and "xn--" not in host
        and (root_path is None or _PLAIN_PATH.fullmatch(root_path))
        and (path is None or _PLAIN_PATH.fullmatch(path))
        and (not query_string or _PLAIN_QUERY.fullmatch(query_string))
    ):
        # Nothing to escape nor to unescape: the parts go in as they are. (The
        # general route below gives the same string, five times slower.)
        if root_path is None:
            return f"{scheme}://{host}/"
        url = f"{scheme}://{host}{root_path.rstrip('/')}/"
        if path is None:
            return url
        url += path.lstrip("/")
        if query_string:
            url += "?" + query_string.decode("ascii")
        return url
    try:
        return _build_url(scheme, host, root_path, path, query_string)
    except ValueError:  # urlsplit refuses a malformed IPv6 host; show the URL as it is
        return f"{scheme}://{host}{root_path or ''}{path or ''}"


# Characters that quote() leaves alone and uri_to_iri() does not touch.
_PLAIN_PATH = re.compile(r"[A-Za-z0-9_.\-~!$&'()*+,/:;=@]*")
_PLAIN_QUERY = re.compile(rb"[A-Za-z0-9_.\-~!$&'()*+,/:;=?@]*")


def _build_url(
    scheme: str,
    host: str,
    root_path: str | None,
    path: str | None,
    query_string: bytes | None,
) -> str:
    url = f"{scheme}://{host}/"
    if root_path is not None:
        url = url[:-1] + quote(root_path.rstrip("/"), safe=_PATH_SAFE) + "/"
        if path is not None:
            url += quote(path.lstrip("/"), safe=_PATH_SAFE)
            if query_string:
                url += "?" + quote(query_string, safe=_QUERY_SAFE)
    return uri_to_iri(url)
