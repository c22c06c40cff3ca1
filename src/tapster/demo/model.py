"""Notes and their attachments, as the web pages and the JSON API both use them.

Notes are private: only their owner reads or changes them. A note that
exists but belongs to someone else is a 403, one that does not exist a 404.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sqlite3
from typing import Any

from tapster import abort, current_app
from tapster.utils import secure_filename

from .db import get_db, transaction

TITLE_MAX_LENGTH = 200
BODY_MAX_LENGTH = 100_000
#: Notes per page when the client does not say, and the most it may ask for.
PER_PAGE_DEFAULT = 20
PER_PAGE_MAX = 100


def note_error(title: str, body: str) -> str | None:
    """Why a note with this ``title`` and ``body`` cannot be saved, or None."""
    if not title:
        return "A note needs a title."
    if len(title) > TITLE_MAX_LENGTH:
        return f"The title can be at most {TITLE_MAX_LENGTH} characters."
    if len(body) > BODY_MAX_LENGTH:
        return f"The text can be at most {BODY_MAX_LENGTH:,} characters."
    return None


def parse_page(args: Any) -> tuple[int, int]:
    """``page`` and ``per_page`` from a query (``request.args``); 400 when they are not sane."""
    try:
        page = int(args.get("page", 1))
        per_page = int(args.get("per_page", PER_PAGE_DEFAULT))
    except ValueError:
        abort(400, "page and per_page must be whole numbers.")
    if page < 1 or not 1 <= per_page <= PER_PAGE_MAX:
        abort(400, f"page must be 1 or more, per_page between 1 and {PER_PAGE_MAX}.")
    return page, per_page


def notes_page(owner_id: int, page: int, per_page: int) -> tuple[list[sqlite3.Row], int]:
    """One page of the owner's notes, newest first, and how many notes they have in all."""
    db = get_db()
    total = db.execute("SELECT count(*) FROM notes WHERE owner_id = ?", (owner_id,)).fetchone()[0]
    rows = db.execute(
        "SELECT id, title, body, created, updated FROM notes WHERE owner_id = ?"
        " ORDER BY id DESC LIMIT ? OFFSET ?",
        (owner_id, per_page, (page - 1) * per_page),
    ).fetchall()
    return rows, total


def get_note(note_id: int, owner_id: int) -> sqlite3.Row:
    """The note ``note_id``: 404 when there is none, 403 when it is not ``owner_id``'s."""
    note = get_db().execute(
        "SELECT id, owner_id, title, body, created, updated FROM notes WHERE id = ?", (note_id,)
    ).fetchone()
    if note is None:
        abort(404, f"There is no note {note_id}.")
    if note["owner_id"] != owner_id:
        abort(403, "This note belongs to someone else.")
    return note  # type: ignore[no-any-return]


def create_note(owner_id: int, title: str, body: str) -> int:
    """Save a new note; its id."""
    with transaction() as db:
        cursor = db.execute(
            "INSERT INTO notes (owner_id, title, body) VALUES (?, ?, ?)", (owner_id, title, body)
        )
    return cursor.lastrowid  # type: ignore[return-value]


def update_note(note_id: int, title: str, body: str) -> None:
    """Replace a note's title and text."""
    with transaction() as db:
        db.execute(
            "UPDATE notes SET title = ?, body = ?, updated = CURRENT_TIMESTAMP WHERE id = ?",
            (title, body, note_id),
        )


def delete_note(note_id: int) -> None:
    """Delete a note, its attachments' rows (by cascade) and then their files."""
    with transaction() as db:
        names = [row[0] for row in db.execute(
            "SELECT stored_name FROM attachments WHERE note_id = ?", (note_id,)
        )]
        db.execute("DELETE FROM notes WHERE id = ?", (note_id,))
    for name in names:
        _remove_file(name)


# -- attachments -------------------------------------------------------------


def attachments_folder() -> str:
    """Where attachment files live: ``attachments/`` in the instance folder."""
    return os.path.join(current_app.instance_path, "attachments")


def attachment_path(attachment: sqlite3.Row) -> str:
    """The file of an attachment row."""
    return os.path.join(attachments_folder(), attachment["stored_name"])


def _remove_file(stored_name: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(os.path.join(attachments_folder(), stored_name))


def note_attachments(note_id: int) -> list[sqlite3.Row]:
    """A note's attachments, oldest first."""
    return get_db().execute(
        "SELECT id, note_id, filename, content_type, size, created FROM attachments"
        " WHERE note_id = ? ORDER BY id",
        (note_id,),
    ).fetchall()


def get_attachment(attachment_id: int, owner_id: int) -> sqlite3.Row:
    """An attachment of one of ``owner_id``'s notes: 404 when there is none, else 403."""
    attachment = get_db().execute(
        "SELECT a.id, a.note_id, a.filename, a.stored_name, a.content_type, a.size,"
        " n.owner_id FROM attachments a JOIN notes n ON a.note_id = n.id WHERE a.id = ?",
        (attachment_id,),
    ).fetchone()
    if attachment is None:
        abort(404, f"There is no attachment {attachment_id}.")
    if attachment["owner_id"] != owner_id:
        abort(403, "This attachment belongs to someone else.")
    return attachment  # type: ignore[no-any-return]


def add_attachment(note_id: int, upload: Any) -> int:
    """Save an uploaded file (a ``FileStorage``) to a note; the attachment's id.

    The file is copied from the request's stream to disk in pieces, never
    read whole into memory, under a random name.
    """
    filename = secure_filename(upload.filename or "") or "attachment"
    stored_name = secrets.token_hex(16)
    os.makedirs(attachments_folder(), exist_ok=True)
    path = os.path.join(attachments_folder(), stored_name)
    try:
        upload.save(path)
        with transaction() as db:
            cursor = db.execute(
                "INSERT INTO attachments (note_id, filename, stored_name, content_type, size)"
                " VALUES (?, ?, ?, ?, ?)",
                (note_id, filename, stored_name,
                 upload.mimetype or "application/octet-stream", os.path.getsize(path)),
            )
    except BaseException:
        _remove_file(stored_name)  # a partial file, or one no row points at
        raise
    return cursor.lastrowid  # type: ignore[return-value]


def delete_attachment(attachment: sqlite3.Row) -> None:
    """Delete an attachment's row, then its file."""
    with transaction() as db:
        db.execute("DELETE FROM attachments WHERE id = ?", (attachment["id"],))
    _remove_file(attachment["stored_name"])
