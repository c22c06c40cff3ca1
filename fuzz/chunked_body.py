#!/usr/bin/env python3
"""atheris fuzz target: tapster's chunked decoder, against a reference decoder.

Each input is the body of a request that says ``Transfer-Encoding: chunked``;
``harness.check_chunked`` runs every check of ``request_parser.py`` on the
whole request and compares the decoded data with ``harness.reference_chunked``
(RFC 9112 §7.1 written as one function). Long runs:

    python fuzz/chunked_body.py NEW_CORPUS_DIR fuzz/corpus/chunked_body \\
        -max_total_time=3600
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports(include=["tapster", "harness"]):
    from harness import check_chunked


def test_one_input(data: bytes) -> None:
    """One fuzzing input: a chunked body (and whatever follows it)."""
    check_chunked(data)


def main() -> None:
    """Hand the target to libFuzzer with the command line's options."""
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
