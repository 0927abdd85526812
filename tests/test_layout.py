"""The printed sheets at every paper size and column count: the paper's size, nothing crosses a
margin or a column, entries start in every column, no column ends half empty before its section
does, no line breaks early, the bundled fonts embedded."""

from __future__ import annotations

from pathlib import Path

import pypdf
import pytest
from conftest import DECK_STEM, copy_project, run_build
from pdfcheck import (
    GAP,
    MARGINS,
    MM,
    column_fill,
    column_width,
    embedded_fonts,
    lone_foot_lines,
    pages,
    premature_breaks,
    running_header_mismatches,
    segments,
)

PAPER = {"a4": (595, 842), "letter": (612, 792)}  # points

# Long answers, a long hint and a long Latin word: what would overflow a narrow column.
WIDE = """# yaml-language-server: $schema=schema.json
id: wide
title: 넓은 빈칸
group: 개념
definitions:
  - key: a
    term: 넓음
    text: >-
      끝에 {{c1::가나다라마바사아자차카타파하가나다라마바}}는 {{c2::긴 답::아주 긴 힌트 문장이 여기 붙어 있어서 칸을 넘는다}}
      그리고 {{c3::abcdefghijklmnopqrstuvwxyz}} 끝.
    lint_ignore: [long-answer, most-of-sentence]
points:
  - 하나
  - 둘
  - 셋
"""
# The default run lays out the default (a4, 2 columns) and one other paper and count; the whole
# matrix runs under the marker `slow` (.ci/run runs it).
DEFAULT_RUN = {("a4", 2), ("letter", 3)}
LAYOUTS = [
    pytest.param(
        paper, columns, id=f"{paper}-{columns}", marks=() if (paper, columns) in DEFAULT_RUN else pytest.mark.slow
    )
    for paper in ("a4", "letter")
    for columns in (1, 2, 3, 4)
]


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    project = copy_project(tmp_path_factory.mktemp("layout") / "p")
    (project / "entries" / "wide.yaml").write_text(WIDE, "utf-8")
    config = project / "pyproject.toml"
    config.write_text(config.read_text("utf-8").replace('"sidecar-pattern"]', '"sidecar-pattern", "wide"]'), "utf-8")
    return project


@pytest.mark.parametrize("paper, columns", LAYOUTS)
def test_nothing_crosses_a_margin_or_a_column_and_columns_are_full(project, paper, columns):
    out = project / f"out-{paper}-{columns}"
    # One full build: its two PDFs are laid out in parallel workers (two --only runs lay them out
    # one after the other).
    done = run_build(project, "--paper", paper, "--columns", str(columns), "--out", str(out))
    assert done.returncode == 0, done.stderr
    for pdf in sorted(out.glob("*.pdf")):
        for page in pages(pdf):
            width, height = float(page.width), float(page.height)
            cw = column_width(page, columns)
            for edge in page.edges:  # the worksheet's blank lines, the rules
                assert MARGINS["left"] - 0.5 <= edge["x0"] and edge["x1"] <= width - MARGINS["right"] + 0.5, edge
            for c in page.chars:
                if not c["text"].strip():
                    continue
                assert MARGINS["left"] - 0.5 <= c["x0"] and c["x1"] <= width - MARGINS["right"] + 0.5, c
                if c["size"] < 11 and MARGINS["top"] + 60 < c["top"] < height - MARGINS["bottom"]:
                    col = int((c["x0"] - MARGINS["left"] + 1) // (cw + GAP))
                    right = MARGINS["left"] + col * (cw + GAP) + cw
                    assert c["x1"] <= right + 1, (pdf.name, c["text"], round(c["x1"] - right, 1))
        # Issue 23: no column more than 20 % empty on any page but the last; named exemptions:
        # the worksheet's last page of questions (its key starts a page by design) has balanced
        # columns instead, and a figure (never split) taller than the space left opens the next page.
        fill = column_fill(pdf, columns)
        gaps = [g for g in fill if g["empty"] > 0.2 and not g["before_key"] and not g["next_is_figure"]]
        assert gaps == [], (pdf.name, gaps)
        assert lone_foot_lines(pdf, columns) == [], pdf.name  # an entry's last point and foot lines stay together
        assert running_header_mismatches(pdf) == [], pdf.name  # the header names the page's sections
        before_key = [g["empty"] for g in fill if g["before_key"]]
        assert not before_key or max(before_key) - min(before_key) < 0.15, (pdf.name, before_key)
        assert {
            (round(float(p.mediabox.width)), round(float(p.mediabox.height))) for p in pypdf.PdfReader(pdf).pages
        } == {PAPER[paper]}
        assert {"/Pretendard", "/Pretendard-Bold"} <= set(embedded_fonts(pdf))
        if columns == 1:  # a readable measure: about 45-75 characters in a full line of body text
            full = [
                len(s["text"])
                for page in pages(pdf)
                for s in segments(page)
                if 8 < s["size"] < 9 and s["x1"] - s["x0"] > 0.8 * 125 * MM
            ]
            assert full and 45 <= sum(full) / len(full) <= 75, (pdf.name, sum(full) / max(len(full), 1))
            body = [s for page in pages(pdf) for s in segments(page) if 8 < s["size"] < 9 and s["top"] > MARGINS["top"]]
            assert max(s["x1"] for s in body) < (12 + 126) * MM  # the lines end at the measure
    sheet = out / f"{DECK_STEM}.pdf"
    starts = {round(s["x0"] / MM) for page in pages(sheet) for s in segments(page) if 9.9 <= s["size"] <= 10.1}
    column = (PAPER[paper][0] / MM - 24 + 6) / columns  # mm from one column's left edge to the next
    assert starts == {round(12 + k * column) for k in range(columns)}, starts  # entry titles (h3) in every column
    assert premature_breaks(sheet, columns=columns, minimum=50 if columns > 1 else 20) == []  # 1: fewer lines


@pytest.mark.slow
@pytest.mark.parametrize("paper, columns", [("a4", 2), ("letter", 3)])
def test_a_hundred_entries_fill_every_column(tmp_path, paper, columns):
    """The benchmark's 100-entry project (benchmarks/bench.py): no column of any page but the last
    more than 20 % empty, with the same named exemptions."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    import bench

    project = bench.make_project(tmp_path / "p", 100)
    done = run_build(project, "--paper", paper, "--columns", str(columns), "--out", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    for pdf in sorted((tmp_path / "out").glob("*.pdf")):
        fill = column_fill(pdf, columns)
        assert len({g["page"] for g in fill}) > 10
        gaps = [g for g in fill if g["empty"] > 0.2 and not g["before_key"] and not g["next_is_figure"]]
        assert gaps == [], (pdf.name, gaps)
        assert lone_foot_lines(pdf, columns) == [], pdf.name
        assert running_header_mismatches(pdf) == [], pdf.name


def _figure_entry(i: int) -> str:
    svg = ("service", "pv-pvc", "ingress")[i % 3]
    return f"""id: fig-{i:02d}
title: 그림 항목 {i}
group: {("object", "개념")[i % 2]}
definitions:
  - key: a
    term: 그림 용어 {i}
    text: 그림 항목 {i}의 정의는 {{{{c1::그림 답 {i}}}}}이며 아래 그림이 구성을 보여 준다.
points:
  - 그림 아래 첫 요점은 한 줄을 조금 넘는 정도의 길이로 적은 설명이다.
  - 둘째 요점.
  - 셋째 요점은 조금 더 길게 적어 두 줄쯤 되도록 한다.
figure:
  file: figures/{svg}.svg
  alt: 시험용 그림 {i}의 대체 텍스트로 그림이 보여 주는 구성을 문장으로 설명한다.
  caption: 시험용 그림 {i}
"""


def _long_entry(i: int) -> str:
    sentence = "긴 항목의 문장은 여러 줄에 걸쳐 이어지고 단이 바뀌는 곳에서도 읽기 쉬워야 하며 빈칸이 없는 부분도 길다"
    definitions = "".join(
        f"""  - key: d{k}
    term: 긴 용어 {i}-{k}
    text: {sentence}, 그래서 {{{{c1::긴 답 {i}-{k}}}}}이 {sentence}.
"""
        for k in range(4)
    )
    points = "".join(f"  - 요점 {k}. {sentence}. {sentence}.\n" for k in range(6))
    return f"""id: long-{i:02d}
title: 긴 항목 {i}
group: {("object", "개념")[i % 2]}
definitions:
{definitions}points:
{points}"""


@pytest.mark.slow
@pytest.mark.parametrize("paper, columns", [(p, c) for p in ("a4", "letter") for c in (1, 2, 3, 4)])
@pytest.mark.parametrize("kind", ["figures", "long"])
def test_figure_heavy_and_long_entries_fill_every_column(tmp_path, kind, paper, columns):
    """Issue 23's other fixtures: many figures (a figure never splits: the space above one that
    does not fit is the named exemption) and entries longer than a column, at every layout."""
    project = copy_project(tmp_path / "p")
    make = _figure_entry if kind == "figures" else _long_entry
    for i in range(12 if kind == "figures" else 6):
        (project / "entries" / f"{kind}-{i:02d}.yaml").write_text(make(i), "utf-8")
    out = tmp_path / "out"
    done = run_build(project, "--paper", paper, "--columns", str(columns), "--out", str(out))
    assert done.returncode == 0, done.stderr
    for pdf in sorted(out.glob("*.pdf")):
        fill = column_fill(pdf, columns)
        gaps = [g for g in fill if g["empty"] > 0.2 and not g["before_key"] and not g["next_is_figure"]]
        assert gaps == [], (pdf.name, gaps)
        assert lone_foot_lines(pdf, columns) == [], pdf.name
        assert running_header_mismatches(pdf) == [], pdf.name
