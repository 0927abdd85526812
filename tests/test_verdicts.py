"""One verdict whatever is built: each refusal gives the same lines and exit status under
--check, --check --strict, --only deck, --only sheet, --only worksheet and a full build, and
leaves dist/ as it was. Run in-process (cli.main): each case fails before any worker starts."""

from __future__ import annotations

import shutil

import pytest
from conftest import ROOT, copy_project

from studydeck import cli

COMMANDS = (["--check"], ["--check", "--strict"], ["--only", "deck"], ["--only", "sheet"], ["--only", "worksheet"], [])


def _every_invalid_entry(project):
    for path in sorted((ROOT / "tests" / "data" / "invalid").glob("*.yaml")):
        shutil.copy(path, project / "entries" / f"zz-{path.name}")


def _config(project):
    config = project / "pyproject.toml"
    config.write_text(config.read_text("utf-8").replace('order = ["pod",', 'order = ["podd", "pod",'), "utf-8")


def _lock(project):
    lock = project / "entries.lock"
    lock.write_text(lock.read_text("utf-8").replace('"guid": "', '"guid": 7, "x": "', 1), "utf-8")


def _figure(project):
    entry = project / "entries" / "pod.yaml"
    entry.write_text(entry.read_text("utf-8") + "figure:\n  file: figures/none.svg\n  alt: 그림\n", "utf-8")


def _card_template(project):
    back = project / "templates" / "card" / "back.html"
    back.write_text(back.read_text("utf-8") + "{{CardID}}", "utf-8")


CASES = {
    "every invalid entry": _every_invalid_entry,
    "configuration": _config,
    "entries.lock": _lock,
    "figure": _figure,
    "card template": _card_template,
}


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    return copy_project(tmp_path_factory.mktemp("verdicts") / "base")


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_refusal_is_the_same_under_every_command(case, base, tmp_path, monkeypatch, capsys):
    project = tmp_path / "p"
    shutil.copytree(base, project)
    (project / "dist").mkdir()
    (project / "dist" / "keep.txt").write_text("the last good build", "utf-8")
    CASES[case](project)
    monkeypatch.chdir(project)
    verdicts = {}
    for argv in COMMANDS:
        capsys.readouterr()
        code = cli.main(["-q", *argv])
        verdicts[" ".join(argv) or "(full build)"] = (code, capsys.readouterr().err)
    first = verdicts["--check"]
    assert first[0] in (1, 2) and first[1].strip(), first
    assert "Traceback" not in first[1]
    assert {k: v for k, v in verdicts.items() if v != first} == {}, first
    assert sorted(p.name for p in (project / "dist").iterdir()) == ["keep.txt"]
