#!/usr/bin/env python3
"""atheris fuzz target: tapster's request parser on raw bytes.

Each input is the bytes a client sends on one connection; ``harness.check``
says what must hold (only protocol errors, the same events however the bytes
are cut, a re-parse of each accepted request giving it back). Run it for as
long as you like (docs/security.md):

    python fuzz/request_parser.py NEW_CORPUS_DIR fuzz/corpus/request_parser \\
        -max_total_time=3600

A crash leaves ``crash-*`` beside you; replay it with
``python fuzz/request_parser.py crash-FILE``.
"""

from __future__ import annotations

import sys

import atheris

# Coverage feedback from the engine itself (and the harness), nothing else.
with atheris.instrument_imports(include=["tapster", "harness"]):
    from harness import check


def test_one_input(data: bytes) -> None:
    """One fuzzing input: a connection's bytes."""
    check(data)


def main() -> None:
    """Hand the target to libFuzzer with the command line's options."""
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
