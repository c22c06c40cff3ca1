"""bench/soak.py: its response parser and its report, on made-up data (the run itself is long)."""

from __future__ import annotations

import io

import pytest
from bench.soak import MIX, Result, Sample, app, parse_response, report


def test_parses_length_and_chunked_responses_and_waits_for_the_rest():
    sized = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
    assert parse_response(sized + b"HTTP/1.1") == (200, b"hello", len(sized))
    assert parse_response(sized[:-1]) is None
    chunked = (b"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n")
    assert parse_response(chunked) == (404, b"abcde", len(chunked))
    for cut in range(len(chunked)):
        assert parse_response(chunked[:cut]) is None
    with pytest.raises(ValueError):
        parse_response(b"HTTP/1.1 200 OK\r\n\r\nbody")  # no framing: not what tapster sends


def test_the_mix_is_answered_by_the_app():
    for route in MIX:
        statuses: list[str] = []
        method, path = route.request.split(b" ")[:2]
        body = route.request.split(b"\r\n\r\n", 1)[1]
        environ = {"PATH_INFO": path.decode(), "REQUEST_METHOD": method.decode(),
                   "wsgi.input": io.BytesIO(body)}
        answer = b"".join(app(environ, lambda status, headers, s=statuses: s.append(status)))
        assert (int(statuses[0][:3]), answer) == (route.status, route.body)


def run(requests: int, rss_last: int, errors: list[str] | None = None) -> Result:
    samples = [Sample(i * 0.2, requests * i // 100, 100 * 2**20 if i < 90 else rss_last, 57,
                      i * 0.1) for i in range(101)]
    return Result(requests, 100.0, 50, errors or [], samples)


def test_report_verdicts():
    text = report(run(1_000_000, 102 * 2**20), load=0.5, when="now")
    assert "| 1,000,000 | 0 | 10,000 |" in text
    assert "+2.0% | 57 → 57 |" in text
    assert "Verdict: passed (" in text
    assert "Verdict: failed" in report(run(1_000_000, 110 * 2**20), load=0.5, when="now")
    short = report(run(100_000, 100 * 2**20), load=0.5, when="now")
    assert "a short run: 100,000 of the 1,000,000" in short
    broken = report(run(1_000_000, 100 * 2**20, ["reset"]), load=0.5, when="now")
    assert "Verdict: failed" in broken
    assert "- `reset`" in broken
