"""Hypothesis strategies for requests: valid ones with the events they must give, and mutants.

Shared by the property tests (test_properties.py), the differential test
against h11 (test_differential_h11.py) and the fuzz seed corpus.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from hypothesis import strategies as st

from tapster.http import Data, EndOfMessage, Request

__all__ = ["INTERESTING", "Spec", "mutated", "requests"]

TCHAR = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
# RFC 3986 pchar (unreserved, pct-encoded's "%", sub-delims, ":" and "@") and "/",
# plus raw UTF-8 octets, which tapster accepts in a target as obs-text.
PATH_CHARS = "abzAZ09-._~!$&'()*+,;=:@%/\xc3\xa9"
REG_NAME = "abcxyz0189-._~"
# RFC 9110 §5.5: field-vchar (VCHAR / obs-text), and SP / HTAB inside a value.
VALUE_CHARS = "".join(chr(c) for c in range(0x21, 0x7F)) + "\x80\xa0\xe9\xff \t"
STEERING = {"host", "content-length", "transfer-encoding", "connection", "expect"}

tokens = st.text(TCHAR, min_size=1, max_size=10)
methods = st.one_of(
    st.sampled_from(["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"]),
    tokens.filter(lambda method: method != "CONNECT"),
)
hosts = st.builds(
    lambda name, port: name + ("" if port is None else f":{port}"),
    st.text(REG_NAME, min_size=1, max_size=12),
    st.none() | st.integers(0, 65535),
)
paths = st.text(PATH_CHARS, max_size=16).map(lambda text: "/" + text)
queries = st.none() | st.text(PATH_CHARS + "?", max_size=16)
field_names = tokens.filter(lambda name: name.lower() not in STEERING)
field_values = st.text(VALUE_CHARS, max_size=24)
extensions = st.sampled_from([b"", b";a", b";a=b", b' ; name = "quoted \\" ;value"', b";x;y=1"])


@dataclass
class Spec:
    """A valid request, both as the bytes to send and as the events it must give."""

    method: str
    target: str
    version: str
    path: str
    query: str
    host: str | None
    absolute_form: bool
    fields: list[tuple[str, str]]
    body: bytes = b""
    framing: str = "none"  # "none", "length" or "chunked"
    chunks: list[tuple[bytes, bytes]] = field(default_factory=list)  # (data, extension)
    trailers: list[tuple[str, str]] = field(default_factory=list)
    leading_empty_lines: int = 0

    @property
    def request_line(self) -> bytes:
        return f"{self.method} {self.target} HTTP/{self.version}".encode("latin-1")

    @property
    def field_section(self) -> bytes:
        return "\r\n".join(f"{name}:{value}" for name, value in self.fields).encode("latin-1")

    @property
    def chunk_lines(self) -> list[bytes]:
        return [b"%x" % len(data) + extension for data, extension in self.chunks] + [b"0"]

    @property
    def trailer_section(self) -> bytes:
        return "\r\n".join(f"{name}:{value}" for name, value in self.trailers).encode("latin-1")

    def wire(self) -> bytes:
        head = b"\r\n" * self.leading_empty_lines + self.request_line + b"\r\n"
        if self.fields:
            head += self.field_section + b"\r\n"
        head += b"\r\n"
        if self.framing != "chunked":
            return head + self.body
        body = b"".join(
            line + b"\r\n" + data + b"\r\n"
            for line, (data, _) in zip(self.chunk_lines, self.chunks, strict=False)
        )
        body += self.chunk_lines[-1] + b"\r\n"
        if self.trailers:
            body += self.trailer_section + b"\r\n"
        return head + body + b"\r\n"

    def events(self) -> list[Any]:
        """The events this request must give, its Data pieces joined into one."""
        options = {
            token.strip(" \t").lower()
            for name, value in self.fields
            if name.lower() == "connection"
            for token in value.split(",")
        }
        if self.version == "1.1":
            keep_alive = "close" not in options
        else:
            keep_alive = "keep-alive" in options and "close" not in options
        expect = any(name.lower() == "expect" for name, _ in self.fields)
        request = Request(
            method=self.method,
            target=self.target,
            path=self.path,
            query=self.query,
            http_version=self.version,
            headers=[(name.lower(), value.strip(" \t")) for name, value in self.fields],
            host=self.host,
            content_length=len(self.body) if self.framing == "length" else None,
            chunked=self.framing == "chunked",
            keep_alive=keep_alive,
            expect_continue=expect and self.version == "1.1",
            absolute_form=self.absolute_form,
        )
        return [request] + ([Data(self.body)] if self.body else []) + [EndOfMessage()]


@st.composite
def requests(draw: st.DrawFn, *, leading: bool = True) -> Spec:
    """A valid request: any method and target form, fields, and a framed body."""
    version = draw(st.sampled_from(["1.1", "1.0"]))
    method = draw(methods)
    form = draw(st.sampled_from(["origin", "absolute", "asterisk"]))
    host_value = draw(hosts)
    if form == "asterisk":
        method, target, path, query, authority = "OPTIONS", "*", "*", "", None
    else:
        path, query_or_none = draw(paths), draw(queries)
        query = query_or_none or ""
        origin = path + ("" if query_or_none is None else "?" + query_or_none)
        if form == "origin":
            target, authority = origin, None
        else:
            authority = draw(hosts)
            target = draw(st.sampled_from(["http", "https", "HTTP"])) + "://" + authority + origin

    fields: list[tuple[str, str]] = []
    has_host = version == "1.1" or draw(st.booleans())
    if has_host:
        fields.append((draw(st.sampled_from(["Host", "host", "HOST"])), " " + host_value))
    fields += draw(st.lists(st.tuples(field_names, field_values), max_size=6))
    connection = draw(st.sampled_from([None, "close", "keep-alive", "Keep-Alive, Upgrade"]))
    if connection is not None:
        fields.append(("Connection", " " + connection))
    if draw(st.booleans()):
        fields.append(("Expect", " 100-continue"))

    framing = draw(st.sampled_from(["none", "length", "chunked"] if version == "1.1"
                                   else ["none", "length"]))
    body = b"" if framing == "none" else draw(st.binary(max_size=200))
    chunks: list[tuple[bytes, bytes]] = []
    trailers: list[tuple[str, str]] = []
    if framing == "length":
        fields.append(("Content-Length", f" {len(body)}"))
    elif framing == "chunked":
        coding = draw(st.sampled_from([" chunked", "chunked", " CHUNKED"]))
        fields.append(("Transfer-Encoding", coding))
        offsets = sorted(draw(st.sets(st.integers(1, max(1, len(body) - 1)), max_size=5)))
        bounds = [0] + [offset for offset in offsets if offset < len(body)] + [len(body)]
        chunks = [(body[start:end], draw(extensions)) for start, end in pairwise(bounds)
                  if end > start]
        trailers = draw(st.lists(st.tuples(field_names, field_values), max_size=3))
    # Shuffle the field lines: the order must not matter to the framing.
    fields = draw(st.permutations(fields))
    return Spec(
        method=method, target=target, version=version, path=path, query=query,
        host=authority if authority is not None else (host_value if has_host else None),
        absolute_form=authority is not None, fields=list(fields), body=body, framing=framing,
        chunks=chunks, trailers=trailers,
        leading_empty_lines=draw(st.integers(0, 2)) if leading else 0,
    )


INTERESTING = b"\r\n\x00 \t:;,=\"\\0123456789aAfFgx+-_\x7f\x80\xff/?#@%*"


@st.composite
def mutated(draw: st.DrawFn, *, leading: bool = True) -> bytes:
    """A valid request (or two) with a few octets replaced, inserted, deleted or repeated.

    ``leading=False`` leaves out empty lines before the request lines.
    """
    specs = draw(st.lists(requests(leading=leading), min_size=1, max_size=2))
    data = bytearray(b"".join(spec.wire() for spec in specs))
    octets = st.one_of(st.sampled_from(list(INTERESTING)), st.integers(0, 255))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        kind = draw(st.sampled_from(["replace", "insert", "delete", "repeat", "crlf", "token"]))
        if kind == "replace" and at < len(data):
            data[at] = draw(octets)
        elif kind == "insert":
            data[at:at] = bytes([draw(octets)])
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 32))]
        elif kind == "repeat":
            data[at:at] = data[at : at + draw(st.integers(1, 16))] * draw(st.integers(1, 4))
        elif kind == "crlf":
            data[at:at] = b"\r\n"
        else:
            # A whole element: from a separator to the next one (a target, a
            # value, a chunk size...), deleted, repeated or swapped for another.
            separators = [i for i, octet in enumerate(data) if octet in b" :;,\r\n"]
            if len(separators) < 2:
                continue
            index = draw(st.integers(0, len(separators) - 2))
            start, end = separators[index] + 1, separators[index + 1]
            action = draw(st.sampled_from(["delete", "repeat", "replace"]))
            if action == "delete":
                del data[start:end]
            elif action == "repeat":
                data[start:end] = data[start:end] * 2
            else:
                data[start:end] = draw(st.sampled_from(
                    [b"", b"0", b"-1", b"ffffffffffffffffff", b"chunked", b"close", b"*",
                     b"http://a@b/", b"HTTP/1.1", b"999999999999999999999", b"\xff", b" "]
                ))
    return bytes(data)
