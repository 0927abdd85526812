"""Re-importing releases into a studied collection, through Anki's own importer."""

from __future__ import annotations

import os
import time
from pathlib import Path

from conftest import commit, copy_project, git, import_apkg, new_collection, outputs, run_build

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
    assert run_build(project, "--only", "deck").returncode == 0
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
    done = run_build(project, "--only", "deck")
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
    assert run_build(project, "--only", "deck").returncode == 0
    log = import_apkg(col, outputs(project)["apkg"]).log
    assert (len(log.new), len(log.updated)) == (0, 0)
    assert {nid: col.get_note(nid).mod for nid in col.find_notes("")} == before
    assert col.db.scalar("select count() from revlog") == reviews
    col.close()


def test_two_fresh_clones_build_identical_bytes(tmp_path):
    origin = copy_project(tmp_path / "origin", with_git=True)
    results = []
    for name in ("a", "b"):
        clone = tmp_path / name
        git(tmp_path, "clone", "-q", str(origin), str(clone))
        assert run_build(clone).returncode == 0
        results.append({p.name: p.read_bytes() for p in sorted((clone / "dist").iterdir())})
        time.sleep(2)
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
    done = run_build(project)
    assert done.returncode == 1
    assert "entries/pod.yaml:7:3: definitions: note 'pod/pod' (GUID k8s-study-deck:" in done.stderr
    assert (
        "entry 'pod' seems renamed to 'pods': add 'renamed_from: pod' to the entry 'pods' "
        "to keep its notes and review history"
    ) in done.stderr
    assert not (project / "dist").exists()

    _edit(project / "entries" / "pod.yaml", "id: pods\n", "id: pods\nrenamed_from: pod\n")
    done = run_build(project, "--only", "deck")
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
    done = run_build(project, "--only", "deck")
    assert done.returncode == 1
    assert "entries/redundancy.yaml:7:3: definitions: note 'redundancy/spof' (GUID k8s-study-deck:" in done.stderr
    assert "if you removed it on purpose, build with --accept-removals" in done.stderr
    done = run_build(project, "--only", "deck", "--accept-removals")
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
    done = run_build(project, "--check")
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
    assert run_build(project, "--only", "deck").returncode == 0
    git(project, "add", "-A")
    commit(project, "v0.2.0", when=1_700_100_000)
    plain = run_build(project, "--only", "deck")  # against the committed lock: nothing new
    assert "0 added, 0 changed" in plain.stdout
    done = run_build(project, "--only", "deck", "--changes-since", str(previous), env={"STUDYDECK_VERSION": "v0.2.0"})
    assert done.returncode == 0, done.stderr
    changes = outputs(project)["changes"].read_text("utf-8")
    assert changes.startswith("# 쿠버네티스 스터디 0.2.0\n")
    assert "## Added (1)\n\n- `configmap/configmap` (`ConfigMap`)\n" in changes
    assert "## Changed (1)\n\n- `pod/pod` (`Pod`)\n" in changes
    first = tmp_path / "empty.lock"
    first.write_bytes(b"")
    done = run_build(project, "--only", "deck", "--changes-since", str(first))
    assert "## Added (42)" in outputs(project)["changes"].read_text("utf-8")
    missing = run_build(project, "--only", "deck", "--changes-since", str(tmp_path / "nope.lock"))
    assert missing.returncode == 1
    assert missing.stderr.strip() == f"{tmp_path / 'nope.lock'}: cannot read it (No such file or directory)"


# --- Anki 24.11 and older store the time of the import as an updated note's time -----------


def _release(project: Path, tag: str, when: int) -> Path:
    """Commit what is there at `when`, tag it, and build the release as the release job does."""
    git(project, "add", "-A")
    commit(project, tag, when=when, allow_empty=True)
    git(project, "tag", tag)
    done = run_build(project, "--only", "deck", env={"SOURCE_DATE_EPOCH": str(when), "STUDYDECK_VERSION": tag})
    assert done.returncode == 0, done.stderr
    saved = project.parent / f"{tag}.apkg"
    saved.write_bytes(outputs(project)["apkg"].read_bytes())
    return saved


def _edit_and_commit(project: Path, when: int, old: str, new: str, entry: str = "pod") -> None:
    """An edit between releases, made at `when`: built locally (so entries.lock is current) and committed."""
    path = project / "entries" / f"{entry}.yaml"
    _edit(path, old, new)
    os.utime(path, (when, when))
    done = run_build(project, "--only", "deck")
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
    done = run_build(project, "--only", "deck", "--locked")  # main, right after the release
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
