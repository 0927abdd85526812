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
