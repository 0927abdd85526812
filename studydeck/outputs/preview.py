"""Entries -> the HTML preview: one self-contained page to read the deck's content on a screen.

Unlike the sheets it is a web page, not paper: its columns follow the window (one on a phone,
more where there is room), it has a table of contents with an anchor per entry, follows the
system's dark mode, and still prints. Its fonts are inside it (the deck's WOFF2 subsets as
data: URLs), so it reads the same wherever it is opened, without the project beside it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from markupsafe import Markup

from studydeck import fonts
from studydeck.gather.reads import Reads
from studydeck.jinja import environment, template_text
from studydeck.model import Config, Entry, PrintOptions
from studydeck.outputs import Made, Output
from studydeck.pdf.typeset import to_sheet
from studydeck.state.write import safe_stem


class Preview(Output):
    """dist/<deck>.html with the cheat sheet (cheap: made every time, written if it differs)."""

    name, part, cheap = "preview", "sheet", True

    def files(self, project) -> list[str]:
        return [f"{safe_stem(project.config.deck)}{project.options.printing.suffix()}.html"]

    def prepare(self, project) -> tuple[str, str]:
        text = render(
            project.entries,
            project.config,
            project.templates,
            project.built,
            project.options.printing,
            project.web_fonts,
            project.reads,
        )
        return self.files(project)[0], text

    def make(self, inputs: tuple[str, str], say) -> Made:
        file, text = inputs
        return Made({file: text.encode()})


def render(
    entries: list[Entry],
    config: Config,
    templates: Path,
    built: int,
    opts: PrintOptions,
    web_fonts: list[fonts.WebFont],
    reads: Reads,
) -> str:
    """The preview page of the entries opts selects, in reading order."""
    titles = {e.id: e.title for e in entries}
    shown = opts.select(entries)
    ids = {e.id for e in shown}
    sections = []
    for group in config.groups:
        members = [_entry(e, titles, ids) for e in shown if e.group == group.name]
        if members:
            sections.append({"id": f"group-{group.name}", "label": group.label, "entries": members})
    font_css = fonts.css(web_fonts, url=fonts.WebFont.data_url)
    when = datetime.fromtimestamp(built, UTC)
    return (
        environment(templates, reads)
        .get_template("preview.html.j2")
        .render(
            deck=config.deck,
            version=config.version,
            date=when.strftime("%Y-%m-%d"),
            count=len(shown),
            sections=sections,
            css=Markup(font_css + template_text(reads, templates, "preview.css")),
        )
    )


def _entry(entry: Entry, titles: dict[str, str], shown: set[str]) -> dict:
    return {
        "id": entry.id,
        "title": entry.title,
        "anchor": f"entry-{entry.id}",
        "definitions": [
            {"term": d.term, "html": Markup(to_sheet(d.tree, joiner=False)), "figure": d.figure and d.figure.view()}
            for d in entry.definitions
        ],
        "figure": entry.figure and entry.figure.view(),
        "points": [Markup(to_sheet(p, joiner=False)) for p in entry.points],
        "related": [{"title": titles[r], "anchor": f"entry-{r}" if r in shown else None} for r in entry.related],
        "sources": [{"url": url, "label": _label(url)} for url in entry.sources],
    }


def _label(url: str) -> str:
    """A source's link text: its host and path, without the scheme."""
    parts = urlsplit(url)
    return (parts.netloc + parts.path).rstrip("/") + (f"#{parts.fragment}" if parts.fragment else "")
