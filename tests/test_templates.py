"""The templates are the author's to edit: whatever is wrong in one is one line naming it, with
the same verdict from --check, every --only and a full build, and dist/ untouched.

Run in-process (cli.main), as a user's command would run: each case fails before any worker starts."""

from __future__ import annotations

import shutil

import pytest
from conftest import copy_project

from studydeck import cli

COMMANDS = (["--check"], ["--check", "--strict"], ["--only", "deck"], ["--only", "sheet"], ["--only", "worksheet"], [])


def _replace(name, old, new):
    def edit(templates):
        path = templates / name
        text = path.read_text("utf-8")
        assert old in text, (name, old)
        path.write_text(text.replace(old, new, 1), "utf-8")

    return edit


def _delete(name):
    return lambda templates: (templates / name).unlink()


def _line_of(name, old):
    from conftest import ROOT

    text = (ROOT / "templates" / name).read_text("utf-8")
    return text[: text.index(old)].count("\n") + 1


BROKEN = {
    "undefined-field": (
        _replace("sheet.html.j2", "{{ e.title }}", "{{ e.no_such_field }}"),
        f"templates/sheet.html.j2:{_line_of('sheet.html.j2', '{{ e.title }}')}: "
        "UndefinedError: 'dict object' has no attribute 'no_such_field'",
    ),
    "syntax": (
        _replace("preview.html.j2", "{% for", "{% for for"),
        f"templates/preview.html.j2:{_line_of('preview.html.j2', '{% for')}: "
        "TemplateSyntaxError: expected token 'in', got 'section'",
    ),
    "missing-css": (_delete("preview.css"), "templates/preview.css: missing; the build needs it (restore it from git)"),
    "missing-sheet-css": (
        _delete("sheet.css"),
        "templates/sheet.css: missing; the build needs it (restore it from git)",
    ),
    "missing-include": (
        _delete("_figure.html.j2"),
        "templates/_figure.html.j2: missing; the build needs it (restore it from git)",
    ),
    "missing-worksheet": (
        _delete("worksheet.html.j2"),
        "templates/worksheet.html.j2: missing; the build needs it (restore it from git)",
    ),
    "missing-card-css": (
        _delete("card/card.css"),
        "templates/card/card.css: missing; the build needs it (restore it from git)",
    ),
    "missing-cards-view": (
        _delete("cards.html.j2"),
        "templates/cards.html.j2: missing; the build needs it (restore it from git)",
    ),
    "not-utf8": (
        lambda t: (t / "sheet.css").write_bytes(b"body { color: \xff; }"),
        "templates/sheet.css: not UTF-8 text (byte 14)",
    ),
}


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    return copy_project(tmp_path_factory.mktemp("templates") / "base")


def _run(project, argv, monkeypatch, capsys) -> tuple[int, str]:
    monkeypatch.chdir(project)
    capsys.readouterr()
    code = cli.main(["-q", *argv])
    return code, capsys.readouterr().err


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_template_is_one_line_whatever_is_built(case, base, tmp_path, monkeypatch, capsys):
    project = tmp_path / "p"
    shutil.copytree(base, project)
    (project / "dist").mkdir()
    (project / "dist" / "keep.txt").write_text("the last good build", "utf-8")
    edit, message = BROKEN[case]
    edit(project / "templates")
    for argv in COMMANDS:
        code, err = _run(project, argv, monkeypatch, capsys)
        assert (code, err.strip()) == (1, message), argv
    assert sorted(p.name for p in (project / "dist").iterdir()) == ["keep.txt"]
    assert not (project / ".cache").exists() or not any((project / ".cache").rglob("*.json"))


def test_a_field_anki_knows_only_once_imported_is_refused_by_every_command(base, tmp_path, monkeypatch, capsys):
    project = tmp_path / "p"
    shutil.copytree(base, project)
    back = project / "templates" / "card" / "back.html"
    written = back.read_text("utf-8")
    back.write_text(written + "\n{{CardID}}\n", "utf-8")
    line = written.count("\n") + 2
    for argv in COMMANDS:
        code, err = _run(project, argv, monkeypatch, capsys)
        assert code == 1, argv
        assert err.splitlines()[0] == (
            f"templates/card/back.html:{line}:1: {{{{CardID}}}}: a card's id exists only once Anki has imported it"
        ), argv
