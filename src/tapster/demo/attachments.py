"""Attachments: upload a file to a note, download it (with ``Range``), delete it.

The upload is a ``multipart/form-data`` POST; the framework streams the file
part to a temporary file as it arrives and ``MAX_CONTENT_LENGTH`` caps the
whole body (413, answered by the friendly page in ``errors.py``).
"""

from __future__ import annotations

from typing import Any

from tapster import Blueprint, Response, flash, g, redirect, request, send_file, url_for

from . import model
from .auth import login_required

bp = Blueprint("attachments", __name__)


@bp.post("/notes/<int:note_id>/attachments")
@login_required
def upload(note_id: int) -> Any:
    """Attach the posted ``file`` to one of your notes."""
    model.get_note(note_id, g.user["id"])
    upload = request.files.get("file")
    if not upload:  # no part, or a file input left empty (an empty filename)
        flash("Choose a file to attach first.", "error")
    else:
        attachment_id = model.add_attachment(note_id, upload)
        attachment = model.get_attachment(attachment_id, g.user["id"])
        flash(f"Attached {attachment['filename']} ({attachment['size']:,} bytes).", "success")
    return redirect(url_for("notes.show", note_id=note_id))


@bp.get("/attachments/<int:attachment_id>/<path:filename>")
@login_required
def download(attachment_id: int, filename: str) -> Response:
    """The file, as a download under its name.

    ``send_file`` answers conditional and ``Range`` requests (206, 416), so
    an interrupted download resumes. The name in the URL is only for people
    and the browser's save dialog; the id decides. ``as_attachment`` keeps a
    browser from rendering an uploaded HTML file as a page of this site.
    """
    attachment = model.get_attachment(attachment_id, g.user["id"])
    return send_file(
        model.attachment_path(attachment),
        mimetype=attachment["content_type"],
        as_attachment=True,
        download_name=attachment["filename"],
    )


@bp.post("/attachments/<int:attachment_id>/delete")
@login_required
def delete(attachment_id: int) -> Any:
    """Remove an attachment from its note."""
    attachment = model.get_attachment(attachment_id, g.user["id"])
    model.delete_attachment(attachment)
    flash(f"Removed {attachment['filename']}.", "success")
    return redirect(url_for("notes.show", note_id=attachment["note_id"]))
