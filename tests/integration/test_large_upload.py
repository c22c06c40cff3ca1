"""A 100 MiB upload, chunked or by Content-Length, streams through ``tapster serve``.

The test generates the body as it sends it (one 64 KiB block, sent again
and again), and the application counts the bytes in 64 KiB reads, so neither
side holds the body. The server's peak resident memory (VmHWM) says whether
tapster did.

The same with a tapster app (tests/integration/upload_app.py) that takes the
body as a multipart form and calls ``request.files["f"].save(path)``: the
framework's parser spools the file to a temporary file and the server's
peak memory stays far below the upload's size.
"""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.conftest import ServerProcess
from tests.processes import child_environment

BLOCK = bytes(range(256)) * 256  # 64 KiB
BLOCKS = 1600  # 100 MiB
TOTAL = len(BLOCK) * BLOCKS
#: Allowed growth of the server's peak RSS over its RSS before the upload.
MAX_GROWTH = 100 * 1024 * 1024


def body():
    for _ in range(BLOCKS):
        yield BLOCK


@pytest.mark.parametrize("framing", ["chunked", "content-length"])
def test_100_mib_upload_in_bounded_memory(spawn_tapster, framing):
    server = spawn_tapster("tests.apps:count_bytes")
    rss_before = server.status("VmRSS")
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    if framing == "chunked":
        headers = {"Transfer-Encoding": "chunked"}
    else:
        headers = {"Content-Length": str(TOTAL)}
    started = time.monotonic()
    try:
        connection.request("POST", "/", body=body(), encode_chunked=framing == "chunked",
                           headers={**headers, "Content-Type": "application/octet-stream"})
        response = connection.getresponse()
        answer = response.read()
    finally:
        connection.close()
    elapsed = time.monotonic() - started
    peak = server.status("VmHWM")
    growth = peak - rss_before
    print(f"\n100 MiB upload ({framing}): {elapsed:.2f}s ({TOTAL / elapsed / 2**20:.0f} MiB/s); "
          f"server RSS before {rss_before / 2**20:.1f} MiB, peak {peak / 2**20:.1f} MiB, "
          f"growth {growth / 2**20:.1f} MiB")
    assert response.status == 200, server.log
    assert int(answer) == TOTAL
    assert growth < MAX_GROWTH, f"the server's peak RSS grew by {growth / 2**20:.1f} MiB"


BOUNDARY = "tapster-upload-test"


def multipart_upload(blocks: int) -> tuple[int, Iterator[bytes]]:
    """Length and body (made as it is sent) of a form: a field, a file of ``blocks`` blocks."""
    head = (
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="title"\r\n\r\n'
        "holiday\r\n"
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="f"; filename="big.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()

    def body() -> Iterator[bytes]:
        yield head
        for _ in range(blocks):
            yield BLOCK
        yield tail

    return len(head) + len(BLOCK) * blocks + len(tail), body()


def post_upload(port: int, target: str, blocks: int, framing: str) -> tuple[int, dict[str, Any]]:
    length, body = multipart_upload(blocks)
    headers = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
    if framing == "chunked":
        headers["Transfer-Encoding"] = "chunked"
    else:
        headers["Content-Length"] = str(length)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        connection.request("POST", target, body=body, headers=headers,
                           encode_chunked=framing == "chunked")
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        connection.close()


#: Allowed growth of the server's peak RSS over its RSS after a warm-up
#: upload. (VmHWM, not getrusage: ru_maxrss keeps the peak of the process
#: image before exec, here the forked test runner.)
MAX_FORM_GROWTH = 60 * 1024 * 1024


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_100_mib_file_upload_is_saved_in_bounded_memory(tmp_path, framing):
    spool = tmp_path / "spool"
    spool.mkdir()
    environment = child_environment(TMPDIR=str(spool))
    command = ["serve", "tests.integration.upload_app:app", "--bind", "127.0.0.1:0"]
    with ServerProcess(command, env=environment) as server:
        server.port = server.listening_address()[1]
        # A small upload first, so that what every request imports (the
        # multipart parser, JSON) is in the baseline.
        status, answer = post_upload(server.port, f"/upload?to={tmp_path / 'warm'}", 1, framing)
        assert status == 200, server.log
        rss_before = server.status("VmRSS")
        destination = tmp_path / "saved.bin"
        started = time.monotonic()
        status, answer = post_upload(server.port, f"/upload?to={destination}", BLOCKS, framing)
        elapsed = time.monotonic() - started
        peak = server.status("VmHWM")
        assert status == 200, server.log
        growth = peak - rss_before
        print(f"\n100 MiB multipart upload ({framing}) saved by the app: {elapsed:.2f}s; "
              f"server RSS before {rss_before / 2**20:.1f} MiB, peak {peak / 2**20:.1f} MiB, "
              f"growth {growth / 2**20:.1f} MiB")
        assert answer["filename"] == "big.bin" and answer["form"] == {"title": "holiday"}
        assert answer["size"] == TOTAL
        with open(destination, "rb") as saved:
            assert all(saved.read(len(BLOCK)) == BLOCK for _ in range(BLOCKS))
            assert saved.read() == b""
        assert growth < MAX_FORM_GROWTH, f"the server's peak RSS grew by {growth / 2**20:.1f} MiB"
        # The spooled file was deleted when the request ended.
        assert list(spool.iterdir()) == []
