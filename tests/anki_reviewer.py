"""Anki desktop's own reviewer (aqt), run offscreen: where every card's clozes are when it is shown.

`review(apkg, ...)` starts Anki desktop (the `aqt` package) in a process of its own with a
throwaway base folder, imports the package with Anki's importer, opens the reviewer on the
deck, and for every card, at every window size and in light and night mode, does what a
learner does: the question is shown, then "Show Answer" (`Reviewer._showAnswer`). After each
side it waits for the reviewer's own script to finish (its update queue, and on the answer the
`repaintNeeded` message its scrollToAnswer() sends right after `#answer.scrollIntoView()`),
then for the page's images and fonts, and reads from the page: the viewport, the scroll offset
and the rectangle of every `.cloze` (the [...] blank on the front, the revealed answer on the
back). Nothing of Anki is replaced; cards are only shown, never answered.

Run directly (with the Python that has aqt) to look at cards yourself:

    python tests/anki_reviewer.py DECK.apkg --out results.json --shots DIR [--shot-filter pod]

writes the measurements and a PNG of the reviewer's web view for each side shown.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

SIZES = ((1100, 850), (400, 820))  # the reviewer's web view: a desktop window and a phone's width
MODES = ("light", "night")
MEASURE_PREFIX = "studydeck-measure:"


def aqt_missing() -> str | None:
    """Why Anki desktop cannot run here (one line, for a skip), or None. Only looks for the
    packages: an aqt that is installed but cannot start is an error of the test, not a skip."""
    for name in ("aqt", "PyQt6.QtWebEngineWidgets"):
        try:
            found = importlib.util.find_spec(name)
        except ImportError:
            found = None
        if found is None:
            return f"Anki desktop is not installed here (no {name}; pip install 'aqt[qt6]')"
    return None


@dataclass(frozen=True)
class Side:
    """One side of one card as the reviewer showed it."""

    note: str  # "entry/key" (from entries.lock), else the note's Id field
    cid: int
    cloze: int  # the card's cloze number
    side: str  # "question" or "answer"
    size: tuple[int, int]  # what was asked for
    mode: str
    viewport: tuple[int, int]  # document.documentElement.clientWidth/clientHeight
    inner: tuple[int, int]  # window.innerWidth/innerHeight
    scroll: tuple[float, float]  # scrollX, scrollY after the reviewer's own scroll
    page: tuple[int, int]  # scrollWidth, scrollHeight
    clozes: tuple[dict, ...]  # {"text", "ordinal", "top", "bottom", "left", "right"} (viewport coordinates)
    answer_anchor: dict | None  # the rect of #answer (what the reviewer scrolls to), if any
    content_height: float  # from the top of the page to the bottom of the card
    images: tuple[dict, ...]  # {"src", "loaded", "drawn": content width px, "readable": its --sd-w px}
    fonts: tuple[str, ...]  # the font families the page has loaded
    body_class: str
    html_class: str
    shot: str | None = None

    def off_screen(self) -> list[dict]:
        """The clozes not wholly inside the viewport (half a pixel of slack for subpixel layout)."""
        w, h = self.viewport
        return [
            c
            for c in self.clozes
            if c["top"] < -0.5 or c["left"] < -0.5 or c["bottom"] > h + 0.5 or c["right"] > w + 0.5
        ]

    def describe(self, cloze: dict | None = None) -> str:
        where = f"{self.note} c{self.cloze} {self.side} at {self.size[0]}x{self.size[1]} {self.mode}"
        view = f"viewport {self.viewport[0]}x{self.viewport[1]} scrolled to y={self.scroll[1]:g} of {self.page[1]}"
        if cloze is None:
            return f"{where}: {view}"
        rect = (
            f"top={cloze['top']:.0f} bottom={cloze['bottom']:.0f} left={cloze['left']:.0f} right={cloze['right']:.0f}"
        )
        return f"{where}: cloze {cloze['text']!r} at {rect}, {view}"


def review(
    apkg: Path,
    work: Path,
    sizes=SIZES,
    modes=MODES,
    shots: Path | None = None,
    shot_filter: str = "",
    lock: Path | None = None,
    python: str | None = None,
    timeout: float = 900,
) -> list[Side]:
    """Every side of every card of apkg as Anki desktop's reviewer shows it (see the module's doc)."""
    work.mkdir(parents=True, exist_ok=True)
    out = work / "reviewer.json"
    args = [
        python or sys.executable,
        str(Path(__file__).resolve()),
        str(apkg),
        "--base",
        str(work / "anki-base"),
        "--out",
        str(out),
        "--sizes",
        ",".join(f"{w}x{h}" for w, h in sizes),
        "--modes",
        ",".join(modes),
    ]
    if lock:
        args += ["--lock", str(lock)]
    if shots:
        args += ["--shots", str(shots), "--shot-filter", shot_filter]
    # a process group of its own: on a timeout the web engine's helper processes go with it
    proc = subprocess.Popen(
        args,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=aqt_env(work / "runtime"),
        start_new_session=True,
    )
    try:
        log, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        log, _ = proc.communicate()
        raise AssertionError(f"Anki's reviewer did not finish in {timeout:g} s:\n{log[-4000:]}") from None
    if proc.returncode != 0 or not out.exists():
        raise AssertionError(f"Anki's reviewer failed (exit {proc.returncode}):\n{log[-4000:]}")
    return [_side(d) for d in json.loads(out.read_text(encoding="utf-8"))]


def _side(d: dict) -> Side:
    for key in ("size", "viewport", "inner", "scroll", "page"):
        d[key] = tuple(d[key])
    for key in ("clozes", "images", "fonts"):
        d[key] = tuple(d[key])
    return Side(**d)


def aqt_env(runtime: Path) -> dict[str, str]:
    """Anki desktop offscreen, as root too, in a session of its own."""
    env = dict(os.environ)
    env["QT_QPA_PLATFORM"] = "offscreen"
    if os.geteuid() == 0:  # Chromium refuses to run as root with its sandbox
        flags = env.get("QTWEBENGINE_CHROMIUM_FLAGS", "")
        if "--no-sandbox" not in flags:
            env["QTWEBENGINE_CHROMIUM_FLAGS"] = f"{flags} --no-sandbox".strip()
    # Anki lets one instance run per user (a local socket named after the user): one of our own
    env["ANKI_SINGLE_INSTANCE_KEY"] = f"studydeck-test-{os.getpid()}-{time.monotonic_ns()}"
    env.pop("ANKI_WEBSCALE", None)
    env.pop("QT_SCALE_FACTOR", None)
    if not env.get("XDG_RUNTIME_DIR"):
        runtime.mkdir(mode=0o700, parents=True, exist_ok=True)
        env["XDG_RUNTIME_DIR"] = str(runtime)
    return env


# --- inside the Anki process -------------------------------------------------------------

# After the reviewer's own queued update (its _showQuestion/_showAnswer run through
# _queueAction), once every image has loaded and the fonts are ready, two frames later.
MEASURE_JS = """
(async () => {
  await new Promise((resolve) => _queueAction(resolve));
  await Promise.all([...document.images].map((img) => img.complete ? null : new Promise((resolve) => {
    img.addEventListener("load", resolve); img.addEventListener("error", resolve); })));
  await document.fonts.ready;
  await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
  const rect = (el) => { const r = el.getBoundingClientRect();
    return {top: r.top, bottom: r.bottom, left: r.left, right: r.right}; };
  const root = document.documentElement;
  const anchor = document.getElementById("answer");
  bridgeCommand("%(prefix)s" + JSON.stringify({
    token: %(token)d,
    viewport: [root.clientWidth, root.clientHeight],
    inner: [window.innerWidth, window.innerHeight],
    scroll: [window.scrollX, window.scrollY],
    page: [root.scrollWidth, root.scrollHeight],
    clozes: [...document.querySelectorAll("#qa .cloze")].map((el) => ({
      text: el.textContent, ordinal: Number(el.dataset.ordinal), ...rect(el)})),
    answer_anchor: anchor ? rect(anchor) : null,
    content_height: document.getElementById("qa").getBoundingClientRect().bottom + window.scrollY,
    images: [...document.querySelectorAll("#qa img")].map((img) => { const cs = getComputedStyle(img);
      return {src: img.getAttribute("src"), loaded: img.complete && img.naturalWidth > 0,
        drawn: img.getBoundingClientRect().width - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight),
        readable: parseFloat(cs.getPropertyValue("--sd-w")) || 0}; }),
    fonts: [...new Set([...document.fonts].filter((f) => f.status === "loaded").map((f) => f.family))],
    body_class: document.body.className,
    html_class: root.className,
  }));
})();
"""


class Driver:
    def __init__(self, opts: argparse.Namespace) -> None:
        self.opts = opts
        self.repaints = 0
        self.measured: dict[int, dict] = {}
        self.token = 0
        self.results: list[dict] = []
        self.names: dict[str, str] = {}

    # messages from the reviewer's page (pycmd/bridgeCommand), seen before the reviewer's own handler
    def on_js_message(self, handled, message, context):
        if message == "repaintNeeded":
            self.repaints += 1
        elif isinstance(message, str) and message.startswith(MEASURE_PREFIX):
            data = json.loads(message[len(MEASURE_PREFIX) :])
            self.measured[data.pop("token")] = data
            return (True, None)
        return handled

    def wait(self, ready, what: str, timeout: float = 30) -> None:
        from aqt.qt import QEventLoop

        deadline = time.monotonic() + timeout
        while not ready():
            if time.monotonic() > deadline:
                raise TimeoutError(f"timed out waiting for {what}")
            self.mw.app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)

    def pause(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        self.wait(lambda: time.monotonic() > deadline, "nothing", timeout=seconds + 1)

    def js(self, web, expr: str, timeout: float = 10):
        """The value of a JS expression in a web view (after its pending loads and evals)."""
        box: list = []
        web.evalWithCallback(expr, box.append)
        self.wait(lambda: box, f"the page to answer {expr!r}", timeout)
        return box[0]

    def wait_page(self, web, expr: str, what: str, timeout: float = 30) -> None:
        """Until expr is true in web's page: a page change must finish before the next, or the
        old page's late "domDone" lets Anki run the new page's scripts in the old one."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                if self.js(web, f"document.readyState === 'complete' && !!({expr})", timeout=5):
                    return
            except TimeoutError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"timed out waiting for {what}")
            self.pause(0.05)

    def measure(self) -> dict:
        self.token += 1
        token = self.token
        self.mw.web.eval(MEASURE_JS % {"prefix": MEASURE_PREFIX, "token": token})
        self.wait(lambda: token in self.measured, "the page's measurements")
        return self.measured.pop(token)

    def set_viewport(self, width: int, height: int) -> None:
        """Resize the main window until the reviewer's web view is width x height."""
        mw, web = self.mw, self.mw.web
        for _ in range(20):
            dw, dh = width - web.width(), height - web.height()
            if not dw and not dh:
                break
            mw.resize(mw.width() + dw, mw.height() + dh)
            self.pause(0.1)
        if (web.width(), web.height()) != (width, height):
            raise RuntimeError(f"the reviewer's web view is {web.width()}x{web.height()}, not {width}x{height}")
        # the page learns of its new size a little later
        self.wait_page(web, f"innerWidth === {width} && innerHeight === {height}", f"the page at {width}x{height}")

    def screenshot(self, path: Path) -> None:
        """The web view as drawn. Its last frame can lag the page by a frame or two (a grab right
        after the page changed may show the previous side): grab until two grabs agree."""
        web = self.mw.web
        last = None
        for _ in range(20):
            self.pause(0.1)
            image = web.grab().toImage()
            if last is not None and image == last:
                break
            last = image
        image.save(str(path))

    def start(self) -> None:
        try:
            self.run()
        except BaseException:
            # aqt has replaced sys.stderr with its error dialog: write where the parent reads
            sys.__stderr__.write(traceback.format_exc())
            sys.__stderr__.flush()
            sys.stdout.flush()
            os._exit(3)
        sys.stdout.flush()
        os._exit(0)

    def run(self) -> None:
        import aqt

        self.mw = aqt.mw
        opts = self.opts
        cards = self.import_deck()
        if opts.shots:
            Path(opts.shots).mkdir(parents=True, exist_ok=True)
        for mode in opts.modes:
            self.open_reviewer(mode)
            for width, height in opts.sizes:
                self.set_viewport(width, height)
                started = time.monotonic()
                for card in cards:
                    for side in ("question", "answer"):
                        self.results.append(self.show(card, side, (width, height), mode))
                print(f"{mode} {width}x{height}: {len(cards)} cards in {time.monotonic() - started:.1f} s", flush=True)
        Path(opts.out).write_text(json.dumps(self.results, ensure_ascii=False, indent=1), encoding="utf-8")

    def import_deck(self) -> list:
        """The package imported with Anki's importer (default options); its cards by note name."""
        from anki.collection import ImportAnkiPackageOptions, ImportAnkiPackageRequest

        col = self.mw.col
        col.import_anki_package(
            ImportAnkiPackageRequest(package_path=str(self.opts.apkg), options=ImportAnkiPackageOptions())
        )
        # notes named "entry/key" from the project's entries.lock (which maps them to GUIDs)
        if self.opts.lock:
            lock = json.loads(Path(self.opts.lock).read_text(encoding="utf-8"))
            self.names = {note["guid"]: name for name, note in lock["notes"].items()}
        cards = sorted((col.get_card(cid) for cid in col.find_cards("")), key=lambda c: (self.name_of(c), c.ord))
        if not cards:
            raise RuntimeError("the package has no cards")
        print(f"{len(cards)} cards imported", flush=True)
        col.decks.select(cards[0].did)
        return cards

    def name_of(self, card) -> str:
        note = card.note()
        return self.names.get(note.guid) or (note["Id"] if "Id" in note else str(card.nid))

    def open_reviewer(self, mode: str) -> None:
        """From the deck list, with the theme set as Preferences > Theme sets it, into the reviewer."""
        from aqt.theme import Theme

        mw = self.mw
        mw.moveToState("deckBrowser")
        self.wait_page(mw.web, "typeof _showQuestion === 'undefined'", "the deck list")
        self.wait_page(mw.bottomWeb, "typeof showQuestion === 'undefined'", "the deck list's bottom bar")
        mw.set_theme(Theme.DARK if mode == "night" else Theme.LIGHT)
        mw.moveToState("review")
        self.wait_page(mw.web, "typeof _showQuestion === 'function' && document.getElementById('qa')", "the reviewer")
        self.wait_page(mw.bottomWeb, "typeof showQuestion === 'function'", "the reviewer's bottom bar")
        if mw.state != "review" or mw.reviewer.card is None:
            raise RuntimeError(f"the reviewer did not open (state {mw.state!r})")

    def show(self, card, side: str, size: tuple[int, int], mode: str) -> dict:
        """Show one side of card as the reviewer does, and measure the page once it is done."""
        reviewer = self.mw.reviewer
        if side == "question":
            reviewer.card = card  # as nextCard() does, without answering the card before
            reviewer._showQuestion()
        else:
            before = self.repaints
            reviewer._showAnswer()  # what "Show Answer" does
            self.wait(lambda: self.repaints > before, "the reviewer's scrollToAnswer")
        data = self.measure()
        name = self.name_of(card)
        data.update(note=name, cid=card.id, cloze=card.ord + 1, side=side, size=list(size), mode=mode)
        if self.opts.shots and self.opts.shot_filter in name:
            width, height = size
            path = (
                Path(self.opts.shots) / f"{name.replace('/', '_')}-c{card.ord + 1}-{side}-{width}x{height}-{mode}.png"
            )
            self.screenshot(path)
            data["shot"] = str(path)
        return data


def _size(text: str) -> tuple[int, int]:
    w, h = text.lower().split("x")
    return int(w), int(h)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("apkg", type=Path)
    parser.add_argument("--base", type=Path, help="Anki's base folder (made afresh; default: a temp folder)")
    parser.add_argument("--out", type=Path, required=True, help="where to write the measurements (JSON)")
    parser.add_argument("--sizes", default=",".join(f"{w}x{h}" for w, h in SIZES))
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--lock", type=Path, help="the project's entries.lock, to name notes entry/key")
    parser.add_argument("--shots", type=Path, help="save a PNG of the web view for each side shown, here")
    parser.add_argument("--shot-filter", default="", help="only for notes whose name (entry/key) contains this")
    opts = parser.parse_args(argv)
    opts.sizes = [_size(s) for s in opts.sizes.split(",")]
    opts.modes = opts.modes.split(",")
    opts.apkg = opts.apkg.resolve()
    base = opts.base or Path(tempfile.mkdtemp(prefix="anki-base-"))
    if base.exists():
        shutil.rmtree(base)
    base.mkdir(parents=True)
    os.environ.update(aqt_env(base.parent / f"{base.name}-runtime"))

    import aqt
    import aqt.profiles
    from aqt import gui_hooks
    from aqt.qt import QTimer

    driver = Driver(opts)

    def first_run_without_dialogs(self, _index: int) -> None:
        # Anki asks for a language on first run (a modal dialog); answer it, and switch off
        # the checks for updates of Anki and add-ons (network, and dialogs).
        self.setLang("en_US")
        self.meta["check_for_updates"] = False
        self.meta["check_for_addon_updates"] = False

    aqt.profiles.ProfileManager.setDefaultLang = first_run_without_dialogs
    gui_hooks.webview_did_receive_js_message.append(driver.on_js_message)
    gui_hooks.profile_did_open.append(lambda: QTimer.singleShot(0, driver.start))
    aqt._run(["anki", "-b", str(base), "-l", "en_US"])
    # the main loop ended without the driver (Anki closed, or never opened the profile)
    print("Anki exited before the cards were reviewed", file=sys.stderr)
    sys.exit(2)


if __name__ == "__main__":
    main()
