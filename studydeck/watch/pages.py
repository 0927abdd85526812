"""The watch's pages, made in memory from the files as they are: the preview, then the cards
view, or, while the files have problems, the page that lists them."""

from __future__ import annotations

import html
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from studydeck.errors import StudydeckError
from studydeck.model import Options
from studydeck.watch.state import State, internal


class Pages:
    def __init__(self, options: Options, state: State, say: Callable[[str], None]):
        self.options, self.state, self.say = options, state, say
        self.paths: dict[str, list[str]] = {}  # entry file -> its entry ids, from the last good draft

    def refresh(self, changed_files: list[str]) -> bool:
        """Make the preview, then the cards view, from the files as they are now; True if they are good."""
        from studydeck import fonts
        from studydeck.gather.project import draft
        from studydeck.gather.reads import Reads
        from studydeck.outputs.cards import Cards, check_templates
        from studydeck.outputs.preview import Preview

        started = time.perf_counter()
        try:
            live = (self.options.root / "templates" / "live.js").read_text("utf-8")
        except OSError:
            live = ""
        try:
            project = draft(self.options, Reads(self.options.root), int(time.time()))
            check_templates(project)  # the cards view's one way to fail: now, not after the page
            _, preview = Preview().prepare(project)
            font_css = fonts.css(project.web_fonts, url=fonts.WebFont.data_url)
            problems = []
        except StudydeckError as exc:
            problems = [str(p) for p in exc.problems] or [str(exc)]
        except Exception as exc:  # a bug of ours: shown like a problem, and the watch goes on
            problems = [internal(exc)]
        error_page = _error_page(problems, self.options.root, live) if problems else ""
        with self.state.lock:
            s = self.state
            s.version += 1
            s.built = datetime.now().strftime("%H:%M:%S")
            s.problems, s.error_page, s.live = problems, error_page, live
            if not problems:
                s.preview, s.font_css = preview, font_css
                self.paths = {}
                for e in project.entries:
                    self.paths.setdefault(e.path, []).append(e.id)
            s.changed = [i for f in changed_files for i in self.paths.get(f, [])]
            s.lock.notify_all()
        took = time.perf_counter() - started
        if problems:
            self.say(f"{len(problems)} problem(s); the page shows them, dist/ keeps the last good outputs:")
            for problem in problems:
                for line in problem.split("\n"):  # a YAML error's excerpt and caret: lines of their own
                    self.say(f"  {line}")
            return False
        self.say(f"preview updated in {took:.2f} s" + (f" ({', '.join(s.changed)})" if s.changed else ""))
        self._warnings(project)
        try:
            _, cards = Cards().prepare(project)  # the cards view follows the preview (a request for it waits)
        except Exception as exc:
            self.say(f"  {internal(exc)}")
            cards = f"<!DOCTYPE html><title>cards</title><p>{html.escape(internal(exc))}</p>"
        with self.state.lock:
            self.state.cards, self.state.cards_version = cards, s.version
            self.state.lock.notify_all()
        return True

    def _warnings(self, project) -> None:
        """Card-quality warnings, after the preview (they cost a third of its time at 1,000
        entries): when they change, the page hears of it and shows them above itself."""
        from studydeck.gather.project import draft_warnings

        try:
            warnings = [str(w) for w in draft_warnings(project)]
        except StudydeckError:
            warnings = []  # a damaged lock: the background build says so
        with self.state.lock:
            s = self.state
            if warnings == s.warnings:
                return
            s.version += 1
            s.warnings, s.changed = warnings, []
            s.lock.notify_all()
        for line in warnings:  # at once, as the page shows them (the build repeats them later)
            self.say(f"  {line}")


def _error_page(problems: list[str], root: Path, live: str) -> str:
    """The page while the files have problems: each as the terminal shows it, file:line:col first.
    It is set in the bundled font, subset to its own characters (a message may quote any entry).
    It is not made from templates/: a broken template is one of the problems it must show."""
    from studydeck import fonts
    from studydeck.gather.project import FONT_CACHE
    from studydeck.gather.reads import Reads

    title = f"문제 {len(problems)}개"
    note = "파일을 고치면 이 페이지가 저절로 원래대로 돌아옵니다. dist/에는 마지막으로 성공한 빌드의 결과가 그대로 있습니다."
    text = frozenset(title + note + "".join(problems) + live)  # live.js: the status bar's words
    try:
        faces = fonts.web_fonts(Reads(root), root / "templates", text, text, root / FONT_CACHE)
        font_css = fonts.css(faces, url=fonts.WebFont.data_url)
    except (StudydeckError, OSError):
        font_css = ""
    items = "\n".join(f"<li><code>{html.escape(p)}</code></li>" for p in problems)
    return f"""<!DOCTYPE html>
<html lang="ko"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
{font_css}
body {{ margin: 0; padding: 1.25rem; background: #fff8f7; color: #3b0a06;
       font-family: "StudyDeck Sans", "Pretendard", sans-serif; word-break: keep-all; }}
h1 {{ font-size: 1.3rem; margin: 0 0 0.5rem; }}
ul {{ padding-left: 1.2rem; }}
li {{ margin: 0.5rem 0; }}
code {{ font-family: "StudyDeck Mono", "StudyDeck Sans", monospace; white-space: pre-wrap; overflow-wrap: anywhere; }}
</style></head>
<body class="sd-error">
<h1>{title}</h1>
<p>{note}</p>
<ul>
{items}
</ul>
</body></html>
"""
