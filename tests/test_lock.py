"""entries.lock and the environment as a user may damage them: one clear line each, never a traceback."""

from __future__ import annotations

import json
import os

import pytest
from conftest import DECK, copy_project, run_build, run_cli


def _damage(project, change) -> None:
    path = project / "entries.lock"
    data = json.loads(path.read_text("utf-8"))
    change(data)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n", "utf-8")


def _line_of(project, needle: str) -> int:
    return next(i for i, ln in enumerate((project / "entries.lock").read_text("utf-8").splitlines(), 1) if needle in ln)


@pytest.mark.parametrize(
    "change, field, message",
    [
        (lambda d: d["notes"]["pod/pod"].pop("guid"), "notes.pod/pod.guid", "is missing"),
        (lambda d: d["notes"]["pod/pod"].update(guid=7), "notes.pod/pod.guid", "must be a non-empty string"),
        (lambda d: d["notes"]["pod/pod"].update(mod="soon"), "notes.pod/pod.mod", "must be a whole number of seconds"),
        (
            lambda d: d["notes"]["pod/pod"].update(answers=[1]),
            "notes.pod/pod.answers",
            "must map cloze numbers to answers",
        ),
    ],
)
def test_a_damaged_note_record_names_its_line_and_field(tmp_path, change, field, message):
    project = copy_project(tmp_path / "p")
    _damage(project, change)
    done = run_cli(project, "--check")
    line = _line_of(project, '"pod/pod": {')
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"entries.lock:{line}:3: {field}: {message}",
        "entries.lock is damaged; restore it from git (git checkout -- entries.lock)",
    ]


def test_a_lock_that_is_not_json_names_the_place(tmp_path):
    project = copy_project(tmp_path / "p")
    path = project / "entries.lock"
    path.write_text(path.read_text("utf-8").replace('"format": 3,', '"format": 3,,', 1), "utf-8")
    done = run_cli(project, "--check")
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "entries.lock:2:14: not valid JSON: Expecting property name enclosed in double quotes",
        "entries.lock is damaged; restore it from git (git checkout -- entries.lock)",
    ]


def test_a_lock_of_an_unknown_format_says_which_it_reads(tmp_path):
    project = copy_project(tmp_path / "p")
    _damage(project, lambda d: d.update(format=9))
    done = run_cli(project, "--check")
    assert (
        done.stderr.splitlines()[0] == f"entries.lock:{_line_of(project, 'format')}:2: format: unknown format 9; "
        "this version reads 1, 2 and 3"
    )


@pytest.mark.parametrize(
    "value, message",
    [
        ("yesterday", "error: SOURCE_DATE_EPOCH='yesterday' is not a whole number of seconds since 1970-01-01 UTC"),
        ("-5", "error: SOURCE_DATE_EPOCH='-5' is not a whole number of seconds since 1970-01-01 UTC"),
        ("1.5", "error: SOURCE_DATE_EPOCH='1.5' is not a whole number of seconds since 1970-01-01 UTC"),
        ("99999999999999", "error: SOURCE_DATE_EPOCH=99999999999999 is after the year 9999"),
    ],
)
def test_a_malformed_source_date_epoch_stops_the_build(tmp_path, value, message):
    project = copy_project(tmp_path / "p")
    done = run_cli(project, env={"SOURCE_DATE_EPOCH": value})
    assert (done.returncode, done.stderr.strip()) == (2, message)
    assert not (project / "dist").exists()


def test_an_empty_source_date_epoch_is_unset(tmp_path):
    project = copy_project(tmp_path / "p")
    assert run_cli(project, "--check", env={"SOURCE_DATE_EPOCH": ""}).returncode == 0


def test_a_file_name_that_is_not_utf8_is_shown_not_a_crash(tmp_path):
    project = copy_project(tmp_path / "p")
    bad = os.fsencode(project / "entries") + b"/caf\xe9.yaml"
    with open(bad, "wb") as fh:
        fh.write(b"id: [\n")
    done = run_build(project, "--check", env={"GITHUB_ACTIONS": "true"})
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.splitlines()[0] == "entries/caf\ufffd.yaml: the file name is not UTF-8; rename the file"
    assert "::error file=entries/caf\ufffd.yaml::the file name is not UTF-8; rename the file" in done.stdout


def test_check_finds_what_a_deck_only_build_would_not_print(tmp_path):
    """Validity never depends on --only: a character the sheet cannot draw is a problem for all."""
    project = copy_project(tmp_path / "p")
    pod = project / "entries" / "pod.yaml"
    pod.write_text(pod.read_text("utf-8").replace("title: Pod", "title: Pod 🚀"), "utf-8")
    for args in (["--check"], ["--check", "--only", "deck"], ["--only", "deck"]):
        done = run_cli(project, *args)
        assert done.returncode == 1, args
        assert "not in the bundled font" in done.stderr


LOCK_FORMS = {
    "link": (
        lambda p: (p.unlink(), p.symlink_to("/etc/hostname")),
        "entries.lock: is a link; the lock is a file of the project: restore it from git (git checkout -- entries.lock)",
    ),
    "folder": (lambda p: (p.unlink(), p.mkdir()), "entries.lock: cannot read it (Is a directory)"),
    "enormous": (
        lambda p: p.write_bytes(b" " * (33 << 20)),
        "entries.lock: 34,603,008 bytes, over 33,554,432; restore it from git (git checkout -- entries.lock)",
    ),
    "deep": (
        lambda p: p.write_text("[" * 100_000 + "]" * 100_000, "utf-8"),
        "entries.lock: nested too deeply to be a lock; restore it from git (git checkout -- entries.lock)",
    ),
    "binary": (
        lambda p: p.write_bytes(b"\xff\xfe\x00garbage"),
        "entries.lock: not UTF-8 at byte 0; restore it from git (git checkout -- entries.lock)",
    ),
    "future": (
        lambda p: p.write_text(json.dumps({**json.loads(p.read_text("utf-8")), "format": 99}), "utf-8"),
        "entries.lock is damaged; restore it from git (git checkout -- entries.lock)",
    ),
}


@pytest.mark.parametrize("form", sorted(LOCK_FORMS))
def test_a_lock_in_any_bad_form_is_one_line(tmp_path, form):
    from studydeck.errors import BuildError
    from studydeck.gather.lock import read_lock
    from studydeck.gather.reads import Reads

    root = tmp_path / "p"
    root.mkdir()
    (root / "entries.lock").write_bytes((DECK / "entries.lock").read_bytes())
    damage, message = LOCK_FORMS[form]
    damage(root / "entries.lock")
    with pytest.raises(BuildError) as err:
        read_lock(Reads(root))
    assert str(err.value).splitlines()[-1] == message


def test_a_draft_may_change_move_or_go_until_a_release_ships_it(tmp_path):
    """Only what a v* tag shipped is in learners' collections; a note no release shipped changes
    its answer, loses its key or goes without a warning, a refusal or a tombstone."""
    from conftest import commit, git, small_project

    project = small_project(tmp_path / "p", with_git=True)
    beta = project / "entries" / "beta.yaml"

    def edit(old: str, new: str) -> None:
        text = beta.read_text("utf-8")
        assert old in text
        beta.write_text(text.replace(old, new), "utf-8")

    def save(message: str, when: int) -> None:
        git(project, "add", "-A")
        commit(project, message, when=when)

    assert run_cli(project, "--only", "deck").returncode == 0
    save("first draft", 1_700_000_000)
    git(project, "tag", "vendor-import")  # a tag that starts with v is not a release (v[0-9]*)
    edit("{{c1::베타}}", "{{c1::감마}}")  # a draft's answer changes
    done = run_cli(project, "--check", "--strict")
    assert done.returncode == 0, done.stderr
    assert "history" not in done.stderr
    edit("key: beta\n", "key: beta-two\n")  # a draft's key changes, no renamed_from
    done = run_cli(project, "--check", "--locked")  # the stale lock's message says what differs
    assert "entries.lock is out of date (1 added, 0 changed, 0 renamed, 0 removed, 1 draft(s) gone" in done.stderr
    done = run_cli(project, "--only", "deck")
    assert done.returncode == 0, done.stderr
    lock = json.loads((project / "entries.lock").read_text("utf-8"))
    assert "beta/beta-two" in lock["notes"] and "beta/beta" not in lock["notes"]
    assert "beta/beta" not in lock.get("removed", {})  # no tombstone for what no one has
    assert "Removed" not in (project / "dist" / "CHANGES.md").read_text("utf-8")
    save("second draft", 1_700_000_100)
    git(project, "tag", "v0.1.0")  # released: from now on the same edits are guarded
    edit("{{c1::감마}}", "{{c1::델타}}")
    done = run_cli(project, "--check", "--strict")
    assert done.returncode == 1
    assert "entries/beta.yaml:" in done.stderr and "c1 asked for '감마' and now asks for '델타'" in done.stderr
    edit("{{c1::델타}}", "{{c1::감마}}")
    edit("key: beta-two\n", "key: beta-three\n")
    done = run_cli(project, "--check")
    assert done.returncode == 1
    assert "note 'beta/beta-two' (GUID" in done.stderr and "would silently disappear" in done.stderr


def test_a_clone_that_cannot_see_the_release_tags_still_protects_released_notes(tmp_path):
    """A shallow clone (actions/checkout's default) may hold no tags: every note of the lock
    counts as released there. A full clone made without the tags sees none and lets a released
    note go as a draft; once the tags are back (CI fetches them, the release job must), the note
    the latest release shipped is refused as gone, not dropped silently."""
    from conftest import commit, git, small_project

    project = small_project(tmp_path / "p", with_git=True)
    assert run_cli(project, "--only", "deck").returncode == 0
    git(project, "add", "-A")
    commit(project, "release", when=1_700_000_000)
    git(project, "tag", "v0.1.0")

    def rename_beta(clone) -> None:
        beta = clone / "entries" / "beta.yaml"
        beta.write_text(beta.read_text("utf-8").replace("key: beta\n", "key: beta-two\n"), "utf-8")

    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", "--no-tags", project.as_uri(), str(shallow))
    assert git(shallow, "tag") == ""
    rename_beta(shallow)
    done = run_cli(shallow, "--check")
    assert done.returncode == 1
    assert "note 'beta/beta' (GUID" in done.stderr and "would silently disappear" in done.stderr

    tagless = tmp_path / "tagless"
    git(tmp_path, "clone", "-q", "--no-tags", str(project), str(tagless))
    rename_beta(tagless)
    assert run_cli(tagless, "--only", "deck").returncode == 0  # no release in sight: a draft
    assert "beta/beta" not in json.loads((tagless / "entries.lock").read_text("utf-8"))["notes"]
    git(tagless, "add", "-A")
    commit(tagless, "drop beta", when=1_700_000_100)
    git(tagless, "fetch", "-q", "--tags", "origin")
    done = run_cli(tagless, "--check")
    assert done.returncode == 1
    assert "note 'beta/beta' (GUID" in done.stderr and "would silently disappear" in done.stderr
    assert "renamed_from: beta" in done.stderr
    beta = tagless / "entries" / "beta.yaml"
    beta.write_text(
        beta.read_text("utf-8").replace("key: beta-two\n", "key: beta-two\n    renamed_from: beta\n"), "utf-8"
    )
    assert run_cli(tagless, "--only", "deck").returncode == 0, "a rename keeps the released GUID"
    guid = json.loads((project / "entries.lock").read_text("utf-8"))["notes"]["beta/beta"]["guid"]
    assert json.loads((tagless / "entries.lock").read_text("utf-8"))["notes"]["beta/beta-two"]["guid"] == guid
