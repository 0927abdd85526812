"""Build-time benchmark: python benchmarks/bench.py [--sizes 12,100,1000] [--runs 3]

For each size N it makes a temporary copy of the project (a git repository, as a user has)
whose entries/ holds N entries (the real 12 for N=12, else synthetic ones with the same shape:
Korean text from the real entries' words, 1 to 4 definitions with 1 to 3 clozes, 3 to 6
points), and measures, as whole `python build.py` processes:

  cold        dist/ and the build cache removed
  noop        again, nothing changed
  edit1       one entry changed, full build
  edit1 deck, edit1 sheet   one entry changed, --only deck / --only sheet
  deck, sheet cold with --only deck / --only sheet
  rss         peak resident memory of the cold build (largest process)

and, in the same run, the floor: WeasyPrint alone laying out and writing the very HTML the
build gives it, and genanki alone packing the same notes (both in-process, after imports).
Times are medians of --runs runs. Prints a Markdown table for benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROJECT_FILES = ("build.py", "pyproject.toml", "studydeck", "templates")


def _words() -> list[str]:
    """Plain words of the real entries, without markup characters."""
    import yaml

    words = []
    for path in sorted((ROOT / "entries").glob("*.yaml")):
        data = yaml.safe_load(path.read_text("utf-8"))
        texts = [d["text"] for d in data["definitions"]] + data["points"]
        for t in texts:
            t = re.sub(r"\{\{c\d+::|\}\}|::[^}]*|[*`{}]", "", t)
            words += [w for w in t.split() if w]
    return words


def synthetic_entry(i: int, n: int, rng: random.Random, words: list[str], code: bool = False) -> str:
    """One entry; with code, one of its points ends with a `code` span of two words."""
    import yaml

    def sentence(lo, hi):
        return " ".join(rng.choice(words) for _ in range(rng.randint(lo, hi)))

    definitions = []
    for k in range(rng.randint(1, 4)):
        parts = sentence(12, 24).split()
        for c, at in enumerate(sorted(rng.sample(range(len(parts)), rng.randint(1, 3))), 1):
            parts[at] = f"{{{{c{c}::{parts[at]}}}}}"
        definitions.append({"key": f"d{k}", "term": sentence(1, 3), "text": " ".join(parts)})
    entry = {
        "id": f"e{i:05d}",
        "title": sentence(1, 3),
        "group": "object" if i % 2 else "개념",
        "tags": [rng.choice(["networking", "storage", "workload", "security"])],
        "definitions": definitions,
        "points": [sentence(6, 14) for _ in range(rng.randint(3, 6))],
        "related": sorted({f"e{rng.randrange(n):05d}" for _ in range(rng.randint(0, 2))} - {f"e{i:05d}"}),
    }
    if code:
        entry["points"][-1] += f" `{sentence(2, 2)}`"
    return yaml.safe_dump(entry, allow_unicode=True, sort_keys=False, width=1000)


def make_project(dest: Path, n: int, words: list[str] | None = None, code: bool = False) -> Path:
    """A git repository with N entries: the real 12, or synthetic ones made of `words` (the real
    entries' words by default), with a `code` span in a point if code."""
    dest.mkdir(parents=True)
    for name in PROJECT_FILES:
        src = ROOT / name
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, dest / name)
    if n == 12:
        shutil.copytree(ROOT / "entries", dest / "entries")
        shutil.copy2(ROOT / "entries.lock", dest / "entries.lock")
    else:
        # synthetic entries have other ids: the groups' reading order lists none of them
        config = dest / "pyproject.toml"
        config.write_text(re.sub(r"(?m)^order = \[[^\]]*\]\n", "", config.read_text("utf-8")), "utf-8")
        (dest / "entries").mkdir()
        rng, words = random.Random(n), words or _words()
        for i in range(n):
            (dest / "entries" / f"e{i:05d}.yaml").write_text(synthetic_entry(i, n, rng, words, code), "utf-8")
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "b",
        "GIT_AUTHOR_EMAIL": "b@example.invalid",
        "GIT_COMMITTER_NAME": "b",
        "GIT_COMMITTER_EMAIL": "b@example.invalid",
        "GIT_AUTHOR_DATE": "@1700000000 +0000",
        "GIT_COMMITTER_DATE": "@1700000000 +0000",
    }
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "bench"]):
        subprocess.run(["git", *args], cwd=dest, check=True, env=env)
    # the first build writes entries.lock; commit it so every measured build starts from a current lock
    run(dest, "--only", "deck")
    for args in (["add", "-A"], ["commit", "-qm", "lock"]):
        subprocess.run(["git", *args], cwd=dest, check=True, env=env)
    return dest


def run(project: Path, *args: str) -> tuple[float, int]:
    """Wall seconds and peak RSS (MiB, largest process of the build) of `python build.py -q ARGS`."""
    env = {k: v for k, v in os.environ.items() if k not in ("SOURCE_DATE_EPOCH", "STUDYDECK_VERSION")}
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "build.py", "-q", *args],
        cwd=project,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    err = proc.stderr.read().decode()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"build failed in {project}: {err}")
    return elapsed, usage.ru_maxrss // 1024


def clean(project: Path) -> None:
    shutil.rmtree(project / "dist", ignore_errors=True)
    shutil.rmtree(project / ".cache", ignore_errors=True)


def floors(project: Path) -> dict[str, float]:
    """WeasyPrint alone on the build's own HTML, genanki alone on the same notes (in a fresh process)."""
    code = r"""
import sys, time, json, os
from functools import partial
from pathlib import Path
root = Path(sys.argv[1]); sys.path.insert(0, str(root))
from studydeck.gather import lock, identity
from studydeck.pdf import documents
from studydeck.anki import notes as deck
from studydeck.gather.config import load_config
from studydeck.model import PrintOptions
from studydeck.gather.project import read_entries
from studydeck.gather.reads import Reads
import genanki, weasyprint
from weasyprint.text.fonts import FontConfiguration
reads = Reads(root)
config = load_config(reads); templates = root / "templates"
entries = read_entries(reads, config)
old = lock.read_lock(reads)
guids, _ = identity.assign_guids(entries, old, config)
notes = deck.notes(entries, config, guids)
out = {}
t = time.perf_counter()
model = genanki.Model(1, "m", fields=[{"name": f} for f in deck.FIELDS], model_type=genanki.Model.CLOZE,
                      templates=[{"name": "Cloze", "qfmt": "{{cloze:Text}}", "afmt": "{{cloze:Text}}"}])
decks = {}
for n in notes:
    d = decks.setdefault(n.deck, genanki.Deck(deck.deck_id(n.deck), n.deck))
    d.add_note(genanki.Note(model=model, fields=list(n.fields), guid=n.guid, tags=list(n.tags)))
genanki.Package(list(decks.values())).write_to_file(os.devnull)
out["genanki"] = time.perf_counter() - t
base = templates.resolve().as_uri() + "/"
for kind in ("sheet", "worksheet"):
    html = documents.render(kind, entries, config, templates, 1700000000, PrintOptions(), reads).html()
    os.environ["SOURCE_DATE_EPOCH"] = "1700000000"
    t = time.perf_counter()
    doc = weasyprint.HTML(string=html, base_url=base).render(font_config=FontConfiguration())
    doc.write_pdf()
    out["weasyprint_" + kind] = time.perf_counter() - t
    out["pages_" + kind] = len(doc.pages)
print(json.dumps(out))
"""
    import json

    done = subprocess.run([sys.executable, "-c", code, str(project)], capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(done.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])


def edit_one(project: Path, i: int) -> None:
    """Change one entry's title (every note of the entry changes)."""
    import yaml

    path = sorted((project / "entries").glob("*.yaml"))[0]
    data = yaml.safe_load(path.read_text("utf-8"))
    data["title"] = data["title"].split(" 수정")[0] + f" 수정{i}"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000), "utf-8")


def measure(n: int, runs: int, workdir: Path) -> dict:
    project = make_project(workdir / f"n{n}", n)
    times: dict[str, list[float]] = {
        k: [] for k in ("cold", "noop", "edit1", "edit1_deck", "edit1_sheet", "deck", "sheet")
    }
    rss = []
    for r in range(runs):
        clean(project)
        t, m = run(project, "--accept-removals")
        times["cold"].append(t)
        rss.append(m)
        times["noop"].append(run(project, "--accept-removals")[0])
        edit_one(project, 3 * r)
        times["edit1"].append(run(project, "--accept-removals")[0])
        edit_one(project, 3 * r + 1)
        times["edit1_deck"].append(run(project, "--only", "deck", "--accept-removals")[0])
        edit_one(project, 3 * r + 2)
        times["edit1_sheet"].append(run(project, "--only", "sheet", "--accept-removals")[0])
        clean(project)
        times["deck"].append(run(project, "--only", "deck", "--accept-removals")[0])
        clean(project)
        times["sheet"].append(run(project, "--only", "sheet", "--accept-removals")[0])
    floor = floors(project)
    result = {k: statistics.median(v) for k, v in times.items()}
    result.update(n=n, rss=max(rss), **floor)
    return result


def machine() -> str:
    with open("/proc/cpuinfo") as info:
        cpu = next((ln.split(":", 1)[1].strip() for ln in info if ln.startswith("model name")), "?")
    return (
        f"{os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}, Python "
        f"{platform.python_version()}, libharfbuzz-subset: "
        f"{'yes' if _has_hb_subset() else 'no (fontTools subsets fonts)'}"
    )


def _has_hb_subset() -> bool:
    import ctypes.util

    return ctypes.util.find_library("harfbuzz-subset") is not None


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="12,100,1000")
    p.add_argument("--runs", type=int, default=3)
    args = p.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="studydeck-bench-") as tmp:
        for n in (int(s) for s in args.sizes.split(",")):
            r = measure(n, args.runs, Path(tmp))
            rows.append(r)
            print(f"N={n}: {r}", file=sys.stderr, flush=True)
    print(f"Machine: {machine()}. Median of {args.runs} runs.\n")
    print(
        "| N | cold | no-op | edit 1: all / deck / sheet | cold deck only | cold sheet only | peak RSS "
        "| pages (sheet/worksheet) | floor: WeasyPrint sheet + worksheet | floor: genanki |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['n']} | {r['cold']:.2f} s | {r['noop']:.2f} s "
            f"| {r['edit1']:.2f} / {r['edit1_deck']:.2f} / {r['edit1_sheet']:.2f} s | {r['deck']:.2f} s "
            f"| {r['sheet']:.2f} s | {r['rss']} MiB | {r['pages_sheet']}/{r['pages_worksheet']} "
            f"| {r['weasyprint_sheet']:.2f} + {r['weasyprint_worksheet']:.2f} s | {r['genanki']:.2f} s |"
        )


if __name__ == "__main__":
    main()
