"""The blog served by ``tapster serve`` in a child process, used over real sockets.

The commands are the README's: ``tapster --app tapsterblog init-db``, then
``tapster serve 'tapsterblog:create_app()'`` configured by ``TAPSTER_*``
variables, on an ephemeral port of 127.0.0.1. A ``requests.Session`` keeps
the session cookie as a browser would. The server is always stopped.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

#: examples/blog: where ``tapsterblog`` imports from when it is not installed.
EXAMPLE_ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 10.0


def blog_environment(tmp_path: Path) -> dict[str, str]:
    """The environment of the commands: a database in ``tmp_path``, a secret key, no strays."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("TAPSTER_", "LISTEN_"))  # none of ours, no socket activation
    }
    env["PYTHONPATH"] = os.pathsep.join(
        [str(EXAMPLE_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    env["TAPSTER_DATABASE"] = str(tmp_path / "blog.sqlite")
    env["TAPSTER_SECRET_KEY"] = os.urandom(16).hex()
    return env


def tapster(*args: str) -> list[str]:
    """The ``tapster`` command line of the interpreter running the tests."""
    return [sys.executable, "-m", "tapster", *args]


class Output:
    """A child's stream, read line by line on a thread so the pipe never fills."""

    def __init__(self, stream: object) -> None:
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: object) -> None:
        for line in stream:  # type: ignore[attr-defined]
            self.lines.append(line.rstrip("\n"))

    def join(self) -> None:
        self._thread.join(5)

    def __str__(self) -> str:
        return "\n".join(self.lines)


@pytest.fixture
def blog_server(tmp_path: Path) -> Iterator[tuple[str, Output]]:
    """The blog on tapster's server: its base URL and its log (stderr)."""
    env = blog_environment(tmp_path)
    init = subprocess.run(
        tapster("--app", "tapsterblog", "init-db"),
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60, check=False,
    )
    assert init.returncode == 0, init.stderr
    assert init.stdout == f"Initialized the database at {tmp_path / 'blog.sqlite'}.\n"

    process = subprocess.Popen(
        tapster("serve", "tapsterblog:create_app()", "--bind", "127.0.0.1:0",
                "--access-log", "-"),
        cwd=tmp_path, env=env, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    log, access_log = Output(process.stderr), Output(process.stdout)
    try:
        deadline = time.monotonic() + 30
        while not (match := re.search(r"Listening at: (http://127\.0\.0\.1:\d+)", str(log))):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"tapster serve did not start (exit {process.poll()}):\n{log}")
            time.sleep(0.05)
        yield match.group(1), log
        process.send_signal(signal.SIGTERM)
        assert process.wait(15) == 0, f"the server did not exit cleanly:\n{log}"
        log.join()
        access_log.join()
        assert "Traceback" not in str(log)
        assert re.search(r'"POST /create HTTP/1\.1" 302 ', str(access_log)), str(access_log)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(5)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def test_a_visit_over_real_sockets(blog_server):
    url, _log = blog_server
    browser = requests.Session()

    def get(path: str, status: int = 200) -> requests.Response:
        response = browser.get(url + path, allow_redirects=False, timeout=TIMEOUT)
        assert response.status_code == status, response.text
        return response

    def post(path: str, data: dict[str, str], location: str) -> requests.Response:
        response = browser.post(url + path, data=data, allow_redirects=False, timeout=TIMEOUT)
        assert response.status_code == 302, response.text
        assert response.headers["Location"] == location
        return response

    home = get("/")
    assert home.headers["Server"] == "tapster"
    assert home.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "Nothing here yet." in home.text
    stylesheet = get("/static/style.css")
    assert stylesheet.headers["Content-Type"] == "text/css; charset=utf-8"
    assert stylesheet.content == (EXAMPLE_ROOT / "tapsterblog/static/style.css").read_bytes()

    # Register, then log in: the session cookie comes back and is sent from then on.
    post("/auth/register", {"username": "erin", "password": "erin-secret"}, "/auth/login")
    assert "Welcome, erin! You can log in now." in get("/auth/login").text
    failed = browser.post(url + "/auth/login", data={"username": "erin", "password": "wrong"},
                          allow_redirects=False, timeout=TIMEOUT)
    assert failed.status_code == 200
    assert "Incorrect username or password." in failed.text
    post("/auth/login", {"username": "erin", "password": "erin-secret"}, "/")
    assert "session" in browser.cookies
    home = get("/")
    assert '<span class="who">erin</span>' in home.text
    assert "Logged in as erin." in home.text

    # Write a post; it is on the index and on its own page.
    post("/create", {"title": "Over the wire", "body": "Sent through tapster."}, "/1")
    assert "Published &#34;Over the wire&#34;." in get("/1").text
    home = get("/")
    assert '<a href="/1">Over the wire</a>' in home.text
    assert "Sent through tapster." in home.text

    # Someone who is not logged in may read it, not change it.
    stranger = requests.get(url + "/1/update", allow_redirects=False, timeout=TIMEOUT)
    assert stranger.status_code == 302
    assert stranger.headers["Location"] == "/auth/login?next=/1/update"

    # Edit it, then delete it.
    assert 'value="Over the wire"' in get("/1/update").text
    post("/1/update", {"title": "Edited over the wire", "body": "Changed."}, "/1")
    page = get("/1")
    assert "<h2>Edited over the wire</h2>" in page.text
    assert "Saved your changes." in page.text
    post("/1/delete", {}, "/")
    assert "Nothing here yet." in get("/").text
    missing = get("/1", status=404)
    assert "There is no post 1." in missing.text

    # Log out: the session forgets erin, and writing needs a login again.
    post("/auth/logout", {}, "/")
    home = get("/")
    assert "Logged out." in home.text
    assert 'href="/auth/login"' in home.text
    assert get("/create", status=302).headers["Location"] == "/auth/login?next=/create"
