"""Entries -> Anki notes, decks and our cloze notetype, with identities that never drift."""
from __future__ import annotations

import hashlib
import html
from dataclasses import dataclass
from pathlib import Path

from . import markup
from .model import GROUPS, Config, Entry

# The notetype. Anki refuses to update notes whose notetype's fields or templates changed
# (it imports a copy instead), so these names are frozen and pinned by a test. See README,
# "Changing the note type".
NOTETYPE_ID = 1731852046
NOTETYPE_NAME = "k8s-study-deck cloze"
FIELDS = ("Text", "Term", "Title", "Points", "Related", "Source", "Id")
TEMPLATE_NAME = "Cloze"


@dataclass(frozen=True)
class Note:
    """One cloze note, everything Anki will see, before packing."""

    entry_id: str
    key: str
    guid: str
    deck: str
    fields: tuple[str, ...]
    tags: tuple[str, ...]
    ordinals: tuple[int, ...]  # 1-based cloze numbers, nested ones included


@dataclass(frozen=True)
class Notetype:
    id: int
    name: str
    fields: tuple[str, ...]
    template: str
    front: str
    back: str
    css: str


def note_guid(prefix: str, entry_id: str, key: str) -> str:
    """The note's GUID: from the project prefix and the note's identity only, never its content."""
    digest = hashlib.sha256(f"{prefix}\x1f{entry_id}\x1f{key}".encode()).hexdigest()
    return f"{prefix}:{digest[:20]}"


def deck_id(name: str) -> int:
    """A stable deck id from the deck's full name (Anki matches decks by name anyway)."""
    return (1 << 40) + int.from_bytes(hashlib.sha256(name.encode()).digest()[:5], "big")


def subdeck(config: Config, group: str) -> str:
    return f"{config.deck}::{group}"


def notetype(templates: Path) -> Notetype:
    """Our cloze notetype; its text lives in templates/card/."""
    card = templates / "card"
    return Notetype(NOTETYPE_ID, NOTETYPE_NAME, FIELDS, TEMPLATE_NAME,
                    (card / "front.html").read_text("utf-8"), (card / "back.html").read_text("utf-8"),
                    (card / "card.css").read_text("utf-8"))


def notes(entries: list[Entry], config: Config, guids: dict[tuple[str, str], str]) -> list[Note]:
    """One note per definition, in entry file order then definition order."""
    titles = {e.id: e.title for e in entries}
    out = []
    for entry in entries:
        points = "<ul>" + "".join(f"<li>{markup.to_anki(p)}</li>" for p in entry.points) + "</ul>"
        related = ", ".join(html.escape(titles[r]) for r in entry.related)
        source = (f'<a href="{html.escape(entry.source, quote=True)}">{html.escape(entry.source)}</a>'
                  if entry.source else "")
        tags = tuple(dict.fromkeys((entry.group, *entry.tags)))
        for d in entry.definitions:
            fields = (markup.to_anki(d.tree), html.escape(d.term), html.escape(entry.title),
                      points, related, source, html.escape(entry.id))
            out.append(Note(entry.id, d.key, guids[(entry.id, d.key)], subdeck(config, entry.group),
                            fields, tags, tuple(sorted(markup.ordinals(d.tree)))))
    return out


def deck_names(config: Config) -> list[str]:
    return [subdeck(config, g) for g in GROUPS]
