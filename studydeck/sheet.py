"""Entries -> the two printed documents as HTML (Jinja2): the cheat sheet and the worksheet.

The cheat sheet shows every entry with its clozes emphasised. The worksheet shows only what
a card's question shows (the definition text), every cloze replaced by a numbered blank
sized to its answer, and ends with the answer key, grouped the same way.
"""
from __future__ import annotations

import html as htmllib
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import jinja2
from markupsafe import Markup

from . import markup
from .typeset import Blank, to_sheet
from .model import PAPERS, Config, Entry, PrintOptions

KINDS = ("sheet", "worksheet")


@dataclass(frozen=True)
class Document:
    html: str
    flows: dict[str, list[str]]  # multi-column flow -> the anchor (element id) of each item in it
    headings: dict[str, str]  # flow -> the anchor of the heading above it
    fit: "Fit" = None  # what the document was made with
    whole: frozenset[str] = frozenset()  # flows whose items never break across columns


@dataclass(frozen=True)
class Fit:
    """What a first layout taught: see pdf.render."""

    cuts: dict[str, list[int]] = field(default_factory=dict)  # flow -> [first item on its last page, start of
    # column 2, ...]: those items are set in columns of even height
    breaks: frozenset[str] = frozenset()  # flows whose heading was left alone at a page's foot
    key_inline: bool = False  # the worksheet's key fits below the last question: no page of its own
    settled: frozenset[str] = frozenset()  # flows decided (pdf.refit settles them in document order)


def render(kind: str, entries: list[Entry], config: Config, templates: Path, built: int,
           opts: PrintOptions, fit: Fit | None = None) -> Document:
    """The document as standalone HTML (also the PDF's source), for the entries opts selects.

    Items flow column after column, which is fast to lay out. fit (from a first layout, see
    pdf.render) sets the items on a flow's last page in columns of even height and starts
    a section on a new page when its heading would stand alone at the foot of one.
    """
    titles = {e.id: e.title for e in entries}  # related entries outside a subset keep their names
    entries = opts.select(entries)
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(templates), autoescape=True,
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    when = datetime.fromtimestamp(built, timezone.utc)
    page = {"deck": config.deck, "version": config.version, "date": when.strftime("%Y-%m-%d"),
            "timestamp": when.strftime("%Y-%m-%dT%H:%M:%SZ"), "paper": PAPERS[opts.paper],
            "columns": opts.columns, "subset": _subset_label(opts, config), "count": len(entries),
            "side": opts.SIDE_MARGIN_MM, "gap": opts.COLUMN_GAP_MM, "body_pt": opts.BODY_PT,
            "css": Markup((templates / "sheet.css").read_text("utf-8"))}
    if kind == "sheet":
        sections = [(g, [_sheet_entry(e, titles) for e in entries if e.group == g.name]) for g in config.groups]
    else:
        numbers = _Numbers()
        sections = [(g, [_worksheet_entry(e, numbers, opts.column_em) for e in entries if e.group == g.name])
                    for g in config.groups]
    sections = [{"group": g.name, "label": g.label, "entries": es} for g, es in sections if es]
    flows = {f"{kind}-{s['group']}": [e["anchor"] for e in s["entries"]] for s in sections}
    if kind == "worksheet":
        flows["key"] = [f"key-{e['number']}" for s in sections for e in s["entries"]]
    key = [{"entry": e, "heading": s["label"] if i == 0 else None}
           for s in sections for i, e in enumerate(s["entries"])]  # the worksheet's answer key
    fit = fit or Fit()
    html = env.get_template(f"{kind}.html.j2").render(sections=sections, key=key, tails=fit.cuts,
                                                      breaks=fit.breaks, key_inline=fit.key_inline, **page)
    headings = {f"{kind}-{s['group']}": f"group-{s['group']}" for s in sections}
    return Document(html, flows, headings, fit, frozenset({"key"}) if kind == "worksheet" else frozenset())


def _subset_label(opts: PrintOptions, config: Config) -> str:
    parts = [config.group(g).label for g in opts.groups] + [f"#{t}" for t in opts.tags]
    return " · ".join(parts)


def _sheet_entry(entry: Entry, titles: dict[str, str]) -> dict:
    return {
        "id": entry.id, "title": entry.title, "anchor": f"entry-{entry.id}",
        "definitions": [{"term": d.term, "html": Markup(to_sheet(d.tree))}
                        for d in entry.definitions],
        "points": [Markup(to_sheet(p)) for p in entry.points],
        "related": [titles[r] for r in entry.related],
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

    def __call__(self, cloze: markup.Cloze) -> Blank:
        """The blank that replaces an (outermost) cloze; its inner clozes go with its answer."""
        self.numbers.blank += 1
        n = self.numbers.blank
        self.answers.append({"number": n, "html": Markup(to_sheet(cloze.children, keep_max=self.column_em)),
                             "hint": cloze.hint})
        width = blank_width(markup.plain(cloze.children), cloze.hint or "", self.column_em)
        hint = f'<span class="hint">{htmllib.escape(cloze.hint)}</span>' if cloze.hint else ""
        return Blank(f'<span class="blank{" hinted" if hint else ""}"><span class="line" style="width: {width}em">'
                     f'<span class="bn">{n}</span></span>{hint}</span>', width)


def _worksheet_entry(entry: Entry, numbers: _Numbers, column_em: float) -> dict:
    numbers.entry += 1
    blanks = _Blanks(numbers, column_em)
    texts = [Markup(to_sheet(d.tree, blank=blanks, keep_max=column_em)) for d in entry.definitions]
    return {"id": entry.id, "title": entry.title, "number": numbers.entry, "texts": texts,
            "anchor": f"q-{numbers.entry}",
            "answers": blanks.answers}


HINT_EM = 0.73  # the hint's size (6.3 pt) in em of the body text (8.6 pt): templates/sheet.css


def blank_width(answer: str, hint: str = "", column_em: float = 20.0) -> float:
    """Room to write the answer by hand, in em of the body text: wide characters count 1,
    narrow ones about half, plus space for the blank's number; as wide as its hint, which is
    printed under it; never wider than a column (the hint then wraps under it)."""
    need = max(1.25 * _em(answer) + 1.8, HINT_EM * _em(hint) + 0.5, 4.5)
    return round(min(need, 20.0, column_em - 0.5), 1)


def _em(text: str) -> float:
    return sum(0.3 if c.isspace() else 1.0 if unicodedata.east_asian_width(c) in "WF" else 0.56 for c in text)
