"""Proxies in front, through a live server: forwarded headers and the PROXY protocol."""

from __future__ import annotations

import json
import socket
import ssl
import struct
import time
from typing import Any

import pytest

from tests import apps
from tests.certs import Certificates, make_certificates
from tests.conftest import read_until_closed
from tests.rawhttp import ResponseReader

V2_SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"
KEYS = ("REMOTE_ADDR", "REMOTE_PORT", "wsgi.url_scheme", "HTTP_HOST", "SERVER_PORT",
        "SCRIPT_NAME", "PATH_INFO")


def environ_over(sock: socket.socket, headers: list[tuple[str, str]] = (),
                 target: str = "/path") -> dict[str, Any]:
    lines = [f"GET {target} HTTP/1.1", "Host: internal:8000", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
    response = ResponseReader(sock).read_response()
    assert response.status == 200, response
    return json.loads(response.body)


def picked(environ: dict[str, Any]) -> dict[str, str]:
    return {key: environ.get(key) for key in KEYS}


# -- Forwarded and X-Forwarded-*, from trusted and untrusted peers --------------------------

HEADER_FORMS = {
    "x-forwarded": [("X-Forwarded-For", "6.6.6.6, 203.0.113.9"), ("X-Forwarded-Proto", "https"),
                    ("X-Forwarded-Host", "example.com"), ("X-Forwarded-Port", "8443"),
                    ("X-Forwarded-Prefix", "/shop")],
    "forwarded-ipv6": [("Forwarded", 'for="[2001:db8:cafe::17]:4711";proto=https;'
                                     'host="example.com:8443"'),
                       ("X-Forwarded-Prefix", "/shop")],
    "forwarded-hops": [("Forwarded", "for=6.6.6.6;proto=http;host=evil.example, "
                                     'for=203.0.113.9;proto=https;host="example.com:8443", '
                                     "for=127.0.0.1;proto=http;host=internal"),
                       ("X-Forwarded-Prefix", "/shop")],
}
TRUSTED_RESULT = {
    "x-forwarded": ("203.0.113.9", ""),
    "forwarded-ipv6": ("2001:db8:cafe::17", "4711"),
    "forwarded-hops": ("203.0.113.9", ""),
}


@pytest.mark.parametrize("form", sorted(HEADER_FORMS))
@pytest.mark.parametrize("allow", ["127.0.0.1", "10.0.0.0/8,::1", "*"])
def test_forwarded_headers_by_peer(serve_app, form, allow):
    server = serve_app(apps.environ_json, forwarded_allow_ips=allow)
    with server.connect() as sock:
        environ = environ_over(sock, HEADER_FORMS[form])
    if allow == "10.0.0.0/8,::1":  # 127.0.0.1, the test's peer, not trusted: untouched
        assert picked(environ) == {
            "REMOTE_ADDR": "127.0.0.1", "REMOTE_PORT": environ["REMOTE_PORT"],
            "wsgi.url_scheme": "http", "HTTP_HOST": "internal:8000",
            "SERVER_PORT": str(server.port), "SCRIPT_NAME": "", "PATH_INFO": "/path",
        }
        for name, value in HEADER_FORMS[form]:  # passed on as sent
            assert environ["HTTP_" + name.upper().replace("-", "_")] == value
        return
    address, port = TRUSTED_RESULT[form]
    if allow == "*" and form == "x-forwarded":
        address = "6.6.6.6"  # everyone trusted: the left-most entry
    if allow == "*" and form == "forwarded-hops":
        # Everyone trusted: the left-most element, with what it says.
        assert picked(environ) == {
            "REMOTE_ADDR": "6.6.6.6", "REMOTE_PORT": "", "wsgi.url_scheme": "http",
            "HTTP_HOST": "evil.example", "SERVER_PORT": "80", "SCRIPT_NAME": "/shop",
            "PATH_INFO": "/path",
        }
        return
    assert picked(environ) == {
        "REMOTE_ADDR": address, "REMOTE_PORT": port, "wsgi.url_scheme": "https",
        "HTTP_HOST": "example.com:8443", "SERVER_PORT": "8443", "SCRIPT_NAME": "/shop",
        "PATH_INFO": "/path",
    }
    assert environ["HTTP_X_FORWARDED_PREFIX"] == "/shop"  # the fields stay for the app to see


def test_root_path_and_prefix(serve_app):
    server = serve_app(apps.environ_json, root_path="/app")
    with server.connect() as sock:
        environ = environ_over(sock, [("X-Forwarded-Prefix", "/outer")], target="/app/x")
    assert (environ["SCRIPT_NAME"], environ["PATH_INFO"]) == ("/outer/app", "/x")


def test_keep_alive_connection_rewrites_each_request_on_its_own(serve_app):
    server = serve_app(apps.environ_json)
    with server.connect() as sock:
        reader = ResponseReader(sock)
        remotes = []
        for forwarded_for in ("203.0.113.1", None, "203.0.113.2"):
            extra = f"X-Forwarded-For: {forwarded_for}\r\n" if forwarded_for else ""
            sock.sendall(f"GET / HTTP/1.1\r\nHost: x\r\n{extra}\r\n".encode())
            remotes.append(json.loads(reader.read_response().body)["REMOTE_ADDR"])
    assert remotes == ["203.0.113.1", "127.0.0.1", "203.0.113.2"]


def test_unix_socket_peers_are_trusted_by_default(serve_app, tmp_path):
    path = str(tmp_path / "s.sock")
    serve_app(apps.environ_json, bind=[f"unix:{path}"])
    with socket.socket(socket.AF_UNIX) as sock:
        sock.settimeout(5)
        sock.connect(path)
        environ = environ_over(sock, [("X-Forwarded-For", "203.0.113.9")])
    assert environ["REMOTE_ADDR"] == "203.0.113.9"


def test_access_log_shows_the_client(serve_app, caplog):
    caplog.set_level("INFO", logger="tapster.access")
    server = serve_app(apps.hello, access_log="-")
    with server.connect() as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 203.0.113.9\r\n"
                     b"Connection: close\r\n\r\n")
        read_until_closed(sock)
    deadline = time.monotonic() + 3
    while "203.0.113.9" not in caplog.text and time.monotonic() < deadline:
        time.sleep(0.02)
    assert caplog.text.split()[0:1] != [] and "203.0.113.9 - -" in caplog.text


# -- the PROXY protocol --------------------------------------------------------------------


def v1(source: str = "203.0.113.9", sport: int = 4711) -> bytes:
    family = "TCP6" if ":" in source else "TCP4"
    destination = "::1" if family == "TCP6" else "127.0.0.1"
    return f"PROXY {family} {source} {destination} {sport} 8000\r\n".encode()


def v2(source: str = "198.51.100.7", sport: int = 5000, command: int = 1) -> bytes:
    block = socket.inet_aton(source) + socket.inet_aton("127.0.0.1") + struct.pack(
        "!HH", sport, 8000)
    return V2_SIGNATURE + bytes([0x20 | command, 0x11]) + struct.pack("!H", len(block)) + block


def test_proxy_v1_and_v2(serve_app):
    server = serve_app(apps.environ_json, proxy_protocol=True)
    with server.connect() as sock:
        sock.sendall(v1())
        environ = environ_over(sock)
    assert (environ["REMOTE_ADDR"], environ["REMOTE_PORT"]) == ("203.0.113.9", "4711")
    with server.connect() as sock:
        sock.sendall(v1("2001:db8::9", 1))
        assert environ_over(sock)["REMOTE_ADDR"] == "2001:db8::9"
    with server.connect() as sock:
        sock.sendall(v2())
        environ = environ_over(sock)
    assert (environ["REMOTE_ADDR"], environ["REMOTE_PORT"]) == ("198.51.100.7", "5000")
    with server.connect() as sock:
        sock.sendall(v2(command=0))  # LOCAL: the proxy's own health check
        assert environ_over(sock)["REMOTE_ADDR"] == "127.0.0.1"


def test_proxy_header_in_pieces_and_with_the_request_in_the_same_write(serve_app):
    server = serve_app(apps.environ_json, proxy_protocol=True)
    header = v2()
    with server.connect() as sock:
        for piece in (header[:3], header[3:14], header[14:20], header[20:]):
            sock.sendall(piece)
            time.sleep(0.05)
        assert environ_over(sock)["REMOTE_ADDR"] == "198.51.100.7"
    with server.connect() as sock:
        sock.sendall(v1()[:10])
        time.sleep(0.05)
        sock.sendall(v1()[10:] + b"GET /same HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        response = ResponseReader(sock).read_response()
        assert json.loads(response.body)["PATH_INFO"] == "/same"


@pytest.mark.parametrize(
    "data",
    [
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",  # no header: required once proxy_protocol is on
        b"PROXY TCP4 1.2.3.4 5.6.7.8 1\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n",
        b"PROXY TCP4 " + b"1" * 200,
        V2_SIGNATURE + b"\x21\x11\x00\x04abcd",  # too short for IPv4
    ],
)
def test_bad_proxy_header_closes_without_an_answer(serve_app, data):
    server = serve_app(apps.environ_json, proxy_protocol=True)
    with server.connect() as sock:
        sock.sendall(data)
        assert read_until_closed(sock) == b""


def test_proxy_header_that_never_ends_is_closed_at_the_head_timeout(serve_app):
    server = serve_app(apps.hello, proxy_protocol=True, head_timeout=1.0)
    with server.connect(timeout=10) as sock:
        sock.sendall(b"PROXY TCP4 1.2.")
        started = time.monotonic()
        assert read_until_closed(sock) == b""
        assert time.monotonic() - started < 4


def test_proxy_header_from_an_untrusted_peer_is_not_read(serve_app):
    server = serve_app(apps.environ_json, proxy_protocol=True, forwarded_allow_ips="10.0.0.1")
    with server.connect() as sock:
        sock.sendall(v1() + b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert ResponseReader(sock).read_response().status == 400  # not HTTP: refused
    with server.connect() as sock:  # untrusted peers speak plain HTTP
        assert environ_over(sock)["REMOTE_ADDR"] == "127.0.0.1"


def test_forwarded_headers_after_a_proxy_header_need_a_trusted_client(serve_app):
    # The PROXY header's source is the peer from then on: its forwarded
    # headers count only when that address is itself a trusted proxy.
    server = serve_app(apps.environ_json, proxy_protocol=True,
                       forwarded_allow_ips="127.0.0.1,198.51.100.0/24")
    with server.connect() as sock:
        sock.sendall(v1("203.0.113.9"))
        environ = environ_over(sock, [("X-Forwarded-For", "6.6.6.6")])
    assert environ["REMOTE_ADDR"] == "203.0.113.9"
    with server.connect() as sock:
        sock.sendall(v2("198.51.100.7"))
        environ = environ_over(sock, [("X-Forwarded-For", "203.0.113.5")])
    assert environ["REMOTE_ADDR"] == "203.0.113.5"


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return make_certificates(tmp_path_factory.mktemp("certs"))


def test_proxy_header_before_the_tls_handshake(serve_app, certs):
    server = serve_app(apps.environ_json, proxy_protocol=True, certfile=str(certs.server_cert),
                       keyfile=str(certs.server_key))
    context = ssl.create_default_context(cafile=str(certs.ca))
    raw = server.connect()
    raw.sendall(v2())
    with context.wrap_socket(raw, server_hostname="localhost") as sock:
        environ = environ_over(sock)
    assert (environ["REMOTE_ADDR"], environ["wsgi.url_scheme"]) == ("198.51.100.7", "https")
