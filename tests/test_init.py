"""`studydeck init DIR`: a new deck on another subject, from nothing to a release, with no edit;
and the `studydeck` command finding its project from the current folder."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from conftest import ROOT, commit, git, import_apkg, new_collection

from studydeck import cli

# What init writes into the new project's folder.
PROJECT = {
    ".git",
    ".github",
    ".gitignore",
    "README.md",
    "build.py",
    "entries",
    "entries.lock",
    "pyproject.toml",
    "studydeck",
    "templates",
}


def studydeck(cwd: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    """The `studydeck` console script, run in this process from the folder cwd."""
    saved, out, err = os.getcwd(), io.StringIO(), io.StringIO()
    try:
        os.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli.main(list(args))
    finally:
        os.chdir(saved)
    return subprocess.CompletedProcess(["studydeck", *args], code, out.getvalue(), err.getvalue())


def _run(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("SOURCE_DATE_EPOCH", "STUDYDECK_VERSION")}
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, env=env)


@pytest.fixture(scope="module")
def linux(tmp_path_factory) -> Path:
    """A deck on Linux commands, groups 명령어 and 개념, made by init and nothing else."""
    where = tmp_path_factory.mktemp("init")
    done = studydeck(where, "init", "linux-commands", "--deck", "리눅스 명령어", "--group", "명령어", "--group", "개념")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    lines = done.stdout.splitlines()
    assert lines[0].startswith(f"created {where / 'linux-commands'}: deck '리눅스 명령어', groups 명령어, 개념")
    assert lines[1].startswith("next: cd ")
    return where / "linux-commands"


def test_init_writes_a_whole_project_of_the_new_subject(linux):
    names = {p.name for p in linux.iterdir()}
    assert names == PROJECT  # .git: a repository of its own, no commit yet: every note a draft until a release
    assert not list(linux.rglob("__pycache__")) and not (linux / ".cache").exists()
    assert not [p for p in linux.parent.iterdir() if p.name.startswith(".")]  # no staging folder left
    config = tomllib.loads((linux / "pyproject.toml").read_text("utf-8"))
    tool = config["tool"]["studydeck"]
    assert tool["deck"] == "리눅스 명령어"
    assert [g["name"] for g in tool["groups"]] == ["명령어", "개념"]
    assert tool["guid-prefix"].startswith("linux-commands-") and tool["guid-prefix"] != "k8s-study-deck"
    ours = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    assert config["project"]["dependencies"] == ours["project"]["dependencies"]  # the pins the bytes need
    assert sorted(p.name for p in (linux / "entries").iterdir()) == ["example-1.yaml", "example-2.yaml", "schema.json"]
    assert (linux / "templates" / "fonts" / "OFL-Pretendard.txt").exists()  # the fonts' licences travel with them
    readme = (linux / "README.md").read_text("utf-8")
    assert readme.startswith("# 리눅스 명령어\n") and ".venv/bin/python build.py\n" in readme


def test_two_inits_never_share_a_guid_prefix(tmp_path):
    prefixes = set()
    for name in ("a", "b"):
        assert studydeck(tmp_path, "init", f"deck/{name}", "--deck", "같은 이름").returncode == 0
        prefixes.add(
            tomllib.loads((tmp_path / "deck" / name / "pyproject.toml").read_text("utf-8"))["tool"]["studydeck"][
                "guid-prefix"
            ]
        )
    assert len(prefixes) == 2


def test_the_new_project_passes_its_ci_checks_and_builds_a_deck_of_its_own(linux, tmp_path):
    project = tmp_path / "p"
    shutil.copytree(linux, project)
    git(project, "init", "-q")
    git(project, "add", "-A")
    commit(project, "Start", when=1_700_000_000)
    check = _run(project, "build.py", "--check", "--strict", "--locked")  # ci.yml's and release.yml's check
    assert check.returncode == 0, check.stderr
    assert check.stdout.startswith("ok: 2 entries, 2 notes, 4 cards")
    assert check.stderr == ""  # no warning: the examples are good cards
    # the release job's build (build.py --locked, as ci.yml's build step), as it runs on a tag
    git(project, "tag", "v0.1.0")
    env = {k: v for k, v in os.environ.items() if k not in ("SOURCE_DATE_EPOCH", "STUDYDECK_VERSION")}
    env.update(PYTHON=sys.executable, GITHUB_REF_NAME="v0.1.0")
    done = subprocess.run(["bash", ".github/release/build.sh"], cwd=project, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "first release: every note is new" in done.stdout
    assert git(project, "status", "--porcelain") == ""  # nothing to commit: init wrote the lock and schema
    col = new_collection(tmp_path / "anki")
    import_apkg(col, project / "dist" / "리눅스-명령어.apkg")
    assert sorted(d.name for d in col.decks.all_names_and_ids()) == [
        "Default",
        "리눅스 명령어",
        "리눅스 명령어::개념",
        "리눅스 명령어::명령어",
    ]
    assert len(col.find_notes("")) == 2 and len(col.find_cards("")) == 4
    card = col.get_card(col.find_cards('"deck:리눅스 명령어::명령어"')[0])
    assert "빈칸 카드" in card.question() and "[...]" in card.question()
    col.close()
    staged = subprocess.run(
        ["bash", ".github/release/stage.sh", "linux-commands", "release"], cwd=project, env=env, capture_output=True
    )
    assert staged.returncode == 0, staged.stderr
    assert sorted(p.name for p in (project / "release").iterdir()) == [
        "CHANGES.md",
        "SHA256SUMS",
        "linux-commands-0.1.0-sheet.pdf",
        "linux-commands-0.1.0-worksheet.pdf",
        "linux-commands-0.1.0.apkg",
    ]


def test_the_new_projects_workflows_pass_actionlint_and_skip_the_tools_tests(linux):
    from test_workflows import _actionlint

    done = _actionlint(*sorted((linux / ".github" / "workflows").glob("*.yml")))
    assert done.returncode == 0, done.stdout + done.stderr
    for name in ("ci.yml", "release.yml"):
        text = (linux / ".github" / "workflows" / name).read_text("utf-8")
        assert "if [ -d tests ]; then .venv/bin/python -m pytest;" in text
        assert ".venv/bin/python build.py --check --strict --locked" in text


@pytest.mark.parametrize(
    "args, message",
    [
        (["--deck", "a::b"], "error: init: --deck must not contain '::' or surrounding spaces"),
        (["--group", "명령어", "--group", "명령어 "], None),  # the same group twice is one group
        (["--guid-prefix", "has space"], "error: --guid-prefix 'has space': use letters, digits"),
    ],
)
def test_init_refuses_what_a_build_would_refuse_and_writes_nothing(tmp_path, args, message):
    done = studydeck(tmp_path, "init", "new", *args)
    if message is None:
        assert done.returncode == 0, done.stderr
        groups = tomllib.loads((tmp_path / "new" / "pyproject.toml").read_text("utf-8"))["tool"]["studydeck"]["groups"]
        assert [g["name"] for g in groups] == ["명령어"]
        return
    assert done.returncode == 2
    assert done.stderr.startswith(message), done.stderr
    assert len(done.stderr.splitlines()) == 1
    assert list(tmp_path.iterdir()) == []  # no project, no staging folder


def test_the_example_entries_are_drafts_an_author_replaces_freely(tmp_path):
    """Before any commit or release: the example goes and the author's own entry comes, with no
    refusal and no tombstone (init made the project a git repository of its own)."""
    assert studydeck(tmp_path, "init", "fresh").returncode == 0
    project = tmp_path / "fresh"
    example = (project / "entries" / "example-1.yaml").read_text("utf-8")
    (project / "entries" / "example-1.yaml").unlink()
    (project / "entries" / "mine.yaml").write_text(example.replace("id: example-1", "id: mine"), "utf-8")
    done = studydeck(project, "--only", "deck")
    assert done.returncode == 0, done.stderr
    lock = (project / "entries.lock").read_text("utf-8")
    assert "mine/cloze" in lock and "example-1" not in lock


def test_init_fills_an_empty_folder_where_it_is_and_refuses_what_is_not_one(tmp_path):
    """An empty DIR (the current folder, a mount point) is filled in place, never replaced; a link,
    a file or an empty name is refused in one line; a refused init leaves no folder it made."""
    here = tmp_path / "here"
    here.mkdir()
    inode = here.stat().st_ino
    done = studydeck(here, "init", ".", "--group", "명령어")
    assert done.returncode == 0, done.stderr
    assert here.stat().st_ino == inode  # the same folder, filled
    assert {p.name for p in here.iterdir()} == PROJECT
    clone = tmp_path / "here" / "clone"  # a fresh clone of an empty repository holds only .git
    git(tmp_path / "here", "init", "-q", "clone")
    assert studydeck(clone, "init", ".").returncode == 0 and (clone / "entries.lock").is_file()
    shutil.rmtree(clone)
    (tmp_path / "link").symlink_to(tmp_path / "nowhere" / "deck")
    (tmp_path / "file").write_text("mine", "utf-8")
    for args, message in [
        (["link"], "error: link: is a link; init writes a new project into a real folder\n"),
        (["file"], f"error: {tmp_path / 'file'}: is a file; init writes a new project into a new or empty folder\n"),
        ([""], "error: init: DIR is empty; name the folder of the new project (e.g. studydeck init my-deck)\n"),
        (["a/b/c", "--deck", "a::b"], "error: init: --deck must not contain '::' or surrounding spaces\n"),
        (["x", "--deck", " "], "error: init: --deck is empty; give the deck's name"),
        (["x", "--group", "a", "--group", ""], "error: init: --group #2 is empty; give each group a name\n"),
        (["d/e", "--deck", "\U0001d518"], "error: init: --deck: '\U0001d518' (U+1D518) not in the bundled font"),
    ]:
        done = studydeck(tmp_path, "init", *args)
        assert done.returncode == 2, args
        assert done.stderr.startswith(message), done.stderr
        assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "here", "link"], args
    assert not (tmp_path / "nowhere").exists()


def test_a_killed_init_leaves_nothing(tmp_path):
    """SIGTERM (or a closed terminal's SIGHUP) during init: as Ctrl-C, the staging folder goes."""
    import signal
    import time

    proc = subprocess.Popen(
        [sys.executable, "-c", "import sys; from studydeck.cli import main; sys.exit(main())", "init", "p/new"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob("p/.studydeck-init-*/templates")) and time.monotonic() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, (out, err)
    assert err == "interrupted: nothing was written\n"
    assert list(tmp_path.iterdir()) == []


def test_init_never_writes_into_a_folder_that_holds_something(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep", "utf-8")
    done = studydeck(tmp_path, "init", "mine")
    assert done.returncode == 2
    assert (
        done.stderr
        == f"error: {tmp_path / 'mine'}: not an empty folder; init writes a new project into a new or empty folder\n"
    )
    assert [p.name for p in (tmp_path / "mine").iterdir()] == ["notes.txt"]
    assert studydeck(tmp_path, "init", "--help").returncode == 0


def test_studydeck_finds_its_project_from_any_folder_in_it_and_says_so_outside(linux, tmp_path):
    inside = studydeck(linux / "entries", "--check")
    assert inside.returncode == 0, inside.stderr
    assert inside.stdout.startswith("ok: 2 entries")
    outside = studydeck(tmp_path, "--check")
    assert outside.returncode == 2
    assert outside.stderr == (
        f"error: no studydeck project here: no pyproject.toml with [tool.studydeck] in {tmp_path} or a folder "
        "above it (cd into a project, or start one with `studydeck init DIR`)\n"
    )
    for root, why in [(tmp_path / "gone", "no such folder"), (tmp_path, "no pyproject.toml in it")]:
        done = studydeck(tmp_path, "--root", str(root), "--check")
        assert (done.returncode, done.stderr) == (
            2,
            f"error: --root {root}: {why}; give the folder of a studydeck project\n",
        )
    assert studydeck(tmp_path, "--help").stdout.startswith("usage: studydeck ")
    version = studydeck(tmp_path, "--version")
    assert version.returncode == 0 and version.stdout.startswith("studydeck ") and "not installed" not in version.stdout


def test_on_a_terminal_init_asks_for_what_the_options_did_not_say(tmp_path):
    """Started from a terminal without --deck or --group, init asks for both (the folder's name
    and 개념 are the defaults an empty answer takes); from a script it asks nothing."""
    import pty

    main, secondary = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-c", "import sys; from studydeck.cli import main; sys.exit(main())", "init", "asked"],
        cwd=tmp_path,
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
    )
    os.close(secondary)
    os.write(main, "리눅스 명령어\n명령어, 개념\n".encode())
    seen = b""
    while proc.poll() is None or not seen.endswith(b"\n"):
        try:
            chunk = os.read(main, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    proc.wait(timeout=60)
    os.close(main)
    text = seen.decode("utf-8", "replace")
    assert proc.returncode == 0, text
    assert "deck name [asked]: " in text and "groups, comma-separated [개념]: " in text
    tool = tomllib.loads((tmp_path / "asked" / "pyproject.toml").read_text("utf-8"))["tool"]["studydeck"]
    assert tool["deck"] == "리눅스 명령어" and [g["name"] for g in tool["groups"]] == ["명령어", "개념"]
