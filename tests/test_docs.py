"""The docs that are made from the code stay in step with it."""

from __future__ import annotations

import pathlib
import re

import pytest

from tapster.settings import settings_reference

DOCS = pathlib.Path(__file__).resolve().parent.parent / "docs"


def test_server_doc_lists_every_setting_as_the_code_defines_it():
    text = (DOCS / "server.md").read_text()
    assert settings_reference() in text, "run scripts/update-docs"


def test_readme_starts_with_the_two_commands():
    readme = (DOCS.parent / "README.md").read_text().splitlines()
    block = readme[readme.index("```sh") + 1 : readme.index("```")]
    assert [line.split()[:2] for line in block] == [["make", "serve"], ["make", "test"]]


LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
FENCED = re.compile(r"^```.*?^```", re.M | re.S)


def anchors(path: pathlib.Path) -> set[str]:
    """The anchors GitHub makes of a Markdown file's headings."""
    found: set[str] = set()
    for heading in re.findall(r"^#{1,6} (.+)$", FENCED.sub("", path.read_text()), re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        base, number = slug, 0
        while slug in found:  # a repeated heading gets -1, -2...
            number += 1
            slug = f"{base}-{number}"
        found.add(slug)
    return found


def pages() -> list[pathlib.Path]:
    return [DOCS.parent / "README.md", *sorted(DOCS.glob("*.md"))]


@pytest.mark.parametrize("page", pages(), ids=lambda page: page.name)
def test_every_relative_link_points_at_a_file_and_anchor_that_exist(page):
    text = FENCED.sub("", page.read_text())
    broken = []
    for target in LINK.findall(text):
        if re.match(r"[a-z]+:", target):  # http:, https:, mailto:
            continue
        path_part, _, anchor = target.partition("#")
        path = (page.parent / path_part).resolve() if path_part else page
        if not path.exists():
            broken.append(f"{target}: no such file")
        elif anchor and path.suffix == ".md" and anchor not in anchors(path):
            broken.append(f"{target}: no heading #{anchor}")
    assert not broken, broken


def test_the_readme_lists_every_page_of_docs():
    readme = (DOCS.parent / "README.md").read_text()
    listed = readme.split("## Documentation", 1)[1].split("\n## ", 1)[0]
    for page in DOCS.glob("*.md"):
        assert f"](docs/{page.name})" in listed, page.name
