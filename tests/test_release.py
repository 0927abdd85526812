"""Re-importing releases into a studied collection, through Anki's own importer."""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import pytest
from conftest import commit, copy_project, git, import_apkg, new_collection, outputs, run_build, run_cli, small_project

NEW_ENTRY = """# yaml-language-server: $schema=schema.json
id: configmap
title: ConfigMap
group: object
definitions:
  - key: configmap
    term: ConfigMap
    text: ConfigMap은 기밀이 아닌 설정 데이터를 키-값 쌍으로 저장하는 API 오브젝트다.
points:
  - Pod는 ConfigMap을 환경 변수나 볼륨의 파일로 받아 쓴다.
  - 설정을 컨테이너 이미지와 분리해 이미지를 바꾸지 않고 설정만 바꿀 수 있다.
  - 비밀번호 같은 기밀 데이터는 Secret에 둔다.
"""


def _answer_all(col) -> int:
    for cid in col.find_cards(""):
        card = col.get_card(cid)
        card.start_timer()
        col.sched.answerCard(card, 3)
    return col.db.scalar("select count() from revlog")


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new), "utf-8")


def test_three_releases_keep_history_and_bring_edits(tmp_path):
    project = copy_project(tmp_path / "p", with_git=True)
    now = int(time.time()) - 600
    commit(project, "v1", when=now) if git(project, "status", "--porcelain") else None
    assert run_cli(project, "--only", "deck").returncode == 0
    col = new_collection(tmp_path / "anki")
    import_apkg(col, outputs(project)["apkg"])
    notes_v1, cards_v1 = col.note_count(), col.card_count()
    reviews = _answer_all(col)
    assert reviews == cards_v1
    scheduled = {cid: col.get_card(cid).due for cid in col.find_cards("")}

    # v2: one definition edited, one entry added, the card CSS changed; committed after the
    # v1 import (Anki 24.11 and older store the import time as the note's time).
    time.sleep(1.5)
    _edit(project / "entries" / "pod.yaml", "{{c2::가장 작은}} 배포 단위다.", "{{c2::가장 작은}} 배포 단위이다.")
    (project / "entries" / "configmap.yaml").write_text(NEW_ENTRY, "utf-8")
    _edit(project / "templates" / "card" / "card.css", "font-size: 20px;", "font-size: 21px;")
    git(project, "add", "-A")
    commit(project, "v2", when=int(time.time()))
    done = run_cli(project, "--only", "deck")
    assert done.returncode == 0, done.stderr
    assert "(1 added, 1 changed, 0 renamed, 0 removed)" in done.stdout
    log = import_apkg(col, outputs(project)["apkg"]).log
    assert (len(log.new), len(log.updated), len(log.duplicate)) == (1, 1, notes_v1 - 1)
    assert col.note_count() == notes_v1 + 1
    pod = col.get_note(col.find_notes('"Id:pod" "Term:Pod"')[0])
    assert pod["Text"].endswith("{{c2::가장 작은}} 배포 단위이다.")
    assert "font-size: 21px;" in col.models.by_name("k8s-study-deck cloze")["css"]
    assert len(col.models.all_names_and_ids()) == len({m.name for m in col.models.all_names_and_ids()})
    assert col.db.scalar("select count() from revlog") == reviews
    for cid, due in scheduled.items():
        card = col.get_card(cid)
        assert card.type != 0 and card.due == due, cid  # not reset to new, same schedule

    # v3: nothing changed (the lock the v2 build wrote is committed): importing changes nothing.
    git(project, "add", "-A")
    commit(project, "lock", when=int(time.time()))
    before = {nid: col.get_note(nid).mod for nid in col.find_notes("")}
    assert run_cli(project, "--only", "deck").returncode == 0
    log = import_apkg(col, outputs(project)["apkg"]).log
    assert (len(log.new), len(log.updated)) == (0, 0)
    assert {nid: col.get_note(nid).mod for nid in col.find_notes("")} == before
    assert col.db.scalar("select count() from revlog") == reviews
    col.close()


@pytest.mark.parametrize(
    "make",
    [pytest.param(small_project, id="two-entries"), pytest.param(copy_project, id="deck", marks=pytest.mark.slow)],
)
def test_two_fresh_clones_build_identical_bytes(tmp_path, make):
    """The README's promise, on one machine: a clone built later, elsewhere, makes every output
    byte for byte. The second's PDF workers are started by spawn, as on macOS and Windows: they
    get plain data, not a copy of the build's process, and must not need more. The default run
    clones the two-entry project (every field, figures); `slow` clones this deck too."""
    origin = make(tmp_path / "origin", with_git=True)
    results = []
    for name, method in (("a", "fork"), ("b", "spawn")):
        if results:
            time.sleep(1.1)  # the second build in another second of the clock: no time may leak in
        clone = tmp_path / name
        git(tmp_path, "clone", "-q", str(origin), str(clone))
        assert run_build(clone, env={"STUDYDECK_START_METHOD": method}).returncode == 0
        results.append({p.name: p.read_bytes() for p in sorted((clone / "dist").iterdir())})
    assert sorted(results[0]) == sorted(results[1])
    for name in results[0]:
        assert results[0][name] == results[1][name], name


def test_renaming_an_entry_id_without_renamed_from_fails_naming_both(tmp_path):
    project = copy_project(tmp_path / "p")
    _edit(project / "entries" / "pod.yaml", "id: pod\n", "id: pods\n")
    config = project / "pyproject.toml"
    config.write_text(config.read_text("utf-8").replace('order = ["pod",', 'order = ["pods",'), "utf-8")
    for other in ("pv-pvc", "sidecar-pattern", "rolling-update", "service-port", "virtualization"):
        path = project / "entries" / f"{other}.yaml"
        path.write_text(path.read_text("utf-8").replace("[pod,", "[pods,").replace("[pod]", "[pods]"), "utf-8")
    done = run_cli(project)
    assert done.returncode == 1
    assert "entries/pod.yaml:7:3: definitions: note 'pod/pod' (GUID k8s-study-deck:" in done.stderr
    assert (
        "entry 'pod' seems renamed to 'pods': add 'renamed_from: pod' to the entry 'pods' "
        "to keep its notes and review history"
    ) in done.stderr
    assert not (project / "dist").exists()

    _edit(project / "entries" / "pod.yaml", "id: pods\n", "id: pods\nrenamed_from: pod\n")
    done = run_cli(project, "--only", "deck")
    assert done.returncode == 0, done.stderr
    assert "(0 added, 3 changed, 3 renamed, 0 removed)" in done.stdout  # the Id field of the 3 notes changed


def test_removing_a_definition_needs_accept_removals_and_is_listed(tmp_path):
    project = copy_project(tmp_path / "p")
    _edit(
        project / "entries" / "redundancy.yaml",
        "  - key: spof\n    term: SPoF (Single Point of Failure)\n    text: >-\n      {{c1::SPoF}}는 그 한 곳이 "
        "고장 나면 시스템 전체가 멈추는 구성 요소나 지점이다.\n",
        "",
    )
    done = run_cli(project, "--only", "deck")
    assert done.returncode == 1
    assert "entries/redundancy.yaml:7:3: definitions: note 'redundancy/spof' (GUID k8s-study-deck:" in done.stderr
    assert "if you removed it on purpose, build with --accept-removals" in done.stderr
    done = run_cli(project, "--only", "deck", "--accept-removals")
    assert done.returncode == 0, done.stderr
    assert "(0 added, 0 changed, 0 renamed, 1 removed)" in done.stdout
    changes = outputs(project)["changes"].read_text("utf-8")
    assert "## Removed (1)" in changes
    assert "`redundancy/spof` (`SPoF (Single Point of Failure)`), GUID `k8s-study-deck:" in changes
    assert '"Id:redundancy" "Term:SPoF (Single Point of Failure)"' in changes


def test_two_notes_claiming_one_guid_fail(tmp_path):
    project = copy_project(tmp_path / "p")
    _edit(
        project / "entries" / "pod.yaml",
        "  - key: shared-namespaces\n",
        "  - key: shared-namespaces-2\n    renamed_from: pod\n",
    )
    done = run_cli(project, "--check")
    assert done.returncode == 1
    assert (
        "entries/pod.yaml:13:19: definitions[1].renamed_from: notes 'pod/pod' and 'pod/shared-namespaces-2' "
        "would share the GUID k8s-study-deck:"
    ) in done.stderr


def test_changes_since_a_previous_release_lock_lists_what_the_release_brings(tmp_path):
    """In CI the lock is already committed when the release builds: compare with the previous tag's."""
    project = copy_project(tmp_path / "p", with_git=True)
    previous = tmp_path / "v0.1.0.lock"
    previous.write_bytes((project / "entries.lock").read_bytes())
    _edit(project / "entries" / "pod.yaml", "배포 단위다.", "배포 단위이다.")
    (project / "entries" / "configmap.yaml").write_text(NEW_ENTRY, "utf-8")
    assert run_cli(project, "--only", "deck").returncode == 0
    git(project, "add", "-A")
    commit(project, "v0.2.0", when=1_700_100_000)
    plain = run_cli(project, "--only", "deck")  # against the committed lock: nothing new
    assert "0 added, 0 changed" in plain.stdout
    done = run_cli(project, "--only", "deck", "--changes-since", str(previous), env={"STUDYDECK_VERSION": "v0.2.0"})
    assert done.returncode == 0, done.stderr
    changes = outputs(project)["changes"].read_text("utf-8")
    assert changes.startswith("# 쿠버네티스 스터디 0.2.0\n")
    assert "## Added (1)\n\n- `configmap/configmap` (`ConfigMap`)\n" in changes
    assert "## Changed (1)\n\n- `pod/pod` (`Pod`): reworded, the same answers\n" in changes
    first = tmp_path / "empty.lock"
    first.write_bytes(b"")
    done = run_cli(project, "--only", "deck", "--changes-since", str(first))
    assert "## Added (42)" in outputs(project)["changes"].read_text("utf-8")
    missing = run_cli(project, "--only", "deck", "--changes-since", str(tmp_path / "nope.lock"))
    assert missing.returncode == 1
    assert missing.stderr.strip() == f"{tmp_path / 'nope.lock'}: cannot read it (No such file or directory)"


# --- Anki 24.11 and older store the time of the import as an updated note's time -----------


def _release(project: Path, tag: str, when: int, since: str | None = None) -> Path:
    """Commit what is there at `when`, tag it, and build the release as the release job does
    (.github/release/build.sh: CHANGES.md against the lock of the release `since`)."""
    git(project, "add", "-A")
    commit(project, tag, when=when, allow_empty=True)
    git(project, "tag", tag)
    previous = project.parent / f"{since}.lock"
    if since:
        previous.write_text(git(project, "show", f"{since}:entries.lock"), "utf-8")
    args = ("--changes-since", str(previous)) if since else ()
    done = run_cli(project, "--only", "deck", *args, env={"SOURCE_DATE_EPOCH": str(when), "STUDYDECK_VERSION": tag})
    assert done.returncode == 0, done.stderr
    saved = project.parent / f"{tag}.apkg"
    saved.write_bytes(outputs(project)["apkg"].read_bytes())
    return saved


def _edit_and_commit(project: Path, when: int, old: str, new: str, entry: str = "pod") -> None:
    """An edit between releases, made at `when`: built locally (so entries.lock is current) and committed."""
    path = project / "entries" / f"{entry}.yaml"
    _edit(path, old, new)
    os.utime(path, (when, when))
    done = run_cli(project, "--only", "deck")
    assert done.returncode == 0, done.stderr
    git(project, "add", "-A")
    commit(project, "edit", when=when)


def _pod_text(col) -> str:
    return col.get_note(col.find_notes('"Id:pod" "Term:Pod"')[0])["Text"]


def test_an_edit_committed_before_a_late_import_of_the_previous_release_arrives(tmp_path):
    """v1 updates note X; the author edits X again; a user imports v1 only after that edit was
    committed (Anki <= 24.11 then stores the import time as X's time); v2 is tagged after it."""
    now = int(time.time())
    project = copy_project(tmp_path / "p", with_git=True)
    v0 = _release(project, "v0.9.0", now - 5000)
    col = new_collection(tmp_path / "late")
    import_apkg(col, v0)
    reviews = _answer_all(col)
    _edit_and_commit(project, now - 4000, "{{c2::가장 작은}} 배포 단위다.", "{{c2::가장 작은}} 배포 단위였다.")
    v1 = _release(project, "v1.0.0", now - 3000)
    _edit_and_commit(project, now - 2000, "{{c2::가장 작은}} 배포 단위였다.", "{{c2::가장 작은}} 배포 단위이다.")
    log = import_apkg(col, v1).log  # the late import of v1, after the second edit's commit
    assert len(log.updated) == 1 and _pod_text(col).endswith("배포 단위였다.")
    v2 = _release(project, "v2.0.0", now + 120)  # tagged after that import
    log = import_apkg(col, v2).log
    assert (len(log.new), len(log.updated), len(log.conflicting)) == (0, 1, 0)
    assert _pod_text(col).endswith("배포 단위이다.")
    assert col.db.scalar("select count() from revlog") == reviews
    col.close()


def test_a_user_who_skips_a_release_still_gets_its_edits(tmp_path):
    now = int(time.time())
    project = copy_project(tmp_path / "p", with_git=True)
    v0 = _release(project, "v0.9.0", now - 5000)
    col = new_collection(tmp_path / "late")
    import_apkg(col, v0)
    _edit_and_commit(project, now - 4000, "{{c2::가장 작은}} 배포 단위다.", "{{c2::가장 작은}} 배포 단위였다.")
    v1 = _release(project, "v1.0.0", now - 3000)
    _edit_and_commit(project, now - 2000, "{{c2::가장 작은}} 배포 단위였다.", "{{c2::가장 작은}} 배포 단위이다.")
    import_apkg(col, v1)  # late, as above
    _release(project, "v2.0.0", now + 120)  # this user never imports v2
    _edit_and_commit(project, now + 180, "부하 분산", "로드 밸런싱", entry="ingress")
    v3 = _release(project, "v3.0.0", now + 240)
    log = import_apkg(col, v3).log
    assert (len(log.new), len(log.updated)) == (0, 4)  # the v2 edit to pod, the v3 edit to the three ingress notes
    assert _pod_text(col).endswith("배포 단위이다.")  # the v2 edit, shipped again by v3 with v2's time
    col.close()


def test_rebuilding_a_release_and_building_main_after_it_give_it_the_same_times(tmp_path):
    now = int(time.time())
    project = copy_project(tmp_path / "p", with_git=True)
    _release(project, "v1.0.0", now - 3000)
    _edit_and_commit(project, now - 2000, "{{c2::가장 작은}} 배포 단위다.", "{{c2::가장 작은}} 배포 단위이다.")
    v2 = _release(project, "v2.0.0", now - 1000)
    done = run_cli(project, "--only", "deck", "--locked")  # main, right after the release
    assert done.returncode == 0, done.stderr
    col = new_collection(tmp_path / "anki")
    import_apkg(col, v2)
    log = import_apkg(col, outputs(project)["apkg"]).log
    assert (len(log.new), len(log.updated)) == (0, 0)  # same content, same times: nothing to update
    mods = {col.get_note(n)["Term"]: col.get_note(n).mod for n in col.find_notes("")}
    assert mods["Pod"] == now - 1000  # the edited note carries v2's time
    assert mods["Ingress"] == now - 3000  # an untouched one, v1's
    col.close()


def test_update_notes_always_brings_what_a_too_late_import_would_skip(tmp_path):
    """The window that remains (README): Anki <= 24.11, v1 imported only after v2 was tagged."""
    from anki.collection import ImportAnkiPackageOptions, ImportAnkiPackageRequest

    now = int(time.time())
    project = copy_project(tmp_path / "p", with_git=True)
    v0 = _release(project, "v0.9.0", now - 5000)
    col = new_collection(tmp_path / "late")
    import_apkg(col, v0)
    _edit_and_commit(project, now - 4000, "{{c2::가장 작은}} 배포 단위다.", "{{c2::가장 작은}} 배포 단위였다.")
    v1 = _release(project, "v1.0.0", now - 3000)
    _edit_and_commit(project, now - 2000, "{{c2::가장 작은}} 배포 단위였다.", "{{c2::가장 작은}} 배포 단위이다.")
    v2 = _release(project, "v2.0.0", now - 1000)
    import_apkg(col, v1)  # after v2 was tagged
    import_apkg(col, v2)  # Anki <= 24.11 skips the edit here; 25.02 and later bring it
    always = ImportAnkiPackageOptions(update_notes=1)  # "Update notes: Always" in the import dialog
    col.import_anki_package(ImportAnkiPackageRequest(package_path=str(v2), options=always))
    assert _pod_text(col).endswith("배포 단위이다.")
    col.close()


# --- a note the learner changed after the release's fix: Anki skips it, CHANGES.md finds it ---


def _stale_search(changes: str) -> str:
    """The search CHANGES.md gives for the notes an import left as they were."""
    found = re.search(
        r"paste this search into Anki's Browse window:\n\n"
        r"```text\n(.*)\n```\n",
        changes,
    )
    assert found, changes
    return found.group(1)


def _both_forms(project: Path, since: str) -> tuple[str, str]:
    """Both forms of the search (outputs/changes.py), from the two releases' locks."""
    from studydeck.gather.identity import rev_tag
    from studydeck.outputs.changes import search_forms

    now, before = (json.loads(git(project, "show", f"{tag}:entries.lock"))["notes"] for tag in ("HEAD", since))
    current = {(r["guid"], r["hash"]) for r in now.values()}
    old = {(r["guid"], r["hash"]) for r in before.values()} - current
    return search_forms("k8s-study-deck cloze", [rev_tag(*n) for n in current], frozenset(rev_tag(*n) for n in old))


def _schedule(col, nid: int) -> list[tuple]:
    return sorted((c.id, c.type, c.queue, c.due, c.ivl, c.reps) for c in col.get_note(nid).cards())


def test_the_release_notes_search_finds_exactly_the_notes_an_import_left_and_always_updates_them(tmp_path):
    """The learner marks one note and edits another after v2 fixed them, then imports v2: Anki
    skips both (and says nothing); CHANGES.md's search finds those two and no other note;
    importing with Update notes: Always brings v2's text, with the review history kept."""
    from anki.collection import ImportAnkiPackageOptions, ImportAnkiPackageRequest
    from anki.import_export_pb2 import ImportAnkiPackageUpdateCondition

    now = int(time.time())
    project = copy_project(tmp_path / "p", with_git=True)
    v1 = _release(project, "v1.0.0", now - 3000)
    col = new_collection(tmp_path / "anki")
    import_apkg(col, v1)
    reviews = _answer_all(col)
    first = _stale_search(outputs(project)["changes"].read_text("utf-8"))
    assert first == '"note:k8s-study-deck cloze" -tag:studydeck::rev::*'
    assert col.find_notes(first) == []
    # v2 fixes pod/pod and the three ingress notes, before the learner touches two of them
    _edit_and_commit(project, now - 2500, "{{c2::가장 작은}} 배포 단위다.", "{{c2::가장 작은}} 배포 단위이다.")
    _edit_and_commit(project, now - 2000, "부하 분산", "로드 밸런싱", entry="ingress")
    v2 = _release(project, "v2.0.0", now - 1000, since="v1.0.0")
    changes = outputs(project)["changes"].read_text("utf-8")
    assert "## Changed (4)" in changes and "changed notes are updated" not in changes
    search = _stale_search(changes)

    marked = col.get_note(col.find_notes('"Id:pod" "Term:Pod"')[0])
    marked.add_tag("marked")  # Browse > Notes > Toggle Mark
    col.update_note(marked)
    edited = col.get_note(col.find_notes('"Id:ingress" "Term:Ingress"')[0])
    old_points = edited["Points"]
    edited["Text"] += "<p>내 메모</p>"
    col.update_note(edited)
    assert "부하 분산" in old_points and min(col.get_note(n).mod for n in (marked.id, edited.id)) >= now
    history = {nid: _schedule(col, nid) for nid in (marked.id, edited.id)}

    log = import_apkg(col, v2).log
    assert len(log.updated) == 2  # the two other ingress notes; the marked and the edited one are skipped
    assert col.get_note(marked.id)["Text"].endswith("배포 단위다.") and col.get_note(edited.id)["Points"] == old_points
    assert sorted(col.find_notes(search)) == sorted([marked.id, edited.id])
    assert col.note_count() == 41
    for form in _both_forms(project, "v1.0.0"):  # the other form finds the same two
        assert sorted(col.find_notes(form)) == sorted([marked.id, edited.id]), form

    always = ImportAnkiPackageOptions(
        update_notes=ImportAnkiPackageUpdateCondition.IMPORT_ANKI_PACKAGE_UPDATE_CONDITION_ALWAYS
    )
    log = col.import_anki_package(ImportAnkiPackageRequest(package_path=str(v2), options=always)).log
    assert {n.id.nid for n in log.updated} >= {marked.id, edited.id}
    assert col.get_note(marked.id)["Text"].endswith("배포 단위이다.")
    assert "로드 밸런싱" in col.get_note(edited.id)["Points"]
    assert "내 메모" not in col.get_note(edited.id)["Text"]  # the cost: the learner's own edit is replaced,
    assert not col.get_note(marked.id).has_tag("marked")  # and their tags with the deck's
    assert col.find_notes(search) == []
    assert col.db.scalar("select count() from revlog") == reviews
    assert {nid: _schedule(col, nid) for nid in history} == history
    col.close()


def _release_before_revision_tags(project: Path, tag: str, when: int) -> Path:
    """A release as a build before revision tags made it: entries.lock of format 2 (whose hashes
    did not cover a tag) and a package whose notes carry no revision tag, at the release's time."""
    from studydeck.anki import package
    from studydeck.gather import identity
    from studydeck.gather import project as gathering
    from studydeck.gather.reads import Reads
    from studydeck.model import Options
    from studydeck.outputs.deck import Deck

    built = gathering.gather(Options(project, project / "dist", only="deck"), Reads(project))
    lock = json.loads(built.lock_bytes)
    legacy = {n.guid: identity.legacy_hash(n) for n in built.notes}
    for record in lock["notes"].values():
        record["hash"] = legacy[record["guid"]]
    lock["format"] = 2
    (project / "entries.lock").write_text(json.dumps(lock, ensure_ascii=False, indent=1, sort_keys=True) + "\n")
    git(project, "add", "-A")
    commit(project, tag, when=when)
    git(project, "tag", tag)
    inputs = Deck().prepare(built)
    saved = project.parent / f"{tag}.apkg"
    saved.write_bytes(
        package.pack(built.notes, inputs.notetype, inputs.decks, dict.fromkeys(legacy, when), when, inputs.media)
    )
    return saved


def test_the_first_release_with_revision_tags_updates_every_note_once_and_says_so(tmp_path):
    now = int(time.time())
    project = copy_project(tmp_path / "p", with_git=True)
    v0 = _release_before_revision_tags(project, "v0.9.0", now - 3000)
    col = new_collection(tmp_path / "anki")
    import_apkg(col, v0)
    reviews = _answer_all(col)
    assert len(col.find_notes("tag:studydeck::rev::*")) == 0
    pod = col.get_note(col.find_notes('"Id:pod" "Term:Pod"')[0])
    pod.add_tag("marked")
    col.update_note(pod)
    col.db.execute("update notes set mod = ? where id = ?", now - 2000, pod.id)  # marked before v1 was made

    local = run_cli(project, "--only", "deck")
    assert "(0 added, 0 changed, 0 renamed, 0 removed, 41 given their revision tag)" in local.stdout
    v1 = _release(project, "v1.0.0", now - 1000, since="v0.9.0")
    changes = outputs(project)["changes"].read_text("utf-8")
    assert "## Changed" not in changes and "No note was added, changed or removed in this version." in changes
    assert "Anki updates every note once, the 41 whose text did not change too." in " ".join(changes.split())
    search = _stale_search(changes)
    assert search == '"note:k8s-study-deck cloze" -tag:studydeck::rev::*'
    assert len(col.find_notes(search)) == 41  # before the import: no note holds this release's version

    log = import_apkg(col, v1).log
    assert (len(log.new), len(log.updated)) == (0, 41)
    assert col.find_notes(search) == [] and len(col.find_notes("tag:studydeck::rev::*")) == 41
    assert not col.get_note(pod.id).has_tag("marked")  # an update replaces the note's tags (CHANGES.md says so)
    assert col.db.scalar("select count() from revlog") == reviews
    log = import_apkg(col, v1).log  # once: the same release again changes nothing
    assert (len(log.new), len(log.updated)) == (0, 0)
    col.close()


def test_cards_of_a_moved_entry_reach_their_new_subdeck_with_the_release_notes_searches(tmp_path):
    """Anki's import updates a moved entry's notes but leaves their cards in the old subdeck; the
    release notes give one search per subdeck, and Change Deck on what it finds puts every card
    where its group is, history kept."""
    project = copy_project(tmp_path / "p", with_git=True)
    now = int(time.time()) - 600
    commit(project, "v1", when=now) if git(project, "status", "--porcelain") else None
    assert run_cli(project, "--only", "deck").returncode == 0
    col = new_collection(tmp_path / "anki")
    import_apkg(col, outputs(project)["apkg"])
    reviews = _answer_all(col)
    pod_cards = set(col.find_cards('"Id:pod"'))
    time.sleep(1.5)
    _edit(project / "entries" / "pod.yaml", "\ngroup: object\n", "\ngroup: 개념\n")
    _edit(project / "pyproject.toml", 'order = ["pod", ', "order = [")
    git(project, "add", "-A")
    commit(project, "v2", when=int(time.time()))
    done = run_cli(project, "--only", "deck")
    assert done.returncode == 0, done.stderr
    import_apkg(col, outputs(project)["apkg"])
    deck = "쿠버네티스 스터디"
    in_deck = {cid: col.decks.name(col.get_card(cid).did) for cid in pod_cards}
    assert set(in_deck.values()) == {f"{deck}::object"}  # what Anki does: the cards stay

    notes = (project / "dist" / "CHANGES.md").read_text("utf-8")
    searches = dict(re.findall(r"^- `([^`]+)`: `([^`]+)`$", notes, re.M))
    assert sorted(searches) == [f"{deck}::object", f"{deck}::개념"]
    assert set(col.find_cards(searches[f"{deck}::개념"])) == pod_cards
    assert col.find_cards(searches[f"{deck}::object"]) == []
    for name, search in searches.items():  # what the notes tell the user to do
        if found := col.find_cards(search):
            col.set_deck(found, col.decks.id_for_name(name))
    assert {col.decks.name(col.get_card(cid).did) for cid in pod_cards} == {f"{deck}::개념"}
    assert all(col.find_cards(search) == [] for search in searches.values())
    assert col.db.scalar("select count() from revlog") == reviews
    col.close()
