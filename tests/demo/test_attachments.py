"""Attachments: multipart uploads streamed to disk, a size limit, downloads with Range."""

from __future__ import annotations

import io
import os
import re

from tests.demo.conftest import TEST_MAX_BYTES

CONTENT = bytes(range(256)) * 40  # 10 KiB, every byte value


def upload(client, note_id: int, content: bytes = CONTENT, filename: str = "data.bin"):
    return client.post(f"/notes/{note_id}/attachments",
                       {"file": (io.BytesIO(content), filename)},
                       content_type="multipart/form-data")


def attachment_links(client, note_id: int) -> list[str]:
    return re.findall(r'href="(/attachments/\d+/[^"]+)"', client.get(f"/notes/{note_id}").text)


def stored_files(app) -> list[str]:
    folder = os.path.join(app.instance_path, "attachments")
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


def test_upload_then_download(alice, app):
    note_id = alice.create_note()
    response = upload(alice, note_id)
    assert response.headers["Location"] == f"/notes/{note_id}"
    page = alice.get(f"/notes/{note_id}").text
    assert "Attached data.bin (10,240 bytes)." in page and "10 KiB" in page
    [link] = attachment_links(alice, note_id)
    assert link == "/attachments/1/data.bin"
    download = alice.get(link)
    assert download.status_code == 200
    assert download.data == CONTENT
    assert download.headers["Content-Disposition"] == 'attachment; filename="data.bin"'
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    # On disk under a random name, not the one the client sent.
    [name] = stored_files(app)
    assert re.fullmatch(r"[0-9a-f]{32}", name)


def test_a_range_request_gets_206_with_the_bytes_asked_for(alice):
    note_id = alice.create_note()
    upload(alice, note_id)
    [link] = attachment_links(alice, note_id)
    part = alice.get(link, headers={"Range": "bytes=256-511"})
    assert part.status_code == 206
    assert part.headers["Content-Range"] == f"bytes 256-511/{len(CONTENT)}"
    assert part.data == CONTENT[256:512]
    tail = alice.get(link, headers={"Range": "bytes=-100"})
    assert tail.status_code == 206 and tail.data == CONTENT[-100:]
    beyond = alice.get(link, headers={"Range": f"bytes={len(CONTENT)}-"})
    assert beyond.status_code == 416


def test_a_dangerous_filename_is_made_safe(alice):
    note_id = alice.create_note()
    upload(alice, note_id, b"x", "../../etc/passwd")
    assert attachment_links(alice, note_id) == ["/attachments/1/etc_passwd"]


def test_no_file_chosen(alice):
    note_id = alice.create_note()
    response = alice.post(f"/notes/{note_id}/attachments",
                          {"file": (io.BytesIO(b""), "")}, content_type="multipart/form-data")
    assert response.status_code == 302
    assert "Choose a file to attach first." in alice.get(f"/notes/{note_id}").text


def test_a_file_over_the_limit_gets_a_friendly_413_page(alice, app):
    note_id = alice.create_note()
    response = upload(alice, note_id, b"x" * (TEST_MAX_BYTES + 1))
    assert response.status_code == 413
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "<h1>That file is too big</h1>" in response.text
    assert "Attachments can be up to 64 KiB." in response.text
    assert 'id="who">alice<' in response.text  # the page still knows who you are
    assert stored_files(app) == [] and attachment_links(alice, note_id) == []


def test_the_limit_is_shown_on_the_form(alice):
    note_id = alice.create_note()
    page = alice.get(f"/notes/{note_id}").text
    assert f'data-max-bytes="{TEST_MAX_BYTES}"' in page and "Up to 64 KiB." in page


def test_only_the_owner_uploads_downloads_or_removes(alice, bob, app):
    note_id = alice.create_note()
    upload(alice, note_id)
    assert upload(bob, note_id).status_code == 403
    assert bob.get("/attachments/1/data.bin").status_code == 403
    assert bob.post("/attachments/1/delete").status_code == 403
    assert bob.get("/attachments/2/data.bin").status_code == 404
    assert alice.client.application.test_client().get("/attachments/1/data.bin").status_code == 302
    assert len(stored_files(app)) == 1


def test_remove_an_attachment(alice, app):
    note_id = alice.create_note()
    upload(alice, note_id)
    response = alice.post("/attachments/1/delete")
    assert response.headers["Location"] == f"/notes/{note_id}"
    assert "Removed data.bin." in alice.get(f"/notes/{note_id}").text
    assert stored_files(app) == []


def test_deleting_a_note_deletes_its_files(alice, app):
    note_id = alice.create_note()
    upload(alice, note_id)
    upload(alice, note_id, b"second", "two.txt")
    assert len(stored_files(app)) == 2
    alice.post(f"/notes/{note_id}/delete")
    assert stored_files(app) == []
    assert alice.get("/attachments/1/data.bin").status_code == 404
