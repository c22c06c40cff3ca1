"""Notes through the pages: write, read, edit, delete; only their owner may."""

from __future__ import annotations

import pytest


def test_write_a_note_and_find_it(alice):
    note_id = alice.create_note("Groceries", "eggs\r\n  milk\r\n")
    page = alice.get(f"/notes/{note_id}")
    assert page.status_code == 200
    assert "Saved “Groceries”." in page.text
    # Plain text: kept as typed (line ends made LF), shown in <pre>, escaped.
    assert '<pre class="note-body" id="note-body">eggs\n  milk\n</pre>' in page.text
    index = alice.get("/").text
    assert f'<a href="/notes/{note_id}">Groceries</a>' in index and "1 note<" in index


def test_markup_in_a_note_is_text(alice):
    note_id = alice.create_note("<b>bold</b>", "<script>alert(1)</script>")
    page = alice.get(f"/notes/{note_id}").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b&gt;bold&lt;/b&gt;" in page


@pytest.mark.parametrize(
    ("title", "body", "message"),
    [
        ("   ", "text", "A note needs a title."),
        ("x" * 201, "text", "The title can be at most 200 characters."),
        ("t", "x" * 100_001, "The text can be at most 100,000 characters."),
    ],
)
def test_invalid_notes_are_shown_again_with_the_reason(app, alice, title, body, message):
    app.config["MAX_CONTENT_LENGTH"] = 2**20  # room for the longest body
    response = alice.post("/notes/new", {"title": title, "body": body})
    assert response.status_code == 200
    assert message in response.text
    assert "No notes yet." in alice.get("/").text


def test_edit_a_note(alice):
    note_id = alice.create_note()
    form = alice.get(f"/notes/{note_id}/edit").text
    assert 'value="Groceries"' in form and ">eggs\nmilk</textarea>" in form
    response = alice.post(f"/notes/{note_id}/edit", {"title": "Shopping", "body": "bread"})
    assert response.headers["Location"] == f"/notes/{note_id}"
    page = alice.get(f"/notes/{note_id}").text
    assert "<h1>Shopping</h1>" in page and ">bread</pre>" in page and "Saved your changes." in page


def test_delete_a_note(alice):
    note_id = alice.create_note()
    response = alice.post(f"/notes/{note_id}/delete")
    assert response.headers["Location"] == "/"
    assert "Deleted “Groceries”." in alice.get("/").text
    assert alice.get(f"/notes/{note_id}").status_code == 404


def test_someone_elses_note_is_a_403_and_a_missing_one_a_404(alice, bob):
    note_id = alice.create_note()
    for method, url in (("get", f"/notes/{note_id}"), ("get", f"/notes/{note_id}/edit"),
                        ("post", f"/notes/{note_id}/edit"), ("post", f"/notes/{note_id}/delete")):
        response = getattr(bob, method)(url)
        assert response.status_code == 403, url
        assert "This note belongs to someone else." in response.text
    missing = bob.get("/notes/999")
    assert missing.status_code == 404
    assert "There is no note 999." in missing.text and "<h1>Nothing here</h1>" in missing.text
    assert alice.get(f"/notes/{note_id}").status_code == 200  # still there


def test_visitors_are_sent_to_log_in(client):
    for url in ("/notes/new", "/notes/1", "/notes/1/edit", "/settings"):
        response = client.get(url)
        assert response.status_code == 302
        assert response.headers["Location"] == f"/login?next={url}"


def test_the_list_is_paged_newest_first(alice):
    for number in range(25):
        alice.create_note(f"note {number}", "")
    first = alice.get("/").text
    assert "note 24" in first and "note 5<" in first and "note 4<" not in first
    assert 'href="/?page=2">Older' in first and "25 notes" in first
    second = alice.get("/?page=2").text
    assert "note 4<" in second and "note 0<" in second and "Older" not in second
    assert alice.get("/?page=0").status_code == 400
    assert alice.get("/?page=x").status_code == 400


def test_a_404_page_for_unknown_addresses(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "There is no page at this address." in response.text
    assert '<link rel="stylesheet" href="/static/style.css">' in response.text


def test_static_assets(client):
    assert client.get("/static/style.css").headers["Content-Type"] == "text/css; charset=utf-8"
    script = client.get("/static/app.js")
    assert script.status_code == 200 and "data-confirm" in script.text
