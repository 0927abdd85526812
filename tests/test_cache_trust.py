"""The build record and the font cache are read back from disk, so they are untrusted: a record
this user's builds did not sign is ignored (everything is made again), and a copy of a built
project (the same user's) is up to date."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import copy_project, run_cli

from studydeck.errors import collecting_warnings
from studydeck.gather import reads
from studydeck.state import cache

SDE = {"SOURCE_DATE_EPOCH": "1700000000"}


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A user cache folder of the test's own (the key that signs the records)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    return tmp_path / "user-cache"


def _signed_record(tmp_path) -> cache.Record:
    root = tmp_path / "p"
    (root / "dist").mkdir(parents=True)
    (root / "dist" / "a.pdf").write_bytes(b"pdf")
    rec = cache.record(root, root / "dist")
    rec.update("a.pdf", "k", b"pdf")
    rec.last = {"reads": {}, "options": "o", "result": {"entries": 1}, "files": {"a.pdf": "x"}}
    assert rec.save()
    return rec


def test_a_record_this_user_signed_is_read_back(home, tmp_path):
    rec = _signed_record(tmp_path)
    again = cache.record(tmp_path / "p", tmp_path / "p" / "dist")
    assert (again.outputs, again.last) == (rec.outputs, rec.last)
    assert (home / "studydeck" / "record-key").stat().st_mode & 0o777 == 0o600


FORMS = {
    "corrupt": lambda path, data: path.write_bytes(b"{ not json"),
    "truncated": lambda path, data: path.write_bytes(path.read_bytes()[:40]),
    "future-format": lambda path, data: path.write_text(json.dumps({**data, "format": 99}), "utf-8"),
    "unsigned": lambda path, data: path.write_text(json.dumps(data["body"]), "utf-8"),
    "altered": lambda path, data: path.write_text(
        json.dumps({**data, "body": {**data["body"], "outputs": {"a.pdf": {"key": "k", "sha256": "evil"}}}}), "utf-8"
    ),
    "folder": lambda path, data: (path.unlink(), path.mkdir()),
    "link": lambda path, data: (path.unlink(), path.symlink_to(path.parent / "elsewhere.json")),
    "enormous": lambda path, data: path.write_bytes(b" " * (cache.MAX_RECORD + 1)),
    "not-utf8": lambda path, data: path.write_bytes(b"\xff\xfe"),
    "deep": lambda path, data: path.write_text("[" * 100_000 + "]" * 100_000, "utf-8"),
}


WHY = {  # the warning each form gives (none for another version's: as after any upgrade)
    "corrupt": "is not a record (not UTF-8 JSON)",
    "truncated": "is not a record (not UTF-8 JSON)",
    "future-format": None,
    "unsigned": "is not signed with your key (copied from elsewhere, or altered)",
    "altered": "is not signed with your key (copied from elsewhere, or altered)",
    "folder": "is not a file",
    "link": "is a link",
    "enormous": "is over 64 MiB",
    "not-utf8": "is not a record (not UTF-8 JSON)",
    "deep": "is not a record (not UTF-8 JSON)",
}


@pytest.mark.parametrize("form", sorted(FORMS))
def test_a_record_in_any_other_form_is_ignored(home, tmp_path, form):
    rec = _signed_record(tmp_path)
    (rec.path.parent / "elsewhere.json").write_text(rec.path.read_text("utf-8"), "utf-8")
    FORMS[form](rec.path, json.loads(rec.path.read_text("utf-8")))
    with collecting_warnings() as found:
        again = cache.record(tmp_path / "p", tmp_path / "p" / "dist")
    assert (again.outputs, again.last) == ({}, {})
    expected = f"warning: ignored: it {WHY[form]}; everything is made again" if WHY[form] else None
    assert [str(w) for w in found] == ([f".cache/studydeck/{rec.path.name}: {expected}"] if expected else [])


def test_another_users_record_is_ignored(home, tmp_path, monkeypatch):
    _signed_record(tmp_path)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "someone-else"))
    again = cache.record(tmp_path / "p", tmp_path / "p" / "dist")
    assert (again.outputs, again.last) == ({}, {})


def test_a_planted_record_never_runs_its_questions(home, tmp_path):
    """A record is a list of questions the next build asks again, git's among them: one that
    sets core.fsmonitor would run a program. Unsigned, it is never asked."""
    root = tmp_path / "p"
    (root / cache.CACHE_DIR).mkdir(parents=True)
    marker = tmp_path / "ran"
    question = json.dumps(["git", ["-c", f"core.fsmonitor=touch {marker}", "status"], ""])
    body = {"outputs": {}, "last": {"reads": {question: "x"}, "options": "o", "result": {}, "files": {}}}
    rec = cache.record(root, root / "dist")
    rec.path.write_text(json.dumps({"format": cache.FORMAT, "mac": "0" * 64, "body": body}), "utf-8")
    again = cache.record(root, root / "dist")
    assert again.last == {}
    assert not reads.unchanged(root, again.last.get("reads", {}))
    assert not marker.exists()


def test_a_planted_font_subset_is_not_shipped(home, tmp_path):
    from studydeck import fonts
    from studydeck.gather.reads import Reads

    root = Path(__file__).resolve().parent.parent
    folder = tmp_path / "fonts"
    made = fonts.web_fonts(Reads(root), root / "templates", frozenset("가나"), frozenset("a"), folder)
    for path in folder.iterdir():
        path.write_bytes(b"0" * 64 + b"\nplanted")
    with collecting_warnings() as found:
        again = fonts.web_fonts(Reads(root), root / "templates", frozenset("가나"), frozenset("a"), folder)
    assert [f.data for f in again] == [f.data for f in made]
    assert len(found) == len(made) and all(
        str(w).endswith(".woff2: warning: ignored: it is not a font subset signed with your key; made again")
        for w in found
    ), found


def test_cache_warnings_are_counted_by_strict(home, tmp_path):
    """One channel: a planted record is a warning like a card-quality one; --strict refuses it."""
    project = copy_project(tmp_path / "p")
    assert run_cli(project, "--only", "deck", env=SDE).returncode == 0
    (record,) = (project / cache.CACHE_DIR).glob("outputs-*.json")
    record.write_text("{ planted", "utf-8")
    done = run_cli(project, "--only", "deck", "--strict", env=SDE)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f".cache/studydeck/{record.name}: warning: ignored: it is not a record (not UTF-8 JSON); "
        "everything is made again",
        "1 warning(s), and --strict makes them errors; nothing was written",
    ]
    shutil.rmtree(project / ".cache")
    (project / ".cache").write_text("not a folder", "utf-8")  # the record cannot be kept
    done = run_cli(project, "--only", "deck", "--strict", env=SDE)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        ".cache: warning: is not a folder, so no build is recorded: each build makes everything again",
        "1 warning(s), and --strict makes them errors; nothing was written",
    ]
    (project / ".cache").unlink()
    (tmp_path / "elsewhere").mkdir()
    (project / ".cache").symlink_to(tmp_path / "elsewhere")
    done = run_cli(project, "--only", "deck", env=SDE)
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == [
        ".cache: warning: is a link, so no build is recorded: each build makes everything again"
    ]
    assert list((tmp_path / "elsewhere").iterdir()) == []  # nothing written through the link


def test_a_copy_of_a_built_project_is_up_to_date(home, tmp_path):
    project = copy_project(tmp_path / "a")
    assert run_cli(project, "--only", "deck", env=SDE).returncode == 0
    copy = tmp_path / "elsewhere" / "b"
    shutil.copytree(project, copy, symlinks=True)
    done = run_cli(copy, "--only", "deck", env=SDE)
    assert done.returncode == 0, done.stderr
    assert [line for line in done.stdout.splitlines() if line.startswith("wrote")] == []
    assert "up to date: dist/쿠버네티스-스터디.apkg" in done.stdout
