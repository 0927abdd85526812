"""The validated data the pipeline works on: frozen, no I/O."""

from __future__ import annotations

import base64
import hashlib
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

Pos = tuple[int, int]  # (line, column), 1-based; (0, 0) when unknown


@dataclass(frozen=True)
class Figure:
    """An image an entry or a definition shows (studydeck/figures/ checks and cleans it)."""

    file: str  # as written: relative to the entry file's folder
    alt: str  # what the image shows, for someone who cannot see it
    caption: str = ""  # shown under the image
    front: bool = False  # also on the card's front (and so in the worksheet): it gives nothing away
    place: str = "figure"  # the entry's field, for messages ("definitions[1].figure")
    pos: Pos = (0, 0)  # where `file:` is in the entry file
    kind: str = ""  # "svg", "png", "jpeg" or "webp", from the bytes (once loaded)
    data: bytes = field(default=b"", repr=False)  # what the outputs carry: an SVG rebuilt clean
    size: tuple[float, float] = (0, 0)  # width, height in CSS px
    words: str = ""  # an SVG's text, for the card-quality checks
    text_px: float = 0.0  # an SVG's smallest text in CSS px at its own size (0: none, or a raster)

    MIME = {"svg": "image/svg+xml", "png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}

    @property
    def media(self) -> str:
        """Its name in Anki's media folder: from its bytes, so an edited figure arrives under a
        new name and two figures never share one (never a leading '_': Anki keeps the first file
        of such a name)."""
        ext = "jpg" if self.kind == "jpeg" else self.kind
        return f"studydeck-{hashlib.sha256(self.data).hexdigest()[:20]}.{ext}"

    @property
    def mime(self) -> str:
        return self.MIME[self.kind]

    @property
    def data_url(self) -> str:
        return f"data:{self.mime};base64,{base64.b64encode(self.data).decode()}"

    def readable(self, text_px: float = 12.0) -> tuple[int, int] | None:
        """The smallest size (width, height in CSS px, rounded up) at which the figure's text is at
        least text_px: a card never draws it smaller (a phone scrolls it sideways instead).
        None for a figure without text (a raster's text is unknown)."""
        if not self.text_px:
            return None
        scale = text_px / self.text_px
        return math.ceil(self.size[0] * scale), math.ceil(self.size[1] * scale)

    def view(self) -> dict:
        """What templates/_figure.html.j2 shows."""
        width, height = (round(v) for v in self.size)
        return {"src": self.data_url, "alt": self.alt, "caption": self.caption, "width": width, "height": height}


@dataclass(frozen=True)
class Definition:
    key: str  # stable within its entry; with the entry id it is the note's identity
    term: str
    text: str  # the text as written (our inline markup and Anki clozes)
    tree: tuple  # markup.parse(text), with the term clozed when the text had no cloze
    renamed_from: str | None = None
    span: object = field(default=None, compare=False, repr=False)  # load.Span of text: offsets -> line:col
    lint_ignore: tuple[str, ...] = ()  # card-quality rules silenced for this definition
    figure: Figure | None = None  # shown on this definition's card (instead of the entry's)


@dataclass(frozen=True)
class Entry:
    id: str
    title: str
    group: str
    tags: tuple[str, ...]
    definitions: tuple[Definition, ...]
    points: tuple[tuple, ...]  # each a markup tree without clozes
    related: tuple[str, ...]
    sources: tuple[str, ...]  # https URLs the facts were checked against
    path: str  # relative to the project
    renamed_from: str | None = None
    where: dict = field(default_factory=dict, compare=False, repr=False)  # field -> Pos in the file
    figure: Figure | None = None  # beside the entry; on its cards unless a definition has its own

    @property
    def figures(self) -> list[Figure]:
        return [f for f in (self.figure, *(d.figure for d in self.definitions)) if f is not None]

    def at(self, name: str) -> Pos:
        """Where a field ("id", "definitions[1].key", ...) is in the file; the entry's start otherwise."""
        return self.where.get(name) or self.where.get("", (0, 0))


@dataclass(frozen=True)
class LintConfig:
    """[tool.studydeck.lint]: thresholds of the card-quality rules (studydeck/gather/lint.py)."""

    max_answer_chars: int = 20  # characters (not counting spaces) one deletion may hide
    max_answer_share: float = 0.5  # the share of its sentence one deletion may hide
    max_deletions: int = 3  # cloze numbers (cards) in one definition


@dataclass(frozen=True)
class Group:
    """[[tool.studydeck.groups]]: a section of the sheets and a subdeck."""

    name: str  # what entries write as `group:`; also an Anki tag
    label: str  # the section heading on the sheets and in the preview
    subdeck: str  # the subdeck: "<deck>::<subdeck>"
    order: tuple[str, ...] = ()  # entry ids first, in this order; the rest after them by title


@dataclass(frozen=True)
class Config:
    deck: str
    guid_prefix: str
    version: str
    lint: LintConfig = LintConfig()
    groups: tuple[Group, ...] = ()
    description: str = ""  # shown on Anki's deck overview, with the version and the links below
    source_url: str | None = None  # the project online (ends in "/"): cards link <source_url>entries/<id>.yaml
    changes_url: str | None = None  # this release's change list online (the deck description links it)
    language: str = "ko"  # of the release notes (CHANGES.md): "ko" or "en"
    accept_changes: tuple[
        tuple[str, str], ...
    ] = ()  # (setting, released value) the author means to leave (config.check_released)
    source: str = field(default="", compare=False, repr=False)  # pyproject.toml's text: where problems are

    @property
    def group_names(self) -> tuple[str, ...]:
        return tuple(g.name for g in self.groups)

    def group(self, name: str) -> Group:
        return next(g for g in self.groups if g.name == name)


PAPERS = {"a4": "A4", "letter": "letter"}  # --paper value -> CSS page size
PAPER_WIDTH_MM = {"a4": 210.0, "letter": 215.9}
MAX_COLUMNS = 4


@dataclass(frozen=True)
class Options:
    """What the command line asks of one build. Every field is part of the check that stops a
    rebuild whose inputs did not change (pipeline, cache.Record): a new one joins it by itself."""

    root: Path
    out: Path
    only: str | None = None  # "deck", "sheet", "worksheet" or None for all
    check: bool = False
    strict: bool = False  # card-quality warnings are errors
    accept_removals: bool = False
    locked: bool = False
    printing: PrintOptions = None  # None: PrintOptions()
    changes_since: Path | None = None  # a previous release's entries.lock for CHANGES.md

    def __post_init__(self):
        if self.printing is None:
            object.__setattr__(self, "printing", PrintOptions())


@dataclass(frozen=True)
class PrintOptions:
    """How the sheets are printed, and which entries they show (the deck always has all)."""

    paper: str = "a4"
    columns: int = 2
    groups: tuple[str, ...] = ()  # empty: every group
    tags: tuple[str, ...] = ()  # empty: every entry; else entries with any of these tags

    # The page's geometry: templates/_page.html.j2 sets it in CSS, and the worksheet sizes its
    # blanks to fit a column with it.
    SIDE_MARGIN_MM = 12.0
    COLUMN_GAP_MM = 6.0
    BODY_PT = 8.6
    MEASURE_MM = 125.0  # one column: the text's lines at most this long (about 45-75 characters a line)

    @property
    def measure_mm(self) -> float:
        """The width of a column's text: the column's, but never wider than MEASURE_MM."""
        text = PAPER_WIDTH_MM[self.paper] - 2 * self.SIDE_MARGIN_MM - (self.columns - 1) * self.COLUMN_GAP_MM
        return min(text / self.columns, self.MEASURE_MM)

    @property
    def column_em(self) -> float:
        """A column's text width, in em of the body text."""
        return self.measure_mm / (self.BODY_PT * 25.4 / 72)

    def select(self, entries: list[Entry]) -> list[Entry]:
        return [
            e
            for e in entries
            if (not self.groups or e.group in self.groups) and (not self.tags or set(self.tags) & set(e.tags))
        ]

    @property
    def subset(self) -> bool:
        return bool(self.groups or self.tags)

    def suffix(self) -> str:
        """Added to the sheets' file names when they print a subset, so the full ones are not replaced:
        '-object-networking' for --group object --tag networking. Any tag makes a file name: where
        one had to be changed (ci/cd) or cut, a short hash of the real ones keeps subsets apart."""
        real = (*self.groups, *self.tags)
        parts = [re.sub(r"[^\w.-]+", "-", p).strip(".-") or "x" for p in real]
        joined = "-".join(parts)
        if parts != list(real) or len(joined.encode()) > 100:
            tail = hashlib.sha256("\0".join(real).encode("utf-8", "surrogatepass")).hexdigest()[:8]
            joined = joined.encode()[:90].decode("utf-8", "ignore").rstrip(".-") + "-" + tail
        return f"-{joined}" if joined else ""
