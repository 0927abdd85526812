"""--paper, --columns, --group and --tag: what they print, what they refuse."""
from __future__ import annotations

import pypdf
import pytest

from conftest import DECK_STEM, copy_project, run_build
from pdfcheck import ENTRIES, MARGINS, MM, embedded_fonts, pages, segments, squash


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return copy_project(tmp_path_factory.mktemp("options") / "p")


def test_letter_paper_in_three_columns(project):
    done = run_build(project, "--only", "sheet", "--paper", "letter", "--columns", "3", "--out", "letter")
    assert done.returncode == 0, done.stderr
    path = project / "letter" / f"{DECK_STEM}.pdf"
    reader = pypdf.PdfReader(path)
    assert {(round(float(p.mediabox.width)), round(float(p.mediabox.height))) for p in reader.pages} == {(612, 792)}
    starts = set()
    for page in pages(path):
        for c in page.chars:
            if c["text"].strip():
                assert MARGINS["left"] - 0.5 <= c["x0"] and c["x1"] <= 612 - MARGINS["right"] + 0.5, c
        starts |= {round(s["x0"] / MM) for s in segments(page) if 9.9 <= s["size"] <= 10.1}  # entry titles (h3)
    column = (612 / MM - 24 + 6) / 3  # mm from one column's left edge to the next
    assert starts == {12, round(12 + column), round(12 + 2 * column)}, starts
    assert set(embedded_fonts(path)) == {"/Pretendard", "/Pretendard-Bold"}


def test_group_and_tag_print_a_subset_under_their_own_name(project):
    done = run_build(project, "--group", "object", "--tag", "networking", "--out", "subset")
    assert done.returncode == 0, done.stderr
    names = sorted(p.name for p in (project / "subset").iterdir())
    assert names == sorted(["CHANGES.md", f"{DECK_STEM}.apkg", f"{DECK_STEM}-object-networking.pdf",
                            f"{DECK_STEM}-object-networking-worksheet.pdf", f"{DECK_STEM}-object-networking.html"])
    text = squash("".join(p.extract_text() for p in pypdf.PdfReader(
        project / "subset" / f"{DECK_STEM}-object-networking.pdf").pages))
    chosen = [e for e in ENTRIES if e["group"] == "object" and "networking" in e.get("tags", [])]
    assert len(chosen) == 2
    for entry in ENTRIES:
        assert (f"id:{entry['id']}" in text) == (entry in chosen), entry["id"]
    assert squash("오브젝트 (object) · #networking") in text
    assert "35 notes" in done.stdout  # the deck always holds every entry


def test_an_unknown_tag_is_refused_with_the_tags_in_use(project):
    done = run_build(project, "--tag", "storage-class")
    assert done.returncode == 2
    assert done.stderr.strip() == ("error: --tag storage-class: no entry has this tag; tags in use: "
                                   "deployment, infrastructure, networking, pattern, security, storage, workload")


def test_a_selection_of_nothing_is_refused(project):
    done = run_build(project, "--group", "개념", "--tag", "storage")
    assert done.returncode == 2
    assert done.stderr.strip() == "error: --group and --tag together select no entry; nothing to print"


@pytest.mark.parametrize("args, message", [
    (["--columns", "0"], "argument --columns: must be a whole number from 1 to 4, not '0'"),
    (["--paper", "a3"], "argument --paper: invalid choice: 'a3' (choose from 'a4', 'letter')"),
    (["--group", "objects"], "argument --group: invalid choice: 'objects' (choose from 'object', '개념')"),
])
def test_bad_print_options_exit_2(project, args, message):
    done = run_build(project, *args)
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1].endswith(message)


def test_subset_options_with_only_deck_are_refused(project):
    done = run_build(project, "--only", "deck", "--group", "object")
    assert done.returncode == 2
    assert "they do nothing with --only deck" in done.stderr
