"""Configuration and logging of real ``tapster serve`` processes.

--check-config, the banner, the access log's escaping, JSON lines and
colours (on a pseudo-terminal, and not through a pipe), the error log and
--log-config, and SIGHUP reading a changed config file.
"""

from __future__ import annotations

import json
import os
import pty
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.integration.test_workers import Load, Prefork, alive, wait_until
from tests.processes import TAPSTER, TapsterProcess, child_environment, http_request

APP = '''
def app(environ, start_response):
    """Says whether it runs multithreaded; /user sets a hostile REMOTE_USER, /500 fails."""
    if environ["PATH_INFO"] == "/user":
        environ["REMOTE_USER"] = "mallory\\r\\n127.0.0.1 - - [forged] \\x1b[2J\\u2028"
    status = "500 Internal Server Error" if environ["PATH_INFO"] == "/500" else "200 OK"
    start_response(status, [("Content-Type", "text/plain")])
    return [str(environ["wsgi.multithread"]).encode()]
'''


@pytest.fixture(scope="module")
def app_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("logging")
    (directory / "logapp.py").write_text(APP)
    return directory


def raw_request(address: tuple[str, int], data: bytes) -> bytes:
    with socket.create_connection(address, timeout=5) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([TAPSTER, *args], cwd=cwd, env=child_environment(**env),
                          capture_output=True, text=True, timeout=15, check=False)


# -- --check-config ------------------------------------------------------------------------


def test_check_config_prints_each_setting_and_its_source(app_dir, tmp_path):
    config = tmp_path / "tapster.toml"
    config.write_text('bind = ["127.0.0.1:9001"]\nthreads = 8\nworkers = 3\n')
    result = run(["serve", "--check-config", "--config", str(config), "--threads", "2"],
                 app_dir, TAPSTER_SERVE_WORKERS="2", TAPSTER_DEBUG="1")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    lines = {line.split(" = ")[0]: line for line in result.stdout.splitlines()}
    assert re.fullmatch(r"threads = 2 +# the command line", lines["threads"])
    assert re.fullmatch(r"workers = 2 +# environment TAPSTER_SERVE_WORKERS", lines["workers"])
    assert re.fullmatch(rf'bind = \["127\.0\.0\.1:9001"\] +# config file {config}',
                        lines["bind"])
    assert re.fullmatch(r"backlog = 2048 +# default", lines["backlog"])


def test_check_config_with_the_app_checks_that_it_loads(app_dir):
    result = run(["serve", "logapp:app", "--check-config"], app_dir)
    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith("# logapp:app loads\n")
    result = run(["serve", "logapp:nope", "--check-config"], app_dir)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == "tapster: error: module 'logapp' has no attribute 'nope'\n"


@pytest.mark.parametrize(
    ("file", "env", "message"),
    [
        ("threads = 0\n", {}, "threads must be a positive whole number, not 0 (from config "
                              "file CONFIG)"),
        ("treads = 1\n", {}, "CONFIG: unknown setting 'treads' (did you mean 'threads'?)"),
        ("", {"TAPSTER_SERVE_PRELOAD": "perhaps"}, "TAPSTER_SERVE_PRELOAD: preload must be 1, "
                                                   "true, yes, on or 0, false, no, off, not "
                                                   "'perhaps'"),
        ('bind = "localhost:http"\n', {}, "bind 'localhost:http': port 'http' is not a number"),
    ],
)
def test_check_config_errors_are_one_line_and_exit_1(app_dir, tmp_path, file, env, message):
    config = tmp_path / "tapster.toml"
    config.write_text(file)
    result = run(["serve", "--check-config", "-c", str(config)], app_dir, **env)
    assert (result.returncode, result.stdout) == (1, ""), result.stderr
    assert result.stderr == f"tapster: error: {message.replace('CONFIG', str(config))}\n"


def test_serving_reads_the_config_file_and_environment(app_dir, tmp_path):
    config = tmp_path / "tapster.py"
    config.write_text('bind = "127.0.0.1:0"\nthreads = 1\n')
    env = child_environment(TAPSTER_SERVE_SERVER_HEADER="configured")
    with TapsterProcess(["serve", "logapp:app", "--config", str(config)], cwd=app_dir,
                        env=env) as process:
        answer = http_request(process.listening_address())
    assert b"\r\nServer: configured\r\n" in answer
    assert answer.endswith(b"False")  # threads = 1: wsgi.multithread is false


# -- the banner ------------------------------------------------------------------------------


def test_banner_lists_every_address_processes_threads_and_how_to_stop(app_dir, tmp_path):
    sock = tmp_path / "app.sock"
    args = ["serve", "logapp:app", "-b", "127.0.0.1:0", "-b", f"unix:{sock}", "--threads", "7"]
    with TapsterProcess(args, cwd=app_dir) as process:
        urls = process.listening_urls(2)
        line = process.wait_for_line(r"tapster \S+: ").string
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", urls[0]) and urls[1] == f"unix:{sock}"
    assert re.search(rf"1 process \(pid {process.pid}\), up to 7 threads\. Stop with SIGTERM "
                     rf"\(kill {process.pid}\)\.$", line), line


def test_banner_of_a_master(app_dir):
    with TapsterProcess(["serve", "logapp:app", "-b", "0.0.0.0:0", "-w", "2"],
                        cwd=app_dir) as process:
        listening = process.wait_for_line(r"Listening at: ").string
        line = process.wait_for_line(r"tapster \S+: ").string
    assert re.search(r"Listening at: http://127\.0\.0\.1:\d+ \(every IPv4 address\)$", listening)
    assert f"master pid {process.pid}, 2 workers x up to 64 threads" in line


# -- the access log ----------------------------------------------------------------------------


def test_access_log_escapes_what_clients_and_apps_send(app_dir):
    args = ["serve", "logapp:app", "--port", "0", "--access-logfile", "-",
            "--access-logformat", '%(h)s %(u)s "%(r)s" %(s)s "%(a)s"']
    with TapsterProcess(args, cwd=app_dir) as process:
        address = process.listening_address()
        # obs-text and DEL as far as the parser lets them through (a field value may
        # carry obs-text); a quote that would end the field.
        answer = raw_request(address, b'GET /ua HTTP/1.1\r\nHost: x\r\nConnection: close\r\n'
                                      b'User-Agent: bot\x80\xff "quoted"\tend\r\n\r\n')
        assert answer.startswith(b"HTTP/1.1 200")
        # The application's own REMOTE_USER with CR LF, an escape sequence, U+2028.
        assert http_request(address, "/user").startswith(b"HTTP/1.1 200")
        process.wait_for_line("/user", stream="stdout")
        lines = process.lines("stdout")
    assert len(lines) == 2, lines
    assert lines[0].endswith('- "GET /ua HTTP/1.1" 200 "bot\\x80\\xff \\x22quoted\\x22\\x09end"')
    assert lines[1] == ('127.0.0.1 mallory\\x0d\\x0a127.0.0.1 - - [forged] \\x1b[2J\\u2028 '
                        '"GET /user HTTP/1.1" 200 "-"')


def test_access_log_as_json_lines(app_dir):
    args = ["serve", "logapp:app", "--port", "0", "--access-log", "-",
            "--access-log-format", "json"]
    with TapsterProcess(args, cwd=app_dir) as process:
        address = process.listening_address()
        http_request(address, "/user")
        http_request(address, "/500", headers=[("User-Agent", "a\x80b")])
        process.wait_for_line("/500", stream="stdout")
        records = [json.loads(line) for line in process.lines("stdout")]
    assert [(r["path"], r["status"]) for r in records] == [("/user", 200), ("/500", 500)]
    assert records[0]["user"].startswith("mallory\\x0d\\x0a")
    assert records[1]["user_agent"] == "a\\x80b"


def _serve_on_a_terminal(app_dir: Path, **env: str) -> tuple[str, str]:
    """Serve with stdin and stdout a pseudo-terminal: (what stdout showed, stderr)."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [TAPSTER, "serve", "logapp:app", "--port", "0", "--access-log", "-"],
        cwd=app_dir, env=child_environment(**env), stdin=terminal, stdout=terminal,
        stderr=subprocess.PIPE, text=True,
    )
    os.close(terminal)
    shown: list[bytes] = []

    def read() -> None:
        while True:
            try:
                data = os.read(controller, 4096)
            except OSError:  # EIO: the terminal's other side closed
                return
            if not data:
                return
            shown.append(data)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    stderr: list[str] = []
    try:
        assert process.stderr is not None
        for line in process.stderr:
            stderr.append(line)
            match = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", line)
            if match:
                port = int(match.group(1))
            if "tapster " in line and "stop" in line:
                break
        for target in ("/", "/missing", "/500"):
            http_request(("127.0.0.1", port), target)
        wait_until(lambda: b"/500" in b"".join(shown), 5, "the access log line")
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(10)
        reader.join(5)
        os.close(controller)
    return b"".join(shown).decode("latin-1"), "".join(stderr)


def test_access_log_is_coloured_on_a_terminal(app_dir):
    shown, stderr = _serve_on_a_terminal(app_dir)
    assert '"GET / HTTP/1.1" \x1b[32m200\x1b[0m' in shown
    assert '"GET /500 HTTP/1.1" \x1b[31m500\x1b[0m' in shown
    assert "Press Ctrl-C to stop." in stderr


def test_no_colour_with_no_color_set(app_dir):
    shown, _ = _serve_on_a_terminal(app_dir, NO_COLOR="1")
    assert '"GET /500 HTTP/1.1" 500' in shown and "\x1b[" not in shown


def test_no_colour_through_a_pipe(app_dir):
    args = ["serve", "logapp:app", "--port", "0", "--access-log", "-"]
    with TapsterProcess(args, cwd=app_dir) as process:
        http_request(process.listening_address())
        line = process.wait_for_line("GET /", stream="stdout").string
    assert line.endswith('"GET / HTTP/1.1" 200 4 "-" "-"')  # b"True": 4 bytes


# -- the error log, --log-config ----------------------------------------------------------------


def test_error_log_to_a_file(app_dir, tmp_path):
    log_file = tmp_path / "error.log"
    args = ["serve", "logapp:app", "--port", "0", "--error-logfile", str(log_file)]
    with TapsterProcess(args, cwd=app_dir) as process:
        wait_until(lambda: log_file.exists() and "Listening at" in log_file.read_text(), 10,
                   "the banner in the file")
    assert process.lines("stderr") == []
    assert "Shutdown complete" in log_file.read_text()


def test_log_level_chooses_what_the_error_log_shows(app_dir, tmp_path):
    def refused_request(*options: str) -> str:
        """The error log of a server that refused one request (no Host), then stopped."""
        path = tmp_path / "app.sock"
        args = ["serve", "logapp:app", "--bind", f"unix:{path}", *options]
        with TapsterProcess(args, cwd=app_dir) as process:
            wait_until(path.exists, 10, "the unix socket")
            with socket.socket(socket.AF_UNIX) as client:
                client.settimeout(5)
                client.connect(str(path))
                client.sendall(b"GET / HTTP/1.1\r\n\r\n")
                assert client.recv(100).startswith(b"HTTP/1.1 400 ")
        return process.text()

    debug = refused_request("--log-level", "debug")
    assert "[DEBUG] refused a request: 400" in debug and "[INFO] Listening at" in debug
    default = refused_request()
    assert "[INFO] Listening at" in default and "DEBUG" not in default
    assert refused_request("--log-level", "warning") == ""


def test_log_config_routes_both_loggers(app_dir, tmp_path):
    access_file, error_file = tmp_path / "access.log", tmp_path / "error.log"
    config = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"short": {"format": "%(name)s %(message)s"}},
        "handlers": {
            "access": {"class": "logging.FileHandler", "filename": str(access_file),
                       "formatter": "short"},
            "error": {"class": "logging.FileHandler", "filename": str(error_file),
                      "formatter": "short"},
        },
        "loggers": {
            "tapster.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
            "tapster": {"handlers": ["error"], "level": "INFO"},
        },
    }
    log_config = tmp_path / "logging.json"
    log_config.write_text(json.dumps(config))
    args = ["serve", "logapp:app", "--bind", "127.0.0.1:0", "--log-config", str(log_config)]
    with TapsterProcess(args, cwd=app_dir):
        wait_until(lambda: error_file.exists() and "Listening at" in error_file.read_text(), 10,
                   "the banner")
        port = int(re.search(r"127\.0\.0\.1:(\d+)", error_file.read_text()).group(1))
        http_request(("127.0.0.1", port), "/logged")
        wait_until(lambda: "/logged" in access_file.read_text(), 5, "the access line")
    assert access_file.read_text().startswith("tapster.access 127.0.0.1 - - [")
    assert "tapster.error Listening at: http://127.0.0.1:" in error_file.read_text()


# -- SIGHUP reads the configuration again -------------------------------------------------------


def test_hup_applies_a_changed_config_file_without_failing_a_request(app_dir, tmp_path):
    config = tmp_path / "tapster.toml"
    config.write_text('threads = 4\nworkers = 2\naccess_log = "-"\n'
                      'access_log_format = "one %(U)s"\n')
    server = Prefork(["serve", "logapp:app", "--bind", "127.0.0.1:0", "--config", str(config)],
                     cwd=app_dir)
    try:
        server.port = server.listening_address(timeout=15)[1]
        old = server.wait_for_workers(2)
        assert server.get() == (200, b"True")
        load = Load(server.port, threads=3)
        try:
            load.wait_for(30)
            config.write_text('threads = 1\nworkers = 3\naccess_log = "-"\n'
                              'access_log_format = "two %(U)s"\nbacklog = 100\n')
            server.send_signal(signal.SIGHUP)
            for pid in old:
                server.wait_for_line(rf"Worker {pid} stopped \(exited with code 0\)", timeout=15)
            marker = load.count()
            load.wait_for(30)
        finally:
            load.stop()
        assert load.failures == [], load.failures[:5]
        assert set(load.bodies[marker:]) == {b"False"}  # threads = 1 in the new workers
        assert server.get() == (200, b"False")
        assert len(server.wait_for_workers(3)) == 3  # workers = 3 in the file now
        assert "SIGHUP: settings reloaded: threads=1, workers=3" in server.log
        assert "SIGHUP: backlog changed to 100, which needs a restart" in server.log
        wait_until(lambda: server.lines("stdout")[-1].startswith("two /"), 5, "new lines")
        assert server.lines("stdout")[0] == "one /"
    finally:
        server.stop()
        for pid in server.booted():
            wait_until(lambda pid=pid: not alive(pid), 5, f"worker {pid} to exit")


def test_hup_with_an_invalid_config_file_changes_nothing(app_dir, tmp_path):
    config = tmp_path / "tapster.toml"
    config.write_text("threads = 4\n")
    server = Prefork(["serve", "logapp:app", "--bind", "127.0.0.1:0", "--workers", "2",
                      "--config", str(config)], cwd=app_dir)
    try:
        server.port = server.listening_address(timeout=15)[1]
        old = server.wait_for_workers(2)
        config.write_text("threads = 0\n")
        server.send_signal(signal.SIGHUP)
        server.wait_for_line("SIGHUP: the configuration is invalid, nothing reloaded: threads "
                             "must be a positive whole number")
        time.sleep(0.5)
        assert server.workers() == old
        assert server.get() == (200, b"True")
    finally:
        server.stop()


def test_error_log_as_json_lines(app_dir):
    args = ["serve", "logapp:app", "--port", "0", "--error-log-format", "json"]
    with TapsterProcess(args, cwd=app_dir) as process:
        process.wait_for_line("Listening at")
    records = [json.loads(line) for line in process.lines("stderr")]
    assert records[0]["message"].startswith("Listening at: http://127.0.0.1:")
    assert records[0]["level"] == "info" and records[0]["logger"] == "tapster.error"
    assert records[0]["pid"] == process.pid
    assert records[-1]["message"] == "Shutdown complete"


def test_serve_from_python_takes_a_config_file(app_dir, tmp_path):
    config = tmp_path / "tapster.toml"
    config.write_text('bind = "127.0.0.1:0"\nthreads = 1\nserver_header = "from-file"\n')
    script = ("import tapster, logapp\n"
              f"tapster.serve(logapp.app, config={str(config)!r}, server_header='from-code')\n")
    with TapsterProcess([], cwd=app_dir, command=[sys.executable, "-c", script]) as process:
        answer = http_request(process.listening_address())
    assert b"\r\nServer: from-code\r\n" in answer  # the keyword wins over the file
    assert answer.endswith(b"False")  # threads = 1, from the file
