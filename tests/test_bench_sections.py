"""bench/sections.py: each bench script rewrites its own section of docs/benchmarks.md."""

from __future__ import annotations

import re

import pytest
from bench.sections import DOC_PATH, HEADER, markers, replace_section, write_section


def test_a_new_section_is_appended_and_an_old_one_replaced_in_place():
    text = replace_section(HEADER, "servers", "servers v1")
    text = replace_section(text, "routing", "routing v1\n")
    text = replace_section(text, "servers", "servers v2")
    assert text == (
        f"{HEADER}\n"
        "<!-- section:servers -->\nservers v2\n<!-- /section:servers -->\n\n"
        "<!-- section:routing -->\nrouting v1\n<!-- /section:routing -->\n"
    )


@pytest.mark.parametrize(
    "broken",
    [
        "<!-- section:x -->\nno end",
        "no start\n<!-- /section:x -->",
        "<!-- /section:x -->\n<!-- section:x -->",
        "<!-- section:x -->\na\n<!-- /section:x -->\n<!-- section:x -->\nb\n<!-- /section:x -->",
    ],
)
def test_broken_markers_are_refused_rather_than_guessed(broken):
    with pytest.raises(ValueError, match="markers of section 'x' are broken"):
        replace_section(broken, "x", "body")


def test_write_section_creates_the_file_with_the_header(tmp_path):
    path = tmp_path / "docs" / "benchmarks.md"
    write_section("routing", "figures", path)
    assert path.read_text().startswith(HEADER)
    assert "<!-- section:routing -->\nfigures\n<!-- /section:routing -->" in path.read_text()


def test_the_committed_report_has_well_formed_sections():
    text = DOC_PATH.read_text()
    assert text.startswith(HEADER)
    for name in set(re.findall(r"<!-- section:(\w+) -->", text)):
        start, end = markers(name)
        assert text.count(start) == text.count(end) == 1
        assert text.index(start) < text.index(end)
