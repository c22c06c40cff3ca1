"""Soak: a long run of mixed requests over keep-alive connections, checking every response and
watching the server's memory; written to the ``soak`` section of docs/benchmarks.md.

Usage::

    python bench/soak.py [--requests N] [--seconds T] [--connections C] [--no-write]

The script starts ``tapster serve bench.soak:app`` from this checkout on a free port of
127.0.0.1 and sends requests over ``--connections`` keep-alive connections (default 50)
from one thread with non-blocking sockets, until ``--requests`` (default 1,000,000) are
answered or ``--seconds`` (default 1,800) pass, whichever comes first. The routes are mixed
(plain text, JSON, an echoed POST body, a chunked stream, a 64 KiB body, a 404) and every
response is checked, status and body, against what the route must answer: anything else,
or a connection closed or reset, is an error. Five times a second it reads the server's RSS,
descriptors and CPU time from /proc. The verdict: zero errors, and the mean RSS over the
last tenth of the requests within 5 % of the mean over the first tenth (the first 2 % are
left out as warm-up: memos and the thread pool filling).

Standard library only; load is only ever sent to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

try:
    from bench.sections import write_section
except ModuleNotFoundError:  # run as a script (python bench/soak.py): bench/ is on the path
    from sections import write_section  # type: ignore[no-redef]

REPO_ROOT = Path(__file__).resolve().parent.parent
SECTION = "soak"
APP = "bench.soak:app"
TARGET_REQUESTS = 1_000_000
MAX_DRIFT = 0.05
WARM_UP_SHARE = 0.02
#: How often the server's memory, descriptors and CPU time are read (seconds).
SAMPLE_INTERVAL = 0.2

# -- the application -------------------------------------------------------------------------

BIG = bytes(range(256)) * 256  # 64 KiB
JSON_BODY = json.dumps({"status": "ok", "items": list(range(20))}).encode()
STREAM_PIECES = [b"piece %d\n" % index for index in range(4)]
ECHO_BODY = b"e" * 1000


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """The soak's routes: ``/`` text, ``/json``, ``/echo`` (POST), ``/stream`` (chunked),
    ``/big`` (64 KiB), anything else 404."""
    path = environ["PATH_INFO"]
    if path == "/":
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "13")])
        return [b"Hello, World!"]
    if path == "/json":
        start_response("200 OK", [("Content-Type", "application/json")])
        return [JSON_BODY]
    if path == "/echo":
        body = environ["wsgi.input"].read()
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return [body]
    if path == "/stream":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return iter(STREAM_PIECES)
    if path == "/big":
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return [BIG]
    start_response("404 Not Found", [("Content-Type", "text/plain")])
    return [b"not found"]


@dataclass(frozen=True)
class Route:
    """A request of the mix and the one answer it must get."""

    request: bytes
    status: int
    body: bytes


def _get(path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: soak\r\n\r\n".encode()


#: The mix, in the order each connection cycles through it (the hello route counts thrice).
MIX = [
    Route(_get("/"), 200, b"Hello, World!"),
    Route(_get("/json"), 200, JSON_BODY),
    Route(_get("/"), 200, b"Hello, World!"),
    Route(b"POST /echo HTTP/1.1\r\nHost: soak\r\nContent-Length: %d\r\n\r\n%s"
          % (len(ECHO_BODY), ECHO_BODY), 200, ECHO_BODY),
    Route(_get("/stream"), 200, b"".join(STREAM_PIECES)),
    Route(_get("/"), 200, b"Hello, World!"),
    Route(_get("/big"), 200, BIG),
    Route(_get("/missing"), 404, b"not found"),
]

# -- the client ------------------------------------------------------------------------------

_HEAD_END = b"\r\n\r\n"


def parse_response(buffer: bytes) -> tuple[int, bytes, int] | None:
    """(status, body, bytes used) of the first whole response in ``buffer``, or None.

    Only what tapster sends here: Content-Length or chunked framing, no trailers.
    Raises ``ValueError`` on anything else.
    """
    end = buffer.find(_HEAD_END)
    if end < 0:
        return None
    head = buffer[:end].decode("latin-1").lower()
    status = int(head[9:12])
    start = end + 4
    match = re.search(r"\r\ncontent-length: *(\d+)", head)
    if match:
        length = int(match.group(1))
        if len(buffer) < start + length:
            return None
        return status, buffer[start : start + length], start + length
    if "\r\ntransfer-encoding: chunked" not in head:
        raise ValueError(f"no framing: {head!r}")
    pieces = []
    position = start
    while True:
        line_end = buffer.find(b"\r\n", position)
        if line_end < 0:
            return None
        size = int(buffer[position:line_end], 16)
        position = line_end + 2
        if len(buffer) < position + size + 2:
            return None
        if buffer[position + size : position + size + 2] != b"\r\n":
            raise ValueError("chunk not followed by CRLF")
        if size == 0:
            return status, b"".join(pieces), position + 2
        pieces.append(buffer[position : position + size])
        position += size + 2


@dataclass
class Client:
    """One keep-alive connection cycling through the mix."""

    sock: socket.socket
    offset: int
    sent: int = 0
    buffer: bytes = b""

    @property
    def route(self) -> Route:
        return MIX[(self.offset + self.sent - 1) % len(MIX)]

    def send_next(self) -> None:
        self.sent += 1
        self.sock.sendall(self.route.request)  # small: fits the socket buffer


@dataclass
class Sample:
    """The server as seen from /proc at one moment."""

    seconds: float
    requests: int
    rss: int
    fds: int
    cpu: float


@dataclass
class Result:
    """What a soak run measured."""

    requests: int
    seconds: float
    connections: int
    errors: list[str] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)

    def mean_rss(self, low: float, high: float) -> float:
        """Mean RSS of the samples taken between ``low`` and ``high`` of the requests."""
        chosen = [s.rss for s in self.samples
                  if low * self.requests <= s.requests <= high * self.requests]
        return sum(chosen) / len(chosen) if chosen else float("nan")

    @property
    def drift(self) -> float:
        """RSS of the last tenth against the first (after warm-up), as a fraction."""
        first = self.mean_rss(WARM_UP_SHARE, 0.1 + WARM_UP_SHARE)
        return self.mean_rss(0.9, 1.0) / first - 1


def proc_sample(pid: int, started: float, requests: int) -> Sample:
    """Read the server's RSS, descriptors and CPU time."""
    rss = 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1]) * 1024
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    return Sample(time.monotonic() - started, requests, rss, fds, cpu)


def soak(port: int, pid: int, requests: int, seconds: float, connections: int) -> Result:
    """Drive ``requests`` (at most, and at most ``seconds``) over ``connections``."""
    started = time.monotonic()
    deadline = started + seconds
    result = Result(0, 0.0, connections)
    selector = selectors.DefaultSelector()
    clients = []
    for index in range(connections):
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setblocking(False)
        client = Client(sock, index)
        clients.append(client)
        selector.register(sock, selectors.EVENT_READ, client)
    in_flight = 0
    for client in clients:
        if in_flight < requests:
            client.send_next()
            in_flight += 1
    done = 0
    next_sample = started
    last_progress = started
    try:
        while in_flight and len(result.errors) < 100:
            now = time.monotonic()
            if now >= next_sample:
                result.samples.append(proc_sample(pid, started, done))
                next_sample = now + SAMPLE_INTERVAL
            if now - last_progress > 10:
                result.errors.append(f"no response for 10 s ({in_flight} outstanding)")
                break
            for key, _ in selector.select(0.5):
                client = key.data
                try:
                    data = client.sock.recv(262144)
                except OSError as error:
                    data, problem = b"", repr(error)
                else:
                    problem = "connection closed by the server"
                if not data:
                    result.errors.append(f"{problem} during {client.route.request[:20]!r}")
                    selector.unregister(client.sock)
                    in_flight -= 1
                    continue
                client.buffer += data
                while client.buffer:
                    try:
                        parsed = parse_response(client.buffer)
                    except ValueError as error:
                        result.errors.append(f"unparsable response: {error}")
                        parsed = None
                        client.buffer = b""
                    if parsed is None:
                        break
                    status, body, used = parsed
                    client.buffer = client.buffer[used:]
                    route = client.route
                    if (status, body) != (route.status, route.body):
                        result.errors.append(
                            f"{route.request[:20]!r}: got {status} {body[:40]!r}")
                    done += 1
                    in_flight -= 1
                    last_progress = time.monotonic()
                    if done + in_flight < requests and last_progress < deadline:
                        client.send_next()
                        in_flight += 1
    finally:
        result.requests = done
        result.seconds = time.monotonic() - started
        result.samples.append(proc_sample(pid, started, done))
        selector.close()
        for client in clients:
            client.sock.close()
    return result


# -- the server --------------------------------------------------------------------------------

_LISTENING = re.compile(r"Listening at: http://127\.0\.0\.1:(\d+)")


def start_server(options: list[str]) -> tuple[subprocess.Popen[str], int, list[str]]:
    """``tapster serve bench.soak:app`` of this checkout; the process, its port, its log."""
    env = dict(os.environ, PYTHONPATH=f"{REPO_ROOT / 'src'}{os.pathsep}{REPO_ROOT}")
    process = subprocess.Popen(
        [sys.executable, "-m", "tapster", "serve", APP, "--bind", "127.0.0.1:0", *options],
        cwd=REPO_ROOT, env=env, text=True, stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    lines: list[str] = []

    def read() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            lines.append(line.rstrip("\n"))

    threading.Thread(target=read, daemon=True).start()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and process.poll() is None:
        for match in map(_LISTENING.search, list(lines)):
            if match:
                return process, int(match.group(1)), lines
        time.sleep(0.05)
    process.kill()
    raise RuntimeError("the server did not start:\n" + "\n".join(lines))


def stop_server(process: subprocess.Popen[str]) -> None:
    """SIGTERM, then SIGKILL."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


# -- the report --------------------------------------------------------------------------------


def report(result: Result, *, load: float, when: str) -> str:
    """The ``soak`` section's Markdown."""
    # Descriptors and CPU from the end of the warm-up (all connections open) to the end.
    warm = WARM_UP_SHARE * result.requests
    first = next((s for s in result.samples if s.requests >= warm), result.samples[0])
    last = result.samples[-1]
    rss_first = result.mean_rss(WARM_UP_SHARE, 0.1 + WARM_UP_SHARE)
    rss_last = result.mean_rss(0.9, 1.0)
    drift = result.drift
    if result.errors or abs(drift) >= MAX_DRIFT:
        verdict = "failed"
    elif drift != drift:  # NaN: too few samples in a tenth
        verdict = "not judged: the run was too short to sample its tenths"
    elif result.requests < TARGET_REQUESTS:
        verdict = (f"passed as far as it went, but a short run: {result.requests:,} of the "
                   f"{TARGET_REQUESTS:,} requests the soak asks for")
    else:
        verdict = "passed"
    cpu = last.cpu - first.cpu
    lines = [
        "## Soak",
        "",
        f"`bench/soak.py` ({when}; load average {load:.2f} at the start): "
        f"{result.requests:,} requests over {result.connections} keep-alive connections "
        f"in {result.seconds:,.0f} s, the routes mixed (text, JSON, a 1,000-byte POST "
        "echoed, a chunked stream, 64 KiB, a 404), every response checked. The client is "
        "one Python thread on the same two-core machine, so requests/s here measures the "
        "pair, not the server (see the sections above for that).",
        "",
        "| requests | errors | req/s | server CPU per request | RSS, first tenth | "
        "RSS, last tenth | drift | descriptors, after warm-up → end |",
        "|--:|--:|--:|--:|--:|--:|--:|--:|",
        f"| {result.requests:,} | {len(result.errors)} | "
        f"{result.requests / result.seconds:,.0f} | "
        f"{cpu / max(last.requests - first.requests, 1) * 1e6:.0f} µs | "
        f"{rss_first / 2**20:.1f} MiB | "
        f"{rss_last / 2**20:.1f} MiB | {drift:+.1%} | {first.fds} → {last.fds} |",
        "",
        f"Verdict: {verdict} (zero errors and a drift under {MAX_DRIFT:.0%} over at least "
        f"{TARGET_REQUESTS:,} requests; the first {WARM_UP_SHARE:.0%} of the requests are "
        "warm-up and left out of the first tenth).",
    ]
    if result.errors:
        lines += ["", "First errors:", "", *(f"- `{error}`" for error in result.errors[:5])]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run the soak; print and (unless --no-write) record the figures. Exit 1 on errors."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=TARGET_REQUESTS)
    parser.add_argument("--seconds", type=float, default=1800.0)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    load = os.getloadavg()[0]
    process, port, log = start_server([])
    try:
        result = soak(port, process.pid, args.requests, args.seconds, args.connections)
    finally:
        stop_server(process)
    # An error the server logged (a traceback) counts, even if the client saw nothing.
    result.errors += [f"server log: {line}" for line in log if "[ERROR]" in line]
    text = report(result, load=load,
                  when=dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))
    print(text)
    if not args.no_write:
        write_section(SECTION, text)
    return 1 if result.errors else 0


if __name__ == "__main__":
    sys.exit(main())

