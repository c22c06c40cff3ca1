"""Posts: listing, reading, writing, editing and deleting, and who may do which."""

from __future__ import annotations

import pytest


def test_index_anonymous(client):
    response = client.get("/")
    assert response.status_code == 200
    text = response.text
    assert '<a href="/1">First post</a>' in text
    assert "by alice on 2 Jan 2026, 03:04 UTC" in text
    assert "Hello from alice." in text
    assert 'href="/auth/login"' in text and 'href="/auth/register"' in text
    assert 'href="/create"' not in text
    assert 'href="/1/update"' not in text


def test_index_as_the_author_and_as_another_user(client, auth):
    auth.login()
    text = client.get("/").text
    assert 'href="/create"' in text
    assert 'href="/1/update"' in text
    auth.logout()
    auth.login("bob")
    text = client.get("/").text
    assert 'href="/create"' in text
    assert 'href="/1/update"' not in text


def test_index_lists_newest_first_and_escapes_html(client, auth):
    auth.login("bob")
    client.post("/create", data={"title": "<script>alert(1)</script>", "body": "a & b"})
    text = client.get("/").text
    assert text.index("&lt;script&gt;alert(1)&lt;/script&gt;") < text.index("First post")
    assert "<script>" not in text
    assert "a &amp; b" in text


def test_empty_index(client, auth, query):
    auth.login()
    client.post("/1/delete")
    assert "Nothing here yet." in client.get("/").text


def test_show_a_post(client):
    response = client.get("/1")
    assert response.status_code == 200
    assert "<title>First post · tapsterblog</title>" in response.text
    assert "<h2>First post</h2>" in response.text


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/create"), ("POST", "/create"), ("GET", "/1/update"), ("POST", "/1/update"),
     ("POST", "/1/delete")],
)
def test_writing_needs_a_login(client, query, method, path):
    response = client.open(path, method=method, data={"title": "t", "body": "b"})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=")
    assert query("SELECT title FROM posts") == [("First post",)]


@pytest.mark.parametrize(("method", "path"), [("GET", "/1/update"), ("POST", "/1/update"),
                                              ("POST", "/1/delete")])
def test_only_the_author_may_change_a_post(client, auth, query, method, path):
    auth.login("bob")
    response = client.open(path, method=method, data={"title": "bob's", "body": "b"})
    assert response.status_code == 403
    assert query("SELECT title FROM posts") == [("First post",)]


@pytest.mark.parametrize(("method", "path"), [("GET", "/2"), ("GET", "/2/update"),
                                              ("POST", "/2/update"), ("POST", "/2/delete")])
def test_missing_post_is_404(client, auth, method, path):
    auth.login()
    response = client.open(path, method=method, data={"title": "t", "body": "b"})
    assert response.status_code == 404
    assert '<p class="missing">There is no post 2.</p>' in response.text


def test_create(client, auth, query):
    auth.login()
    assert client.get("/create").status_code == 200
    response = client.post("/create", data={"title": "Second", "body": "More words."})
    assert response.status_code == 302
    assert response.headers["Location"] == "/2"
    assert query("SELECT title, body, author_id, updated FROM posts WHERE id = 2") == [
        ("Second", "More words.", 1, None)
    ]
    page = client.get("/2")
    assert '<p class="flash success" role="status">Published &#34;Second&#34;.</p>' in page.text
    assert "More words." in page.text


def test_update(client, auth, query):
    auth.login()
    page = client.get("/1/update")
    assert page.status_code == 200
    assert 'value="First post"' in page.text
    assert ">Hello from alice.</textarea>" in page.text
    response = client.post("/1/update", data={"title": "Renamed", "body": "New body."},
                           follow_redirects=True)
    assert response.request.path == "/1"
    assert "<h2>Renamed</h2>" in response.text
    assert "(edited " in response.text
    assert '<p class="flash success" role="status">Saved your changes.</p>' in response.text
    [(title, body, updated)] = query("SELECT title, body, updated FROM posts")
    assert (title, body) == ("Renamed", "New body.")
    assert updated is not None


@pytest.mark.parametrize("path", ["/create", "/1/update"])
@pytest.mark.parametrize(
    ("title", "body", "message"),
    [
        ("", "text", "Title is required."),
        ("  ", "text", "Title is required."),
        ("t" * 201, "text", "Title must be at most 200 characters."),
        ("title", "", "Write something in the post."),
    ],
)
def test_create_and_update_validate(client, auth, query, path, title, body, message):
    auth.login()
    response = client.post(path, data={"title": title, "body": body})
    assert response.status_code == 200
    assert f'<p class="flash error" role="status">{message}</p>' in response.text
    # What was typed is kept in the form.
    if body:
        assert f">{body}</textarea>" in response.text
    assert query("SELECT title, body FROM posts") == [("First post", "Hello from alice.")]


def test_delete(client, auth, query):
    auth.login()
    response = client.post("/1/delete")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert query("SELECT * FROM posts") == []
    page = client.get("/")
    assert '<p class="flash success" role="status">Deleted &#34;First post&#34;.</p>' in page.text
    assert client.get("/1").status_code == 404


def test_delete_needs_a_post(client, auth):
    auth.login()
    assert client.get("/1/delete").status_code == 405


def test_flashes_are_shown_once(client, auth):
    auth.login()
    assert "Logged in as alice." in client.get("/").text
    assert "Logged in as alice." not in client.get("/").text
