"""The framework does not import the server layers (DESIGN.md: imports run one way).

``tapster.web`` may import ``tapster.wsgi`` lazily inside a function
(``App.run()``), never at module level. The check reads the source, since
``import tapster`` itself loads the server.
"""

from __future__ import annotations

import ast
import pathlib

import pytest

WEB = pathlib.Path(__file__).parents[2] / "src" / "tapster" / "web"
SERVER_LAYERS = ("tapster.net", "tapster.http", "tapster.wsgi")


def module_level_imports(path: pathlib.Path) -> list[str]:
    """Absolute names of what ``path`` imports outside functions."""
    names = []
    nodes = list(ast.parse(path.read_text()).body)
    while nodes:
        node = nodes.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                names.append(node.module or "")
            else:
                # Relative to tapster.web: one dot is the package itself.
                base = ["tapster", "web"][: 3 - node.level]
                module = ".".join([*base, node.module] if node.module else base)
                names.extend(f"{module}.{alias.name}" for alias in node.names)
        nodes.extend(ast.iter_child_nodes(node))
    return names


@pytest.mark.parametrize("path", sorted(WEB.glob("*.py")), ids=lambda p: p.name)
def test_web_does_not_import_the_server(path: pathlib.Path) -> None:
    for name in module_level_imports(path):
        assert not name.startswith(SERVER_LAYERS), f"{path.name} imports {name}"
