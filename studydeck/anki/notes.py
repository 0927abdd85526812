"""Entries -> Anki notes, decks and our cloze notetype, with identities that never drift."""

from __future__ import annotations

import hashlib
import html
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from studydeck.gather import markup
from studydeck.gather.reads import Reads
from studydeck.jinja import template_text
from studydeck.model import Config, Entry, Figure

# The notetype. Anki refuses to update notes whose notetype's fields or templates changed
# (it imports a copy instead), so these are frozen and pinned by tests/test_deck.py. See README,
# "Changing the note type". Each field and the template also carries a fixed id: Anki 23.10+
# matches fields and templates by id before name when it compares or merges notetypes, so a
# field renamed one day is still the same field.
# The notetype's id and name come from the project's GUID prefix, so two decks made with this
# tool never share (and restyle, or relink) one notetype.
FIELDS = ("Text", "Term", "Title", "Points", "Related", "Source", "Id", "Figure", "FigureOnFront")
FIELD_IDS = (
    3775346115611284,
    3225852238617228,
    2929199030466030,
    3263466801982796,
    3916602184464223,
    1169272730207664,
    1971884541430793,
    4298448151238202,
    3175071759579637,
)
TEMPLATE_NAME = "Cloze"
TEMPLATE_ID = 1248090915438298
SOURCE_LINK = "<!-- source link -->"  # in templates/card/back.html: the link to the entry's file
SOURCE_LINK_TEXT = "이 카드의 원본 파일"
DESCRIPTION_LINKS = ("원본", "변경 내역")  # the deck description's links to the source and the change list
# What the release job may set and a local build may not (the source and change-list URLs, the
# version from the tag) is ASCII, and is shown: in the fonts' subsets always, so that it can
# never change the note type's identity between the committed entries.lock and the release.
RELEASE_TIME_CHARACTERS = (*DESCRIPTION_LINKS, *map(chr, range(0x21, 0x7F)))


@dataclass(frozen=True)
class Note:
    """One cloze note, everything Anki will see, before packing."""

    entry_id: str
    key: str
    guid: str
    deck: str
    fields: tuple[str, ...]
    tags: tuple[str, ...]
    ordinals: tuple[int, ...]  # 1-based cloze numbers, nested ones included
    position: int = 0  # 1-based, in reading order: the order Anki shows its new cards in
    term: str = ""  # as written, for CHANGES.md and entries.lock
    answers: tuple[tuple[int, str], ...] = ()  # (cloze number, what its card asks for)


@dataclass(frozen=True)
class Notetype:
    id: int
    name: str
    fields: tuple[str, ...]
    template: str
    front: str
    back: str
    css: str
    field_ids: tuple[int, ...] = FIELD_IDS
    template_id: int = TEMPLATE_ID
    link: str = ""  # the back's link to the entry's file (from source-url), in place of SOURCE_LINK

    def identity(self) -> tuple:
        """What the notetype's identity (entries.lock) is made from: every field but the link
        (see back_html)."""
        return (
            self.id,
            self.name,
            self.fields,
            self.field_ids,
            self.template,
            self.template_id,
            self.front,
            self.back,
            self.css,
        )

    @property
    def back_html(self) -> str:
        """The back template as the deck carries it. `back` (as written) is what the notetype's
        identity hashes: the link's URL may differ between a local build and the release job,
        and entries.lock must be the same for both (a URL change alone updates no notetype)."""
        return self.back.replace(SOURCE_LINK, self.link)


def note_guid(prefix: str, entry_id: str, key: str) -> str:
    """The note's GUID: from the project prefix and the note's identity only, never its content."""
    digest = hashlib.sha256(f"{prefix}\x1f{entry_id}\x1f{key}".encode()).hexdigest()
    return f"{prefix}:{digest[:20]}"


def deck_id(name: str) -> int:
    """A stable deck id from the deck's full name (Anki matches decks by name anyway)."""
    return (1 << 40) + int.from_bytes(hashlib.sha256(name.encode()).digest()[:5], "big")


def subdeck(config: Config, group: str) -> str:
    return f"{config.deck}::{config.group(group).subdeck}"


CARD_FILES = ("front.html", "back.html", "card.css")  # in templates/card/


def notetype_id(guid_prefix: str) -> int:
    """The notetype's id: fixed for a project (its GUID prefix never changes), 10 digits."""
    return 10**9 + int.from_bytes(hashlib.sha256(f"{guid_prefix}/notetype".encode()).digest()[:4], "big") % (9 * 10**9)


def notetype_name(guid_prefix: str) -> str:
    return f"{guid_prefix} cloze"


def notetype(reads: Reads, templates: Path, config: Config, font_css: str = "") -> Notetype:
    """Our cloze notetype; its text lives in templates/card/, and font_css (the @font-face rules
    of the fonts the deck carries) goes before its CSS. With a source URL, the back links each
    card's entry file (entries/<id>.yaml) there: in the template, so no note changes with it."""
    front, back, css = (template_text(reads, templates, f"card/{name}") for name in CARD_FILES)
    source_url, link = config.source_url, ""
    if source_url:
        link = (
            f'<a class="edit" href="{html.escape(source_url, quote=True)}entries/{{{{Id}}}}.yaml">'
            f"{SOURCE_LINK_TEXT}</a>"
        )
    return Notetype(
        notetype_id(config.guid_prefix),
        notetype_name(config.guid_prefix),
        FIELDS,
        TEMPLATE_NAME,
        front,
        back,
        font_css + css,
        link=link,
    )


def characters(
    reads: Reads, made: list[Note], decks: dict[str, str], templates: Path, config: Config, tags: tuple[str, ...] = ()
) -> tuple[frozenset[str], frozenset[str]]:
    """Every character the cards, the deck overviews and the preview may show, and those set as
    code. Read from what Anki is given, not from the entries' parts, so no field is left out:
    every field of every note as a browser reads its HTML (text, attribute values such as alt,
    character references; a cloze's hint is in its field too), every deck's name and
    description, the words of the templates, the configuration's names and labels, and the
    tags (the preview's title names a --tag selection)."""
    shown = _Shown()
    for note in made:
        for value in note.fields:
            shown.feed(value)
    for name, desc in decks.items():
        shown.feed(html.escape(name) + desc)
    shown.close()
    text, code = set(shown.text), shown.code
    text.update(
        config.deck,
        config.version,
        SOURCE_LINK_TEXT,
        *RELEASE_TIME_CHARACTERS,
        *(part for g in config.groups for part in (g.name, g.label, g.subdeck)),
        *tags,
    )
    for path in reads.files(templates):
        if path.suffix in (".html", ".j2", ".css", ".js"):
            text.update(template_text(reads, templates, path.relative_to(templates).as_posix()))
    text |= code  # code falls back to the text font where the monospace one has no glyph
    return frozenset(c for c in text if not c.isspace()), frozenset(c for c in code if not c.isspace())


class _Shown(HTMLParser):
    """The characters of HTML as a page may show them: its text and its attribute values (alt,
    title, href), character references decoded; the text inside <code> also apart."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.text: set[str] = set()
        self.code: set[str] = set()
        self._in_code = 0

    def handle_starttag(self, tag, attrs):
        self._in_code += tag == "code"
        for _, value in attrs:
            self.text.update(value or "")

    def handle_endtag(self, tag):
        if tag == "code" and self._in_code:
            self._in_code -= 1

    def handle_data(self, data):
        self.text.update(data)
        if self._in_code:
            self.code.update(data)


def notes(entries: list[Entry], config: Config, guids: dict[str, str]) -> list[Note]:
    """One note per definition, in the entries' (reading) order, then definition order."""
    titles = {e.id: e.title for e in entries}
    out = []
    for entry in entries:
        points = "<ul>" + "".join(f"<li>{to_anki(p)}</li>" for p in entry.points) + "</ul>"
        related = ", ".join(anki_text(titles[r]) for r in entry.related)
        source = "<br>".join(f'<a href="{anki_text(url)}">{anki_text(url)}</a>' for url in entry.sources)
        tags = tuple(dict.fromkeys((entry.group, *entry.tags)))
        for d in entry.definitions:
            figure = d.figure or entry.figure
            fields = (
                to_anki(d.tree),
                anki_text(d.term),
                anki_text(entry.title),
                points,
                related,
                source,
                anki_text(entry.id),
                figure_html(figure) if figure else "",
                "y" if figure and figure.front else "",
            )
            out.append(
                Note(
                    entry.id,
                    d.key,
                    guids[f"{entry.id}/{d.key}"],
                    subdeck(config, entry.group),
                    fields,
                    tags,
                    tuple(sorted(markup.ordinals(d.tree))),
                    len(out) + 1,
                    d.term,
                    _answers(d.tree),
                )
            )
    return out


def _answers(tree: tuple) -> tuple[tuple[int, str], ...]:
    found: dict[int, list[str]] = {}
    for ordinal, answer, _ in markup.answers(tree):
        found.setdefault(ordinal, []).append(" ".join(answer.split()))
    return tuple((n, " / ".join(a)) for n, a in sorted(found.items()))


def figure_html(figure: Figure) -> str:
    """A figure as a card shows it: the image from the deck's media, its caption under it. An SVG
    with text carries the size at which that text is 12 px (--sd-w, --sd-h): the card CSS never
    draws it smaller, and a phone scrolls it sideways instead (templates/card/card.css)."""
    width, height = (round(v) for v in figure.size)
    caption = f"<figcaption>{anki_text(figure.caption)}</figcaption>" if figure.caption else ""
    readable = figure.readable()
    style = f' style="--sd-w: {readable[0]}px; --sd-h: {readable[1]}px"' if readable else ""
    focus = ' tabindex="0"' if readable else ""  # it may scroll sideways: a keyboard can scroll it too
    return (
        f'<figure class="figure"{focus}><img src="{figure.media}" alt="{anki_text(figure.alt)}" '
        f'width="{width}" height="{height}"{style}>{caption}</figure>'
    )


def media(entries: list[Entry]) -> dict[str, bytes]:
    """The figures the cards show: media file name -> bytes."""
    return {f.media: f.data for e in entries for f in e.figures}


def description(config: Config, group: str | None = None) -> str:
    """Shown on Anki's deck overview (HTML): what the deck is, its version, and where its source
    and change list are (from [tool.studydeck]); a subdeck's starts with its group's label."""
    lines = [f"<b>{anki_text(config.group(group).label)}</b>"] if group else []
    if config.description:
        lines.append(anki_text(config.description))
    lines.append(f"버전 {anki_text(config.version)}")
    links = list(zip((config.source_url, config.changes_url), DESCRIPTION_LINKS, strict=True))
    found = [f'<a href="{html.escape(url, quote=True)}">{label}</a>' for url, label in links if url]
    if found:
        lines.append(" · ".join(found))
    return "<br>".join(lines)


# The deck overview (Anki desktop, qt/aqt/overview.py) puts the description's HTML as it is into
# its page, under the deck's name in an <h3>; the page's <base> is Anki's media server, so
# url("_studydeck-sans-400-....woff2") is the media file, as in the card CSS. A <style> there
# sets the name and the description in the deck's fonts, so Hangul shows on a machine without a
# Korean font (tests/desktop/overview.py looks at it in Anki desktop). AnkiDroid removes <style>
# from a description (its issue 5715) and shows the text in the phone's font; the text itself
# never depends on the style.
OVERVIEW_CSS = (
    'h3, .description { font-family: "StudyDeck Sans", "Pretendard", "Apple SD Gothic Neo", '
    '"Noto Sans KR", "Malgun Gothic", sans-serif; }'
)


def decks(config: Config, font_css: str = "") -> dict[str, str]:
    """The decks the package holds, name -> description: the deck (it holds no card; its overview
    shows the description) and one subdeck per group. font_css (the @font-face rules of the
    deck's text fonts) goes into each description, for the overview's text."""
    style = f"<style>{font_css}{OVERVIEW_CSS}</style>" if font_css else ""
    return {config.deck: description(config) + style} | {
        subdeck(config, g.name): description(config, g.name) + style for g in config.groups
    }


# --- entry text as Anki field HTML ------------------------------------------------------
# Anki gives meaning to more than HTML in a field: {{c1::...}} clozes and their '::' hints,
# [sound:...] and [anki:tts]...[/anki:tts] tags, [latex]/[$]/[$$] LaTeX, [[type:...]]. Its
# parsers read the stored field, so writing those characters as numeric character references
# (&#91; shows as '[') keeps them text on every card. MathJax (\( \[) reads the page instead:
# the card templates mark the field's containers mathjax_ignore.
_ANKI_SYNTAX = str.maketrans({"{": "&#123;", "}": "&#125;", "[": "&#91;", "]": "&#93;"})


def anki_text(text: str) -> str:
    """Text for an Anki field: escaped HTML, and none of Anki's own syntax live."""
    return html.escape(text, quote=True).translate(_ANKI_SYNTAX).replace("\n", "<br>")


def to_anki(tree: tuple, in_cloze: bool = False) -> str:
    """HTML for an Anki field, with the clozes in Anki's own syntax and everything else as text."""
    out = []
    for node in tree:
        if isinstance(node, markup.Text):
            out.append(_in_cloze(anki_text(node.text), in_cloze))
        elif isinstance(node, markup.Code):
            out.append(f"<code>{_in_cloze(anki_text(node.text), in_cloze)}</code>")
        elif isinstance(node, markup.Bold):
            out.append(f"<b>{to_anki(node.children, in_cloze)}</b>")
        else:
            hint = f"::{_in_cloze(anki_text(node.hint), True)}" if node.hint else ""
            out.append(f"{{{{c{node.ordinal}::{to_anki(node.children, True)}{hint}}}}}")
    return "".join(out)


def _in_cloze(html_text: str, in_cloze: bool) -> str:
    # Inside a cloze Anki reads the first '::' as the start of the hint: a colon there is a reference.
    return html_text.replace(":", "&#58;") if in_cloze else html_text
