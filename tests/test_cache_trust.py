"""The build record and the font cache are read back from disk, so they are untrusted: a record
this user's builds did not sign is ignored (everything is made again), and a copy of a built
project (the same user's) is up to date."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import copy_project, run_build

from studydeck import cache, reads

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


@pytest.mark.parametrize("form", sorted(FORMS))
def test_a_record_in_any_other_form_is_ignored(home, tmp_path, form):
    rec = _signed_record(tmp_path)
    (rec.path.parent / "elsewhere.json").write_text(rec.path.read_text("utf-8"), "utf-8")
    FORMS[form](rec.path, json.loads(rec.path.read_text("utf-8")))
    again = cache.record(tmp_path / "p", tmp_path / "p" / "dist")
    assert (again.outputs, again.last) == ({}, {})


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
    from studydeck.reads import Reads

    root = Path(__file__).resolve().parent.parent
    folder = tmp_path / "fonts"
    made = fonts.web_fonts(Reads(root), root / "templates", frozenset("가나"), frozenset("a"), folder)
    for path in folder.iterdir():
        path.write_bytes(b"0" * 64 + b"\nplanted")
    again = fonts.web_fonts(Reads(root), root / "templates", frozenset("가나"), frozenset("a"), folder)
    assert [f.data for f in again] == [f.data for f in made]


def test_a_copy_of_a_built_project_is_up_to_date(home, tmp_path):
    project = copy_project(tmp_path / "a")
    assert run_build(project, "--only", "deck", env=SDE).returncode == 0
    copy = tmp_path / "elsewhere" / "b"
    shutil.copytree(project, copy, symlinks=True)
    done = run_build(copy, "--only", "deck", env=SDE)
    assert done.returncode == 0, done.stderr
    assert [line for line in done.stdout.splitlines() if line.startswith("wrote")] == []
    assert "up to date: dist/쿠버네티스-스터디.apkg" in done.stdout
