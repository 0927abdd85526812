"""Entry text is data: nothing in it becomes live HTML, script, a link, or a file read."""
from __future__ import annotations

import html as htmllib
import re

import pypdf
import pytest

from conftest import ROOT, copy_project, import_apkg, outputs, run_build
from studydeck import pdf, sheet
from studydeck.errors import BuildError

POISON = [
    '<script>alert(1)</script>',
    '<img src="file:///etc/passwd" onerror="alert(2)">',
    '<a rel="attachment" href="file:///etc/passwd">x</a>',
    '<link rel="attachment" href="../pyproject.toml">',
    'javascript:alert(3)',
    '<style>@import url(file:///etc/passwd);</style>',
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
    project = copy_project(tmp_path / "p")
    points = "\n".join(f"  - '{p.replace(chr(39), chr(39) * 2)}'" for p in POISON[1:4])
    (project / "entries" / "poison.yaml").write_text(POISONED % (POISON[0] + " " + POISON[4] + " " + POISON[5],
                                                               points), "utf-8")
    done = run_build(project)
    assert done.returncode == 0, done.stderr
    paths = outputs(project)

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
    assert 'href="javascript:' not in page and "<img" not in page
    assert htmllib.escape(POISON[0]) in page

    reader = pypdf.PdfReader(paths["pdf"])
    assert reader.attachments == {}
    text = "".join(p.extract_text() for p in reader.pages)
    assert "alert(1)" in text  # shown as text, never run
    assert not any("/Annots" in p and any(a.get_object().get("/Subtype") == "/FileAttachment"
                                          for a in p["/Annots"]) for p in reader.pages)


@pytest.mark.parametrize("tag", [
    '<img src="file:///etc/hostname">',
    '<link rel="attachment" href="file:///etc/hostname">',
    '<img src="https://example.invalid/x.png">',
    '<img src="../pyproject.toml">',
])
def test_sheet_fetcher_refuses_anything_outside_templates(tag):
    page = f"<html><body><p>x</p>{tag}</body></html>"
    with pytest.raises(BuildError) as err:
        pdf.render({"x": lambda fit: sheet.Document(page, {}, {})}, ROOT / "templates", 1_700_000_000, 2)
    assert "the sheet asked for a file it may not load" in str(err.value)
