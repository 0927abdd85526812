"""The largest entries the rules allow still build, and Anki imports every card of them."""

from __future__ import annotations

import pypdf
import pytest
from conftest import SMALL_STEM, copy_project, import_apkg, outputs, run_build, run_cli, small_project
from test_deck import visible

from studydeck.gather.load import MAX_FILE_BYTES


def _edges() -> str:
    many = " ".join(f"{{{{c{i}::답{i}}}}}는 값" for i in range(1, 501))  # 500 cards, the most Anki makes
    head = f"""id: edges
title: 한계
group: 개념
tags: [a::b::c, "x-&<>[]"]
definitions:
  - key: far
    term: 끝
    text: "{{{{c1::처음}}}}과 {{{{c500::끝}}}}"
  - key: deep
    term: 깊이
    text: "{{{{c1::하나 {{{{c2::둘 {{{{c3::셋::힌트}}}}}}}}}}}} 끝"
  - key: many
    term: 많음
    text: >-
      {many}
  - key: long-word
    term: 긴 낱말
    text: "{{{{c1::{"가" * 100}}}}} 끝"
"""
    points = "points:\n" + "".join(f"  - 요점 {i} {'나' * 40}\n" for i in range(6))
    sources = "source:\n" + "".join(f"  - https://example.org/{i}\n" for i in range(4))
    text = head + points + sources
    pad = MAX_FILE_BYTES - len(text.encode()) - 1
    return text + "#" + " " * (pad - 1) + "\n"


def _project(tmp_path):
    project = small_project(tmp_path / "p")  # the entry is the subject: two others beside it
    path = project / "entries" / "edges.yaml"
    path.write_text(_edges(), "utf-8")
    assert path.stat().st_size == MAX_FILE_BYTES
    return project


@pytest.mark.slow  # the worksheet of 500 blanks alone lays out for 19 s
def test_an_entry_at_every_limit_is_printed(tmp_path):
    project = _project(tmp_path)
    done = run_build(project, "--only", "sheet")
    assert done.returncode == 0, done.stderr
    done = run_build(project, "--only", "worksheet")
    assert done.returncode == 0, done.stderr
    assert len(pypdf.PdfReader(outputs(project, SMALL_STEM)["worksheet"]).pages) > 1


def test_an_entry_at_every_limit_builds_and_every_card_imports(tmp_path, collection):
    project = _project(tmp_path)
    done = run_build(project, "--only", "deck")  # its sheets: test_an_entry_at_every_limit_is_printed (slow)
    assert done.returncode == 0, done.stderr
    import_apkg(collection, outputs(project, SMALL_STEM)["apkg"])
    notes = {collection.get_note(n)["Term"]: collection.get_note(n) for n in collection.find_notes('"Id:edges"')}
    assert sorted(c.ord + 1 for c in notes["끝"].cards()) == [1, 500]
    assert len(notes["많음"].cards()) == 500
    assert sorted(c.ord + 1 for c in notes["깊이"].cards()) == [1, 2, 3]
    last = next(c for c in notes["끝"].cards() if c.ord == 499)
    assert visible(last.question()).strip() == "처음과 [...]"
    third = next(c for c in notes["깊이"].cards() if c.ord == 2)
    assert visible(third.question()).strip() == "하나 둘 [힌트] 끝"


def test_no_break_spaces_do_not_split_a_run(tmp_path):
    """A line cannot break at U+00A0, so words joined by it are one run (a paste from a web page)."""
    project = copy_project(tmp_path / "p")
    pod = project / "entries" / "pod.yaml"
    text = pod.read_text("utf-8")
    joined = "\u00a0".join(["ab"] * 40)  # 119 characters, no breaking space
    pod.write_text(text.replace("\npoints:\n", f"\npoints:\n  - {joined}\n", 1), "utf-8")
    line = text[: text.index("\npoints:\n")].count("\n") + 3
    done = run_cli(project, "--check")
    assert done.returncode == 1
    assert (
        f"entries/pod.yaml:{line}:5: points[0]: 119 characters without a space (a no-break space does not count); "
        "at most 100 can be set on a line: add spaces"
    ) in done.stderr
