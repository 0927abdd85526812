"""Note identity: each note's GUID, content hash and modification time, and what changed.

Anki matches notes by GUID and updates one on import only when the incoming modification
time is newer than the one it holds, so:
- a GUID comes from the note's id and key, and once in entries.lock it never changes (an
  explicit `renamed_from` carries it to a new name);
- a note whose content the latest release shipped keeps the time of the release that first
  shipped it, in every later build (Anki up to 24.11 stores the time of an import as an
  updated note's time: only a release's own time is sure to be later than a user's import of
  the release before);
- any other note keeps the time entries.lock has for its content; content new since the lock
  gets the time of the release being made (SOURCE_DATE_EPOCH), or between releases the time
  its file last changed; never earlier than the latest release, nor than its own last time.

Each note also carries a revision tag made from its content (`studydeck::rev::<8 characters>`).
A note Anki did not update (because the learner changed it after the release did) keeps an
older revision tag, so one search finds every such note (outputs/changes.py, CHANGES.md).
"""

from __future__ import annotations

import base64
import difflib
import functools
import hashlib
import json
from dataclasses import dataclass, field

from studydeck.anki.notes import Note, note_guid
from studydeck.errors import BuildError, Problem
from studydeck.gather import releases as rel
from studydeck.gather.lock import LOCK_NAME, Lock, NoteRecord, NotetypeRecord
from studydeck.model import Config, Entry


@dataclass(frozen=True)
class NoteIdentity:
    """One note of this build as Anki and entries.lock will see it."""

    name: str  # "entry-id/key"
    old_name: str  # its name in the lock: differs only when renamed
    guid: str
    hash: str
    first: int  # the time entries.lock keeps for this content
    mod: int  # the time Anki gets: the release that first shipped this content, else `first`
    path: str
    term: str
    answers: tuple[tuple[int, str], ...]
    legacy: str = ""  # the hash lock format 2 had for this content (before revision tags)


@dataclass(frozen=True)
class NoteChanges:
    added: list[str]
    changed: list[str]
    renamed: list[tuple[str, str]]  # (old, new)
    removed: dict[str, NoteRecord]  # name -> tombstone
    dropped: list[tuple[str, int, str]] = ()  # cards whose cloze number left a note: (name, number, answer)
    retagged: list[str] = ()  # same content, first given its revision tag (a lock of format 2 before)
    was: dict[str, NoteRecord] = field(default_factory=dict)  # changed note -> its record before

    def summary(self) -> str:
        tagged = f", {len(self.retagged)} given their revision tag" if self.retagged else ""
        return (
            f"{len(self.added)} added, {len(self.changed)} changed, {len(self.renamed)} renamed, "
            f"{len(self.removed)} removed{tagged}"
        )


def content_hash(*parts) -> str:
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:32]


def notetype_hash(nt) -> str:
    return content_hash(*nt.identity())


REV_PARENT = "studydeck::rev"  # the revision tags' parent: one entry in the learner's tag list


def note_hash(note: Note) -> str:
    """Everything Anki gets of the note. Its revision tag is made from this hash, so the tag is
    covered too; REV_PARENT in it made every hash change once, when the tags came (lock format 3):
    each note got a new time, and so Anki updates it once to bring its tag."""
    return content_hash(note.fields, note.tags, note.deck, note.ordinals, REV_PARENT)


def legacy_hash(note: Note) -> str:
    """The note's hash in a lock of format 2 (before revision tags), to tell a note whose
    content did not change from one that did, in the first build with revision tags."""
    return content_hash(note.fields, note.tags, note.deck, note.ordinals)


def rev_tag(guid: str, digest: str) -> str:
    """The note's revision tag: 40 bits of its GUID and content hash, in lowercase base32 (Anki
    treats tags without regard to case). That no two differ only in the hash is checked: revs()."""
    raw = hashlib.sha256(f"{guid}\x1f{digest}".encode()).digest()[:5]
    return f"{REV_PARENT}::{base64.b32encode(raw).decode().lower()}"


def revs(releases: list[rel.Release], notes: list[NoteIdentity]) -> tuple[dict[str, str], frozenset[str]]:
    """GUID -> revision tag of this build's notes, and the revision tags earlier releases
    shipped that this build does not (of notes changed or removed since): the only other
    tags a learner who imports releases can hold. A clash between the two sets, or two
    notes with one tag, would make the search miss a note or find one too many: an error."""
    current = {n.guid: rev_tag(n.guid, n.hash) for n in notes}
    shipped = {(g, h) for r in releases if r.revs for g, h in r.notes.items()}
    ours = {(n.guid, n.hash) for n in notes}
    old = {rev_tag(g, h): g for g, h in shipped - ours}
    owners: dict[str, str] = {}
    for n in notes:
        tag = current[n.guid]
        if tag in owners or tag in old:
            raise BuildError(
                f"{n.path}: note '{n.name}' would get the revision tag {tag}, which another note has "
                "or an earlier release gave to other content; change a character of its text"
            )
        owners[tag] = n.name
    return current, frozenset(old)


def names(entry: Entry) -> list[tuple[str, str, int]]:
    """(current name, name in the lock, definition index) for each definition of an entry."""
    return [
        (f"{entry.id}/{d.key}", f"{entry.renamed_from or entry.id}/{d.renamed_from or d.key}", i)
        for i, d in enumerate(entry.definitions)
    ]


def assign_guids(entries: list[Entry], lock: Lock, config: Config) -> tuple[dict[str, str], dict[str, str]]:
    """name -> GUID (the locked one, carried over on an explicit rename, else new), and the
    renames (new name -> old name). Conflicts are problems located at the field that caused them."""
    guids, renamed, problems, seen = {}, {}, [], {}
    for entry in entries:
        for name, old, i in names(entry):
            field = _rename_field(entry, i)
            line, col = entry.at(field)
            at = functools.partial(Problem, entry.path, line, col, field)  # at(message): a Problem here
            if old != name and old in lock.notes:  # (before a locked `name`: a draft made in a clone
                guid = lock.notes[old].guid  # that saw no release, beside the released `old` it renames)
                renamed[name] = old
            elif name in lock.notes:
                guid = lock.notes[name].guid
            elif old != name:
                problems.append(at(f"'{name}' says it was renamed from '{old}', but {LOCK_NAME} has no such note"))
                continue
            else:
                guid = note_guid(config.guid_prefix, *name.split("/"))
                tomb = next((n for n, r in lock.removed.items() if r.guid == guid and n != name), None)
                if tomb is not None:
                    problems.append(
                        at(
                            f"'{name}' would get the GUID of the removed note '{tomb}' and with "
                            "it that note's review history; give the definition another key"
                        )
                    )
                    continue
            if guid in seen:
                problems.append(
                    at(
                        f"notes '{seen[guid]}' and '{name}' would share the GUID {guid}; only one "
                        "of them may be renamed from it"
                    )
                )
            seen[guid] = name
            guids[name] = guid
    if problems:
        raise BuildError("note identities conflict; nothing was written", problems)
    return guids, renamed


def _rename_field(entry: Entry, i: int) -> str:
    d = entry.definitions[i]
    if d.renamed_from:
        return f"definitions[{i}].renamed_from"
    if entry.renamed_from:
        return "renamed_from"
    return f"definitions[{i}].key"


def check_missing(
    entries: list[Entry], lock: Lock, renamed: dict[str, str], accept_removals: bool, shipped: frozenset[str] | None
) -> list[str]:
    """Released notes no entry defines any more: an error unless removals are accepted. A draft
    (a note of the lock no release shipped: shipped, from releases.shipped) simply goes."""
    current = {name for e in entries for name, _, _ in names(e)}
    gone = sorted(set(lock.notes) - current - set(renamed.values()))
    gone = [n for n in gone if shipped is None or lock.notes[n].guid in shipped]
    if not gone or accept_removals:
        return gone
    new_ids = sorted({e.id for e in entries} - {n.split("/")[0] for n in lock.notes})
    by_path = {e.path: e for e in entries}
    problems = []
    for name in gone:
        note = lock.notes[name]
        old_id, key = name.split("/")
        here = by_path.get(note.path)
        guess = (
            here.id
            if here is not None and here.id != old_id
            else next(iter(difflib.get_close_matches(old_id, new_ids, n=1, cutoff=0.3)), None)
        )
        if guess and guess != old_id:
            hint = (
                f"entry '{old_id}' seems renamed to '{guess}': add 'renamed_from: {old_id}' to the entry "
                f"'{guess}' to keep its notes and review history"
            )
        else:
            hint = (
                f"if you renamed it, add 'renamed_from: {key}' to the definition (or 'renamed_from: {old_id}' "
                f"to the entry); if you removed it on purpose, build with --accept-removals"
            )
        line, col = here.at("definitions") if here is not None else (0, 0)
        field = "definitions" if here is not None else ""
        problems.append(
            Problem(
                note.path or LOCK_NAME,
                line,
                col,
                field,
                f"note '{name}' (GUID {note.guid}) is in {LOCK_NAME} but no entry defines it; {hint}",
            )
        )
    raise BuildError(f"{len(gone)} note(s) would silently disappear from users' decks; nothing was written", problems)


@dataclass(frozen=True)
class Clock:
    """What decides modification times: the releases so far, when each file's content came to
    be, and the time of the release being made (SOURCE_DATE_EPOCH), if this build is one."""

    releases: tuple[rel.Release, ...]
    content_times: dict[str, int]  # project-relative path -> time
    release_time: int | None

    def first_time(self, digest: str, before: NoteRecord | NotetypeRecord | None, content_time: int) -> int:
        """The time entries.lock keeps for this content: the locked one while it is unchanged."""
        if before is not None and before.hash == digest:
            return before.mod
        floor = max(self.releases[-1].time + 1 if self.releases else 0, (before.mod if before else -1) + 1)
        return max(self.release_time if self.release_time is not None else content_time, floor)

    def shipped(self, guid: str, digest: str, first: int) -> int:
        """The time Anki gets: the release that first shipped this content, else its first time."""
        released = rel.released_time(list(self.releases), guid, digest)
        return released if released is not None else first


def identify(
    entries: list[Entry], notes: list[Note], lock: Lock, renamed: dict[str, str], clock: Clock
) -> list[NoteIdentity]:
    """A NoteIdentity for every note, in note order."""
    paths = {e.id: e.path for e in entries}
    out = []
    for note in notes:
        name = f"{note.entry_id}/{note.key}"
        digest, path, old = note_hash(note), paths[note.entry_id], renamed.get(name, name)
        first = clock.first_time(digest, lock.notes.get(old), clock.content_times[path])
        out.append(
            NoteIdentity(
                name,
                old,
                note.guid,
                digest,
                first,
                clock.shipped(note.guid, digest, first),
                path,
                note.term,
                note.answers,
                legacy_hash(note),
            )
        )
    return out


def notetype_times(clock: Clock, digest: str, lock: Lock, paths: list[str]) -> tuple[NotetypeRecord, int]:
    """The notetype's record for the lock, and the time Anki gets for it."""
    first = clock.first_time(digest, lock.notetype, max(clock.content_times[p] for p in paths))
    released = rel.notetype_time(list(clock.releases), digest)
    return NotetypeRecord(digest, first), released if released is not None else first


def update(
    lock: Lock, notes: list[NoteIdentity], notetype: NotetypeRecord, gone: list[str], version: str
) -> tuple[Lock, NoteChanges]:
    """The lock after this build, and what changed since the one before. gone: the released
    notes no entry defines (each leaves a tombstone); a draft no entry defines leaves nothing."""
    new, added, changed, retagged, renames = Lock(notetype=notetype, removed=dict(lock.removed)), [], [], [], []
    was = {}
    for n in notes:
        new.notes[n.name] = NoteRecord(n.guid, n.hash, n.first, n.path, n.term, n.answers)
        new.removed.pop(n.name, None)
        before = lock.notes.get(n.old_name)
        if before is None:
            added.append(n.name)
        elif before.hash == n.legacy:
            retagged.append(n.name)
        elif before.hash != n.hash:
            changed.append(n.name)
            was[n.name] = before
        if n.old_name != n.name:
            renames.append((n.old_name, n.name))
    removed = {name: _tombstone(lock.notes[name], version) for name in gone}
    new.removed.update(removed)
    return new, NoteChanges(
        sorted(added), sorted(changed), sorted(renames), removed, _dropped(lock, new), sorted(retagged), was
    )


def _dropped(before: Lock, after: Lock) -> list[tuple[str, int, str]]:
    """Cards whose cloze number is gone from a note that stays (matched by GUID): Anki keeps
    them as empty cards until the user runs Tools > Empty Cards."""
    old = {r.guid: r for r in before.notes.values()}
    out = []
    for name, record in after.notes.items():
        if record.guid in old and old[record.guid].answers and record.answers:
            now = {n for n, _ in record.answers}
            out += [(name, n, a) for n, a in old[record.guid].answers if n not in now]
    return sorted(out)


def _tombstone(record: NoteRecord, version: str) -> NoteRecord:
    return NoteRecord(record.guid, record.hash, record.mod, record.path, record.term, record.answers, version)


def diff(before: Lock, after: Lock, version: str, legacy: dict[str, str] | None = None) -> NoteChanges:
    """What changed between two locks (e.g. the previous release's and this one), matched by GUID.
    legacy: GUID -> the note's hash as lock format 2 had it, to tell notes only given their tag."""
    old_names = {r.guid: name for name, r in before.notes.items()}
    guids = {r.guid for r in after.notes.values()}
    added, changed, renamed, retagged, was = [], [], [], [], {}
    for name, record in after.notes.items():
        old = old_names.get(record.guid)
        if old is None:
            added.append(name)
            continue
        if old != name:
            renamed.append((old, name))
        if before.notes[old].hash == (legacy or {}).get(record.guid):
            retagged.append(name)
        elif before.notes[old].hash != record.hash:
            changed.append(name)
            was[name] = before.notes[old]
    removed = {name: _tombstone(r, version) for name, r in before.notes.items() if r.guid not in guids}
    return NoteChanges(
        sorted(added), sorted(changed), sorted(renamed), removed, _dropped(before, after), sorted(retagged), was
    )
