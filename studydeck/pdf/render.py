"""The printed sheets' layout: Documents -> PDF with WeasyPrint, in worker processes.

WeasyPrint loads files from templates/ only and any warning it logs fails the build. A
document is laid out, then again with what each layout taught (refit), until it is settled.
Workers get plain data (a sheets.Document: strings and numbers) and work the same whether
they are started by fork, forkserver or spawn (the default on macOS and Windows).
"""

from __future__ import annotations

import io
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from studydeck.errors import BuildError
from studydeck.pdf.documents import Document, Fit

# Evening a section's last page costs a second layout of the whole document: about 0.2 s per
# page here. Up to this many pages it is worth it (a 3-page sheet: +0.35 s); beyond, the last
# pages are a small part of the document and the second layout a large part of the build.
BALANCE_MAX_PAGES = 8


def render(
    documents: dict[str, Document], templates: Path, report: Callable[[str, str], None] | None = None
) -> dict[str, tuple[bytes, int]]:
    """name -> (PDF bytes, page count) for each document, laid out in this process with one font setup.

    The first layout fills columns one after the other (fast), which leaves a section's last
    page with one full column and empty ones, and can leave a section heading alone at a
    page's foot. refit says what to change; the document is laid out again until settled.

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
        return HTML(string=document.html(), base_url=base, url_fetcher=fetcher).render(font_config=fonts)

    out = {}
    try:
        for name, document in documents.items():
            if progress:
                progress.name = name
            doc = layout(document)
            if len(doc.pages) <= BALANCE_MAX_PAGES:
                fit = refit(doc, document)
                while fit != document.fit:  # a flow's decision moved what follows it: lay out again
                    if progress:
                        progress.prefix = "balancing the columns, "
                    document = replace(document, fit=fit)
                    doc = layout(document)
                    fit = refit(doc, document)
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
        raise BuildError(
            "the sheet did not render cleanly, so nothing was written:\n  " + "\n  ".join(warnings.messages)
        )
    return out


def start(documents: dict[str, Document], templates: Path, report: Callable[[str, str], None] | None = None) -> Pending:
    """Begin rendering: with two or more documents and cores, each in its own process, so they
    (and the deck, packed meanwhile by the caller) use every core. Pending.result() waits."""
    return Pending(documents, templates, report)


START_METHOD = "STUDYDECK_START_METHOD"  # the tests run the workers under "spawn" too


def _context():
    """fork where there is fork and this process runs no other thread (a fork copies a lock
    another thread holds; the live status redraws from this thread for that reason): the
    workers start with WeasyPrint already imported. spawn otherwise (macOS, Windows)."""
    import multiprocessing
    import threading

    method = os.environ.get(START_METHOD) or (
        "fork" if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1 else "spawn"
    )
    return multiprocessing.get_context(method)


class Pending:
    def __init__(self, documents, templates, report):
        self._documents, self._templates, self._report = documents, templates, report
        self._pool = self._queue = None
        if len(documents) > 1 and (os.cpu_count() or 1) > 1:
            from concurrent.futures import ProcessPoolExecutor

            context = _context()
            self._queue = context.SimpleQueue() if report else None
            _remove_stale_scratch()
            # the workers' temporary files, removed here (or by a later build if this one is killed)
            self._scratch = _make_scratch()
            self._pool = ProcessPoolExecutor(
                min(len(documents), os.cpu_count() or 1),
                mp_context=context,
                initializer=_worker_init,
                initargs=(self._queue, self._scratch),
            )
            self._futures = {
                name: self._pool.submit(_work, name, document, str(templates)) for name, document in documents.items()
            }

    def result(self) -> dict[str, tuple[bytes, int]]:
        if self._pool is None:
            return render(self._documents, self._templates, report=self._report)
        from concurrent.futures import FIRST_EXCEPTION, wait

        try:
            pending = set(self._futures.values())
            while pending:
                _, pending = wait(pending, timeout=0.1, return_when=FIRST_EXCEPTION)
                self._drain()
                if self._report:
                    self._report("", "waiting for the sheets ...")  # keeps the live status moving
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


SCRATCH_PREFIX = "studydeck-scratch-"
SCRATCH_MARK = ".studydeck-scratch.json"  # in each scratch folder: whose it is


def _make_scratch() -> str:
    """A temporary folder for the workers, marked with who made it (see _remove_stale_scratch)."""
    folder = tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-")
    with open(os.path.join(folder, SCRATCH_MARK), "w", encoding="utf-8") as fh:
        json.dump(_me(os.getpid()), fh)
    return folder


def _me(pid: int) -> dict:
    """What tells one process from every other, on this machine, in this PID namespace, since boot."""

    def read(path: str) -> str:
        try:
            with open(path, encoding="utf-8") as fh:
                return fh.read().strip()
        except OSError:
            return ""

    try:
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        namespace = ""
    stat = read(f"/proc/{pid}/stat")
    start = stat.rsplit(")", 1)[-1].split()[19] if stat else ""  # field 22: the start time, in ticks
    return {
        "pid": pid,
        "uid": os.getuid() if hasattr(os, "getuid") else -1,
        "start": start,
        "namespace": namespace,
        "boot": read("/proc/sys/kernel/random/boot_id"),
    }


def _remove_stale_scratch() -> None:
    """Scratch folders of builds that were killed, and only those: a folder is removed when its
    mark says it is this user's, from this PID namespace and boot, and its process is gone (or
    the PID now belongs to a process that started later). Anything else in the temporary folder
    (another program's studydeck-2024-backup, a live build in another container) is left alone."""
    for folder in Path(tempfile.gettempdir()).glob(f"{SCRATCH_PREFIX}*-*"):
        try:
            if folder.is_symlink() or not folder.is_dir():
                continue
            mark = json.loads((folder / SCRATCH_MARK).read_text("utf-8"))
            pid = mark["pid"]
            if not isinstance(pid, int) or isinstance(pid, bool) or folder.name.split("-")[2] != str(pid):
                continue
        except (OSError, ValueError, KeyError, TypeError, IndexError):
            continue
        me = _me(os.getpid())
        if any(mark.get(k) != me[k] for k in ("uid", "namespace", "boot")):
            continue
        if not _alive(pid) or (mark.get("start") and _me(pid)["start"] not in ("", mark["start"])):
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
    import signal

    global _QUEUE
    _QUEUE = queue
    # A forked worker has the build's handlers: SIGTERM would raise KeyboardInterrupt and print
    # a traceback when the build stops it. The build decides: Ctrl-C reaches it, it ends these.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
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


def _work(name: str, document: Document, templates: str) -> tuple[bytes, int]:
    report = (lambda n, what: _QUEUE.put((n, what))) if _QUEUE is not None else None
    return render({name: document}, Path(templates), report)[name]


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


MOVE_MAX = 0.15  # of a page's height: the most of an item moved off a page to join the balanced ones


def refit(doc, document: Document) -> Fit:
    """The sheet.Fit for the next layout, from where this one (made with document.fit) put things.

    Flows are settled one at a time, in document order, because settling one moves all that
    follows it: this keeps every decision document.fit has, settles the first flow it has
    not, and returns. For that flow:
    - cuts: the items that start on the page where the flow ends are set apart so that a
      section never ends in one full column beside empty ones. Items that may continue in the
      next column (entries, questions) go into a flow of their own whose columns WeasyPrint
      balances ([index of the first]; column-fill: balance took 10 to 30 times longer on a
      whole section, but one page's worth is cheap). Items that never break (document.whole:
      the answer key's) are set in explicit columns of even height, from their heights here
      ([index of the first, index starting each further column]);
    - break: when its heading stood alone at the foot of a page (WeasyPrint does not keep a
      heading with a multi-column flow), the section starts a page.
    Once every flow is settled, key_inline: the worksheet's answer key fits whole below the
    last question, so it needs no page of its own. pdf.render lays out again until refit
    returns the fit the layout was made with.
    """
    fit, columns = document.fit, document.columns
    where, last, heights = _measure(doc)
    cuts, breaks, settled = dict(fit.cuts), set(fit.breaks), set(fit.settled)
    for name, anchors in document.flows.items():
        if name in settled:
            continue
        settled.add(name)
        heading = document.headings.get(name)
        if heading in where and anchors and anchors[0] in where and where[anchors[0]] > where[heading]:
            breaks.add(name)  # the heading at a page's foot, its first item on the next page
        end = last.get(f"flow-{name}")
        if columns > 1 and end is not None and all(a in where for a in anchors):
            start = next((i for i, a in enumerate(anchors) if where[a] == end), len(anchors))
            if name in document.whole and len(anchors) - start >= 2:
                tail = [heights[a, end] for a in anchors[start:]]
                cuts[name] = [start + cut for cut in [0, *even_split(tail, columns)]]
            elif name not in document.whole:
                spanning = anchors[start - 1] if start > 0 else None
                before = sum(heights.get((spanning, n), 0.0) for n in range(where[spanning], end)) if spanning else 0
                if (
                    spanning
                    and last[spanning] == end
                    and heights[spanning, end] >= before
                    and before <= MOVE_MAX * doc.pages[end].height
                ):
                    start -= 1  # an item mostly on the last page: balanced with the others there
                    # (only a short start of it: the space it leaves on the page before stays empty)
                if start < len(anchors):
                    cuts[name] = [start]  # items that may continue in the next column: WeasyPrint balances them
        if cuts != fit.cuts or breaks != fit.breaks:
            break  # what follows this flow moves: settle it in the next layout
    key_inline = fit.key_inline or (settled == set(document.flows) and _key_fits_above(doc))
    return replace(fit, cuts=cuts, breaks=frozenset(breaks), settled=frozenset(settled), key_inline=key_inline)


def _measure(doc) -> tuple[dict[str, int], dict[str, int], dict[tuple[str, int], float]]:
    """element id -> the first page it is on, the last, and (id, page) -> its height on that
    page (the sum of its pieces there: an item continued in the next column counts whole)."""
    where, last, heights = {}, {}, {}

    def walk(box, number, parent_element):
        element = getattr(box, "element", None)
        anchor = element.get("id") if element is not None else None
        if anchor and element is not parent_element:  # the element's own box, not one inside it
            where.setdefault(anchor, number)
            last[anchor] = number
            heights[anchor, number] = heights.get((anchor, number), 0.0) + box.margin_height()
        for child in getattr(box, "children", ()):
            walk(child, number, element)

    for number, page in enumerate(doc.pages):
        walk(page._page_box, number, None)
    return where, last, heights


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
            best[(k, i)] = min(
                ((max(best[(k - 1, j)][0], prefix[i] - prefix[j]), best[(k - 1, j)][1] + [j]) for j in range(k - 1, i)),
                key=lambda c: c[0],
            )
    return best[(min(columns, n), n)][1]


def _key_fits_above(doc) -> bool:
    """Whether the worksheet's answer key (on pages of its own in the first layout) would fit
    whole in the space left on the page before it."""
    from weasyprint.formatting_structure.boxes import LineBox

    found = [
        (number, box)
        for number, page in enumerate(doc.pages)
        for box in page._page_box.descendants()
        if getattr(box, "element", None) is not None and box.element.get("id") == "answer-key"
    ]
    if not found or found[0][0] == 0 or len({n for n, _ in found}) > 1:
        return False
    number, key = found[0]
    before = doc.pages[number - 1]._page_box
    root = before.children[0]  # the document, not the running header and footer
    lines = [b.position_y + b.margin_height() for b in root.descendants() if isinstance(b, LineBox)]
    space = before.content_box_y() + before.height - max(lines, default=before.content_box_y() + before.height)
    return key.margin_height() + 40 <= space  # 40 px: the dashed rule and the gap above the key


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
            retain_gids=True,
            passthrough_tables=True,
            ignore_missing_glyphs=True,
            hinting=hinting,
            desubroutinize=True,
            notdef_outline=bool(self.missing),
        )
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
    """A URL fetcher that serves files under templates/ and the figures' data: URLs (checked and
    made safe by studydeck/figures.py), and refuses everything else."""
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
