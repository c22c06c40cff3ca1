"""Uploads through the test client: ``request.files``, ``FileStorage``, limits and errors.

Where tapster means to behave as Flask does, the same app runs on both and
the answers are compared; the deliberate differences (a malformed body is a
400, not an empty form) are tested on tapster alone. The parser itself is
tested in test_formparser.py; a 100 MB upload over a real socket in
tests/integration/test_large_upload.py.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import flask
import pytest

import tapster
from tapster.web.datastructures import FileStorage
from tapster.web.formparser import MEMORY_FILE_SIZE
from tapster.web.request import Request
from tapster.web.utils import secure_filename

FRAMEWORKS = [tapster, flask]


def make_app(framework: Any, upload_folder: Path | None = None) -> Any:
    """One app, written once for ``tapster`` or ``flask`` (the same API)."""
    app = framework.Flask("uploads") if framework is flask else framework.App("uploads")
    mod = framework

    def describe(storage: Any) -> list[Any]:
        content = storage.read()
        return [storage.name, storage.filename, storage.content_type, storage.mimetype,
                storage.mimetype_params, content.decode("latin-1"), bool(storage)]

    @app.post("/echo")
    def echo() -> Any:
        return {
            "form": [list(pair) for pair in mod.request.form.items(multi=True)],
            "files": [
                [key, *describe(value)] for key, value in mod.request.files.items(multi=True)
            ],
        }

    @app.post("/save")
    def save() -> Any:
        storage = mod.request.files["f"]
        name = secure_filename(storage.filename)
        storage.save(os.path.join(str(upload_folder), name))
        return name

    @app.post("/data-then-form")
    def data_then_form() -> Any:
        data = mod.request.get_data()
        files = {key: value.read().decode() for key, value in mod.request.files.items()}
        return {"data": len(data) > 0, "form": mod.request.form.to_dict(), "files": files}

    @app.post("/form-then-data")
    def form_then_data() -> Any:
        form = mod.request.form.to_dict()
        return {"form": form, "files": list(mod.request.files), "data": len(mod.request.get_data())}

    @app.post("/data")
    def data() -> Any:
        return {"data": len(mod.request.data), "form": mod.request.form.to_dict()}

    return app


def both(path: str, **kwargs: Any) -> Any:
    """The JSON answer of tapster's app and of Flask's to the same request; they must agree."""
    answers = []
    data = kwargs.pop("data", None)
    for framework in FRAMEWORKS:
        if isinstance(data, dict):  # the client closes the files it sends: give each its own
            kwargs["data"] = {key: _fresh(value) for key, value in data.items()}
        else:
            kwargs["data"] = data
        response = make_app(framework).test_client().post(path, **kwargs)
        answers.append((response.status_code, response.get_json()))
    assert answers[0] == answers[1]
    return answers[0][1]


def _fresh(value: Any) -> Any:
    if isinstance(value, tuple):
        return (_fresh(value[0]), *value[1:])
    if isinstance(value, list):
        return [_fresh(item) for item in value]
    if isinstance(value, io.BytesIO):
        return io.BytesIO(value.getvalue())
    return value


def test_fields_and_files() -> None:
    answer = both(
        "/echo",
        data={
            "title": "Holiday",
            "tags": ["sea", "sun"],
            "photo": (io.BytesIO(b"\x89PNG..."), "beach.png"),
            "notes": (io.BytesIO(b"text"), "notes.txt", "text/plain; charset=utf-8"),
        },
    )
    assert answer["form"] == [["title", "Holiday"], ["tags", "sea"], ["tags", "sun"]]
    assert answer["files"] == [
        ["photo", "photo", "beach.png", "image/png", "image/png", {}, "\x89PNG...", True],
        ["notes", "notes", "notes.txt", "text/plain; charset=utf-8", "text/plain",
         {"charset": "utf-8"}, "text", True],
    ]


def test_several_files_under_one_name() -> None:
    files = [(io.BytesIO(f"file {n}".encode()), f"{n}.txt") for n in range(3)]
    answer = both("/echo", data={"docs": files})
    assert [(entry[0], entry[2], entry[6]) for entry in answer["files"]] == [
        ("docs", "0.txt", "file 0"), ("docs", "1.txt", "file 1"), ("docs", "2.txt", "file 2"),
    ]
    app = make_app(tapster)
    with app.test_request_context("/", method="POST", data={"docs": _fresh(files)}):
        stored = tapster.request.files.getlist("docs")
        assert [storage.filename for storage in stored] == ["0.txt", "1.txt", "2.txt"]
        assert tapster.request.files["docs"] is stored[0]


def test_an_empty_file_input_as_browsers_send_it() -> None:
    # A file input left empty: filename="" and no content. Werkzeug keeps it
    # in files, as a false FileStorage; so does tapster.
    answer = both(
        "/echo", data={"f": (io.BytesIO(b""), "", "application/octet-stream"), "a": "1"}
    )
    assert answer["files"] == [
        ["f", "f", "", "application/octet-stream", "application/octet-stream", {}, "", False]
    ]
    assert answer["form"] == [["a", "1"]]


MULTIPART = "multipart/form-data"
RAW = MULTIPART + "; boundary=b"


def raw_part(disposition: str, content: bytes = b"x", *headers: str) -> bytes:
    head = "\r\n".join([f"Content-Disposition: {disposition}", *headers]).encode("utf-8")
    return b"--b\r\n" + head + b"\r\n\r\n" + content + b"\r\n--b--\r\n"


@pytest.mark.parametrize(
    ("disposition", "filename"),
    [
        ('form-data; name="f"; filename="été 😀.txt"', "été 😀.txt"),  # raw UTF-8 (browsers)
        ("form-data; name=\"f\"; filename*=UTF-8''%C3%A9t%C3%A9.txt", "été.txt"),  # RFC 5987
        ("form-data; name=\"f\"; filename=\"ete.txt\"; filename*=utf-8''%C3%A9t%C3%A9.txt",
         "été.txt"),
        ("form-data; name=\"f\"; filename*=iso-8859-1''%E9t%E9.txt", "été.txt"),
        ('form-data; name="f"; filename="say %22hi%22.txt"', 'say "hi".txt'),  # HTML's escape
        ('form-data; name="f"; filename="日本語.txt"', "日本語.txt"),
    ],
)
def test_non_ascii_filenames(disposition: str, filename: str) -> None:
    answer = both("/echo", data=raw_part(disposition), content_type=RAW)
    assert answer["files"][0][2] == filename


def test_a_field_with_a_charset() -> None:
    body = raw_part('form-data; name="a"', "é€".encode("latin-1", "replace"),
                    "Content-Type: text/plain; charset=iso-8859-1")
    assert both("/echo", data=body, content_type=RAW)["form"] == [["a", "é?"]]


def test_save_to_a_path_and_to_a_file(tmp_path: Path) -> None:
    app = make_app(tapster, tmp_path)
    content = os.urandom(MEMORY_FILE_SIZE * 3)  # large enough for a temporary file
    response = app.test_client().post(
        "/save", data={"f": (io.BytesIO(content), "../../evil name.bin")}
    )
    assert response.get_data(as_text=True) == "evil_name.bin"
    assert (tmp_path / "evil_name.bin").read_bytes() == content

    with app.test_request_context(
        "/", method="POST", data={"f": (io.BytesIO(b"small"), "s.txt")}
    ):
        target = io.BytesIO()
        tapster.request.files["f"].save(target)
        assert target.getvalue() == b"small"


def test_get_data_then_form_parses_the_kept_body() -> None:
    data = {"a": "1", "f": (io.BytesIO(b"content"), "f.txt")}
    answer = both("/data-then-form", data=data)
    assert answer == {"data": True, "form": {"a": "1"}, "files": {"f": "content"}}


def test_form_then_get_data_leaves_no_data() -> None:
    data = {"a": "1", "f": (io.BytesIO(b"content"), "f.txt")}
    assert both("/form-then-data", data=data) == {"form": {"a": "1"}, "files": ["f"], "data": 0}
    assert both("/data", data=data) == {"data": 0, "form": {"a": "1"}}


# ---------------------------------------------------------------- limits


def limited_app(framework: Any, **config: Any) -> Any:
    app = make_app(framework)
    app.config.update(config)
    return app


def status_on_both(data: Any, **config: Any) -> int:
    """The status both frameworks answer ``data``, sent as multipart/form-data."""
    statuses = set()
    for framework in FRAMEWORKS:
        app = limited_app(framework, **config)
        payload = {key: _fresh(value) for key, value in data.items()}
        response = app.test_client().post(
            "/echo", data=payload, content_type=MULTIPART
        )
        statuses.add(response.status_code)
    assert len(statuses) == 1, statuses
    return statuses.pop()


def test_max_content_length() -> None:
    data = {"f": (io.BytesIO(b"x" * 2000), "f.bin")}
    assert status_on_both(data, MAX_CONTENT_LENGTH=1000) == 413
    assert status_on_both(data, MAX_CONTENT_LENGTH=3000) == 200


def test_max_content_length_of_a_chunked_body() -> None:
    # No Content-Length: the limit is enforced while the body is read.
    body = raw_part('form-data; name="f"; filename="f"', b"x" * 5000)
    app = limited_app(tapster, MAX_CONTENT_LENGTH=1000)
    environ_overrides = {"wsgi.input_terminated": True}
    response = app.test_client().post(
        "/echo", input_stream=io.BytesIO(body), content_type=RAW,
        environ_overrides=environ_overrides,
    )
    assert response.status_code == 413
    app.config["MAX_CONTENT_LENGTH"] = 10_000
    response = app.test_client().post(
        "/echo", input_stream=io.BytesIO(body), content_type=RAW,
        environ_overrides=environ_overrides,
    )
    assert response.status_code == 200 and response.get_json()["files"][0][6] == "x" * 5000


def test_max_form_memory_size() -> None:
    # A limit above Werkzeug's 64 KiB read size: below it, Werkzeug answers
    # 413 to any body larger than the limit, files or not; tapster applies
    # the limit to each text field only, as documented for both.
    limit = 100_000
    assert status_on_both({"a": "x" * limit, "b": "y" * limit}, MAX_FORM_MEMORY_SIZE=limit) == 200
    assert status_on_both({"a": "x" * (limit + 1)}, MAX_FORM_MEMORY_SIZE=limit) == 413
    big_file = {"f": (io.BytesIO(b"x" * (limit * 3)), "f.bin")}
    assert status_on_both(big_file, MAX_FORM_MEMORY_SIZE=limit) == 200
    # Below 64 KiB, tapster still holds each field to the limit, and only fields.
    app = limited_app(tapster, MAX_FORM_MEMORY_SIZE=10)
    client = app.test_client()
    ten = {"a": "x" * 10, "f": (io.BytesIO(b"y" * 100), "f.bin")}
    assert client.post("/echo", data=ten).status_code == 200
    assert client.post("/echo", data={"a": "x" * 11}, content_type=MULTIPART).status_code == 413


def test_max_form_parts() -> None:
    fields = {f"f{n}": "v" for n in range(10)}
    assert status_on_both(fields, MAX_FORM_PARTS=10) == 200
    assert status_on_both(fields, MAX_FORM_PARTS=9) == 413
    files = {f"f{n}": (io.BytesIO(b"x"), f"{n}.txt") for n in range(10)}
    assert status_on_both(files, MAX_FORM_PARTS=9) == 413


def test_a_view_may_raise_its_own_limit() -> None:
    app = limited_app(tapster, MAX_FORM_PARTS=1)

    @app.post("/many")
    def many() -> Any:
        tapster.request.max_form_parts = 100
        return str(len(tapster.request.form))

    response = app.test_client().post(
        "/many", data={f"f{n}": "v" for n in range(10)}, content_type=MULTIPART
    )
    assert response.get_data(as_text=True) == "10"


# ---------------------------------------------------------------- errors

MALFORMED = {
    "no boundary": ("multipart/form-data", raw_part('form-data; name="a"')),
    "empty boundary": ('multipart/form-data; boundary=""', raw_part('form-data; name="a"')),
    "another boundary": ("multipart/form-data; boundary=c", raw_part('form-data; name="a"')),
    "truncated": (RAW, raw_part('form-data; name="f"; filename="f"', b"x" * 100)[:-10]),
    "no closing boundary": (RAW, raw_part('form-data; name="a"')[:-4]),
    "not multipart": (RAW, b"just some text"),
    "no disposition": (RAW, b"--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--\r\n"),
    "bad header": (RAW, b"--b\r\nno colon here\r\n\r\nx\r\n--b--\r\n"),
}


@pytest.mark.parametrize("case", MALFORMED)
def test_malformed_bodies_answer_400(case: str) -> None:
    # Werkzeug answers these with an empty form: the view cannot tell a
    # broken or cut-off upload from a form sent empty. tapster says 400.
    content_type, body = MALFORMED[case]
    app = make_app(tapster)
    response = app.test_client().post("/echo", data=body, content_type=content_type)
    assert response.status_code == 400
    assert b"Bad Request" in response.data
    flask_response = make_app(flask).test_client().post(
        "/echo", data=body, content_type=content_type
    )
    assert flask_response.get_json() == {"form": [], "files": []}  # the difference, shown


def test_the_error_names_what_is_wrong() -> None:
    app = make_app(tapster)
    content_type, body = MALFORMED["no boundary"]
    page = app.test_client().post("/echo", data=body, content_type=content_type).data
    assert b"no valid boundary" in page
    content_type, body = MALFORMED["truncated"]
    page = app.test_client().post("/echo", data=body, content_type=content_type).data
    assert b"multipart/form-data body is malformed" in page


def test_an_empty_body_is_an_empty_form() -> None:
    assert both("/echo", data=b"", content_type=MULTIPART) == {"form": [], "files": []}


# ---------------------------------------------------------------- clean-up


def test_files_are_closed_and_deleted_when_the_request_ends() -> None:
    app = tapster.App("cleanup")
    seen: dict[str, Any] = {}

    @app.post("/")
    def upload() -> str:
        storage = tapster.request.files["f"]
        seen["storage"] = storage
        seen["fd"] = storage.fileno()  # on disk: a real, unnamed temporary file
        seen["link"] = os.readlink(f"/proc/self/fd/{seen['fd']}")
        return "ok"

    big = os.urandom(MEMORY_FILE_SIZE + 1)
    response = app.test_client().post("/", data={"f": (io.BytesIO(big), "big.bin")})
    assert response.status_code == 200
    assert seen["storage"].closed
    # O_TMPFILE, or a file unlinked at once: no name on disk even while open,
    # so nothing is left behind even if the process is killed.
    assert seen["link"].endswith("(deleted)")


def test_request_close_closes_the_files() -> None:
    builder_data = {"f": (io.BytesIO(b"x"), "x"), "g": (io.BytesIO(b"y"), "y")}
    app = make_app(tapster)
    with app.test_request_context("/", method="POST", data=builder_data):
        files = list(tapster.request.files.values())
        tapster.request.close()
        assert all(storage.closed for storage in files)


def test_no_temporary_file_is_left_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    before = len(os.listdir("/proc/self/fd"))
    app = make_app(tapster)
    for _ in range(3):
        data = {f"f{n}": (io.BytesIO(os.urandom(MEMORY_FILE_SIZE + 1)), f"{n}") for n in range(3)}
        assert app.test_client().post("/echo", data=data).status_code == 200
    assert os.listdir(tmp_path) == []
    assert len(os.listdir("/proc/self/fd")) == before


def test_a_request_subclass_chooses_where_files_go(tmp_path: Path) -> None:
    class DiskRequest(Request):
        def _get_file_stream(
            self, total_content_length: Any, content_type: Any, filename: Any = None,
            content_length: Any = None,
        ) -> Any:
            return open(tmp_path / secure_filename(filename), "wb+")

    app = make_app(tapster)
    app.request_class = DiskRequest
    response = app.test_client().post("/echo", data={"f": (io.BytesIO(b"kept"), "k.txt")})
    assert response.get_json()["files"][0][6] == "kept"
    assert (tmp_path / "k.txt").read_bytes() == b"kept"


def test_a_file_storage_can_be_sent_by_the_client() -> None:
    # Werkzeug's client knows only its own FileStorage: tapster alone here.
    storage = FileStorage(io.BytesIO(b"again"), "again.txt", "f", content_type="text/plain")
    response = make_app(tapster).test_client().post("/echo", data={"g": storage})
    assert response.get_json()["files"] == [
        ["g", "g", "again.txt", "text/plain", "text/plain", {}, "again", True]
    ]


def test_the_public_names() -> None:
    import tapster.datastructures
    import tapster.utils

    assert tapster.utils.secure_filename is secure_filename
    assert tapster.datastructures.FileStorage is FileStorage
