"""FormDataParser on multipart bodies: streaming, limits, errors, clean-up.

Called directly on byte streams (no request, no app); the same bodies
through the test client are in test_uploads.py. Results are compared with
Werkzeug's parser where the two agree by design.
"""

from __future__ import annotations

import io
from tempfile import SpooledTemporaryFile
from typing import Any

import pytest
import werkzeug.formparser
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tapster.web.datastructures import FileStorage, ImmutableMultiDict
from tapster.web.exceptions import BadRequest, RequestEntityTooLarge
from tapster.web.formparser import (
    MEMORY_FILE_SIZE,
    MULTIPART_CHUNK_SIZE,
    FormDataParser,
    default_stream_factory,
)
from tapster.web.http import parse_options_header
from tapster.web.testing import encode_multipart

MULTIPART = "multipart/form-data"


def body_of(*parts: bytes, boundary: bytes = b"b") -> bytes:
    """A multipart body of ``parts`` (each its header lines, a blank line and content)."""
    out = b"".join(b"--" + boundary + b"\r\n" + part + b"\r\n" for part in parts)
    return out + b"--" + boundary + b"--\r\n"


def field(name: str, value: bytes, *headers: str) -> bytes:
    lines = [f'Content-Disposition: form-data; name="{name}"', *headers]
    return "\r\n".join(lines).encode() + b"\r\n\r\n" + value


def file_part(name: str, filename: str, content: bytes, content_type: str = "text/plain") -> bytes:
    head = f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
    return (head + f"Content-Type: {content_type}\r\n\r\n").encode() + content


def parse(body: bytes, boundary: str | None = "b", **options: Any) -> tuple[Any, Any]:
    """``(form, files)`` of ``body`` parsed by tapster."""
    params = {} if boundary is None else {"boundary": boundary}
    _, form, files = FormDataParser(**options).parse(io.BytesIO(body), MULTIPART, len(body), params)
    return form, files


class Trickle(io.RawIOBase):
    """A stream that hands out its bytes in the piece sizes given, round and round."""

    def __init__(self, data: bytes, sizes: list[int]) -> None:
        self._data = data
        self._sizes = sizes
        self._pos = 0
        self._turn = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        piece = self._sizes[self._turn % len(self._sizes)]
        self._turn += 1
        if size is not None and size >= 0:
            piece = min(piece, size)
        data = self._data[self._pos : self._pos + piece]
        self._pos += len(data)
        return data


def test_fields_and_files() -> None:
    body = body_of(
        field("a", b"1"),
        field("a", b"2"),
        file_part("f", "x.txt", b"hello\r\nworld"),
        field("b", "é".encode()),
    )
    form, files = parse(body)
    assert isinstance(form, ImmutableMultiDict) and isinstance(files, ImmutableMultiDict)
    assert form.getlist("a") == ["1", "2"] and form["b"] == "é"
    storage = files["f"]
    assert isinstance(storage, FileStorage)
    assert (storage.name, storage.filename, storage.content_type) == ("f", "x.txt", "text/plain")
    assert storage.read() == b"hello\r\nworld"
    assert storage.headers["Content-Disposition"].endswith('filename="x.txt"')


def test_pieces_of_any_size_give_the_same_result() -> None:
    body = body_of(field("a", b"x" * 3000), file_part("f", "y", b"\r\n-\r\n--x\r" * 500))
    expected_form, expected_files = parse(body)
    expected_content = expected_files["f"].read()
    assert expected_content == b"\r\n-\r\n--x\r" * 500
    for sizes in ([1], [2, 3], [7, 1, 64], [4096], [MULTIPART_CHUNK_SIZE]):
        stream = Trickle(body, sizes)
        _, form, files = FormDataParser().parse(stream, MULTIPART, None, {"boundary": "b"})
        assert form == expected_form
        assert files["f"].read() == expected_content


def test_text_fields_honour_a_safe_charset_only() -> None:
    form, _ = parse(
        body_of(
            field("latin", b"\xe9t\xe9", "Content-Type: text/plain; charset=ISO-8859-1"),
            field("alias", b"\xe9", "Content-Type: text/plain; charset=latin1"),
            field("ascii", b"abc\xff", "Content-Type: text/plain; charset=us-ascii"),
            # A charset outside the list is read as UTF-8, as Werkzeug does:
            # decoding with any codec a client names (UTF-7...) is an attack vector.
            field("utf7", b"+AGEAYgBj-", "Content-Type: text/plain; charset=utf-7"),
            field("bad", b"\xff\xfe"),
        )
    )
    assert form["latin"] == "été" and form["alias"] == "é"
    assert form["ascii"] == "abc\ufffd"
    assert form["utf7"] == "+AGEAYgBj-"
    assert form["bad"] == "\ufffd\ufffd"


def test_an_empty_body_is_an_empty_form() -> None:
    form, files = parse(b"", boundary=None)
    assert form == {} and files == {}
    form, files = parse(b"--b--\r\n")  # what a browser sends for a form with no fields
    assert form == {} and files == {}


@pytest.mark.parametrize(
    ("body", "boundary"),
    [
        (body_of(field("a", b"1")), None),
        (body_of(field("a", b"1")), ""),
        (body_of(field("a", b"1")), "é"),
        (body_of(field("a", b"1")), "a\nb"),
        (body_of(field("a", b"1")), "x" * 201),
        (body_of(field("a", b"1")), "c"),  # not the body's boundary
        (body_of(field("a", b"1"))[:-4], "b"),  # no closing boundary
        (body_of(field("a", b"1"))[:20], "b"),  # cut short in the headers
        (b"hello world", "b"),
        (body_of(b"X-Nothing: here\r\n\r\nx"), "b"),  # no Content-Disposition
        (body_of(b'Content-Disposition: attachment; name="a"\r\n\r\nx'), "b"),
        (body_of(b'Content-Disposition form-data; name="a"\r\n\r\nx'), "b"),
        (body_of(field("a", b"1")).replace(b"\r\n", b"\n"), "b"),  # bare LF
        (body_of(b'Content-Disposition: form-data; name="a"\nX: y\r\n\r\nx'), "b"),
        (body_of(field("a", b"1", "X-Y: a\x00b")), "b"),
    ],
)
def test_malformed_bodies_are_bad_requests_even_when_silent(
    body: bytes, boundary: str | None
) -> None:
    for silent in (True, False):
        with pytest.raises(BadRequest) as caught:
            parse(body, boundary, silent=silent)
        assert caught.value.code == 400


def test_the_closing_boundary_ends_the_form() -> None:
    body = b"preamble\r\n" + body_of(field("a", b"1")) + b"epilogue, ignored"
    stream = io.BytesIO(body)
    _, form, _ = FormDataParser().parse(stream, MULTIPART, len(body), {"boundary": "b"})
    assert form["a"] == "1"
    assert stream.read() == b""  # the rest was read, not left for the server


def test_max_form_memory_size_bounds_each_text_field_not_files() -> None:
    body = body_of(field("a", b"x" * 10), field("b", b"y" * 10), file_part("f", "f", b"z" * 1000))
    form, files = parse(body, max_form_memory_size=10)
    assert form["a"] == "x" * 10 and files["f"].read() == b"z" * 1000
    with pytest.raises(RequestEntityTooLarge):
        parse(body_of(field("a", b"x" * 11)), max_form_memory_size=10)
    # Counted across the pieces of one field, not per piece.
    big = body_of(field("a", b"x" * (3 * MULTIPART_CHUNK_SIZE)))
    with pytest.raises(RequestEntityTooLarge):
        parse(big, max_form_memory_size=2 * MULTIPART_CHUNK_SIZE)


@pytest.mark.parametrize("limit", [1, 2, 5])
def test_max_form_parts_matches_werkzeug(limit: int) -> None:
    for count in (limit, limit + 1):
        body = body_of(*(field(f"f{n}", b"v") for n in range(count)))
        werkzeug_parser = werkzeug.formparser.FormDataParser(max_form_parts=limit)
        try:
            werkzeug_parser.parse(io.BytesIO(body), MULTIPART, len(body), {"boundary": "b"})
            werkzeug_outcome = "ok"
        except werkzeug.exceptions.RequestEntityTooLarge:
            werkzeug_outcome = "413"
        try:
            parse(body, max_form_parts=limit)
            outcome = "ok"
        except RequestEntityTooLarge:
            outcome = "413"
        assert outcome == werkzeug_outcome == ("ok" if count <= limit else "413")


def test_max_content_length() -> None:
    body = body_of(field("a", b"1"))
    parse(body, max_content_length=len(body))
    with pytest.raises(RequestEntityTooLarge):
        parse(body, max_content_length=len(body) - 1)


def test_part_headers_are_bounded() -> None:
    # The parser's own limits: 8 header lines of at most 4 KiB and a bit.
    long_header = "X-Long: " + "x" * 5000
    with pytest.raises(RequestEntityTooLarge):
        parse(body_of(field("a", b"1", long_header)))
    many = [f"X-H{n}: v" for n in range(8)]
    with pytest.raises(RequestEntityTooLarge):
        parse(body_of(field("a", b"1", *many)))


def test_stream_factory_is_called_per_file_with_werkzeugs_arguments() -> None:
    calls = []

    def factory(**kwargs: Any) -> io.BytesIO:
        calls.append(kwargs)
        return io.BytesIO()

    body = body_of(
        field("a", b"1"),
        file_part("f", "x.bin", b"123", "application/octet-stream"),
        b'Content-Disposition: form-data; name="g"; filename="y"\r\nContent-Length: 2\r\n\r\nab',
    )
    _, files = parse(body, stream_factory=factory)
    assert calls == [
        {"total_content_length": len(body), "content_type": "application/octet-stream",
         "filename": "x.bin", "content_length": 0},
        {"total_content_length": len(body), "content_type": None, "filename": "y",
         "content_length": 2},
    ]
    assert files["f"].read() == b"123" and files["g"].read() == b"ab"
    assert files["g"].content_length == 2


def test_default_stream_factory() -> None:
    assert isinstance(default_stream_factory(MEMORY_FILE_SIZE, None, "x"), io.BytesIO)
    for total in (MEMORY_FILE_SIZE + 1, None):
        stream = default_stream_factory(total, None, "x")
        assert isinstance(stream, SpooledTemporaryFile)
        stream.close()


def _on_disk(storage: FileStorage) -> bool:
    return bool(getattr(storage.stream, "_rolled", False))


def test_a_large_file_goes_to_disk_and_small_ones_share_a_memory_budget() -> None:
    small = 100 * 1024
    parts = [file_part(f"s{n}", f"s{n}", bytes([n]) * small) for n in range(8)]
    parts.append(file_part("big", "big", b"B" * (MEMORY_FILE_SIZE + 1)))
    _, files = parse(body_of(*parts))
    placement = [_on_disk(files[f"s{n}"]) for n in range(8)]
    # The first files fit in the 500 KiB budget; the ones after it are on disk.
    assert placement == [False] * 5 + [True] * 3
    assert _on_disk(files["big"])
    for n in range(8):
        assert files[f"s{n}"].read() == bytes([n]) * small
    assert files["big"].read() == b"B" * (MEMORY_FILE_SIZE + 1)
    for storage in files.values():
        storage.close()


class Recording(io.BytesIO):
    """A BytesIO that remembers it was closed after the parser dropped it."""

    opened: list[Recording] = []

    def __init__(self) -> None:
        super().__init__()
        Recording.opened.append(self)


FIRST = b"--b\r\n" + file_part("f", "x", b"123") + b"\r\n"
FAILING_BODIES = {
    "malformed": (FIRST + b"--b\r\nbroken header line\r\n\r\nx\r\n--b--\r\n", BadRequest),
    "truncated": (FIRST + b"--b\r\n" + file_part("g", "y", b"456"), BadRequest),
    "too many parts": (
        FIRST + body_of(file_part("g", "y", b"4"), field("h", b"5")),
        RequestEntityTooLarge,
    ),
}


@pytest.mark.parametrize("case", FAILING_BODIES)
def test_files_are_closed_when_parsing_fails(case: str) -> None:
    body, error = FAILING_BODIES[case]
    Recording.opened = []
    with pytest.raises(error):
        parse(body, stream_factory=lambda **_: Recording(), max_form_parts=2)
    assert Recording.opened and all(stream.closed for stream in Recording.opened)


def _werkzeug_view(form: Any, files: Any) -> tuple[Any, Any]:
    return (
        list(form.items(multi=True)),
        [
            (key, storage.name, storage.filename, storage.content_type, storage.read(),
             sorted((name.lower(), value) for name, value in storage.headers.items()))
            for key, storage in files.items(multi=True)
        ],
    )


def compare_with_werkzeug(body: bytes, boundary: str = "b") -> None:
    _, wz_form, wz_files = werkzeug.formparser.FormDataParser(silent=False).parse(
        io.BytesIO(body), MULTIPART, len(body), {"boundary": boundary}
    )
    form, files = parse(body, boundary)
    assert _werkzeug_view(form, files) == _werkzeug_view(wz_form, wz_files)


@pytest.mark.parametrize(
    "disposition",
    [
        'form-data; name="f"; filename="plain.txt"',
        'form-data; name="f"; filename="été 😀.txt"',  # raw UTF-8, as browsers send
        "form-data; name=\"f\"; filename*=UTF-8''%C3%A9t%C3%A9.txt",  # RFC 5987
        "form-data; name=\"f\"; filename=\"fallback.txt\"; filename*=UTF-8''r%C3%A9el.txt",
        'form-data; name="f"; filename="a%22b.txt"',  # the HTML standard's escape of "
        'form-data; name="f"; filename="a\\"b.txt"',  # a quoted-pair
        'form-data; name="f"; filename="C:\\\\dir\\\\x.txt"',
        'form-data; name="f"; filename=""',  # an empty file input
        'form-data; name="f"; filename=token.txt',
        'form-data; name="f%22x"; filename="n"',
        'form-data; name="ä"; filename="n"',
        'form-data; filename="no-name"',
        'FORM-DATA; NAME="f"; FILENAME="upper.txt"',
    ],
)
def test_dispositions_match_werkzeug(disposition: str) -> None:
    part = f"Content-Disposition: {disposition}\r\nContent-Type: text/plain\r\n\r\n".encode()
    compare_with_werkzeug(body_of(part + b"content", field("after", b"x")))


NAMES = st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), max_size=8)
CONTENT = st.binary(max_size=300) | st.sampled_from([b"", b"\r\n", b"--", b"\r\n--", b"\r\n--B"])


@settings(max_examples=150, deadline=None)
@given(
    parts=st.lists(
        st.tuples(
            NAMES,
            st.one_of(
                st.text(max_size=50),
                st.tuples(CONTENT, st.one_of(st.none(), NAMES),
                          st.sampled_from(["text/plain", "application/octet-stream",
                                           "image/png", "text/plain; charset=utf-8"])),
            ),
        ),
        max_size=6,
    ),
    boundary=st.sampled_from(["B", "----WebKitFormBoundary7MA4YWxkTrZu0gW", "a'+_-.~z"]),
    piece_sizes=st.lists(st.integers(1, 700), min_size=1, max_size=4),
)
def test_generated_bodies_parse_as_werkzeug_parses_them(
    parts: list[tuple[str, Any]], boundary: str, piece_sizes: list[int]
) -> None:
    # A body whose content holds its own delimiter is ambiguous: a sender
    # picks a boundary that does not occur (RFC 2046 §5.1.1).
    delimiter = b"--" + boundary.encode()
    assume(not any(delimiter in (v[0] if isinstance(v, tuple) else v.encode()) for _, v in parts))
    fields = [
        (name, (io.BytesIO(value[0]), value[1], value[2]) if isinstance(value, tuple) else value)
        for name, value in parts
    ]
    body, content_type = encode_multipart(fields, boundary)
    _, options = parse_options_header(content_type)
    _, wz_form, wz_files = werkzeug.formparser.FormDataParser(silent=False).parse(
        io.BytesIO(body), MULTIPART, len(body), options
    )
    _, form, files = FormDataParser().parse(Trickle(body, piece_sizes), MULTIPART, None, options)
    assert _werkzeug_view(form, files) == _werkzeug_view(wz_form, wz_files)


VALID = body_of(field("a", b"1"), file_part("f", "x.txt", b"hello"), field("b", b"2"))


@settings(max_examples=300, deadline=None)
@given(
    cuts=st.lists(st.tuples(st.integers(0, len(VALID)), st.binary(max_size=6)), max_size=4),
    piece_sizes=st.lists(st.integers(1, 50), min_size=1, max_size=3),
    limit=st.one_of(st.none(), st.integers(0, 3)),
)
def test_any_damage_is_a_400_or_a_413_and_leaves_no_file_open(
    cuts: list[tuple[int, bytes]], piece_sizes: list[int], limit: int | None
) -> None:
    body = VALID
    for position, junk in cuts:  # overwrite bytes here and there
        body = body[:position] + junk + body[position + len(junk) :]
    Recording.opened = []
    parser = FormDataParser(stream_factory=lambda **_: Recording(), max_form_parts=limit)
    try:
        _, _, files = parser.parse(Trickle(body, piece_sizes), MULTIPART, None, {"boundary": "b"})
    except (BadRequest, RequestEntityTooLarge):
        assert all(stream.closed for stream in Recording.opened)
    else:
        assert len(Recording.opened) == len(list(files.items(multi=True)))
