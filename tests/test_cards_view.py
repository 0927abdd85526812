"""The cards view shows every card as Anki shows it: checked card by card against Anki's engine."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import pytest
from conftest import DECK_STEM, copy_project, import_apkg, new_collection, outputs, run_build

from studydeck.anki import template


class _Text(HTMLParser):
    """The text a side shows: no <style>/<script>, whitespace collapsed; images as [img name]."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out, self.skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "script"):
            self.skip += 1
        elif tag == "img":
            self.out.append(f" [img {dict(attrs).get('src')}] ")
        elif tag in ("br", "div", "li", "hr", "p", "figure", "figcaption", "ul"):
            self.out.append(" ")

    def handle_endtag(self, tag):
        if tag in ("style", "script"):
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip:
            self.out.append(data)


def shown(fragment: str) -> str:
    parser = _Text()
    parser.feed(fragment)
    return " ".join("".join(parser.out).split())


_CARD = re.compile(r'<article class="sd-card"[^>]* data-note="([^"]*)" data-ord="(\d+)"[^>]*>(.*?)</article>', re.S)
_SIDE = re.compile(r'<template class="sd-html" data-side="(front|back)">(.*?)</template>', re.S)


def view_cards(path) -> dict:
    """(note, ordinal) -> {"front": html, "back": html}: the sides the cards view's frames show."""
    page = path.read_text("utf-8")
    return {(html.unescape(m[1]), int(m[2])): dict(_SIDE.findall(m[3])) for m in _CARD.finditer(page)}


@pytest.fixture(scope="module")
def anki_cards(built, tmp_path_factory):
    col = new_collection(tmp_path_factory.mktemp("anki"))
    import_apkg(col, built["apkg"])
    out = {}
    for cid in col.find_cards(""):
        card = col.get_card(cid)
        note = card.note()
        out[(f"{note['Id']}/{_key(note, built)}", card.ord + 1)] = (card.question(), card.answer())
    col.close()
    return out


def _key(note, built) -> str:
    """The definition key of an Anki note, from entries.lock (its GUID)."""
    import json

    lock = json.loads((built["project"] / "entries.lock").read_text("utf-8"))
    return next(name.split("/", 1)[1] for name, rec in lock["notes"].items() if rec["guid"] == note.guid)


def test_every_card_shows_the_same_text_as_in_anki(built, anki_cards):
    view = view_cards(built["project"] / "dist" / f"{DECK_STEM}-cards.html")
    assert len(anki_cards) == 88
    assert set(view) == set(anki_cards)
    for key, (question, answer) in anki_cards.items():
        assert shown(view[key]["front"]) == shown(question), key
        assert shown(view[key]["back"]) == shown(answer), key
    # what the comparison covers: blanks, hints, inactive clozes, figures
    fronts = " ".join(shown(v["front"]) for v in view.values())
    assert "[...]" in fronts and "[힌트]" not in fronts
    backs = " ".join(shown(v["back"]) for v in view.values())
    assert backs.count("[img studydeck-") == 22  # every card of the three entries with a figure


def test_hints_and_nested_clozes_render_as_anki_does(built, anki_cards):
    """Anki's own test cases (rslib/src/cloze.rs), through our copy of its renderer."""
    r = template.reveal_cloze_text
    assert r("foo {{c1::bar {{c2::baz}}}}", 2, True) == (
        'foo <span class="cloze-inactive" data-ordinal="1">bar '
        '<span class="cloze" data-cloze="baz" data-ordinal="2">[...]</span></span>'
    )
    assert r("foo {{c1::bar::qux}}", 1, True).endswith('data-ordinal="1">[qux]</span>')
    assert r("foo {{c1::bar {{c2::baz}}}}", 1, False) == (
        'foo <span class="cloze" data-ordinal="1">bar <span class="cloze-inactive" data-ordinal="2">baz</span></span>'
    )
    assert r("{{c2::x}}", 1, True) == ""  # no such card
    with pytest.raises(template.TemplateError):
        template.render("{{text:Text}}", {"Text": "x"}, 1, True)


def _pod_card(project, tmp_path, ordinal: int):
    """Build the deck; the cards view's cards, and Pod's card `ordinal` as Anki shows it (and the collection)."""
    done = run_build(project, "--only", "deck")
    assert done.returncode == 0, done.stderr
    view = view_cards(project / "dist" / f"{DECK_STEM}-cards.html")
    col = new_collection(tmp_path / "anki")
    import_apkg(col, outputs(project)["apkg"])
    card = next(col.get_card(c) for c in col.find_cards('"Id:pod" "Term:Pod"') if col.get_card(c).ord == ordinal - 1)
    return view, card, col


def test_a_hint_shows_in_the_view_as_in_anki(tmp_path):
    project = copy_project(tmp_path / "p")
    pod = project / "entries" / "pod.yaml"
    pod.write_text(pod.read_text("utf-8").replace("{{c2::가장 작은}}", "{{c2::가장 작은::크기}}"), "utf-8")
    view, card, col = _pod_card(project, tmp_path, 2)
    assert "[크기]" in shown(card.question())
    assert shown(view[("pod/pod", 2)]["front"]) == shown(card.question())
    col.close()


def test_anki_special_fields_show_as_in_anki_and_what_the_view_cannot_show_is_an_error(tmp_path):
    project = copy_project(tmp_path / "p")
    back = project / "templates" / "card" / "back.html"
    written = back.read_text("utf-8")
    back.write_text(written + '\n<div class="meta">{{Deck}} / {{Subdeck}} / {{Tags}} / {{Card}} / {{Type}}</div>\n')
    view, card, col = _pod_card(project, tmp_path, 1)
    assert "쿠버네티스 스터디::object / object / object " in shown(card.answer())
    assert " / Cloze / k8s-study-deck cloze" in shown(card.answer())
    assert shown(view[("pod/pod", 1)]["back"]) == shown(card.answer())
    col.close()

    back.write_text(written + "\n{{CardID}}\n", "utf-8")
    result = run_build(project, "--only", "deck")
    line = written.count("\n") + 2
    assert result.returncode == 1
    assert result.stderr.splitlines()[:2] == [
        f"templates/card/back.html:{line}:1: {{{{CardID}}}}: a card's id exists only once Anki has imported it",
        "the cards view cannot show these card templates as Anki would",
    ]
