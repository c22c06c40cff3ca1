"""docs/quickstart.md runs as written: its files are saved, its shell lines run.

Conventions of the page, which this test follows:
- a ``python`` block whose first line is ``# NAME.py`` is a file to save;
- a shell line whose comment says ``until Ctrl-C`` starts a server, kept
  running (in the background) until the page is done; its ``--bind``
  address, or 127.0.0.1:8000 for ``make serve``, must then accept;
- ``make`` runs in the project itself, the rest in a fresh folder that has
  the project's ``.venv``, as a reader's clone has;
- a shell line ending in ``# prints: TEXT`` must print exactly TEXT;
- any other line must exit 0.

``make test`` is skipped: it is the command that runs this test. So is
``make serve`` when the running Python is not the project's ``.venv`` (a
worktree sharing another checkout's venv): it would reinstall that venv.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "quickstart.md"
FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.M | re.S)
SERVES = "until Ctrl-C"
PRINTS = re.compile(r"#\s*prints:\s*(.*)$")
DEADLINE = 60.0


def blocks() -> list[tuple[str, str]]:
    """The fenced blocks of the page: ``(language, text)``."""
    return FENCE.findall(PAGE.read_text())


def command_of(line: str) -> str:
    """The shell command of a line, without its trailing comment."""
    return re.sub(r"\s+#.*$", "", line).strip()


def address_of(command: str) -> tuple[str, int]:
    """Where a server command listens."""
    found = re.search(r"--bind\s+([\d.]+):(\d+)", command)
    if found:
        return found.group(1), int(found.group(2))
    return "127.0.0.1", 8000  # make serve's default


def wait_until_listening(address: tuple[str, int], process: subprocess.Popen) -> None:
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server exited with {process.returncode}")
        try:
            socket.create_connection(address, timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"nothing listens on {address} after {DEADLINE} s")


def port_is_free(address: tuple[str, int]) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(address) != 0


@pytest.mark.slow
def test_quickstart_runs_as_written(tmp_path):
    (tmp_path / ".venv").symlink_to(Path(sys.prefix))
    own_venv = Path(sys.prefix).resolve() == (ROOT / ".venv").resolve()
    environment = dict(os.environ)
    environment.pop("TAPSTER_APP", None)
    environment["TAPSTER_DEMO_DATA"] = str(tmp_path / "demo-data")  # not the reader's home
    environment["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT / "src"), environment.get("PYTHONPATH", "")]
    )
    prefix = ""
    servers: list[subprocess.Popen] = []
    ran = 0
    try:
        for language, text in blocks():
            if language == "python":
                first, _, body = text.partition("\n")
                name = first.removeprefix("#").strip()
                if name.endswith(".py"):
                    (tmp_path / name).write_text(body)
                continue
            if language != "sh":
                continue
            for line in text.splitlines():
                command = command_of(line)
                if not command or command == "make test":
                    continue
                if command.startswith("make") and not own_venv:
                    continue
                cwd = ROOT if command.startswith("make") else tmp_path
                if command.startswith(". ") or command.startswith("source "):
                    prefix = f"{command} && "
                    continue
                if SERVES in line.partition("#")[2]:
                    address = address_of(command)
                    if not port_is_free(address):
                        pytest.skip(f"{address} is taken on this machine")
                    server = subprocess.Popen(
                        ["bash", "-c", f"{prefix}exec {command}"], cwd=cwd,
                        env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                        start_new_session=True,
                    )
                    servers.append(server)
                    wait_until_listening(address, server)
                    ran += 1
                    continue
                result = subprocess.run(
                    ["bash", "-c", f"{prefix}{command}"], cwd=cwd, env=environment,
                    capture_output=True, text=True, timeout=DEADLINE,
                )
                assert result.returncode == 0, (command, result.stderr)
                expected = PRINTS.search(line)
                if expected:
                    assert result.stdout.strip() == expected.group(1).strip(), command
                ran += 1
    finally:
        for server in servers:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
    assert ran >= (6 if own_venv else 5)
