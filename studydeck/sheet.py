"""Entries -> the study sheet: HTML through Jinja2, then PDF through WeasyPrint."""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import jinja2
from markupsafe import Markup

from . import markup
from .errors import BuildError
from .model import GROUPS, Config, Entry
from .stamp import SDE



GROUP_LABELS = {"object": "오브젝트 (object)", "개념": "개념"}


@dataclass(frozen=True)
class Sheet:
    html: str
    pdf: bytes
    pages: int


def render_html(entries: list[Entry], config: Config, templates: Path, built: int) -> str:
    """The sheet as standalone HTML (also the PDF's source)."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(templates), autoescape=True,
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    titles = {e.id: e.title for e in entries}
    sections = [{"group": g, "label": GROUP_LABELS[g],
                 "entries": [_entry_view(e, titles) for e in entries if e.group == g]} for g in GROUPS]
    when = datetime.fromtimestamp(built, timezone.utc)
    return env.get_template("sheet.html.j2").render(
        deck=config.deck, version=config.version, date=when.strftime("%Y-%m-%d"),
        timestamp=when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        sections=[s for s in sections if s["entries"]],
        css=Markup((templates / "sheet.css").read_text("utf-8")))


def _entry_view(entry: Entry, titles: dict[str, str]) -> dict:
    return {
        "id": entry.id, "title": entry.title, "tags": entry.tags,
        "definitions": [{"term": d.term, "html": Markup(markup.to_sheet(d.tree))} for d in entry.definitions],
        "points": [Markup(markup.to_sheet(p)) for p in entry.points],
        "related": [titles[r] for r in entry.related],
    }


def render_pdf(html: str, templates: Path, built: int) -> tuple[bytes, int]:
    """Lay the HTML out with WeasyPrint; fonts and CSS come from templates/ only.

    Without HarfBuzz-Subset, fontTools subsets the font and stamps its head.modified with
    the clock unless SOURCE_DATE_EPOCH is set: set it to the release time for this call.
    """
    from weasyprint import HTML  # heavy: imported only when a sheet is built
    from weasyprint.text.fonts import FontConfiguration
    from weasyprint.urls import FatalURLFetchingError

    warnings = _CollectWarnings()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(warnings)
    saved = os.environ.get(SDE)
    os.environ[SDE] = str(built)
    try:
        doc = HTML(string=html, base_url=templates.resolve().as_uri() + "/",
                   url_fetcher=_fetcher(templates)).render(font_config=FontConfiguration())
        pdf = doc.write_pdf()
    except FatalURLFetchingError as exc:
        raise BuildError(f"the sheet asked for a file it may not load: {exc.__cause__ or exc}") from None
    finally:
        logger.removeHandler(warnings)
        if saved is None:
            del os.environ[SDE]
        else:
            os.environ[SDE] = saved
    if warnings.messages:
        raise BuildError("the sheet did not render cleanly, so nothing was written:\n  "
                         + "\n  ".join(warnings.messages))
    return pdf, len(doc.pages)


class _CollectWarnings(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record):
        message = record.getMessage()
        # Only a speed note: without Debian's libharfbuzz-subset0 WeasyPrint subsets with
        # fontTools, which gives the same glyphs (and fixed bytes under SOURCE_DATE_EPOCH).
        if not message.startswith("Using fontTools instead of HarfBuzz-Subset"):
            self.messages.append(message)


def _fetcher(templates: Path):
    """A URL fetcher that serves files under templates/ and refuses everything else."""
    from weasyprint.urls import URLFetcher

    root = templates.resolve()

    class ProjectFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            parts = urlsplit(url)
            if parts.scheme != "file":
                raise ValueError(f"refused to fetch {url}: only the project's own templates are loaded")
            path = Path(url2pathname(parts.path)).resolve()
            if not path.is_relative_to(root) or not path.is_file():
                raise ValueError(f"refused to fetch {url}: outside {root.name}/")
            return super().fetch(path.as_uri(), headers)

    return ProjectFetcher(allowed_protocols={"file"}, fail_on_errors=True)
