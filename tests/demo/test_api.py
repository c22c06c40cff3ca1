"""The JSON API: bearer tokens, notes CRUD, pagination, errors as JSON."""

from __future__ import annotations

import io
import re

import pytest

from tests.demo.conftest import TEST_MAX_BYTES, make_api_token


@pytest.fixture
def api(app):
    """A test client and alice's token: ``api("get", "/api/notes", json=...)``."""
    client = app.test_client()
    token = make_api_token(app, "alice")

    def call(method: str, url: str, token: str | None = token, **kwargs):
        headers = kwargs.pop("headers", {})
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return client.open(url, method=method.upper(), headers=headers, **kwargs)

    return call


def assert_error(response, status: int, message: str | None = None) -> None:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/json"
    assert response.json["status"] == status
    if message is not None:
        assert message in response.json["error"]


def test_create_get_update_delete(api):
    created = api("post", "/api/notes", json={"title": " Plan ", "body": "1. write\n2. ship"})
    assert created.status_code == 201
    note = created.json
    assert note["title"] == "Plan" and note["body"] == "1. write\n2. ship"
    assert note["url"] == f"http://localhost/api/notes/{note['id']}"
    assert created.headers["Location"] == note["url"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", note["created"])

    fetched = api("get", f"/api/notes/{note['id']}")
    assert fetched.status_code == 200
    assert fetched.json == note | {"attachments": []}

    updated = api("put", f"/api/notes/{note['id']}", json={"title": "Plan B", "body": ""})
    assert updated.status_code == 200
    assert updated.json["title"] == "Plan B" and updated.json["body"] == ""

    deleted = api("delete", f"/api/notes/{note['id']}")
    assert deleted.status_code == 204 and deleted.data == b""
    assert_error(api("get", f"/api/notes/{note['id']}"), 404, f"There is no note {note['id']}.")


def test_notes_written_in_the_pages_show_in_the_api_and_back(api, alice):
    note_id = alice.create_note("From the page", "text")
    alice.post(f"/notes/{note_id}/attachments",
               {"file": (io.BytesIO(b"abc"), "a.txt")},
               content_type="multipart/form-data")
    note = api("get", f"/api/notes/{note_id}").json
    assert note["title"] == "From the page"
    [attachment] = note["attachments"]
    assert attachment["filename"] == "a.txt" and attachment["size"] == 3
    api("post", "/api/notes", json={"title": "From the API"})
    assert "From the API" in alice.get("/").text


def test_pagination_with_next_links(api):
    for number in range(5):
        api("post", "/api/notes", json={"title": f"n{number}"})
    first = api("get", "/api/notes?per_page=2")
    assert first.status_code == 200
    body = first.json
    assert [note["title"] for note in body["notes"]] == ["n4", "n3"]
    assert (body["page"], body["per_page"], body["total"]) == (1, 2, 5)
    assert body["prev"] is None
    assert body["next"] == "http://localhost/api/notes?page=2&per_page=2"
    assert first.headers["Link"] == '<http://localhost/api/notes?page=2&per_page=2>; rel="next"'

    middle = api("get", "/api/notes?page=2&per_page=2")
    assert [note["title"] for note in middle.json["notes"]] == ["n2", "n1"]
    assert middle.headers["Link"] == (
        '<http://localhost/api/notes?page=3&per_page=2>; rel="next", '
        '<http://localhost/api/notes?page=1&per_page=2>; rel="prev"'
    )
    last = api("get", "/api/notes?page=3&per_page=2").json
    assert [note["title"] for note in last["notes"]] == ["n0"] and last["next"] is None

    titles, url = [], "/api/notes?per_page=2"
    while url:  # a client following next to the end sees every note once
        page = api("get", url.removeprefix("http://localhost")).json
        titles += [note["title"] for note in page["notes"]]
        url = page["next"]
    assert titles == ["n4", "n3", "n2", "n1", "n0"]
    assert api("get", "/api/notes?page=9").json["notes"] == []


@pytest.mark.parametrize("query", ["page=0", "page=x", "per_page=0", "per_page=101"])
def test_bad_pagination_is_a_400(api, query):
    assert_error(api("get", f"/api/notes?{query}"), 400)


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Bearer ", "Basic YWxpY2U6c2VjcmV0", "Bearer tap_not-a-real-token"],
)
def test_without_a_valid_token_it_is_a_401(api, header):
    headers = {"Authorization": header} if header is not None else {}
    response = api("get", "/api/notes", token=None, headers=headers)
    assert_error(response, 401)
    assert response.headers["WWW-Authenticate"].startswith('Bearer realm="tapster demo"')


def test_a_session_cookie_is_not_enough(app, alice):
    response = alice.client.get("/api/notes")
    assert_error(response, 401)


def test_tokens_are_made_and_revoked_on_the_settings_page(alice, app):
    page = alice.post("/settings/token")
    assert page.status_code == 200 and "shown only once" in page.text
    token = re.search(r'id="api-token">(tap_[\w-]+)<', page.text).group(1)
    client = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/notes", headers=auth).status_code == 200
    assert token not in alice.get("/settings").text  # shown once
    assert "You made a token on" in alice.get("/settings").text

    renewed = re.search(r'id="api-token">(tap_[\w-]+)<', alice.post("/settings/token").text)
    assert renewed.group(1) != token
    assert client.get("/api/notes", headers=auth).status_code == 401  # replaced
    auth = {"Authorization": f"Bearer {renewed.group(1)}"}
    assert alice.post("/settings/token/delete").status_code == 302
    assert_error(client.get("/api/notes", headers=auth), 401, "revoked")


def test_someone_elses_note_is_a_403(api, app):
    bobs = make_api_token(app, "bob")
    note = api("post", "/api/notes", token=bobs, json={"title": "bob's"}).json
    for method in ("get", "put", "delete"):
        response = api(method, f"/api/notes/{note['id']}", json={"title": "mine now"})
        assert_error(response, 403, "This note belongs to someone else.")
    assert api("get", f"/api/notes/{note['id']}", token=bobs).json["title"] == "bob's"
    assert all(n["id"] != note["id"] for n in api("get", "/api/notes").json["notes"])


def test_unknown_urls_and_notes_are_json_404s(api):
    assert_error(api("get", "/api/notes/12345"), 404)
    assert_error(api("get", "/api/nothing-here"), 404)
    assert_error(api("get", "/api/nothing-here", token=None), 404)


def test_wrong_method_is_a_json_405_with_allow(api):
    response = api("patch", "/api/notes/1", json={})
    assert_error(response, 405)
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "PUT", "DELETE"}
    assert_error(api("delete", "/api/notes"), 405)


@pytest.mark.parametrize(
    ("kwargs", "status"),
    [
        ({"data": "not json", "content_type": "application/json"}, 400),
        ({"data": "title=x", "content_type": "application/x-www-form-urlencoded"}, 400),
        ({"json": ["a list"]}, 400),
        ({"json": {}}, 422),
        ({"json": {"title": "  "}}, 422),
        ({"json": {"title": 5}}, 422),
        ({"json": {"title": "t", "body": ["x"]}}, 422),
        ({"json": {"title": "t" * 201}}, 422),
    ],
)
def test_invalid_bodies(api, kwargs, status):
    assert_error(api("post", "/api/notes", **kwargs), status)
    note = api("post", "/api/notes", json={"title": "ok"}).json
    assert_error(api("put", f"/api/notes/{note['id']}", **kwargs), status)
    assert api("get", "/api/notes").json["total"] == 1


def test_a_body_over_the_limit_is_a_json_413(api):
    response = api("post", "/api/notes", json={"title": "big", "body": "x" * TEST_MAX_BYTES})
    assert_error(response, 413)


def test_the_api_needs_no_csrf_token(api):
    # Bearer tokens are never added by a browser on its own: no CSRF to guard against.
    assert api("post", "/api/notes", json={"title": "no form"}).status_code == 201


def test_an_unexpected_error_is_a_500_without_details(app, caplog):
    app.testing = False  # answer 500 instead of raising into the test

    @app.get("/api/broken")
    def broken_api():
        raise RuntimeError("secret detail")

    @app.get("/broken")
    def broken_page():
        raise RuntimeError("secret detail")

    client = app.test_client()
    token = make_api_token(app, "alice")
    response = client.get("/api/broken", headers={"Authorization": f"Bearer {token}"})
    assert_error(response, 500)
    page = client.get("/broken")
    assert page.status_code == 500 and "Something broke on our side" in page.text
    assert "secret detail" not in response.text + page.text
    assert "secret detail" in caplog.text  # logged for the operator
