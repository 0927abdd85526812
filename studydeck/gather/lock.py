"""entries.lock: the committed record of every note's identity and content.

Anki matches notes by GUID, so a note's GUID must never change; the lock keeps it, with the
hash of the note's content (to tell an edit), the time that content was first built with
(kept while it is unchanged, so a rebuild touches no other note), the answer of each of its
cards (to warn when a card's history would move to other content), and tombstones of removed
notes so their GUIDs are never handed out again. Released content takes its release's time
from git instead (studydeck/gather/releases.py): a committed file cannot know when it is tagged.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from studydeck.errors import BuildError, Problem
from studydeck.gather.reads import Reads

LOCK_NAME = "entries.lock"
FORMAT = 3
READABLE = (1, 2, 3)  # format 1 had no answers; in 3 the hashes cover each note's revision tag


@dataclass(frozen=True)
class NoteRecord:
    """One note as the lock remembers it."""

    guid: str
    hash: str
    mod: int  # the time this content was first built with (before any release shipped it)
    path: str  # the entry file that defined it
    term: str
    answers: tuple[tuple[int, str], ...] = ()  # (cloze number, its answer) for each card
    removed_in: str | None = None  # tombstones only: the version that removed it

    def to_json(self) -> dict:
        data = {
            "guid": self.guid,
            "hash": self.hash,
            "mod": self.mod,
            "path": self.path,
            "term": self.term,
            "answers": {str(n): a for n, a in self.answers},
        }
        if self.removed_in is not None:
            data["removed_in"] = self.removed_in
        return data


@dataclass(frozen=True)
class NotetypeRecord:
    """The notetype as the lock remembers it: its content hash and the time it was first built with."""

    hash: str = ""
    mod: int = -1


@dataclass
class Lock:
    notes: dict[str, NoteRecord] = field(default_factory=dict)  # "entry/key" -> record
    removed: dict[str, NoteRecord] = field(default_factory=dict)  # tombstones: their GUIDs stay reserved
    notetype: NotetypeRecord | None = None

    def to_bytes(self) -> bytes:
        nt = {"hash": self.notetype.hash, "mod": self.notetype.mod} if self.notetype else {}
        data = {
            "format": FORMAT,
            "notetype": nt,
            "notes": {n: r.to_json() for n, r in self.notes.items()},
            "removed": {n: r.to_json() for n, r in self.removed.items()},
        }
        return (json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode()


MAX_LOCK = 32 << 20  # bytes: about 30 times the lock of 1,000 entries


def read_lock(reads: Reads) -> Lock:
    path = reads.root / LOCK_NAME
    if not reads.exists(path):
        return Lock()
    return read_lock_file(reads, path, LOCK_NAME)


def read_lock_file(reads: Reads, path: Path, shown: str | None = None) -> Lock:
    """A lock file; an empty file stands for "no earlier release" (every note is new).

    Every mistake in it is a Problem with its line and column: a hand-edited or half-merged
    lock must never end in a traceback.
    """
    shown = shown or str(path)
    # entries.lock itself: restore it from git; another lock (--changes-since): say what it is not
    if path.name == LOCK_NAME:
        fix = f"is damaged; restore it from git (git checkout -- {LOCK_NAME})"
    else:
        fix = (
            f"is not a readable {LOCK_NAME}; give one from an earlier release (git show v1.0.0:{LOCK_NAME} > old.lock)"
        )
    try:
        if shown == LOCK_NAME and path.is_symlink():  # the project's own: a link could lead anywhere
            raise BuildError(f"{shown}: is a link; the lock is a file of the project: {fix.split('; ', 1)[1]}")
        if (size := path.stat().st_size) > MAX_LOCK:
            raise BuildError(f"{shown}: {size:,} bytes, over {MAX_LOCK:,}; {fix.split('; ', 1)[1]}")
        data = reads.bytes(path)
    except OSError as exc:
        raise BuildError(f"{shown}: cannot read it ({exc.strerror})") from None
    return parse(data, shown, fix)


def parse(data: bytes, shown: str, fix: str = "is damaged; it is not a lock") -> Lock:
    """A lock's bytes as a Lock; BuildError (each problem at its line) when it is not one."""
    if not data.strip():
        return Lock()
    try:
        text = data.decode("utf-8")
        doc = json.loads(text)
    except RecursionError:
        raise BuildError(f"{shown}: nested too deeply to be a lock; {fix.split('; ', 1)[1]}") from None
    except UnicodeDecodeError as exc:
        raise BuildError(f"{shown}: not UTF-8 at byte {exc.start}; {fix.split('; ', 1)[1]}") from None
    except json.JSONDecodeError as exc:
        raise BuildError(
            f"{shown} {fix}",
            [Problem(shown, exc.lineno, exc.colno, "", f"not valid JSON: {exc.msg}")],
        ) from None
    reader = _Reader(shown, text)
    lock = reader.lock(doc)
    if reader.problems:
        raise BuildError(f"{shown} {fix}", reader.problems)
    return lock


def _is_time(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 253_402_300_799


_NAME = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*/[a-z0-9]+(?:-[a-z0-9]+)*$")


class _Reader:
    """Checks the lock's shape, naming the field and the line of each mistake."""

    def __init__(self, shown: str, text: str):
        self.shown, self.text, self.problems = shown, text, []

    def add(self, where: str, message: str, key: str | None = None) -> None:
        line, col = self._locate(key)
        self.problems.append(Problem(self.shown, line, col, where, message))

    def _locate(self, key: str | None) -> tuple[int, int]:
        at = self.text.find(json.dumps(key, ensure_ascii=False) + ":") if key else -1
        if at < 0:
            return 1, 1
        return self.text.count("\n", 0, at) + 1, at - (self.text.rfind("\n", 0, at) + 1) + 1

    def lock(self, doc) -> Lock:
        if not isinstance(doc, dict):
            self.add("", "must be a JSON object")
            return Lock()
        if doc.get("format") not in READABLE:
            self.add(
                "format",
                f"unknown format {doc.get('format')!r}; this version reads "
                f"{', '.join(map(str, READABLE[:-1]))} and {READABLE[-1]}",
                "format",
            )
            return Lock()
        notetype = doc.get("notetype", {})
        if (
            not isinstance(notetype, dict)
            or not isinstance(notetype.get("hash", ""), str)
            or not _is_time(notetype.get("mod", 0))
        ):
            self.add("notetype", "must be an object with a string hash and a whole-number mod", "notetype")
            notetype = {}
        record = NotetypeRecord(notetype["hash"], notetype.get("mod", 0)) if notetype.get("hash") else None
        return Lock(self.records(doc, "notes"), self.records(doc, "removed"), record)

    def records(self, doc: dict, part: str) -> dict[str, NoteRecord]:
        items = doc.get(part, {})
        if not isinstance(items, dict):
            self.add(part, "must be an object of notes", part)
            return {}
        out = {}
        for name, item in items.items():
            record = self.record(part, name, item)
            if record is not None:
                out[name] = record
        return out

    def record(self, part: str, name: str, item) -> NoteRecord | None:
        where = f"{part}.{name}"
        if not _NAME.match(name):
            self.add(where, "is not a note name (entry-id/key)", name)
            return None
        if not isinstance(item, dict):
            self.add(where, "must be an object", name)
            return None
        values = {}
        for key in ("guid", "hash", "path", "term"):
            value = item.get(key, "" if key in ("path", "term") else None)
            if not isinstance(value, str) or (key in ("guid", "hash") and not value):
                self.add(f"{where}.{key}", "is missing" if value is None else "must be a non-empty string", name)
                return None
            values[key] = value
        mod = item.get("mod")
        if not _is_time(mod):
            self.add(f"{where}.mod", "is missing" if mod is None else "must be a whole number of seconds", name)
            return None
        answers = item.get("answers", {})
        if not isinstance(answers, dict) or not all(k.isdigit() and isinstance(v, str) for k, v in answers.items()):
            self.add(f"{where}.answers", "must map cloze numbers to answers", name)
            return None
        removed_in = item.get("removed_in")
        if part == "removed" and not isinstance(removed_in, str):
            removed_in = ""
        return NoteRecord(
            values["guid"],
            values["hash"],
            mod,
            values["path"],
            values["term"],
            answers=tuple(sorted((int(k), v) for k, v in answers.items())),
            removed_in=removed_in if part == "removed" else None,
        )
