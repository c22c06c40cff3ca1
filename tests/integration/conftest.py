"""``tapster serve`` as a real subprocess, on an ephemeral 127.0.0.1 port."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

#: The repository's root: the subprocess runs there, so ``tests.apps`` imports.
ROOT = Path(__file__).resolve().parents[2]
#: The ``tapster`` console script of the environment running the tests.
TAPSTER = Path(sys.executable).parent / "tapster"
_LISTENING = re.compile(r"Listening at: http://127\.0\.0\.1:(\d+)")


class ServerProcess:
    """A ``tapster serve`` subprocess, its port, and what it logged."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.pid = process.pid
        self.port = 0
        self.lines: list[str] = []
        self.listening = threading.Event()
        self._reader = threading.Thread(target=self._read_stderr, daemon=True)
        self._reader.start()

    def _read_stderr(self) -> None:
        # Ends when the process exits and the pipe closes.
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line)
            match = _LISTENING.search(line)
            if match and not self.port:
                self.port = int(match[1])
                self.listening.set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> str:
        """Everything the server wrote to stderr so far."""
        return "".join(self.lines)

    def status(self, field: str) -> int:
        """A ``VmRSS``-style field of /proc/PID/status, in bytes."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                value, unit = line.split()[1:3]
                assert unit == "kB"
                return int(value) * 1024
        raise KeyError(field)

    def wait(self, timeout: float) -> int:
        """Wait for the process to exit; return its exit code."""
        code = self.process.wait(timeout)
        self._reader.join(timeout)
        return code

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it lingers; always reaps the process."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self._reader.join(10)


@contextmanager
def tapster_process(target: str, *options: str, startup: float = 15.0) -> Iterator[ServerProcess]:
    """Run ``tapster serve TARGET --bind 127.0.0.1:0 OPTIONS`` until the block ends."""
    command = [str(TAPSTER), "serve", target, "--bind", "127.0.0.1:0", *options]
    process = subprocess.Popen(
        command, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True,
    )
    server = ServerProcess(process)
    try:
        if not server.listening.wait(startup):
            server.stop()
            pytest.fail(f"{' '.join(command)} did not start listening:\n{server.log}")
        yield server
    finally:
        server.stop()


@pytest.fixture
def spawn_tapster() -> Iterator:
    """Start ``tapster serve`` subprocesses: ``spawn_tapster(target, *options)``; all stopped."""
    contexts = []

    def start(target: str, *options: str) -> ServerProcess:
        context = tapster_process(target, *options)
        contexts.append(context)
        return context.__enter__()

    yield start
    while contexts:
        contexts.pop().__exit__(None, None, None)
