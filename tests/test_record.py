"""The build record: what a build read and made, and when a rebuild may stop at the start."""

from __future__ import annotations

import dataclasses
import os

from conftest import copy_project

from studydeck import pipeline
from studydeck.gather.reads import Reads, unchanged
from studydeck.model import Options
from studydeck.state import cache


def test_every_question_asked_is_asked_again(tmp_path):
    (tmp_path / "a.txt").write_text("one", "utf-8")
    reads = Reads(tmp_path)
    reads.text(tmp_path / "a.txt")
    reads.files(tmp_path)
    os.environ["STUDYDECK_TEST_VALUE"] = "x"
    reads.env("STUDYDECK_TEST_VALUE")
    recorded = reads.record()
    assert unchanged(tmp_path, recorded)
    (tmp_path / "a.txt").write_text("two", "utf-8")
    assert not unchanged(tmp_path, recorded)  # a file's content
    (tmp_path / "a.txt").write_text("one", "utf-8")
    (tmp_path / "b.txt").write_text("", "utf-8")
    assert not unchanged(tmp_path, recorded)  # a new file in a folder that was listed
    (tmp_path / "b.txt").unlink()
    os.environ["STUDYDECK_TEST_VALUE"] = "y"
    assert not unchanged(tmp_path, recorded)  # an environment variable
    del os.environ["STUDYDECK_TEST_VALUE"]


def test_a_reused_output_must_still_be_the_file_that_was_written(tmp_path):
    record = cache.Record(tmp_path / "record.json", tmp_path)
    (tmp_path / "x.pdf").write_bytes(b"made")
    record.update("x.pdf", "key-1", b"made", pages=3)
    assert record.fresh("x.pdf", "key-1") == {"key": "key-1", "sha256": record.outputs["x.pdf"]["sha256"], "pages": 3}
    assert record.fresh("x.pdf", "key-2") is None  # made from something else
    (tmp_path / "x.pdf").write_bytes(b"edited by hand")
    assert record.fresh("x.pdf", "key-1") is None  # not the file that was written


def test_a_new_option_of_any_kind_makes_the_next_build_a_full_one(tmp_path):
    """Options are recorded whole: an option added to them cannot be forgotten by the check."""
    project = copy_project(tmp_path / "p")
    options = Options(project, project / "dist", only="deck")
    said = []
    pipeline.build(options, said.append)
    again = pipeline.build(options, said.append)
    assert again.written == [] and len(again.reused) == 3  # deck, cards view, CHANGES.md: stopped at the start

    Wider = dataclasses.make_dataclass(
        "Wider", [("new_option", int, dataclasses.field(default=1))], bases=(Options,), frozen=True
    )
    record = cache.record(project, project / "dist")
    assert record.unchanged(options) is not None
    assert record.unchanged(Wider(project, project / "dist", only="deck")) is None
    assert record.unchanged(dataclasses.replace(options, strict=True)) is None
