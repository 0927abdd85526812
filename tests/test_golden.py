"""Same inputs, same outputs: the default project's outputs against the golden files, and the same
bytes from two builds in two folders.

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


def test_two_clones_with_workers_started_by_spawn_make_the_same_bytes(made, tmp_path):
    """The README's promise: a clone elsewhere on the same machine builds every output byte for
    byte. spawn is how macOS and Windows start processes: the workers get plain data, not a copy
    of this process, and must not need more."""
    again = build_golden(tmp_path, STUDYDECK_START_METHOD="spawn")
    assert set(made["hashes"]) == {
        "CHANGES.md",
        "쿠버네티스-스터디-cards.html",
        "쿠버네티스-스터디-worksheet.pdf",
        "쿠버네티스-스터디.apkg",
        "쿠버네티스-스터디.html",
        "쿠버네티스-스터디.pdf",
    }
    assert again["hashes"] == made["hashes"]
