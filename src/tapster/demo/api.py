"""The JSON API under ``/api``: your notes, for scripts and other programs.

Every request carries ``Authorization: Bearer <token>`` (a token from the
settings page); cookies play no part, so no CSRF token is needed. Errors are
JSON too, ``{"error": "...", "status": 404}``, with the status they name
(``errors.py`` sends every error under ``/api`` here).

    GET    /api/notes?page=1&per_page=20   a page of notes, newest first
    POST   /api/notes                      {"title": ..., "body": ...} -> 201
    GET    /api/notes/<id>                 one note, with its attachments' details
    PUT    /api/notes/<id>                 {"title": ..., "body": ...}: replace both
    DELETE /api/notes/<id>                 -> 204
"""

from __future__ import annotations

import sqlite3
from typing import Any

from tapster import Blueprint, Response, abort, g, jsonify, request, url_for
from tapster.exceptions import HTTPException, Unauthorized

from . import model
from .db import get_db
from .security import token_digest

bp = Blueprint("api", __name__, url_prefix="/api")

_CHALLENGE = 'Bearer realm="tapster demo"'


@bp.before_request
def authenticate() -> None:
    """Find the user whose token the request carries; 401 without a valid one."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized(
            "Send your API token as 'Authorization: Bearer <token>'; "
            "make one on the settings page.",
            www_authenticate=_CHALLENGE,
        )
    user = get_db().execute(
        "SELECT u.id, u.username FROM api_tokens t JOIN users u ON u.id = t.user_id"
        " WHERE t.token_hash = ?",
        (token_digest(token),),
    ).fetchone()
    if user is None:
        raise Unauthorized(
            "This API token is not valid: it was revoked, replaced or mistyped.",
            www_authenticate=f'{_CHALLENGE}, error="invalid_token"',
        )
    g.user = user  # the token's user, whatever session cookie came along


def error_response(error: HTTPException) -> Response:
    """An HTTP error as JSON, keeping the fields it needs (``Allow``, ``WWW-Authenticate``)."""
    response = jsonify(error=error.description or error.name, status=error.code)
    response.status_code = error.code or 500
    for name, value in error.get_headers(request.environ):
        if name.lower() != "content-type":
            response.headers.add(name, value)
    return response


def _timestamp(stamp: str) -> str:
    """SQLite's ``YYYY-MM-DD HH:MM:SS`` (UTC) as RFC 3339."""
    return stamp.replace(" ", "T") + "Z"


def note_json(note: sqlite3.Row) -> dict[str, Any]:
    """A note as the API shows it."""
    return {
        "id": note["id"],
        "title": note["title"],
        "body": note["body"],
        "created": _timestamp(note["created"]),
        "updated": _timestamp(note["updated"]),
        "url": url_for("api.get_note", note_id=note["id"], _external=True),
    }


def _posted_note() -> tuple[str, str]:
    """Title and body from a JSON object: 400 when the body is not one, 422 when invalid."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        abort(400, 'Send a JSON object, such as {"title": "Groceries", "body": "Eggs"}, '
                   "with Content-Type: application/json.")
    title, body = data.get("title"), data.get("body", "")
    if not isinstance(title, str) or not isinstance(body, str):
        abort(422, "title (required) and body must be strings.")
    title = title.strip()
    error = model.note_error(title, body)
    if error is not None:
        abort(422, error)
    return title, body


@bp.get("/notes")
def list_notes() -> Response:
    """A page of the user's notes; ``next``/``prev`` (and the ``Link`` field) lead on."""
    page, per_page = model.parse_page(request.args)
    notes, total = model.notes_page(g.user["id"], page, per_page)
    pages = {
        "next": page + 1 if page * per_page < total else None,
        "prev": page - 1 if page > 1 else None,
    }
    urls = {
        rel: url_for("api.list_notes", page=number, per_page=per_page, _external=True)
        for rel, number in pages.items() if number is not None
    }
    response = jsonify(
        notes=[note_json(note) for note in notes], page=page, per_page=per_page, total=total,
        next=urls.get("next"), prev=urls.get("prev"),
    )
    if urls:  # RFC 8288, as GitHub's API does it
        response.headers["Link"] = ", ".join(f'<{url}>; rel="{rel}"' for rel, url in urls.items())
    return response


@bp.post("/notes")
def create_note() -> tuple[Response, int, dict[str, str]]:
    """Create a note: 201 with the note and its ``Location``."""
    title, body = _posted_note()
    note_id = model.create_note(g.user["id"], title, body)
    note = model.get_note(note_id, g.user["id"])
    return jsonify(note_json(note)), 201, {"Location": note_json(note)["url"]}


@bp.get("/notes/<int:note_id>")
def get_note(note_id: int) -> Response:
    """One note, with the names and sizes of its attachments."""
    note = model.get_note(note_id, g.user["id"])
    attachments = [
        {"id": row["id"], "filename": row["filename"], "content_type": row["content_type"],
         "size": row["size"], "created": _timestamp(row["created"])}
        for row in model.note_attachments(note_id)
    ]
    return jsonify(note_json(note) | {"attachments": attachments})


@bp.put("/notes/<int:note_id>")
def update_note(note_id: int) -> Response:
    """Replace a note's title and body."""
    model.get_note(note_id, g.user["id"])
    title, body = _posted_note()
    model.update_note(note_id, title, body)
    return jsonify(note_json(model.get_note(note_id, g.user["id"])))


@bp.delete("/notes/<int:note_id>")
def delete_note(note_id: int) -> tuple[str, int]:
    """Delete a note and its attachments: 204."""
    model.get_note(note_id, g.user["id"])
    model.delete_note(note_id)
    return "", 204
