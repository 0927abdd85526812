"""The releases so far: each `v[0-9]*` tag in HEAD's history, its commit time and its entries.lock.

A release gives every note whose content changed since the release before it the release's
own time (the tagged commit's, as SOURCE_DATE_EPOCH in the release job), and every later
build that ships the same content gives the same time again. Anki up to 24.11 stores the
time of the import as an updated note's time, so only a time at least as late as the
release's can bring an edit that was committed before a user's (late) import of the
previous release. The times live in git, where every clone of a commit sees the same ones.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass

from studydeck.errors import BuildError
from studydeck.gather import lock as lock_file
from studydeck.gather.history import at_repository_top
from studydeck.gather.lock import Lock
from studydeck.gather.reads import Reads

TAG_PATTERN = "v[0-9]*"  # v1.0.0; not vendor-import
REVS_FORMAT = 3  # the first entries.lock format whose notes carry revision tags (lock.FORMAT)


@dataclass(frozen=True)
class Release:
    tag: str
    time: int  # the tagged commit's committer time
    notes: dict[str, str]  # GUID -> content hash, from the tag's entries.lock
    notetype: str  # the notetype's content hash ("" when unknown)
    revs: bool = False  # its notes carried revision tags (its entries.lock has format 3 or later)
    commit: str = ""
    lock: bytes = b""  # its entries.lock as shipped: kept for the latest release only (restore())


def read(reads: Reads, lock_name: str, pattern: str = TAG_PATTERN) -> list[Release]:
    """Releases whose tag is in HEAD's history, oldest first; [] outside a git repository."""
    refs = reads.git(
        "for-each-ref",
        "--merged=HEAD",
        "--format=%(refname:short)%00%(*objectname)%(objectname)%00%(*committerdate:unix)%(committerdate:unix)",
        f"refs/tags/{pattern}",
    )
    if not refs:
        return []
    tags = []
    for line in refs.decode("utf-8", "surrogateescape").splitlines():
        name, obj, when = line.split("\0")
        commit = obj[: len(obj) // 2] if len(obj) in (80, 128) else obj  # annotated: commit, then tag object
        if when.isdigit():
            tags.append((int(when), name, commit))
    tags.sort()
    locks = _blobs(reads, [f"{commit}:{lock_name}" for _, _, commit in tags])
    out = []
    for i, ((when, name, commit), data) in enumerate(zip(tags, locks, strict=True)):
        notes, notetype, revs = _hashes(data)
        out.append(Release(name, when, notes, notetype, revs, commit, (data or b"") if i == len(tags) - 1 else b""))
    return out


def settings(reads: Reads, release: Release) -> dict | None:
    """The release's [tool.studydeck], from its commit's pyproject.toml (None if unreadable)."""
    data = _blobs(reads, [f"{release.commit}:pyproject.toml"])[0]
    try:
        tool = tomllib.loads((data or b"").decode("utf-8")).get("tool", {}).get("studydeck")
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    return tool if isinstance(tool, dict) else None


def shipped(reads: Reads, releases: list[Release]) -> frozenset[str] | None:
    """The GUIDs some release shipped: only those notes are in learners' collections, and only
    they are protected (a draft may change, move or go freely). None where the build cannot
    tell: outside a git repository (or in a folder below its top), every note of entries.lock
    counts as released."""
    if not at_repository_top(reads) or reads.git("rev-parse", "--is-shallow-repository") != b"false\n":
        return None  # a shallow clone may lack the tags (actions/checkout's default): protect every note
    return frozenset(guid for release in releases for guid in release.notes)


def restore(lock: Lock, latest: Release) -> Lock:
    """entries.lock with the notes the latest release shipped that it lost (neither a note nor a
    tombstone with their GUID: dropped as drafts by a build in a clone without the release's
    tag), so that check_missing refuses to let them go silently."""
    if not latest.lock:
        return lock
    try:
        shipped_lock = lock_file.parse(latest.lock, f"{latest.tag}:{lock_file.LOCK_NAME}")
    except BuildError:
        return lock  # an unreadable lock of an old release: nothing to compare with
    known = {r.guid for r in lock.notes.values()} | {r.guid for r in lock.removed.values()}
    lost = {n: r for n, r in shipped_lock.notes.items() if r.guid not in known and n not in lock.notes}
    if not lost:
        return lock
    return Lock({**lock.notes, **lost}, lock.removed, lock.notetype)


def released_time(releases: list[Release], guid: str, digest: str) -> int | None:
    """When the content `digest` of note `guid` was first released in the latest unbroken run of
    releases that shipped it; None if the latest release did not ship it (changed since)."""
    found = None
    for release in reversed(releases):
        if release.notes.get(guid) != digest:
            break
        found = release.time
    return found


def notetype_time(releases: list[Release], digest: str) -> int | None:
    found = None
    for release in reversed(releases):
        if release.notetype != digest:
            break
        found = release.time
    return found


def _hashes(data: bytes | None) -> tuple[dict[str, str], str, bool]:
    try:
        lock = json.loads(data or b"{}")
        notes = {n["guid"]: n["hash"] for n in lock.get("notes", {}).values()}
        revs = isinstance(lock.get("format"), int) and lock["format"] >= REVS_FORMAT
        return notes, str(lock.get("notetype", {}).get("hash", "")), revs
    except (ValueError, TypeError, KeyError, AttributeError):
        return {}, "", False  # an unreadable lock of an old release: its notes count as changed since


def _blobs(reads: Reads, specs: list[str]) -> list[bytes | None]:
    """The contents of commit:path specs, in one `git cat-file --batch` (None where missing)."""
    if not specs:
        return []
    data = reads.git("cat-file", "--batch", stdin="\n".join(specs).encode() + b"\n")
    if data is None:
        return [None] * len(specs)
    out = []
    for _ in specs:
        header, _, data = data.partition(b"\n")
        parts = header.split()
        if len(parts) == 3 and parts[1] == b"blob":
            size = int(parts[2])
            out.append(data[:size])
            data = data[size + 1 :]
        else:
            out.append(None)
    return out
