"""The code's shape as issue 13 set it: small functions, and pipeline.build readable in one screen."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "studydeck"


def _functions():
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                yield f"{path.relative_to(PACKAGE.parent)}:{node.lineno} {node.name}", node.end_lineno - node.lineno + 1


def test_no_function_in_the_package_is_over_60_lines():
    found = dict(_functions())
    assert len(found) > 200  # the walk sees the package
    assert {name: n for name, n in found.items() if n > 60} == {}


def test_pipeline_build_is_the_table_of_contents():
    lines = next(n for name, n in _functions() if name.startswith("studydeck/pipeline.py") and name.endswith(" _steps"))
    assert 10 < lines <= 40
