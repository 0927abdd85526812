"""The deck's font payload: python benchmarks/fonts.py [--sizes 12,1000]

Phones load a card's fonts whole (AnkiMobile's manual says so; AnkiDroid#5213 took seconds per
card with a large font), so every face the deck carries has a budget (studydeck/fonts.py,
Face.budget). For each project it builds `--only deck` cold and prints the bytes of each WOFF2
subset in the .apkg, its glyphs and its size decoded (what a phone holds), and, to stderr, the
build's time:

  N = 12       the default project
  N = 1,000    bench.py's synthetic entries (words of the real entries: few distinct syllables)
  N = 1,000 wide   the same entries, their words drawn also from every one of the 2,350 Hangul
                   syllables of KS X 1001 (the set of everyday Korean), and a `code` span in
                   each entry: what any 1,000 entries of everyday Korean can reach, and more

Prints a Markdown table for benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import sys
import tempfile
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import _words, clean, machine, make_project, run  # noqa: E402

from studydeck.fonts import FACES  # noqa: E402


def ksx1001_words() -> list[str]:
    """Every Hangul syllable of KS X 1001 (the 2,350 EUC-KR can encode), in words of 2 or 3."""
    syllables = [chr(c) for c in range(0xAC00, 0xD7A4) if len(chr(c).encode("euc_kr", "ignore")) == 2]
    random.Random(0).shuffle(syllables)
    words, i = [], 0
    while i < len(syllables):
        size = 2 + i % 2
        words.append("".join(syllables[i : i + size]))
        i += size
    return words


def payload(project: Path) -> dict[str, tuple[int, int, int]]:
    """(bytes, glyphs, bytes decoded: what a phone holds) of each web font in the project's .apkg."""
    from fontTools.ttLib import TTFont

    (apkg,) = (project / "dist").glob("*.apkg")
    out = {}
    with zipfile.ZipFile(apkg) as z:
        for member, name in json.loads(z.read("media")).items():
            if name.endswith(".woff2"):
                data = z.read(member)
                family, weight = name.split("-")[1:3]
                font = TTFont(io.BytesIO(data))
                glyphs = len(font.getGlyphOrder())
                font.flavor, decoded = None, io.BytesIO()
                font.save(decoded)
                out[f"{family} {weight}"] = (len(data), glyphs, len(decoded.getvalue()))
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="12,1000")
    args = p.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="studydeck-fonts-") as tmp:
        for n in (int(s) for s in args.sizes.split(",")):
            cases = [(f"{n:,}", None, False)]
            if n != 12:
                cases.append((f"{n:,} wide", _words() + ksx1001_words(), True))
            for label, words, code in cases:
                project = make_project(Path(tmp) / label.replace(",", "").replace(" ", "-"), n, words, code)
                clean(project)
                seconds, _ = run(project, "--only", "deck", "--accept-removals")
                fonts = payload(project)
                apkg = next((project / "dist").glob("*.apkg")).stat().st_size
                rows.append((label, fonts, seconds, apkg))
                print(label, fonts, f"{seconds:.2f} s", apkg, file=sys.stderr, flush=True)
    faces = [_key(f) for f in FACES]
    print(f"Machine: {machine()}.\n")
    print("| N | " + " | ".join(faces) + " | all four | .apkg |")
    print("|---|" + "---|" * (len(faces) + 2))
    for label, fonts, _, apkg in rows:
        cells = [
            f"{fonts[f][0] / 1024:,.1f} KiB ({fonts[f][1]:,} glyphs, {fonts[f][2] / 1024:,.0f} KiB decoded)"
            for f in faces
        ]
        total = sum(fonts[f][0] for f in faces)
        print(f"| {label} | " + " | ".join(cells) + f" | {total / 1024:,.0f} KiB | {apkg / 1024:,.0f} KiB |")
    budgets = " / ".join(f"{_key(f)} {f.budget / 1024:,.0f} KiB" for f in FACES)
    print(f"\nBudget per face (studydeck/fonts.py, Face.budget): {budgets}")


def _key(face) -> str:
    return f"{face.family.split()[-1].lower()} {face.weight}"


if __name__ == "__main__":
    main()
