"""SQLite through the standard ``sqlite3``: one connection per request, writes that wait their turn.

Several threads of a worker, and several workers, share one database file.
Three settings make that safe: WAL journaling (readers never block the
writer, nor the writer them), a busy timeout (a writer waits for the lock
instead of failing with "database is locked"), and ``BEGIN IMMEDIATE`` for
every write, which takes the write lock before the first statement: a
deferred transaction that reads first and writes later can find its snapshot
stale and fail at once, without waiting for the timeout.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources

from tapster import App, current_app, g

#: How long a write waits for another one to finish before giving up (ms).
BUSY_TIMEOUT_MS = 10_000


def connect(path: str) -> sqlite3.Connection:
    """A new connection to ``path`` with the demo's settings.

    ``isolation_level=None`` turns off the module's implicit transactions, so
    that ``transaction()`` alone decides where one starts and ends.
    """
    connection = sqlite3.connect(path, isolation_level=None)
    connection.row_factory = sqlite3.Row
    connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    # SQLite leaves REFERENCES (and so ON DELETE CASCADE) unchecked unless asked,
    # on each connection.
    connection.execute("PRAGMA foreign_keys = ON")
    return connection


def get_db() -> sqlite3.Connection:
    """The request's connection, opened on first use and closed when the request ends."""
    if "db" not in g:
        g.db = connect(current_app.config["DATABASE"])
    return g.db  # type: ignore[no-any-return]


@contextmanager
def transaction() -> Iterator[sqlite3.Connection]:
    """A write transaction: committed at the end of the block, rolled back on an error."""
    db = get_db()
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def close_db(error: BaseException | None = None) -> None:
    """Close the connection of this context, if it opened one (a teardown function)."""
    connection = g.pop("db", None)
    if connection is not None:
        connection.close()


def init_db(path: str) -> None:
    """Create the tables when they are missing and switch the file to WAL (both persist)."""
    schema = resources.files(__package__).joinpath("schema.sql").read_text(encoding="utf-8")
    connection = connect(path)
    try:
        connection.execute("PRAGMA journal_mode = WAL")
        connection.executescript(schema)
    finally:
        connection.close()


def init_app(app: App) -> None:
    """Create the schema on first run and close connections when requests end."""
    init_db(app.config["DATABASE"])
    app.teardown_appcontext(close_db)
