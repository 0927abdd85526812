"""What this release changes in a user's collection, as Markdown for dist/CHANGES.md."""
from __future__ import annotations

from .lock import Changes, Lock
from .model import Config


def render(config: Config, changes: Changes, lock: Lock, notetype_name: str) -> str:
    """CHANGES.md: notes added, changed, renamed and removed in this version."""
    out = [f"# {config.deck} {config.version}", ""]
    if not (changes.added or changes.changed or changes.renamed or changes.removed):
        out += ["No note was added, changed or removed in this version.", ""]
    out += _section("Added", [f"`{n}` ({lock.notes[n]['term']})" for n in changes.added])
    out += _section("Changed", [f"`{n}` ({lock.notes[n]['term']})" for n in changes.changed])
    out += _section("Renamed (same note, review history kept)", [f"`{a}` → `{b}`" for a, b in changes.renamed])
    removed = [f"`{n}` ({t.get('term', '')}), GUID `{t['guid']}`: search `\"note:{notetype_name}\" "
               f"\"Id:{n.split('/')[0]}\" \"Term:{t.get('term', '')}\"`" for n, t in sorted(changes.removed.items())]
    out += _section("Removed", removed)
    if removed:
        out += ["Importing never deletes notes. To drop a removed note from your collection, open",
                "Browse in Anki, paste the search shown next to it, select the note and delete it.", ""]
    out += ["Import with File > Import: notes are matched by GUID, changed notes are updated and",
            "your scheduling and review history are kept.", ""]
    return "\n".join(out)


def _section(title: str, items: list[str]) -> list[str]:
    if not items:
        return []
    return [f"## {title} ({len(items)})", "", *[f"- {i}" for i in items], ""]


def summary(changes: Changes) -> str:
    return (f"{len(changes.added)} added, {len(changes.changed)} changed, {len(changes.renamed)} renamed, "
            f"{len(changes.removed)} removed")
