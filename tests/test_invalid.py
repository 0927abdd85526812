"""Bad input: one file per mistake in tests/data/invalid/, each with its exact message."""

from __future__ import annotations

import re

import pytest
from conftest import ROOT, copy_entry, copy_project, run_build, run_cli, small_project

INVALID = ROOT / "tests" / "data" / "invalid"
EXPECTED = {
    "alias": ["12:5: YAML syntax: aliases (*name) are not supported in entries\n      - *t\n        ^"],
    "complex-key": [
        "13:3: (top level): a key must be a plain word (one of id, title, group, tags, definitions, "
        "points, related, source, figure, renamed_from), not a list"
    ],
    "merge-key": ["5:1: YAML tag '!!merge' is not allowed; entries are plain data"],
    "bad-group": ["4:8: group: must be one of object, 개념, not 'objects'"],
    "bad-source": ["13:9: source: must be an https:// URL (at most 500 characters), not 'javascript:alert(1)'"],
    "bad-tag": ["13:8: tags[0]: tag 'two words' has a space or a quote; Anki tags are single words (use - or ::)"],
    "cloze-empty": ["8:12: definitions[0].text: cloze with an empty answer: '{{c1::}}'"],
    "cloze-too-deep": ["8:30: definitions[0].text: '{{c4::' is nested 4 deep; at most 3 levels are allowed"],
    "cloze-zero": ["8:12: definitions[0].text: cloze numbers start at 1: '{{c0::'"],
    "cloze-one-colon": ["8:12: definitions[0].text: '{{c1:' is not a cloze: did you mean '{{c1::'?"],
    "bad-url": ["13:9: source: must be an https:// URL (at most 500 characters), not 'https://[::1/docs'"],
    "cloze-in-folded-text": ["11:14: definitions[0].text: unbalanced cloze: '{{c2::' is never closed"],
    "cloze-too-high": [
        "8:24: definitions[0].text: '{{c501::': Anki makes at most 500 cards from a note, so "
        "cloze numbers go from 1 to 500"
    ],
    "control-character": [
        "8:24: definitions[0].text: character 13 is the invisible U+202E (RIGHT-TO-LEFT OVERRIDE); remove it"
    ],
    "custom-tag": ["3:8: YAML tag '!include' is not allowed; entries are plain data"],
    "duplicate-id": ["2:5: id: duplicate entry id 'pod' (also in entries/pod.yaml)"],
    "duplicate-key": ["9:5: definitions[1].key: duplicate definition key 'term' (also definitions[0])"],
    "empty": [" file is empty"],
    "empty-string": ["3:8: title: must not be empty"],
    "glyph-missing": [
        "3:11: title: '🚀' (U+1F680, character 4), '漢' (U+6F22, character 6), '字' (U+5B57, "
        "character 7) not in the bundled font, so the printed sheet cannot show it; use another "
        "character or add a font with it to templates/fonts/"
    ],
    "hint-colons": [
        "8:24: definitions[0].text: '::' twice in '{{c1::': Anki reads everything after the first '::' as the hint"
    ],
    "lone-surrogate": [
        "3:12: title: character 4 is a lone surrogate (U+D800), which is not text; remove it "
        "(check the file's encoding or a \\u escape)"
    ],
    "long-run": [
        "8:24: definitions[0].text: 120 characters without a space (a no-break space does not count); "
        "at most 100 can be set on a line: add spaces"
    ],
    "missing-field": ["2:1: title: required field is missing"],
    "no-cloze-no-term": [
        "8:11: definitions[0].text: has no cloze and the term '샘플' does not occur in it, so "
        "nothing can be deleted automatically; mark one with {{c1::...}}"
    ],
    "not-mapping": ["1:1: the top level must be a mapping of fields (id: ..., title: ...)"],
    "not-slug": ["2:5: id: 'Sample_Entry' is not a slug: use lowercase a-z, 0-9 and single hyphens"],
    "not-utf8": ["3:8: not UTF-8: byte 0xff at offset 62; save the file as UTF-8"],
    "python-tag": ["3:8: YAML tag '!!python/object:os.system' is not allowed; entries are plain data"],
    "related-and-other": [
        "4:8: group: must be one of object, 개념, not 'objects'",
        "13:11: related[0]: no entry has the id 'podd' (did you mean 'pod'?)",
    ],
    "related-missing": ["13:11: related[0]: no entry has the id 'podd' (did you mean 'pod'?)"],
    "tag-empty-level": ["5:8: tags[0]: tag 'k8s::::net' has an empty level; write levels as parent::child"],
    "template-braces": [
        "8:24: definitions[0].text: '{{' that is not a cloze: Anki would read it as template or "
        "cloze syntax; put it in `code` or write '{ {'"
    ],
    "too-few-points": ["10:3: points: has 1 items; write 3 to 6 key points"],
    "too-many-sources": ["14:3: source: has 5 URLs; give 1 to 4"],
    "too-large": [" file is 90,206 bytes; the limit is 65,536"],
    "unbalanced-cloze": ["8:24: definitions[0].text: unbalanced cloze: '{{c2::' is never closed"],
    "unknown-key": [
        "2:1: definitions: required field is missing",
        "5:1: defintions: unknown key 'defintions' (did you mean 'definitions'?)",
    ],
    "wrong-type": ["3:8: title: must be a string, not a number"],
    "yaml-colon": [
        "3:10: YAML syntax: mapping values are not allowed here (a ': ' inside a value: put the whole value "
        "in double quotes)\n    title: 샘플: 예시\n               ^"  # the line, a caret under the column (Hangul: 2 wide)
    ],
    "yaml-tab": [
        "11:1: YAML syntax: while scanning for the next token: found character '\\t' that cannot start any "
        "token (a tab: YAML indents with spaces only)\n     - 둘\n    ^"
    ],
    "yaml-control-character": [
        "3:10: an invisible control character U+0001 YAML does not allow; delete it\n    title: 샘플\\x01 예시\n"
        "               ^"
    ],
    "brace-value": [
        "8:21: YAML syntax: while parsing a block mapping: expected <block end>, but found '<scalar>' (a value that "
        "starts with '{' or '[' is read as YAML's own braces: put it in double quotes)\n"
        "        text: {{c1::샘플}}은 예시다.\n                          ^"
    ],
    "yaml-syntax": [
        "4:6: YAML syntax: while parsing a flow sequence: expected ',' or ']', but got ':'\n    group: object\n         ^"
    ],
}


def test_every_invalid_file_has_an_expected_message():
    assert sorted(p.stem for p in INVALID.glob("*.yaml")) == sorted(EXPECTED)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return copy_project(tmp_path_factory.mktemp("invalid") / "p")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_invalid_entry_gets_its_exact_message(project, name):
    target = project / "entries" / f"zz-{name}.yaml"
    copy_entry(INVALID / f"{name}.yaml", target)
    try:
        done = run_cli(project, "--check")
    finally:
        target.unlink()
    path = f"entries/zz-{name}.yaml"
    lines = "\n".join(f"{path}:{m}" for m in EXPECTED[name]).splitlines()  # a YAML error: its line and a caret
    assert done.returncode == 1
    assert done.stderr.splitlines() == lines + [f"{len(EXPECTED[name])} problem(s) in entries/; nothing was written"]
    assert done.stdout == ""


@pytest.mark.parametrize("suffix", [".YAML", ".yml", ".Yml"])
def test_an_entry_file_is_read_whatever_the_case_of_its_suffix(project, suffix):
    target = project / "entries" / f"zz-upper{suffix}"
    copy_entry(INVALID / "cloze-zero.yaml", target)
    try:
        done = run_cli(project, "--check")
    finally:
        target.unlink()
    assert done.returncode == 1
    assert done.stderr.splitlines()[0] == (
        f"entries/zz-upper{suffix}:8:12: definitions[0].text: cloze numbers start at 1: '{{{{c0::'"
    )


def test_all_problems_of_all_files_at_once_sorted_with_annotations(tmp_path):
    project = copy_project(tmp_path / "p")
    for name in ("wrong-type", "bad-group", "cloze-zero"):
        text = (
            (INVALID / f"{name}.yaml")
            .read_text("utf-8")
            .replace("id: sample", f"id: {name}")
            .replace("../../../entries/", "")
        )
        (project / "entries" / f"zz-{name}.yaml").write_text(text, "utf-8")
    done = run_build(project, "--check", env={"GITHUB_ACTIONS": "true"})
    assert done.returncode == 1
    assert done.stderr.splitlines()[:3] == [
        "entries/zz-bad-group.yaml:4:8: group: must be one of object, 개념, not 'objects'",
        "entries/zz-cloze-zero.yaml:8:12: definitions[0].text: cloze numbers start at 1: '{{c0::'",
        "entries/zz-wrong-type.yaml:3:8: title: must be a string, not a number",
    ]
    assert (
        "::error file=entries/zz-bad-group.yaml,line=4,col=8::group: must be one of object, 개념, not 'objects'"
    ) in done.stdout.splitlines()
    assert "Traceback" not in done.stderr


def test_an_entry_that_does_not_load_is_one_problem_not_one_per_link_to_it(tmp_path):
    """pod.yaml broken: its own problem, not also "no entry has the id 'pod'" in every entry that
    names it in related:."""
    project = copy_project(tmp_path / "p")
    pod = project / "entries" / "pod.yaml"
    pod.write_text(pod.read_text("utf-8") + "title: !!binary aGVsbG8=\n", "utf-8")
    done = run_cli(project, "--check")
    line = pod.read_text("utf-8").count("\n")
    assert (done.returncode, done.stderr.splitlines()) == (
        1,
        [
            f"entries/pod.yaml:{line}:8: YAML tag '!!binary' is not allowed; entries are plain data",
            "1 problem(s) in entries/; nothing was written",
        ],
    )
    pod.write_text("id: podd\n" + "x" * 70_000, "utf-8")  # an id there is no entry of: still reported
    done = run_cli(project, "--check")
    assert "related[0]: no entry has the id 'pod'" in done.stderr


def test_a_bom_is_accepted(tmp_path):
    project = copy_project(tmp_path / "p")
    path = project / "entries" / "pod.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    done = run_cli(project, "--check")
    assert done.returncode == 0, done.stderr


def test_debug_shows_the_traceback(tmp_path):
    project = copy_project(tmp_path / "p")
    copy_entry(INVALID / "bad-group.yaml", project / "entries" / "zz.yaml")
    done = run_build(project, "--check", "--debug")
    assert done.returncode != 0 and "Traceback" in done.stderr


def test_a_failure_while_making_the_sheet_leaves_dist_untouched(tmp_path):
    project = small_project(tmp_path / "p")
    assert run_build(project).returncode == 0
    before = {p.name: p.read_bytes() for p in (project / "dist").iterdir()}
    beta = project / "entries" / "beta.yaml"
    beta.write_text(beta.read_text("utf-8").replace("관련된 개념이다.", "관련이 있는 개념이다."), "utf-8")
    template = project / "templates" / "sheet.html.j2"
    template.write_text(template.read_text("utf-8").replace("{{ e.title }}", "{{ e.no_such_field }}"), "utf-8")
    done = run_build(project)
    line = template.read_text("utf-8").split("{{ e.no_such_field }}")[0].count("\n") + 1
    assert (done.returncode, done.stderr) == (
        1,
        f"templates/sheet.html.j2:{line}: UndefinedError: 'dict object' has no attribute 'no_such_field'\n",
    )
    assert {p.name: p.read_bytes() for p in (project / "dist").iterdir()} == before


def test_an_entry_that_disappears_while_the_build_reads_is_one_line(tmp_path, monkeypatch, capsys):
    """Listed, then renamed before it is read (an editor saving, a git checkout): one line."""
    from studydeck import cli
    from studydeck.gather import reads

    project = copy_project(tmp_path / "p")
    read = reads.Reads.bytes

    def racing(self, path):
        if path.name == "pod.yaml":
            raise FileNotFoundError(2, "No such file or directory", str(path))
        return read(self, path)

    monkeypatch.setattr(reads.Reads, "bytes", racing)
    monkeypatch.chdir(project)
    capsys.readouterr()
    assert cli.main(["--check", "-q"]) == 1
    assert capsys.readouterr().err.splitlines()[0] == (
        "entries/pod.yaml: the file disappeared while the build read it (renamed or deleted?); build again"
    )


def test_an_entry_whose_schema_line_leads_nowhere_gets_the_path_to_write(tmp_path):
    """An entry copied into a subfolder keeps `$schema=schema.json`, which leads nowhere from there:
    the editor then checks nothing, silently. The build says what to write instead."""
    project = small_project(tmp_path / "p")
    config = project / "pyproject.toml"  # no source-url: entries may live in subfolders
    config.write_text(re.sub(r"(?m)^source-url = .*\n", "", config.read_text("utf-8")), "utf-8")
    (project / "entries" / "more").mkdir()
    text = (project / "entries" / "beta.yaml").read_text("utf-8").replace("id: beta", "id: gamma")
    (project / "entries" / "more" / "gamma.yaml").write_text(text.replace("related: [alpha]\n", ""), "utf-8")
    done = run_cli(project, "--check", "--strict")
    assert done.returncode == 1
    assert done.stderr.splitlines()[0] == (
        "entries/more/gamma.yaml:1:33: warning: its $schema line leads to schema.json from this folder, not to "
        "entries/schema.json: the editor cannot check this file; write $schema=../schema.json"
    )
    fixed = text.replace("$schema=schema.json", "$schema=../schema.json").replace("related: [alpha]\n", "")
    (project / "entries" / "more" / "gamma.yaml").write_text(fixed, "utf-8")
    done = run_cli(project, "--check", "--strict")
    assert done.returncode == 0, done.stderr


def test_the_caret_sits_under_the_column_a_terminal_shows():
    """Hangul two columns wide; decomposed Hangul (NFD jamo) and combining accents join the
    character before them, as a terminal draws them."""
    import unicodedata

    from studydeck.errors import caret

    for word in ["가나", unicodedata.normalize("NFD", "가나"), "e\u0301e\u0301"]:
        line = f"    text: {word}: b"
        shown = caret(line, line.index(": b") + 1).splitlines()[1]
        assert len(shown) - 1 == 4 + 10 + (4 if "가" in unicodedata.normalize("NFC", word) else 2), (word, shown)
