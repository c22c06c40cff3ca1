"""Sign up, log in, log out, and the CSRF check on every form."""

from __future__ import annotations

import pytest

from tests.demo.conftest import DemoClient


def test_welcome_page_for_visitors(client):
    page = client.get("/")
    assert page.status_code == 200
    assert "Sign up" in page.text and "Your notes" not in page.text


def test_sign_up_then_log_in(client):
    assert client.get("/signup").status_code == 200
    response = client.post("/signup", {"username": "carol", "password": "carol-secret"})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert "Welcome, carol!" in client.get("/login").text
    response = client.post("/login", {"username": "carol", "password": "carol-secret"})
    assert response.headers["Location"] == "/"
    page = client.get("/")
    assert 'id="who">carol<' in page.text and "Logged in as carol." in page.text


def test_passwords_are_stored_as_scrypt_hashes(client, app):
    client.post("/signup", {"username": "carol", "password": "carol-secret"})
    from tapster.demo.db import connect

    stored = connect(app.config["DATABASE"]).execute(
        "SELECT password_hash FROM users WHERE username = 'carol'").fetchone()[0]
    assert stored.startswith("scrypt$1024$8$1$") and "carol-secret" not in stored


@pytest.mark.parametrize(
    ("username", "password", "message"),
    [
        ("", "long-enough", "Choose a username."),
        ("x" * 41, "long-enough", "A username can be at most 40 characters."),
        ("dave", "short", "A password needs at least 8 characters."),
        ("ALICE", "long-enough", "The name ALICE is taken."),
    ],
)
def test_sign_up_errors(client, username, password, message):
    response = client.post("/signup", {"username": username, "password": password})
    assert response.status_code == 200
    assert message in response.text


def test_wrong_password_or_user_get_one_message(client):
    for username, password in (("alice", "not-hers"), ("nobody", "whatever")):
        response = client.post("/login", {"username": username, "password": password})
        assert response.status_code == 200
        assert "Wrong username or password." in response.text


def test_login_returns_to_the_page_asked_for_but_never_to_another_site(client):
    assert client.get("/notes/new").headers["Location"] == "/login?next=/notes/new"
    data = {"username": "alice", "password": "alice-secret"}
    assert client.post("/login?next=/notes/new", data).headers["Location"] == "/notes/new"
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        client.logout()
        response = client.post("/login", data, query_string={"next": target})
        assert response.headers["Location"] == "/"


def test_logout_forgets_the_user(alice):
    response = alice.logout()
    assert response.status_code == 302
    page = alice.get("/")
    assert "Logged out." in page.text and 'id="who"' not in page.text
    assert alice.get("/settings").status_code == 302


def test_the_session_cookie_is_http_only_and_same_site(alice):
    cookie = alice.client.get_cookie("session")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"


def test_every_form_carries_the_token(alice):
    note_id = alice.create_note()
    token = alice.csrf_token()
    for url in ("/", f"/notes/{note_id}", f"/notes/{note_id}/edit", "/notes/new", "/settings"):
        page = alice.get(url).text
        assert page.count("<form") == page.count(f'name="csrf_token" value="{token}"'), url


@pytest.mark.parametrize("token", [None, "", "forged"])
def test_a_form_without_the_session_token_is_a_400(alice, token):
    data = {"title": "t", "body": "b"}
    if token is not None:
        data["csrf_token"] = token
    response = alice.client.post("/notes/new", data=data)
    assert response.status_code == 400
    assert "This form has expired or did not come from this site." in response.text
    assert "No notes yet." in alice.get("/").text


def test_a_token_from_another_session_is_refused(app, alice):
    other = DemoClient(app.test_client())
    response = alice.client.post("/logout", data={"csrf_token": other.csrf_token()})
    assert response.status_code == 400
    assert 'id="who">alice<' in alice.get("/").text  # still logged in


def test_logging_in_changes_the_token(client):
    before = client.csrf_token()
    client.login()
    assert client.csrf_token() != before


def test_the_login_form_needs_the_token_too(client):
    response = client.client.post("/login", data={"username": "alice",
                                                  "password": "alice-secret"})
    assert response.status_code == 400
