"""A real Flask application served by ``tapster serve module:app``, through curl."""

from __future__ import annotations

import json
import subprocess

import pytest


def curl(*arguments: str) -> tuple[int, dict[str, str], bytes]:
    """Run curl; return the status, the (last) response's headers and the body."""
    result = subprocess.run(
        ["curl", "--silent", "--show-error", "--max-time", "10", "--include", *arguments],
        capture_output=True, timeout=20, check=True,
    )
    head, _, body = result.stdout.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.lower()] = value.strip()
    return int(status_line.split()[1]), headers, body


@pytest.fixture(scope="module")
def flask_server():
    from tests.integration.conftest import tapster_process

    with tapster_process("tests.integration.flask_app:app") as server:
        yield server


def test_path_converter(flask_server):
    status, headers, body = curl(f"{flask_server.url}/files/docs/2024/report%20final.pdf")
    assert status == 200
    assert headers["content-type"] == "application/json"
    assert headers["server"] == "tapster"
    assert json.loads(body) == {"subpath": "docs/2024/report final.pdf", "script_root": ""}


def test_path_converter_with_utf8(flask_server):
    status, _, body = curl(f"{flask_server.url}/files/caf%C3%A9/na%C3%AFve.txt")
    assert status == 200
    assert json.loads(body)["subpath"] == "caf\u00e9/na\u00efve.txt"


def test_json_post(flask_server):
    status, headers, body = curl(
        "-H", "Content-Type: application/json", "--data", '{"numbers": [1, 2, 3.5]}',
        f"{flask_server.url}/api/sum",
    )
    assert status == 201
    assert json.loads(body) == {"numbers": [1, 2, 3.5], "total": 6.5}
    assert headers["content-length"] == str(len(body))


def test_json_post_chunked(flask_server):
    status, _, body = curl(
        "-H", "Content-Type: application/json", "-H", "Transfer-Encoding: chunked",
        "--data", '{"numbers": [10, 20]}', f"{flask_server.url}/api/sum",
    )
    assert status == 201
    assert json.loads(body)["total"] == 30


def test_not_found(flask_server):
    status, headers, body = curl(f"{flask_server.url}/no/such/page")
    assert status == 404
    assert headers["content-type"].startswith("text/html")
    assert b"Not Found" in body


def test_method_not_allowed(flask_server):
    status, headers, _ = curl("-X", "DELETE", f"{flask_server.url}/api/sum")
    assert status == 405
    assert "POST" in headers["allow"]


def test_streamed_response_is_chunked(flask_server):
    status, headers, body = curl(f"{flask_server.url}/stream")
    assert status == 200
    assert headers["transfer-encoding"] == "chunked"
    assert body == b"".join(b"line %d\n" % n for n in range(5))


def test_one_curl_many_requests_one_connection(flask_server):
    result = subprocess.run(
        ["curl", "--silent", "--max-time", "10", "--output", "/dev/null", "--output",
         "/dev/null", "--output", "/dev/null", "--write-out", r"%{http_code}:%{num_connects} ",
         f"{flask_server.url}/files/a", f"{flask_server.url}/nope", f"{flask_server.url}/files/b"],
        capture_output=True, text=True, timeout=20, check=True,
    )
    assert result.stdout.split() == ["200:1", "404:0", "200:0"]


def test_root_path_becomes_flask_script_root(spawn_tapster):
    server = spawn_tapster("tests.integration.flask_app:app", "--root-path", "/prefix")
    status, _, body = curl(f"{server.url}/prefix/files/x/y")
    assert status == 200
    assert json.loads(body) == {"subpath": "x/y", "script_root": "/prefix"}
