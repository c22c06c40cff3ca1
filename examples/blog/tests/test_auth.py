"""Registering, logging in and out, and what the session remembers."""

from __future__ import annotations

import pytest

from tapster import g, session
from tapsterblog.passwords import check_password


def test_register_page(client):
    response = client.get("/auth/register")
    assert response.status_code == 200
    assert "<title>Register · tapsterblog</title>" in response.text
    assert 'name="password"' in response.text


def test_register_stores_a_scrypt_hash_and_goes_to_login(client, query):
    response = client.post(
        "/auth/register", data={"username": "carol", "password": "carol-secret"}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login"
    [(stored,)] = query("SELECT password_hash FROM users WHERE username = 'carol'")
    assert stored.startswith("scrypt$1024$8$1$")
    assert check_password(stored, "carol-secret")
    # The flash waits in the session for the next page.
    page = client.get("/auth/login")
    assert '<p class="flash success" role="status">Welcome, carol! You can log in now.</p>' in (
        page.text)


def test_register_then_log_in_as_the_new_user(client, auth):
    client.post("/auth/register", data={"username": "dave", "password": "dave-secret"})
    response = client.post(
        "/auth/login", data={"username": "dave", "password": "dave-secret"},
        follow_redirects=True,
    )
    assert response.request.path == "/"
    assert '<span class="who">dave</span>' in response.text


@pytest.mark.parametrize(
    ("username", "password", "message"),
    [
        ("", "long-enough", "Username is required."),
        ("   ", "long-enough", "Username is required."),
        ("x" * 41, "long-enough", "Username must be at most 40 characters."),
        ("erin", "", "Password is required."),
        ("erin", "short", "Password must be at least 8 characters."),
        ("alice", "long-enough", "User alice is already registered."),
    ],
)
def test_register_validation(client, query, username, password, message):
    response = client.post("/auth/register", data={"username": username, "password": password})
    assert response.status_code == 200
    assert f'<p class="flash error" role="status">{message}</p>' in response.text
    # The form keeps what was typed, except the password.
    assert f'value="{username}"' in response.text
    assert query("SELECT count(*) FROM users")[0][0] == 2


def test_login_page(client):
    response = client.get("/auth/login")
    assert response.status_code == 200
    assert "<title>Log in · tapsterblog</title>" in response.text


def test_login_keeps_the_user_in_the_session(client, auth):
    response = auth.login()
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    cookie = client.get_cookie("session")
    assert cookie is not None and cookie.http_only
    with client:
        page = client.get("/")
        assert session["user_id"] == 1
        assert g.user["username"] == "alice"
    assert '<p class="flash success" role="status">Logged in as alice.</p>' in page.text
    assert '<span class="who">alice</span>' in page.text
    assert 'action="/auth/logout"' in page.text


@pytest.mark.parametrize(
    ("username", "password"),
    [("alice", "wrong-password"), ("alice", ""), ("nobody", "alice-secret"), ("", "")],
)
def test_login_failures_say_the_same_thing(client, auth, username, password):
    response = auth.login(username, password)
    assert response.status_code == 200
    assert '<p class="flash error" role="status">Incorrect username or password.</p>' in (
        response.text)
    with client:
        client.get("/")
        assert "user_id" not in session
        assert g.user is None


def test_login_starts_a_fresh_session(client, auth):
    with client.session_transaction() as sess:
        sess["left_over"] = "from before"
    auth.login()
    with client.session_transaction() as sess:
        assert dict(sess) == {"user_id": 1, "_flashes": [("success", "Logged in as alice.")]}


def test_login_returns_to_the_page_that_asked(client, auth):
    response = client.get("/create")
    assert response.headers["Location"] == "/auth/login?next=/create"
    response = client.post(
        "/auth/login?next=%2Fcreate", data={"username": "alice", "password": "alice-secret"}
    )
    assert response.headers["Location"] == "/create"


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:x"]
)
def test_login_never_redirects_off_the_site(client, target):
    response = client.post(
        "/auth/login", query_string={"next": target},
        data={"username": "alice", "password": "alice-secret"},
    )
    assert response.headers["Location"] == "/"


def test_session_of_a_deleted_user_is_anonymous(client, auth, app):
    with client.session_transaction() as sess:
        sess["user_id"] = 99
    with client:
        response = client.get("/")
        assert g.user is None
    assert "Log in" in response.text


def test_tampered_session_cookie_is_ignored(client, auth):
    auth.login()
    value = client.get_cookie("session").value
    client.set_cookie("session", value[:-2] + ("AA" if not value.endswith("AA") else "BB"))
    with client:
        client.get("/")
        assert g.user is None


def test_logout(client, auth):
    auth.login()
    response = auth.logout()
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    with client:
        page = client.get("/")
        assert "user_id" not in session
    assert '<p class="flash success" role="status">Logged out.</p>' in page.text
    assert 'href="/auth/login"' in page.text


def test_logout_needs_a_post(client, auth):
    auth.login()
    response = client.get("/auth/logout")
    assert response.status_code == 405
    assert response.headers["Allow"] == "OPTIONS, POST"
    with client:
        client.get("/")
        assert session["user_id"] == 1
