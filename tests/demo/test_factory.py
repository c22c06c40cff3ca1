"""create_app: the instance folder, the schema, the secret key, the configuration."""

from __future__ import annotations

import sqlite3

import pytest

import tapster.demo
from tapster.demo import create_app, default_data_folder
from tapster.demo.db import connect, init_db


def test_first_run_creates_the_folder_the_database_and_a_secret_key(tmp_path):
    data = tmp_path / "new" / "folder"
    app = create_app({"DATA": str(data), "TESTING": True})
    assert app.instance_path == str(data)
    assert app.config["DATABASE"] == str(data / "demo.sqlite")
    key = (data / "secret_key").read_text()
    assert len(key) == 64 and app.secret_key == key
    assert (data / "secret_key").stat().st_mode & 0o777 == 0o600
    tables = {row[0] for row in sqlite3.connect(data / "demo.sqlite").execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"users", "notes", "attachments", "api_tokens"} <= tables


def test_the_secret_key_is_kept_across_starts(tmp_path):
    first = create_app({"DATA": str(tmp_path)})
    second = create_app({"DATA": str(tmp_path)})
    assert first.secret_key == second.secret_key


def test_the_database_is_in_wal_mode_and_connections_check_foreign_keys(tmp_path):
    app = create_app({"DATA": str(tmp_path)})
    db = connect(app.config["DATABASE"])
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO notes (owner_id, title, body) VALUES (42, 't', 'b')")


def test_the_schema_runs_again_without_losing_data(tmp_path):
    app = create_app({"DATA": str(tmp_path)})
    db = connect(app.config["DATABASE"])
    db.execute("INSERT INTO users (username, password_hash) VALUES ('x', 'y')")
    init_db(app.config["DATABASE"])
    assert db.execute("SELECT count(*) FROM users").fetchone()[0] == 1


def test_the_environment_configures_it(tmp_path, monkeypatch):
    monkeypatch.setenv("TAPSTER_DEMO_DATA", str(tmp_path / "env"))
    monkeypatch.setenv("TAPSTER_DEMO_SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("TAPSTER_DEMO_MAX_CONTENT_LENGTH", "1234")
    app = create_app()
    assert app.instance_path == str(tmp_path / "env")
    assert app.secret_key == "from-the-environment"
    assert app.config["MAX_CONTENT_LENGTH"] == 1234
    assert not (tmp_path / "env" / "secret_key").exists()


def test_the_default_folder_is_per_user(monkeypatch, tmp_path):
    monkeypatch.delenv("TAPSTER_DEMO_DATA", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_data_folder() == str(tmp_path / "tapster-demo")
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_data_folder() == str(tmp_path / ".local" / "share" / "tapster-demo")


def test_app_is_made_when_first_asked_for(tmp_path, monkeypatch):
    monkeypatch.setenv("TAPSTER_DEMO_DATA", str(tmp_path / "lazy"))
    module = tapster.demo
    assert "app" not in vars(module)  # importing the package made no app
    try:
        assert module.app is module.app
        assert module.app.instance_path == str(tmp_path / "lazy")
        with pytest.raises(AttributeError):
            module.no_such_name  # noqa: B018
    finally:
        module.__dict__.pop("app", None)


def test_pages_carry_the_security_headers(client):
    response = client.get("/")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
