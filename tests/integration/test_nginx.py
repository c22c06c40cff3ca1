"""nginx in front of two tapster instances, for real: balancing, a stop and a reload under load.

nginx is Debian's (``scripts/install-system-deps`` installs it), run as a
child process on loopback ports with a configuration written here: the main
context (pid file, logs, temporary paths, all in ``tmp_path``) wraps the
site configuration of docs/deployment.md, read from the page itself with its
addresses and certificate paths replaced, so the page cannot go stale. Behind
it, one ``tapster serve --workers 2`` on TCP and one on a unix socket. The
clients connect from 127.0.0.2, so that the address the application is told
differs from the proxy's own (127.0.0.1).

Every process is stopped, and no worker of either instance may outlive the test.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.certs import make_certificates
from tests.integration.test_workers import Prefork, alive, kill_survivors, wait_until
from tests.processes import REPO_ROOT, TapsterProcess, child_environment

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
OPENSSL = shutil.which("openssl") or "/usr/bin/openssl"  # tests/certs.py runs it
DEPLOYMENT_PAGE = REPO_ROOT / "docs" / "deployment.md"
#: Where the clients connect from: any 127/8 address is loopback on Linux.
CLIENT_ADDRESS = "127.0.0.2"
#: --graceful-timeout of the instances: the stopped one must exit well within it.
GRACE = 10.0

pytestmark = pytest.mark.skipif(
    not (os.access(NGINX, os.X_OK) and os.access(OPENSSL, os.X_OK)),
    reason="needs nginx and openssl (scripts/install-system-deps installs them)",
)

#: The application both instances serve: it reports what it was told. The
#: version is a literal, so rewriting the file and sending SIGHUP changes it.
APP = '''
import json
import os
import time

VERSION = "{version}"


def app(environ, start_response):
    seconds = float(environ["QUERY_STRING"].partition("sleep=")[2] or 0)
    if seconds:
        time.sleep(seconds)  # so that a stop finds requests in flight
    report = {{
        "instance": os.environ["NGINX_TEST_INSTANCE"],
        "version": VERSION,
        "pid": os.getpid(),
        "remote_addr": environ.get("REMOTE_ADDR"),
        "peer": str(environ.get("tapster.peer")),
        "url_scheme": environ["wsgi.url_scheme"],
        "host": environ.get("HTTP_HOST"),
        "x_forwarded_for": environ.get("HTTP_X_FORWARDED_FOR"),
        "x_forwarded_proto": environ.get("HTTP_X_FORWARDED_PROTO"),
    }}
    body = json.dumps(report).encode()
    start_response("200 OK", [("Content-Type", "application/json"),
                              ("Content-Length", str(len(body)))])
    return [body]
'''

#: The main context around the page's site configuration; everything nginx
#: writes stays in the prefix (``-p``), and nothing needs root.
MAIN_CONFIG = """\
{user}daemon off;
master_process on;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log stderr warn;
events {{
    worker_connections 512;
}}
http {{
    access_log {prefix}/access.log;
    client_body_temp_path {prefix}/client_body_temp;
    proxy_temp_path {prefix}/proxy_temp;
    fastcgi_temp_path {prefix}/fastcgi_temp;
    uwsgi_temp_path {prefix}/uwsgi_temp;
    scgi_temp_path {prefix}/scgi_temp;

{site}
}}
"""


def site_configuration(
    tcp_port: int, unix_path: Path, http_port: int, https_port: int, cert: Path, key: Path
) -> str:
    """The ``nginx`` block of docs/deployment.md, pointed at this test's addresses and files."""
    (text,) = re.findall(r"^```nginx\n(.*?)^```", DEPLOYMENT_PAGE.read_text(), re.M | re.S)
    replacements = {
        "server 127.0.0.1:8000;": f"server 127.0.0.1:{tcp_port};",
        "server unix:/run/tapster/tapster.sock;": f"server unix:{unix_path};",
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen 443 ssl;": f"listen 127.0.0.1:{https_port} ssl;",
        "/etc/ssl/example.com/fullchain.pem;": f"{cert};",
        "/etc/ssl/example.com/privkey.pem;": f"{key};",
    }
    for old, new in replacements.items():
        # Each must be there exactly once: a change to the page shows here.
        assert text.count(old) == 1, f"docs/deployment.md's nginx block lacks {old!r}"
        text = text.replace(old, new)
    return text


def free_ports(count: int) -> list[int]:
    """Ports nobody listens on now (a race with other programs, but a short one)."""
    probes = [socket.socket() for _ in range(count)]
    try:
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return [probe.getsockname()[1] for probe in probes]
    finally:
        for probe in probes:
            probe.close()


def child_pids(pid: int) -> set[int]:
    """The live child processes of ``pid``."""
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return set()
    return {int(child) for child in text.split() if alive(int(child))}


@dataclass
class Stack:
    """nginx on two ports (HTTP, HTTPS) in front of two tapster instances."""

    tcp: Prefork
    unix: Prefork
    nginx: TapsterProcess
    http_port: int
    https_port: int
    #: The authority that signed nginx's certificate.
    ca: Path
    module: Path

    def connection(self, scheme: str) -> http.client.HTTPConnection:
        """A keep-alive connection to nginx, from ``CLIENT_ADDRESS``."""
        source = (CLIENT_ADDRESS, 0)
        if scheme == "https":
            context = ssl.create_default_context(cafile=str(self.ca))
            return http.client.HTTPSConnection("127.0.0.1", self.https_port, timeout=10,
                                               source_address=source, context=context)
        return http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=10,
                                          source_address=source)

    def port(self, scheme: str) -> int:
        return self.https_port if scheme == "https" else self.http_port


def get_report(connection: http.client.HTTPConnection, target: str = "/") -> dict[str, Any]:
    """One GET on ``connection``: the application's report (the status must be 200)."""
    # A client that claims an address of its own: nginx must replace it.
    connection.request("GET", target, headers={"X-Forwarded-For": "203.0.113.9"})
    response = connection.getresponse()
    body = response.read()
    if response.status != 200:
        raise AssertionError(f"status {response.status}: {body[:200]!r}")
    return json.loads(body)


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    """Two instances and nginx, started; all stopped afterwards, and no worker left alive."""
    module = tmp_path / "nginx_app.py"
    module.write_text(APP.format(version="one"))
    certificates = make_certificates(tmp_path)
    cert, key = certificates.server_cert, certificates.server_key
    unix_path = tmp_path / "tapster.sock"
    instances: list[Prefork] = []

    def start(name: str, bind: str) -> Prefork:
        env = child_environment(PYTHONDONTWRITEBYTECODE="1", NGINX_TEST_INSTANCE=name)
        server = Prefork(["serve", "nginx_app:app", "--bind", bind, "--workers", "2",
                          "--graceful-timeout", str(GRACE)], cwd=tmp_path, env=env)
        instances.append(server)
        return server

    nginx: TapsterProcess | None = None
    nginx_workers: set[int] = set()
    try:
        tcp = start("tcp", "127.0.0.1:0")
        unix = start("unix", f"unix:{unix_path}")
        tcp.port = tcp.listening_address(timeout=15)[1]
        unix.wait_for_line("Listening at: unix:", timeout=15)
        tcp.wait_for_workers(2, timeout=15)
        unix.wait_for_workers(2, timeout=15)

        http_port, https_port = free_ports(2)
        site = site_configuration(tcp.port, unix_path, http_port, https_port, cert, key)
        # As root, nginx would switch its workers to an unprivileged user, who
        # could not reach tmp_path's files; as anybody else it stays who it is.
        user = "user root;\n" if os.geteuid() == 0 else ""
        config = tmp_path / "nginx.conf"
        config.write_text(MAIN_CONFIG.format(user=user, prefix=tmp_path, site=site))
        nginx = TapsterProcess([], command=[NGINX, "-p", f"{tmp_path}/", "-c", str(config),
                                            "-e", "stderr"], cwd=tmp_path)
        result = Stack(tcp, unix, nginx, http_port, https_port, certificates.ca, module)

        def answers() -> bool:
            assert nginx is not None
            assert nginx.process.poll() is None, f"nginx exited:\n{nginx.text()}"
            connection = result.connection("http")
            try:
                get_report(connection)
            except (OSError, http.client.HTTPException):
                return False
            finally:
                connection.close()
            return True

        wait_until(answers, 10, "nginx to answer")
        nginx_workers = child_pids(nginx.pid)
        yield result
    finally:
        if nginx is not None:
            nginx.stop()
        for server in instances:
            server.stop()
        orphans = kill_survivors(
            [pid for server in instances for pid in server.booted()] + [*nginx_workers])
        assert not orphans, f"processes outlived the test: {orphans}"


class ProxyLoad:
    """Client threads on keep-alive connections to nginx, half of them over TLS (bounded).

    No request is retried: any exception or status other than 200 is a failure.
    """

    # The test stops the load as soon as it has seen enough (about 2 s here);
    # ``seconds`` and ``limit`` only bound a run that goes wrong or a slow machine.
    def __init__(self, stack: Stack, clients: int = 4, seconds: float = 30.0,
                 limit: int = 20_000) -> None:
        self.stack = stack
        #: (scheme, report or the exception), in the order they completed.
        self.results: list[tuple[str, dict[str, Any] | Exception]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._deadline = time.monotonic() + seconds
        self._limit = limit
        self._threads = [
            threading.Thread(target=self._run, args=("https" if index % 2 else "http",
                                                     # one slow client in each scheme, so
                                                     # that a stop finds requests in flight
                                                     "/?sleep=0.2" if index < 2 else "/"))
            for index in range(clients)
        ]
        for thread in self._threads:
            thread.start()

    def _run(self, scheme: str, target: str) -> None:
        connection = self.stack.connection(scheme)
        for _ in range(self._limit):
            if self._stop.is_set() or time.monotonic() > self._deadline:
                break
            try:
                result: dict[str, Any] | Exception = get_report(connection, target)
            except Exception as error:  # any failure counts, whatever its kind
                result = error
                connection.close()
            with self._lock:
                self.results.append((scheme, result))
        connection.close()

    def count(self) -> int:
        with self._lock:
            return len(self.results)

    def reports(self) -> list[tuple[str, dict[str, Any]]]:
        with self._lock:
            return [(s, r) for s, r in self.results if not isinstance(r, Exception)]

    def wait_until(self, condition: Callable[[list[dict[str, Any]]], bool], timeout: float,
                   what: str) -> None:
        """Wait until ``condition`` holds for the reports so far."""
        wait_until(lambda: condition([r for _, r in self.reports()]), timeout, what)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(15)
            assert not thread.is_alive()

    @property
    def failures(self) -> list[Exception]:
        return [r for _, r in self.results if isinstance(r, Exception)]


def served_by(reports: list[dict[str, Any]], instance: str) -> int:
    return sum(report["instance"] == instance for report in reports)


def test_no_request_fails_while_one_instance_stops_and_the_other_reloads(stack):
    old_unix_workers = stack.unix.workers()
    load = ProxyLoad(stack)
    try:
        load.wait_until(lambda r: served_by(r, "tcp") >= 20 and served_by(r, "unix") >= 20,
                        15, "both instances to serve")
        before = load.count()
        stack.module.write_text(APP.format(version="two, after the reload"))
        signalled = time.monotonic()
        stack.tcp.send_signal(signal.SIGTERM)
        stack.unix.send_signal(signal.SIGHUP)
        exit_code = stack.tcp.wait(GRACE + 5)
        stopped_in = time.monotonic() - signalled
        for pid in old_unix_workers:
            stack.unix.wait_for_line(rf"Worker {pid} stopped \(exited with code 0\)", timeout=15)
        reloaded = load.count()
        wait_until(lambda: load.count() >= reloaded + 40, 10, "40 more requests")
    finally:
        load.stop()

    assert load.failures == [], load.failures[:5]
    reports = load.reports()
    assert len(reports) == load.count()
    # Both served before the signals; nginx spread the load over them.
    assert served_by([r for _, r in reports[:before]], "tcp") >= 20
    assert served_by([r for _, r in reports[:before]], "unix") >= 20
    # The stopped instance finished what it had and exited 0, within its grace.
    assert exit_code == 0, stack.tcp.log
    assert stopped_in < GRACE
    assert "Shutdown complete" in stack.tcp.log
    # nginx met the stopped instance (a refused connection, or a connection
    # closed under a request) and went on to the other, as the client never saw.
    assert re.search(rf"\[error\] .* upstream: \"http://127\.0\.0\.1:{stack.tcp.port}/",
                     stack.nginx.text()), stack.nginx.text()
    # After the reload, only the reloaded instance answers, with the new code
    # (each client may have had one request in flight across the marker).
    after = [r for _, r in reports[reloaded + 4:]]
    assert after and all(r["instance"] == "unix" for r in after)
    assert {r["version"] for r in after} == {"two, after the reload"}
    assert stack.unix.workers().isdisjoint(old_unix_workers)
    # What nginx told the application (the client's address, replacing the one
    # the client claimed; the scheme it used; the host it asked for), and what
    # tapster made of it, nginx being a trusted peer (loopback, unix socket).
    for scheme, report in reports:
        assert report["x_forwarded_for"] == CLIENT_ADDRESS
        assert report["x_forwarded_proto"] == scheme
        assert report["host"] == f"127.0.0.1:{stack.port(scheme)}"
        assert report["remote_addr"] == CLIENT_ADDRESS
        assert report["url_scheme"] == scheme
    assert {scheme for scheme, _ in reports} == {"http", "https"}


def test_the_application_sees_the_client_address_and_scheme(stack):
    # nginx connects from 127.0.0.1 or over the unix socket, both trusted by
    # default (--forwarded-allow-ips); the client connects from 127.0.0.2.
    for scheme in ("http", "https"):
        connection = stack.connection(scheme)
        try:
            # Enough requests to reach both instances (round robin).
            reports = [get_report(connection) for _ in range(4)]
        finally:
            connection.close()
        assert {r["instance"] for r in reports} == {"tcp", "unix"}
        for report in reports:
            # The socket's peer is nginx (a unix socket's has no address).
            if report["instance"] == "unix":
                assert report["peer"] == ""
            else:
                assert report["peer"].startswith("('127.0.0.1', ")
            assert report["remote_addr"] == CLIENT_ADDRESS
            assert report["url_scheme"] == scheme
            assert report["host"] == f"127.0.0.1:{stack.port(scheme)}"
