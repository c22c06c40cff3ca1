"""The SQLite database: one connection per app context, and the ``init-db`` command."""

from __future__ import annotations

import os
import sqlite3

import click

from tapster import App, current_app, g
from tapster.web.cli import with_appcontext


def get_db() -> sqlite3.Connection:
    """The request's (or app context's) connection, opened on first use.

    Rows are ``sqlite3.Row``, so templates read columns by name.
    """
    if "db" not in g:
        connection = sqlite3.connect(current_app.config["DATABASE"])
        connection.row_factory = sqlite3.Row
        # SQLite leaves REFERENCES unchecked unless asked, per connection.
        connection.execute("PRAGMA foreign_keys = ON")
        g.db = connection
    return g.db  # type: ignore[no-any-return]


def close_db(error: BaseException | None = None) -> None:
    """Close the connection, if this context opened one (a teardown function)."""
    connection = g.pop("db", None)
    if connection is not None:
        connection.close()


def init_db() -> None:
    """Create the tables afresh (existing data is dropped), making the folder if needed."""
    folder = os.path.dirname(os.path.abspath(current_app.config["DATABASE"]))
    os.makedirs(folder, exist_ok=True)
    with current_app.open_resource("schema.sql", "r", encoding="utf-8") as schema:
        get_db().executescript(schema.read())


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create the blog's tables, dropping any that exist."""
    init_db()
    click.echo(f"Initialized the database at {current_app.config['DATABASE']}.")


def init_app(app: App) -> None:
    """Close connections when app contexts end, and add ``init-db`` to ``app.cli``.

    The command is a plain click command wrapped in ``with_appcontext``, so it
    also runs in an app context when invoked on its own (a test runner, a
    project's own click group), not only through ``tapster``.
    """
    app.teardown_appcontext(close_db)
    app.cli.add_command(init_db_command)
