"""The notes pages: your list, one note with its attachments, the forms to write and edit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tapster import Blueprint, flash, g, redirect, render_template, request, url_for

from . import model
from .auth import login_required

bp = Blueprint("notes", __name__)


@bp.app_template_filter("when")
def format_timestamp(stamp: str) -> str:
    """SQLite's ``YYYY-MM-DD HH:MM:SS`` (UTC) as ``24 Nov 2026, 17:51 UTC``."""
    moment = datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S")
    return f"{moment.day} {moment:%b %Y, %H:%M} UTC"


@bp.app_template_filter("filesize")
def human_size(size: int | None) -> str:
    """A byte count for people: ``16 MiB``, ``2.5 KiB``, ``100 bytes``."""
    if size is None:
        return "any size"
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if size >= scale:
            return f"{size / scale:.3g} {unit}"
    return f"{size} byte{'s' if size != 1 else ''}"


@bp.get("/")
def index() -> str:
    """A welcome for visitors; your notes, newest first, once you are logged in."""
    if g.user is None:
        return render_template("welcome.html")
    page, per_page = model.parse_page(request.args)
    notes, total = model.notes_page(g.user["id"], page, per_page)
    return render_template(
        "notes/index.html", notes=notes, total=total, page=page,
        has_next=page * per_page < total,
    )


def _form() -> tuple[str, str, str | None]:
    """Title, text and what is wrong with them, from the posted form."""
    title = request.form.get("title", "").strip()
    # The text is kept as typed (plain text: indentation matters), but browsers
    # send textarea line ends as CRLF.
    body = request.form.get("body", "").replace("\r\n", "\n")
    return title, body, model.note_error(title, body)


@bp.route("/notes/new", methods=("GET", "POST"))
@login_required
def create() -> Any:
    """Write a new note."""
    if request.method == "POST":
        title, body, error = _form()
        if error is None:
            note_id = model.create_note(g.user["id"], title, body)
            flash(f"Saved “{title}”.", "success")
            return redirect(url_for("notes.show", note_id=note_id))
        flash(error, "error")
    return render_template("notes/form.html", note=None)


@bp.get("/notes/<int:note_id>")
@login_required
def show(note_id: int) -> str:
    """One note, its attachments and the form to add one."""
    note = model.get_note(note_id, g.user["id"])
    return render_template(
        "notes/show.html", note=note, attachments=model.note_attachments(note_id)
    )


@bp.route("/notes/<int:note_id>/edit", methods=("GET", "POST"))
@login_required
def edit(note_id: int) -> Any:
    """Change a note's title and text."""
    note = model.get_note(note_id, g.user["id"])
    if request.method == "POST":
        title, body, error = _form()
        if error is None:
            model.update_note(note_id, title, body)
            flash("Saved your changes.", "success")
            return redirect(url_for("notes.show", note_id=note_id))
        flash(error, "error")
    return render_template("notes/form.html", note=note)


@bp.post("/notes/<int:note_id>/delete")
@login_required
def delete(note_id: int) -> Any:
    """Delete a note and its attachments."""
    note = model.get_note(note_id, g.user["id"])
    model.delete_note(note_id)
    flash(f"Deleted “{note['title']}”.", "success")
    return redirect(url_for("notes.index"))
