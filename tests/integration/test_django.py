"""A real Django project served unchanged by ``tapster serve module:application``.

Django is a test-only dependency. The project (``django_app.py``) is what a
WSGI server gets from ``get_wsgi_application()``; requests and curl talk to
it over a real socket: routing, query strings, bodies (Content-Length and
chunked), multipart uploads spooled to a file, CSRF-protected forms with
cookies, streamed and file responses, Django's own 400 and 404, and the
forwarded scheme and host from a trusted proxy. Chunked bodies need
``--buffer-chunked-bodies``: Django reads a body without ``CONTENT_LENGTH``
as empty.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

import pytest
import requests

pytest.importorskip("django")

TIMEOUT = 10


@pytest.fixture(scope="module")
def django_server():
    from tests.integration.conftest import tapster_process

    with tapster_process("tests.integration.django_app:application") as server:
        yield server


@pytest.fixture(scope="module")
def buffering_django_server():
    # Django reads a body without CONTENT_LENGTH as empty, whatever the server:
    # --buffer-chunked-bodies reads a chunked body whole first and gives it one.
    from tests.integration.conftest import tapster_process

    with tapster_process("tests.integration.django_app:application",
                         "--buffer-chunked-bodies") as server:
        yield server


def test_routing_query_and_the_environ_django_reads(django_server):
    response = requests.get(f"{django_server.url}/hello/caf%C3%A9?q=1&q=two%20words",
                            timeout=TIMEOUT)
    assert response.status_code == 200
    assert response.headers["Server"] == "tapster"
    assert response.json() == {
        "hello": "café",
        "path": "/hello/café",
        "query": ["1", "two words"],
        "absolute": f"http://127.0.0.1:{django_server.port}/hello/caf%C3%A9?q=1&q=two%20words",
        "secure": False,
        "remote": "127.0.0.1",
    }


def test_bodies_with_a_length_and_chunked(django_server, buffering_django_server):
    body = os.urandom(300_000)
    expected = {"method": "PUT", "type": "application/octet-stream", "length": len(body),
                "sha256": hashlib.sha256(body).hexdigest()}
    sized = requests.put(f"{django_server.url}/echo", data=body, timeout=TIMEOUT,
                         headers={"Content-Type": "application/octet-stream"})
    assert sized.json() == expected
    chunked = requests.put(f"{buffering_django_server.url}/echo", timeout=TIMEOUT,
                           data=iter([body[:1000], body[1000:200_000], body[200_000:]]),
                           headers={"Content-Type": "application/octet-stream"})
    assert chunked.request.headers["Transfer-Encoding"] == "chunked"
    assert chunked.json() == expected


def test_a_multipart_upload_larger_than_django_keeps_in_memory(django_server, tmp_path):
    data = os.urandom(1024 * 1024)  # over FILE_UPLOAD_MAX_MEMORY_SIZE: Django spools it
    response = requests.post(f"{django_server.url}/upload", timeout=TIMEOUT,
                             data={"title": "report"},
                             files={"file": ("report.bin", data, "application/octet-stream")})
    assert response.json() == {"title": "report", "name": "report.bin", "size": len(data),
                               "sha256": hashlib.sha256(data).hexdigest()}


def test_a_csrf_protected_form_with_its_cookie(django_server):
    client = requests.Session()
    token = client.get(f"{django_server.url}/note", timeout=TIMEOUT).text
    assert "csrftoken" in client.cookies
    saved = client.post(f"{django_server.url}/note", timeout=TIMEOUT,
                        data={"csrfmiddlewaretoken": token, "text": "tea at five"})
    assert (saved.status_code, saved.text) == (200, "saved: tea at five")
    # Without the cookie, Django's middleware refuses the form.
    refused = requests.post(f"{django_server.url}/note", timeout=TIMEOUT,
                            data={"csrfmiddlewaretoken": token, "text": "forged"})
    assert refused.status_code == 403


def test_streamed_and_file_responses(django_server):
    streamed = requests.get(f"{django_server.url}/stream", timeout=TIMEOUT)
    assert streamed.headers["Transfer-Encoding"] == "chunked"  # no length known: chunked
    assert streamed.text == "".join(f"line {number}\n" for number in range(2000))
    source = Path(__file__).with_name("django_app.py").read_bytes()
    sent = requests.get(f"{django_server.url}/source", timeout=TIMEOUT)
    assert sent.headers["Content-Length"] == str(len(source))  # wsgi.file_wrapper, sendfile
    assert sent.content == source


def test_djangos_own_errors_reach_the_client(django_server):
    missing = requests.get(f"{django_server.url}/nowhere", timeout=TIMEOUT)
    assert missing.status_code == 404
    # A Host outside ALLOWED_HOSTS: Django's DisallowedHost, answered 400.
    result = subprocess.run(
        ["curl", "--silent", "--output", "/dev/null", "--write-out", "%{http_code}",
         "--max-time", "10", "-H", "Host: evil.example", f"{django_server.url}/hello/x"],
        capture_output=True, text=True, timeout=20, check=True,
    )
    assert result.stdout == "400"


def test_forwarded_scheme_and_host_from_a_trusted_proxy(django_server):
    # 127.0.0.1 is a trusted proxy by default (--forwarded-allow-ips): tapster
    # applies X-Forwarded-* to the environ, and Django builds its URLs from it.
    response = requests.get(f"{django_server.url}/hello/proxied", timeout=TIMEOUT, headers={
        "X-Forwarded-Proto": "https", "X-Forwarded-Host": "public.example",
        "X-Forwarded-For": "203.0.113.9",
    })
    assert response.json()["absolute"] == "https://public.example/hello/proxied"
    assert response.json()["secure"] is True
    assert response.json()["remote"] == "203.0.113.9"
