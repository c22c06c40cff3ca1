"""The ``tapster`` command in child processes: flags, errors, serving, signals."""

from __future__ import annotations

import dataclasses
import json
import platform
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tapster import __version__
from tapster.settings import Settings
from tests.processes import (
    REPO_ROOT,
    TapsterProcess,
    child_environment,
    http_request,
    run_tapster,
    split_response,
)

# -- applications the commands load, written into a directory of their own ----------

_MODULES = {
    "clitest_app": '''
import json
import sys
import time

NUMBER = 42


def app(environ, start_response):
    """Answers SCRIPT_NAME and PATH_INFO; /sleep?SECONDS sleeps first, saying so on stderr."""
    if environ["PATH_INFO"] == "/sleep":
        seconds = float(environ["QUERY_STRING"])
        sys.stderr.write(f"app: sleeping {seconds}\\n")  # one write: threads do not interleave
        sys.stderr.flush()
        time.sleep(seconds)
    body = json.dumps(
        {"SCRIPT_NAME": environ["SCRIPT_NAME"], "PATH_INFO": environ["PATH_INFO"]}
    ).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body]


def create_app(name="default"):
    def named(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [name.encode()]

    return named


def failing_factory():
    raise RuntimeError("no configuration found")
''',
    "clitest_application": '''
def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"application"]
''',
    "clitest_noapp": "VALUE = 1\n",
    "clitest_syntax": "def app(environ, start_response:\n    pass\n",
    "clitest_missing_dependency": "import clitest_not_installed_anywhere\n",
    "clitest_bad_name_import": "from json import no_such_name\n",
    "clitest_raises": 'raise RuntimeError("no database configured")\n',
    # A module whose name starts with that of the missing one it imports.
    "clitest_helpers_web": "import clitest_helpers\n",
}


@pytest.fixture(scope="module")
def app_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding the ``clitest_*`` modules; commands run from it."""
    directory = tmp_path_factory.mktemp("cli")
    for name, source in _MODULES.items():
        (directory / f"{name}.py").write_text(source.lstrip("\n"))
    return directory


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    """The single ``tapster: error:`` line of a failed command (exit 1)."""
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("tapster: error: ")
    return lines[0]


def served(process: TapsterProcess, target: str = "/") -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of ``GET target`` from the first TCP listener."""
    return split_response(http_request(process.listening_address(), target))


# -- version and help -------------------------------------------------------------------


def test_version():
    result = run_tapster(["--version"])
    assert result.returncode == 0
    assert result.stdout == f"tapster {__version__}\nPython {platform.python_version()}\n"


def test_version_through_python_m():
    result = subprocess.run(
        [sys.executable, "-m", "tapster", "--version"],
        capture_output=True,
        text=True,
        timeout=15,
        check=False,
        env=child_environment(),
    )
    assert result.returncode == 0
    assert result.stdout.startswith(f"tapster {__version__}\n")


def test_no_command_prints_help_and_fails():
    result = run_tapster([])
    assert result.returncode == 2
    assert "Usage: tapster" in result.stderr
    assert "serve" in result.stderr


def test_serve_help_lists_every_setting_with_its_default():
    result = run_tapster(["serve", "--help"])
    assert result.returncode == 0
    text = " ".join(result.stdout.split())  # undo argparse's line wrapping
    assert "MODULE:APP" in text
    for field in dataclasses.fields(Settings):
        flag = field.metadata.get("flag") or "--" + field.name.replace("_", "-")
        assert f" {flag} " in text, flag
        default = field.default if field.default is not dataclasses.MISSING else None
        if default not in (None, [], "") and default is not False:  # a switch has none
            assert f"(default: {default})" in text, flag
    assert "(default: 2048)" in text  # --backlog, spelled out once as a sanity check
    assert "{debug,info,warning,error,critical}" in text


# -- MODULE:APP that does not name an application ---------------------------------------


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("clitest_nowhere:app", "cannot import 'clitest_nowhere': no module named "
                                "'clitest_nowhere'"),
        ("clitest_nowhere.sub:app", "cannot import 'clitest_nowhere.sub': no module named "
                                    "'clitest_nowhere'"),
        ("clitest_app:nope", "module 'clitest_app' has no attribute 'nope'"),
        ("clitest_app:NUMBER", "clitest_app:NUMBER is not callable (it is a int)"),
        ("clitest_noapp", "module 'clitest_noapp' has no 'app' or 'application'"),
        ("clitest_missing_dependency:app", "error importing 'clitest_missing_dependency': "
                                           "No module named 'clitest_not_installed_anywhere'"),
        ("clitest_helpers_web:app", "error importing 'clitest_helpers_web': "
                                    "No module named 'clitest_helpers'"),
        ("clitest_bad_name_import:app", "error importing 'clitest_bad_name_import': "
                                        "ImportError: cannot import name 'no_such_name'"),
        ("clitest_syntax:app", "error importing 'clitest_syntax': SyntaxError: "),
        ("clitest_raises:app", "error importing 'clitest_raises': RuntimeError: "
                               "no database configured"),
        ("clitest_app:failing_factory()", "calling clitest_app:failing_factory() failed: "
                                          "RuntimeError: no configuration found"),
        ("clitest_app:create_app(", "cannot parse 'create_app(' as a name or a call"),
        ("clitest_app:create_app(NUMBER)", "the arguments of 'create_app(NUMBER)' must be "
                                           "literals"),
        ("clitest_app:app.attr", "'app.attr' must be a name or a call"),
        ("not-a-module:app", "'not-a-module:app' is not MODULE:APP"),
        (":app", "':app' is not MODULE:APP"),
    ],
)
def test_bad_app_is_one_line_and_exit_1(app_dir, target, message):
    line = one_error_line(run_tapster(["serve", target, "--port", "0"], cwd=app_dir))
    assert message in line


def test_syntax_error_names_the_file_and_line(app_dir):
    line = one_error_line(run_tapster(["serve", "clitest_syntax:app", "--port", "0"], cwd=app_dir))
    assert "clitest_syntax.py, line 1" in line


# -- where to listen: failures ------------------------------------------------------------


def test_address_in_use_is_one_line_and_exit_1(app_dir):
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = run_tapster(["serve", "clitest_app:app", "--bind", f"127.0.0.1:{port}"],
                             cwd=app_dir)
    line = one_error_line(result)
    assert line == f"tapster: error: cannot bind 127.0.0.1:{port}: address already in use"


def test_port_in_use_through_host_and_port(app_dir):
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = run_tapster(["serve", "clitest_app:app", "--port", str(port)], cwd=app_dir)
    assert "address already in use" in one_error_line(result)


@pytest.mark.parametrize(
    ("bind", "message"),
    [
        ("::1:8000", "write an IPv6 address in brackets"),
        ("[::1", "unclosed or empty [IPv6] address"),
        ("localhost:http", "port 'http' is not a number"),
        ("localhost:70000", "out of range"),
        ("unix:", "unix: needs a path"),
        ("fd://x", "fd:// needs a file descriptor number"),
        ("no-such-host.invalid:0", "unknown host 'no-such-host.invalid'"),
    ],
)
def test_bad_bind_is_one_line_and_exit_1(app_dir, bind, message):
    line = one_error_line(run_tapster(["serve", "clitest_app:app", "--bind", bind], cwd=app_dir))
    assert message in line


def test_a_bad_second_bind_leaves_no_unix_socket_behind(app_dir, tmp_path):
    path = tmp_path / "first.sock"
    result = run_tapster(
        ["serve", "clitest_app:app", "--bind", f"unix:{path}", "--bind", "fd://99"], cwd=app_dir
    )
    assert "cannot use fd://99: not an open socket" in one_error_line(result)
    assert not path.exists()


# -- flags: argparse's errors (exit 2), the settings' own (exit 1) ----------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--no-such-flag"], "unrecognized arguments: --no-such-flag"),
        (["--port", "http"], "argument --port: invalid int value: 'http'"),
        (["--threads", "1.5"], "argument --threads: invalid int value: '1.5'"),
        (["--keep-alive", "soon"], "argument --keep-alive: invalid float value: 'soon'"),
        (["--log-level", "loud"], "argument --log-level: invalid choice: 'loud'"),
        (["--unix-socket-mode", "999"], "argument --unix-socket-mode: invalid octal value: '999'"),
        (["--bind"], "argument -b/--bind: expected one argument"),
    ],
)
def test_invalid_flags_are_argparse_errors(app_dir, args, message):
    result = run_tapster(["serve", "clitest_app:app", *args], cwd=app_dir)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    # argparse: the usage, then one error line (unknown flags are the main parser's).
    usage, error = result.stderr.split("\n", 1)
    assert usage.startswith("usage: tapster")
    assert re.fullmatch(rf"(\s.*\n)*tapster( serve)?: error: {re.escape(message)}.*\n", error)


def test_missing_app_is_an_argparse_error():
    result = run_tapster(["serve"])
    assert result.returncode == 2
    assert "the following arguments are required: MODULE:APP" in result.stderr


def test_unknown_command_is_a_usage_error():
    result = run_tapster(["serv", "x:app"])
    assert result.returncode == 2
    assert "No such command 'serv'" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--threads", "0"], "threads must be a positive whole number, not 0"),
        (["--port", "70000"], "port must be 0-65535, not 70000"),
        (["--keep-alive", "-1"], "keepalive_timeout must be a number of seconds > 0, not -1.0"),
        (["--root-path", "app/"], "root_path must start with / and not end with one: 'app/'"),
        (["--workers", "0"], "workers must be a positive whole number, not 0"),
        (["--timeout", "-1"], "timeout must be a number of seconds >= 0, not -1.0"),
        (["--max-requests", "-5"], "max_requests must be a whole number >= 0, not -5"),
    ],
)
def test_invalid_setting_values_are_one_line_and_exit_1(app_dir, args, message):
    line = one_error_line(run_tapster(["serve", "clitest_app:app", *args], cwd=app_dir))
    assert line == f"tapster: error: {message}"


# -- serving ------------------------------------------------------------------------------


def test_port_0_banner_shows_the_real_port(app_dir):
    with TapsterProcess(["serve", "clitest_app:app", "--port", "0"], cwd=app_dir) as process:
        [url] = process.listening_urls()
        match = re.fullmatch(r"http://127\.0\.0\.1:(\d+)", url)
        assert match and int(match.group(1)) > 0
        status, _, body = served(process, "/x")
        assert status == 200
        assert json.loads(body) == {"SCRIPT_NAME": "", "PATH_INFO": "/x"}


def test_module_without_app_name_uses_app_or_application(app_dir):
    with TapsterProcess(["serve", "clitest_application", "--port", "0"], cwd=app_dir) as process:
        assert served(process)[2] == b"application"


def test_python_m_tapster_serves(app_dir):
    command = [sys.executable, "-m", "tapster", "serve", "clitest_app:create_app()",
               "--port", "0"]
    with TapsterProcess([], command=command, cwd=app_dir) as process:
        assert served(process)[2] == b"default"


def test_two_binds_ipv4_and_unix_both_answer(app_dir, tmp_path):
    path = str(tmp_path / "app.sock")
    args = ["serve", "clitest_app:app", "--bind", "127.0.0.1:0", "--bind", f"unix:{path}"]
    with TapsterProcess(args, cwd=app_dir) as process:
        tcp_url, unix_url = process.listening_urls(2)
        assert tcp_url.startswith("http://127.0.0.1:")
        assert unix_url == f"unix:{path}"
        status, _, body = served(process, "/over-tcp")
        assert (status, json.loads(body)["PATH_INFO"]) == (200, "/over-tcp")
        status, _, body = split_response(http_request(path, "/over-unix"))
        assert (status, json.loads(body)["PATH_INFO"]) == (200, "/over-unix")
    assert not Path(path).exists()  # removed at shutdown


def test_unix_socket_mode_flag(app_dir, tmp_path):
    path = tmp_path / "app.sock"
    args = ["serve", "clitest_app:app", "--bind", f"unix:{path}", "--unix-socket-mode", "640"]
    with TapsterProcess(args, cwd=app_dir) as process:
        process.listening_urls()
        assert path.stat().st_mode & 0o777 == 0o640


@pytest.mark.parametrize(
    ("target", "body"),
    [
        ("clitest_app:create_app()", b"default"),
        ('clitest_app:create_app("x")', b"x"),
        ("clitest_app:create_app(name='kw')", b"kw"),
    ],
)
def test_factory(app_dir, target, body):
    with TapsterProcess(["serve", target, "--port", "0"], cwd=app_dir) as process:
        assert served(process)[2] == body


def test_ipv6_host_and_port_0(app_dir):
    from tests.net.test_listeners import has_ipv6_loopback

    if not has_ipv6_loopback():
        pytest.skip("no IPv6 loopback here")
    args = ["serve", "clitest_app:app", "--host", "::1", "--port", "0"]
    with TapsterProcess(args, cwd=app_dir) as process:
        [url] = process.listening_urls()
        assert re.fullmatch(r"http://\[::1\]:\d+", url)
        assert process.listening_address()[0] == "::1"
        assert served(process)[0] == 200


def test_access_log_to_stdout_in_gunicorn_format(app_dir):
    args = ["serve", "clitest_app:app", "--port", "0", "--access-log", "-"]
    with TapsterProcess(args, cwd=app_dir) as process:
        answer = http_request(
            process.listening_address(),
            "/page?q=1",
            headers=[("User-Agent", "cli-test/1.0"), ("Referer", "http://example.test/")],
        )
        status, _, body = split_response(answer)
        assert status == 200
        match = process.wait_for_line(r"GET /page", stream="stdout")
        line = match.string
    assert re.fullmatch(
        r'127\.0\.0\.1 - - \[\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}\] '
        r'"GET /page\?q=1 HTTP/1\.1" 200 ' + str(len(body)) +
        r' "http://example\.test/" "cli-test/1\.0"',
        line,
    ), line
    assert not any("GET /page" in line for line in process.lines("stderr"))


def test_access_log_is_off_by_default(app_dir):
    with TapsterProcess(["serve", "clitest_app:app", "--port", "0"], cwd=app_dir) as process:
        assert served(process)[0] == 200
    assert process.lines("stdout") == []


def test_server_header_default_and_empty(app_dir):
    with TapsterProcess(["serve", "clitest_app:app", "--port", "0"], cwd=app_dir) as process:
        assert served(process)[1]["server"] == "tapster"
    args = ["serve", "clitest_app:app", "--port", "0", "--server-header", ""]
    with TapsterProcess(args, cwd=app_dir) as process:
        status, headers, _ = served(process)
        assert status == 200
        assert "server" not in headers


def test_root_path_gives_script_name(app_dir):
    args = ["serve", "clitest_app:app", "--port", "0", "--root-path", "/app"]
    with TapsterProcess(args, cwd=app_dir) as process:
        assert json.loads(served(process, "/app/items/1")[2]) == {
            "SCRIPT_NAME": "/app",
            "PATH_INFO": "/items/1",
        }
        assert json.loads(served(process, "/app")[2]) == {"SCRIPT_NAME": "/app", "PATH_INFO": ""}


def test_serves_an_app_from_the_repository():
    # Run from the repository root: ``tests.apps`` is found through the cwd.
    with TapsterProcess(["serve", "tests.apps:hello", "--port", "0"], cwd=REPO_ROOT) as process:
        assert served(process)[2] == b"Hello, World!"


# -- signals ------------------------------------------------------------------------------


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_signal_without_traffic_exits_0_quickly(app_dir, signum):
    with TapsterProcess(["serve", "clitest_app:app", "--port", "0"], cwd=app_dir) as process:
        process.listening_urls()
        started = time.monotonic()
        process.send_signal(signum)
        assert process.wait(10) == 0
        assert time.monotonic() - started < 1.5
        text = process.text()
        assert f"{signal.Signals(signum).name} received: finishing in-flight requests" in text
        assert process.lines()[-1].endswith("Shutdown complete")
        assert "Traceback" not in text


def test_idle_keep_alive_connections_are_closed_on_shutdown(app_dir):
    args = ["serve", "clitest_app:app", "--port", "0", "--keep-alive", "60"]
    with TapsterProcess(args, cwd=app_dir) as process:
        clients = [socket.create_connection(process.listening_address(), timeout=5)
                   for _ in range(3)]
        try:
            for client in clients:
                client.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                assert client.recv(65536).startswith(b"HTTP/1.1 200 OK\r\n")
            started = time.monotonic()
            process.send_signal(signal.SIGTERM)
            for client in clients:
                assert client.recv(1) == b""  # EOF, not a wait for the keep-alive time-out
            assert process.wait(10) == 0
            assert time.monotonic() - started < 1.5
        finally:
            for client in clients:
                client.close()
        assert "Shutdown complete" in process.text()


def test_sigterm_lets_an_in_flight_request_finish(app_dir):
    with TapsterProcess(["serve", "clitest_app:app", "--port", "0"], cwd=app_dir) as process:
        address = process.listening_address()
        answers: list[bytes] = []
        request = threading.Thread(target=lambda: answers.append(http_request(address, "/sleep?1")))
        request.start()
        try:
            process.wait_for_line("app: sleeping 1.0")
            process.send_signal(signal.SIGTERM)
            assert process.wait(10) == 0
        finally:
            request.join(10)
        status, _, body = split_response(answers[0])
        assert status == 200
        assert json.loads(body)["PATH_INFO"] == "/sleep"
        assert process.lines()[-1].endswith("Shutdown complete")


def test_second_sigint_during_a_long_request_exits_at_once(app_dir):
    with TapsterProcess(["serve", "clitest_app:app", "--port", "0"], cwd=app_dir) as process:
        address = process.listening_address()
        clients = []
        try:
            for _ in range(4):  # four threads stuck in the application
                client = socket.create_connection(address, timeout=10)
                clients.append(client)
                client.sendall(b"GET /sleep?60 HTTP/1.1\r\nHost: x\r\n\r\n")
            deadline = time.monotonic() + 10
            while process.text().count("app: sleeping") < 4:
                assert time.monotonic() < deadline, process.text()
                time.sleep(0.02)
            process.send_signal(signal.SIGINT)
            process.wait_for_line("SIGINT received: finishing in-flight requests")
            time.sleep(0.3)
            assert process.process.poll() is None  # the first one waits for the requests
            started = time.monotonic()
            process.send_signal(signal.SIGINT)
            process.wait(10)
            assert time.monotonic() - started < 2.5
            assert "SIGINT received again: stopping now" in process.text()
            assert process.lines()[-1].endswith("Shutdown complete")
            for client in clients:  # closed without an answer
                try:
                    assert client.recv(65536) == b""
                except ConnectionResetError:
                    pass
        finally:
            for client in clients:
                client.close()
