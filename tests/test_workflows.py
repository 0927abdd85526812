"""The GitHub Actions workflows: lint-clean, pinned, least privilege, and the release steps for real."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pypdf
import pytest
import yaml
from conftest import ROOT, commit, git, import_apkg, new_collection, run_cli, small_project

WORKFLOWS = ROOT / ".github" / "workflows"
RELEASE = ROOT / ".github" / "release"
ACTIONLINT = shutil.which("actionlint", path=str(Path(sys.executable).parent)) or shutil.which("actionlint")


def _actionlint(*files: Path) -> subprocess.CompletedProcess:
    if ACTIONLINT is None:
        pytest.skip("actionlint is installed by the test extra only on Linux x86-64")
    return subprocess.run([ACTIONLINT, "-no-color", *map(str, files)], capture_output=True, text=True)


def test_actionlint_finds_nothing():
    done = _actionlint(*sorted(WORKFLOWS.glob("*.yml")))
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_does_catch_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text((WORKFLOWS / "ci.yml").read_text().replace("runs-on: ubuntu-24.04", "runs-on: ${{ matrix.os }}"))
    done = _actionlint(broken)
    assert done.returncode == 1 and "matrix" in done.stdout


@pytest.mark.parametrize("name", ["ci.yml", "release.yml"])
def test_actions_are_pinned_by_commit_and_permissions_are_least(name):
    text = (WORKFLOWS / name).read_text()
    uses = re.findall(r"uses:\s*(\S+)(.*)", text)
    assert uses
    for ref, comment in uses:
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", ref), ref
        assert re.search(r"# v\d+\.\d+\.\d+", comment), ref
    flow = yaml.safe_load(text)
    assert flow["permissions"] == {"contents": "read"}
    for job in flow["jobs"].values():
        assert job.get("permissions", {"contents": "read"}) in ({"contents": "read"}, {"contents": "write"})
        checkout = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/checkout@"))
        assert checkout["with"]["fetch-depth"] == 0 and checkout["with"]["persist-credentials"] is False


def test_ci_installs_and_tests_exactly_as_the_readme_says():
    readme = (ROOT / "README.md").read_text("utf-8")
    ci = yaml.safe_load((WORKFLOWS / "ci.yml").read_text())
    runs = [s["run"] for s in ci["jobs"]["build"]["steps"] if "run" in s]
    assert "python3 -m venv .venv && .venv/bin/pip install -e '.[test]'" in runs
    assert "python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/python -m pytest" in readme
    # the README's test command where the project has the tool's tests (a project made by init has none)
    assert 'if [ -d tests ]; then .venv/bin/python -m pytest; else echo "no tests/ folder"; fi' in runs
    assert ".venv/bin/python build.py --check --strict --locked" in runs


def test_release_steps_build_versioned_reproducible_assets_with_checksums(tmp_path):
    """Run .github/release/*.sh as the release job does, on a repository with two tags (of the
    two-entry project: the subject is the release job, not this deck's content)."""
    project = small_project(tmp_path / "p")
    shutil.copytree(ROOT / ".github", project / ".github")
    config = project / "pyproject.toml"  # no URLs of its own: the release job's apply
    config.write_text(re.sub(r"(?m)^(source|changes)-url = .*\n", "", config.read_text("utf-8")), "utf-8")
    git(project, "init", "-q")
    git(project, "add", "-A")
    commit(project, "initial", when=1_700_000_000)
    assert run_cli(project, "--only", "deck").returncode == 0  # v0.1.0 with its lock, as a maintainer does
    git(project, "add", "-A")
    commit(project, "Release 0.1.0", when=1_700_000_100)
    git(project, "tag", "v0.1.0")
    beta = project / "entries" / "beta.yaml"
    beta.write_text(beta.read_text("utf-8").replace("관련된 개념이다.", "관련이 있는 개념이다."), "utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("SOURCE_DATE_EPOCH", "STUDYDECK_VERSION")}
    env.update(PYTHON=sys.executable, GITHUB_REF_NAME="v0.2.0")
    github = {
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_REPOSITORY": "example/k8s-study",
        "DEFAULT_BRANCH": "main",
    }
    # the release commit carries its lock: build once to update it, as a maintainer does
    assert subprocess.run([sys.executable, "build.py", "-q", "--only", "deck"], cwd=project, env=env).returncode == 0
    git(project, "add", "-A")
    commit(project, "Release 0.2.0", when=1_700_200_000)
    git(project, "tag", "v0.2.0")
    done = subprocess.run(
        ["bash", ".github/release/build.sh"], cwd=project, env={**env, **github}, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "changes since v0.1.0" in done.stdout
    staged = subprocess.run(
        ["bash", ".github/release/stage.sh", "k8s-study", "release"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
    )
    assert staged.returncode == 0, staged.stderr
    release = project / "release"
    names = sorted(p.name for p in release.iterdir())
    assert names == [
        "CHANGES.md",
        "SHA256SUMS",
        "k8s-study-0.2.0-sheet.pdf",
        "k8s-study-0.2.0-worksheet.pdf",
        "k8s-study-0.2.0.apkg",
    ]
    sums = dict(reversed(line.split("  ")) for line in (release / "SHA256SUMS").read_text().splitlines())
    assert sorted(sums) == [n for n in names if n != "SHA256SUMS"]
    for name, digest in sums.items():
        assert hashlib.sha256((release / name).read_bytes()).hexdigest() == digest
    changes = (release / "CHANGES.md").read_text("utf-8")
    assert (
        changes.startswith("# 꿹 스터디 0.2.0\n")
        and "## Changed (1)\n\n- `beta/beta` (`베타`): reworded, the same answers\n" in changes
    )
    first_page = pypdf.PdfReader(release / "k8s-study-0.2.0-sheet.pdf").pages[0].extract_text()
    assert "버전 0.2.0 · 2023-11-17" in first_page  # the tagged commit's date (1_700_200_000), not today's
    # the released cards link their entry's file on the default branch; the deck, this release's changes
    col = new_collection(tmp_path / "anki")
    import_apkg(col, release / "k8s-study-0.2.0.apkg")
    answer = col.get_card(col.find_cards('"Id:beta"')[0]).answer()
    assert '<a class="edit" href="https://github.com/example/k8s-study/blob/main/entries/beta.yaml">' in answer
    description = col.decks.by_name("꿹 스터디")["desc"]
    assert '<a href="https://github.com/example/k8s-study/releases/tag/v0.2.0">변경 내역</a>' in description
    assert "버전 0.2.0" in description
    col.close()


def test_the_first_release_lists_every_note_as_new(tmp_path):
    project = small_project(tmp_path / "p")  # a new deck: two entries, its first lock committed
    assert run_cli(project, "--only", "deck").returncode == 0
    shutil.copytree(ROOT / ".github", project / ".github")
    git(project, "init", "-q")
    git(project, "add", "-A")
    commit(project, "initial", when=1_700_000_000)
    git(project, "tag", "v0.1.0")
    env = {**os.environ, "PYTHON": sys.executable, "GITHUB_REF_NAME": "v0.1.0"}
    env.pop("SOURCE_DATE_EPOCH", None)
    done = subprocess.run(
        [
            "bash",
            ".github/release/build.sh",
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "first release" in done.stdout
    assert "## Added (3)" in (project / "dist" / "CHANGES.md").read_text("utf-8")
