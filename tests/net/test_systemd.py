"""Socket activation end to end: ``tapster serve`` adopts the socket on fd 3 and serves it."""

from __future__ import annotations

import signal
import socket
import sys
from pathlib import Path

import pytest

from tests.processes import REPO_ROOT, TAPSTER, TapsterProcess, http_request, split_response

# What systemd does between fork and exec (sd_listen_fds(3)): the listening
# socket on fd 3, LISTEN_PID naming the process that execs, LISTEN_FDS=1.
_ACTIVATE = """
import os, sys
fd = int(sys.argv[1])
if fd != 3:
    os.dup2(fd, 3)
    os.close(fd)
os.environ["LISTEN_PID"] = str(os.getpid())
os.environ["LISTEN_FDS"] = "1"
os.execv(sys.argv[2], sys.argv[2:])
"""


def activated(sock: socket.socket, *args: str, cwd: Path = REPO_ROOT) -> TapsterProcess:
    """``tapster`` started the way systemd starts it, with ``sock`` as fd 3."""
    fd = sock.fileno()
    command = [sys.executable, "-c", _ACTIVATE, str(fd), TAPSTER, *args]
    return TapsterProcess([], command=command, pass_fds=[fd], cwd=cwd)


def test_systemd_socket_is_served():
    listening = socket.create_server(("127.0.0.1", 0), backlog=16)
    port = listening.getsockname()[1]
    with listening, activated(listening, "serve", "tests.apps:hello") as server:
        listening.close()  # the child holds its own copy now
        assert server.listening_urls() == [f"http://127.0.0.1:{port}"]
        status, _headers, body = split_response(http_request(("127.0.0.1", port)))
        assert (status, body) == (200, b"Hello, World!")
        server.send_signal(signal.SIGTERM)
        assert server.wait(10) == 0
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5).close()


def test_systemd_socket_bound_but_not_listening_is_served():
    bound = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    bound.bind(("127.0.0.1", 0))
    port = bound.getsockname()[1]
    with bound, activated(bound, "serve", "tests.apps:hello") as server:
        bound.close()
        assert server.listening_urls() == [f"http://127.0.0.1:{port}"]
        assert split_response(http_request(("127.0.0.1", port)))[0] == 200


def test_bind_flag_wins_over_systemd_sockets():
    listening = socket.create_server(("127.0.0.1", 0), backlog=16)
    with listening, activated(
        listening, "serve", "tests.apps:hello", "--bind", "127.0.0.1:0"
    ) as server:
        [url] = server.listening_urls()
        assert url != f"http://127.0.0.1:{listening.getsockname()[1]}"
        host, port = server.listening_address()
        assert split_response(http_request((host, port)))[0] == 200
