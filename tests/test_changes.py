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


def test_a_changed_note_says_what_its_cards_now_ask(tmp_path):
    """Each changed note's line says what changed for the learner: the term and each answer that
    changed, old -> new, a new cloze number, or that only the wording did."""
    from conftest import SMALL_STEM, outputs, run_cli, small_project

    project = small_project(tmp_path / "p")
    assert run_cli(project, "--only", "deck").returncode == 0
    previous = tmp_path / "v0.1.0.lock"
    previous.write_bytes((project / "entries.lock").read_bytes())
    beta = project / "entries" / "beta.yaml"
    text = beta.read_text("utf-8").replace("term: 베타", "term: 베타 개념")
    beta.write_text(text.replace("{{c1::베타}}는 알파와", "{{c1::베타 개념}}은 {{c2::알파}}와"), "utf-8")
    done = run_cli(project, "--only", "deck", "--changes-since", str(previous))
    assert done.returncode == 0, done.stderr
    changes = outputs(project, SMALL_STEM)["changes"].read_text("utf-8")
    assert (
        "- `beta/beta` (`베타 개념`): term `베타` → `베타 개념`; c1 `베타` → `베타 개념`; c2 new, `알파`\n" in changes
    )


def test_the_release_notes_open_with_the_annotated_tags_message(tmp_path):
    """The author's own words: the message of the annotated tag being released, under the title;
    a lightweight tag adds nothing."""
    from conftest import SMALL_STEM, commit, git, outputs, run_cli, small_project

    project = small_project(tmp_path / "p", with_git=True)
    assert run_cli(project, "--only", "deck").returncode == 0
    git(project, "add", "-A")
    commit(project, "release", when=1_700_000_000)
    git(project, "tag", "-a", "v0.1.0", "-m", "첫 릴리스: 베타 카드를 다듬었다\n\n- 복습 기록은 그대로다.")
    git(project, "tag", "v0.1.1")  # lightweight
    done = run_cli(project, "--only", "deck", env={"STUDYDECK_VERSION": "v0.1.0"})
    assert done.returncode == 0, done.stderr
    changes = outputs(project, SMALL_STEM)["changes"].read_text("utf-8")
    assert changes.startswith(
        "# 꿹 스터디 0.1.0\n\n첫 릴리스: 베타 카드를 다듬었다\n\n- 복습 기록은 그대로다.\n\nNo note was"
    )
    done = run_cli(project, "--only", "deck", env={"STUDYDECK_VERSION": "v0.1.1"})
    assert outputs(project, SMALL_STEM)["changes"].read_text("utf-8").startswith("# 꿹 스터디 0.1.1\n\nNo note was")


def test_the_release_notes_are_in_the_decks_language(tmp_path):
    """language = "ko" (the default, and the shipped deck's): every word of CHANGES.md but Anki's
    menu names in Korean; each language says the same things (the same keys)."""
    from conftest import SMALL_STEM, outputs, run_cli, small_project

    from studydeck.outputs.changes import TEXT

    assert set(TEXT["ko"]) == set(TEXT["en"])
    project = small_project(tmp_path / "p")
    config = project / "pyproject.toml"
    config.write_text(config.read_text("utf-8").replace('language = "en"', 'language = "ko"'), "utf-8")
    assert run_cli(project, "--only", "deck").returncode == 0
    previous = tmp_path / "v0.1.0.lock"
    previous.write_bytes((project / "entries.lock").read_bytes())
    beta = project / "entries" / "beta.yaml"
    beta.write_text(beta.read_text("utf-8").replace("관련된 개념이다.", "관련이 있는 개념이다."), "utf-8")
    done = run_cli(project, "--only", "deck", "--changes-since", str(previous))
    assert done.returncode == 0, done.stderr
    changes = outputs(project, SMALL_STEM)["changes"].read_text("utf-8")
    assert "## 변경 (1)\n\n- `beta/beta` (`베타`): 표현만 바뀜, 답은 같음\n" in changes
    assert "파일 > 가져오기(File > Import)로 가져오세요." in changes and "노트 업데이트를 항상" in changes
    prose = re.sub(r"`[^`]*`|```.*?```", "", changes, flags=re.S)
    english = set(re.findall(r"\b[A-Za-z]{4,}\b", prose)) - {"File", "Import", "Browse", "Update", "notes", "Always"}
    english -= {"Anki", "GUID", "marked", "Tools", "Empty", "Cards", "Change", "Deck"}
    assert english == set(), english
