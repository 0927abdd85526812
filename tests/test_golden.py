"""Same inputs, same outputs: the default project's outputs against the golden files (the same
bytes from two clones: tests/test_release.py).

A change to an output must be meant: regenerate the golden files with
`.venv/bin/python tests/golden/update.py`, read the diff, commit them with the change.
"""

from __future__ import annotations

import pytest
from golden import GOLDEN, build_golden


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    return build_golden(tmp_path_factory.mktemp("golden"))


def test_changes_md_is_the_golden_one(made):
    assert made["changes"] == (GOLDEN / "CHANGES.md").read_text("utf-8")


def test_the_preview_is_the_golden_one(made):
    assert made["preview"] == (GOLDEN / "preview.html").read_text("utf-8")


def test_the_deck_is_the_golden_one(made):
    """Every note's GUID, fields and tags, the note type and the media, as Anki reads them."""
    assert made["deck"] == (GOLDEN / "deck.txt").read_text("utf-8")
