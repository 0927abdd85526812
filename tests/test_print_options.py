"""--paper, --columns, --group and --tag: what they print, what they refuse."""

from __future__ import annotations

import pypdf
import pytest
from conftest import DECK_STEM, SMALL_STEM, copy_project, run_build, run_cli, small_project
from pdfcheck import ENTRIES, MARGINS, MM, pages, premature_breaks, segments, squash

A4_WIDTH = 595.28


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return copy_project(tmp_path_factory.mktemp("options") / "p")


def test_group_and_tag_print_a_subset_under_their_own_name(project):
    done = run_build(project, "--group", "object", "--tag", "networking", "--out", "subset")
    assert done.returncode == 0, done.stderr
    names = sorted(p.name for p in (project / "subset").iterdir())
    assert names == sorted(
        [
            "CHANGES.md",
            f"{DECK_STEM}.apkg",
            f"{DECK_STEM}-cards.html",
            f"{DECK_STEM}-object-networking.pdf",
            f"{DECK_STEM}-object-networking-worksheet.pdf",
            f"{DECK_STEM}-object-networking.html",
        ]
    )
    text = squash(
        "".join(
            p.extract_text() for p in pypdf.PdfReader(project / "subset" / f"{DECK_STEM}-object-networking.pdf").pages
        )
    )
    chosen = [e for e in ENTRIES if e["group"] == "object" and "networking" in e.get("tags", [])]
    assert len(chosen) == 2
    for entry in ENTRIES:
        assert (f"id:{entry['id']}" in text) == (entry in chosen), entry["id"]
    assert squash("오브젝트 (object) · #networking") in text
    assert "41 notes" in done.stdout  # the deck always holds every entry


def test_an_unknown_tag_is_refused_with_the_tags_in_use(project):
    done = run_cli(project, "--tag", "storage-class")
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "error: --tag storage-class: no entry has this tag; tags in use: "
        "deployment, infrastructure, networking, pattern, security, storage, workload"
    )


def test_a_selection_of_nothing_is_refused(project):
    done = run_cli(project, "--group", "개념", "--tag", "storage")
    assert done.returncode == 2
    assert done.stderr.strip() == "error: --group and --tag together select no entry; nothing to print"


@pytest.mark.parametrize(
    "args, message",
    [
        (["--columns", "0"], "argument --columns: must be a whole number from 1 to 4, not '0'"),
        (["--paper", "a3"], "argument --paper: invalid choice: 'a3' (choose from 'a4', 'letter')"),
        (["--group", "objects"], "error: --group objects: no such group; groups: object, 개념"),
    ],
)
def test_bad_print_options_exit_2(project, args, message):
    done = run_cli(project, *args)
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1].endswith(message)


def test_subset_options_with_only_deck_are_refused(project):
    done = run_cli(project, "--only", "deck", "--group", "object")
    assert done.returncode == 2
    assert "they do nothing with --only deck" in done.stderr


def test_a_missing_font_file_stops_the_build_by_name(tmp_path):
    project = copy_project(tmp_path / "p")
    (project / "templates" / "fonts" / "Pretendard-Bold.ttf").unlink()
    done = run_cli(project, "--only", "sheet")
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "templates/fonts/Pretendard-Bold.ttf does not exist: the cards and the sheets "
        "need every bundled font (fonts.FACES)"
    )
    assert not (project / "dist").exists()


def test_long_latin_tokens_wrap_inside_narrow_columns(tmp_path):
    project = small_project(tmp_path / "p")  # the token is the subject: two entries around it
    entry = project / "entries" / "alpha.yaml"
    url = "https://kubernetes.io/ko/docs/concepts/workloads/pods/pod-lifecycle/#container-restart-policy"
    entry.write_text(
        entry.read_text("utf-8").replace(
            "  - 뙇 첫째 요점이다.", f"  - 재시작 정책은 {url} 참고.\n  - 뙇 첫째 요점이다.", 1
        ),
        "utf-8",
    )
    done = run_cli(project, "--only", "sheet", "--columns", "4")
    assert done.returncode == 0, done.stderr
    path = project / "dist" / f"{SMALL_STEM}.pdf"
    column = (A4_WIDTH - MARGINS["left"] - MARGINS["right"] - 3 * 6 * MM) / 4
    lines = 0
    for page in pages(path):
        for s in segments(page):
            if s["size"] < 9.9 and s["top"] > 100:  # entry text; title block and headings span the page
                lines += 1
                assert s["x1"] - s["x0"] <= column + 0.5, s
    assert lines > 20
    assert premature_breaks(path, columns=4, minimum=5) == []  # the whole sheet at 4 columns: test_layout
    text = squash("".join(p.extract_text() for p in pypdf.PdfReader(path).pages))
    assert squash(url) in text  # wrapped over several lines, every character kept
