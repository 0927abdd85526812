"""When did each input's current content come to be? From git history, else the file's mtime.

Anki updates a note on import only when the incoming modification time is newer than its
own, so a changed note must carry a time later than any earlier build of it, and an
unchanged note must keep its time. Commit times give the same answer in every clone of
the same commit (CI needs the full history: actions/checkout with fetch-depth: 0);
uncommitted edits fall back to the file's modification time.
"""

from __future__ import annotations

import time

from studydeck.gather.reads import Reads


def content_times(reads: Reads, rels: list[str]) -> dict[str, int]:
    """rel path -> unix time of its last committed change, or its mtime if changed since."""
    committed = _last_commits(reads, rels)
    dirty = _dirty(reads, rels) if committed else set(rels)
    now = int(time.time())
    out = {}
    for rel in rels:
        if rel in committed and rel not in dirty:
            out[rel] = committed[rel]
        else:
            out[rel] = min(reads.mtime(reads.root / rel), now)
    return out


def _git(reads: Reads, *args: str) -> str | None:
    out = reads.git(*args)
    return out.decode("utf-8", "surrogateescape") if out is not None else None


def at_repository_top(reads: Reads) -> bool:
    """The project is a git repository's top folder: where paths, tags and history can be read."""
    return reads.git("rev-parse", "--show-prefix") == b"\n"


def _last_commits(reads: Reads, rels: list[str]) -> dict[str, int]:
    """One walk of the history: the newest commit time that touched each path."""
    if not at_repository_top(reads):
        return {}
    log = _git(reads, "log", "--format=%x00%ct", "--name-only", "--no-renames", "--", *sorted(set(rels)))
    if log is None:
        return {}
    wanted, out = set(rels), {}
    for chunk in log.split("\x00")[1:]:
        stamp, _, names = chunk.partition("\n")
        for name in names.split("\n"):
            if name in wanted and name not in out:
                out[name] = int(stamp)
    return out


def _dirty(reads: Reads, rels: list[str]) -> set[str]:
    status = _git(
        reads, "status", "--porcelain=v1", "-z", "--no-renames", "--untracked-files=all", "--", *sorted(set(rels))
    )
    if status is None:
        return set(rels)
    return {item[3:] for item in status.split("\x00") if len(item) > 3}
