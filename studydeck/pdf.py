"""WeasyPrint: the sheets' HTML -> PDF, loading files from templates/ only, failing on any warning."""
from __future__ import annotations

import io
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit
from urllib.request import url2pathname

from .errors import BuildError


# Evening a section's last page costs a second layout of the whole document: about 0.2 s per
# page here. Up to this many pages it is worth it (a 3-page sheet: +0.35 s); beyond, the last
# pages are a small part of the document and the second layout a large part of the build.
BALANCE_MAX_PAGES = 8


def render(documents: dict[str, Callable], templates: Path, built: int, columns: int,
           report: Callable[[str, str], None] | None = None) -> dict[str, tuple[bytes, int]]:
    """name -> (PDF bytes, page count) for each document, laid out in this process with one font setup.

    documents: name -> make(fit) returning a sheet.Document. The first layout fills
    columns one after the other (fast), which leaves a section's last page with one full
    column and an empty one, and can leave a section heading alone at a page's foot. When
    it does, the document is laid out once more with the items of that page split into
    columns of even height (measured in the first layout) and that section on a new page.
    (WeasyPrint's own column-fill: balance gave the same picture 10 to 30 times slower.)

    The subset fonts keep the bundled font's own timestamp (see _speed_up_font_subsetting).
    Any warning WeasyPrint logs (a font that did not load, a CSS value it ignored, a file
    it could not fetch) stops the build: a sheet that silently looks different is a bug.
    report(name, what) hears where the layout is (e.g. "page 12").
    """
    from weasyprint import HTML  # heavy: imported only when a sheet is built
    from weasyprint.text.fonts import FontConfiguration
    from weasyprint.urls import FatalURLFetchingError

    _speed_up_font_subsetting()
    warnings = _CollectWarnings()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(warnings)
    progress = _Forward(report) if report else None
    if progress:
        logging.getLogger("weasyprint.progress").addHandler(progress)
        logging.getLogger("weasyprint.progress").setLevel(logging.INFO)
    fonts, fetcher, base = FontConfiguration(), _fetcher(templates), templates.resolve().as_uri() + "/"

    def layout(document):
        return HTML(string=document.html, base_url=base, url_fetcher=fetcher).render(font_config=fonts)

    out = {}
    try:
        for name, make in documents.items():
            if progress:
                progress.name = name
            document = make(None)
            doc = layout(document)
            if len(doc.pages) <= BALANCE_MAX_PAGES:
                fit = refit(doc, document, columns)
                if fit.cuts or fit.breaks:
                    if progress:
                        progress.prefix = "evening the last page's columns, "
                    doc = layout(make(fit))
                    if progress:
                        progress.prefix = ""
            out[name] = (doc.write_pdf(), len(doc.pages))
    except FatalURLFetchingError as exc:
        raise BuildError(f"the sheet asked for a file it may not load: {exc.__cause__ or exc}") from None
    finally:
        logger.removeHandler(warnings)
        if progress:
            logging.getLogger("weasyprint.progress").removeHandler(progress)
    if warnings.messages:
        raise BuildError("the sheet did not render cleanly, so nothing was written:\n  "
                         + "\n  ".join(warnings.messages))
    return out


def start(documents: dict[str, Callable], templates: Path, built: int, columns: int,
          report: Callable[[str, str], None] | None = None) -> "Pending":
    """Begin rendering: with two or more documents and cores, each in its own process, so they
    (and the deck, packed meanwhile by the caller) use every core. Pending.result() waits."""
    return Pending(documents, templates, built, columns, report)


class Pending:
    def __init__(self, documents, templates, built, columns, report):
        self._args = (templates, built, columns)
        self._documents, self._report = documents, report
        self._pool = self._queue = None
        if len(documents) > 1 and (os.cpu_count() or 1) > 1:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            context = multiprocessing.get_context("fork")  # the children inherit the loaded entries
            self._queue = context.SimpleQueue() if report else None
            _remove_stale_scratch()
            # the workers' temporary files, removed here (or by a later build if this one is killed)
            self._scratch = tempfile.mkdtemp(prefix=f"studydeck-{os.getpid()}-")
            self._pool = ProcessPoolExecutor(min(len(documents), os.cpu_count() or 1), mp_context=context,
                                             initializer=_worker_init, initargs=(self._queue, self._scratch))
            self._futures = {name: self._pool.submit(_work, name, make, *self._args)
                             for name, make in documents.items()}

    def result(self) -> dict[str, tuple[bytes, int]]:
        if self._pool is None:
            return render(self._documents, *self._args, report=self._report)
        from concurrent.futures import FIRST_EXCEPTION, wait

        try:
            pending = set(self._futures.values())
            while pending:
                _, pending = wait(pending, timeout=0.1, return_when=FIRST_EXCEPTION)
                self._drain()
                if any(f.done() and f.exception() for f in self._futures.values()):
                    break
            return {name: f.result() for name, f in self._futures.items()}
        except BaseException:
            self.cancel()
            raise
        finally:
            self._drain()
            self._pool.shutdown(cancel_futures=True)
            shutil.rmtree(self._scratch, ignore_errors=True)

    def cancel(self) -> None:
        """Stop every worker now (the build failed or was interrupted)."""
        if self._pool is not None:
            for process in list((getattr(self._pool, "_processes", None) or {}).values()):
                process.terminate()
            self._pool.shutdown(wait=True, cancel_futures=True)
            shutil.rmtree(self._scratch, ignore_errors=True)

    def _drain(self) -> None:
        while self._queue is not None and not self._queue.empty():
            self._report(*self._queue.get())


_QUEUE = None


def _remove_stale_scratch() -> None:
    """Temporary folders of builds that were killed (their process is gone)."""
    for folder in Path(tempfile.gettempdir()).glob("studydeck-*-*"):
        pid = folder.name.split("-")[1]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _worker_init(queue, scratch: str) -> None:
    global _QUEUE
    _QUEUE = queue
    # WeasyPrint copies the fonts to a temporary folder and leaves its removal to a __del__, which
    # never runs in a worker (about 11 MB a build piled up in /tmp): they go into the build's own.
    tempfile.tempdir = scratch
    _die_with_parent()


def _die_with_parent() -> None:
    """A worker must not outlive the build, however the build ends (Ctrl-C, kill -9)."""
    import signal
    import threading

    parent = os.getppid()
    try:  # Linux: the kernel sends SIGKILL when the parent dies
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(1, signal.SIGKILL, 0, 0, 0) == 0 and os.getppid() == parent:  # 1: PR_SET_PDEATHSIG
            return
    except (OSError, AttributeError):
        pass

    def watch():  # elsewhere: notice that the parent is gone
        import time

        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def _work(name: str, make: Callable, templates: Path, built: int, columns: int) -> tuple[bytes, int]:
    report = (lambda n, what: _QUEUE.put((n, what))) if _QUEUE is not None else None
    return render({name: make}, templates, built, columns, report)[name]


class _Forward(logging.Handler):
    """WeasyPrint's progress lines ("Step 5 - Creating layout - Page 12") -> report(name, "page 12")."""

    def __init__(self, report):
        super().__init__(logging.INFO)
        self.report, self.name, self.prefix = report, "", ""

    def emit(self, record):
        message = record.getMessage()
        if " - Page " in message:
            self.report(self.name, f"{self.prefix}page {message.rsplit(' ', 1)[-1]}")
        elif message.startswith("Step 6"):
            self.report(self.name, "writing the PDF")


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
        first = True
        for box in page._page_box.descendants():
            anchor = box.element.get("id") if getattr(box, "element", None) is not None else None
            if anchor and anchor not in where:
                if first:
                    tops.add(anchor)
                    first = False
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
            # recalcTimestamp=False: head.modified stays the font's own, so the bytes never
            # depend on the clock or on SOURCE_DATE_EPOCH.
            ttfont = TTFont(io.BytesIO(self.file_content), fontNumber=self.index, recalcTimestamp=False)
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
