"""What this release changes in a user's collection, as Markdown for dist/CHANGES.md.

CHANGES.md becomes the GitHub release notes, so everything taken from an entry goes into a
code span: no link, image, HTML, @-mention, issue reference or emoji can come out of it.
"""

from __future__ import annotations

import re

from ..identity import Changes as Diff
from ..lock import Lock
from ..model import Config
from ..notes import anki_text
from . import Made, Output


class Changes(Output):
    """dist/CHANGES.md, every build (it is cheap)."""

    name, cheap = "changes", True

    def files(self, project) -> list[str]:
        return ["CHANGES.md"]

    def make(self, project, say) -> Made:
        text = render(project.config, project.changes, project.lock, project.notetype.name)
        return Made({"CHANGES.md": text.encode()})


def render(config: Config, changes: Diff, lock: Lock, notetype_name: str) -> str:
    """CHANGES.md: notes added, changed, renamed and removed in this version."""
    out = [f"# {escaped(config.deck)} {config.version}", ""]
    if not (changes.added or changes.changed or changes.renamed or changes.removed or changes.dropped):
        out += ["No note was added, changed or removed in this version.", ""]
    out += _section("Added", [f"{code(n)} ({code(lock.notes[n].term)})" for n in changes.added])
    out += _section("Changed", [f"{code(n)} ({code(lock.notes[n].term)})" for n in changes.changed])
    out += _section("Renamed (same note, review history kept)", [f"{code(a)} → {code(b)}" for a, b in changes.renamed])
    removed = [
        f"{code(n)} ({code(t.term)}), GUID {code(t.guid)}: search {code(search(notetype_name, n, t.term))}"
        for n, t in sorted(changes.removed.items())
    ]
    out += _section("Removed", removed)
    if removed:
        out += [
            "Importing never deletes notes. To drop a removed note from your collection, open",
            "Browse in Anki, paste the search shown next to it, select the note and delete it.",
            "",
        ]
    out += _section("Cards removed from a note", [f"{code(n)} c{k} ({code(a)})" for n, k, a in changes.dropped])
    if changes.dropped:
        out += [
            "Anki keeps such a card as an empty card (it shows no question). Tools > Empty Cards",
            "in Anki's main window lists and deletes them.",
            "",
        ]
    out += [
        "Import with File > Import: notes are matched by GUID, changed notes are updated and",
        "your scheduling and review history are kept.",
        "",
    ]
    return "\n".join(out)


def _section(title: str, items: list[str]) -> list[str]:
    if not items:
        return []
    return [f"## {title} ({len(items)})", "", *[f"- {i}" for i in items], ""]


def escaped(text: str) -> str:
    """text as Markdown that shows exactly it: every ASCII punctuation backslash-escaped
    (CommonMark), so no HTML, link, emphasis, @mention or #reference comes alive."""
    return re.sub(r"([!-/:-@\[-`{-~])", r"\\\1", " ".join(text.split()))


def code(text: str) -> str:
    """text as a Markdown code span, whatever it holds (CommonMark: a fence longer than any
    run of backticks inside, and a space on each side where the text starts or ends with one)."""
    text = " ".join(text.split())
    fence = "`" * (max((len(r) for r in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or (text.startswith(" ") and text.strip()) else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def search(notetype_name: str, name: str, term: str) -> str:
    """Anki's browser search that finds exactly this note: fields hold HTML, so the term is
    searched as stored (R&D as R&amp;D), with Anki's search syntax escaped."""
    entry_id = name.split("/")[0]
    return " ".join(
        f'"{_search_escape(part)}"'
        for part in (f"note:{notetype_name}", f"Id:{anki_text(entry_id)}", f"Term:{anki_text(term)}")
    )


def _search_escape(text: str) -> str:
    return re.sub(r'([\\"*_])', r"\\\1", text)
