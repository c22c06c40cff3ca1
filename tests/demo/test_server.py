"""The demo on ``tapster serve`` over real sockets, used by real clients: requests and curl.

One server per module (``demo_server``), on an ephemeral port of 127.0.0.1
and its own instance folder. Each test signs up its own user, through the
forms as a browser would, so the tests do not depend on one another.
"""

from __future__ import annotations

import itertools
import json
import re
import subprocess
import threading
from pathlib import Path

import pytest
import requests

from tapster.demo.db import connect
from tapster.demo.security import token_digest
from tests.demo.conftest import TEST_MAX_BYTES, DemoServer, demo_environment
from tests.processes import split_response

TIMEOUT = 10.0
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_usernames = (f"user{number}" for number in itertools.count())


def form_token(browser: requests.Session, url: str) -> str:
    """The CSRF token of the form on the page at ``url``."""
    page = browser.get(url, timeout=TIMEOUT)
    assert page.status_code == 200, page.text
    return CSRF.search(page.text).group(1)  # type: ignore[union-attr]


def signed_up(base: str) -> tuple[requests.Session, str]:
    """A new user, signed up and logged in through the forms; the session and the name."""
    username, password = next(_usernames), "a-long-password"
    browser = requests.Session()
    form = {"csrf_token": form_token(browser, base + "/signup"),
            "username": username, "password": password}
    response = browser.post(base + "/signup", data=form, allow_redirects=False, timeout=TIMEOUT)
    assert (response.status_code, response.headers["Location"]) == (302, "/login")
    response = browser.post(base + "/login", data=form, allow_redirects=False, timeout=TIMEOUT)
    assert (response.status_code, response.headers["Location"]) == (302, "/")
    return browser, username


def api_token(browser: requests.Session, base: str) -> str:
    """Make an API token on the settings page, as a person would; the token."""
    token = form_token(browser, base + "/settings")
    page = browser.post(base + "/settings/token", data={"csrf_token": token}, timeout=TIMEOUT)
    assert page.status_code == 200
    return re.search(r'id="api-token">(tap_[\w-]+)<', page.text).group(1)  # type: ignore[union-attr]


@pytest.fixture
def api(demo_server: DemoServer) -> requests.Session:
    """A requests session carrying a new user's bearer token (and no cookie)."""
    browser, _ = signed_up(demo_server.url)
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {api_token(browser, demo_server.url)}"
    return session


# -- requests -----------------------------------------------------------------


def test_the_api_with_requests(demo_server, api):
    base = demo_server.url + "/api/notes"
    created = api.post(base, json={"title": "over the wire", "body": "tabs\tand\nlines"},
                       timeout=TIMEOUT)
    assert created.status_code == 201, created.text
    note = created.json()
    assert created.headers["Location"] == note["url"] == f"{base}/{note['id']}"
    assert created.headers["Server"] == "tapster"

    got = api.get(note["url"], timeout=TIMEOUT)
    assert got.json() == note | {"attachments": []}
    changed = api.put(note["url"], json={"title": "changed", "body": "b"}, timeout=TIMEOUT)
    assert changed.status_code == 200 and changed.json()["title"] == "changed"

    for number in range(4):
        api.post(base, json={"title": f"more {number}"}, timeout=TIMEOUT)
    titles, url, pages = [], f"{base}?per_page=2", 0
    while url:  # follow the Link header, as requests parses it
        page = api.get(url, timeout=TIMEOUT)
        assert page.status_code == 200
        titles += [item["title"] for item in page.json()["notes"]]
        assert page.links.get("next", {}).get("url") == page.json()["next"]
        url, pages = page.json()["next"], pages + 1
    assert titles == ["more 3", "more 2", "more 1", "more 0", "changed"] and pages == 3

    deleted = api.delete(note["url"], timeout=TIMEOUT)
    assert deleted.status_code == 204 and deleted.content == b""
    missing = api.get(note["url"], timeout=TIMEOUT)
    assert missing.status_code == 404
    assert missing.json() == {"error": f"There is no note {note['id']}.", "status": 404}


def test_api_errors_over_the_wire_are_json(demo_server, api):
    base = demo_server.url + "/api/notes"
    anonymous = requests.get(base, timeout=TIMEOUT)
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")
    assert anonymous.json()["status"] == 401
    assert api.patch(base, json={}, timeout=TIMEOUT).status_code == 405
    assert api.post(base, data="{nope", headers={"Content-Type": "application/json"},
                    timeout=TIMEOUT).json()["status"] == 400
    assert api.post(base, json={"body": "no title"}, timeout=TIMEOUT).status_code == 422
    too_big = api.post(base, json={"title": "t", "body": "x" * TEST_MAX_BYTES}, timeout=TIMEOUT)
    assert too_big.status_code == 413
    assert too_big.json() == {"error": too_big.json()["error"], "status": 413}
    # The connection stays usable after each error.
    assert api.get(base, timeout=TIMEOUT).status_code == 200


def test_upload_and_ranged_download_with_requests(demo_server, tmp_path):
    browser, _ = signed_up(demo_server.url)
    token = form_token(browser, demo_server.url + "/notes/new")
    created = browser.post(demo_server.url + "/notes/new", allow_redirects=False,
                           data={"csrf_token": token, "title": "files", "body": ""},
                           timeout=TIMEOUT)
    note_url = demo_server.url + created.headers["Location"]
    content = bytes(range(256)) * 100
    uploaded = browser.post(note_url + "/attachments", data={"csrf_token": token},
                            files={"file": ("numbers.bin", content)}, timeout=TIMEOUT)
    assert uploaded.status_code == 200 and "Attached numbers.bin (25,600 bytes)." in uploaded.text
    link = re.search(r'href="(/attachments/\d+/numbers\.bin)"', uploaded.text).group(1)
    whole = browser.get(demo_server.url + link, timeout=TIMEOUT)
    assert whole.content == content
    part = browser.get(demo_server.url + link, headers={"Range": "bytes=1000-1999"},
                       timeout=TIMEOUT)
    assert part.status_code == 206 and part.content == content[1000:2000]

    too_big = browser.post(note_url + "/attachments", data={"csrf_token": token},
                           files={"file": ("big.bin", b"x" * (TEST_MAX_BYTES + 1))},
                           timeout=TIMEOUT)
    assert too_big.status_code == 413
    assert "<h1>That file is too big</h1>" in too_big.text
    assert "big.bin" not in browser.get(note_url, timeout=TIMEOUT).text


# -- curl ---------------------------------------------------------------------


def curl(*args: str) -> tuple[int, dict[str, str], bytes]:
    """Run curl with ``--include``; status, headers and body of the (last) response."""
    result = subprocess.run(
        ["curl", "--silent", "--show-error", "--include", "--max-time", str(TIMEOUT), *args],
        capture_output=True, timeout=TIMEOUT + 5, check=False,
    )
    assert result.returncode == 0, result.stderr.decode()
    output = result.stdout
    while output.startswith(b"HTTP/1.1 100"):  # an interim 100 Continue comes first
        output = output.partition(b"\r\n\r\n")[2]
    return split_response(output)


def json_body(payload: str) -> list[str]:
    """curl's options to send ``payload`` as JSON (``--json`` needs curl 7.82)."""
    return ["--header", "Content-Type: application/json", "--data-binary", payload]


def test_the_api_with_curl(demo_server, api):
    base = demo_server.url + "/api/notes"
    auth = ["--header", api.headers["Authorization"].join(["Authorization: ", ""])]
    payload = json.dumps({"title": "from curl", "body": "café ☕"})
    status, headers, body = curl(*auth, *json_body(payload), base)
    assert status == 201, body
    note = json.loads(body)
    assert note["body"] == "café ☕" and headers["location"] == note["url"]

    status, _, body = curl(*auth, note["url"])
    assert status == 200 and json.loads(body)["title"] == "from curl"
    status, _, body = curl(*auth, "--request", "PUT",
                           *json_body('{"title": "put by curl", "body": ""}'), note["url"])
    assert status == 200 and json.loads(body)["title"] == "put by curl"

    curl(*auth, *json_body('{"title": "second"}'), base)
    status, headers, body = curl(*auth, f"{base}?per_page=1")
    assert status == 200 and json.loads(body)["total"] == 2
    assert headers["link"] == f'<{base}?page=2&per_page=1>; rel="next"'

    status, _, body = curl(*auth, "--request", "DELETE", note["url"])
    assert (status, body) == (204, b"")
    status, _, body = curl(*auth, note["url"])
    assert status == 404 and json.loads(body)["status"] == 404

    status, headers, body = curl(base)  # no token
    assert status == 401 and json.loads(body)["status"] == 401
    assert headers["content-type"] == "application/json"
    status, headers, body = curl(*auth, "--request", "PATCH", base)
    assert status == 405 and "GET" in headers["allow"] and json.loads(body)["status"] == 405
    status, _, body = curl(*auth, *json_body('{"title": '), base)
    assert status == 400 and json.loads(body)["status"] == 400


def test_curl_reuses_its_connection(demo_server, api):
    """Two requests in one curl run travel on one kept-alive connection."""
    url = demo_server.url + "/api/notes"
    result = subprocess.run(
        ["curl", "--silent", "--verbose", "--max-time", str(TIMEOUT),
         "--header", f"Authorization: {api.headers['Authorization']}", url, url],
        capture_output=True, text=True, timeout=TIMEOUT + 5, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("< HTTP/1.1 200 OK") == 2, result.stderr
    assert "Re-using existing connection" in result.stderr, result.stderr


def test_curl_uploads_a_multipart_form_and_resumes_a_download(demo_server, tmp_path):
    browser, _ = signed_up(demo_server.url)
    token = form_token(browser, demo_server.url + "/notes/new")
    cookie = f"session={browser.cookies['session']}"  # the session that holds the token
    status, headers, _ = curl("--cookie", cookie, "--data-urlencode", f"csrf_token={token}",
                              "--data-urlencode", "title=curl's note", "--data-urlencode",
                              "body=x", demo_server.url + "/notes/new")
    assert status == 302
    note_path = headers["location"]
    note_url = demo_server.url + note_path

    source = tmp_path / "upload.bin"
    source.write_bytes(bytes(range(256)) * 64)
    status, headers, _ = curl("--cookie", cookie, "--form", f"csrf_token={token}",
                              "--form", f"file=@{source};type=application/octet-stream",
                              note_url + "/attachments")
    assert (status, headers["location"]) == (302, note_path)
    page = browser.get(note_url, timeout=TIMEOUT).text
    link = demo_server.url + re.search(r'href="(/attachments/\d+/upload\.bin)"', page).group(1)

    # Half the file, then the rest with a Range request (curl --continue-at).
    target = tmp_path / "download.bin"
    target.write_bytes(source.read_bytes()[:8192])
    result = subprocess.run(
        ["curl", "--silent", "--show-error", "--fail", "--cookie", cookie,
         "--continue-at", "-", "--output", str(target), link],
        capture_output=True, timeout=TIMEOUT + 5, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert target.read_bytes() == source.read_bytes()
    # The server writes its access log line once the response is sent: wait for it.
    demo_server.wait_for_line(r'"GET /attachments/\d+/upload\.bin HTTP/1\.1" 206 8192 ',
                              stream="stdout", timeout=TIMEOUT)


# -- concurrency ----------------------------------------------------------------


def test_concurrent_writes_through_two_servers_on_one_database(tmp_path):
    """Threads writing at once through two server processes sharing the database
    (as workers would): every note is saved, none meets "database is locked"."""
    data = tmp_path / "shared"
    env = demo_environment(data)
    args = ["serve", "tapster.demo:app", "--bind", "127.0.0.1:0"]
    # Both start at once: the schema and the secret key are made by one, read by both.
    with DemoServer(args, env=env) as first, DemoServer(args, env=env) as second:
        urls = [f"http://127.0.0.1:{server.listening_address(timeout=30)[1]}"
                for server in (first, second)]
        token = "tap_concurrency-test"
        db = connect(str(data / "demo.sqlite"))
        with db:
            db.execute("INSERT INTO users (username, password_hash) VALUES ('load', 'x')")
            db.execute("INSERT INTO api_tokens (user_id, token_hash) VALUES (1, ?)",
                       (token_digest(token),))
        db.close()

        threads_per_server, notes_per_thread = 6, 15
        failures: list[str] = []

        def write(url: str, worker: int) -> None:
            with requests.Session() as session:
                session.headers["Authorization"] = f"Bearer {token}"
                for number in range(notes_per_thread):
                    response = session.post(url + "/api/notes", timeout=30,
                                            json={"title": f"{worker}-{number}", "body": "x"})
                    if response.status_code != 201:
                        failures.append(f"{response.status_code} {response.text}")
                    # Reads in between, so that readers and writers overlap.
                    session.get(url + "/api/notes?per_page=5", timeout=30)

        threads = [threading.Thread(target=write, args=(url, f"{index}-{worker}"))
                   for index, url in enumerate(urls) for worker in range(threads_per_server)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        assert not any(thread.is_alive() for thread in threads)
        assert failures == []
        expected = 2 * threads_per_server * notes_per_thread
        total = requests.get(urls[0] + "/api/notes", timeout=TIMEOUT,
                             headers={"Authorization": f"Bearer {token}"}).json()["total"]
        assert total == expected
        first.stop()
        second.stop()
        for server in (first, second):
            assert "database is locked" not in server.text()
            assert "Traceback" not in server.text(), server.text()
        assert first.text().count("Listening at") == 1
    assert Path(data / "secret_key").exists()
