"""A tapster app that saves an upload where it is told: ``tapster serve`` runs it in the tests."""

from __future__ import annotations

import os

from tapster import App, request

app = App(__name__)


@app.post("/upload")
def upload() -> dict[str, object]:
    """Save the file ``f`` to the path in ``?to=``; say what arrived."""
    storage = request.files["f"]
    destination = request.args["to"]
    storage.save(destination)
    return {
        "filename": storage.filename,
        "size": os.path.getsize(destination),
        "form": request.form.to_dict(),
    }
