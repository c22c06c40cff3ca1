"""``tapster`` commands in child processes, their output collected as it comes.

Every process started here is stopped: ``TapsterProcess`` is a context
manager that sends SIGTERM, then SIGKILL when the process does not exit.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

#: The console script of the environment running the tests.
TAPSTER = str(Path(sys.executable).with_name("tapster"))
#: The repository root: ``tests.apps`` is importable from here.
REPO_ROOT = Path(__file__).resolve().parents[1]

_LISTENING = re.compile(r"Listening at: (\S+)")


def child_environment(**extra: str) -> dict[str, str]:
    """The test's environment without inherited socket activation, plus ``extra``."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in ("LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES")
    }
    env.update(extra)
    return env


def run_tapster(
    args: Sequence[str], *, cwd: Path = REPO_ROOT, timeout: float = 15.0
) -> subprocess.CompletedProcess[str]:
    """Run a ``tapster`` command expected to exit by itself (killed after ``timeout``)."""
    return subprocess.run(
        [TAPSTER, *args],
        cwd=cwd,
        env=child_environment(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


class TapsterProcess:
    """A running ``tapster serve`` (or any command); read its output, signal it, stop it."""

    def __init__(
        self,
        args: Sequence[str],
        *,
        cwd: Path = REPO_ROOT,
        command: Sequence[str] | None = None,
        env: dict[str, str] | None = None,
        pass_fds: Sequence[int] = (),
    ) -> None:
        self.process = subprocess.Popen(
            list(command or [TAPSTER, *args]),
            cwd=cwd,
            env=env or child_environment(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            pass_fds=pass_fds,
        )
        self._lock = threading.Lock()
        self._lines: dict[str, list[str]] = {"stdout": [], "stderr": []}
        self._readers = [
            threading.Thread(target=self._read, args=(name, stream), daemon=True)
            for name, stream in (("stdout", self.process.stdout), ("stderr", self.process.stderr))
        ]
        for reader in self._readers:
            reader.start()

    def _read(self, name: str, stream: object) -> None:
        for line in stream:  # type: ignore[attr-defined]
            with self._lock:
                self._lines[name].append(line.rstrip("\n"))

    @property
    def pid(self) -> int:
        """The child's process id."""
        return self.process.pid

    def lines(self, stream: str = "stderr") -> list[str]:
        """The lines written to ``stream`` so far."""
        with self._lock:
            return list(self._lines[stream])

    def text(self, stream: str = "stderr") -> str:
        """Everything written to ``stream`` so far."""
        return "\n".join(self.lines(stream))

    def wait_for_line(
        self, pattern: str | re.Pattern[str], stream: str = "stderr", timeout: float = 10.0
    ) -> re.Match[str]:
        """The first line of ``stream`` matching ``pattern``, waiting up to ``timeout``."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            for line in self.lines(stream):
                match = regex.search(line)
                if match:
                    return match
            if time.monotonic() >= deadline:
                raise AssertionError(
                    f"no line matching {regex.pattern!r} on {stream} within {timeout}s; "
                    f"exit code {self.process.poll()}; stderr:\n{self.text('stderr')}"
                )
            if self.process.poll() is not None:
                self._join_readers()
                if not any(regex.search(line) for line in self.lines(stream)):
                    deadline = time.monotonic()  # it exited: nothing more will come
            time.sleep(0.02)

    def listening_urls(self, count: int = 1, timeout: float = 10.0) -> list[str]:
        """The URLs of the first ``count`` "Listening at:" lines, once all are logged."""
        deadline = time.monotonic() + timeout
        while True:
            urls = [m.group(1) for m in map(_LISTENING.search, self.lines()) if m]
            if len(urls) >= count:
                return urls[:count]
            if time.monotonic() >= deadline or self.process.poll() is not None:
                raise AssertionError(
                    f"expected {count} listening lines; exit code {self.process.poll()}; "
                    f"stderr:\n{self.text('stderr')}"
                )
            time.sleep(0.02)

    def listening_address(self, timeout: float = 10.0) -> tuple[str, int]:
        """(host, port) of the first TCP listener, as the banner says."""
        url = self.listening_urls(1, timeout)[0]
        match = re.fullmatch(r"https?://\[?([^\]]+?)\]?:(\d+)", url)
        assert match, url
        return match.group(1), int(match.group(2))

    def send_signal(self, signum: int) -> None:
        """Send ``signum`` to the child."""
        self.process.send_signal(signum)

    def wait(self, timeout: float) -> int:
        """The exit code; the process is killed (and the test fails) after ``timeout``."""
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
            raise AssertionError(
                f"the process did not exit within {timeout}s; stderr:\n{self.text('stderr')}"
            ) from None
        self._join_readers()
        return code

    def stop(self) -> None:
        """SIGTERM, then SIGKILL when it does not exit within five seconds."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self._join_readers()
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()

    def _join_readers(self) -> None:
        for reader in self._readers:
            reader.join(5)

    def __enter__(self) -> TapsterProcess:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def http_request(
    address: tuple[str, int] | str,
    target: str = "/",
    headers: Sequence[tuple[str, str]] = (),
    timeout: float = 5.0,
) -> bytes:
    """One ``GET`` with ``Connection: close`` over TCP or a unix socket; the raw answer."""
    lines = [f"GET {target} HTTP/1.1", "Host: localhost", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers]
    data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    if isinstance(address, str):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        sock.connect(address)
    else:
        sock = socket.create_connection(address, timeout=timeout)
    with sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def split_response(answer: bytes) -> tuple[int, dict[str, str], bytes]:
    """Status code, headers (lower-case names) and body of a raw response."""
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *field_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in field_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers, body
