"""HTTPS: a real server with a certificate made for the test, and clients that verify it."""

from __future__ import annotations

import json
import logging
import os
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterable
from typing import Any

import pytest
import requests

from tapster.settings import Settings, SettingsError
from tapster.web.app import _certificate_options
from tests import apps
from tests.certs import Certificates, make_certificates
from tests.conftest import read_until_closed
from tests.integration.conftest import tapster_process
from tests.processes import REPO_ROOT, TapsterProcess, child_environment, run_tapster
from tests.rawhttp import ResponseReader


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return make_certificates(tmp_path_factory.mktemp("certs"))


def tls_options(certs: Certificates, **extra: Any) -> dict[str, Any]:
    return {"certfile": str(certs.server_cert), "keyfile": str(certs.server_key), **extra}


def client_context(certs: Certificates, *, cert: bool = False, alpn: bool = True) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(certs.ca))  # verifies chain and name
    if alpn:
        context.set_alpn_protocols(["h2", "http/1.1"])
    if cert:
        context.load_cert_chain(str(certs.client_cert), str(certs.client_key))
    return context


def tls_connect(server: Any, context: ssl.SSLContext, timeout: float = 5.0) -> ssl.SSLSocket:
    raw = socket.create_connection((server.host, server.port), timeout=timeout)
    return context.wrap_socket(raw, server_hostname="localhost")


def peer_cert_app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    cert = environ.get("tapster.peer_cert")
    subject = dict(pair[0] for pair in cert["subject"]) if cert else None
    body = json.dumps({"subject": subject, "scheme": environ["wsgi.url_scheme"]}).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body]


# -- a verified connection ------------------------------------------------------------


def test_verified_handshake_negotiates_http11_and_sets_https_scheme(serve_app, certs):
    server = serve_app(apps.environ_json, **tls_options(certs))
    with tls_connect(server, client_context(certs)) as sock:
        assert sock.selected_alpn_protocol() == "http/1.1"
        assert sock.version() in ("TLSv1.2", "TLSv1.3")
        sock.sendall(b"GET /secure?x=1 HTTP/1.1\r\nHost: localhost\r\n\r\n")
        response = ResponseReader(sock).read_response()
    environ = json.loads(response.body)
    assert response.status == 200
    assert environ["wsgi.url_scheme"] == "https"
    assert environ["PATH_INFO"] == "/secure"
    assert server.url.startswith("http://")  # the listener's own URL; the banner says https


def test_keep_alive_and_pipelining_over_tls(serve_app, certs):
    recorder = apps.Recorder()
    server = serve_app(recorder, **tls_options(certs))
    with tls_connect(server, client_context(certs)) as sock:
        reader = ResponseReader(sock)
        for n in range(3):  # one request at a time, same connection
            sock.sendall(f"GET /one/{n} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            assert reader.read_response().body == f"GET /one/{n}".encode()
        sock.sendall(b"".join(f"GET /p/{n} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
                              for n in range(10)))  # ten in one write
        bodies = [reader.read_response().body for _ in range(10)]
        assert bodies == [f"GET /p/{n}".encode() for n in range(10)]
    assert len({environ["REMOTE_PORT"] for environ in recorder.environs}) == 1


def test_large_upload_and_echo_over_tls(serve_app, certs):
    server = serve_app(apps.echo, **tls_options(certs))
    body = os.urandom(3 * 1024 * 1024 + 17)  # many TLS records each way
    with requests.Session() as session:
        reply = session.post(f"https://localhost:{server.port}/", data=body,
                             verify=str(certs.ca), timeout=20)
        assert reply.status_code == 200
        assert reply.content == body
        assert session.get(f"https://localhost:{server.port}/", verify=str(certs.ca),
                           timeout=5).status_code == 200


def test_large_file_wrapper_response_over_tls(serve_app, certs, tmp_path):
    path = tmp_path / "big.bin"
    data = os.urandom(5 * 1024 * 1024 + 3)
    path.write_bytes(data)

    def file_app(environ: dict[str, Any], start_response: Any) -> Any:
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return environ["wsgi.file_wrapper"](open(path, "rb"))

    server = serve_app(file_app, **tls_options(certs))
    with tls_connect(server, client_context(certs), timeout=20) as sock:
        reader = ResponseReader(sock)
        for _ in range(2):  # the connection stays usable after the file
            sock.sendall(b"GET /file HTTP/1.1\r\nHost: x\r\n\r\n")
            response = reader.read_response()
            assert response.header("Content-Length") == str(len(data))
            assert response.body == data


def test_curl_verifies_the_certificate_and_reuses_the_connection(serve_app, certs):
    server = serve_app(apps.environ_json, **tls_options(certs))
    urls = [f"https://localhost:{server.port}/{n}" for n in range(2)]
    result = subprocess.run(
        ["curl", "--silent", "--show-error", "--max-time", "10", "--cacert", str(certs.ca),
         "--write-out", r"\n%{http_code} %{num_connects}\n", *urls],
        capture_output=True, text=True, timeout=20, check=True,
    )
    lines = result.stdout.strip().split("\n")
    assert lines[1::2] == ["200 1", "200 0"]
    assert json.loads(lines[0])["wsgi.url_scheme"] == "https"


def test_connection_close_response_ends_with_close_notify(serve_app, certs):
    server = serve_app(apps.hello, **tls_options(certs))
    with tls_connect(server, client_context(certs)) as sock:
        sock.sendall(b"GET / HTTP/1.0\r\nHost: x\r\n\r\n")
        answer = b""
        while chunk := sock.recv(65536):  # raises SSLEOFError without close_notify
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200 OK") and answer.endswith(b"Hello, World!")


# -- failures cost no worker ---------------------------------------------------------


def test_plain_http_to_the_tls_port_is_answered_400_and_closed(serve_app, certs, caplog):
    caplog.set_level(logging.DEBUG, logger="tapster.error")
    server = serve_app(apps.hello, **tls_options(certs))
    with server.connect() as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nUser-Agent: " + b"a" * 3000 + b"\r\n\r\n")
        answer = b""
        while chunk := sock.recv(65536):  # a clean end: no ConnectionResetError
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert answer.endswith(b"\r\n\r\nThis port speaks HTTPS: use an https:// URL to reach it\n")
    assert _wait_for(lambda: "TLS handshake" in caplog.text and "failed" in caplog.text)
    assert _get(server, certs) == 200  # still serving


def test_stalled_handshakes_are_closed_at_the_head_timeout_and_block_nobody(serve_app, certs,
                                                                           caplog):
    caplog.set_level(logging.DEBUG, logger="tapster.error")
    server = serve_app(apps.hello, threads=1, head_timeout=1.0, **tls_options(certs))
    silent = [server.connect(timeout=10) for _ in range(3)]
    partial = server.connect(timeout=10)
    partial.sendall(b"\x16\x03\x01\x02\x00\x01")  # the start of a ClientHello, no more
    try:
        time.sleep(0.2)
        started = time.monotonic()
        assert _get(server, certs) == 200  # served at once, with its one thread
        assert time.monotonic() - started < 1.0
        for sock in [*silent, partial]:
            # TCP_DEFER_ACCEPT holds a silent one for a second, then the head time-out.
            assert read_until_closed(sock) == b""
            assert time.monotonic() - started < 5.0
    finally:
        for sock in [*silent, partial]:
            sock.close()
    assert _wait_for(lambda: "not finished in time" in caplog.text)
    stalls = [r for r in caplog.records if "TLS handshake" in r.getMessage()]
    assert stalls and all(r.levelno == logging.DEBUG for r in stalls)


# -- client certificates ---------------------------------------------------------------


def test_required_client_certificate(serve_app, certs, caplog):
    caplog.set_level(logging.DEBUG, logger="tapster.error")
    server = serve_app(peer_cert_app, cert_reqs="required", ca_certs=str(certs.ca),
                       **tls_options(certs))
    url = f"https://localhost:{server.port}/"
    reply = requests.get(url, verify=str(certs.ca), timeout=5,
                         cert=(str(certs.client_cert), str(certs.client_key)))
    assert reply.json() == {"subject": {"commonName": "alice"}, "scheme": "https"}

    # Without a certificate: the handshake fails (TLS 1.3 reports it at the first read).
    with pytest.raises(OSError):  # SSLError, a reset, or our own "closed"
        _request_over(tls_connect(server, client_context(certs)))
    assert _wait_for(lambda: "TLS handshake" in caplog.text)
    assert not [r for r in caplog.records if r.levelno > logging.DEBUG and "TLS" in r.message]

    # Signed by an authority the server does not trust: refused too.
    stranger = client_context(certs)
    stranger.load_cert_chain(str(certs.stranger_cert), str(certs.stranger_key))
    with pytest.raises(OSError):  # SSLError, a reset, or our own "closed"
        _request_over(tls_connect(server, stranger))

    # And the server goes on serving.
    reply = requests.get(url, verify=str(certs.ca), timeout=5,
                         cert=(str(certs.client_cert), str(certs.client_key)))
    assert reply.status_code == 200


def test_optional_client_certificate(serve_app, certs):
    server = serve_app(peer_cert_app, cert_reqs="optional", ca_certs=str(certs.ca),
                       **tls_options(certs))
    url = f"https://localhost:{server.port}/"
    assert requests.get(url, verify=str(certs.ca), timeout=5).json()["subject"] is None
    reply = requests.get(url, verify=str(certs.ca), timeout=5,
                         cert=(str(certs.client_cert), str(certs.client_key)))
    assert reply.json()["subject"] == {"commonName": "alice"}


def test_minimum_version_tls13_refuses_tls12(serve_app, certs):
    server = serve_app(apps.hello, ssl_min_version="TLSv1.3", **tls_options(certs))
    context = client_context(certs)
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    with pytest.raises(ssl.SSLError):
        tls_connect(server, context).close()
    with tls_connect(server, client_context(certs)) as sock:
        assert sock.version() == "TLSv1.3"


def test_ciphers_limit_what_a_tls12_handshake_may_choose(serve_app, certs):
    chosen = "ECDHE-ECDSA-AES128-GCM-SHA256"
    server = serve_app(apps.hello, ciphers=chosen, **tls_options(certs))
    context = client_context(certs)
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    with tls_connect(server, context) as sock:
        assert sock.cipher()[0] == chosen
    context.set_ciphers("ECDHE-ECDSA-AES256-GCM-SHA384")  # not in the server's list
    with pytest.raises(ssl.SSLError):
        tls_connect(server, context).close()


def test_a_cipher_list_that_matches_nothing_is_one_line_at_start_up(certs):
    result = run_tapster(["serve", "tests.apps:hello", "--bind", "127.0.0.1:0",
                          *("--certfile", str(certs.server_cert), "--keyfile",
                            str(certs.server_key)), "--ciphers", "NO-SUCH-CIPHER"])
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "tapster: error: no cipher matches the cipher list 'NO-SUCH-CIPHER'"
    ]


# -- settings and the command line -------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"keyfile": "k.pem"}, "keyfile needs certfile"),
        ({"cert_reqs": "required"}, "cert_reqs needs certfile"),
        ({"certfile": "c.pem", "cert_reqs": "required"}, "needs ca_certs"),
        ({"ssl_min_version": "TLSv1.1"}, "ssl_min_version"),
    ],
)
def test_invalid_tls_settings(options, message):
    with pytest.raises(SettingsError, match=message):
        Settings.from_options(options)


def test_unusable_certificate_is_one_line_at_start_up(certs, tmp_path):
    result = run_tapster(["serve", "tests.apps:hello", "--bind", "127.0.0.1:0",
                          "--certfile", str(tmp_path / "missing.pem")])
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"tapster: error: cannot load the certificate: no file {tmp_path / 'missing.pem'}"
    ]
    result = run_tapster(["serve", "tests.apps:hello", "--bind", "127.0.0.1:0",
                          "--certfile", str(certs.server_cert), "--keyfile",
                          str(certs.client_key)])
    assert result.returncode == 1
    assert "key values mismatch" in result.stderr


def test_tapster_serve_with_workers_over_tls(certs):
    with tapster_process("tests.apps:environ_json", "--workers", "2", "--certfile",
                         str(certs.server_cert), "--keyfile", str(certs.server_key)) as server:
        assert "Listening at: https://127.0.0.1:" in server.log
        reply = requests.get(f"https://localhost:{server.port}/w", verify=str(certs.ca),
                             timeout=5)
        assert reply.json()["wsgi.url_scheme"] == "https"


# -- helpers -----------------------------------------------------------------------------


def _request_over(sock: ssl.SSLSocket) -> None:
    with sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        if not sock.recv(1024):
            raise ConnectionError("closed without an answer")


def _get(server: Any, certs: Certificates) -> int:
    return requests.get(f"https://localhost:{server.port}/", verify=str(certs.ca),
                        timeout=5).status_code


def _wait_for(condition: Any, timeout: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


# -- App.run(ssl_context=...), as Flask takes it ------------------------------------------


def test_app_run_with_flask_ssl_context(tmp_path, certs):
    (tmp_path / "tlsapp.py").write_text(
        "import sys\n"
        "from tapster import App, request\n"
        "app = App(__name__)\n"
        "@app.route('/')\n"
        "def index():\n"
        "    return {'scheme': request.scheme, 'url': request.url}\n"
        "if __name__ == '__main__':\n"
        "    app.run(port=0, ssl_context=(sys.argv[1], sys.argv[2]))\n"
    )
    env = child_environment(PYTHONPATH=str(REPO_ROOT / "src"))
    command = [sys.executable, "tlsapp.py", str(certs.server_cert), str(certs.server_key)]
    with TapsterProcess([], command=command, cwd=tmp_path, env=env) as server:
        url = server.listening_urls()[0]
        assert url.startswith("https://127.0.0.1:")
        port = url.rsplit(":", 1)[1]
        reply = requests.get(f"https://localhost:{port}/", verify=str(certs.ca), timeout=5)
        assert reply.json() == {"scheme": "https", "url": f"https://localhost:{port}/"}


def test_app_run_ssl_context_forms():
    assert _certificate_options(("c.pem", "k.pem")) == {"certfile": "c.pem", "keyfile": "k.pem"}
    assert _certificate_options("both.pem") == {"certfile": "both.pem"}
    assert _certificate_options(None) == {}
    for unsupported in ("adhoc", ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)):
        with pytest.raises(TypeError, match="takes files"):
            _certificate_options(unsupported)


def test_a_client_that_stops_reading_is_dropped_at_the_send_timeout(serve_app, certs):
    big = b"x" * (16 * 1024 * 1024)

    def large(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return [big] if environ["PATH_INFO"] == "/big" else [b"small"]

    server = serve_app(large, threads=1, send_timeout=1.0, **tls_options(certs))
    with tls_connect(server, client_context(certs), timeout=10) as stalled:
        stalled.sendall(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n")  # and never read
        time.sleep(0.3)
        started = time.monotonic()
        # The one thread is busy writing to the stalled client until the send time-out.
        reply = requests.get(f"https://localhost:{server.port}/small", verify=str(certs.ca),
                             timeout=10)
        assert reply.content == b"small"
        assert 0.3 < time.monotonic() - started < 5.0
