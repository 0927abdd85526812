"""`python build.py` as a user runs it: outputs, messages, exit codes."""

from __future__ import annotations

from conftest import copy_project, outputs, run_build, small_project


def test_build_writes_deck_sheet_and_changes(built):
    for key in ("apkg", "pdf", "worksheet", "html", "changes"):
        assert built[key].stat().st_size > 0, key
    out = built["stdout"]
    assert "12 entries -> 41 notes, 88 cards; sheet 4 pages, worksheet 5 pages" in out
    assert "wrote dist/쿠버네티스-스터디.apkg" in out
    assert "wrote dist/쿠버네티스-스터디.pdf" in out
    assert "wrote dist/쿠버네티스-스터디-worksheet.pdf" in out


def test_check_validates_and_writes_nothing(tmp_path):
    project = copy_project(tmp_path / "p")
    done = run_build(project, "--check")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ok: 12 entries, 41 notes, 88 cards")
    assert not (project / "dist").exists()


def test_only_deck_and_out_dir(tmp_path):
    project = copy_project(tmp_path / "p")
    done = run_build(project, "--only", "deck", "--out", "elsewhere", "-q")
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    made = sorted(p.name for p in (project / "elsewhere").iterdir())
    assert made == ["CHANGES.md", "쿠버네티스-스터디-cards.html", "쿠버네티스-스터디.apkg"]


def test_bad_usage_exits_2(tmp_path):
    project = copy_project(tmp_path / "p")
    done = run_build(project, "--only", "poster")
    assert done.returncode == 2
    assert "invalid choice: 'poster'" in done.stderr


def test_bad_entry_exits_1_without_traceback_and_keeps_dist(tmp_path):
    project = copy_project(tmp_path / "p")
    assert run_build(project, "--only", "deck").returncode == 0
    before = outputs(project)["apkg"].read_bytes()
    pod = project / "entries" / "pod.yaml"
    pod.write_text(pod.read_text("utf-8").replace("{{c2::가장 작은}}", "{{c2::가장 작은"), "utf-8")
    done = run_build(project)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines() == [
        "entries/pod.yaml:11:28: definitions[0].text: unbalanced cloze: '{{c2::' is never closed",
        "1 problem(s) in entries/; nothing was written",
    ]
    assert outputs(project)["apkg"].read_bytes() == before
    assert not outputs(project)["pdf"].exists()


def test_a_terminal_sees_live_progress_and_a_log_sees_plain_lines(tmp_path):
    import os
    import pty
    import re
    import shutil
    import subprocess
    import sys

    project = small_project(tmp_path / "p")
    primary, secondary = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k not in ("SOURCE_DATE_EPOCH", "STUDYDECK_VERSION")}
    proc = subprocess.Popen(
        [sys.executable, "build.py"],
        cwd=project,
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
        env={**env, "COLUMNS": "100", "TERM": "xterm"},
    )
    os.close(secondary)
    chunks = []
    while True:
        try:
            data = os.read(primary, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    assert proc.wait(timeout=300) == 0
    seen = b"".join(chunks).decode("utf-8", "replace")
    assert re.search(r"sheet: page \d", seen) and re.search(r"worksheet: page \d", seen)
    assert "writing the PDF" in seen and "\x1b[" in seen  # a live display
    assert "wrote dist/꿹-스터디.pdf" in seen

    shutil.rmtree(project / "dist")
    shutil.rmtree(project / ".cache")
    done = run_build(project)  # not a terminal: stage lines only
    assert done.returncode == 0
    assert "\x1b" not in done.stdout and "page 1" not in done.stdout
    assert done.stdout.splitlines()[:3] == [
        "laying out 꿹-스터디.pdf (2 entries) ...",
        "laying out 꿹-스터디-worksheet.pdf (2 entries) ...",
        "packing 3 notes ...",
    ]
