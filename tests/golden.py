"""The golden build: the default project, built the same way every time, for tests/test_golden.py
and tests/golden/update.py (which rewrites the golden files).

The golden files are text a reviewer can read: CHANGES.md, the preview's markup (its style sheet
and inline fonts as digests) and the deck as Anki stores it (deck.txt: decks, note type, notes,
cards, media). They do not hold the bytes of the .apkg or the PDFs: those carry the versions of the
machine's libraries (SQLite writes its own version into the collection's header; Pango, HarfBuzz
and FreeType shape the PDFs' text), so a byte golden passes on one machine only. That the bytes
are reproducible is tested as the README promises it: two clones, same bytes (test_release.py).
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import tempfile
import zipfile
from pathlib import Path

from conftest import copy_project, outputs, run_build

GOLDEN = Path(__file__).resolve().parent / "golden"
ENV = {"SOURCE_DATE_EPOCH": "1700000000", "STUDYDECK_VERSION": "1.0.0"}


def build_golden(tmp: Path, **env: str) -> dict:
    """Build in a fresh git repository whose one commit is dated, as a release build is."""
    project = copy_project(tmp / "p", with_git=True)
    done = run_build(project, env={**ENV, **env})
    assert done.returncode == 0, done.stderr
    paths = outputs(project)
    return {
        "changes": paths["changes"].read_text("utf-8"),
        "preview": normalized_preview(paths["html"].read_text("utf-8")),
        "deck": deck_text(paths["apkg"]),
    }


def sha256(data: bytes | str) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def normalized_preview(page: str) -> str:
    """The preview's markup, with its style sheet (fonts inlined as base64) as one digest: what a
    change to the entries or the page template does shows as a diff of a few lines."""
    return re.sub(
        r"<style>(.*?)</style>", lambda m: f"<style>/* sha256 {sha256(m.group(1))} */</style>", page, flags=re.S
    )


def deck_text(apkg: Path) -> str:
    """The .apkg as Anki reads it, as text: every deck, the note type (fields, templates, the CSS as
    a digest), every note (GUID, tags, fields) and card (template, deck), and every media file."""
    with zipfile.ZipFile(apkg) as z, tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "collection.anki2"
        db.write_bytes(z.read("collection.anki2"))
        media = json.loads(z.read("media"))
        files = {name: sha256(z.read(number)) for number, name in media.items()}
        con = sqlite3.connect(db)
        try:
            models, decks = (json.loads(v) for v in con.execute("select models, decks from col").fetchone())
            notes = con.execute("select id, guid, mid, tags, flds from notes order by guid").fetchall()
            cards = con.execute("select nid, ord, did from cards order by nid, ord").fetchall()
        finally:
            con.close()
    deck_names = {int(k): d["name"] for k, d in decks.items()}
    lines = ["# decks", *sorted(f"{k} {name}" for k, name in deck_names.items())]
    for mid, m in sorted(models.items()):
        lines += [
            f"# note type {mid} {m['name']} (type {m['type']}, sort field {m['sortf']})",
            "fields: " + " | ".join(f["name"] for f in m["flds"]),
            f"css: sha256 {sha256(m['css'])}",
        ]
        for t in m["tmpls"]:
            lines += [f"## template {t['ord']} {t['name']}", "front:", t["qfmt"], "back:", t["afmt"]]
    field_names = {int(mid): [f["name"] for f in m["flds"]] for mid, m in models.items()}
    by_note: dict[int, list[str]] = {}
    for nid, ord_, did in cards:
        by_note.setdefault(nid, []).append(f"c{ord_ + 1} in {deck_names.get(did, did)}")
    for nid, guid, mid, tags, flds in notes:
        lines += [f"# note {guid} (type {mid})", f"tags: {tags.strip()}", "cards: " + ", ".join(by_note.get(nid, []))]
        for name, value in zip(field_names[mid], flds.split("\x1f"), strict=True):
            lines.append(f"{name}: {value}")
    lines += ["# media", *(f"{name} sha256 {digest}" for name, digest in sorted(files.items()))]
    return "\n".join(lines) + "\n"
