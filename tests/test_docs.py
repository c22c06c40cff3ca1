"""The docs that are made from the code stay in step with it."""

from __future__ import annotations

import pathlib

from tapster.settings import settings_reference

DOCS = pathlib.Path(__file__).resolve().parent.parent / "docs"


def test_server_doc_lists_every_setting_as_the_code_defines_it():
    text = (DOCS / "server.md").read_text()
    assert settings_reference() in text, "run scripts/update-docs"


def test_readme_starts_with_the_two_commands():
    readme = (DOCS.parent / "README.md").read_text().splitlines()
    block = readme[readme.index("```sh") + 1 : readme.index("```")]
    assert [line.split()[:2] for line in block] == [["make", "serve"], ["make", "test"]]
