"""The worksheet: numbered blanks, no answer outside the key, every answer in the key."""

from __future__ import annotations

from conftest import SMALL_STEM, outputs, run_cli, small_project
from pdfcheck import ENTRIES, definition_tree, pages, reading_order, reading_text, segments, small_numbers, squash

from studydeck.gather import markup


def _outer_clozes(tree):
    """(answer, text just before it) for every outermost cloze, in reading order."""
    out, before = [], ""
    for node in tree:
        if isinstance(node, markup.Cloze):
            out.append((markup.plain(node.children), before))
            before = ""
        elif isinstance(node, markup.Bold):
            inner = _outer_clozes(node.children)
            out += inner
            before = markup.plain(node.children) if not inner else ""
        else:
            before += node.text
    return out


def _expected():
    """The blanks in worksheet order: entries grouped as on the sheet, then file order."""
    ordered = reading_order()
    return [
        (e, d, answer, before)
        for e in ordered
        for d in e["definitions"]
        for answer, before in _outer_clozes(definition_tree(d))
    ]


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


def test_no_answer_is_shown_in_the_questions(built):
    questions, _ = _split(built["worksheet"])
    text = squash("".join(p.extract_text() for p in questions))
    visible = squash(" ".join(markup.plain(markup.parse(d["text"])) for e in ENTRIES for d in e["definitions"]))
    strict = 0
    for _entry, d, answer, before in _expected():
        # not in its place: the words before the blank are followed by a number, not the answer
        if squash(before):
            assert squash(before)[-6:] + squash(answer) not in text, (d["key"], answer)
        # an answer that no question's own text uses must not appear anywhere outside the key
        blanked = markup.plain(tuple(n for n in definition_tree(d) if not isinstance(n, markup.Cloze)))
        if squash(answer) not in squash(blanked) and visible.count(squash(answer)) == 1:
            strict += 1
            assert squash(answer) not in text, answer
    assert strict > 30
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
