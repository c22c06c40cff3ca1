"""Static files and send_file: validators, conditional requests, ranges, unsafe paths."""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

import pytest

from tapster import App, Blueprint, send_file, send_from_directory, url_for


@pytest.fixture
def app(tmp_path) -> App:
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "hello.txt").write_bytes(b"0123456789")
    app = App(__name__, root_path=str(tmp_path))
    app.testing = True
    return app


def test_static_route_sends_the_file_with_validators(app):
    response = app.test_client().get("/static/hello.txt")
    assert response.status_code == 200
    assert response.data == b"0123456789"
    assert response.headers["Content-Type"].startswith("text/plain")
    assert response.headers["Content-Length"] == "10"
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["ETag"].startswith('"')
    assert "Last-Modified" in response.headers


def test_conditional_requests(app):
    client = app.test_client()
    first = client.get("/static/hello.txt")
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    not_modified = client.get("/static/hello.txt", headers={"If-None-Match": etag})
    assert (not_modified.status_code, not_modified.data) == (304, b"")
    since = client.get("/static/hello.txt", headers={"If-Modified-Since": modified})
    assert since.status_code == 304
    failed = client.get("/static/hello.txt", headers={"If-Match": '"other"'})
    assert failed.status_code == 412


def test_ranges(app):
    client = app.test_client()
    part = client.get("/static/hello.txt", headers={"Range": "bytes=2-4"})
    assert (part.status_code, part.data) == (206, b"234")
    assert part.headers["Content-Range"] == "bytes 2-4/10"
    suffix = client.get("/static/hello.txt", headers={"Range": "bytes=-3"})
    assert suffix.data == b"789"
    outside = client.get("/static/hello.txt", headers={"Range": "bytes=20-"})
    assert outside.status_code == 416
    assert outside.headers["Content-Range"] == "bytes */10"


def test_paths_outside_the_folder_are_not_found(app):
    client = app.test_client()
    assert client.get("/static/../app.py").status_code == 404
    assert client.get("/static/missing.txt").status_code == 404
    for unsafe in ("../static/../../etc/passwd", "/etc/passwd", "//etc/passwd",
                   "hello.txt\x00", "hello.txt\x00.png"):
        with app.test_request_context(), pytest.raises(Exception) as error:
            send_from_directory("static", unsafe)
        assert getattr(error.value, "code", None) == 404, unsafe
    with app.test_request_context():
        assert send_from_directory("static", "hello.txt").status_code == 200


def test_send_file_object_and_attachment_names(app):
    with app.test_request_context():
        response = send_file(io.BytesIO(b"data"), download_name="résumé.pdf", as_attachment=True)
        disposition = response.headers["Content-Disposition"]
        assert disposition.startswith('attachment; filename="resume.pdf"')
        assert "filename*=UTF-8''r%C3%A9sum%C3%A9.pdf" in disposition
        assert response.headers["Content-Type"] == "application/pdf"
        with pytest.raises(TypeError, match="MIME type"):
            send_file(io.BytesIO(b"data"))


def test_max_age_setting(app):
    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = 60
    response = app.test_client().get("/static/hello.txt")
    assert response.headers["Cache-Control"] == "public, max-age=60"
    assert "Expires" in response.headers


def test_unmodified_since_and_if_range(app):
    client = app.test_client()
    first = client.get("/static/hello.txt")
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    old = "Mon, 01 Jan 1990 00:00:00 GMT"
    assert client.get("/static/hello.txt", headers={"If-Unmodified-Since": old}).status_code == 412
    fresh = client.get("/static/hello.txt", headers={"If-Unmodified-Since": modified})
    assert fresh.status_code == 200
    assert client.get("/static/hello.txt", headers={"If-Match": etag}).status_code == 200
    # If-Range: the range only while the file is unchanged, the whole file otherwise.
    same = client.get("/static/hello.txt", headers={"Range": "bytes=0-1", "If-Range": etag})
    assert (same.status_code, same.data) == (206, b"01")
    stale = client.get("/static/hello.txt", headers={"Range": "bytes=0-1", "If-Range": '"old"'})
    assert (stale.status_code, stale.data) == (200, b"0123456789")


@pytest.mark.parametrize(
    "value",
    ["bytes=0-1,4-5", "items=0-1", "bytes=5-2", "bytes=x-y", "bytes="],
)
def test_ranges_answered_whole_when_not_one_valid_byte_range(app, value):
    response = app.test_client().get("/static/hello.txt", headers={"Range": value})
    assert (response.status_code, response.data) == (200, b"0123456789")
    assert response.headers["Accept-Ranges"] == "bytes"


def test_range_edges(app):
    client = app.test_client()
    whole = client.get("/static/hello.txt", headers={"Range": "bytes=0-"})
    assert (whole.status_code, whole.data) == (206, b"0123456789")
    clipped = client.get("/static/hello.txt", headers={"Range": "bytes=8-100"})
    assert (clipped.data, clipped.headers["Content-Range"]) == (b"89", "bytes 8-9/10")
    longer_suffix = client.get("/static/hello.txt", headers={"Range": "bytes=-50"})
    assert (longer_suffix.status_code, longer_suffix.data) == (206, b"0123456789")
    last = client.get("/static/hello.txt", headers={"Range": "bytes=9-9"})
    assert (last.data, last.headers["Content-Length"]) == (b"9", "1")
    assert client.get("/static/hello.txt", headers={"Range": "bytes=10-"}).status_code == 416


@pytest.mark.parametrize(
    "path",
    ["/static/%2e%2e/secret.txt", "/static/..%2fsecret.txt", "/static/%00hello.txt",
     "/static//etc/passwd", "/static/link.txt", "/static/linked_dir/secret.txt"],
)
def test_traversal_and_links_out_of_the_folder_are_not_found(app, tmp_path, path):
    (tmp_path / "secret.txt").write_text("secret")
    (tmp_path / "static" / "link.txt").symlink_to(tmp_path / "secret.txt")
    (tmp_path / "static" / "linked_dir").symlink_to(tmp_path)
    # "//" is first merged by a redirect, as in Flask.
    response = app.test_client().get(path, follow_redirects=True)
    assert response.status_code == 404
    assert b"secret" not in response.data


def test_links_inside_the_folder_are_followed(app, tmp_path):
    (tmp_path / "static" / "alias.txt").symlink_to(tmp_path / "static" / "hello.txt")
    assert app.test_client().get("/static/alias.txt").data == b"0123456789"


def test_blueprint_static_files_ask_the_blueprint_for_their_max_age(app, tmp_path):
    class LongCache(Blueprint):
        def get_send_file_max_age(self, filename):
            return 3600 if filename.endswith(".txt") else super().get_send_file_max_age(filename)

    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = timedelta(minutes=1)
    app.register_blueprint(
        LongCache("long", __name__, static_folder=str(tmp_path / "static"),
                  static_url_path="/long"))
    app.register_blueprint(
        Blueprint("plain", __name__, static_folder=str(tmp_path / "static"),
                  static_url_path="/plain"))
    (tmp_path / "static" / "style.css").write_text("p {}")
    client = app.test_client()
    assert client.get("/long/hello.txt").headers["Cache-Control"] == "public, max-age=3600"
    assert client.get("/long/style.css").headers["Cache-Control"] == "public, max-age=60"
    assert client.get("/plain/hello.txt").headers["Cache-Control"] == "public, max-age=60"
    assert client.get("/static/hello.txt").headers["Cache-Control"] == "public, max-age=60"


def test_conditions_and_ranges_follow_make_conditional(app, tmp_path):
    """send_file reads the request through the same code as Response.make_conditional."""
    (tmp_path / "static" / "empty.txt").write_bytes(b"")
    client = app.test_client()
    etag = client.get("/static/hello.txt").headers["ETag"]
    # A range of an empty file: the (empty) file, as Flask answers, not a 416.
    empty = client.get("/static/empty.txt", headers={"Range": "bytes=0-"})
    assert (empty.status_code, empty.data) == (200, b"")
    # If-Match: * holds for an existing file; a weak If-Match never does.
    assert client.get("/static/hello.txt", headers={"If-Match": "*"}).status_code == 200
    weak = client.get("/static/hello.txt", headers={"If-Match": "W/" + etag})
    assert weak.status_code == 412
    # The preconditions come before the range.
    cached = client.get("/static/hello.txt", headers={"Range": "bytes=0-1", "If-None-Match": etag})
    assert (cached.status_code, cached.data) == (304, b"")
    # A weak If-Range never holds: the whole file.
    whole = client.get("/static/hello.txt", headers={"Range": "bytes=0-1", "If-Range": "W/" + etag})
    assert (whole.status_code, whole.data) == (200, b"0123456789")


def test_send_file_options(app):
    def get(headers=None, **options):
        with app.test_request_context(headers=headers or {}):
            response = send_file("static/hello.txt", **options)
            response.direct_passthrough = False
            return response.status_code, response.headers, response.get_data()

    assert get(mimetype="application/x-custom")[1]["Content-Type"] == "application/x-custom"
    assert get(etag=False)[1].get("ETag") is None
    assert get(etag="v1")[1]["ETag"] == '"v1"'
    assert get(etag='W/"v2"')[1]["ETag"] == 'W/"v2"'
    modified = get(last_modified=datetime(2020, 1, 2, 3, 4, 5, tzinfo=timezone.utc))[1]
    assert modified["Last-Modified"] == "Thu, 02 Jan 2020 03:04:05 GMT"
    assert get(last_modified=0)[1]["Last-Modified"] == "Thu, 01 Jan 1970 00:00:00 GMT"
    assert get(max_age=120)[1]["Cache-Control"] == "public, max-age=120"
    assert get(max_age=0)[1]["Cache-Control"] == "no-cache, max-age=0"
    # conditional=False: preconditions and ranges are not looked at.
    etag = get()[1]["ETag"]
    assert get({"If-None-Match": etag})[0] == 304
    assert get({"If-None-Match": etag}, conditional=False)[0] == 200
    assert get({"Range": "bytes=0-1"})[:3:2] == (206, b"01")
    assert get({"Range": "bytes=0-1"}, conditional=False)[:3:2] == (200, b"0123456789")


@pytest.mark.parametrize(
    ("options", "url"),
    [
        ({"static_url_path": "/assets"}, "/assets/hello.txt"),
        ({"static_url_path": ""}, "/hello.txt"),
        ({"static_folder": "public"}, "/public/hello.txt"),  # the URL follows the folder's name
        ({"static_folder": "public", "static_url_path": "/s"}, "/s/hello.txt"),
    ],
)
def test_static_url_path_and_folder(tmp_path, options, url):
    for folder in ("static", "public"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "hello.txt").write_bytes(folder.encode())
    app = App(__name__, root_path=str(tmp_path), **options)
    response = app.test_client().get(url)
    assert response.status_code == 200
    assert response.data == options.get("static_folder", "static").encode()
    with app.test_request_context():
        assert url_for("static", filename="hello.txt") == url  # and builds back to it
