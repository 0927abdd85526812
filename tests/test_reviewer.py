"""The cards in Anki desktop's own reviewer: after "Show Answer" the revealed answer is on screen.

Anki's reviewer scrolls `#answer` into view when it shows the answer (ts/reviewer/index.ts:
scrollToAnswer). These tests run the real reviewer (the `aqt` package, offscreen; see
tests/anki_reviewer.py) on every card of the default deck and of tests/data/reviewer-project
(hints, a front figure, a definition's figure, a long code span, every field), at a desktop
window (1100x850) and a phone's width (400x820), in light and night mode, and read where each
cloze is once the reviewer has shown the side: every [...] of a question and every revealed
answer must be wholly inside the viewport.

Marked `reviewer`; skipped where aqt is not installed. .ci/run installs aqt[qt6] in a venv of
its own and runs `python -m pytest -m reviewer` there.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest
from anki_reviewer import MODES, SIZES, aqt_missing, review
from conftest import DECK_STEM, ROOT, copy_project, run_build

_MISSING = aqt_missing()
pytestmark = [pytest.mark.reviewer, pytest.mark.skipif(_MISSING is not None, reason=_MISSING or "")]

FIXTURE = Path(__file__).parent / "data" / "reviewer-project"
PROJECTS = {
    # name: (how to make the project, the package's file name)
    "default": (lambda dest: copy_project(dest), f"{DECK_STEM}.apkg"),
    "fixture": (lambda dest: _fixture_project(dest), "리뷰어-시험.apkg"),
}
CARDS = {"default": 88, "fixture": 10}


def _fixture_project(dest: Path) -> Path:
    """tests/data/reviewer-project with this checkout's tool (build.py, studydeck/, templates/)."""
    shutil.copytree(FIXTURE, dest)
    shutil.copy2(ROOT / "build.py", dest / "build.py")
    for folder in ("studydeck", "templates"):
        shutil.copytree(ROOT / folder, dest / folder, ignore=shutil.ignore_patterns("__pycache__"))
    return dest


@pytest.fixture(scope="module", params=list(PROJECTS))
def reviewed(request, tmp_path_factory):
    """(project name, every side of every card as the reviewer showed it, the project's lock)."""
    name = request.param
    make, apkg = PROJECTS[name]
    work = tmp_path_factory.mktemp(f"reviewer-{name}")
    project = make(work / "project")
    done = run_build(project, "--only", "deck", "--strict", "--out", str(work / "out"))
    assert done.returncode == 0, done.stderr
    lock = project / "entries.lock"
    sides = review(work / "out" / apkg, work / "anki", lock=lock)
    return name, sides, json.loads(lock.read_text("utf-8"))


def _report(failing: list, shown: list, what: str) -> str:
    """what, how many cards per size and mode, then one line per cloze off screen."""
    total = Counter((s.size, s.mode) for s in shown)
    cards = Counter((s.size, s.mode) for s in {id(s): s for s, _ in failing}.values())
    counts = ", ".join(f"{w}x{h} {m}: {cards[(w, h), m]} of {total[(w, h), m]}" for w, h in SIZES for m in MODES)
    return f"{what}; cards: {counts}\n  " + "\n  ".join(s.describe(c) for s, c in failing)


def test_every_card_is_shown_at_each_size_and_mode(reviewed):
    name, sides, lock = reviewed
    seen = Counter((s.size, s.mode, s.side) for s in sides)
    assert seen == {
        (size, mode, side): CARDS[name] for size in SIZES for mode in MODES for side in ("question", "answer")
    }
    for s in sides:
        where = s.describe()
        assert s.inner == s.size, where  # the web view is the size asked for
        assert ("nightMode" in s.body_class.split()) == (s.mode == "night"), where
        assert ("night-mode" in s.html_class.split()) == (s.mode == "night"), where
        assert s.clozes, f"{where}: no cloze on the page"
        assert {c["ordinal"] for c in s.clozes} == {s.cloze}, f"{where}: the page shows another card"
        assert all(i["loaded"] for i in s.images), f"{where}: an image did not load: {s.images}"
        assert "StudyDeck Sans" in s.fonts, f"{where}: the deck's font did not load: {s.fonts}"
        if s.side == "question":
            assert all(c["text"].startswith("[") for c in s.clozes), where
        else:
            assert s.answer_anchor is not None, where
            # the revealed text is the note's answer (entries.lock holds them)
            answer = lock["notes"][s.note]["answers"][str(s.cloze)]
            assert " / ".join(" ".join(c["text"].split()) for c in s.clozes) == answer, where


def test_the_revealed_answer_is_on_screen_after_show_answer(reviewed):
    _, sides, _ = reviewed
    answers = [s for s in sides if s.side == "answer"]
    failing = [(s, c) for s in answers for c in s.off_screen()]
    if failing:
        pytest.fail(_report(failing, answers, "revealed answers off screen after the reviewer's scroll"), pytrace=False)


def test_the_questions_blank_is_on_screen(reviewed):
    _, sides, _ = reviewed
    questions = [s for s in sides if s.side == "question"]
    failing = [(s, c) for s in questions for c in s.off_screen()]
    if failing:
        pytest.fail(_report(failing, questions, "blanks off screen on the question"), pytrace=False)


def test_no_page_scrolls_sideways_and_figure_text_is_never_under_12_px(reviewed):
    """A figure wider than the card scrolls in its own box (its text stays at least 12 px, the
    size the build computed from the SVG's smallest text); the page itself never scrolls sideways."""
    _, sides, _ = reviewed
    wide = [s.describe() + f": page {s.page[0]} px wide" for s in sides if s.page[0] > s.viewport[0]]
    assert wide == []
    small = [
        f"{s.describe()}: {i['src']} drawn {i['drawn']:.0f} px, readable from {i['readable']:.0f} px"
        for s in sides
        for i in s.images
        if i["drawn"] + 0.5 < i["readable"]
    ]
    assert small == []
    assert any(i["readable"] for s in sides for i in s.images), "no figure with text was measured"
