"""Documents -> PDF with WeasyPrint, in this process (studydeck/workers.py runs it in worker processes).

WeasyPrint loads files from templates/ only and any warning it logs fails the build. A
document is laid out once: its columns are balanced by WeasyPrint itself (templates/sheet.css).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from studydeck.errors import BuildError
from studydeck.pdf.documents import Document
from studydeck.pdf.weasyprint_patch import speed_up_font_subsetting

PDF_VARIANT = "pdf/ua-1"  # tagged (reading order, headings, figures with their alt text), its language and title


def lay_out(name: str, document: Document, templates: str, file: str, report=None):
    """One document as an output's files (a Job's function: see studydeck/workers.py)."""
    from studydeck.outputs import Made

    data, pages = render({name: document}, Path(templates), report)[name]
    return Made({file: data}, pages)


def render(
    documents: dict[str, Document], templates: Path, report: Callable[[str, str], None] | None = None
) -> dict[str, tuple[bytes, int]]:
    """name -> (PDF bytes, page count) for each document, laid out in this process with one font setup.

    One layout per document: each section's columns fill page after page and are balanced on
    its last page by WeasyPrint (column-fill: balance), so no column stands half empty beside
    full ones and nothing is laid out twice.

    The subset fonts keep the bundled font's own timestamp (see pdf.weasyprint_patch).
    Any warning WeasyPrint logs (a font that did not load, a CSS value it ignored, a file
    it could not fetch) stops the build: a sheet that silently looks different is a bug.
    report(name, what) hears where the layout is (e.g. "page 12").
    """
    from weasyprint import HTML  # heavy: imported only when a sheet is built
    from weasyprint.text.fonts import FontConfiguration
    from weasyprint.urls import FatalURLFetchingError

    speed_up_font_subsetting()
    warnings = _CollectWarnings()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(warnings)
    progress = _Forward(report) if report else None
    if progress:
        logging.getLogger("weasyprint.progress").addHandler(progress)
        logging.getLogger("weasyprint.progress").setLevel(logging.INFO)
    fonts, fetcher, base = FontConfiguration(), _fetcher(templates), templates.resolve().as_uri() + "/"

    def layout(document):
        return HTML(string=document.html(), base_url=base, url_fetcher=fetcher).render(font_config=fonts)

    out = {}
    try:
        for name, document in documents.items():
            if progress:
                progress.name = name
            doc = layout(document)
            out[name] = (doc.write_pdf(pdf_variant=PDF_VARIANT), len(doc.pages))
    except FatalURLFetchingError as exc:
        raise BuildError(f"the sheet asked for a file it may not load: {exc.__cause__ or exc}") from None
    finally:
        logger.removeHandler(warnings)
        if progress:
            logging.getLogger("weasyprint.progress").removeHandler(progress)
    if warnings.messages:
        raise BuildError(
            "the sheet did not render cleanly, so nothing was written:\n  " + "\n  ".join(warnings.messages)
        )
    return out


class _Forward(logging.Handler):
    """WeasyPrint's progress lines ("Step 5 - Creating layout - Page 12") -> report(name, "page 12")."""

    def __init__(self, report):
        super().__init__(logging.INFO)
        self.report, self.name = report, ""

    def emit(self, record):
        message = record.getMessage()
        if " - Page " in message:
            self.report(self.name, f"page {message.rsplit(' ', 1)[-1]}")
        elif message.startswith("Step 6"):
            self.report(self.name, "writing the PDF")


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
    """A URL fetcher that serves files under templates/ and the figures' data: URLs (checked and
    made safe by studydeck/figures/), and refuses everything else."""
    from weasyprint.urls import URLFetcher

    root = templates.resolve()

    class ProjectFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            parts = urlsplit(url)
            if parts.scheme == "data" and url.startswith(("data:image/", "data:font/")):
                return super().fetch(url, headers)
            if parts.scheme != "file":
                raise ValueError(f"refused to fetch {url}: only the project's own templates are loaded")
            path = Path(url2pathname(parts.path)).resolve()
            if not path.is_relative_to(root):
                raise ValueError(f"refused to fetch {url}: outside {root.name}/")
            if not path.is_file():
                raise ValueError(f"{root.name}/{path.relative_to(root).as_posix()} does not exist")
            return super().fetch(path.as_uri(), headers)

    return ProjectFetcher(allowed_protocols={"file", "data"}, fail_on_errors=True)
