"""The validated data the pipeline works on: frozen, no I/O."""
from __future__ import annotations

from dataclasses import dataclass

GROUPS = ("object", "개념")  # the sheet's sections and the deck's subdecks, in this order


@dataclass(frozen=True)
class Definition:
    key: str  # stable within its entry; with the entry id it is the note's identity
    term: str
    text: str  # Anki cloze source after auto-cloze, our inline markup
    tree: tuple  # markup.parse(text)
    renamed_from: str | None = None


@dataclass(frozen=True)
class Entry:
    id: str
    title: str
    group: str
    tags: tuple[str, ...]
    definitions: tuple[Definition, ...]
    points: tuple[tuple, ...]  # each a markup tree without clozes
    related: tuple[str, ...]
    source: str | None
    path: str  # relative to the project
    renamed_from: str | None = None


@dataclass(frozen=True)
class Config:
    deck: str
    guid_prefix: str
    version: str


PAPERS = {"a4": "A4", "letter": "letter"}  # --paper value -> CSS page size
MAX_COLUMNS = 4


@dataclass(frozen=True)
class PrintOptions:
    """How the sheets are printed, and which entries they show (the deck always has all)."""

    paper: str = "a4"
    columns: int = 2
    groups: tuple[str, ...] = ()  # empty: every group
    tags: tuple[str, ...] = ()  # empty: every entry; else entries with any of these tags

    def select(self, entries: list[Entry]) -> list[Entry]:
        return [e for e in entries
                if (not self.groups or e.group in self.groups)
                and (not self.tags or set(self.tags) & set(e.tags))]

    @property
    def subset(self) -> bool:
        return bool(self.groups or self.tags)

    def suffix(self) -> str:
        """Added to the sheets' file names when they print a subset, so the full ones are not replaced."""
        return "".join(f"-{part}" for part in (*self.groups, *self.tags))
