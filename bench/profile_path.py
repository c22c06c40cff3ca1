"""Profile tapster's per-request Python path on one thread, without a load generator.

A real connected socket pair stands in for a client; a stub reactor and pool
run the hand-offs inline, so the whole path (recv, parse, environ, app call,
framing, send, re-arm) runs under cProfile with nothing else on the machine
mattering. Use it to see where the microseconds of a request go:

    .venv/bin/python bench/profile_path.py [REQUESTS]

With ``--plain`` it only serves the requests (no timing, no profile), which
is what ``bench/instructions.sh`` counts under callgrind.
"""

from __future__ import annotations

import cProfile
import pstats
import socket
import sys
import time

from bench.apps import hello
from tapster.net.binds import Bind
from tapster.net.listeners import Listener
from tapster.settings import Settings
from tapster.wsgi.connection import Connection
from tapster.wsgi.server import Server

REQUEST = (
    b"GET /plaintext HTTP/1.1\r\nHost: localhost:8080\r\nUser-Agent: wrk\r\n"
    b"Accept: */*\r\nConnection: keep-alive\r\n\r\n"
)


class InlinePool:
    """Runs a submitted job at once, on the calling thread."""

    def submit(self, function, *args):
        function(*args)


class StubReactor:
    """Arming does nothing: the driver calls on_readable itself."""

    stopping = False

    def arm(self, handler):
        pass

    def forget(self, handler):
        pass


def main() -> None:
    arguments = [argument for argument in sys.argv[1:] if argument != "--plain"]
    plain = "--plain" in sys.argv[1:]
    count = int(arguments[0]) if arguments else 50_000
    listening = socket.create_server(("127.0.0.1", 0))
    listener = Listener(listening, Bind("127.0.0.1:0", host="127.0.0.1", port=0),
                        "127.0.0.1", listening.getsockname()[1])
    server = Server(hello, Settings(), listeners=[listener])
    server.pool = InlinePool()
    server.reactor = StubReactor()
    client = socket.create_connection(("127.0.0.1", listener.port))
    accepted, peer = listening.accept()
    accepted.setblocking(False)
    connection = Connection(accepted, peer, listener, server)

    def run(n: int) -> None:
        for _ in range(n):
            client.sendall(REQUEST)
            connection.on_readable()
            client.recv(65536)

    if plain:
        run(200)  # fill the memos first; bench/instructions.sh subtracts a run of 0
        run(count)
        return
    run(1000)
    started = time.perf_counter()
    run(count)
    elapsed = time.perf_counter() - started
    print(f"{elapsed / count * 1e6:.2f} us per request (client included), unprofiled")
    profile = cProfile.Profile()
    profile.runcall(run, count)
    pstats.Stats(profile).sort_stats("tottime").print_stats(22)


if __name__ == "__main__":
    main()
