"""entries.lock: the committed record of every note's identity, content hash and time.

Anki matches notes by GUID and updates one only when the incoming modification time is
newer. The lock keeps both stable: an unchanged note keeps its GUID and time forever, an
edited one gets a later time, and a note that disappears is reported instead of guessed.
"""
from __future__ import annotations

import difflib
import html
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from .deck import Note, note_guid
from .errors import BuildError, Problem
from .model import Config, Entry

LOCK_NAME = "entries.lock"
FORMAT = 1


@dataclass
class Lock:
    notes: dict[str, dict] = field(default_factory=dict)  # "entry/key" -> guid, hash, mod, ...
    removed: dict[str, dict] = field(default_factory=dict)  # tombstones: the GUIDs stay reserved
    notetype: dict = field(default_factory=dict)  # hash, mod

    def to_bytes(self) -> bytes:
        data = {"format": FORMAT, "notetype": self.notetype, "notes": self.notes, "removed": self.removed}
        return (json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode()


@dataclass(frozen=True)
class Changes:
    added: list[str]
    changed: list[str]
    renamed: list[tuple[str, str]]  # (old, new)
    removed: dict[str, dict]  # name -> tombstone, removed in this version


def read_lock(root: Path) -> Lock:
    path = root / LOCK_NAME
    if not path.exists():
        return Lock()
    return read_lock_file(path)


def read_lock_file(path: Path) -> Lock:
    """A lock file; an empty file stands for "no earlier release" (every note is new)."""
    try:
        if not path.read_bytes().strip():
            return Lock()
    except OSError as exc:
        raise BuildError(f"{path}: cannot read it ({exc.strerror})") from None
    try:
        data = json.loads(path.read_text("utf-8"))
        if data.get("format") != FORMAT:
            raise ValueError(f"unknown format {data.get('format')!r}")
        return Lock(dict(data["notes"]), dict(data.get("removed", {})), dict(data.get("notetype", {})))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BuildError(f"{path.name}: cannot read it ({exc}); restore it from git") from None


def content_hash(*parts) -> str:
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:32]


def note_names(entry: Entry) -> list[tuple[str, str]]:
    """(current name, name in the lock) for each definition; they differ only when renamed."""
    out = []
    for d in entry.definitions:
        old = f"{entry.renamed_from or entry.id}/{d.renamed_from or d.key}"
        out.append((f"{entry.id}/{d.key}", old))
    return out


def assign_guids(entries: list[Entry], lock: Lock, config: Config) -> tuple[dict, list[tuple[str, str]]]:
    """GUID per (entry id, key): the locked one, carried over on an explicit rename, else new."""
    guids, renames, problems, seen = {}, [], [], {}
    for entry in entries:
        for d, (name, old) in zip(entry.definitions, note_names(entry)):
            if name in lock.notes:
                guid = lock.notes[name]["guid"]
            elif old != name and old in lock.notes:
                guid = lock.notes[old]["guid"]
                renames.append((old, name))
            elif old != name:
                problems.append(Problem(entry.path, 0, 0, "renamed_from",
                                        f"'{name}' says it was renamed from '{old}', but {LOCK_NAME} has no such note"))
                continue
            else:
                guid = note_guid(config.guid_prefix, entry.id, d.key)
            if guid in seen:
                problems.append(Problem(entry.path, 0, 0, "", f"notes '{seen[guid]}' and '{name}' would share the "
                                                            f"GUID {guid}; only one of them may be renamed from it"))
            seen[guid] = name
            guids[(entry.id, d.key)] = guid
    if problems:
        raise BuildError("note identities conflict; nothing was written", problems)
    return guids, renames


def check_missing(entries: list[Entry], lock: Lock, renames, accept_removals: bool) -> list[str]:
    """Lock notes no entry defines any more: an error unless removals are accepted."""
    current = {name for e in entries for name, _ in note_names(e)}
    gone = sorted(set(lock.notes) - current - {old for old, _ in renames})
    if not gone or accept_removals:
        return gone
    new_ids = sorted({e.id for e in entries} - {n.split("/")[0] for n in lock.notes})
    by_path = {e.path: e for e in entries}
    problems = []
    for name in gone:
        note = lock.notes[name]
        old_id, key = name.split("/")
        here = by_path.get(note.get("path", ""))
        guess = here.id if here is not None and here.id != old_id else \
            next(iter(difflib.get_close_matches(old_id, new_ids, n=1, cutoff=0.3)), None)
        if guess and guess != old_id:
            hint = (f"entry '{old_id}' seems renamed to '{guess}': add 'renamed_from: {old_id}' to the entry "
                    f"'{guess}' to keep its notes and review history")
        else:
            hint = (f"if you renamed it, add 'renamed_from: {key}' to the definition (or 'renamed_from: {old_id}' "
                    f"to the entry); if you removed it on purpose, build with --accept-removals")
        problems.append(Problem(note.get("path", LOCK_NAME), 0, 0, "",
                                f"note '{name}' (GUID {note['guid']}) is in {LOCK_NAME} but no entry defines it; {hint}"))
    raise BuildError(f"{len(gone)} note(s) would silently disappear from users' decks; nothing was written", problems)


def note_hash(note: Note) -> str:
    return content_hash(note.fields, note.tags, note.deck, note.ordinals)


def update(lock: Lock, entries: list[Entry], notes: list[Note], mods: dict[str, int], notetype: dict,
           renames, gone: list[str], version: str) -> tuple[Lock, Changes]:
    """The lock after this build, and what changed since the one before."""
    paths = {e.id: e.path for e in entries}
    renamed_from = {new: old for old, new in renames}
    new, added, changed = Lock(notetype=notetype, removed=dict(lock.removed)), [], []
    for note in notes:
        name = f"{note.entry_id}/{note.key}"
        before = lock.notes.get(renamed_from.get(name, name))
        digest = note_hash(note)
        new.notes[name] = {"guid": note.guid, "hash": digest, "mod": mods[note.guid],
                           "path": paths[note.entry_id], "term": _term(note)}
        new.removed.pop(name, None)
        if before is None:
            added.append(name)
        elif before["hash"] != digest:
            changed.append(name)
    removed = {name: {**lock.notes[name], "removed_in": version} for name in gone}
    new.removed.update(removed)
    return new, Changes(sorted(added), sorted(changed), sorted(renames), removed)


def diff(before: Lock, after: Lock, version: str) -> Changes:
    """What changed between two locks (e.g. the previous release's and this one), matched by GUID."""
    old_names = {n["guid"]: name for name, n in before.notes.items()}
    guids = {n["guid"] for n in after.notes.values()}
    added, changed, renamed = [], [], []
    for name, note in after.notes.items():
        old = old_names.get(note["guid"])
        if old is None:
            added.append(name)
            continue
        if old != name:
            renamed.append((old, name))
        if before.notes[old]["hash"] != note["hash"]:
            changed.append(name)
    removed = {name: {**n, "removed_in": version} for name, n in before.notes.items() if n["guid"] not in guids}
    return Changes(sorted(added), sorted(changed), sorted(renamed), removed)


def _term(note: Note) -> str:
    return html.unescape(note.fields[1])
