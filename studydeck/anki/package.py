"""Notes -> .apkg bytes: genanki writes the collection, we write the zip so the bytes repeat."""

from __future__ import annotations

import hashlib
import io
import json
import sqlite3
import zipfile

import genanki

from studydeck.anki.notes import Note, Notetype, deck_id

ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # zip's epoch: the entry times carry no build clock


class _Note(genanki.Note):
    """A genanki note with our own card ordinals, modification time and ids.

    genanki 0.13.1 finds cards with a regex that misses nested clozes and stamps every
    note with one package-wide timestamp; both are decided by our code instead.
    """

    def __init__(self, note: Note, model: genanki.Model, mod: int, rev: str | None):
        tags = [*note.tags, rev] if rev else list(note.tags)
        super().__init__(
            model=model, fields=list(note.fields), tags=tags, guid=note.guid, due=note.position
        )  # a new card's position: new cards come in reading order
        self._ordinals = note.ordinals
        self._mod = mod

    @property
    def cards(self):
        return [genanki.Card(o - 1) for o in self._ordinals]

    def write_to_db(self, cursor, timestamp, deck_id, id_gen):
        ids = iter(_stable_id(self.guid, i) for i in range(len(self._ordinals) + 1))
        super().write_to_db(cursor, self._mod, deck_id, ids)


def _stable_id(guid: str, n: int) -> int:
    """A note (n=0) or card (n>0) id from the GUID: same note, same id, in every build."""
    h = int.from_bytes(hashlib.sha256(f"{guid}/{n}".encode()).digest()[:6], "big")
    return 10**12 + h % (9 * 10**12)  # 13 digits, like Anki's own millisecond ids


def _model(nt: Notetype) -> genanki.Model:
    return genanki.Model(
        nt.id,
        nt.name,
        fields=[{"name": f, "id": i} for f, i in zip(nt.fields, nt.field_ids, strict=True)],
        templates=[{"name": nt.template, "qfmt": nt.front, "afmt": nt.back_html, "id": nt.template_id}],
        css=nt.css,
        model_type=genanki.Model.CLOZE,
    )


def pack(
    notes: list[Note],
    nt: Notetype,
    decks: dict[str, str],
    note_mods: dict[str, int],
    notetype_mod: int,
    media: dict[str, bytes] | None = None,
    revs: dict[str, str] | None = None,
) -> bytes:
    """The .apkg file's bytes; the same inputs always give the same bytes. decks: name ->
    description (HTML), every deck the package holds. media: file name ->
    bytes (Anki's media folder; names starting with '_' are kept even if no note refers to them).
    revs: GUID -> the note's revision tag, added to its tags (identity.rev_tag)."""
    model = _model(nt)
    by_name = {name: genanki.Deck(deck_id(name), name, description) for name, description in decks.items()}
    for note in notes:
        if not note.ordinals:
            raise ValueError(f"note {note.entry_id}/{note.key} has no cloze and would give no card")
        by_name[note.deck].add_note(_Note(note, model, note_mods[note.guid], (revs or {}).get(note.guid)))
    for deck in by_name.values():
        deck.add_model(model)
    # The collection is made in memory and serialized: no temporary file that a build stopped at
    # the wrong moment (or killed) could leave behind.
    conn = sqlite3.connect(":memory:")
    try:
        genanki.Package(list(by_name.values())).write_to_db(conn.cursor(), notetype_mod, iter(()))
        conn.commit()
        collection = conn.serialize()
    finally:
        conn.close()
    names = sorted(media or {})
    index = json.dumps({str(i): name for i, name in enumerate(names)}, ensure_ascii=False).encode()
    return _zip(
        {
            "collection.anki2": collection,
            "media": index,
            **{str(i): media[name] for i, name in enumerate(names)},
        }
    )


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o100644 << 16
            zf.writestr(info, data, compresslevel=6)
    return buf.getvalue()
