"""``tapster serve`` as a real subprocess, on an ephemeral 127.0.0.1 port."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.processes import TapsterProcess


class ServerProcess(TapsterProcess):
    """A ``tapster serve`` child on 127.0.0.1: its port, its log and its memory figures."""

    port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> str:
        """Everything the server wrote to stderr so far."""
        return self.text("stderr")

    def status(self, field: str) -> int:
        """A ``VmRSS``-style field of /proc/PID/status, in bytes."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                value, unit = line.split()[1:3]
                assert unit == "kB"
                return int(value) * 1024
        raise KeyError(field)


@contextmanager
def tapster_process(target: str, *options: str, startup: float = 15.0) -> Iterator[ServerProcess]:
    """Run ``tapster serve TARGET --bind 127.0.0.1:0 OPTIONS`` until the block ends."""
    with ServerProcess(["serve", target, "--bind", "127.0.0.1:0", *options]) as server:
        try:
            server.port = server.listening_address(timeout=startup)[1]
        except AssertionError as error:
            pytest.fail(f"tapster serve {target} did not start listening: {error}")
        yield server


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
