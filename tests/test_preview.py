"""The HTML preview: a self-contained web page with a table of contents, in the deck's own fonts."""

from __future__ import annotations

import base64
import html as htmllib
import io
import re

from fontTools.ttLib import TTFont
from pdfcheck import reading_order


def _page(built) -> str:
    return built["html"].read_text("utf-8")


def _css(page: str) -> str:
    return re.search(r"<style>(.*?)</style>", page, flags=re.S).group(1)


def test_every_entry_has_an_anchor_and_the_contents_link_to_each(built):
    page = _page(built)
    entries = reading_order()
    anchors = re.findall(r'<article class="entry" id="([^"]+)"', page)
    assert anchors == [f"entry-{e['id']}" for e in entries]
    toc = re.search(r'<nav class="toc".*?</nav>', page, flags=re.S).group(0)
    assert re.findall(r'<li><a href="#([^"]+)">', toc) == anchors
    for link in set(re.findall(r'href="#([^"]+)"', page)):
        assert f'id="{link}"' in page, link  # no link goes nowhere
    assert '<strong class="cloze">Pod</strong>는' in page and "{{c1::" not in page and "\u2060" not in page


def test_the_page_follows_the_window_and_the_system_theme_and_still_prints(built):
    css = _css(_page(built))
    screen = css.split("@media print")[0]
    assert not re.search(r"\b\d+(\.\d+)?(mm|cm|in|pt)\b", screen)  # no paper sizes on screen
    assert "@page" not in css and not re.search(r"(?<!max-)width:\s*\d", screen)  # no fixed page width
    assert re.search(r"\.entries \{ columns: \d+rem;", css)  # as many readable columns as fit
    assert "@media (prefers-color-scheme: dark)" in css and "@media print" in css
    assert "word-break: keep-all" in css  # browsers keep Korean words whole
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in _page(built)


def test_the_page_carries_fonts_that_draw_every_character_it_shows(built):
    page = _page(built)
    faces = re.findall(
        r'@font-face \{ font-family: "([^"]+)"; font-weight: (\d+);.*?url\("data:font/woff2;base64,'
        r'([A-Za-z0-9+/=]+)"\)',
        page,
    )
    assert sorted((f, w) for f, w, _ in faces) == [
        ("StudyDeck Mono", "400"),
        ("StudyDeck Mono", "700"),
        ("StudyDeck Sans", "400"),
        ("StudyDeck Sans", "700"),
    ]
    cmaps = {(f, w): set(TTFont(io.BytesIO(base64.b64decode(data))).getBestCmap()) for f, w, data in faces}
    body = re.sub(r"<style>.*?</style>", "", page, flags=re.S)
    text = htmllib.unescape(re.sub(r"<[^>]+>", " ", body))
    missing = sorted({c for c in text if not c.isspace() and ord(c) not in cmaps[("StudyDeck Sans", "400")]})
    assert missing == []  # no box instead of a letter, on any device
    assert "../templates" not in page and "url(fonts/" not in page  # nothing outside the file is needed
