"""Entry text is data: nothing in it becomes live HTML, script, a link, or a file read."""

from __future__ import annotations

import html as htmllib
import re

import pypdf
import pytest
from conftest import ROOT, SMALL_STEM, copy_project, import_apkg, outputs, run_build, run_cli, small_project

from studydeck.errors import BuildError
from studydeck.pdf import documents, render

POISON = [
    "<script>alert(1)</script>",
    '<img src="file:///etc/passwd" onerror="alert(2)">',
    '<a rel="attachment" href="file:///etc/passwd">x</a>',
    '<link rel="attachment" href="../pyproject.toml">',
    "javascript:alert(3)",
    "<style>@import url(file:///etc/passwd);</style>",
]
POISONED = """# yaml-language-server: $schema=schema.json
id: poison
title: '<b onmouseover="alert(4)">독</b>'
group: 개념
definitions:
  - key: a
    term: 독
    text: '{{c1::독}}은 위험하다. %s'
points:
%s
"""


def test_poisoned_entry_reaches_no_field_page_or_pdf_as_markup(tmp_path, collection):
    project = small_project(tmp_path / "p")  # the entry is the subject: two others beside it
    points = "\n".join(f"  - '{p.replace(chr(39), chr(39) * 2)}'" for p in POISON[1:4])
    (project / "entries" / "poison.yaml").write_text(
        POISONED % (POISON[0] + " " + POISON[4] + " " + POISON[5], points), "utf-8"
    )
    done = run_build(project)
    assert done.returncode == 0, done.stderr
    paths = outputs(project, SMALL_STEM)

    import_apkg(collection, paths["apkg"])
    note = collection.get_note(collection.find_notes('"Id:poison"')[0])
    for value in note.values():
        for tag in ("<script", "<img", "<a ", "<link", "<style"):
            assert tag not in value.lower()
        assert not re.search(r"<[^>]*\son\w+=", value)  # no event handler inside a real tag
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in note["Text"]
    answer = note.cards()[0].answer()
    assert "<script>alert(1)" not in answer and "<img src" not in answer

    page = paths["html"].read_text("utf-8")
    for p in POISON:
        if "<" in p:
            assert p not in page
    assert 'href="javascript:' not in page
    # the only images are the figures of the entries that have one, as data: URLs
    assert re.findall(r"<img [^>]*", page) and all(
        re.match(r'<img src="data:image/svg\+xml;base64,[A-Za-z0-9+/=]+" alt="[^"<>]*" width="\d+" height="\d+"', tag)
        for tag in re.findall(r"<img [^>]*", page)
    )
    assert htmllib.escape(POISON[0]) in page

    reader = pypdf.PdfReader(paths["pdf"])
    assert reader.attachments == {}
    text = "".join(p.extract_text() for p in reader.pages)
    assert "alert(1)" in text  # shown as text, never run
    assert not any(
        "/Annots" in p and any(a.get_object().get("/Subtype") == "/FileAttachment" for a in p["/Annots"])
        for p in reader.pages
    )


@pytest.mark.parametrize(
    "tag",
    [
        '<img src="file:///etc/hostname">',
        '<link rel="attachment" href="file:///etc/hostname">',
        '<img src="https://example.invalid/x.png">',
        '<img src="../pyproject.toml">',
    ],
)
def test_sheet_fetcher_refuses_anything_outside_templates(tag):
    page = f"<html><body><p>x</p>{tag}</body></html>"
    with pytest.raises(BuildError) as err:
        render.render({"x": documents.Document("sheet", page, {}, 2)}, ROOT / "templates")
    assert "the sheet asked for a file it may not load" in str(err.value)


ANKI_SYNTAX = """# yaml-language-server: $schema=schema.json
id: syntax
title: "[sound:title.mp3] {{Text}}"
group: 개념
definitions:
  - key: a
    term: "R&D [sound:term.mp3] std::vector"
    text: >-
      {{c1::[sound:answer.mp3]}} [anki:tts lang=ko_KR]읽어[/anki:tts] [$]x^2[/$] [latex]y[/latex]
      [[type:Text]] {{c2::a `{{c9::b}}` c}} \\\\(x\\\\) 끝.
  - key: b
    term: "std::vector"
    text: 가변 배열은 std::vector다.
points:
  - "[sound:point.mp3] `[anki:tts]x[/anki:tts]`"
  - 둘
  - 셋
"""


def test_anki_s_own_syntax_in_any_field_reaches_the_card_as_text(tmp_path, collection):
    project = copy_project(tmp_path / "p")
    (project / "entries" / "syntax.yaml").write_text(ANKI_SYNTAX, "utf-8")
    done = run_cli(project, "--only", "deck")
    assert done.returncode == 0, done.stderr
    import_apkg(collection, outputs(project)["apkg"])
    notes = [collection.get_note(n) for n in collection.find_notes('"Id:syntax"')]
    assert len(notes) == 2
    cards = [c for n in notes for c in n.cards()]
    assert len(cards) == 3  # c1, c2 of the first; the second's auto-cloze: c9 inside code is text
    for card in cards:
        assert card.question_av_tags() == [] and card.answer_av_tags() == []  # no sound, no TTS
        for side in (card.question(), card.answer()):
            assert "<img" not in side  # no LaTeX image
            assert "type-in" not in side and "typeans" not in side
    first = next(n for n in notes if n["Term"].startswith("R&amp;D"))
    c1 = next(c for c in first.cards() if c.ord == 0)
    from test_deck import visible

    assert visible(c1.question()).startswith("[...] [anki:tts lang=ko_KR]읽어[/anki:tts] [$]x^2[/$] [latex]y[/latex]")
    assert "[sound:answer.mp3]" in visible(c1.answer())
    assert visible(next(c for c in first.cards() if c.ord == 1).answer()).count("a {{c9::b}} c") == 1
    second = next(n for n in notes if n is not first)
    assert visible(second.cards()[0].question()).strip() == "가변 배열은 [...]다."  # the whole term, '::' and all
    assert "std::vector" in visible(second.cards()[0].answer())
    assert 'class="cloze-text mathjax_ignore tex2jax_ignore"' in c1.question()  # \(x\) is never typeset


def test_a_term_only_in_code_is_clozed_and_checked_alike(tmp_path):
    project = copy_project(tmp_path / "p")
    path = project / "entries" / "rolling-update.yaml"
    text = path.read_text("utf-8").replace(
        "  - key: max-surge\n",
        "  - key: undo\n    term: kubectl rollout undo\n"
        "    text: 되돌릴 때는 `kubectl rollout undo`를 쓴다.\n  - key: max-surge\n",
    )
    path.write_text(text, "utf-8")
    assert run_cli(project, "--check", "--accept-removals").returncode == 0
    done = run_cli(project, "--only", "deck")
    assert done.returncode == 0, done.stderr
