"""A 100 MiB upload, chunked or by Content-Length, streams through ``tapster serve``.

The test generates the body as it sends it (one 64 KiB block, sent again
and again), and the application counts the bytes in 64 KiB reads, so neither
side holds the body. The server's peak resident memory (VmHWM) says whether
tapster did.
"""

from __future__ import annotations

import http.client
import time

import pytest

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
