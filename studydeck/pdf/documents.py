"""Entries -> the two printed documents as HTML (Jinja2): the cheat sheet and the worksheet.

The cheat sheet shows every entry with its clozes emphasised. The worksheet shows only what
a card's question shows (the definition text), every cloze replaced by a numbered blank
sized to its answer, and ends with the answer key, grouped the same way.
"""

from __future__ import annotations

import html as htmllib
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from markupsafe import Markup

from studydeck.gather import markup
from studydeck.gather.reads import Reads
from studydeck.jinja import environment, template_text
from studydeck.model import PAPERS, Config, Entry, Figure, PrintOptions
from studydeck.pdf.typeset import Blank, to_sheet

KINDS = ("sheet", "worksheet")


@dataclass(frozen=True)
class Document:
    """A printed document as plain data: the page with a marker where each multi-column flow
    goes, and each flow's items as HTML; Document.html() puts them together for WeasyPrint, so a
    worker process lays it out with nothing but this (and the fonts)."""

    kind: str  # "sheet" or "worksheet"
    frame: str
    items: dict[str, tuple[tuple[str, str], ...]]  # flow -> ((anchor, HTML), ...) in order
    columns: int

    def html(self) -> str:
        out = self.frame
        for name, items in self.items.items():
            body = "".join(h for _, h in items)
            out = out.replace(f"\0flow:{name}\0", f'\n<div class="flow" id="flow-{name}">\n{body}\n</div>\n')
        return out


def render(
    kind: str, entries: list[Entry], config: Config, templates: Path, built: int, opts: PrintOptions, reads: Reads
) -> Document:
    """The document for the entries opts selects, in reading order (Document.html() is the
    standalone HTML WeasyPrint lays out)."""
    titles = {e.id: e.title for e in entries}  # related entries outside a subset keep their names
    entries = opts.select(entries)
    when = datetime.fromtimestamp(built, UTC)
    page = {
        "deck": config.deck,
        "version": config.version,
        "date": when.strftime("%Y-%m-%d"),
        "timestamp": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "paper": PAPERS[opts.paper],
        "columns": opts.columns,
        "subset": _subset_label(opts, config),
        "count": len(entries),
        "side": opts.SIDE_MARGIN_MM,
        "gap": opts.COLUMN_GAP_MM,
        "measure": round(opts.measure_mm, 1),
        "body_pt": opts.BODY_PT,
        "css": Markup(template_text(reads, templates, "sheet.css")),
    }
    if kind == "sheet":
        here = {e.id for e in entries}
        sections = [(g, [_sheet_entry(e, titles, here) for e in entries if e.group == g.name]) for g in config.groups]
    else:
        numbers = _Numbers()
        sections = [
            (g, [_worksheet_entry(e, numbers, opts.column_em) for e in entries if e.group == g.name])
            for g in config.groups
        ]
    sections = [{"group": g.name, "label": g.label, "entries": es} for g, es in sections if es]
    anchors = {f"{kind}-{s['group']}": [e["anchor"] for e in s["entries"]] for s in sections}
    if kind == "worksheet":
        anchors["key"] = [f"key-{e['number']}" for s in sections for e in s["entries"]]
    key = [
        {"entry": e, "heading": s["label"] if i == 0 else None} for s in sections for i, e in enumerate(s["entries"])
    ]  # the worksheet's answer key
    made: dict[str, list[str]] = {}

    def collect(name, items, caller) -> Markup:
        made[name] = [str(caller(item)) for item in items]
        return Markup(f"\0flow:{name}\0")

    env = environment(templates, reads)
    hints = any(a["hint"] for s in sections for e in s["entries"] for a in e.get("answers", ()))
    frame = env.get_template(f"{kind}.html.j2").render(
        sections=sections,
        key=key,
        hints=hints,  # the worksheet's instructions mention hints only when it has some
        collect=collect,
        mark=lambda kind, name: Markup(""),  # templates made before the columns were balanced still call it
        **page,
    )
    items = {name: tuple(zip(anchors[name], made[name], strict=True)) for name in anchors}
    return Document(kind, frame, items, opts.columns)


def short_url(url: str) -> str:
    """A source as printed: its host and the last part of its path (kubernetes.io/…/pods); the
    link itself is whole."""
    parts = urlsplit(url)
    host = parts.netloc.removeprefix("www.")
    path = [p for p in parts.path.split("/") if p]
    if not path:
        return host
    return f"{host}/{path[0]}" if len(path) == 1 else f"{host}/…/{path[-1]}"


def _figure(figure: Figure | None) -> dict | None:
    """A figure for templates/_figure.html.j2, its caption set as the sheet sets text."""
    if figure is None:
        return None
    view = figure.view()
    view["caption"] = Markup(to_sheet((markup.Text(figure.caption),))) if figure.caption else ""
    return view


def _subset_label(opts: PrintOptions, config: Config) -> str:
    parts = [config.group(g).label for g in opts.groups] + [f"#{t}" for t in opts.tags]
    return " · ".join(parts)


def _sheet_entry(entry: Entry, titles: dict[str, str], here: set[str]) -> dict:
    return {
        "id": entry.id,
        "title": entry.title,
        "anchor": f"entry-{entry.id}",
        "definitions": [
            {"term": d.term, "html": Markup(to_sheet(d.tree)), "figure": _figure(d.figure)} for d in entry.definitions
        ],
        "points": [Markup(to_sheet(p)) for p in entry.points],
        # a related entry links to its place when it is in this document (a subset may leave it out)
        "related": [{"title": titles[r], "href": f"#entry-{r}" if r in here else None} for r in entry.related],
        "sources": [{"href": url, "short": short_url(url)} for url in entry.sources],
        "figure": _figure(entry.figure),
    }


@dataclass
class _Numbers:
    """Blank numbers run through the whole worksheet; entries are numbered too."""

    blank: int = 0
    entry: int = 0


@dataclass
class _Blanks:
    numbers: _Numbers
    column_em: float  # a blank (and its hint) never grows wider than a column
    answers: list = field(default_factory=list)  # (number, answer HTML, hint)
    card: int = 0  # the cloze number of the card the item asks: only its deletions are blanks

    def __call__(self, cloze: markup.Cloze) -> Blank | None:
        """The blank that replaces an (outermost) cloze of this card; its inner clozes go with
        its answer. Another card's cloze: None (its text is shown, as on this card in Anki)."""
        if cloze.ordinal != self.card:
            return None
        self.numbers.blank += 1
        n = self.numbers.blank
        answer = markup.plain(cloze.children)
        first = answer.split()[0] if answer.split() else ""
        self.answers.append(
            {
                "number": n,
                "html": Markup(to_sheet(cloze.children, keep_max=self.column_em)),
                "hint": cloze.hint,
                # the number stays with its answer (a no-break space) unless the answer's first word
                # is too long to share a narrow column's line with it: then it may end a line
                "glue": Markup("&#160;") if _em(first) <= min(8.0, self.column_em / 2) else " ",
            }
        )
        width = blank_width(markup.plain(cloze.children), cloze.hint or "", self.column_em)
        hint = f'<span class="hint">{htmllib.escape(cloze.hint)}</span>' if cloze.hint else ""
        return Blank(
            f'<span class="blank{" hinted" if hint else ""}"><span class="line" style="width: {width}em">'
            f'<span class="bn">{n}</span></span>{hint}</span>',
            width,
        )


def _worksheet_entry(entry: Entry, numbers: _Numbers, column_em: float) -> dict:
    numbers.entry += 1
    blanks = _Blanks(numbers, column_em)
    # One item per card, as the card asks it: its own deletions blank, the others' text shown (a
    # sentence with every deletion blank at once has no one answer). A figure is a question's
    # only where its card shows it on the front (front: true): any other may show an answer (a
    # label in a diagram), as it may on a card's back; it follows the definition's last item.
    texts = []
    for d in entry.definitions:
        cards = sorted(markup.ordinals(d.tree))
        for card in cards:
            blanks.card = card
            texts.append(
                {
                    "html": Markup(to_sheet(d.tree, blank=blanks, keep_max=column_em)),
                    "figure": _figure(d.figure) if d.figure and d.figure.front and card == cards[-1] else None,
                }
            )
    return {
        "figure": _figure(entry.figure) if entry.figure and entry.figure.front else None,
        "id": entry.id,
        "title": entry.title,
        "number": numbers.entry,
        "texts": texts,
        "anchor": f"q-{numbers.entry}",
        "answers": blanks.answers,
    }


HINT_EM = 0.73  # the hint's size (6.3 pt) in em of the body text (8.6 pt): templates/sheet.css


SYLLABLE_EM = 1.65  # room to write one syllable by hand: about 5 mm at the body's 8.6 pt
SIZES = (3, 5, 8, 12)  # syllables: a blank has one of a few lengths, so its length does not give the answer away


def blank_width(answer: str, hint: str = "", column_em: float = 20.0) -> float:
    """Room to write the answer by hand, in em of the body text: the answer's length in
    syllables (a wide character 1, a narrow one about half), rounded up to the next of SIZES,
    at SYLLABLE_EM each, plus the blank's number; as wide as its hint, which is printed under
    it; never wider than a column (the hint then wraps under it)."""
    syllables = _em(answer)
    size = next((n for n in SIZES if syllables <= n), syllables)
    need = max(SYLLABLE_EM * size + 1.0, HINT_EM * _em(hint) + 0.5)
    return round(min(need, column_em - 0.5), 1)


def _em(text: str) -> float:
    return sum(0.3 if c.isspace() else 1.0 if unicodedata.east_asian_width(c) in "WF" else 0.56 for c in text)
