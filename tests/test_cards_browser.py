"""The cards view in a browser (headless Chromium): each side in a reviewer's viewport, the back
scrolled to its answer as Anki's reviewer scrolls it, the cards whose answer is then out of view
marked; the contents, the bar and night mode; axe-core finds no serious or critical violation.

About 2.5 minutes, so not in the default run: `pytest -m browser` runs them (.ci/run does, after
installing what they need). Skipped (one line) without Chromium (`apt-get install chromium`); the
axe tests also without axe-core (`npm install axe-core`, found in ./node_modules, npm's global
folder or at $STUDYDECK_AXE_CORE).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from chromium import Chromium, executable
from conftest import DECK_STEM, ROOT, copy_project, run_build

from studydeck.outputs.cards import VIEWPORTS

pytestmark = pytest.mark.browser

if not executable():
    pytest.skip(
        "no Chromium (apt-get install chromium): the cards view's browser tests did not run", allow_module_level=True
    )

SIZES = {"phone": (390, 844), "desktop": (1280, 900)}  # the window the view is read in


def _axe() -> Path | None:
    if os.environ.get("STUDYDECK_AXE_CORE"):
        return Path(os.environ["STUDYDECK_AXE_CORE"])
    places = [ROOT / "node_modules"]
    if npm := shutil.which("npm"):
        done = subprocess.run([npm, "root", "-g"], capture_output=True, text=True, timeout=60)
        places.append(Path(done.stdout.strip()))
    return next((p / "axe-core" / "axe.min.js" for p in places if (p / "axe-core" / "axe.min.js").is_file()), None)


def _build(project: Path) -> Path:
    done = run_build(project, "--only", "deck")
    assert done.returncode == 0, done.stderr
    return project / "dist" / f"{DECK_STEM}-cards.html"


@pytest.fixture(scope="module")
def view(tmp_path_factory) -> Path:
    return _build(copy_project(tmp_path_factory.mktemp("view") / "p"))


@pytest.fixture(scope="module")
def browser():
    with Chromium() as b:
        yield b


def open_view(browser, path: Path, window: str = "desktop", viewport: str = "desktop", dark=False, night=None):
    """The view in a new tab of `window`'s size, the system light or dark, the choices as stored."""
    page = browser.page(*SIZES[window], dark=dark)
    stored = {"studydeck-viewport": viewport} | ({} if night is None else {"studydeck-night": "1" if night else "0"})
    page.call(
        "Page.addScriptToEvaluateOnNewDocument",
        {
            "source": f"if (window === window.top) {{ localStorage.clear(); Object.entries({json.dumps(stored)})"
            ".forEach(([k, v]) => localStorage.setItem(k, v)); }"
        },
    )
    page.goto(path.as_uri())
    page.wait("window.studydeckCards && studydeckCards.measured()", 120)
    return page


# What the frames on screen show, read from their documents.
FRAMES = """Array.from(document.querySelectorAll('.sd-screen iframe'), (f) => {
  const w = f.contentWindow, d = f.contentDocument, answer = d.getElementById('answer');
  const side = f.closest('.sd-side').dataset.side, card = f.closest('article').id;
  return { card, side, url: d.URL, width: w.innerWidth, height: w.innerHeight, body: d.body.className,
           qa: d.body.firstElementChild && d.body.firstElementChild.id, fontSize: w.getComputedStyle(d.body).fontSize,
           scroll: Math.round(w.scrollY), title: d.title,
           answerTop: answer ? answer.getBoundingClientRect().top + w.scrollY : null,
           maxScroll: d.documentElement.scrollHeight - d.documentElement.clientHeight,
           clozes: Array.from(d.querySelectorAll('.cloze'), (c) => [c.getBoundingClientRect().top, c.getBoundingClientRect().bottom]) };
})"""


READY = """(() => {
  const all = Array.from(document.querySelectorAll('.sd-screen iframe'));
  return all.length > 0 && all.every((f) => f.contentDocument && f.contentDocument.body
    && f.contentDocument.URL === 'about:srcdoc' && f.contentDocument.body.className.startsWith('card'));
})()"""


def frames(page) -> list[dict]:
    """What the frames on screen show, once every frame is made, loaded and settled (images, fonts,
    scroll). A watch-mode swap may replace frames at any moment: they are read in the same turn of
    the page's event loop as the check that they are all in and are the very frames that settled
    for 300 ms; anything else starts the wait again."""
    return page.eval(
        "new Promise((resolve, reject) => { const end = Date.now() + 60000; let seen = [];"
        f" const ready = () => {READY};"
        " const step = () => { if (Date.now() > end) return reject(new Error('frames never settled'));"
        "   const now = Array.from(document.querySelectorAll('.sd-screen iframe'));"
        "   if (!ready()) { seen = []; return setTimeout(step, 100); }"
        "   if (now.length !== seen.length || now.some((f, i) => f !== seen[i])) { seen = now; return setTimeout(step, 300); }"
        f"   resolve({FRAMES}); }};"
        " step(); })",
        90,
    )


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_each_side_is_shown_in_a_reviewers_viewport_with_the_back_scrolled_to_its_answer(browser, view, viewport):
    page = open_view(browser, view, "desktop", viewport)
    width, height = VIEWPORTS[viewport]
    results = page.eval("studydeckCards.results()")
    assert len(results) == 88 and all(set(r) == {"front", "back"} for r in results.values())
    shown = frames(page)
    assert len(shown) >= 4
    for f in shown:
        ordinal = f["card"].rsplit("-", 1)[1]
        # as Anki's reviewer has it: <body class="card cardN"><div id="qa">, in a viewport of that size
        assert (f["url"], f["width"], f["height"]) == ("about:srcdoc", width, height), f
        assert (f["body"], f["qa"]) == (f"card card{ordinal}", "qa"), f
        assert f["fontSize"] == ("18px" if viewport == "phone" else "20px")  # the card CSS's phone rule
        if f["side"] == "front":
            assert f["scroll"] == 0
        else:  # scrollIntoView() on #answer: its top at the viewport's top, as far as the page goes
            assert f["scroll"] == round(min(f["answerTop"], f["maxScroll"])), f
        # the hidden frame that measures every side agrees with the frame the reader sees
        measured = results[f["card"]][f["side"]]
        assert measured["scroll"] == f["scroll"], f
        off = sum(1 for top, bottom in f["clozes"] if top < -0.5 or bottom > height + 0.5)
        assert measured["above"] + measured["below"] == off, f
        assert f["title"].endswith("앞면" if f["side"] == "front" else "뒷면")
    # the bar counts the marked cards
    marked = page.eval("document.querySelectorAll('.sd-flag:not([hidden])').length")
    assert marked == sum(1 for r in results.values() if any(s["above"] + s["below"] for s in r.values()))
    status = page.eval("document.getElementById('sd-status').textContent")
    assert (f"카드 {marked}장" if marked else "모든 카드의 답이 화면 안에") in status and f"{width}×{height}" in status
    assert page.errors == []


def test_an_answer_pushed_off_the_screen_is_marked_and_shown_off_screen(browser, tmp_path):
    """Cards whose back scrolls the answer away (and whose front has the blank below the fold)."""
    project = copy_project(tmp_path / "p")
    card = project / "templates" / "card"
    tall = '<div style="height: 2000px"></div>'
    back = (card / "back.html").read_text("utf-8")
    back = back.replace('<div id="answer" class=', "<div class=", 1)  # the answer's anchor below the sentence,
    (card / "back.html").write_text(back.replace('<hr class="sd-rule">', f'<hr id="answer">{tall}', 1), "utf-8")
    (card / "front.html").write_text(tall + (card / "front.html").read_text("utf-8"), "utf-8")
    page = open_view(browser, _build(project), "desktop", "phone")
    flags = page.eval("Array.from(document.querySelectorAll('.sd-flag'), (f) => f.hidden ? '' : f.textContent)")
    assert flags == ["답이 화면 밖"] * 88
    notes = page.eval("Array.from(document.querySelectorAll('.sd-note'), (n) => n.textContent)")
    assert set(notes[0::2]) == {"· 빈칸 1개 화면 밖"} and all("답 " in n and "(위)" in n for n in notes[1::2])
    assert "화면 밖인 카드 88장 (400×820)" in page.eval("document.getElementById('sd-status').textContent")
    for f in frames(page):
        assert f["clozes"], f
        if f["side"] == "back":  # what the reader sees: the answer above the frame's top
            assert f["scroll"] > 0 and all(bottom < 0 for _, bottom in f["clozes"]), f
    # "next" jumps to a marked card, its heading below the sticky bar
    page.eval("document.getElementById('sd-next').click(); new Promise((r) => setTimeout(r, 500))")
    where = page.eval(
        "[location.hash, document.getElementById('sd-bar').getBoundingClientRect().bottom,"
        " document.querySelector(location.hash + ' h3').getBoundingClientRect().top]"
    )
    assert where[0].startswith("#card-") and where[1] <= where[2] < SIZES["desktop"][1] / 2, where


@pytest.mark.parametrize("window", ["phone", "desktop"])
def test_the_contents_jump_within_the_page_and_the_heading_stays_below_the_bar(browser, view, window):
    page = open_view(browser, view, window, "phone")
    links = page.eval("Array.from(document.querySelectorAll('#sd-toc a'), (a) => a.getAttribute('href'))")
    assert len(links) == 12
    for href in (links[-1], links[3]):
        page.eval(
            f"document.querySelector('#sd-toc a[href=\"{href}\"]').click(); new Promise((r) => setTimeout(r, 400))"
        )
        got = page.eval(
            f"""[location.hash, window.top === window, scrollY,
                document.getElementById('sd-bar').getBoundingClientRect().bottom,
                document.querySelector('{href} h2').getBoundingClientRect().top,
                Array.from(document.querySelectorAll('iframe'), (f) => f.contentDocument.URL)]"""
        )
        hash_, top, scroll_y, bar_bottom, heading, urls = got
        assert hash_ == href and top and scroll_y > 0
        assert bar_bottom <= heading < SIZES[window][1] / 2, got[:5]  # below the sticky bar, not under it
        assert set(urls) == {"about:srcdoc"}  # no frame loaded the page itself


def test_night_mode_follows_the_system_until_the_button_says_otherwise(browser, view):
    page = open_view(browser, view, "desktop", "phone", dark=True)
    state = "[document.body.classList.contains('nightMode'), localStorage.getItem('studydeck-night'), document.getElementById('sd-night').getAttribute('aria-pressed')]"
    bodies = "Array.from(document.querySelectorAll('.sd-screen iframe'), (f) => f.contentDocument.body.className)"
    assert page.eval(state) == [True, None, "true"]
    frames(page)
    assert all(b.endswith(" nightMode night_mode") for b in page.eval(bodies))
    assert page.eval("getComputedStyle(document.body).backgroundColor") == "rgb(17, 18, 20)"
    page.eval("document.getElementById('sd-night').click(); 1")
    assert page.eval(state) == [False, "0", "false"]
    page.wait("studydeckCards.measured()")
    frames(page)
    assert not any("nightMode" in b for b in page.eval(bodies))
    page.eval("document.getElementById('sd-night').click(); 1")  # back to the system's choice: forgotten
    assert page.eval(state) == [True, None, "true"]
    page.dark(False)  # the system turns light: so does the view
    page.wait("!document.body.classList.contains('nightMode')")
    page.dark(True)
    page.wait("document.body.classList.contains('nightMode')")
    assert page.errors == []


AXE_PAGE = """(async () => {
  const all = ['<unsafe_all_origins>'];
  axe.configure({ allowedOrigins: all });
  for (const f of document.querySelectorAll('iframe')) { f.contentWindow.eval(AXE); f.contentWindow.axe.configure({ allowedOrigins: all }); }
  const r = await axe.run(document, { iframes: true, resultTypes: ['violations'] });
  const framed = (await axe.run(document, { iframes: true, resultTypes: ['passes'] })).passes.some((p) => p.nodes.some((n) => n.target.length > 1));
  return { framed, violations: r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length, first: JSON.stringify(v.nodes[0].target) })) };
})()"""

# Every side, one after another, in a frame of the viewport's size (the document a frame shows).
AXE_SIDES = """(async () => {
  const sides = studydeckCards.sides(), size = SIZE;
  const f = document.createElement('iframe');
  f.title = 'axe';
  f.style.cssText = `position:absolute;left:0;top:0;width:${size[0]}px;height:${size[1]}px;border:0`;
  f.srcdoc = studydeckCards.document(sides[0].id, 'front');
  await new Promise((r) => { f.onload = r; document.body.appendChild(f); });
  f.contentWindow.eval(AXE);
  const doc = f.contentDocument, out = [];
  for (const s of sides) {
    doc.body.className = s.bodyClass;
    doc.getElementById('qa').innerHTML = s.html;
    await Promise.all(Array.from(doc.images, (i) => i.complete || new Promise((r) => { i.onload = i.onerror = r; })));
    await doc.fonts.ready;
    const r = await f.contentWindow.axe.run(doc, { resultTypes: ['violations'] });
    for (const v of r.violations) if (v.impact === 'serious' || v.impact === 'critical')
      out.push(`${s.id} ${s.side}: ${v.id} (${v.impact}) ${v.nodes.length}: ${v.nodes[0].failureSummary}`);
  }
  f.remove();
  return out;
})()"""


@pytest.mark.parametrize("dark", [False, True], ids=["light", "night"])
@pytest.mark.parametrize("window", ["phone", "desktop"])
def test_axe_finds_no_serious_violation_on_the_view_or_any_side(browser, view, window, dark):
    axe = _axe()
    if axe is None:
        pytest.skip("no axe-core (npm install axe-core, or set STUDYDECK_AXE_CORE to its axe.min.js)")
    source = json.dumps(axe.read_text("utf-8"))
    page = open_view(browser, view, window, window, dark=dark)
    frames(page)
    page.eval(f"window.eval({source}); 1")
    # the page and the frames on screen, as one page: nothing at all
    got = page.eval(AXE_PAGE.replace("AXE", source), timeout=300)
    assert got["framed"] and got["violations"] == [], got
    # every side of every card in this mode and viewport: nothing serious
    size = json.dumps(list(VIEWPORTS[window]))
    assert page.eval(AXE_SIDES.replace("AXE", source).replace("SIZE", size), timeout=600) == []


def test_watch_mode_swaps_a_saved_entry_into_the_open_view_and_shows_it(browser, tmp_path):
    import signal

    from test_watch import Watching, _edit

    project = copy_project(tmp_path / "p")
    w = Watching(project, tmp_path)
    try:
        page = browser.page(*SIZES["desktop"])
        page.goto(f"http://127.0.0.1:{w.port}/cards")
        page.wait("window.studydeckCards && studydeckCards.measured()", 120)
        page.eval("document.querySelector('#sd-toc a[href=\"#entry-ingress\"]').click(); 1")
        page.eval("new Promise((r) => setTimeout(r, 300))")
        _edit(project / "entries" / "pod.yaml", "title: Pod\n", "title: Pod 워치\n")
        page.wait("document.getElementById('title-pod').textContent.startsWith('Pod 워치')", 60)
        page.wait("studydeckCards.measured()", 60)
        # the changed entry is brought into view (live.js), below the bar
        top, bar = page.eval(
            "[document.getElementById('entry-pod').getBoundingClientRect().top, document.getElementById('sd-bar').offsetHeight]"
        )
        assert bar <= top < SIZES["desktop"][1] / 2
        shown = frames(page)
        assert shown and all(f["url"] == "about:srcdoc" and f["body"].startswith("card card") for f in shown)
        assert "Pod 워치" in page.eval("studydeckCards.document('card-pod-pod-1', 'back')")
        assert len(page.eval("studydeckCards.results()")) == 88
        # a bad save shows the problems; the next good one brings the cards back
        _edit(project / "entries" / "pod.yaml", "group: object\n", "group: [object\n")
        page.wait("/문제 \\d+개/.test(document.body.textContent)", 60)
        _edit(project / "entries" / "pod.yaml", "group: [object\n", "group: object\n")
        page.wait("window.studydeckCards && document.getElementById('sd-main') && studydeckCards.measured()", 60)
        assert page.errors == []
    finally:
        w.proc.send_signal(signal.SIGINT)
        w.proc.wait(60)
