"""kill -9 at random moments: the next build finds the outputs and entries.lock of exactly one
build (the one before or the one killed), finishes, and leaves no worker or temporary file.

Marked `slow` (not in the default run; .ci/run runs it): KILL_RUNS (default 4) kills, each at a
random moment of a full build; the seed is printed on failure. A longer run: KILL_RUNS=50."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import copy_project, run_build

from studydeck.state import write

pytestmark = pytest.mark.slow
SDE = {"SOURCE_DATE_EPOCH": "1700000000"}


def _state(project: Path) -> dict[str, bytes]:
    files = {f"dist/{p.name}": p.read_bytes() for p in (project / "dist").iterdir() if p.is_file()}
    return files | {"entries.lock": (project / "entries.lock").read_bytes()}


def _edit(project: Path) -> None:
    pod = project / "entries" / "pod.yaml"
    pod.write_text(pod.read_text("utf-8").replace("배포 단위다.", "배포 단위이다."), "utf-8")


def _processes_in(folder: Path) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if Path(os.readlink(proc / "cwd")).is_relative_to(folder):
                    found.append(int(proc.name))
            except OSError:
                continue
    return found


@pytest.fixture(scope="module")
def before_and_after(tmp_path_factory):
    work = tmp_path_factory.mktemp("kill")
    before = copy_project(work / "before")
    started = time.perf_counter()
    assert run_build(before, env=SDE).returncode == 0
    seconds = time.perf_counter() - started
    after = work / "after"
    shutil.copytree(before, after)
    _edit(after)
    assert run_build(after, env=SDE).returncode == 0
    return before, _state(before), _state(after), seconds


def test_killed_at_random_moments_the_next_build_is_whole(before_and_after, tmp_path):
    base, old, new, seconds = before_and_after
    assert old != new
    seed = int(os.environ.get("KILL_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    for run in range(int(os.environ.get("KILL_RUNS", "4"))):
        project, scratch = tmp_path / f"p{run}", tmp_path / f"tmp{run}"
        shutil.copytree(base, project)
        scratch.mkdir()
        _edit(project)
        env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"} | SDE | {"TMPDIR": str(scratch)}
        build = subprocess.Popen(
            [sys.executable, "build.py", "-q"], cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        delay = rng.uniform(0, seconds * 1.1)
        time.sleep(delay)
        build.send_signal(signal.SIGKILL)
        build.wait(timeout=30)
        where = f"seed {seed}, run {run}, killed after {delay:.2f} s"
        deadline = time.time() + 10
        while _processes_in(project) and time.time() < deadline:
            time.sleep(0.1)
        assert _processes_in(project) == [], f"{where}: a worker outlived the build"
        write.recover(project / "dist", (project / "entries.lock", project / "entries" / "schema.json"))
        assert _state(project) in (old, new), f"{where}: dist/ and entries.lock are a mix of two builds"
        done = run_build(project, env={**SDE, "TMPDIR": str(scratch)})
        assert done.returncode == 0, f"{where}: {done.stderr}"
        # CHANGES.md is against the lock as the next build finds it: one the killed build already
        # swapped in makes it the "nothing changed" list, as any rebuild after a build would
        now = _state(project)
        assert {k: v for k, v in now.items() if k != "dist/CHANGES.md"} == {
            k: v for k, v in new.items() if k != "dist/CHANGES.md"
        }, f"{where}: the next build did not end with the new outputs"
        assert list(scratch.iterdir()) == [], f"{where}: temporary files left: {list(scratch.iterdir())}"
        assert not [p for p in (project / "dist").iterdir() if p.name.startswith(".")], where


def test_two_builds_at_once_take_turns(before_and_after, tmp_path):
    """A watch's background build and a manual one started together: the second waits for the
    first (and says so), both succeed, and dist/ and entries.lock are one build's."""
    base, _old, new, _seconds = before_and_after
    project, scratch = tmp_path / "p", tmp_path / "tmp"
    shutil.copytree(base, project)
    scratch.mkdir()
    _edit(project)
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"} | SDE | {"TMPDIR": str(scratch)}
    builds = [
        subprocess.Popen(
            [sys.executable, "build.py"],
            cwd=project,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    done = [b.communicate(timeout=600) for b in builds]
    assert [b.returncode for b in builds] == [0, 0], done
    said = "".join(out for out, _err in done)
    assert said.count("waiting for another build of this project to finish ...") == 1, said
    now = _state(project)
    assert {k: v for k, v in now.items() if k != "dist/CHANGES.md"} == {
        k: v for k, v in new.items() if k != "dist/CHANGES.md"
    }
    assert list(scratch.iterdir()) == []
    assert not [p for p in (project / "dist").iterdir() if p.name.startswith(".")]
