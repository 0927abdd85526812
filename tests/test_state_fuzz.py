"""Random corruption of every file a build reads back from an earlier run (the journal, the build
record, a font subset, entries.lock, entries/schema.json): whatever the bytes, the build ends in
one line or a whole build, never a traceback, never a half-written dist/, and nothing outside the
project changes.

Bounded: STATE_FUZZ_RUNS (default 12) corruptions with `--only deck`, run in-process; the seed
is printed on failure (STATE_FUZZ_SEED repeats it). A longer run: STATE_FUZZ_RUNS=500."""

from __future__ import annotations

import json
import os
import random
import shutil
import zipfile
from pathlib import Path

import pytest
from conftest import copy_project

from studydeck import cli
from studydeck.errors import _LIVE
from studydeck.gather import lock
from studydeck.state import cache, write

RUNS = int(os.environ.get("STATE_FUZZ_RUNS", "12"))
SEED = int(os.environ.get("STATE_FUZZ_SEED", random.randrange(1 << 30)))
JUNK = [b'"', b"{", b"}", b"[", b"]", b",", b":", b"\x00", b"\xff", b"\n", b"0", b"-1", b"1e999", b"null", b"\\u0000"]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    work = tmp_path_factory.mktemp("fuzz")
    project = copy_project(work / "base")
    os.environ.setdefault("XDG_CACHE_HOME", str(work / "user-cache"))
    cwd = Path.cwd()
    try:
        os.chdir(project)
        assert cli.main(["-q", "--only", "deck"]) == 0
    finally:
        os.chdir(cwd)
    return project


def _mutate(data: bytes, rng: random.Random) -> bytes:
    data = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        how = rng.choice(["truncate", "flip", "insert", "delete"])
        at = rng.randrange(len(data) + 1)
        if how == "truncate":
            del data[at:]
        elif how == "flip" and data:
            data[min(at, len(data) - 1)] = rng.randrange(256)
        elif how == "insert":
            data[at:at] = rng.choice(JUNK)
        else:
            del data[at : at + rng.randint(1, 40)]
    return bytes(data)


def _journal(project: Path, victim: Path, rng: random.Random) -> bytes:
    """A journal as an attacker or a crash might leave it: pairs of names, some of this build's
    form, some anywhere."""
    dist = project / "dist"
    names = [
        str(victim),
        "../outside",
        "dist/../../victim",
        str(dist / ".x.apkg.0123456789ab.new"),
        str(dist / "쿠버네티스-스터디.apkg"),
        str(project / lock.LOCK_NAME),
        str(project / "entries" / ".pod.yaml.0123456789ab.new"),
        "",
        str(dist),
    ]
    pairs = [[rng.choice(names), rng.choice(names)] for _ in range(rng.randint(0, 3))]
    body = json.dumps(rng.choice([pairs, {"pairs": pairs}, pairs[:1], "x", None])).encode()
    return _mutate(body, rng) if rng.random() < 0.5 else body


def _corrupt(project: Path, victim: Path, rng: random.Random) -> str:
    """Corrupt one state file of project; what was done, for the failure message."""
    records = sorted((project / cache.CACHE_DIR).glob("outputs-*.json"))
    subsets = sorted((project / cache.CACHE_DIR / "fonts").glob("*.woff2"))
    targets = {
        "journal": project / "dist" / write.JOURNAL,
        "record": records[0],
        "font subset": rng.choice(subsets),
        "entries.lock": project / lock.LOCK_NAME,
        "schema": project / "entries" / "schema.json",
    }
    what = rng.choice(sorted(targets))
    path = targets[what]
    form = rng.choice(["bytes", "bytes", "bytes", "link", "folder", "empty"])
    if what == "journal" and form == "bytes":
        path.write_bytes(_journal(project, victim, rng))
        return f"{what}: {path.read_bytes()[:200]!r}"
    old = path.read_bytes() if path.exists() else b""
    path.unlink(missing_ok=True)
    if form == "link":
        path.symlink_to(victim)
    elif form == "folder":
        path.mkdir()
        (path / "inside").write_text("x", "utf-8")
    elif form == "empty":
        path.write_bytes(b"")
    else:
        path.write_bytes(_mutate(old, rng))
    return f"{what} ({form})"


def test_random_corruption_of_state_files_ends_in_one_line_or_a_whole_build(built, tmp_path, monkeypatch, capsys):
    rng = random.Random(SEED)
    for run in range(RUNS):
        project = tmp_path / f"p{run}"
        shutil.copytree(built, project, symlinks=True)
        outside = tmp_path / f"outside{run}"
        outside.mkdir()
        victim = outside / "victim"
        victim.write_text("the user's own file", "utf-8")
        what = _corrupt(project, victim, rng)
        before = {p.name: p.read_bytes() for p in (project / "dist").iterdir() if p.is_file()}
        monkeypatch.chdir(project)
        capsys.readouterr()
        code = cli.main(["-q", "--only", "deck"])
        err = capsys.readouterr().err
        where = f"seed {SEED}, run {run}, {what}: exit {code}: {err}"
        assert code in (0, 1, 2), where
        assert "Traceback" not in err and not _LIVE.search(err.replace("\n", "")), where
        assert victim.read_text("utf-8") == "the user's own file" and sorted(outside.iterdir()) == [victim], where
        apkg = next((project / "dist").glob("*.apkg"))
        if code == 0:
            with zipfile.ZipFile(apkg) as z:
                assert z.testzip() is None, where
            lock.read_lock_file(_reads(project), project / lock.LOCK_NAME)  # the lock it wrote reads back
        else:
            assert len([line for line in err.splitlines() if line.strip()]) >= 1, where
            now = {p.name: p.read_bytes() for p in (project / "dist").iterdir() if p.is_file()}
            assert now == before, f"{where}: dist/ changed though the build failed"


def _reads(project: Path):
    from studydeck.gather.reads import Reads

    return Reads(project)
