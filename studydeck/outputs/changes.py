"""What this release changes in a user's collection, as Markdown for dist/CHANGES.md.

CHANGES.md becomes the GitHub release notes, so everything taken from an entry goes into a
code span: no link, image, HTML, @-mention, issue reference or emoji can come out of it.
"""

from __future__ import annotations

import re

from studydeck.anki.notes import anki_text, subdeck
from studydeck.gather.config import VERSION_ENV
from studydeck.gather.identity import REV_PARENT, NoteChanges
from studydeck.gather.lock import Lock
from studydeck.model import Config
from studydeck.outputs import Made, Output


class Changes(Output):
    """dist/CHANGES.md, every build (it is cheap)."""

    name, cheap = "changes", True

    def files(self, project) -> list[str]:
        return ["CHANGES.md"]

    def prepare(self, project) -> str:
        found = stale_search(project.notetype.name, project.revs.values(), project.old_revs)
        page = render(project.config, project.changes, project.lock, project.notetype.name, found)
        words = author_words(project.reads)
        if words:  # the author's own words first, under the title
            title, _, rest = page.partition("\n\n")
            page = f"{title}\n\n{words}\n\n{rest}"
        return page

    def make(self, inputs: str, say) -> Made:
        return Made({"CHANGES.md": inputs.encode()})


def author_words(reads) -> str:
    """The message of the annotated tag being released (STUDYDECK_VERSION names it, as the release
    job sets it), as the author wrote it: their own words above the generated notes. A
    lightweight tag, or none, has none."""
    tag = (reads.env(VERSION_ENV) or "").strip()
    if not tag or not re.fullmatch(r"[0-9A-Za-z.+_-]+", tag):
        return ""
    out = reads.git(
        "for-each-ref", f"refs/tags/{tag}", "--format=%(objecttype)%00%(contents:subject)%00%(contents:body)"
    )
    kind, _, text = (out or b"").decode("utf-8", "replace").partition("\0")
    if kind != "tag":
        return ""
    subject, _, body = text.partition("\0")
    return "\n\n".join(part.strip() for part in (subject, body) if part.strip())


def render(config: Config, changes: NoteChanges, lock: Lock, notetype_name: str, stale: str) -> str:
    """CHANGES.md: notes added, changed, renamed and removed in this version, and the search
    (stale_search) that finds the notes an import left as they were."""
    out = [f"# {escaped(config.deck)} {config.version}", ""]
    if not (changes.added or changes.changed or changes.renamed or changes.removed or changes.dropped):
        out += ["No note was added, changed or removed in this version.", ""]
    if changes.retagged:
        out += [
            f"Every note now carries a revision tag (under {code(REV_PARENT)} in Anki's tag list),",
            "which the search at the end of these notes uses. So that the tags arrive, Anki updates",
            f"every note once, the {len(changes.retagged)} whose text did not change too. Like every update, that",
            "replaces the note's fields and tags with the deck's: your own edits and tags on it (marked",
            "too) are replaced, unless you changed the note after this release was made (then the",
            "search finds it).",
            "",
        ]
    out += _section("Added", [f"{code(n)} ({code(lock.notes[n].term)})" for n in changes.added])
    out += _section(
        "Changed", [f"{code(n)} ({code(lock.notes[n].term)}): {_what(changes, lock, n)}" for n in changes.changed]
    )
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
        "Import with File > Import: notes are matched by GUID, and your scheduling and review",
        "history are kept. Anki updates a note only when the deck's copy is newer than yours: a note",
        "you marked, tagged or edited after the release that changed it was made keeps your version,",
        "and Anki does not say so. To find every note of this deck that does not hold this release's",
        "version, paste this search into Anki's Browse window:",
        "",
        *fenced(stale),
        "",
    ]
    if lock.removed:
        out += ["It also finds notes that releases removed from the deck, until you delete them.", ""]
    out += [
        "If it finds notes, import the deck again with Update notes: Always in the import options",
        "(Anki 23.10 or later). That replaces the fields and tags of every note whose modification",
        "time differs from the deck's (the notes found, and any other note you edited, tagged or",
        "marked since it was last updated) with the deck's: your own edits and tags on those notes",
        "(marked too) are lost. Scheduling and review history are kept.",
        "",
    ]
    return "\n".join(out + _moving(config, notetype_name))


def _what(changes: NoteChanges, lock: Lock, name: str) -> str:
    """What a changed note's cards now ask, compactly: each answer or term that changed, old -> new
    (the lock keeps a note's term and answers, not its whole text)."""
    now, before = lock.notes[name], changes.was.get(name)
    if before is None:
        return "changed"
    out = [f"term {code(before.term)} → {code(now.term)}"] if before.term != now.term else []
    old, new = dict(before.answers), dict(now.answers)
    for k in sorted(new):
        if k not in old:
            out.append(f"c{k} new, {code(new[k])}")
        elif old[k] != new[k]:
            out.append(f"c{k} {code(old[k])} → {code(new[k])}")
    return "; ".join(out) if out else "reworded, the same answers"


def _moving(config: Config, notetype_name: str) -> list[str]:
    """How to move cards into their group's subdeck: an import updates a moved entry's notes (its
    group tag too) but leaves their cards in the deck they are in (Anki 24.11 and 26.9 alike)."""
    if len(config.groups) < 2:
        return []
    note = f'"{_search_escape(f"note:{notetype_name}")}"'
    out = [
        "When an entry moves to another group, the import updates its notes but leaves their cards in",
        "the subdeck they were in. For each subdeck below, paste its search into Browse (cards mode),",
        "select all, choose Change Deck and pick that subdeck (a search that finds nothing needs nothing):",
        "",
    ]
    for group in config.groups:
        deck = subdeck(config, group.name)
        search = f'{note} "{_search_escape(f"tag:{group.name}")}" -"{_search_escape(f"deck:{deck}")}"'
        out.append(f"- {code(deck)}: {code(search)}")
    return out + [""]


def stale_search(notetype_name: str, current, old: frozenset[str]) -> str:
    """The search CHANGES.md gives: the shorter of search_forms."""
    return min(search_forms(notetype_name, current, old), key=len)


def search_forms(notetype_name: str, current, old: frozenset[str]) -> tuple[str, str]:
    """Anki's browser search for the notes of this note type that hold no revision tag of this
    build (identity.rev_tag): the notes an import did not update, and removed ones.

    Two forms find those notes: every note without one of this build's tags (9 characters a
    note), or every note with no revision tag or with one an earlier release shipped and this
    build does not (9 characters a superseded revision: none until a tagged release changed a
    note). They differ only for a note holding a tag no release shipped (imported from a local
    build): the first finds it, the second does not. stale_search gives the shorter. Anki runs
    a tag:re: search on each tag alone (regexp_tags, rslib/src/storage/sqlite.rs) and ignores
    case in tag searches; REV_PARENT holds no regex syntax."""
    note = f'"{_search_escape(f"note:{notetype_name}")}"'

    def one_of(tags) -> str:
        return f'"tag:re:^{REV_PARENT}::({"|".join(sorted(t.rsplit("::", 1)[1] for t in tags))})$"'

    without = f"{note} -{one_of(current)}"
    untagged = f"-tag:{REV_PARENT}::*"
    held = f"{note} ({untagged} OR {one_of(old)})" if old else f"{note} {untagged}"
    return without, held


def fenced(text: str) -> list[str]:
    """text (one line) as a fenced code block: GitHub gives it a copy button."""
    fence = "`" * max(3, max((len(r) for r in re.findall(r"`+", text)), default=0) + 1)
    return [f"{fence}text", " ".join(text.split()), fence]


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
