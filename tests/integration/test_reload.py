"""The reloader and the debug page, in real processes over real sockets.

Each test writes an app into a temporary folder, starts ``tapster run
--debug``, ``tapster serve --reload`` or ``python app.py`` (``app.run(debug=
True)``) there on an ephemeral port, and changes files under it. Every wait
is bounded; every process is stopped (``TapsterProcess``), and the server
process a reloader started is checked to be gone too.
"""

from __future__ import annotations

import os
import re
import signal
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from tests.processes import (
    REPO_ROOT,
    TapsterProcess,
    child_environment,
    http_request,
    split_response,
)

#: How long a change may take to be served (the brief's bound; it takes ~1-2 s).
RELOAD_TIMEOUT = 15.0

APP = '''
from tapster import App

app = App(__name__)

@app.route("/")
def index():
    return "{greeting}"

@app.route("/boom")
def boom():
    try:
        {{}}["missing"]
    except KeyError as error:
        raise ValueError("it broke <script>alert(1)</script>") from error

if __name__ == "__main__":
    app.run(port=0, debug=True)
'''


def write_app(path: Path, greeting: str) -> None:
    path.write_text(textwrap.dedent(APP.format(greeting=greeting)))


def environment(*, polling: bool = False) -> dict[str, str]:
    """The worktree's code for the child, no bytecode files, polling when asked."""
    extra = {"PYTHONPATH": str(REPO_ROOT / "src"), "PYTHONDONTWRITEBYTECODE": "1"}
    if polling:
        extra["TAPSTER_RELOAD_POLL"] = "1"
    env = child_environment(**extra)
    if not polling:
        env.pop("TAPSTER_RELOAD_POLL", None)
    return env


def get(url: str) -> requests.Response:
    return requests.get(url, timeout=RELOAD_TIMEOUT)


def wait_until(condition: Callable[[], bool], what: str, timeout: float = RELOAD_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout}s: {what}")
        time.sleep(0.1)


def served_text(url: str) -> str:
    """The body at ``url``, or "" when the request fails (the server may be restarting)."""
    try:
        return get(url).text
    except requests.RequestException:
        return ""


def server_pids(process: TapsterProcess) -> list[int]:
    return [int(m) for m in re.findall(r"Started server process \[(\d+)\]", process.text())]


def is_running(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "State:\tZ" not in status  # a zombie has exited


def assert_stopped(pid: int, timeout: float = 10.0) -> None:
    wait_until(lambda: not is_running(pid), f"process {pid} exits", timeout)


@pytest.fixture(params=["watchfiles", "polling"])
def watcher(request: pytest.FixtureRequest) -> str:
    if request.param == "watchfiles":
        pytest.importorskip("watchfiles")
    return str(request.param)


def test_run_debug_restarts_the_server_when_the_app_changes(tmp_path, watcher):
    write_app(tmp_path / "hello.py", "first version")
    args = ["--app", "hello", "run", "--debug", "--port", "0"]
    env = environment(polling=watcher == "polling")
    with TapsterProcess(args, cwd=tmp_path, env=env) as server:
        host, port = server.listening_address(timeout=RELOAD_TIMEOUT)
        url = f"http://{host}:{port}/"
        assert get(url).text == "first version"
        server.wait_for_line(rf"Started reloader process \[{server.pid}\] using {watcher}")
        first_pid = server_pids(server)[0]

        write_app(tmp_path / "hello.py", "second version, longer")
        # The socket stays open in the reloader: during the restart, a client
        # waits in the backlog instead of being refused.
        refused = []

        def serves_the_new_version() -> bool:
            try:
                return split_response(http_request((host, port)))[2] == b"second version, longer"
            except ConnectionRefusedError as error:
                refused.append(error)
                return False

        wait_until(serves_the_new_version, "the new version is served:\n" + server.text())
        assert refused == []
        server.wait_for_line(r"Detected changes in hello\.py; restarting")
        assert not is_running(first_pid)
        assert len(server_pids(server)) == 2
        assert server.lines("stdout")[:3] == [" * Serving Tapster app 'hello'",
                                              " * Debug mode: on",
                                              " * Debug page: on (tracebacks in the browser; "
                                              "no console)"]


def test_app_run_debug_waits_out_a_syntax_error(tmp_path, watcher):
    write_app(tmp_path / "app.py", "before")
    env = environment(polling=watcher == "polling")
    command = [sys.executable, "app.py"]
    with TapsterProcess([], command=command, cwd=tmp_path, env=env) as server:
        url = server.listening_urls(timeout=RELOAD_TIMEOUT)[0] + "/"
        assert get(url).text == "before"

        (tmp_path / "app.py").write_text("from tapster import App\napp = App(__name__\n")
        server.wait_for_line(r"Server process \[\d+\] exited with status 1; waiting",
                             timeout=RELOAD_TIMEOUT)
        assert "SyntaxError" in server.text()
        assert server.process.poll() is None  # the reloader lives on

        write_app(tmp_path / "app.py", "after the fix")
        wait_until(lambda: served_text(url) == "after the fix", "the fixed app is served")


def test_run_debug_shows_an_app_that_fails_to_import_on_the_debug_page(tmp_path):
    write_app(tmp_path / "hello.py", "before")
    args = ["--app", "hello", "run", "--debug", "--port", "0"]
    with TapsterProcess(args, cwd=tmp_path, env=environment()) as server:
        url = server.listening_urls(timeout=RELOAD_TIMEOUT)[0] + "/"
        assert get(url).text == "before"

        (tmp_path / "hello.py").write_text("from tapster import App\napp = App(__name__\n")
        wait_until(lambda: "SyntaxError" in served_text(url), "the error page is served")
        response = get(url)
        assert response.status_code == 500
        assert "hello.py" in response.text
        assert "app = App(__name__" in response.text  # the bad line
        server.wait_for_line(r"Error: While importing 'hello', an error was raised: "
                             r"SyntaxError")

        write_app(tmp_path / "hello.py", "after the fix")
        wait_until(lambda: served_text(url) == "after the fix", "the fixed app is served")


def test_sigterm_stops_the_reloader_and_its_server(tmp_path):
    write_app(tmp_path / "hello.py", "hello")
    args = ["--app", "hello", "run", "--debug", "--port", "0"]
    with TapsterProcess(args, cwd=tmp_path, env=environment()) as server:
        url = server.listening_urls(timeout=RELOAD_TIMEOUT)[0] + "/"
        assert get(url).text == "hello"
        [child] = server_pids(server)
        assert is_running(child)
        server.send_signal(signal.SIGTERM)
        assert server.wait(15) == 0
        assert not is_running(child)  # reaped, not left behind
        assert "Reloader stopped" in server.text()


def test_the_server_stops_when_its_reloader_is_killed(tmp_path):
    write_app(tmp_path / "hello.py", "hello")
    args = ["--app", "hello", "run", "--debug", "--port", "0"]
    with TapsterProcess(args, cwd=tmp_path, env=environment()) as server:
        server.listening_urls(timeout=RELOAD_TIMEOUT)
        [child] = server_pids(server)
        server.process.kill()
        server.process.wait(5)
        try:
            assert_stopped(child)
        finally:
            if is_running(child):
                os.kill(child, signal.SIGKILL)


def test_serve_reload_restarts_for_code_templates_and_extra_files(tmp_path):
    (tmp_path / "wsgiapp.py").write_text(textwrap.dedent("""
        def app(environ, start_response):
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"one"]
    """))
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "page.html").write_text("<p>page</p>")
    (tmp_path / "settings.toml").write_text("a = 1\n")
    (tmp_path / "notes.txt").write_text("not watched\n")
    args = ["serve", "wsgiapp:app", "--bind", "127.0.0.1:0", "--reload",
            "--reload-extra-file", "settings.toml", "--reload-exclude", "*_scratch.py"]
    with TapsterProcess(args, cwd=tmp_path, env=environment()) as server:
        url = server.listening_urls(timeout=RELOAD_TIMEOUT)[0] + "/"
        assert get(url).text == "one"

        def restarts_after(change: Callable[[], None], count: int) -> None:
            change()
            wait_until(lambda: len(server_pids(server)) == count, f"restart number {count}")

        (tmp_path / "wsgiapp.py").write_text((tmp_path / "wsgiapp.py").read_text()
                                             .replace('b"one"', 'b"two!"'))
        wait_until(lambda: served_text(url) == "two!", "the new code is served")
        assert len(server_pids(server)) == 2
        restarts_after(lambda: (tmp_path / "templates" / "page.html").write_text("<p>v2</p>"), 3)
        restarts_after(lambda: (tmp_path / "settings.toml").write_text("a = 22\n"), 4)

        # Neither an excluded file nor a file that is no code changes anything.
        (tmp_path / "draft_scratch.py").write_text("x = 1\n")
        (tmp_path / "notes.txt").write_text("still not watched\n")
        time.sleep(3)
        assert len(server_pids(server)) == 4
        assert get(url).text == "two!"

        # SIGHUP restarts the server process, as it will restart workers.
        server.send_signal(signal.SIGHUP)
        wait_until(lambda: len(server_pids(server)) == 5, "a restart on SIGHUP")
        assert get(url).text == "two!"


def test_debug_page_shows_the_traceback_over_a_real_socket(tmp_path):
    write_app(tmp_path / "hello.py", "hello")
    args = ["--app", "hello", "run", "--debug", "--port", "0"]
    with TapsterProcess(args, cwd=tmp_path, env=environment()) as server:
        url = server.listening_urls(timeout=RELOAD_TIMEOUT)[0]
        response = get(f"{url}/boom")
        assert response.status_code == 500
        assert response.headers["Content-Type"] == "text/html; charset=utf-8"
        page = response.text
        assert "<h1>ValueError</h1>" in page
        assert "it broke &lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert "<script>" not in page  # escaped, every time
        # The source line of each frame, escaped, and the chained exception first.
        assert "raise ValueError(&quot;it broke &lt;script&gt;" in page
        assert "{}[&quot;missing&quot;]" in page
        assert page.index("KeyError: &#x27;missing&#x27;") < page.index(
            "The above exception was the direct cause of the following exception:")
        assert str(tmp_path / "hello.py") in page
        # The error is in the server's log too.
        server.wait_for_line(r"Exception on /boom \[GET\]")
        assert get(url + "/").text == "hello"


@pytest.mark.parametrize(
    "args",
    [
        ["run", "--port", "0"],  # no debug mode
        ["run", "--port", "0", "--debugger"],  # the debugger needs debug mode
        ["run", "--port", "0", "--debug", "--no-debugger", "--no-reload"],
    ],
    ids=["production", "debugger-without-debug", "debug-without-debugger"],
)
def test_without_the_debug_page_a_500_reveals_nothing(tmp_path, args):
    write_app(tmp_path / "hello.py", "hello")
    with TapsterProcess(["--app", "hello", *args], cwd=tmp_path, env=environment()) as server:
        url = server.listening_urls(timeout=RELOAD_TIMEOUT)[0]
        response = get(f"{url}/boom")
        assert response.status_code == 500
        for secret in ("it broke", "missing", "Traceback", "hello.py", "script"):
            assert secret not in response.text
        if "--debug" not in args:
            # Flask's own short page, word for word.
            assert response.text == (
                "<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n"
                "<h1>Internal Server Error</h1>\n<p>The server encountered an internal error "
                "and was unable to complete your request. Either the server is overloaded or "
                "there is an error in the application.</p>\n"
            )
        server.wait_for_line(r"it broke")  # logged, not shown
