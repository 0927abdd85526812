"""Shared fixtures: a temp copy of the project, real builds, a real Anki collection."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The tests' default deck: tests/data/deck (a frozen copy of the Kubernetes deck), never the shipped
# entries/, so a deck on another subject in entries/ leaves the tool's tests as they are.
DECK = ROOT / "tests" / "data" / "deck"
TOOL_FILES = ("build.py", "studydeck", "templates")  # from this checkout
DECK_FILES = ("pyproject.toml", "entries.lock", "entries")  # from DECK
DECK_STEM = "쿠버네티스-스터디"


def copy_project(dest: Path, with_git: bool = False) -> Path:
    """The tests' deck with this checkout's tool (no dist/), optionally as a fresh git repository."""
    dest.mkdir(parents=True, exist_ok=True)
    for src in [ROOT / name for name in TOOL_FILES] + [DECK / name for name in DECK_FILES]:
        name = src.name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif src.exists():
            shutil.copy2(src, dest / name)
    if with_git:
        git(dest, "init", "-q")
        git(dest, "add", "-A")
        commit(dest, "initial", when=1_700_000_000)
    return dest


SMALL = ROOT / "tests" / "data" / "every-field"  # two entries that use every field, figures too
SMALL_STEM = "꿹-스터디"


def copy_entry(src: Path, target: Path) -> None:
    """A test data entry into a project's entries/, its `$schema` line as an author's file there has
    it (in tests/data it leads to the repository's entries/schema.json from its own folder)."""
    text = src.read_bytes().replace(b"$schema=../../../entries/schema.json", b"$schema=schema.json")
    target.write_bytes(text)


def small_project(dest: Path, with_git: bool = False) -> Path:
    """tests/data/every-field with this code and templates: a whole project of two entries, for
    tests whose subject is the pipeline, not the default deck's content (its builds take a
    fraction of the default's). With git: a repository of one commit (no entries.lock yet)."""
    shutil.copytree(SMALL, dest)
    for name in ("build.py", "studydeck", "templates", ".gitignore"):
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, dest / name)
    if with_git:
        git(dest, "init", "-q")
        git(dest, "add", "-A")
        commit(dest, "initial", when=1_700_000_000)
    return dest


def git(cwd: Path, *args: str, env: dict | None = None) -> str:
    full_env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
        **(env or {}),
    }
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True, env=full_env).stdout


def commit(cwd: Path, message: str, when: int, allow_empty: bool = False) -> None:
    stamp = f"@{when} +0000"
    git(
        cwd,
        "commit",
        "-q",
        "-m",
        message,
        *(["--allow-empty"] if allow_empty else []),
        env={"GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp},
    )


# what a user's shell would not have set: the tests' own environment leaves these out
NOT_INHERITED = (
    "SOURCE_DATE_EPOCH",
    "GITHUB_ACTIONS",
    "STUDYDECK_VERSION",
    "STUDYDECK_SOURCE_URL",
    "STUDYDECK_CHANGES_URL",
)


def run_cli(project: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """`build.py ARGS` in project, run in this process by the same cli.main: what the user sees
    (stdout, stderr, exit code) for tests whose subject is a message or an exit code. About 20
    times faster than a fresh process (the imports and the unchanged files' checks are kept, as
    in watch mode). Not for a project whose studydeck/ differs from the repository's (the code
    that runs is the repository's), nor for --debug (a traceback is raised here)."""
    import contextlib
    import io
    import signal

    from studydeck import cli

    saved_env, saved_cwd = dict(os.environ), os.getcwd()
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    out, err = io.StringIO(), io.StringIO()
    try:
        for name in NOT_INHERITED:
            os.environ.pop(name, None)
        os.environ.update(env or {})
        os.chdir(project)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli.main(list(args), root=project)
    finally:
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    return subprocess.CompletedProcess(["build.py", *args], code, out.getvalue(), err.getvalue())


def run_build(project: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run `python build.py ARGS` in project exactly as a user would."""
    clean = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
    return subprocess.run(
        [sys.executable, "build.py", *args],
        cwd=project,
        capture_output=True,
        text=True,
        env={**clean, **(env or {})},
        timeout=600,
    )


def outputs(project: Path, stem: str = DECK_STEM) -> dict[str, Path]:
    dist = project / "dist"
    return {
        "apkg": dist / f"{stem}.apkg",
        "pdf": dist / f"{stem}.pdf",
        "worksheet": dist / f"{stem}-worksheet.pdf",
        "html": dist / f"{stem}.html",
        "changes": dist / "CHANGES.md",
    }


@pytest.fixture(scope="session")
def built(tmp_path_factory, worker_id) -> dict[str, Path]:
    """The default project built once per test run with `python build.py`, for read-only tests:
    the first xdist worker to ask builds it, the others wait for that build and share it."""
    import fcntl
    import json

    base = tmp_path_factory.getbasetemp()
    shared = base.parent if worker_id != "master" else base  # pytest-N/, above each popen-gwK/
    project, record = shared / "built" / "project", shared / "built" / "done.json"
    with open(shared / "built.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not record.exists():
            shutil.rmtree(project, ignore_errors=True)  # a build that failed before
            copy_project(project)
            done = run_build(project)
            assert done.returncode == 0, done.stderr
            record.write_text(json.dumps({"stdout": done.stdout}), "utf-8")
    paths = outputs(project)
    paths["project"] = project
    paths["stdout"] = json.loads(record.read_text("utf-8"))["stdout"]
    return paths


def new_collection(folder: Path):
    from anki.collection import Collection

    folder.mkdir(parents=True, exist_ok=True)
    return Collection(str(folder / "collection.anki2"))


def import_apkg(col, apkg: Path):
    """Import with Anki's default options (update notes and notetypes if newer, no merge)."""
    from anki.collection import ImportAnkiPackageOptions, ImportAnkiPackageRequest

    return col.import_anki_package(ImportAnkiPackageRequest(package_path=str(apkg), options=ImportAnkiPackageOptions()))


@pytest.fixture
def collection(tmp_path):
    col = new_collection(tmp_path / "anki")
    yield col
    col.close()
