"""The built PDF and HTML, read with real PDF readers."""
from __future__ import annotations

import re

import pypdf
import yaml

from conftest import ROOT
from studydeck import markup

ENTRIES = [yaml.safe_load(p.read_text("utf-8")) for p in sorted((ROOT / "entries").glob("*.yaml"))]
A4 = (595.28, 841.89)


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _pdf_text(path) -> str:
    return "".join(page.extract_text() for page in pypdf.PdfReader(path).pages)


def test_every_title_and_definition_is_in_the_pdf(built):
    text = _squash(_pdf_text(built["pdf"]))
    for entry in ENTRIES:
        assert _squash(entry["title"]) in text
        for d in entry["definitions"]:
            assert _squash(markup.plain(markup.parse(d["text"]))) in text, d["key"]
        for point in entry["points"]:
            assert _squash(markup.plain(markup.parse(point))) in text


def test_fonts_are_only_the_bundled_pretendard_and_embedded(built):
    reader = pypdf.PdfReader(built["pdf"])
    fonts = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendant = font["/DescendantFonts"][0].get_object()
            descriptor = descendant["/FontDescriptor"].get_object()
            fonts[str(font["/BaseFont"])] = "/FontFile2" in descriptor or "/FontFile3" in descriptor
    assert fonts, "no fonts found"
    assert all(embedded for embedded in fonts.values()), fonts
    assert {re.sub(r"^/[A-Z]{6}\+", "/", name) for name in fonts} == {"/Pretendard", "/Pretendard-Bold"}


def test_outline_lists_both_sections_and_every_entry(built):
    reader = pypdf.PdfReader(built["pdf"])
    top = [item for item in reader.outline if not isinstance(item, list)]
    assert [t.title for t in top] == ["오브젝트 (object)", "개념"]
    children = [c.title for item in reader.outline if isinstance(item, list) for c in item]
    assert sorted(children) == sorted(e["title"] for e in ENTRIES)


def test_pages_are_a4_and_numbered(built):
    reader = pypdf.PdfReader(built["pdf"])
    total = len(reader.pages)
    for number, page in enumerate(reader.pages, 1):
        assert (round(float(page.mediabox.width), 1), round(float(page.mediabox.height), 1)) == \
            (round(A4[0], 1), round(A4[1], 1))
        assert f"{number} / {total}" in page.extract_text()


def test_title_block_shows_deck_version_and_date(built):
    first = pypdf.PdfReader(built["pdf"]).pages[0].extract_text()
    assert "쿠버네티스 스터디" in first
    assert re.search(r"버전 0\.1\.0 · \d{4}-\d{2}-\d{2}", first)


def test_html_preview_escapes_and_marks_clozes(built):
    html = built["html"].read_text("utf-8")
    assert '<strong class="cloze">Pod</strong>는' in html
    assert "PV &amp; PVC" in html
    assert "{{c1::" not in html


def _source_words() -> set[str]:
    texts = ["쿠버네티스 스터디 버전 항목 12개 오브젝트 (object) 개념 관련:"]
    for entry in ENTRIES:
        texts += [entry["title"], *[d["term"] for d in entry["definitions"]]]
        texts += [markup.plain(markup.parse(d["text"])) for d in entry["definitions"]]
        texts += [markup.plain(markup.parse(p)) for p in entry["points"]]
    titles = {e["id"]: e["title"] for e in ENTRIES}
    texts += [", ".join(titles[r] for r in e.get("related", [])) for e in ENTRIES]
    return {w for t in texts for w in t.split()}


def test_korean_words_are_never_split_across_lines(built):
    import pdfplumber

    words = _source_words()
    hangul = re.compile(r"[\uac00-\ud7af]")
    seen = 0
    with pdfplumber.open(built["pdf"]) as pdf:
        for page in pdf.pages:
            for line in page.extract_text(x_tolerance=1.5).splitlines():
                for token in line.split():
                    if hangul.search(token):
                        seen += 1
                        # a word cut at a line end would show up as a fragment no entry contains
                        assert token in words, (token, line)
    assert seen > 500
