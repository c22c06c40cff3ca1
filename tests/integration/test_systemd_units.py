"""docs/deployment.md's systemd units, as written: systemd's own check, then the service run.

There is no systemd to run them here, so the test does what the units tell
systemd to do: it opens the socket ``tapster.socket`` describes (in
``tmp_path``, with its mode), starts ``ExecStart`` as socket activation starts
it, reloads with ``ExecReload`` and stops with ``KillSignal``, within
``TimeoutStopSec``.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import socket
import stat
import subprocess
import time

import pytest

from tests.net.test_systemd import activated
from tests.processes import REPO_ROOT, TAPSTER, http_request, split_response

PAGE = REPO_ROOT / "docs" / "deployment.md"
#: Where the page installs tapster; the test runs the environment's own.
PAGE_TAPSTER = "/srv/myapp/.venv/bin/tapster"
#: What the master gives a stopping worker beyond --graceful-timeout
#: (tapster.net.workers._KILL_MARGIN) before SIGKILL.
KILL_MARGIN = 2.0

APP = '''
VERSION = b"{version}"


def create_app():
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [VERSION]

    return app
'''


def unit_files() -> dict[str, str]:
    """The page's unit files by name (``tapster.socket``, ``tapster.service``)."""
    text = PAGE.read_text()
    found = re.findall(r"^`/etc/systemd/system/([\w.@-]+)`:\n\n```ini\n(.*?)^```", text,
                       re.M | re.S)
    return dict(found)


def settings(unit: str) -> dict[str, str]:
    """A unit's ``Key=value`` lines (continued lines joined; the last of a repeated key)."""
    values = {}
    for line in unit.replace("\\\n", " ").splitlines():
        line = line.strip()
        if line and not line.startswith(("#", ";", "[")):
            key, _, value = line.partition("=")
            values[key] = value
    return values


def test_the_page_has_both_units():
    assert set(unit_files()) == {"tapster.socket", "tapster.service"}


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
def test_systemd_finds_nothing_wrong_with_the_units(tmp_path):
    for name, text in unit_files().items():
        (tmp_path / name).write_text(text.replace(PAGE_TAPSTER, TAPSTER))
    check = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", "tapster.socket", "tapster.service"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False,
    )
    # Only what it says of these two: on a machine booted with systemd it may
    # also speak of the system's own units.
    complaints = [line for line in (check.stdout + check.stderr).splitlines()
                  if "tapster" in line]
    assert complaints == []


def test_the_service_runs_reloads_and_stops_as_its_unit_says(tmp_path):
    units = unit_files()
    socket_unit, service = settings(units["tapster.socket"]), settings(units["tapster.service"])
    argv = shlex.split(service["ExecStart"])
    assert argv[0] == PAGE_TAPSTER
    assert not {"--bind", "--host", "--port"} & set(argv), "the socket comes from systemd"
    graceful = float(argv[argv.index("--graceful-timeout") + 1])
    stop_timeout = float(service["TimeoutStopSec"])
    assert stop_timeout > graceful + KILL_MARGIN
    assert (service["KillSignal"], service["KillMode"]) == ("SIGTERM", "mixed")
    workers = int(argv[argv.index("--workers") + 1])
    assert workers > 1, "ExecReload's SIGHUP needs a master"

    (tmp_path / "myapp.py").write_text(APP.format(version="one"))
    path = tmp_path / os.path.basename(socket_unit["ListenStream"])
    listening = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listening.bind(str(path))
    os.chmod(path, int(socket_unit["SocketMode"], 8))
    listening.listen(64)
    with listening, activated(listening, *argv[1:], cwd=tmp_path) as server:
        listening.close()  # like systemd, which keeps its own copy: the child has one
        server.wait_for_line(r"Listening at: unix:", timeout=15)
        deadline = time.monotonic() + 20
        while len(re.findall(r"Worker \d+ ready", server.text())) < workers:
            assert time.monotonic() < deadline and server.process.poll() is None, server.text()
            time.sleep(0.05)
        assert split_response(http_request(str(path)))[::2] == (200, b"one")

        (tmp_path / "myapp.py").write_text(APP.format(version="two"))
        reload = shlex.split(service["ExecReload"].replace("$MAINPID", str(server.pid)))
        subprocess.run(reload, check=True, timeout=10)
        server.wait_for_line("SIGHUP received", timeout=5)
        deadline = time.monotonic() + 30
        while server.text().count("stopped (exited with code 0)") < workers:
            assert time.monotonic() < deadline, server.text()
            time.sleep(0.05)
        assert split_response(http_request(str(path)))[::2] == (200, b"two")

        stopped = time.monotonic()
        server.send_signal(signal.Signals[service["KillSignal"]])
        assert server.wait(stop_timeout) == 0, server.text()
        assert time.monotonic() - stopped < graceful
    assert stat.S_ISSOCK(os.stat(path).st_mode), "the socket file is systemd's, not tapster's"
