"""tapster's framework under another WSGI server: the example blog served by gunicorn.

docs/deployment.md says an application written with the framework runs under
any WSGI server, with ``gunicorn 'myapp:create_app()'``; this runs that
command for real on an ephemeral port and uses the blog through it: templates,
static files, forms, redirects and the session cookie. gunicorn is a test
dependency only; the test skips where it is not installed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
import requests

from tests.processes import REPO_ROOT, TapsterProcess, child_environment

pytest.importorskip("gunicorn", reason="gunicorn is not installed (pip install -e '.[test]')")

BLOG = REPO_ROOT / "examples" / "blog"
TIMEOUT = 10.0


def test_the_blog_runs_under_gunicorn(tmp_path):
    env = child_environment(
        PYTHONPATH=os.pathsep.join([str(BLOG), *filter(None, [os.environ.get("PYTHONPATH")])]),
        TAPSTER_DATABASE=str(tmp_path / "blog.sqlite"),
        TAPSTER_SECRET_KEY=os.urandom(16).hex(),
    )
    init = subprocess.run([sys.executable, "-m", "tapster", "--app", "tapsterblog", "init-db"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
                          check=False)
    assert init.returncode == 0, init.stderr
    command = [sys.executable, "-m", "gunicorn", "tapsterblog:create_app()",
               "--bind", "127.0.0.1:0", "--workers", "2", "--graceful-timeout", "5"]
    with TapsterProcess([], command=command, cwd=tmp_path, env=env) as server:
        url = server.listening_urls(1, timeout=30)[0]
        browser = requests.Session()

        def get(path: str) -> requests.Response:
            response = browser.get(url + path, allow_redirects=False, timeout=TIMEOUT)
            assert response.status_code == 200, response.text
            return response

        def post(path: str, data: dict[str, str], location: str) -> None:
            response = browser.post(url + path, data=data, allow_redirects=False,
                                    timeout=TIMEOUT)
            assert response.status_code == 302, response.text
            assert response.headers["Location"] == location

        home = get("/")
        assert home.headers["Server"].startswith("gunicorn")  # not tapster's server
        assert "Nothing here yet." in home.text
        stylesheet = get("/static/style.css")
        assert stylesheet.headers["Content-Type"] == "text/css; charset=utf-8"
        assert stylesheet.content == (BLOG / "tapsterblog/static/style.css").read_bytes()
        post("/auth/register", {"username": "erin", "password": "erin-secret"}, "/auth/login")
        post("/auth/login", {"username": "erin", "password": "erin-secret"}, "/")
        post("/create", {"title": "Under gunicorn", "body": "Same framework."}, "/1")
        home = get("/")
        assert '<a href="/1">Under gunicorn</a>' in home.text
        assert '<span class="who">erin</span>' in home.text  # the session, on either worker
        missing = browser.get(url + "/2", timeout=TIMEOUT)
        assert missing.status_code == 404 and "There is no post 2." in missing.text

        server.send_signal(signal.SIGTERM)  # gunicorn's graceful stop
        assert server.wait(15) == 0, server.text()
    assert "Traceback" not in server.text()
