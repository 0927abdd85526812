"""Modification times for notes, the notetype and the release, from content history only."""
from __future__ import annotations

import os

from .deck import Note, Notetype
from .lock import Lock, content_hash, note_hash

SDE = "SOURCE_DATE_EPOCH"  # reproducible-builds.org: the release's time, set by CI from the tag


def source_date_epoch() -> int | None:
    value = os.environ.get(SDE, "").strip()
    return int(value) if value.isdigit() else None


def _time(before: dict | None, digest: str, content_time: int, sde: int | None) -> int:
    """Keep the locked time while the content is unchanged; otherwise a later one."""
    if before and before.get("hash") == digest:
        return before["mod"]
    mod = min(content_time, sde) if sde is not None else content_time
    return max(mod, before["mod"] + 1) if before else mod


def note_mods(notes: list[Note], lock: Lock, renames, entry_paths: dict[str, str],
              times: dict[str, int]) -> dict[str, int]:
    """GUID -> the note's modification time."""
    sde, old_name = source_date_epoch(), {new: old for old, new in renames}
    out = {}
    for note in notes:
        name = f"{note.entry_id}/{note.key}"
        before = lock.notes.get(name) or lock.notes.get(old_name.get(name, ""))
        out[note.guid] = _time(before, note_hash(note), times[entry_paths[note.entry_id]], sde)
    return out


def notetype_stamp(nt: Notetype, lock: Lock, content_time: int) -> dict:
    """The notetype's hash and time: the time moves only when its templates or CSS change."""
    digest = content_hash(nt.id, nt.name, nt.fields, nt.template, nt.front, nt.back, nt.css)
    return {"hash": digest, "mod": _time(lock.notetype or None, digest, content_time, source_date_epoch())}


def release_time(note_times: dict[str, int], notetype_mod: int) -> int:
    """The date printed on the sheet: SOURCE_DATE_EPOCH, else the newest content time."""
    sde = source_date_epoch()
    return sde if sde is not None else max([notetype_mod, *note_times.values()])
