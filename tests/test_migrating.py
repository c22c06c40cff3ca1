"""docs/migrating.md stays true: its import table ports its worked example.

The example's files (a ``python`` block whose first line is ``# NAME.py``,
an ``html`` block whose first line is ``{# templates/NAME #}``) are saved as
the Flask app; the import table is applied to them mechanically (each module
of the first column becomes the one of the second, and each "`A` is `B`" of
the third column renames A to B); the result must be what the page's diff
shows, and the example's tests must pass under Flask and, ported, under
tapster's test client with neither Flask nor Werkzeug importable.
"""

from __future__ import annotations

import difflib
import importlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "migrating.md"
FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.M | re.S)
ROW = re.compile(r"^\| `([\w.]+)` \| `([\w.]+)` \|(.*)\|$", re.M)
RENAME = re.compile(r"`(\w+)` is `(\w+)`")
#: Put first on the path of the ported tests: importing Flask or Werkzeug fails.
BLOCKER = "import sys\nsys.modules['flask'] = None\nsys.modules['werkzeug'] = None\n"


def import_table() -> tuple[list[tuple[str, str]], dict[str, str]]:
    """(module pairs, longest Flask module first; renamed names) from the page's table."""
    text = PAGE.read_text()
    table = text.split("## 1. Change the imports", 1)[1].split("\n## ", 1)[0]
    rows = ROW.findall(table)
    modules = sorted(((old, new) for old, new, _ in rows), key=lambda pair: -len(pair[0]))
    renames = dict(pair for _, _, notes in rows for pair in RENAME.findall(notes))
    return modules, renames


def example_files() -> dict[str, str]:
    """The worked example's files, by path."""
    example = PAGE.read_text().split("## A worked example", 1)[1]
    files = {}
    for language, text in FENCE.findall(example):
        first, _, body = text.partition("\n")
        if language == "python" and first.startswith("# "):
            files[first[2:].strip()] = body
        elif language == "html" and first.startswith("{#"):
            files[first.strip("{# }")] = body
    return files


def port(source: str) -> str:
    """Apply the import table to a Python file, as the page says to."""
    modules, renames = import_table()
    for old, new in modules:
        source = re.sub(rf"^(\s*)from {re.escape(old)} import ", rf"\1from {new} import ",
                        source, flags=re.M)
        source = re.sub(rf"^(\s*)import {re.escape(old)}$", rf"\1import {new}", source,
                        flags=re.M)
    for old, new in renames.items():
        source = re.sub(rf"\b{old}\b", new, source)
    return source


def diff_block() -> dict[str, list[str]]:
    """The page's diff: the changed lines (``-`` and ``+``) of each file."""
    example = PAGE.read_text().split("## A worked example", 1)[1]
    (text,) = [text for language, text in FENCE.findall(example) if language == "diff"]
    changes: dict[str, list[str]] = {}
    name = ""
    for line in text.splitlines():
        if line.startswith("--- "):
            name = line[4:].strip()
            changes[name] = []
        elif line.startswith(("-", "+")) and not line.startswith("+++ "):
            changes[name].append(line)
    return changes


def save(files: dict[str, str], folder: Path) -> None:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def run_pytest(folder: Path, python_path: list[str]) -> subprocess.CompletedProcess[str]:
    environment = dict(os.environ, PYTHONPATH=os.pathsep.join(python_path))
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir",
         str(folder), str(folder)],
        cwd=folder, env=environment, capture_output=True, text=True, timeout=120,
    )


def test_every_module_of_the_table_exists():
    modules, renames = import_table()
    assert len(modules) >= 20
    for old, new in modules:
        importlib.import_module(new)
        importlib.import_module(old)  # Flask is a test dependency
    assert renames == {"Flask": "App", "FlaskGroup": "TapsterGroup",
                       "FlaskClient": "Client", "FlaskCliRunner": "CliRunner"}
    tapster_names = {"tapster": "App", "tapster.cli": "TapsterGroup",
                     "tapster.testing": "Client"}
    for module, name in tapster_names.items():
        assert hasattr(importlib.import_module(module), name)


def test_what_the_page_says_is_missing_is_missing():
    import tapster
    import tapster.exceptions
    import tapster.utils

    for module, name in [(tapster.utils, "safe_join"), (tapster.utils, "generate_password_hash"),
                         (tapster.exceptions, "BadHost"), (tapster, "ProxyFix")]:
        assert not hasattr(module, name), name


def test_the_header_value_types_come_with_the_containers():
    from tapster.datastructures import MIMEAccept, MultiDict, Range  # noqa: F401


def test_the_diff_is_the_import_table_applied():
    files = example_files()
    assert set(files) == {"guestbook.py", "test_guestbook.py", "templates/entries.html"}
    expected = diff_block()
    for name in ("guestbook.py", "test_guestbook.py"):
        before, after = files[name].splitlines(), port(files[name]).splitlines()
        changed = [line for line in difflib.unified_diff(before, after, lineterm="", n=0)
                   if line[:1] in "-+" and not line.startswith(("---", "+++"))]
        # unified_diff gives each hunk's removed lines, then its added ones, as the page does
        assert changed == expected[name], name
    assert set(expected) == {"guestbook.py", "test_guestbook.py"}


@pytest.mark.slow
def test_the_example_passes_under_flask_and_ported_under_tapster(tmp_path):
    files = example_files()
    flask_dir, tapster_dir, blocker = tmp_path / "flask", tmp_path / "tapster", tmp_path / "block"
    save(files, flask_dir)
    save({name: port(text) if name.endswith(".py") else text for name, text in files.items()},
         tapster_dir)
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text(BLOCKER)

    under_flask = run_pytest(flask_dir, [str(flask_dir)])
    assert under_flask.returncode == 0, under_flask.stdout + under_flask.stderr
    assert "3 passed" in under_flask.stdout

    ported = run_pytest(tapster_dir, [str(blocker), str(tapster_dir), str(ROOT / "src")])
    assert ported.returncode == 0, ported.stdout + ported.stderr
    assert "3 passed" in ported.stdout
    for text in (tapster_dir / "guestbook.py").read_text(), (
            tapster_dir / "test_guestbook.py").read_text():
        assert not re.search(r"\b(flask|werkzeug|Flask)\b", text)
