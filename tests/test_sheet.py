"""The built cheat sheet and worksheet as printed pages: text, fonts, boxes, words, pixels."""

from __future__ import annotations

import re

import pypdf
import pytest
from conftest import DECK_STEM
from pdfcheck import (
    ENTRIES,
    HANGUL,
    MARGINS,
    MM,
    embedded_fonts,
    pages,
    premature_breaks,
    segments,
    source_words,
    squash,
)

from studydeck.gather import markup

A4 = (595.28, 841.89)
PAGES = {"pdf": 4, "worksheet": 5}  # the default project; a change here is a layout change: look at it
HEADER_FOOTER = {"쿠버네티스 스터디", "쿠버네티스 스터디 워크시트", "오브젝트 (object)", "개념", "정답", "/", "쪽"}
FIXED_WORDS = {
    "쿠버네티스",
    "스터디",
    "버전",
    "항목",
    "12개",
    "오브젝트",
    "(object)",
    "개념",
    "관련:",
    "쪽",
    "워크시트",
    "문제",
    "정답",
    "번호가",
    "붙은",
    "빈칸을",
    "채운",
    "뒤",
    "정답과",
    "맞춰",
    "보세요.",
    "빈칸",
    "아래의",
    "작은",
    "글씨는",
    "힌트입니다.",
    "문장마다",
    "카드",
    "한",
    "장이",
    "묻는",
    "빈칸만",
    "비어",
    "있습니다.",
    "맨",
    "뒤의",
    "출처:",
}


def _text(path) -> str:
    return "".join(page.extract_text() for page in pypdf.PdfReader(path).pages)


def test_every_title_definition_and_point_is_in_the_sheet(built):
    text = squash(_text(built["pdf"]))
    for entry in ENTRIES:
        assert squash(entry["title"]) in text
        assert f"id:{entry['id']}" in text
        for d in entry["definitions"]:
            assert squash(markup.plain(markup.parse(d["text"]))) in text, d["key"]
        for point in entry["points"]:
            assert squash(markup.plain(markup.parse(point))) in text


@pytest.mark.parametrize("kind", ["pdf", "worksheet"])
def test_fonts_are_only_the_bundled_ones_and_embedded(built, kind):
    fonts = embedded_fonts(built[kind])
    assert fonts and all(fonts.values()), fonts
    assert (
        {"/Pretendard", "/Pretendard-Bold"}
        <= set(fonts)
        <= {"/Pretendard", "/Pretendard-Bold", "/NanumGothicCoding", "/NanumGothicCoding-Bold"}
    )


def test_code_is_set_in_the_bundled_monospace_font(built):
    import pdfplumber

    with pdfplumber.open(built["pdf"]) as pdf:
        chars = [c for page in pdf.pages for c in page.chars]
    text = "".join(c["text"] for c in chars)
    at = text.index("kubectlrolloutundo") if "kubectlrolloutundo" in text else text.index("kubectl")
    assert all(c["fontname"].endswith("NanumGothicCoding") for c in chars[at : at + 7]), chars[at]["fontname"]
    assert not any(c["fontname"].endswith("NanumGothicCoding") for c in chars if c["text"] == "쿠")


def test_outlines_list_sections_entries_and_the_key(built):
    reader = pypdf.PdfReader(built["pdf"])
    top = [item.title for item in reader.outline if not isinstance(item, list)]
    assert top == ["오브젝트 (object)", "개념"]
    children = [c.title for item in reader.outline if isinstance(item, list) for c in item]
    assert sorted(children) == sorted(e["title"] for e in ENTRIES)
    worksheet = pypdf.PdfReader(built["worksheet"])
    assert [item.title for item in worksheet.outline] == ["오브젝트 (object)", "개념", "정답"]


@pytest.mark.parametrize("kind", ["pdf", "worksheet"])
def test_page_count_size_and_page_x_of_y(built, kind):
    reader = pypdf.PdfReader(built[kind])
    assert len(reader.pages) == PAGES[kind]
    for number, page in enumerate(reader.pages, 1):
        assert (round(float(page.mediabox.width), 1), round(float(page.mediabox.height), 1)) == (
            round(A4[0], 1),
            round(A4[1], 1),
        )
        assert f"{number} / {PAGES[kind]} 쪽" in page.extract_text()


def test_running_header_names_the_deck_and_the_section(built):
    def header(path):
        # (left, right): the deck on the left; on the right the section the page starts in, then
        # each section that starts on it, one a line
        return [
            tuple(
                [s["text"] for s in segments(page) if s["top"] < MARGINS["top"] and (s["x0"] > page.width / 2) == right]
                for right in (False, True)
            )
            for page in pages(path)
        ]

    deck = ["쿠버네티스 스터디"]
    assert header(built["pdf"]) == [
        ([], []),
        (deck, ["오브젝트 (object)", "개념"]),
        (deck, ["개념"]),
        (deck, ["개념"]),
    ]
    head = ["쿠버네티스 스터디 워크시트"]
    assert header(built["worksheet"]) == [
        ([], []),
        (head, ["오브젝트 (object)", "개념"]),
        (head, ["개념"]),
        (head, ["개념"]),
        (head, ["정답"]),  # the key opens its page: named once
    ]


def test_title_block_shows_deck_version_and_date(built):
    first = pypdf.PdfReader(built["pdf"]).pages[0].extract_text()
    assert "쿠버네티스 스터디" in first
    assert re.search(r"버전 0\.1\.0 · \d{4}-\d{2}-\d{2} · 항목 12개", first)


@pytest.mark.parametrize("kind", ["pdf", "worksheet"])
def test_text_stays_inside_the_printable_area(built, kind):
    seen = 0
    for page in pages(built[kind]):
        width, height = float(page.width), float(page.height)
        for c in page.chars:
            if not c["text"].strip():
                continue
            seen += 1
            assert MARGINS["left"] - 0.5 <= c["x0"] and c["x1"] <= width - MARGINS["right"] + 0.5, c
            assert c["top"] >= 5 * MM and c["bottom"] <= height - 5 * MM, c
        for s in segments(page):  # only the running header and footer live in the margins
            if s["top"] < MARGINS["top"] or s["top"] > height - MARGINS["bottom"]:
                assert s["size"] <= 7.6 and (s["text"] in HEADER_FOOTER or re.fullmatch(r"\d+ / \d+ 쪽", s["text"])), s
    assert seen > 2000


@pytest.mark.parametrize("kind", ["pdf", "worksheet"])
def test_first_page_is_not_blank(built, kind):
    import pypdfium2

    doc = pypdfium2.PdfDocument(str(built[kind]))
    image = doc[0].render(scale=60 / 72).to_pil().convert("L")
    ink = sum(1 for v in image.tobytes() if v < 128) / (image.width * image.height)
    doc.close()
    assert 0.01 < ink < 0.4, ink


@pytest.mark.parametrize("kind", ["pdf", "worksheet"])
def test_no_korean_word_is_split_across_lines(built, kind):
    words = source_words(None if kind == "pdf" else "") | FIXED_WORDS
    tokens = 0
    for page in pages(built[kind]):
        for s in segments(page):
            for token in s["text"].split():
                bare = re.sub(r"^\d+\.?", "", token)  # a blank's or a key item's number before the word
                if HANGUL.search(token):
                    tokens += 1
                    # a word cut at a line end would leave fragments that are no word of the entries
                    assert token in words or bare in words, (token, s["text"])
    assert tokens > 300


def test_outputs_have_fixed_names(built):
    names = sorted(p.name for p in (built["project"] / "dist").iterdir())
    assert names == sorted(
        [
            "CHANGES.md",
            f"{DECK_STEM}.apkg",
            f"{DECK_STEM}-cards.html",
            f"{DECK_STEM}.html",
            f"{DECK_STEM}.pdf",
            f"{DECK_STEM}-worksheet.pdf",
        ]
    )


def test_lines_are_filled_before_they_break(built):
    assert premature_breaks(built["pdf"], columns=2) == []


def _structure(path) -> tuple[dict, list[tuple[str, object]]]:
    """The catalog and the structure tree's elements in document order: (type, alt text)."""
    reader = pypdf.PdfReader(path)
    root, found = reader.trailer["/Root"], []

    def walk(node):
        node = node.get_object()
        if isinstance(node, pypdf.generic.DictionaryObject):
            if "/S" in node:
                found.append((str(node["/S"]), node.get("/Alt")))
            kids = node.get("/K")
            for kid in kids if isinstance(kids, pypdf.generic.ArrayObject) else [kids] if kids is not None else []:
                walk(kid)

    walk(root["/StructTreeRoot"])
    return root, found


@pytest.mark.parametrize("kind", ["pdf", "worksheet"])
def test_the_pdf_is_tagged_for_screen_readers(built, kind):
    """PDF/UA-1 as WeasyPrint makes it: a structure tree in reading order with the title as H1,
    each group an H2 and each entry an H3, figures with their alt text; the document's
    language and title, which a reader shows instead of the file name."""
    root, found = _structure(built[kind])
    assert root["/Lang"] == "ko" and bool(root["/MarkInfo"]["/Marked"])
    assert bool(root["/ViewerPreferences"]["/DisplayDocTitle"])
    assert pypdf.PdfReader(built[kind]).metadata["/Title"].startswith("쿠버네티스 스터디")
    types = [t for t, _ in found]
    assert types[0] == "/Document" and types.count("/H1") == 1 and types.index("/H1") < types.index("/H2")
    headings = [t for t in types if t in ("/H2", "/H3")]
    assert headings.count("/H3") >= len(ENTRIES) and headings[0] == "/H2"
    figures = [alt for t, alt in found if t == "/Figure"]
    if kind == "pdf":  # the three shipped figures, each with the alt text its entry gives
        alts = [f["alt"] for e in ENTRIES for f in [e.get("figure") or {}] if f.get("alt")]
        assert sorted(figures) == sorted(alts) and len(figures) == 3


def test_sources_and_related_entries_are_printed_and_clickable(built):
    """Each source prints short (host/…/last part) and links to its whole URL; each related entry
    links to its place in the sheet."""
    from studydeck.pdf.documents import short_url

    reader = pypdf.PdfReader(built["pdf"])
    uris, internal = set(), 0
    for page in reader.pages:
        for annot in page.get("/Annots") or []:
            action = annot.get_object().get("/A")
            if action is not None and action.get("/S") == "/URI":
                uris.add(str(action["/URI"]))
            elif annot.get_object().get("/Dest") is not None or (action is not None and action.get("/S") == "/GoTo"):
                internal += 1
    sources = {
        url for e in ENTRIES for url in ([e["source"]] if isinstance(e.get("source"), str) else e.get("source", []))
    }
    assert sources and sources <= uris
    assert internal >= sum(len(e.get("related", [])) for e in ENTRIES)
    text = squash(_text(built["pdf"])).replace("\u2060", "")
    for url in sources:
        assert squash(short_url(url)) in text, url
    assert short_url("https://kubernetes.io/docs/concepts/workloads/pods/") == "kubernetes.io/…/pods"
