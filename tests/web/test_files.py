"""Static files and send_file: validators, conditional requests, ranges, unsafe paths."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest

from tapster import App, Blueprint, send_file, send_from_directory


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
    with app.test_request_context(), pytest.raises(Exception) as error:
        send_from_directory("static", "../static/../../etc/passwd")
    assert getattr(error.value, "code", None) == 404


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
