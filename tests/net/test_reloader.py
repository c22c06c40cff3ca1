"""The reloader's parts that need no server: the restart command line, the server
process's reports, the loop with a stand-in for the server process.

The reloader with real servers is in tests/integration/test_reload.py.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
import types
from pathlib import Path

import pytest

from tapster.net import reloader as reloader_module
from tapster.net.binds import Bind
from tapster.net.listeners import Listener
from tapster.net.reloader import Reloader, ServerProcess, restart_command


def test_a_script_restarts_as_a_script(monkeypatch, tmp_path):
    script = tmp_path / "app.py"
    script.write_text("")
    monkeypatch.setattr(sys, "argv", [str(script), "--port", "0"])
    monkeypatch.setitem(sys.modules, "__main__", types.ModuleType("__main__"))
    assert restart_command()[-3:] == [str(script), "--port", "0"]
    assert restart_command()[0] == sys.executable


def test_a_module_run_with_dash_m_restarts_with_dash_m(monkeypatch):
    main = types.ModuleType("__main__")
    main.__spec__ = types.SimpleNamespace(name="tapster.__main__")  # type: ignore[assignment]
    monkeypatch.setitem(sys.modules, "__main__", main)
    monkeypatch.setattr(sys, "argv", ["/somewhere/tapster/__main__.py", "run", "--debug"])
    assert restart_command()[-4:] == ["-m", "tapster", "run", "--debug"]
    main.__spec__ = types.SimpleNamespace(name="project.serve")  # type: ignore[assignment]
    assert restart_command()[-4:] == ["-m", "project.serve", "run", "--debug"]


def test_a_program_given_with_dash_c_cannot_restart(monkeypatch):
    monkeypatch.setitem(sys.modules, "__main__", types.ModuleType("__main__"))
    monkeypatch.setattr(sys, "argv", ["-c"])
    with pytest.raises(RuntimeError, match="not started from a script or with -m"):
        restart_command()


def test_the_server_reports_project_modules_not_installed_ones(tmp_path, monkeypatch):
    module = types.ModuleType("project_module_for_the_test")
    module.__file__ = str(tmp_path / "project_module_for_the_test.py")
    monkeypatch.setitem(sys.modules, module.__name__, module)
    files = reloader_module._module_files(reloader_module.installed_code_paths())
    assert module.__file__ in files
    assert os.__file__ not in files
    assert reloader_module.__file__ in files or reloader_module.__file__.startswith(
        reloader_module.installed_code_paths())


class FakeServer:
    """Stands in for ``ServerProcess``: records starts and stops; exits when told."""

    started: list[FakeServer] = []

    def __init__(self, command, listeners) -> None:
        self.pid = 1000 + len(self.started)
        self.exit_status: int | None = None
        self.stopped = False
        self.reports = [] if self.started else ["/elsewhere/reported.py"]
        self.process = types.SimpleNamespace(returncode=None)
        self.started.append(self)

    def poll(self):
        self.process.returncode = self.exit_status
        return self.exit_status

    def reported_files(self):
        reports, self.reports = self.reports, []
        return reports

    def stop(self, grace):
        self.stopped = True
        return self.exit_status or 0


@pytest.fixture
def listener():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    yield Listener(sock, Bind("127.0.0.1:0", host="127.0.0.1", port=0), "127.0.0.1",
                   sock.getsockname()[1])
    sock.close()


def wait_for(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_the_loop_restarts_on_changes_and_after_an_exit_waits_for_one(tmp_path, listener):
    FakeServer.started = []
    (tmp_path / "app.py").write_text("v = 1\n")
    reloader = Reloader([listener], command=["python", "app.py"], root=str(tmp_path),
                        force_polling=True, make_server=FakeServer)
    reloader.watcher.interval = 0.05  # type: ignore[attr-defined]
    thread = threading.Thread(target=reloader.run)
    thread.start()
    try:
        wait_for(lambda: len(FakeServer.started) == 1)
        wait_for(lambda: "/elsewhere/reported.py" in reloader.watch.files)
        (tmp_path / "app.py").write_text("v = 22\n")
        wait_for(lambda: len(FakeServer.started) == 2)
        assert FakeServer.started[0].stopped
        FakeServer.started[1].exit_status = 1  # a syntax error, say
        wait_for(lambda: reloader.server is None)
        time.sleep(0.3)
        assert len(FakeServer.started) == 2  # no restart until a change
        (tmp_path / "app.py").write_text("v = 333\n")
        wait_for(lambda: len(FakeServer.started) == 3)
    finally:
        reloader.stopping.set()
        thread.join(10)
    assert not thread.is_alive()
    assert FakeServer.started[2].stopped
    assert listener.sock.fileno() == -1  # the reloader closed its sockets


def test_a_server_process_gets_the_sockets_and_reports(tmp_path, listener):
    script = tmp_path / "child.py"
    script.write_text(
        "import os, socket, sys\n"
        "fds = os.environ['TAPSTER_RELOADER_FDS'].split(',')\n"
        "sock = socket.socket(fileno=int(fds[0]))\n"
        "print(os.environ['TAPSTER_RELOADER_CHILD'], sock.getsockname()[1], flush=True)\n"
        "os.write(int(os.environ['TAPSTER_RELOADER_REPORT']), b'/a/b.py\\n/c/d')\n"
        "os.write(int(os.environ['TAPSTER_RELOADER_REPORT']), b'.py\\n')\n"
    )
    out = tmp_path / "out.txt"
    with out.open("w") as stdout:
        old_stdout = os.dup(1)
        os.dup2(stdout.fileno(), 1)
        try:
            server = ServerProcess([sys.executable, str(script)], [listener])
        finally:
            os.dup2(old_stdout, 1)
            os.close(old_stdout)
    try:
        wait_for(lambda: server.poll() is not None)
        assert server.poll() == 0
        assert server.reported_files() == ["/a/b.py", "/c/d.py"]
        assert server.reported_files() == []
    finally:
        server.stop(1)
    assert out.read_text().split() == ["1", str(listener.port)]


def test_served_by_the_reloader_means_inherited_sockets(monkeypatch, listener):
    fd = os.dup(listener.sock.fileno())
    monkeypatch.setenv("TAPSTER_RELOADER_CHILD", "1")
    monkeypatch.setenv("TAPSTER_RELOADER_FDS", str(fd))
    monkeypatch.setenv("TAPSTER_RELOADER_REPORT", "-1")
    monkeypatch.setattr(reloader_module, "_report_modules", lambda fd, pid: None)
    assert reloader_module.is_server_process()
    [inherited] = reloader_module.enter_server_process(backlog=16)
    try:
        assert inherited.port == listener.port
        assert not reloader_module.is_server_process()  # not passed on to its children
        assert "TAPSTER_RELOADER_FDS" not in os.environ
    finally:
        inherited.sock.close()


def test_paths_of_changes_are_shown_relative(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shown = reloader_module._describe_changes(
        {str(tmp_path / "a.py"), "/elsewhere/b.py", str(tmp_path / "c.py"), str(Path("d.py"))})
    assert shown.startswith("/elsewhere/b.py, a.py, c.py")
    assert shown.endswith(" and 1 more")
