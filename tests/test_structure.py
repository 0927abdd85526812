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


def test_every_memo_has_one_owner():
    """Results kept between builds of one process are made by studydeck/memo.py (one rule: a
    bound and least recently used out), not by functools caches or module-level dicts elsewhere.
    cache.py's two are this process's constants (its own code's digest, the libraries' versions)."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).as_posix()
        if rel == "studydeck/memo.py":
            continue
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for d in node.decorator_list:
                    text = ast.unparse(d)
                    if "cache" in text and rel != "studydeck/state/cache.py":
                        found.append(f"{rel}:{node.lineno} @{text}")
        for node in tree.body:  # module level: an empty dict that fills up
            if (
                isinstance(node, (ast.Assign, ast.AnnAssign))
                and isinstance(node.value, ast.Dict)
                and not node.value.keys
            ):
                target = ast.unparse(node.targets[0] if isinstance(node, ast.Assign) else node.target)
                found.append(f"{rel}:{node.lineno} {target} = {{}}")
    assert found == []


def test_a_memo_keeps_its_bound_and_drops_the_least_recently_used():
    import studydeck.gather.project
    import studydeck.outputs.cards  # noqa: F401
    from studydeck import memo

    kept = memo.Memo("test.lru", 2)
    made = []
    for key in ("a", "b", "a", "c", "a", "b"):
        kept.get(key, lambda key=key: made.append(key) or key.upper())
    assert made == ["a", "b", "c", "b"]  # b was the least recently used when c came
    assert len(kept) == 2 and memo.sizes()["test.lru"] == 2
    assert {"studydeck.outputs.cards._sides", "gather.checked entry files"} <= set(memo.sizes())
    memo.clear()
    assert len(kept) == 0
