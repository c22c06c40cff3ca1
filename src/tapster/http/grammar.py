"""The request grammar of RFC 9112 and RFC 9110, as compiled regular expressions.

Each pattern stands beside the ABNF rule it implements. All patterns work on
``str`` decoded as latin-1, so that one character is one octet and obs-text
(%x80-FF) survives unchanged. None of them can backtrack more than linearly:
no group can match the text its neighbour matches, so a hostile 64 KiB line
costs about what a plain one does.
"""

from __future__ import annotations

import re

# RFC 9110 §5.6.2
#   token = 1*tchar
#   tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." /
#           "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
_TCHAR = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]"
TOKEN = re.compile(_TCHAR + "+")

# RFC 9112 §3
#   request-line   = method SP request-target SP HTTP-version
#   method         = token
# The target and version are captured loosely here (no SP, no CTL, no DEL) and
# checked apart, so that a bad version gets 505 and a bad target 400.
REQUEST_LINE = re.compile(
    rf"({_TCHAR}+) ([^\x00-\x20\x7f]+) ([^\x00-\x20\x7f]+)"
)
# What the target and version above exclude: CTL, SP and DEL. Finds the
# octet that made a request line fail, to say so in the 400.
REQUEST_LINE_INVALID = re.compile(r"[\x00-\x20\x7f]")

# RFC 9112 §2.3
#   HTTP-version = HTTP-name "/" DIGIT "." DIGIT
#   HTTP-name    = %s"HTTP"     (case-sensitive)
HTTP_VERSION = re.compile(r"HTTP/([0-9])\.([0-9])")

# RFC 9110 §5.5
#   field-value    = *field-content
#   field-content  = field-vchar [ 1*( SP / HTAB / field-vchar ) field-vchar ]
#   field-vchar    = VCHAR / obs-text
# After trimming SP and HTAB (RFC 9112 §5: OWS around the value), a value is
# valid when it holds no character outside HTAB, SP, VCHAR and obs-text. This
# finds the first offending one: NUL, bare CR, bare LF or another CTL, or DEL.
FIELD_VALUE_INVALID = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")

# The same check over a whole header section, whose lines are joined by CRLF:
# any CTL but HTAB, CR and LF (bare CRs and LFs are counted apart).
FIELD_SECTION_CTL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# RFC 9112 §2.2: a CR not followed by LF (a bare CR) makes the element it is
# in invalid. On bytes, so that an unfinished head or trailer section can be
# refused as soon as the octet after the CR arrives, not when (or if) it ends.
BARE_CR = re.compile(rb"\r[^\n]")

# RFC 9112 §3.2.2 / RFC 3986 §3
#   absolute-form = absolute-URI
#   absolute-URI  = scheme ":" hier-part [ "?" query ]
#   scheme        = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
# Only the "//" authority form of hier-part names a host we can serve.
ABSOLUTE_FORM = re.compile(r"([A-Za-z][A-Za-z0-9+\-.]*)://([^/?]*)([^?]*)(?:\?(.*))?", re.S)

# RFC 9110 §7.2 and RFC 3986 §3.2.2
#   Host       = uri-host [ ":" port ]
#   uri-host   = IP-literal / IPv4address / reg-name
#   IP-literal = "[" ( IPv6address / IPvFuture  ) "]"
#   reg-name   = *( unreserved / pct-encoded / sub-delims )
#   port       = *DIGIT
# IPv4address is a special case of reg-name. The IP-literal check is loose
# (hex digits, colons, dots, and IPvFuture's "v" and unreserved characters):
# what matters here is that no delimiter or whitespace slips through.
HOST = re.compile(
    r"(?:\[[0-9A-Za-z:.\-_~!$&'()*+,;=%]+\]|[0-9A-Za-z\-._~!$&'()*+,;=%]*)(?::[0-9]*)?"
)

# RFC 9112 §7.1
#   chunk      = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
#   chunk-size = 1*HEXDIG
#   chunk-ext  = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
#   chunk-ext-name = token
#   chunk-ext-val  = token / quoted-string
# RFC 9110 §5.6.4
#   quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE
#   qdtext        = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text
#   quoted-pair   = "\" ( HTAB / SP / VCHAR / obs-text )
_QUOTED_STRING = r'"(?:[\t \x21\x23-\x5b\x5d-\x7e\x80-\xff]|\\[\t \x21-\x7e\x80-\xff])*"'
CHUNK_SIZE_LINE = re.compile(
    rf"([0-9A-Fa-f]+)((?:[ \t]*;[ \t]*{_TCHAR}+(?:[ \t]*=[ \t]*(?:{_TCHAR}+|{_QUOTED_STRING}))?)*)"
)
