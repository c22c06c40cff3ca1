"""The fuzz targets in fuzz/: their seed corpus replayed, then each fuzzed for a bounded time.

The replay needs nothing but the engine: every seed goes through the same
checks the targets make (``fuzz/harness.py``). The fuzzing runs each target
in a subprocess under atheris (libFuzzer) for ``FUZZ_SECONDS`` seconds (12 by
default; 0 skips it) and fails on any crash: an exception other than the
engine's ``RemoteProtocolError``, or a broken invariant. Without atheris
installed (no wheel for this Python), the fuzzing is skipped and the replay
still runs. docs/security.md says how to fuzz for hours.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

FUZZ = Path(__file__).resolve().parents[2] / "fuzz"
TARGETS = ["request_parser", "chunked_body"]
SECONDS = int(os.environ.get("FUZZ_SECONDS", "12"))

sys.path.insert(0, str(FUZZ))
import harness  # noqa: E402  (fuzz/ is not a package: its scripts run standalone)


def seeds(target: str) -> list[Path]:
    return sorted((FUZZ / "corpus" / target).iterdir())


@pytest.mark.parametrize("seed", seeds("request_parser"), ids=lambda path: path.name)
def test_request_parser_seeds_pass_the_checks(seed: Path) -> None:
    harness.check(seed.read_bytes())


@pytest.mark.parametrize("seed", seeds("chunked_body"), ids=lambda path: path.name)
def test_chunked_body_seeds_pass_the_checks(seed: Path) -> None:
    harness.check_chunked(seed.read_bytes())


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"5\r\nhello\r\n0\r\n\r\n", b"hello"),
        (b"5 ; a = \"b\"\r\nhello\r\n0\r\nX: y\r\n\r\nrest", b"hello"),
        (b"5\r\nhello\r\n0\r\n", None),  # the end of the body never came
        (b"5\nhello\r\n0\r\n\r\n", None),
        (b"0x5\r\nhello\r\n0\r\n\r\n", None),
        (b"5\r\nhelloXX0\r\n\r\n", None),
        (b"0\r\nX : y\r\n\r\n", None),
    ],
)
def test_reference_decoder(body: bytes, expected: bytes | None) -> None:
    """The oracle itself, on bodies whose meaning is known."""
    assert harness.reference_chunked(body) == expected
    harness.check_chunked(body)


def test_a_broken_invariant_is_caught() -> None:
    """The checks have teeth: a parser that lost a body would be reported."""
    [(request, _)] = harness.messages(harness.run([b"POST / HTTP/1.1\r\nHost: a\r\n"
                                                      b"Content-Length: 2\r\n\r\nok"])[0])
    with pytest.raises(harness.InvariantError):
        harness.messages([request, harness.Data(b"o"), harness.EndOfMessage()])


@pytest.mark.skipif(SECONDS <= 0, reason="FUZZ_SECONDS=0")
@pytest.mark.parametrize("target", TARGETS)
def test_fuzz_target_finds_no_crash(target: str, tmp_path: Path) -> None:
    """libFuzzer runs the target for FUZZ_SECONDS; exit status 0 means no finding."""
    if importlib.util.find_spec("atheris") is None:
        pytest.skip("atheris is not installed (no wheel for this Python)")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    env = dict(os.environ)
    src = str(FUZZ.parent / "src")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [src, env.get("PYTHONPATH")]))
    command = [
        sys.executable, str(FUZZ / f"{target}.py"), str(corpus), str(FUZZ / "corpus" / target),
        f"-max_total_time={SECONDS}", "-max_len=4096", "-timeout=10", "-rss_limit_mb=1024",
        f"-artifact_prefix={tmp_path}/", "-print_final_stats=1",
    ]
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=SECONDS + 120, check=False)
    crashes = sorted(path.name for path in tmp_path.iterdir() if path.name != "corpus")
    assert result.returncode == 0 and not crashes, (
        f"{target}: exit {result.returncode}, artifacts {crashes}\n{result.stderr[-4000:]}"
    )
    assert "Done" in result.stderr  # libFuzzer ran, and ran to the end
