"""The built .apkg, read through Anki's own engine."""

from __future__ import annotations

import html
import re

import yaml
from conftest import DECK, import_apkg

from studydeck.anki import notes as deck

ENTRIES = {p.stem: yaml.safe_load(p.read_text("utf-8")) for p in sorted((DECK / "entries").glob("*.yaml"))}


def visible(card_html: str) -> str:
    """The text a user sees on a rendered card: no style block, no tags."""
    body = re.sub(r"<style>.*?</style>", "", card_html, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", body))


def _expected_cards() -> int:
    total = 0
    for entry in ENTRIES.values():
        for d in entry["definitions"]:
            total += len(set(re.findall(r"\{\{c(\d+)::", d["text"]))) or 1
    return total


def test_notetype_fields_and_template_are_pinned(built, collection):
    # The final note type (frozen at the first release): changing any of these makes Anki
    # import a copy of the notetype and refuse to update users' notes. See README,
    # "Changing the note type", before touching them.
    assert deck.notetype_id("k8s-study-deck") == 1500601164
    assert deck.notetype_name("k8s-study-deck") == "k8s-study-deck cloze"
    fields = ("Text", "Term", "Title", "Points", "Related", "Source", "Id", "Figure", "FigureOnFront")
    ids = (
        3775346115611284,
        3225852238617228,
        2929199030466030,
        3263466801982796,
        3916602184464223,
        1169272730207664,
        1971884541430793,
        4298448151238202,
        3175071759579637,
    )
    assert fields == deck.FIELDS and ids == deck.FIELD_IDS
    assert deck.TEMPLATE_NAME == "Cloze" and deck.TEMPLATE_ID == 1248090915438298
    # ... and Anki keeps them: it matches fields and templates by these ids (23.10+)
    import_apkg(collection, built["apkg"])
    nt = collection.models.get(1500601164)
    assert nt["name"] == "k8s-study-deck cloze"
    assert [(f["name"], f["ord"], f["id"]) for f in nt["flds"]] == [
        (n, i, d) for i, (n, d) in enumerate(zip(fields, ids, strict=True))
    ]
    assert [(t["name"], t["id"]) for t in nt["tmpls"]] == [("Cloze", 1248090915438298)]


def test_two_projects_never_share_a_notetype():
    assert deck.notetype_id("aws-study") != deck.notetype_id("k8s-study-deck")
    assert deck.notetype_name("aws-study") == "aws-study cloze"


def test_import_counts_notetype_decks_and_tags(built, collection):
    import_apkg(collection, built["apkg"])
    definitions = sum(len(e["definitions"]) for e in ENTRIES.values())
    assert collection.note_count() == definitions == 41
    assert collection.card_count() == _expected_cards()
    nt = collection.models.by_name("k8s-study-deck cloze")
    assert nt["type"] == 1  # MODEL_CLOZE
    assert [f["name"] for f in nt["flds"]] == list(deck.FIELDS)
    assert [t["name"] for t in nt["tmpls"]] == ["Cloze"]
    assert "{{cloze:Text}}" in nt["tmpls"][0]["qfmt"]
    names = {d.name for d in collection.decks.all_names_and_ids()}
    assert {"쿠버네티스 스터디::object", "쿠버네티스 스터디::개념"} <= names
    pod = collection.get_note(collection.find_notes('"Id:pod" "Term:Pod"')[0])
    rev = [t for t in pod.tags if t.startswith("studydeck::rev::")]
    assert set(pod.tags) - set(rev) == {"object", "workload"} and len(rev) == 1
    assert re.fullmatch(r"studydeck::rev::[a-z2-7]{8}", rev[0])  # lowercase: Anki's tags ignore case
    assert len(collection.find_notes(f"tag:{rev[0]}")) == 1  # one note's revision
    assert collection.decks.name(collection.get_card(pod.card_ids()[0]).did) == "쿠버네티스 스터디::object"
    assert len(collection.find_notes("tag:개념")) == sum(
        len(e["definitions"]) for e in ENTRIES.values() if e["group"] == "개념"
    )


def test_rendered_question_hides_the_deleted_text(built, collection):
    import_apkg(collection, built["apkg"])
    note = collection.get_note(collection.find_notes('"Id:pod" "Term:Pod"')[0])
    first = next(c for c in note.cards() if c.ord == 0)
    question = visible(first.question())
    assert question.startswith("[...]는 스토리지와 네트워크 자원을 공유하며")
    assert "Pod는" not in question
    assert "관리할 수 있는 가장 작은 배포 단위다" in question  # c2 stays visible on card 1
    answer = first.answer()
    assert '<span class="cloze" data-ordinal="1">Pod</span>는' in answer
    assert "한 Pod의 컨테이너는 항상 같은 노드" in answer  # key points on the back
    assert "사이드카 패턴, Service와 포트, PersistentVolume과 PersistentVolumeClaim" in answer  # related entries


def test_auto_cloze_keeps_the_particle_outside(built, collection):
    import_apkg(collection, built["apkg"])
    note = collection.get_note(collection.find_notes('"Id:network" "Term:네트워크"')[0])
    assert note["Text"].startswith("{{c1::네트워크}}는 ")
    assert visible(note.cards()[0].question()).startswith("[...]는 서로 다른 컴퓨터끼리")


def test_hint_is_shown_in_the_question(tmp_path, collection):
    from conftest import copy_project, outputs, run_cli

    project = copy_project(tmp_path / "p")
    pod = project / "entries" / "pod.yaml"
    pod.write_text(pod.read_text("utf-8").replace("{{c2::가장 작은}}", "{{c2::가장 작은::크기}}"), "utf-8")
    assert run_cli(project, "--only", "deck").returncode == 0
    import_apkg(collection, outputs(project)["apkg"])
    note = collection.get_note(collection.find_notes('"Id:pod" "Term:Pod"')[0])
    second = next(c for c in note.cards() if c.ord == 1)
    assert "관리할 수 있는 [크기] 배포 단위다." in visible(second.question())


def test_nested_clozes_get_their_own_cards(tmp_path, collection):
    from conftest import copy_project, outputs, run_cli

    project = copy_project(tmp_path / "p")
    path = project / "entries" / "pod.yaml"
    text = path.read_text("utf-8").replace("{{c2::가장 작은}}", "{{c2::가장 {{c4::작은}}}}")
    path.write_text(text, "utf-8")
    assert run_cli(project, "--only", "deck").returncode == 0
    import_apkg(collection, outputs(project)["apkg"])
    note = collection.get_note(collection.find_notes('"Id:pod" "Term:Pod"')[0])
    assert sorted(c.ord for c in note.cards()) == [0, 1, 3]
    inner = next(c for c in note.cards() if c.ord == 3)
    assert "관리할 수 있는 가장 [...] 배포 단위다." in visible(inner.question())
