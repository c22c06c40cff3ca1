"""The database connection's life and the ``init-db`` command."""

from __future__ import annotations

import sqlite3

import pytest

from tapsterblog import create_app
from tapsterblog.db import get_db, init_db


def test_one_connection_per_context_closed_at_teardown(app):
    with app.app_context():
        db = get_db()
        assert get_db() is db
        assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        db.execute("SELECT 1")


def test_a_request_closes_its_connection(app, client):
    seen = []
    app.teardown_appcontext(lambda error: seen.append(error))
    client.get("/")
    assert seen == [None]


def test_rows_read_by_column_name(app):
    with app.app_context():
        post = get_db().execute("SELECT title, author_id FROM posts").fetchone()
    assert (post["title"], post["author_id"]) == ("First post", 1)


def test_posts_need_an_existing_author(app):
    with app.app_context(), pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        get_db().execute("INSERT INTO posts (title, body, author_id) VALUES ('t', 'b', 99)")


def test_init_db_command_creates_fresh_tables(runner, query):
    assert len(query("SELECT * FROM posts")) == 1
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Initialized the database at ")
    assert result.output.rstrip().endswith("blog.sqlite.")
    assert query("SELECT * FROM posts") == []
    assert query("SELECT * FROM users") == []


def test_init_db_command_makes_the_database_folder(tmp_path):
    database = tmp_path / "instance" / "nested" / "blog.sqlite"
    app = create_app({"DATABASE": str(database)})
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    tables = sqlite3.connect(database).execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        " ORDER BY name"
    ).fetchall()
    assert tables == [("posts",), ("users",)]


def test_init_db_command_is_listed_in_help(runner):
    result = runner.invoke(args=["--help"])
    assert "init-db" in result.output
    assert "Create the blog's tables" in result.output


def test_init_db_without_the_command(app, tmp_path):
    with app.app_context():
        init_db()
        assert get_db().execute("SELECT count(*) FROM users").fetchone()[0] == 0
