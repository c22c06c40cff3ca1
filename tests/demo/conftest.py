"""Fixtures for the demo: the app on a temporary instance folder, clients that fill in
CSRF tokens, users, API tokens, and the demo served by ``tapster serve``."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tapster import App
from tapster.demo import create_app
from tapster.demo.db import connect
from tapster.demo.security import hash_password, token_digest
from tapster.testing import Client, TestResponse
from tests.processes import TapsterProcess

#: A cheap scrypt cost, so that the tests do not spend their time hashing.
TEST_COST = 2**10
#: A small upload limit, so that a too-large body is cheap to send.
TEST_MAX_BYTES = 64 * 1024
PASSWORDS = {"alice": "alice-secret", "bob": "bob-secret"}


@pytest.fixture
def app(tmp_path: Path) -> App:
    """The demo on its own instance folder, with two users and no notes."""
    app = create_app(
        {
            "DATA": str(tmp_path / "instance"),
            "TESTING": True,
            "PASSWORD_SCRYPT_N": TEST_COST,
            "MAX_CONTENT_LENGTH": TEST_MAX_BYTES,
        }
    )
    db = connect(app.config["DATABASE"])
    with db:
        db.executemany(
            "INSERT INTO users (username, password_hash) VALUES (?, ?)",
            [(name, hash_password(password, TEST_COST)) for name, password in PASSWORDS.items()],
        )
    db.close()
    return app


class DemoClient:
    """A test client that posts forms as the browser does, with the page's CSRF token."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def csrf_token(self) -> str:
        """The token the session's forms carry (a page is fetched when there is none yet)."""
        with self.client.session_transaction() as session:
            token = session.get("csrf_token")
        if token is None:
            self.client.get("/login")
            with self.client.session_transaction() as session:
                token = session["csrf_token"]
        return token  # type: ignore[no-any-return]

    def post(self, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> TestResponse:
        """POST a form with the CSRF token added."""
        return self.client.post(url, data={"csrf_token": self.csrf_token(), **(data or {})},
                                **kwargs)

    def get(self, url: str, **kwargs: Any) -> TestResponse:
        return self.client.get(url, **kwargs)

    def login(self, username: str = "alice") -> TestResponse:
        response = self.post("/login", {"username": username, "password": PASSWORDS[username]})
        assert response.status_code == 302, response.text
        return response

    def logout(self) -> TestResponse:
        return self.post("/logout")

    def create_note(self, title: str = "Groceries", body: str = "eggs\nmilk") -> int:
        """Write a note through the form; its id."""
        response = self.post("/notes/new", {"title": title, "body": body})
        assert response.status_code == 302, response.text
        match = re.fullmatch(r"/notes/(\d+)", response.headers["Location"])
        assert match, response.headers["Location"]
        return int(match.group(1))


@pytest.fixture
def client(app: App) -> DemoClient:
    """A visitor who is not logged in."""
    return DemoClient(app.test_client())


@pytest.fixture
def alice(app: App) -> DemoClient:
    """A client logged in as alice."""
    client = DemoClient(app.test_client())
    client.login("alice")
    return client


@pytest.fixture
def bob(app: App) -> DemoClient:
    """A client logged in as bob."""
    client = DemoClient(app.test_client())
    client.login("bob")
    return client


def make_api_token(app: App, username: str) -> str:
    """Give ``username`` a new API token, straight in the database; the token."""
    token = f"tap_test-{username}-{os.urandom(8).hex()}"
    db = connect(app.config["DATABASE"])
    with db:
        db.execute(
            "INSERT OR REPLACE INTO api_tokens (user_id, token_hash)"
            " SELECT id, ? FROM users WHERE username = ?",
            (token_digest(token), username),
        )
    db.close()
    return token


#: Set on a test item whose call failed (the browser fixture then saves a screenshot).
FAILED_KEY = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Mark the items of this folder whose test failed, for their fixtures' teardown."""
    report = yield
    if report.when == "call" and report.failed:
        item.stash[FAILED_KEY] = True
    return report


# -- the demo on tapster's server ---------------------------------------------


def demo_environment(data: Path, **extra: str) -> dict[str, str]:
    """The server's environment: its own instance folder, cheap hashes, nothing inherited
    that would change the demo or hand the child a listening socket."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("TAPSTER_", "LISTEN_"))
    }
    env.update(
        TAPSTER_DEMO_DATA=str(data),
        TAPSTER_DEMO_PASSWORD_SCRYPT_N=str(TEST_COST),
        TAPSTER_DEMO_MAX_CONTENT_LENGTH=str(TEST_MAX_BYTES),
    )
    env.update(extra)
    return env


class DemoServer(TapsterProcess):
    """``tapster serve tapster.demo:app`` in a child process; its URL and its logs."""

    #: The base URL, once it is listening. Its access log (``--access-log -``) is on stdout.
    url = ""


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    """The demo served over real sockets on 127.0.0.1 (one per test module); stopped after.

    The test fails if the server logged a traceback or did not exit cleanly.
    """
    data = tmp_path_factory.mktemp("demo-data")
    with DemoServer(
        ["serve", "tapster.demo:app", "--bind", "127.0.0.1:0", "--access-log", "-"],
        env=demo_environment(data),
    ) as server:
        host, port = server.listening_address(timeout=30)
        server.url = f"http://{host}:{port}"
        yield server
        server.stop()
        assert server.process.returncode == 0, server.text()
        assert "Traceback" not in server.text(), server.text()
