"""Rebuilds remake exactly the outputs whose inputs changed, and give the bytes of a clean build."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import SMALL_STEM, run_build, small_project

SDE = {"SOURCE_DATE_EPOCH": "1700000000"}  # the printed date: otherwise any content change moves it
NAMES = {
    "apkg": f"{SMALL_STEM}.apkg",
    "pdf": f"{SMALL_STEM}.pdf",
    "worksheet": f"{SMALL_STEM}-worksheet.pdf",
    "html": f"{SMALL_STEM}.html",
    "cards": f"{SMALL_STEM}-cards.html",
    "changes": "CHANGES.md",
}


def outputs(project: Path) -> dict[str, Path]:
    return {key: project / "dist" / name for key, name in NAMES.items()}


def _written(stdout: str) -> set[str]:
    return {line.removeprefix("wrote dist/") for line in stdout.splitlines() if line.startswith("wrote dist/")}


@pytest.fixture(scope="module")
def built_once(tmp_path_factory):
    project = small_project(tmp_path_factory.mktemp("cache") / "p")  # the pipeline, not the content
    assert run_build(project, "--only", "deck", env=SDE).returncode == 0  # its entries.lock, as committed
    done = run_build(project, env=SDE)
    assert done.returncode == 0, done.stderr
    assert _written(done.stdout) == set(NAMES.values()) - {NAMES["apkg"], NAMES["cards"]}  # made by the first
    return project


@pytest.fixture
def project(built_once, tmp_path):
    """A copy of a built project (outputs, build record and all): a copy is up to date, as a
    clone with its dist/ is (tests/test_cache_trust.py), so each test starts from a whole build."""
    return shutil.copytree(built_once, tmp_path / "p", symlinks=True)


def test_a_rebuild_with_nothing_changed_writes_nothing_and_loads_no_renderer(project):
    before = {p.name: p.stat().st_mtime_ns for p in (project / "dist").iterdir()}
    done = run_build(project, env={"PYTHONPROFILEIMPORTTIME": "1", **SDE})
    assert done.returncode == 0
    assert _written(done.stdout) == set()
    assert {
        line.removeprefix("up to date: dist/") for line in done.stdout.splitlines() if line.startswith("up to date")
    } == set(NAMES.values())
    assert "; sheet 1 page, worksheet 2 pages (" in done.stdout  # the summary, from the record
    imported = {line.split("|")[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time")}
    assert "weasyprint" not in imported and "genanki" not in imported and "jinja2" in imported
    assert {p.name: p.stat().st_mtime_ns for p in (project / "dist").iterdir()} == before


def test_a_card_style_change_remakes_only_the_deck_and_the_cards_view(project):
    css = project / "templates" / "card" / "card.css"
    css.write_text(css.read_text("utf-8") + "\n.extra { color: #333; }\n", "utf-8")
    done = run_build(project, env=SDE)
    assert done.returncode == 0, done.stderr
    assert _written(done.stdout) == {NAMES["apkg"], NAMES["cards"]}  # the cards view shows the CSS too


def test_a_sheet_option_remakes_only_the_sheets(project):
    done = run_build(project, "--columns", "3", env=SDE)
    assert done.returncode == 0, done.stderr
    assert _written(done.stdout) == {NAMES["pdf"], NAMES["worksheet"]}  # the preview's columns follow the window


def test_a_deleted_or_altered_output_is_remade(project):
    paths = outputs(project)
    paths["pdf"].unlink()
    paths["apkg"].write_bytes(paths["apkg"].read_bytes() + b"\0")
    done = run_build(project, env=SDE)
    assert done.returncode == 0, done.stderr
    assert _written(done.stdout) == {NAMES["pdf"], NAMES["apkg"]}


def test_an_edit_rebuild_gives_the_bytes_of_a_clean_build(project, tmp_path):
    beta = project / "entries" / "beta.yaml"
    beta.write_text(beta.read_text("utf-8").replace("관련된 개념이다.", "관련이 있는 개념이다."), "utf-8")
    done = run_build(project, env=SDE)
    assert done.returncode == 0, done.stderr
    assert _written(done.stdout) == set(NAMES.values())  # every output shows the entry
    clean = tmp_path / "clean"
    shutil.copytree(project, clean, ignore=shutil.ignore_patterns("dist", ".cache"))
    assert run_build(clean, env=SDE).returncode == 0
    for key in ("apkg", "pdf", "worksheet", "html"):  # (CHANGES.md compares with each copy's own lock)
        assert outputs(project)[key].read_bytes() == outputs(clean)[key].read_bytes(), key


def test_the_unchanged_fast_path_still_sees_settings_and_touched_files(project):
    beta = project / "entries" / "beta.yaml"
    beta.write_bytes(beta.read_bytes())  # touched, same content: still nothing to do
    done = run_build(project, env=SDE)
    assert _written(done.stdout) == set()
    done = run_build(project, env={"SOURCE_DATE_EPOCH": "1700000500"})  # a new release time, the same day
    assert _written(done.stdout) == {NAMES["pdf"], NAMES["worksheet"]}  # (the preview shows only the day)
    done = run_build(project, env={**SDE, "STUDYDECK_VERSION": "v0.2.0"})  # a new version
    assert _written(done.stdout) == set(NAMES.values())


def test_the_code_digest_covers_every_module_of_every_subpackage(tmp_path, monkeypatch):
    """A change to any module of the package (gather/, pdf/, ...) is a change to every output."""
    import studydeck
    from studydeck.state import cache

    package = Path(studydeck.__file__).resolve().parent
    modules = sorted(package.rglob("*.py"))
    assert {p.parent.name for p in modules} >= {"studydeck", "gather", "anki", "pdf", "state", "outputs"}
    copy = tmp_path / "studydeck"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(cache, "_CODE", copy)
    seen = set()
    for module in modules:
        cache._code_digest.cache_clear()
        before = cache._code_digest()
        target = copy / module.relative_to(package)
        target.write_bytes(target.read_bytes() + b"\n# changed\n")
        cache._code_digest.cache_clear()
        seen.add(cache._code_digest() != before)
    assert seen == {True}
    monkeypatch.undo()
    cache._code_digest.cache_clear()
    assert package == cache._CODE
