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


TEXT = {  # the notes' words, in the deck's language ([tool.studydeck] language)
    "en": {
        "none": "No note was added, changed or removed in this version.",
        "retagged": (
            "Every note now carries a revision tag (under {parent} in Anki's tag list),\n"
            "which the search at the end of these notes uses. So that the tags arrive, Anki updates\n"
            "every note once, the {n} whose text did not change too. Like every update, that\n"
            "replaces the note's fields and tags with the deck's: your own edits and tags on it (marked\n"
            "too) are replaced, unless you changed the note after this release was made (then the\n"
            "search finds it)."
        ),
        "added": "Added",
        "changed": "Changed",
        "renamed": "Renamed (same note, review history kept)",
        "removed": "Removed",
        "search": "search",
        "delete": (
            "Importing never deletes notes. To drop a removed note from your collection, open\n"
            "Browse in Anki, paste the search shown next to it, select the note and delete it."
        ),
        "dropped": "Cards removed from a note",
        "empty": (
            "Anki keeps such a card as an empty card (it shows no question). Tools > Empty Cards\n"
            "in Anki's main window lists and deletes them."
        ),
        "import": (
            "Import with File > Import: notes are matched by GUID, and your scheduling and review\n"
            "history are kept. Anki updates a note only when the deck's copy is newer than yours: a note\n"
            "you marked, tagged or edited after the release that changed it was made keeps your version,\n"
            "and Anki does not say so. To find every note of this deck that does not hold this release's\n"
            "version, paste this search into Anki's Browse window:"
        ),
        "also": "It also finds notes that releases removed from the deck, until you delete them.",
        "always": (
            "If it finds notes, import the deck again with Update notes: Always in the import options\n"
            "(Anki 23.10 or later). That replaces the fields and tags of every note whose modification\n"
            "time differs from the deck's (the notes found, and any other note you edited, tagged or\n"
            "marked since it was last updated) with the deck's: your own edits and tags on those notes\n"
            "(marked too) are lost. Scheduling and review history are kept."
        ),
        "moving": (
            "When an entry moves to another group, the import updates its notes but leaves their cards in\n"
            "the subdeck they were in. For each subdeck below, paste its search into Browse (cards mode),\n"
            "select all, choose Change Deck and pick that subdeck (a search that finds nothing needs nothing):"
        ),
        "term": "term",
        "new": "new,",
        "reworded": "reworded, the same answers",
    },
    "ko": {
        "none": "이 버전에서 추가, 변경, 삭제된 노트는 없습니다.",
        "retagged": (
            "이제 모든 노트에 개정 태그가 붙습니다(Anki 태그 목록의 {parent} 아래). 이 안내 끝의\n"
            "검색이 이 태그를 씁니다. 태그가 들어가도록 Anki는 모든 노트를 한 번 업데이트하며, 글이\n"
            "바뀌지 않은 {n}개도 마찬가지입니다. 다른 업데이트처럼 노트의 필드와 태그는 덱의 것으로\n"
            "바뀌어, 직접 고친 내용과 태그(marked 포함)는 사라집니다. 이 릴리스가 만들어진 뒤에 고친\n"
            "노트만은 그대로 남습니다(끝의 검색이 찾아 줍니다)."
        ),
        "added": "추가",
        "changed": "변경",
        "renamed": "이름 변경 (같은 노트, 복습 기록 유지)",
        "removed": "삭제",
        "search": "검색",
        "delete": (
            "가져오기는 노트를 지우지 않습니다. 삭제된 노트를 컬렉션에서 없애려면 Anki의\n"
            "찾아보기(Browse)를 열고, 옆에 적힌 검색어를 붙여 넣은 뒤 그 노트를 골라 삭제하세요."
        ),
        "dropped": "노트에서 빠진 카드",
        "empty": (
            "Anki는 이런 카드를 빈 카드(질문이 없는 카드)로 남겨 둡니다. Anki 메인 창의\n"
            "도구 > 빈 카드(Tools > Empty Cards)에서 찾아 지울 수 있습니다."
        ),
        "import": (
            "파일 > 가져오기(File > Import)로 가져오세요. 노트는 GUID로 맞춰지고, 학습 일정과 복습\n"
            "기록은 그대로 남습니다. Anki는 덱의 노트가 내 것보다 새로울 때만 노트를 업데이트합니다.\n"
            "그래서 그 노트를 바꾼 릴리스가 만들어진 뒤에 내가 표시(marked)하거나, 태그를 달거나,\n"
            "고친 노트는 내 버전이 남고, Anki는 이를 알려 주지 않습니다. 이 릴리스의 버전이 아닌\n"
            "이 덱의 노트를 모두 찾으려면 Anki의 찾아보기(Browse) 창에 이 검색어를 붙여 넣으세요:"
        ),
        "also": "릴리스에서 삭제된 노트도 지우기 전까지는 함께 찾습니다.",
        "always": (
            "노트가 검색되면 가져오기 옵션에서 노트 업데이트를 항상(Update notes: Always)으로 두고\n"
            "덱을 다시 가져오세요(Anki 23.10 이상). 수정 시각이 덱과 다른 모든 노트(검색된 노트와,\n"
            "마지막 업데이트 뒤에 고치거나 태그를 달거나 표시한 다른 노트)의 필드와 태그가 덱의\n"
            "것으로 바뀌므로, 그 노트에 직접 고친 내용과 태그(marked 포함)는 사라집니다. 학습 일정과\n"
            "복습 기록은 그대로 남습니다."
        ),
        "moving": (
            "항목이 다른 그룹으로 옮겨 가면, 가져오기는 노트를 업데이트하지만 카드는 원래 있던 하위\n"
            "덱에 남겨 둡니다. 아래 하위 덱마다 그 검색어를 찾아보기(카드 모드)에 붙여 넣고, 모두\n"
            "선택한 뒤 덱 변경(Change Deck)으로 그 하위 덱을 고르세요(찾은 카드가 없으면 할 일도\n"
            "없습니다):"
        ),
        "term": "용어",
        "new": "새 빈칸",
        "reworded": "표현만 바뀜, 답은 같음",
    },
}


def render(config: Config, changes: NoteChanges, lock: Lock, notetype_name: str, stale: str) -> str:
    """CHANGES.md: notes added, changed, renamed and removed in this version, and the search
    (stale_search) that finds the notes an import left as they were; in the deck's language."""
    t = TEXT[config.language]
    out = [f"# {escaped(config.deck)} {config.version}", ""]
    if not (changes.added or changes.changed or changes.renamed or changes.removed or changes.dropped):
        out += [t["none"], ""]
    if changes.retagged:
        out += [t["retagged"].format(parent=code(REV_PARENT), n=len(changes.retagged)), ""]
    out += _section(t["added"], [f"{code(n)} ({code(lock.notes[n].term)})" for n in changes.added])
    out += _section(
        t["changed"], [f"{code(n)} ({code(lock.notes[n].term)}): {_what(changes, lock, n, t)}" for n in changes.changed]
    )
    out += _section(t["renamed"], [f"{code(a)} → {code(b)}" for a, b in changes.renamed])
    removed = [
        f"{code(n)} ({code(r.term)}), GUID {code(r.guid)}: {t['search']} {code(search(notetype_name, n, r.term))}"
        for n, r in sorted(changes.removed.items())
    ]
    out += _section(t["removed"], removed)
    if removed:
        out += [t["delete"], ""]
    out += _section(t["dropped"], [f"{code(n)} c{k} ({code(a)})" for n, k, a in changes.dropped])
    if changes.dropped:
        out += [t["empty"], ""]
    out += [t["import"], "", *fenced(stale), ""]
    if lock.removed:
        out += [t["also"], ""]
    out += [t["always"], ""]
    return "\n".join(out + _moving(config, notetype_name, t))


def _what(changes: NoteChanges, lock: Lock, name: str, t: dict) -> str:
    """What a changed note's cards now ask, compactly: each answer or term that changed, old -> new
    (the lock keeps a note's term and answers, not its whole text)."""
    now, before = lock.notes[name], changes.was.get(name)
    if before is None:
        return t["changed"]
    out = [f"{t['term']} {code(before.term)} → {code(now.term)}"] if before.term != now.term else []
    old, new = dict(before.answers), dict(now.answers)
    for k in sorted(new):
        if k not in old:
            out.append(f"c{k} {t['new']} {code(new[k])}")
        elif old[k] != new[k]:
            out.append(f"c{k} {code(old[k])} → {code(new[k])}")
    return "; ".join(out) if out else t["reworded"]


def _moving(config: Config, notetype_name: str, t: dict) -> list[str]:
    """How to move cards into their group's subdeck: an import updates a moved entry's notes (its
    group tag too) but leaves their cards in the deck they are in (Anki 24.11 and 26.9 alike)."""
    if len(config.groups) < 2:
        return []
    note = f'"{_search_escape(f"note:{notetype_name}")}"'
    out = [t["moving"], ""]
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
