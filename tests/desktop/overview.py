"""The deck in the real Anki desktop: its overviews, the deck list and one card, as screenshots.

Not part of the pytest run (it needs the `aqt` package, Anki desktop, which the test
dependencies do not install). In a virtualenv with `pip install 'aqt[qt6]'`:

    QT_QPA_PLATFORM=offscreen QTWEBENGINE_CHROMIUM_FLAGS=--no-sandbox \
        python tests/desktop/overview.py dist/쿠버네티스-스터디.apkg OUTDIR [--review DECK]

It imports the package into a new profile (a temporary folder), opens every deck's overview
(mw.col.decks.select, mw.moveToState("overview")) and the deck list, and with --review DECK
that deck's first card, front and back, in the reviewer; it saves each as OUTDIR/*.png and
prints, for each overview, the font the page computes for the deck's name and description and
the web fonts the page loaded. Exit status 1 when an overview is not set in StudyDeck Sans or
its fonts did not load. On a machine without a Korean font, look at the screenshots: Hangul
drawn in any other font is boxes.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

PAGE_FONTS = """(() => {
  const family = sel => { const e = document.querySelector(sel); return e ? getComputedStyle(e).fontFamily : null; };
  const text = sel => { const e = document.querySelector(sel); return e ? e.innerText : null; };
  return JSON.stringify({name: text("h3"), name_font: family("h3"), description: text(".description"),
    description_font: family(".description"),
    loaded: [...document.fonts].map(f => `${f.family} ${f.weight} ${f.status}`)});
})()"""


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("apkg", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--review", metavar="DECK", help="show this deck's first card in the reviewer")
    args = parser.parse_args()
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)

    # Anki runs once per user and hands a second start to the first (aqt reads the key on import)
    os.environ["ANKI_SINGLE_INSTANCE_KEY"] = f"studydeck-overview-{os.getpid()}"
    import aqt
    from aqt.profiles import ProfileManager
    from aqt.qt import QTimer

    ProfileManager.setDefaultLang = lambda self, idx: self.setLang("en_US")  # no first-run language dialog
    app = aqt._run(argv=["anki", "-b", tempfile.mkdtemp(prefix="studydeck-anki-")], exec=False)
    if app is None:
        print("Anki did not start", file=sys.stderr)
        return 2
    mw = aqt.mw
    steps: list = []
    found: list[dict] = []

    def later(ms, fn):
        QTimer.singleShot(ms, fn)

    def run_next():
        if steps:
            steps.pop(0)()
        else:
            mw.unloadProfileAndExit()
            later(5000, lambda: os._exit(status()))  # if closing hangs

    def shot(name):
        mw.web.grab().save(str(out / f"{name}.png"))

    def overview(index, deck):
        def show():
            mw.col.decks.select(deck.id)
            mw.moveToState("overview")
            later(2500, read)

        def read():
            shot(f"overview-{index}")
            mw.web.evalWithCallback(PAGE_FONTS, record)

        def record(result):
            page = json.loads(result)
            found.append(page)
            print(json.dumps(page, ensure_ascii=False), flush=True)
            run_next()

        return show

    def deck_list():
        mw.moveToState("deckBrowser")
        later(2000, lambda: (shot("deck-list"), run_next()))

    def review(name):
        def show():
            mw.col.decks.select(mw.col.decks.id_for_name(name))
            mw.moveToState("review")
            later(3000, answer)

        def answer():
            shot("review-front")
            mw.reviewer._showAnswer()
            later(1500, lambda: (shot("review-back"), run_next()))

        return show

    def start():
        if mw.col is None:
            return later(500, start)
        from anki.collection import ImportAnkiPackageOptions, ImportAnkiPackageRequest

        request = ImportAnkiPackageRequest(package_path=str(args.apkg.resolve()), options=ImportAnkiPackageOptions())
        mw.col.import_anki_package(request)
        mw.resize(1000, 700)
        decks = mw.col.decks.all_names_and_ids(skip_empty_default=True)
        steps.extend(overview(i, d) for i, d in enumerate(decks))
        steps.append(deck_list)
        if args.review:
            steps.append(review(args.review))
        run_next()

    def status() -> int:
        return 0 if found and all(_good(f) for f in found) else 1

    later(1000, start)
    app.exec()
    return status()


def _good(page: dict) -> bool:
    ours = '"StudyDeck Sans"'
    return (
        str(page["name_font"]).startswith(ours)
        and str(page["description_font"]).startswith(ours)
        and {"StudyDeck Sans 400 loaded", "StudyDeck Sans 700 loaded"} <= set(page["loaded"])
    )


if __name__ == "__main__":
    sys.exit(main())
