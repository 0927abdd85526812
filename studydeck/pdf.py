"""WeasyPrint: the sheets' HTML -> PDF, loading files from templates/ only, failing on any warning."""
from __future__ import annotations

import io
import logging
import os
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit
from urllib.request import url2pathname

from .errors import BuildError
from .stamp import SDE


# Balancing a section's last page costs a second layout; above this many pages the saved
# paper is not worth the time (layout time grows with pages).
BALANCE_MAX_PAGES = 16


def render(documents: dict[str, Callable], templates: Path, built: int,
           columns: int) -> dict[str, tuple[bytes, int]]:
    """name -> (PDF bytes, page count) for each document, laid out with one font setup.

    documents: name -> make(fit) returning a sheet.Document. The first layout fills
    columns one after the other (fast), which leaves a section's last page with one full
    column and an empty one, and can leave a section heading alone at a page's foot. When
    it does, the document is laid out once more with the items of that page split into
    columns of even height (measured in the first layout) and that section on a new page.
    (WeasyPrint's own column-fill: balance gave the same picture 10 to 30 times slower.)

    Without HarfBuzz-Subset, fontTools subsets the font and stamps its head.modified with
    the clock unless SOURCE_DATE_EPOCH is set: set it to the release time for this call.
    Any warning WeasyPrint logs (a font that did not load, a CSS value it ignored, a file
    it could not fetch) stops the build: a sheet that silently looks different is a bug.
    """
    from weasyprint import HTML  # heavy: imported only when a sheet is built
    from weasyprint.text.fonts import FontConfiguration
    from weasyprint.urls import FatalURLFetchingError

    _speed_up_font_subsetting()
    warnings = _CollectWarnings()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(warnings)
    saved = os.environ.get(SDE)
    os.environ[SDE] = str(built)
    fonts, fetcher, base = FontConfiguration(), _fetcher(templates), templates.resolve().as_uri() + "/"

    def layout(document):
        return HTML(string=document.html, base_url=base, url_fetcher=fetcher).render(font_config=fonts)

    out = {}
    try:
        for name, make in documents.items():
            document = make(None)
            doc = layout(document)
            if len(doc.pages) <= BALANCE_MAX_PAGES:
                fit = refit(doc, document, columns)
                if fit.cuts or fit.breaks:
                    doc = layout(make(fit))
            out[name] = (doc.write_pdf(), len(doc.pages))
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
    return out


def refit(doc, document, columns: int):
    """The sheet.Fit for a second layout, from where the first one put things.

    cuts: flow -> [index of its first item on its last page, index starting each further
    column], for flows whose last page holds two or more items; the split keeps item order
    and makes the tallest column as short as it can be. breaks: flows whose heading is on an
    earlier page than their first item, or opened a page: shorter columns above must not
    pull it up to the foot of that page.
    """
    from .sheet import Fit

    where, tops = {}, set()  # anchor -> (page, height); anchors that open a page
    for number, page in enumerate(doc.pages):
        for box in page._page_box.descendants():
            anchor = box.element.get("id") if getattr(box, "element", None) is not None else None
            if anchor and anchor not in where:
                if not any(p == number for p, _ in where.values()):
                    tops.add(anchor)
                where[anchor] = (number, box.margin_height())
    breaks = set()
    for name, heading in document.headings.items():
        items = document.flows[name]
        if heading not in where or not items or items[0] not in where:
            continue
        alone = where[items[0]][0] > where[heading][0]  # the heading at a page's foot
        if alone or (heading in tops and where[heading][0] > 0):  # keep a page-opening heading there
            breaks.add(name)
    tails = {}
    for name, anchors in (document.flows.items() if columns > 1 else ()):
        if not anchors or any(a not in where for a in anchors):
            continue
        pages = [where[a][0] for a in anchors]
        start = pages.index(pages[-1])
        heights = [where[a][1] for a in anchors[start:]]
        if len(heights) >= 2:
            tails[name] = [start + cut for cut in [0, *even_split(heights, columns)]]
    return Fit(tails, frozenset(breaks))


def even_split(heights: list[float], columns: int) -> list[int]:
    """Where columns 2..N start, keeping order, so that the tallest column is the shortest possible."""
    n = len(heights)
    prefix = [0.0]
    for h in heights:
        prefix.append(prefix[-1] + h)
    # best[k][i]: (tallest column, cuts) for the first i items in k columns
    best = {(1, i): (prefix[i], []) for i in range(n + 1)}
    for k in range(2, min(columns, n) + 1):
        for i in range(k, n + 1):
            best[(k, i)] = min(((max(best[(k - 1, j)][0], prefix[i] - prefix[j]), best[(k - 1, j)][1] + [j])
                                for j in range(k - 1, i)), key=lambda c: c[0])
    return best[(min(columns, n), n)][1]


def _speed_up_font_subsetting() -> None:
    """Without HarfBuzz-Subset, WeasyPrint 70 subsets fonts with fontTools and drops the GSUB and
    GPOS tables, but fontTools decompiles them first (0.23 s of 0.32 s per font and document for
    Pretendard). Removing them before subsetting gives the same bytes (tests/test_sheet.py)."""
    import weasyprint
    from weasyprint.pdf import fonts

    if weasyprint.__version__ != "70.0" or getattr(fonts.Font, "_studydeck_fast", False):
        return  # written against WeasyPrint 70.0's Font._fonttools_subset; other versions keep theirs
    from fontTools import subset
    from fontTools.ttLib import TTFont, TTLibError

    def _fonttools_subset(self, to_unicode, hinting):
        options = subset.Options(
            retain_gids=True, passthrough_tables=True, ignore_missing_glyphs=True,
            hinting=hinting, desubroutinize=True, notdef_outline=bool(self.missing))
        options.drop_tables += ["GSUB", "GPOS", "SVG"]
        subsetter = subset.Subsetter(options)
        subsetter.populate(gids=to_unicode)
        try:
            ttfont = TTFont(io.BytesIO(self.file_content), fontNumber=self.index)
            for tag in ("GSUB", "GPOS", "SVG "):
                if tag in ttfont:
                    del ttfont[tag]
            subsetter.subset(ttfont)
        except TTLibError:
            logging.getLogger("weasyprint").warning('Unable to subset "%s" with fontTools', self.family)
        else:
            optimized = io.BytesIO()
            ttfont.save(optimized)
            self.file_content = optimized.getvalue()

    fonts.Font._weasyprint_fonttools_subset = fonts.Font._fonttools_subset  # kept for the test
    fonts.Font._fonttools_subset = _fonttools_subset
    fonts.Font._studydeck_fast = True


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
            if not path.is_relative_to(root):
                raise ValueError(f"refused to fetch {url}: outside {root.name}/")
            if not path.is_file():
                raise ValueError(f"{root.name}/{path.relative_to(root).as_posix()} does not exist")
            return super().fetch(path.as_uri(), headers)

    return ProjectFetcher(allowed_protocols={"file"}, fail_on_errors=True)
