"""Request smuggling, case by case: raw requests to a live server, each with its exact outcome.

Smuggling lives where two parsers (a proxy in front, tapster behind) frame the
same bytes differently. Every case here is a request built to be framed two
ways, followed on the same connection by ``GET /smuggled``: the bytes an
attacker hopes the server takes for a request of its own. Each case states
the exact answer - the statuses in order, which requests the application
served (method, path and body length), and whether the server closed the
connection - and the application's record proves that ``/smuggled`` was
never served. docs/http.md and docs/security.md give the rule behind each.

Everything is bounded in time: socket time-outs and the reader's deadline.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.rawhttp import ResponseReader

#: What an attacker hides after a request; it must never reach the application.
SMUGGLED = b"GET /smuggled HTTP/1.1\r\nHost: t\r\n\r\n"
#: A legitimate pipelined request, served when the one before it was framed soundly.
NEXT = b"GET /next HTTP/1.1\r\nHost: t\r\n\r\n"
SERVED_NEXT = ("GET", "/next", 0)

#: Every read and write of a case is bounded by this (seconds).
TIMEOUT = 5.0


class Witness:
    """The application: reads the body (unless the path starts with /noread), then
    answers ``METHOD PATH LENGTH #N`` and records the request.

    ``started`` lists the path of every call; ``served`` the (method, path, body
    length) of every request whose body was read whole and answered.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.started: list[str] = []
        self.served: list[tuple[str, str, int]] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        method, path = environ["REQUEST_METHOD"], environ["PATH_INFO"]
        with self.lock:
            self.started.append(path)
        size = 0 if path.startswith("/noread") else len(environ["wsgi.input"].read())
        with self.lock:
            self.served.append((method, path, size))
            count = len(self.served)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [f"{method} {path} {size} #{count}".encode()]


@dataclass
class Case:
    """Bytes to send on one connection and the exact outcome they must have."""

    data: bytes
    statuses: list[int]
    served: list[tuple[str, str, int]] = field(default_factory=list)
    #: Whether the server must close the connection by itself after the last response.
    closes: bool = True


def refused(data: bytes, status: int = 400) -> Case:
    """``data`` is refused with ``status``; the request hidden after it is never served."""
    return Case(data + SMUGGLED, [status])


def accepted(data: bytes, *served: tuple[str, str, int]) -> Case:
    """``data`` is served as ``served``; the request pipelined after it is served too."""
    return Case(data + NEXT, [200] * (len(served) + 1), [*served, SERVED_NEXT], closes=False)


def served_then_refused(data: bytes, *served: tuple[str, str, int]) -> Case:
    """The requests ``served`` are answered, then what follows them is refused (400)."""
    return Case(data + SMUGGLED, [200] * len(served) + [400], list(served))


def run_case(server: Any, witness: Witness, case: Case) -> None:
    """Send the case's bytes, read its responses, and check every part of its outcome."""
    with server.connect(TIMEOUT) as sock:
        sock.sendall(case.data)
        reader = ResponseReader(sock, deadline=TIMEOUT)
        responses = []
        for _ in case.statuses:
            try:
                responses.append(reader.read_response())
            except ConnectionError:
                break
        got = [response.status for response in responses]
        assert got == case.statuses, (got, [r.body for r in responses])
        for response in responses:
            assert response.complete
            if response.status >= 400:
                assert response.closes, response.head  # RFC 9112 §6.3: then close
                assert response.header("Content-Type") == "text/plain; charset=utf-8"
                assert 0 < len(response.body) < 200  # one short line, no traceback
        if case.closes:
            # Closed by the server on its own: the client has not half-closed.
            assert reader.closed(), reader.leftover
        else:
            assert not any(response.closes for response in responses)
            sock.shutdown(socket.SHUT_WR)
            assert reader.closed(), reader.leftover  # nothing more was answered
    with witness.lock:
        assert witness.served == case.served
        assert "/smuggled" not in witness.started


@pytest.fixture
def witness_server(serve_app: Any) -> tuple[Any, Witness]:
    witness = Witness()
    return serve_app(witness), witness


def cases(table: dict[str, Case]) -> Any:
    """Parametrize a test over a table of named cases."""
    return pytest.mark.parametrize("case", list(table.values()), ids=list(table))


# -- Transfer-Encoding: CL.TE, TE.CL and TE.TE ----------------------------------------------

# A chunked body of five octets. A server that did not take the request as
# chunked would see "5" as the next request line.
CHUNKED_BODY = b"5\r\nhello\r\n0\r\n\r\n"


def te_request(*fields: bytes, version: bytes = b"1.1", body: bytes = CHUNKED_BODY) -> bytes:
    head = b"POST /te HTTP/" + version + b"\r\nHost: t\r\n"
    return head + b"".join(line + b"\r\n" for line in fields) + b"\r\n" + body


def chunked(*fields: bytes) -> Case:
    """Taken as a chunked body: served with its five octets."""
    return accepted(te_request(*fields), ("POST", "/te", 5))


def not_transfer_encoding(*fields: bytes) -> Case:
    """Not a Transfer-Encoding field at all: no body, so the chunked body is a bad request."""
    return served_then_refused(te_request(*fields), ("POST", "/te", 0))


TRANSFER_ENCODING = {
    # RFC 9112 §7: transfer-coding names are case-insensitive; OWS around a value is trimmed
    # (§5); empty list elements are ignored (RFC 9110 §5.6.1).
    "chunked": chunked(b"Transfer-Encoding: chunked"),
    "Chunked": chunked(b"Transfer-Encoding: Chunked"),
    "CHUNKED": chunked(b"Transfer-Encoding: CHUNKED"),
    "lower-case name": chunked(b"transfer-encoding: chunked"),
    "upper-case name": chunked(b"TRANSFER-ENCODING: chunked"),
    "no space after the colon": chunked(b"Transfer-Encoding:chunked"),
    "spaces around the value": chunked(b"Transfer-Encoding:   chunked   "),
    "tabs around the value": chunked(b"Transfer-Encoding:\tchunked\t"),
    "empty element first": chunked(b"Transfer-Encoding: , chunked"),
    "empty element last": chunked(b"Transfer-Encoding: chunked ,"),
    # Whitespace in the name, or a line that is not a field line of its own.
    "space before the colon": refused(te_request(b"Transfer-Encoding : chunked")),
    "tab before the colon": refused(te_request(b"Transfer-Encoding\t: chunked")),
    "space before the name (obs-fold)": refused(te_request(b" Transfer-Encoding: chunked")),
    "tab before the name (obs-fold)": refused(te_request(b"\tTransfer-Encoding: chunked")),
    "value on a folded line": refused(te_request(b"Transfer-Encoding:\r\n chunked")),
    "value continued on a folded line": refused(te_request(b"Transfer-Encoding: chunked\r\n x")),
    "bare LF before the field": refused(te_request(b"X-A: b\nTransfer-Encoding: chunked")),
    "bare CR before the field": refused(te_request(b"X-A: b\rTransfer-Encoding: chunked")),
    "bare CR after the value": refused(te_request(b"Transfer-Encoding: chunked\r")),
    # Control characters around or inside the value (RFC 9110 §5.5).
    **{
        f"{where} {char!r}": refused(te_request(b"Transfer-Encoding: " + value))
        for char in (b"\x00", b"\x01", b"\x0b", b"\x0c", b"\x1f", b"\x7f")
        for where, value in (
            ("leading", char + b"chunked"),
            ("trailing", b"chunked" + char),
            ("inside", b"chun" + char + b"ked"),
        )
    },
    "NUL in the name": refused(te_request(b"Transfer-Encoding\x00: chunked")),
    # Lists and duplicates (RFC 9112 §6.3: chunked must be final, and once).
    "chunked, chunked": refused(te_request(b"Transfer-Encoding: chunked, chunked")),
    "chunked, identity": refused(te_request(b"Transfer-Encoding: chunked, identity")),
    "chunked, gzip": refused(te_request(b"Transfer-Encoding: chunked, gzip")),
    "identity": refused(te_request(b"Transfer-Encoding: identity")),
    "gzip": refused(te_request(b"Transfer-Encoding: gzip")),
    "identity, chunked": refused(te_request(b"Transfer-Encoding: identity, chunked"), 501),
    "gzip, chunked": refused(te_request(b"Transfer-Encoding: gzip, chunked"), 501),
    "two lines of chunked": refused(
        te_request(b"Transfer-Encoding: chunked", b"Transfer-Encoding: chunked")),
    "chunked, then a line of identity": refused(
        te_request(b"Transfer-Encoding: chunked", b"Transfer-Encoding: identity")),
    "chunked, then a line of cow": refused(
        te_request(b"Transfer-Encoding: chunked", b"Transfer-Encoding: cow")),
    "a line of gzip, then chunked": refused(
        te_request(b"Transfer-Encoding: gzip", b"Transfer-Encoding: chunked"), 501),
    "an empty line of it, then chunked": refused(
        te_request(b"Transfer-Encoding:", b"Transfer-Encoding: chunked")),
    "chunked, then an empty line of it": refused(
        te_request(b"Transfer-Encoding: chunked", b"Transfer-Encoding:")),
    "chunked, then a line of a comma": refused(
        te_request(b"Transfer-Encoding: chunked", b"Transfer-Encoding: ,")),
    "a line of commas, then chunked": refused(
        te_request(b"Transfer-Encoding: , ,", b"Transfer-Encoding: chunked")),
    # Look-alikes (RFC 9112 §6.3: a coding other than chunked last is a 400).
    "xchunked": refused(te_request(b"Transfer-Encoding: xchunked")),
    "chunkedx": refused(te_request(b"Transfer-Encoding: chunkedx")),
    "chunked-false": refused(te_request(b"Transfer-Encoding: chunked-false")),
    "chunk": refused(te_request(b"Transfer-Encoding: chunk")),
    "quoted": refused(te_request(b'Transfer-Encoding: "chunked"')),
    "with a parameter": refused(te_request(b"Transfer-Encoding: chunked;q=1")),
    "two words": refused(te_request(b"Transfer-Encoding: chunked chunked")),
    "a space inside": refused(te_request(b"Transfer-Encoding: chun ked")),
    "KELVIN SIGN for k (UTF-8)": refused(
        te_request("Transfer-Encoding: chun\u212aed".encode())),
    "obs-text": refused(te_request(b"Transfer-Encoding: chunked\xff")),
    "empty": refused(te_request(b"Transfer-Encoding:")),
    "only spaces": refused(te_request(b"Transfer-Encoding:   ")),
    "only a comma": refused(te_request(b"Transfer-Encoding: ,")),
    # RFC 9112 §6.1: Transfer-Encoding in HTTP/1.0 means faulty framing.
    "on HTTP/1.0": refused(te_request(b"Transfer-Encoding: chunked", version=b"1.0")),
    "on HTTP/1.0 with Content-Length": refused(
        te_request(b"Transfer-Encoding: chunked", b"Content-Length: 15", version=b"1.0")),
    # Not Transfer-Encoding: an ordinary field, so no body.
    "underscore for the hyphen": not_transfer_encoding(b"Transfer_Encoding: chunked"),
    "a prefixed name": not_transfer_encoding(b"X-Transfer-Encoding: chunked"),
    "a misspelt name": not_transfer_encoding(b"Transfer-Encodings: chunked"),
}


@cases(TRANSFER_ENCODING)
def test_transfer_encoding_obfuscations(witness_server, case):
    run_case(*witness_server, case)


# A body that reads as one request under Content-Length and as another under chunked.
CL_TE = {
    # CL.TE: a front end that frames by Content-Length passes "0\r\n\r\n" plus the
    # smuggled request as one body; one that frames by chunked ends at "0".
    "CL.TE": refused(te_request(b"Content-Length: 42", b"Transfer-Encoding: chunked",
                                body=b"0\r\n\r\n")),
    "TE.CL": refused(te_request(b"Transfer-Encoding: chunked", b"Content-Length: 4",
                                body=b"5c\r\nGPOST / HTTP/1.1\r\n\r\n0\r\n\r\n")),
    "CL.TE, Content-Length 0": refused(te_request(b"Content-Length: 0",
                                                  b"Transfer-Encoding: chunked")),
    "TE.CL with an obfuscated TE": refused(te_request(b"Transfer-Encoding: xchunked",
                                                      b"Content-Length: 4")),
    "TE.CL with TE in upper case": refused(te_request(b"TRANSFER-ENCODING: CHUNKED",
                                                      b"Content-Length: 4")),
    "TE.CL with two Content-Lengths": refused(te_request(
        b"Content-Length: 4", b"Transfer-Encoding: chunked", b"Content-Length: 4")),
    "TE.TE: chunked then cow, with Content-Length": refused(te_request(
        b"Transfer-Encoding: chunked", b"Transfer-Encoding: cow", b"Content-Length: 4")),
    "TE.TE: a folded second value": refused(te_request(
        b"Transfer-Encoding: chunked", b"Transfer-Encoding:\r\n chunked")),
}


@cases(CL_TE)
def test_cl_te_te_cl_te_te(witness_server, case):
    run_case(*witness_server, case)


# -- Content-Length (RFC 9112 §6.3, RFC 9110 §8.6: 1*DIGIT) ---------------------------------


def cl_request(*fields: bytes, body: bytes = b"hello") -> bytes:
    head = b"POST /cl HTTP/1.1\r\nHost: t\r\n" + b"".join(f + b"\r\n" for f in fields)
    return head + b"\r\n" + body


def length(*fields: bytes) -> Case:
    """Taken as a five-octet body."""
    return accepted(cl_request(*fields), ("POST", "/cl", 5))


CONTENT_LENGTH = {
    "5": length(b"Content-Length: 5"),
    "leading zeros": length(b"Content-Length: 0005"),
    "OWS around": length(b"Content-Length: \t 5 \t"),
    "no space": length(b"Content-Length:5"),
    "5, 5 (identical list, RFC 9110 §8.6)": length(b"Content-Length: 5, 5"),
    "5,5": length(b"Content-Length: 5,5"),
    "two identical lines": length(b"Content-Length: 5", b"Content-Length: 5"),
    "two lines, 5 and 05": length(b"Content-Length: 5", b"Content-Length: 05"),
    # Without a length, what follows the head is the next request ("hello\r\n" is not
    # one). Note that "hello" + "GET /smuggled ..." would be: "helloGET" is a token.
    "0, then the body read as a request": served_then_refused(
        cl_request(b"Content-Length: 0", body=b"hello\r\n"), ("POST", "/cl", 0)),
    # Not 1*DIGIT.
    **{
        f"{value!r}": refused(cl_request(b"Content-Length: " + value))
        for value in (b"+5", b"-5", b"0x5", b"0X5", b"5h", b"5.0", b"5e0", b"1_0", b"5_",
                      b"5 5", b"5\t5", b"5,", b",5", b"5,,5", b"", b" ", b"\xb2", b"\xb5",
                      b"\x005", b"5\x00", b"5\x0b", b"\x0c5", b"5\x7f", b"\xef\xbc\x95",
                      b'"5"', b"-0", b"five")
    },
    # Disagreeing values (RFC 9112 §6.3: unrecoverable; 400).
    "5, 6": refused(cl_request(b"Content-Length: 5, 6")),
    "two lines, 5 and 6": refused(cl_request(b"Content-Length: 5", b"Content-Length: 6")),
    "two lines, 5 and empty": refused(cl_request(b"Content-Length: 5", b"Content-Length:")),
    # Overflow: any value over 18 digits, however it would wrap, is 413 before any body.
    "2**64 + 5": refused(cl_request(b"Content-Length: 18446744073709551621"), 413),
    "2**63 + 5": refused(cl_request(b"Content-Length: 9223372036854775813"), 413),
    "2**32 + 5 (over the body limit)": refused(cl_request(b"Content-Length: 4294967301"), 413),
    "forty nines": refused(cl_request(b"Content-Length: " + b"9" * 40), 413),
    # The field name itself.
    "space before the colon": refused(cl_request(b"Content-Length : 5")),
    "folded value": refused(cl_request(b"Content-Length:\r\n 5")),
    "underscore for the hyphen": served_then_refused(
        cl_request(b"Content_Length: 7", body=b"hello\r\n"), ("POST", "/cl", 0)),
}


@cases(CONTENT_LENGTH)
def test_content_length_variants(witness_server, case):
    run_case(*witness_server, case)


# -- chunk sizes and chunk data (RFC 9112 §7.1) ----------------------------------------------


def chunk_case(body: bytes, status: int = 400) -> Case:
    """A chunked request whose head is sound and whose body is refused: the
    application started reading it, so it is never served."""
    return refused(te_request(b"Transfer-Encoding: chunked", body=body), status)


CHUNKS = {
    # Chunk sizes: 1*HEXDIG, nothing else.
    **{
        f"size {size!r}": chunk_case(size + b"\r\nhello\r\n0\r\n\r\n")
        for size in (b"0x5", b"0X5", b"-5", b"+5", b" 5", b"5 ", b"\t5", b"5\t", b"5_",
                     b"g", b"5;", b"5 ;", b"; a", b"\xb5", b"\x005", b"5\x00", b"\xef\xbc\x95")
    },
    "size missing": chunk_case(b"\r\nhello\r\n0\r\n\r\n"),
    "last-chunk size missing": chunk_case(b"5\r\nhello\r\n\r\n\r\n"),
    "size of 17 hex digits": chunk_case(b"1" + b"0" * 16 + b"\r\nhello\r\n0\r\n\r\n"),
    "size of 17 digits, leading zeros": chunk_case(b"0" * 16 + b"5\r\nhello\r\n0\r\n\r\n"),
    "size 2**64 + 5 (wraps to 5)": chunk_case(b"10000000000000005\r\nhello\r\n0\r\n\r\n"),
    "size 2**64 - 1 (over the body limit)": chunk_case(b"ffffffffffffffff\r\nhello\r\n", 413),
    # Chunk data: exactly size octets, then exactly CRLF.
    "data longer than the size": chunk_case(b"3\r\nhello\r\n0\r\n\r\n"),
    "data shorter than the size": chunk_case(b"6\r\nhello\r\n0\r\n\r\n"),
    "data then two junk octets": chunk_case(b"5\r\nhelloXX0\r\n\r\n"),
    "data then a bare LF": chunk_case(b"5\r\nhello\n0\r\n\r\n"),
    "data then a bare CR": chunk_case(b"5\r\nhello\r0\r\n\r\n"),
    "data then LF CR": chunk_case(b"5\r\nhello\n\r0\r\n\r\n"),
    "data then nothing before the next size": chunk_case(b"5\r\nhello0\r\n\r\n"),
    "data then the smuggled request": chunk_case(b"5\r\nhello" + SMUGGLED),
    # Extensions: ";" name [ "=" value ], BWS around the separators only.
    "extension name missing": chunk_case(b"5;=x\r\nhello\r\n0\r\n\r\n"),
    "extension unterminated quoted value": chunk_case(b'5;a="x\r\nhello\r\n0\r\n\r\n'),
    "extension with a control": chunk_case(b"5;a=\x01\r\nhello\r\n0\r\n\r\n"),
    # Trailers are checked as field lines, then dropped.
    "trailer with a bad name": chunk_case(b"0\r\nX Y: z\r\n\r\n"),
    "trailer with NUL": chunk_case(b"0\r\nX-T: a\x00b\r\n\r\n"),
    "trailer folded": chunk_case(b"0\r\nX-T: a\r\n b\r\n\r\n"),
    "trailer without a colon": chunk_case(b"0\r\nX-T\r\n\r\n"),
    # Sound bodies, for contrast.
    "extensions, then framing fields in the trailers (dropped)": accepted(
        te_request(b"Transfer-Encoding: chunked",
                   body=b'5 ; a = b ; c = "d;e"\r\nhello\r\n0\r\n'
                        b"Content-Length: 99\r\nTransfer-Encoding: gzip\r\n\r\n"),
        ("POST", "/te", 5)),
    "last chunk of zeros": accepted(
        te_request(b"Transfer-Encoding: chunked", body=b"5\r\nhello\r\n0000\r\n\r\n"),
        ("POST", "/te", 5)),
}


@cases(CHUNKS)
def test_chunk_sizes_data_and_trailers(witness_server, case):
    run_case(*witness_server, case)


# -- bare CR and bare LF, in every position ---------------------------------------------------

# A request with every kind of element: request line, field lines, chunk-size
# line with an extension, chunk data, last chunk, a trailer.
FULL = (
    b"POST /bare?q=1 HTTP/1.1\r\nHost: t\r\nX-A: b c\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"5;e=1\r\nhello\r\n0\r\nX-T: 1\r\n\r\n"
)
# Where to insert an octet: after the n-th occurrence of a marker.
POSITIONS = {
    "before the request line": 0,
    "after the method": FULL.index(b" /bare"),
    "inside the target": FULL.index(b"are?"),
    "before the version": FULL.index(b" HTTP/"),
    "after the version": FULL.index(b"\r\nHost"),
    "inside a field name": FULL.index(b"ost:"),
    "before a colon": FULL.index(b": t"),
    "after a colon": FULL.index(b" t\r\n"),
    "inside a value": FULL.index(b" c\r\n"),
    "after a value": FULL.index(b"\r\nX-A"),
    "at the start of a field line": FULL.index(b"X-A"),
    "at the end of the head": FULL.index(b"\r\n\r\n5") + 2,
    "inside a chunk size": FULL.index(b";e=1"),
    "inside a chunk extension": FULL.index(b"=1"),
    "after a chunk-size line": FULL.index(b"\r\nhello"),
    "after chunk data": FULL.index(b"\r\n0\r\n"),
    "after the last chunk": FULL.index(b"\r\nX-T"),
    "inside a trailer name": FULL.index(b"-T: 1"),
    "after a trailer": FULL.index(b"\r\n\r\n", FULL.index(b"X-T")),
    "at the end of the trailers": len(FULL) - 2,
}
# Each CRLF of FULL replaced by a bare octet.
LINE_ENDS = [index for index in range(len(FULL)) if FULL.startswith(b"\r\n", index)]

BARE = {
    **{
        f"bare {name} {where}": refused(FULL[:at] + octet + FULL[at:])
        for name, octet in (("CR", b"\r"), ("LF", b"\n"))
        for where, at in POSITIONS.items()
    },
    **{
        f"bare {name} for line end #{number}": refused(FULL[:at] + octet + FULL[at + 2 :])
        for name, octet in (("CR", b"\r"), ("LF", b"\n"))
        for number, at in enumerate(LINE_ENDS)
    },
    "LF CR for a line end": refused(FULL.replace(b"Host: t\r\n", b"Host: t\n\r")),
    "CR CR LF for a line end": refused(FULL.replace(b"Host: t\r\n", b"Host: t\r\r\n")),
    "only bare LFs": refused(b"GET / HTTP/1.1\nHost: t\n\n"),
}


def test_full_request_is_sound(witness_server):
    """The request the bare CR and LF cases corrupt is itself served."""
    run_case(*witness_server, accepted(FULL, ("POST", "/bare", 5)))


@cases(BARE)
def test_bare_cr_and_lf(witness_server, case):
    run_case(*witness_server, case)


# -- control characters, obs-fold, Host ----------------------------------------------------------

GET_LINE = b"GET /ctl HTTP/1.1\r\n"


def get(*fields: bytes, line: bytes = GET_LINE) -> bytes:
    return line + b"".join(f + b"\r\n" for f in fields) + b"\r\n"


CONTROLS = (b"\x00", b"\x01", b"\x07", b"\x08", b"\x0b", b"\x0c", b"\x0e", b"\x1b", b"\x1f",
            b"\x7f")

FIELDS = {
    **{
        f"{char!r} {where}": refused(data)
        for char in CONTROLS
        for where, data in (
            ("in a field name", get(b"Host: t", b"X-" + char + b"A: b")),
            ("ending a field name", get(b"Host: t", b"X-A" + char + b": b")),
            ("in a value", get(b"Host: t", b"X-A: b" + char + b"c")),
            ("starting a value", get(b"Host: t", b"X-A: " + char + b"b")),
            ("ending a value", get(b"Host: t", b"X-A: b" + char)),
            ("as a whole value", get(b"Host: t", b"X-A: " + char)),
            ("in the Host value", get(b"Host: t" + char)),
            ("in the method", get(b"Host: t", line=b"GE" + char + b"T /ctl HTTP/1.1\r\n")),
            ("in the target", get(b"Host: t", line=b"GET /c" + char + b"tl HTTP/1.1\r\n")),
            ("in the version", get(b"Host: t", line=b"GET /ctl HTTP/1" + char + b".1\r\n")),
        )
    },
    "tab in a field name": refused(get(b"Host: t", b"X-\tA: b")),
    "obs-text in a field name": refused(get(b"Host: t", b"X-\xe9: b")),
    "tab in a value (valid)": accepted(get(b"Host: t", b"X-A: b\tc"), ("GET", "/ctl", 0)),
    "obs-text in a value (valid)": accepted(get(b"Host: t", b"X-A: caf\xe9"), ("GET", "/ctl", 0)),
    # RFC 9112 §5.2: obs-fold rejected.
    "obs-fold with a space": refused(get(b"Host: t", b"X-A: b", b" c")),
    "obs-fold with a tab": refused(get(b"Host: t", b"X-A: b", b"\tc")),
    "obs-fold of the Host": refused(get(b"Host:", b" t")),
    "whitespace before the first field line": refused(get(b" Host: t")),
    "a line of only whitespace": refused(get(b"Host: t", b" ")),
    # RFC 9112 §3.2: exactly one Host in HTTP/1.1.
    "no Host": refused(get()),
    "no Host, other fields": refused(get(b"X-A: b")),
    "two Hosts": refused(get(b"Host: a", b"Host: b")),
    "two identical Hosts": refused(get(b"Host: t", b"Host: t")),
    "two Hosts in different case": refused(get(b"Host: t", b"host: t")),
    "two Hosts on HTTP/1.0": refused(get(b"Host: a", b"Host: b",
                                         line=b"GET /ctl HTTP/1.0\r\n")),
    "a Host list": refused(get(b"Host: a, b")),
    "a Host with a path": refused(get(b"Host: a/b")),
    "a Host with userinfo": refused(get(b"Host: u@a")),
    "a Host with a space": refused(get(b"Host: a b")),
    "an empty Host (valid)": accepted(get(b"Host:"), ("GET", "/ctl", 0)),
    "no Host on HTTP/1.0 (valid)": Case(
        get(line=b"GET /ctl HTTP/1.0\r\n"), [200], [("GET", "/ctl", 0)]),  # then 1.0 closes
    "Host_ for Host": refused(get(b"Host_: t")),
}


@cases(FIELDS)
def test_controls_obs_fold_and_host(witness_server, case):
    run_case(*witness_server, case)


# -- what follows a refused request, and bodies the application does not read --------------------

FIRST = b"GET /first HTTP/1.1\r\nHost: t\r\n\r\n"
SERVED_FIRST = ("GET", "/first", 0)

AFTER_INVALID = {
    "a bad Content-Length": served_then_refused(
        FIRST + b"GET /bad HTTP/1.1\r\nHost: t\r\nContent-Length: -1\r\n\r\n", SERVED_FIRST),
    "a malformed request line": served_then_refused(FIRST + b"GET /bad\r\n\r\n", SERVED_FIRST),
    "garbage": served_then_refused(FIRST + b"\x16\x03\x01\x00\r\n\r\n", SERVED_FIRST),
    "a bad chunk": served_then_refused(
        FIRST + b"POST /bad HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"zz\r\n\r\n", SERVED_FIRST),
    "an unsupported version": Case(FIRST + b"GET /bad HTTP/2.0\r\nHost: t\r\n\r\n" + SMUGGLED,
                                   [200, 505], [SERVED_FIRST]),
    "a header section too large": Case(
        FIRST + b"GET /bad HTTP/1.1\r\nHost: t\r\nX: " + b"x" * 70_000 + b"\r\n\r\n" + SMUGGLED,
        [200, 431], [SERVED_FIRST]),
    "two invalid requests in a row": served_then_refused(
        FIRST + b"GET /bad\r\n\r\nGET /bad2\r\n\r\n", SERVED_FIRST),
}


@cases(AFTER_INVALID)
def test_nothing_after_an_invalid_request_is_served(witness_server, case):
    run_case(*witness_server, case)


UNREAD = {
    # The body is drained as a body, whatever it looks like: never parsed as a request.
    "Content-Length body holding a request": accepted(
        b"POST /noread HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n" % len(SMUGGLED)
        + SMUGGLED, ("POST", "/noread", 0)),
    "chunked body holding a request": accepted(
        b"POST /noread HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
        + b"%x\r\n" % len(SMUGGLED) + SMUGGLED + b"\r\n0\r\n\r\n", ("POST", "/noread", 0)),
    "GET with a body holding a request": accepted(
        b"GET /noread HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n" % len(SMUGGLED)
        + SMUGGLED, ("GET", "/noread", 0)),
    "chunked body, request split across chunks": accepted(
        b"POST /noread HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
        + b"%x\r\n" % 10 + SMUGGLED[:10] + b"\r\n"
        + b"%x\r\n" % (len(SMUGGLED) - 10) + SMUGGLED[10:] + b"\r\n0\r\n\r\n",
        ("POST", "/noread", 0)),
    # Expect: 100-continue unanswered: the client may or may not send the body, so the
    # framing is unknown and the connection closes after the response.
    "100-continue not taken up, body sent anyway": Case(
        b"POST /noread HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n"
        b"Content-Length: %d\r\n\r\n" % len(SMUGGLED) + SMUGGLED, [200], [("POST", "/noread", 0)]),
    # A bad chunk in a body nobody reads is still found while draining it.
    "unread chunked body with a bad chunk": Case(
        b"POST /noread HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5\r\nhelloXX" + SMUGGLED, [200], [("POST", "/noread", 0)]),
}


@cases(UNREAD)
def test_unread_body_is_never_taken_for_a_request(witness_server, case):
    run_case(*witness_server, case)


def test_unread_body_over_the_drain_limit_closes_the_connection(serve_app):
    """A body too large to drain closes the connection: nothing in it is parsed."""
    witness = Witness()
    server = serve_app(witness, max_drain_bytes=16)
    body = SMUGGLED * 4
    run_case(server, witness, Case(
        b"POST /noread HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n" % len(body) + body,
        [200], [("POST", "/noread", 0)]))
