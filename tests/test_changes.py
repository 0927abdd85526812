"""CHANGES.md as GitHub shows it (release notes), and its searches run in Anki's own browser."""

from __future__ import annotations

import re

import pytest
from conftest import copy_project, import_apkg, new_collection, outputs, run_build
from markdown_it import MarkdownIt

from studydeck.outputs.changes import code

HOSTILE_TERM = 'R&D *x_y* "q" [a](https://evil.example) @octocat #12 <b>b</b> `t` :smile: www.evil.example \\s'


def _github(markdown: str) -> str:
    return MarkdownIt("gfm-like").render(markdown)  # CommonMark + GitHub's tables, strikethrough, autolinks


def _outside_code(html: str) -> str:
    return re.sub(r"<code>.*?</code>", "", html, flags=re.S)


@pytest.mark.parametrize("text", ["Pod", "a`b", "``", "`x`", " lead", "a\nb", "``a`", "<b>x</b> @me"])
def test_code_spans_hold_any_text_exactly(text):
    html = _github(code(text))
    inner = re.fullmatch(r"<p><code>(.*)</code></p>\n", html, flags=re.S)
    import html as htmllib

    assert inner and htmllib.unescape(inner.group(1)) == " ".join(text.split()), html


def test_entry_text_in_the_release_notes_is_never_live_and_its_search_finds_the_note(tmp_path):
    project = copy_project(tmp_path / "p")
    pod = project / "entries" / "pod.yaml"
    text = pod.read_text("utf-8")
    term = HOSTILE_TERM.replace("\\", "\\\\").replace('"', '\\"')
    extra = f'  - key: hostile\n    term: "{term}"\n    text: "{{{{c1::위험}}}}한 용어 {term}"\n'
    pod.write_text(text.replace("points:\n", extra + "points:\n", 1), "utf-8")
    assert run_build(project, "--only", "deck").returncode == 0
    v1 = tmp_path / "v1.apkg"
    v1.write_bytes(outputs(project)["apkg"].read_bytes())
    changes = outputs(project)["changes"].read_text("utf-8")
    html = _github(changes)
    for needle in ("evil.example", "octocat", "<b>", "smile", "#12"):
        assert needle not in _outside_code(html), needle
    assert "<a " not in html and "<img" not in html and "<b>b</b>" not in html

    pod.write_text(text, "utf-8")  # the definition removed in the next version
    done = run_build(project, "--only", "deck", "--accept-removals")
    assert done.returncode == 0, done.stderr
    changes = outputs(project)["changes"].read_text("utf-8")
    line = next(ln for ln in changes.splitlines() if ln.startswith("- `pod/hostile`"))
    search = re.search(r"search (`+) ?(.*?) ?\1$", line).group(2)
    col = new_collection(tmp_path / "anki")
    import_apkg(col, v1)
    found = col.find_notes(search)
    assert len(found) == 1 and col.get_note(found[0])["Text"].startswith("{{c1::위험}}")
    col.close()
    assert "<a " not in _github(changes) and "octocat" not in _outside_code(_github(changes))
