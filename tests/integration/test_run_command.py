"""``tapster run`` and the app's commands in real processes, talking HTTP over a socket."""

from __future__ import annotations

import signal
import socket
import subprocess
import textwrap
from pathlib import Path

import pytest
import requests

from tests.processes import TAPSTER, TapsterProcess, child_environment, run_tapster

APP = """
import click
from tapster import App, request

app = App(__name__)

@app.route("/hello/<name>")
def hello(name):
    return {"hello": name, "debug": app.debug, "method": request.method}

@app.post("/echo")
def echo():
    return request.get_data()

@app.cli.command("count-routes")
def count_routes():
    click.echo(f"{len(list(app.url_map.iter_rules()))} routes")
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A folder with ``hello.py`` (the app) to run commands in."""
    (tmp_path / "hello.py").write_text(textwrap.dedent(APP))
    return tmp_path


def test_run_serves_the_app_on_a_real_socket(project):
    args = ["--app", "hello", "run", "--port", "0"]
    with TapsterProcess(args, cwd=project) as server:
        host, port = server.listening_address()
        assert host == "127.0.0.1"
        url = f"http://{host}:{port}"
        response = requests.get(f"{url}/hello/world", timeout=5)
        assert response.status_code == 200
        assert response.json() == {"hello": "world", "debug": False, "method": "GET"}
        assert response.headers["Server"] == "tapster"
        assert requests.post(f"{url}/echo", data=b"x" * 100_000, timeout=5).content == (
            b"x" * 100_000)
        assert requests.get(f"{url}/missing", timeout=5).status_code == 404
        server.send_signal(signal.SIGTERM)
        assert server.wait(10) == 0
        assert server.lines("stdout")[:2] == [" * Serving Tapster app 'hello'",
                                              " * Debug mode: off"]
        assert "Traceback" not in server.text()


def test_run_finds_app_py_and_takes_debug_after_the_command(project):
    (project / "hello.py").rename(project / "app.py")
    with TapsterProcess(["run", "--debug", "--port", "0"], cwd=project) as server:
        host, port = server.listening_address()
        response = requests.get(f"http://{host}:{port}/hello/debug", timeout=5)
        assert response.json()["debug"] is True
        server.wait_for_line(r"Debug mode: on", stream="stdout")


def test_run_with_a_missing_module_is_one_line_and_exit_1(tmp_path):
    result = run_tapster(["run", "--app", "missing_module"], cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == "Error: Could not import 'missing_module'.\n"


def test_run_without_any_app_is_one_line_and_exit_1(tmp_path):
    result = run_tapster(["run"], cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "Error: Could not locate a Tapster application. Use the 'tapster --app' option, "
        "'TAPSTER_APP' environment variable, or a 'wsgi.py' or 'app.py' file in the current "
        "directory."
    ]


def test_run_on_a_port_in_use_is_one_line_and_exit_1(project):
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = run_tapster(["--app", "hello", "run", "--port", str(port)], cwd=project)
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        f"Error: cannot bind 127.0.0.1:{port}: address already in use")
    assert "Traceback" not in result.stderr


def test_app_run_at_import_time_does_not_serve_twice(project):
    # Without a __main__ guard, app.run() runs when `tapster run` imports the module.
    (project / "eager.py").write_text(textwrap.dedent(APP) + "\napp.run(port=1)\n")
    with TapsterProcess(["--app", "eager", "run", "--port", "0"], cwd=project) as server:
        host, port = server.listening_address()
        assert requests.get(f"http://{host}:{port}/hello/x", timeout=5).status_code == 200
        assert len(server.listening_urls(1)) == 1


def test_routes_and_app_commands_in_a_process(project):
    result = run_tapster(["--app", "hello", "routes", "--sort", "rule"], cwd=project)
    assert result.returncode == 0, result.stderr
    lines = [line.split() for line in result.stdout.splitlines()]
    assert lines[0] == ["Endpoint", "Methods", "Rule"]
    assert ["echo", "POST", "/echo"] in lines
    assert ["hello", "GET", "/hello/<name>"] in lines

    result = run_tapster(["--app", "hello", "--help"], cwd=project)
    assert "count-routes" in result.stdout and "serve" in result.stdout
    result = run_tapster(["--app", "hello", "count-routes"], cwd=project)
    assert (result.returncode, result.stdout) == (0, "3 routes\n")  # with /static


def test_app_from_the_environment_variable(project):
    result = subprocess.run([TAPSTER, "count-routes"], cwd=project, capture_output=True,
                            text=True, timeout=15, check=False,
                            env=child_environment(TAPSTER_APP="hello"))
    assert (result.returncode, result.stdout) == (0, "3 routes\n")
