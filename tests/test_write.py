"""All or nothing, and nothing left behind: outputs, entries.lock, workers, temporary files, folders."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, copy_project, outputs, run_build, run_cli, small_project

from studydeck.errors import BuildError
from studydeck.state import write


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def test_a_failing_rename_puts_every_output_and_the_lock_back(tmp_path, monkeypatch):
    out = tmp_path / "dist"
    out.mkdir()
    (out / "a.pdf").write_bytes(b"old a")
    (out / "b.apkg").write_bytes(b"old b")
    lock = tmp_path / "entries.lock"
    lock.write_bytes(b"old lock")
    real, calls = os.replace, []

    def failing(src, dst):
        calls.append(dst)
        if len(calls) == 2:  # the second file of the set
            raise OSError(28, "No space left on device", str(dst))
        return real(src, dst)

    monkeypatch.setattr(os, "replace", failing)
    with pytest.raises(BuildError) as err:
        write.write_all(out, {"a.pdf": b"new a", "b.apkg": b"new b", "c.md": b"new c"}, {lock: b"new lock"})
    monkeypatch.setattr(os, "replace", real)
    assert str(err.value).endswith("No space left on device; every output was put back as it was")
    assert _snapshot(out) == {"a.pdf": b"old a", "b.apkg": b"old b"}  # no staged files, no journal, no c.md
    assert lock.read_bytes() == b"old lock"


KILLED_MID_SWAP = """
import os, sys
from pathlib import Path
from studydeck.state import write
real, calls = os.replace, []
def dying(src, dst):
    calls.append(dst)
    if len(calls) == 2:
        os._exit(9)  # like kill -9 between two renames
    return real(src, dst)
os.replace = dying
out = Path(sys.argv[1])
write.write_all(out, {"a.pdf": b"new a", "b.apkg": b"new b"}, {out.parent / "entries.lock": b"new lock"})
"""


def test_a_build_killed_between_two_renames_is_finished_by_the_next(tmp_path):
    out = tmp_path / "dist"
    out.mkdir()
    (out / "a.pdf").write_bytes(b"old a")
    (out / "b.apkg").write_bytes(b"old b")
    (tmp_path / "entries.lock").write_bytes(b"old lock")
    done = subprocess.run([sys.executable, "-c", KILLED_MID_SWAP, str(out)], cwd=ROOT)
    assert done.returncode == 9
    assert (out / "a.pdf").read_bytes() == b"new a" and (out / "b.apkg").read_bytes() == b"old b"  # mixed
    assert write.recover(out, (tmp_path / "entries.lock",)) == 2
    assert _snapshot(out) == {"a.pdf": b"new a", "b.apkg": b"new b"}
    assert (tmp_path / "entries.lock").read_bytes() == b"new lock"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dist", "entries.lock"]  # no backups left


def test_build_py_finishes_an_interrupted_write_before_anything_else(tmp_path):
    project = copy_project(tmp_path / "p")
    assert run_build(project, "--only", "deck").returncode == 0
    dist = project / "dist"
    staged = dist / ".CHANGES.md.0123456789ab.new"
    staged.write_bytes(b"# staged by a killed build\n")
    (dist / write.JOURNAL).write_text(f'[["{staged}", "{dist / "CHANGES.md"}"]]', "utf-8")
    done = run_build(project, "--only", "deck", "--out", str(dist))
    assert done.returncode == 0, done.stderr
    assert "finished writing 1 file(s) that an interrupted build had left half written" in done.stdout
    assert not (dist / write.JOURNAL).exists() and not staged.exists()


def test_a_file_where_an_output_goes_fails_before_anything_changes(tmp_path):
    project = copy_project(tmp_path / "p")
    assert run_cli(project, "--only", "deck").returncode == 0
    before = _snapshot(project / "dist")
    (project / "dist" / "CHANGES.md").unlink()
    (project / "dist" / "CHANGES.md").mkdir()
    pod = project / "entries" / "pod.yaml"
    pod.write_text(pod.read_text("utf-8").replace("배포 단위다.", "배포 단위이다."), "utf-8")
    done = run_cli(project, "--only", "deck")
    assert done.returncode == 1
    assert done.stderr.strip().endswith("a folder has the name of an output; nothing was changed")
    assert _snapshot(project / "dist") == {k: v for k, v in before.items() if k != "CHANGES.md"}
    assert "Traceback" not in done.stderr


def test_an_output_folder_that_cannot_be_made_is_one_clear_line(tmp_path):
    project = copy_project(tmp_path / "p")
    done = run_cli(project, "--only", "deck", "--out", "/proc/cannot-be-made")
    assert done.returncode == 1
    assert done.stderr.startswith("cannot write /proc/cannot-be-made: ")
    assert done.stderr.strip().endswith("nothing was changed") and "Traceback" not in done.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["--out", ""], "error: --out: give a folder name"),
        (["--out", "pyproject.toml"], "error: --out pyproject.toml: is a file, not a folder"),
        (
            ["--out", "entries"],
            "error: --out entries: the outputs would mix with the project's own files; choose another folder",
        ),
    ],
)
def test_bad_output_folders_are_usage_errors(tmp_path, args, message):
    project = copy_project(tmp_path / "p")
    done = run_cli(project, *args)
    assert (done.returncode, done.stderr.strip()) == (2, message)


def test_dist_as_a_link_is_refused_and_nothing_is_written_through_it(tmp_path):
    project = copy_project(tmp_path / "p")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (project / "dist").symlink_to(elsewhere)
    done = run_cli(project, "--only", "deck")
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"error: dist is a link to {elsewhere}; the build writes only into a real dist/ "
        "folder of the project: remove the link, or name the folder with --out"
    )
    assert list(elsewhere.iterdir()) == []
    done = run_cli(project, "--only", "deck", "--out", str(elsewhere))  # named explicitly: the user's choice
    assert done.returncode == 0, done.stderr
    assert (elsewhere / "CHANGES.md").exists()


def test_entries_in_subfolders_are_read_and_links_out_of_the_project_are_refused(tmp_path):
    project = copy_project(tmp_path / "p")
    (project / "entries" / "network").mkdir()
    (project / "entries" / "network.yaml").rename(project / "entries" / "network" / "network.yaml")
    (project / "entries" / ".drafts").mkdir()
    (project / "entries" / ".drafts" / "half.yaml").write_text("id: [", "utf-8")  # hidden: never read
    done = run_cli(project, "--check")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ok: 12 entries, 41 notes")
    outside = tmp_path / "secret.yaml"
    outside.write_text("id: secret\n", "utf-8")
    (project / "entries" / "secret.yaml").symlink_to(outside)
    done = run_cli(project, "--check")
    assert done.returncode == 1
    assert done.stderr.splitlines()[0] == (
        f"entries/secret.yaml: is a link to {outside}, outside the project; "
        "entries are read only from files in the project"
    )


def test_a_cache_that_is_not_a_folder_only_costs_time(tmp_path):
    project = copy_project(tmp_path / "p")
    (project / ".cache").write_text("not a folder", "utf-8")
    done = run_cli(project, "--only", "deck")
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == [
        ".cache: warning: is not a folder, so no build is recorded: each build makes everything again"
    ]
    assert outputs(project)["apkg"].exists()


def _tmpfs(folder: Path, size: str) -> Path:
    """A small file system of its own at folder (root only; the test is skipped elsewhere)."""
    folder.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.decode(errors='replace').strip()}")
    return folder


def test_a_full_disk_or_a_read_only_folder_is_one_line_and_the_last_outputs_stay(tmp_path):
    project = copy_project(tmp_path / "p")
    disk = _tmpfs(tmp_path / "disk", "4m")
    try:
        out = disk / "dist"
        assert run_cli(project, "--only", "deck", "--out", str(out)).returncode == 0
        before = {p.name: p.read_bytes() for p in out.iterdir()}
        lock = (project / "entries.lock").read_bytes()
        _fill(disk / "filler")
        pod = project / "entries" / "pod.yaml"
        pod.write_text(pod.read_text("utf-8").replace("배포 단위다.", "배포 단위이다."), "utf-8")
        done = run_cli(project, "--only", "deck", "--out", str(out))
        assert (done.returncode, done.stderr.splitlines()) == (
            1,
            [f"cannot write {next(out.glob('*.apkg'))}: No space left on device; nothing was changed"],
        )
        assert {p.name: p.read_bytes() for p in out.iterdir()} == before
        assert (project / "entries.lock").read_bytes() == lock
        (disk / "filler").unlink()
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        done = run_cli(project, "--only", "deck", "--out", str(out))
        assert (done.returncode, done.stderr.splitlines()) == (
            1,
            [f"cannot write {next(out.glob('*.apkg'))}: Read-only file system; nothing was changed"],
        )
        assert {p.name: p.read_bytes() for p in out.iterdir()} == before
        assert (project / "entries.lock").read_bytes() == lock
    finally:
        subprocess.run(["umount", str(disk)], check=False)


def _fill(path: Path) -> None:
    """Write until the file system is full."""
    with path.open("wb") as fh:
        try:
            while True:
                fh.write(b"\0" * 65536)
                fh.flush()
        except OSError:
            pass


def test_a_tag_that_is_no_file_name_still_names_the_subset_sheets(tmp_path):
    project = copy_project(tmp_path / "p")
    pod = project / "entries" / "pod.yaml"
    pod.write_text(pod.read_text("utf-8").replace("tags: [workload]", f"tags: [workload, ci/cd, {'x' * 100}]"), "utf-8")
    done = run_cli(project, "--only", "sheet", "--tag", "ci/cd", "--tag", "x" * 100)
    assert done.returncode == 0, done.stderr
    names = sorted(p.name for p in (project / "dist").iterdir() if p.suffix == ".pdf")
    assert len(names) == 1 and names[0].startswith("쿠버네티스-스터디-ci-cd-xxxx") and len(names[0].encode()) < 200


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _as_from_a_terminal() -> None:
    """Ctrl-C at its default, as a build started from a terminal has it. A suite started in the
    background by a shell without job control (`pytest &` in a script) hands its children SIGINT
    ignored, and Python, as POSIX asks, keeps it ignored: the build would run on."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.fixture(scope="module")
def big_project(tmp_path_factory):
    """The default entries six times over: the sheets take several seconds to lay out."""
    project = copy_project(tmp_path_factory.mktemp("big") / "p")
    for path in sorted((project / "entries").glob("*.yaml")):
        for i in range(5):
            text = path.read_text("utf-8")
            text = text.replace("\nid: ", f"\nid: copy{i}-", 1).replace("\nrelated:", "\nx-related:")
            text = "\n".join(line for line in text.splitlines() if not line.startswith("x-related:"))
            (project / "entries" / f"copy{i}-{path.name}").write_text(text + "\n", "utf-8")
    return project


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads worker processes from /proc (Linux)")
@pytest.mark.parametrize(
    "how", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGKILL], ids=["INT", "TERM", "HUP", "KILL"]
)
def test_stopping_the_build_stops_its_workers_and_leaves_no_files(big_project, tmp_path, how):
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    tried = []
    for attempt in range(3):
        scratch = tmp_path / f"tmp{attempt}"
        scratch.mkdir()
        for leftover in ("dist", ".cache"):
            subprocess.run(["rm", "-rf", str(big_project / leftover)], check=True)
        started = time.monotonic()
        build = subprocess.Popen(
            [sys.executable, "build.py", "-q"],
            cwd=big_project,
            env={**env, "TMPDIR": str(scratch)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            preexec_fn=_as_from_a_terminal,
        )
        while len(_children(build.pid)) < 2 and time.monotonic() - started < 60 and build.poll() is None:
            time.sleep(0.05)
        workers = _children(build.pid)
        assert len(workers) >= 2, "the sheets were not laid out in worker processes"
        seen = time.monotonic() - started
        time.sleep(0.5)
        build.send_signal(how)
        build.wait(timeout=30)
        stderr = build.stderr.read().decode().strip()
        tried.append(f"workers at {seen:.1f} s, signal at {seen + 0.5:.1f} s, exit {build.returncode}: {stderr!r}")
        # A signal that comes as the process ends (a loaded machine) finds the build done: its
        # outputs whole, exit 0, or killed by the signal once Python has put the default handler
        # back. That proves nothing here; try again. A build that never stops fails all three.
        if how == signal.SIGKILL or build.returncode not in (0, -how) or stderr:
            break
    else:
        pytest.fail("the build was never stopped in the middle: make big_project bigger\n" + "\n".join(tried))
    time.sleep(1)
    alive = [
        w for w in workers if Path(f"/proc/{w}").exists() and "zombie" not in Path(f"/proc/{w}/status").read_text()
    ]
    assert alive == []
    if how != signal.SIGKILL:
        assert build.returncode == 130, tried
        assert stderr == "interrupted: the outputs and entries.lock are either all as they were or all new"
        assert list(scratch.iterdir()) == []  # no font copies, no worker folders


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: the jobs run in the build's process")
def test_an_interrupt_while_the_workers_start_leaves_no_folder(tmp_path, monkeypatch):
    """Ctrl-C in the moment between the workers' folder being made and the jobs being handed
    over: the folder goes with the build, as it does at any later moment."""
    import tempfile
    from concurrent.futures import ProcessPoolExecutor

    from studydeck import workers

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))

    def interrupted(self, *args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(ProcessPoolExecutor, "submit", interrupted)
    with pytest.raises(KeyboardInterrupt):
        workers.start({"sheet": None, "worksheet": None})
    assert list(tmp_path.iterdir()) == []


def test_a_build_leaves_nothing_in_the_temporary_folder(tmp_path):
    project = small_project(tmp_path / "p")  # a whole build: two PDF workers, the deck, the fonts
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    done = run_build(project, env={"TMPDIR": str(scratch)})
    assert done.returncode == 0, done.stderr
    assert list(scratch.iterdir()) == []


HOSTILE_JOURNALS = {
    "outside": lambda d, home: [[str(d / ".payload.0123456789ab.new"), str(home / ".bashrc")]],
    "traversal": lambda d, home: [[str(d / ".x.0123456789ab.new"), str(d / ".." / ".." / "x")]],
    "not-staged-name": lambda d, home: [[str(d / "payload"), str(d / "CHANGES.md")]],
    "staged-elsewhere": lambda d, home: [[str(home / ".CHANGES.md.0123456789ab.new"), str(d / "CHANGES.md")]],
    "two-builds": lambda d, home: [
        [str(d / ".a.md.0123456789ab.new"), str(d / "a.md")],
        [str(d / ".b.md.ba9876543210.new"), str(d / "b.md")],
    ],
    "hidden-target": lambda d, home: [[str(d / "..studydeck-cache.0123456789ab.new"), str(d / ".studydeck-cache")]],
    "not-pairs": lambda d, home: {"new": "x"},
}


@pytest.mark.parametrize("form", sorted(HOSTILE_JOURNALS))
def test_a_journal_naming_what_no_build_stages_is_refused_and_nothing_moves(tmp_path, form):
    out, home = tmp_path / "project" / "dist", tmp_path / "home"
    out.mkdir(parents=True)
    home.mkdir()
    (home / ".bashrc").write_bytes(b"mine")
    for name in (".payload.0123456789ab.new", "payload", ".CHANGES.md.0123456789ab.new"):
        (out / name).write_bytes(b"attack")
    (home / ".CHANGES.md.0123456789ab.new").write_bytes(b"attack")
    journal = out / write.JOURNAL
    journal.write_text(json.dumps(HOSTILE_JOURNALS[form](out, home)), "utf-8")
    before = _snapshot(out), _snapshot(home)
    with pytest.raises(BuildError) as err:
        write.recover(out, (tmp_path / "project" / "entries.lock",))
    assert str(err.value).startswith(f"{journal}: ")
    assert str(err.value).endswith(
        "it is not a journal a build of this project wrote, so nothing was moved (delete it to build)"
    )
    assert (_snapshot(out), _snapshot(home)) == before


def test_a_journal_that_is_a_link_a_folder_or_enormous_is_refused(tmp_path):
    out = tmp_path / "dist"
    out.mkdir()
    journal = out / write.JOURNAL
    (tmp_path / "elsewhere.json").write_text("[]", "utf-8")
    journal.symlink_to(tmp_path / "elsewhere.json")
    with pytest.raises(BuildError, match="it is a link or not a regular file"):
        write.recover(out)
    journal.unlink()
    journal.mkdir()
    with pytest.raises(BuildError, match="it is a link or not a regular file"):
        write.recover(out)
    journal.rmdir()
    journal.write_bytes(b"[" + b" " * write.MAX_JOURNAL + b"]")
    with pytest.raises(BuildError, match=r"it is 1,048,578 bytes"):
        write.recover(out)
    assert (tmp_path / "elsewhere.json").read_text("utf-8") == "[]"


def test_a_journal_cut_short_while_written_drops_the_staged_files(tmp_path):
    out = tmp_path / "dist"
    out.mkdir()
    (out / "a.pdf").write_bytes(b"old a")
    (out / ".a.pdf.0123456789ab.new").write_bytes(b"new a")
    (out / write.JOURNAL).write_text('[["' + str(out / ".a.pdf.0123456789ab.new"), "utf-8")
    assert write.recover(out) == 0
    assert _snapshot(out) == {"a.pdf": b"old a"}


def test_build_py_refuses_a_hostile_journal_in_one_line(tmp_path):
    project = copy_project(tmp_path / "p")
    dist = project / "dist"
    dist.mkdir()
    victim = tmp_path / "victim"
    victim.write_bytes(b"mine")
    (dist / ".payload.0123456789ab.new").write_bytes(b"attack")
    (dist / write.JOURNAL).write_text(json.dumps([[str(dist / ".payload.0123456789ab.new"), str(victim)]]), "utf-8")
    done = run_build(project, "--only", "deck")
    assert done.returncode == 1
    assert done.stderr.strip() == (
        f"dist/{write.JOURNAL}: it names {str(victim)!r}, which no build writes; it is not a journal a build of "
        "this project wrote, so nothing was moved (delete it to build)"
    )
    assert victim.read_bytes() == b"mine"


def test_only_scratch_folders_of_dead_builds_of_this_user_and_namespace_are_removed(tmp_path, monkeypatch):
    import tempfile as tf

    from studydeck import workers

    monkeypatch.setattr(tf, "tempdir", str(tmp_path))
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    gone = int(dead.stdout)
    me = workers._me(os.getpid())

    def folder(name, mark=None):
        path = tmp_path / name
        path.mkdir()
        (path / "data").write_text("x", "utf-8")
        if mark is not None:
            (path / workers.SCRATCH_MARK).write_text(json.dumps(mark), "utf-8")
        return path

    stale = folder(f"studydeck-scratch-{gone}-abc", {**me, "pid": gone, "start": "1"})
    kept = [
        folder("studydeck-2024-backup"),
        folder(f"studydeck-{gone}-old"),
        folder(f"studydeck-scratch-{gone}-nomark"),
        folder(f"studydeck-scratch-{gone}-other-ns", {**me, "pid": gone, "namespace": "pid:[1]"}),
        folder(f"studydeck-scratch-{gone}-other-boot", {**me, "pid": gone, "boot": "another"}),
        folder(f"studydeck-scratch-{os.getpid()}-live", me),
        folder(f"studydeck-scratch-{gone}-lies", {**me, "pid": os.getpid()}),
    ]
    workers._remove_stale_scratch()
    assert not stale.exists()
    assert [p.exists() for p in kept] == [True] * len(kept)
