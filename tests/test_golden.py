"""Same inputs, same bytes: the default project's outputs against the golden files.

A change to an output must be meant: regenerate the golden files with
`.venv/bin/python tests/golden/update.py`, read the diff, commit them with the change.
"""

from __future__ import annotations

import json

import pytest
from golden import GOLDEN, build_golden


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    return build_golden(tmp_path_factory.mktemp("golden"))


def test_changes_md_is_the_golden_one(made):
    assert made["changes"] == (GOLDEN / "CHANGES.md").read_text("utf-8")


def test_the_preview_is_the_golden_one(made):
    assert made["preview"] == (GOLDEN / "preview.html").read_text("utf-8")


def test_every_output_has_the_golden_bytes(made):
    assert made["hashes"] == json.loads((GOLDEN / "hashes.json").read_text("utf-8"))


def test_workers_started_by_spawn_make_the_same_bytes(tmp_path):
    """spawn is how macOS and Windows start processes: the workers get plain data, not a copy of
    this process, and must not need more."""
    made = build_golden(tmp_path, STUDYDECK_START_METHOD="spawn")
    assert made["hashes"] == json.loads((GOLDEN / "hashes.json").read_text("utf-8"))
