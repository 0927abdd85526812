"""The worksheet: numbered blanks, no answer outside the key, every answer in the key."""

from __future__ import annotations

from conftest import SMALL_STEM, outputs, run_cli, small_project
from pdfcheck import ENTRIES, definition_tree, pages, reading_order, reading_text, segments, small_numbers, squash

from studydeck.gather import markup


def _card(tree, card: int):
    """One card's question as pieces: str (text shown, another card's deletions included, as Anki
    shows them) and ("blank", answer) for each outermost deletion of this card."""
    out = []
    for node in tree:
        if isinstance(node, markup.Cloze) and node.ordinal == card:
            out.append(("blank", markup.plain(node.children)))
        elif isinstance(node, (markup.Cloze, markup.Bold)):
            out += _card(node.children, card)
        else:
            out.append(node.text)
    return out


def _items():
    """The worksheet's items in order, one per card: (entry, definition, card, pieces); entries
    grouped as on the sheet, then file order; a definition's cards by cloze number."""
    return [
        (e, d, card, _card(definition_tree(d), card))
        for e in reading_order()
        for d in e["definitions"]
        for card in sorted(markup.ordinals(definition_tree(d)))
    ]


def _expected():
    """The blanks in worksheet order: (entry, definition, answer, the text just before it)."""
    out = []
    for e, d, _, pieces in _items():
        before = ""
        for piece in pieces:
            if isinstance(piece, tuple):
                out.append((e, d, piece[1], before))
                before = ""
            else:
                before += piece
    return out


def _split(path):
    """(question pages, key pages); the key starts at the heading 정답, on a page of its own or
    below the last questions (then that page is cropped in two)."""
    questions, key, in_key = [], [], False
    for page in pages(path):
        if in_key:
            key.append(page)
            continue
        lines = [s for s in segments(page) if s["size"] > 7.6 or s["top"] > 60]  # drop the running header
        head = next((s for s in lines if s["text"] == "정답" and s["size"] > 11), None)
        if head is None:
            questions.append(page)
            continue
        in_key = True
        cut = head["top"] - 2
        if any(s["top"] < cut for s in lines):
            questions.append(page.crop((0, 0, float(page.width), cut)))
        key.append(page.crop((0, cut, float(page.width), float(page.height))))
    return questions, key


def test_every_blank_has_a_number_in_order(built):
    questions, _ = _split(built["worksheet"])
    numbers = [n for page in questions for n in small_numbers(page)]
    assert numbers == list(range(1, len(_expected()) + 1))


def test_each_item_asks_what_one_card_asks_and_nothing_else(built):
    """Issue 23: an item holds the blanks of one card and only those; the note's other deletions
    are shown as Anki shows them on that card, so every item has one answer per blank."""
    questions, _ = _split(built["worksheet"])
    text = squash("".join(reading_text(p) for p in questions)).replace("\u2060", "")
    at, number = 0, 0
    for _entry, d, card, pieces in _items():
        expected = ""
        for piece in pieces:
            if isinstance(piece, tuple):
                number += 1
                expected += str(number)  # the blank's number, where the blank is
            else:
                expected += piece
        found = text.find(squash(expected), at)
        assert found >= 0, (d["key"], card, squash(expected)[:80])
        at = found + len(squash(expected))
    assert number == len(_expected()) > 80


def test_the_back_of_a_card_is_not_on_the_worksheet(built):
    questions, _ = _split(built["worksheet"])
    text = squash("".join(reading_text(p) for p in questions)).replace("\u2060", "")
    for entry in ENTRIES:  # titles, terms and points are the card's back: not on the worksheet
        assert squash(entry["points"][0]) not in text
        assert f"id:{entry['id']}" not in text


def test_the_key_lists_every_answer_with_its_number(built):
    _, key = _split(built["worksheet"])
    assert key, "no answer key"
    text = squash("".join(reading_text(p) for p in key))
    at = 0
    for number, (_, _, answer, _) in enumerate(_expected(), 1):
        found = text.find(f"{number}{squash(answer)}", at)
        assert found >= 0, (number, answer)
        at = found
    for entry in ENTRIES:
        assert f"id:{entry['id']}" in text and squash(entry["title"]) in text


def test_hints_are_printed_under_their_blank_and_the_answer_is_in_the_key(tmp_path):
    """The two-entry project's first blank, {{c1::kube-proxy::노드 컴포넌트 뷁}}, has a hint."""
    project = small_project(tmp_path / "p")
    done = run_cli(project, "--only", "worksheet")
    assert done.returncode == 0, done.stderr
    questions, key = _split(outputs(project, SMALL_STEM)["worksheet"])
    page = questions[0]
    hint = next(s for s in segments(page) if "노드 컴포넌트 뷁" in s["text"])
    assert hint["size"] < 7
    assert small_numbers(page)[0] == 1  # kube-proxy is the 1st blank; its number sits just above the hint
    above = [
        c
        for c in page.chars
        if c["size"] < 6.5 and c["text"].isdigit() and 0 < hint["top"] - c["top"] < 20 and abs(hint["x0"] - c["x0"]) < 2
    ]
    assert [c["text"] for c in above] == ["1"], above
    assert "1kube-proxy" in squash("".join(reading_text(p) for p in key))
    assert "kube-proxy" not in squash("".join(p.extract_text() for p in questions))


def test_the_key_starts_a_page_and_keeps_numbers_with_answers_and_ids_whole(built):
    """A worksheet handed out prints without its key: the key's heading is the first thing on its
    page. In the key, no line ends with a blank's number (it stays with its answer) or inside
    an id at a hyphen."""
    questions, key = _split(built["worksheet"])
    assert len(questions) + len(key) == len(pages(built["worksheet"]))  # no page holds both
    for page in key:
        for line in segments(page):
            last = line["chars"][-1]
            assert not (last["text"].isdigit() and last["size"] < 7.5 and "Bold" in last["fontname"]), line["text"]
            assert not line["text"].endswith("-") and "id:" not in line["text"][-4:], line["text"]


def test_a_blank_has_room_for_handwriting_and_one_of_a_few_lengths():
    """About 5 mm a syllable at the body's 8.6 pt, and a length that does not count the answer's
    syllables: answers of 1 to 12 syllables get 4 widths."""
    from studydeck.pdf.documents import blank_width

    mm_per_em = 8.6 * 25.4 / 72
    widths = {}
    for n in range(1, 13):
        width = blank_width("가" * n, column_em=60)
        assert (width - 1.0) * mm_per_em >= 5 * n * 0.98, n
        widths[n] = width
    assert len(set(widths.values())) == 4
    assert widths[1] == widths[3] and widths[4] == widths[5]


def test_the_instructions_mention_hints_only_when_there_are_some(tmp_path, built):
    """The two-entry project has a hint; the default deck has none."""
    from pdfcheck import ENTRIES as entries

    has_hints = any(d["text"].count("::") > d["text"].count("{{c") for e in entries for d in e["definitions"])
    intro = squash(pages(built["worksheet"])[0].extract_text())
    assert ("힌트" in intro) == has_hints
    project = small_project(tmp_path / "p")
    assert run_cli(project, "--only", "worksheet").returncode == 0
    assert "힌트입니다" in squash(pages(outputs(project, SMALL_STEM)["worksheet"])[0].extract_text())
