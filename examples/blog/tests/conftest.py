"""Fixtures: a blog app on a fresh temporary database, its test client and CLI runner.

The database holds two users, ``alice`` and ``bob`` (passwords in
``PASSWORDS``), and one post by alice. This folder has no ``__init__.py`` on
purpose: the repository's own ``tests`` package owns that name, and pytest
imports these modules by their file names instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tapster import App
from tapster.testing import Client, CliRunner, TestResponse
from tapsterblog import create_app
from tapsterblog.db import get_db, init_db
from tapsterblog.passwords import hash_password

#: A cheap scrypt cost, so the tests do not spend their time hashing.
TEST_COST = 2**10
PASSWORDS = {"alice": "alice-secret", "bob": "bob-secret"}


@pytest.fixture
def app(tmp_path: Path) -> Iterator[App]:
    """The blog with its own database file, filled with two users and a post."""
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "DATABASE": str(tmp_path / "blog.sqlite"),
            "PASSWORD_SCRYPT_N": TEST_COST,
        }
    )
    with app.app_context():
        init_db()
        db = get_db()
        with db:
            db.executemany(
                "INSERT INTO users (username, password_hash) VALUES (?, ?)",
                [(name, hash_password(password, TEST_COST)) for name, password in
                 PASSWORDS.items()],
            )
            db.execute(
                "INSERT INTO posts (title, body, author_id, created)"
                " VALUES ('First post', 'Hello from alice.', 1, '2026-01-02 03:04:05')"
            )
    yield app


@pytest.fixture
def client(app: App) -> Client:
    """A test client of ``app``, keeping cookies."""
    return app.test_client()


@pytest.fixture
def runner(app: App) -> CliRunner:
    """A runner for ``app``'s commands."""
    return app.test_cli_runner()


class AuthActions:
    """Log the test client in and out as a browser would, through the forms."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def login(self, username: str = "alice", password: str | None = None) -> TestResponse:
        if password is None:
            password = PASSWORDS[username]
        return self._client.post(
            "/auth/login", data={"username": username, "password": password}
        )

    def logout(self) -> TestResponse:
        return self._client.post("/auth/logout")


@pytest.fixture
def auth(client: Client) -> AuthActions:
    """``auth.login()`` (alice by default) and ``auth.logout()`` for ``client``."""
    return AuthActions(client)


@pytest.fixture
def query(app: App):
    """Run SQL on the app's database and return all rows: ``query("SELECT ...", args)``."""

    def run(sql: str, *args: object) -> list[tuple]:
        with app.app_context():
            return [tuple(row) for row in get_db().execute(sql, args)]

    return run
