"""[tool.studydeck] as a careless or hostile author writes it: one clear line, before anything is made."""

from __future__ import annotations

import re

import pytest
from conftest import DECK_STEM, commit, copy_project, git, run_build, run_cli, small_project

DECK = 'deck = "쿠버네티스 스터디"'
SOURCE = 'guid-prefix = "k8s-study-deck"'


@pytest.mark.parametrize(
    "old, new, message",
    [
        (DECK, 'deck = "Study 🎉"',
         "[tool.studydeck] deck: '🎉' (U+1F389) not in the bundled font, so the sheets cannot show it"),
        (DECK, 'deck = "a\\u0000b"', "[tool.studydeck] deck: character 2 is the invisible U+0000"),
        (DECK, 'deck = "' + "가" * 81 + '"', "[tool.studydeck] deck is 81 characters; at most 80"),
        ('label = "개념"', 'label = "   "', "[[tool.studydeck.groups]] #2 label is blank"),
        ('name = "개념"', 'name = "OBJECT"', "[[tool.studydeck.groups]] #2 name 'OBJECT' is used twice (but for case"),
        ('subdeck = "개념"', 'subdeck = "object"', "[[tool.studydeck.groups]] #2 subdeck 'object' is also another group's"),
        ('subdeck = "개념"', 'subdeck = "OBJECT"', "[[tool.studydeck.groups]] #2 subdeck 'OBJECT' is also another group's (Anki does not tell decks apart by case"),
        ('subdeck = "object"', 'subdeck = "\u1100\u1161\u11a8"', "[[tool.studydeck.groups]] #1 subdeck '\u1100\u1161\u11a8' is not a deck name Anki keeps: it would store '\uac01' (NFC"),
        (DECK, 'deck = "쿠버네티스\t스터디"', "[tool.studydeck] deck '쿠버네티스\\t스터디' is not a deck name Anki keeps: it would store '쿠버네티스스터디'"),
        (SOURCE, SOURCE + '\nsource-url = "https://github.com/o/r/blob/v{{version}}/"',
         "[tool.studydeck] source-url must not hold braces (the card template would read them"),
        (SOURCE, SOURCE + '\nsource-url = "https://github.com/o/r/blob/v{version}/"',
         "[tool.studydeck] source-url cannot hold {version}"),
        (SOURCE, SOURCE + '\nchanges-url = "https://github.com/o/r/releases/tag/{x}"',
         "[tool.studydeck] changes-url must not hold braces other than {version}"),
    ],
)  # fmt: skip
def test_a_bad_setting_is_one_line_and_check_finds_it(tmp_path, old, new, message):
    project = copy_project(tmp_path / "p")
    config = project / "pyproject.toml"
    text = config.read_text("utf-8")
    assert old in text
    config.write_text(text.replace(old, new, 1), "utf-8")
    for args in (["--check"], []):
        done = run_cli(project, *args)
        assert done.returncode == 2, done.stderr
        line = text[: text.index(old)].count("\n") + 1 + new.count("\n")  # the setting's own line
        assert done.stderr.startswith(f"error: pyproject.toml:{line}:1: {message}"), done.stderr
        assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert not (project / "dist").exists()


def test_the_deck_name_stays_text_in_the_release_notes(tmp_path):
    project = copy_project(tmp_path / "p")
    config = project / "pyproject.toml"
    config.write_text(config.read_text("utf-8").replace(DECK, 'deck = "<b>K8s</b> @team #12"', 1), "utf-8")
    done = run_build(project, "--only", "deck")
    assert done.returncode == 0, done.stderr
    first = next((project / "dist").glob("*.md")).read_text("utf-8").splitlines()[0]
    assert first == "# \\<b\\>K8s\\<\\/b\\> \\@team \\#12 0.1.0"
    assert DECK_STEM not in first


def _released(path):
    """A small project with its first release: built, committed, tagged v0.1.0."""
    project = small_project(path, with_git=True)
    assert run_cli(project, "--only", "deck").returncode == 0
    _tag(project, "v0.1.0", when=1_700_000_000)
    return project


def _tag(project, tag, when):
    git(project, "add", "-A")
    commit(project, f"release {tag}", when=when)
    git(project, "tag", tag)


@pytest.mark.parametrize(
    "old, new, setting, left, message",
    [
        (
            'guid-prefix = "every-field"',
            'guid-prefix = "every-field-2"',
            "guid-prefix",
            "every-field",
            "guid-prefix changed since the release v0.1.0 ('every-field' -> 'every-field-2'): the note type would "
            "get a new id, and Anki would import every released note as a conflict, not an update",
        ),
        (
            'deck = "꿹 스터디"',
            'deck = "꿹 스터디 2"',
            "deck",
            "꿹 스터디",
            "deck renamed since the release v0.1.0 ('꿹 스터디' -> '꿹 스터디 2'): Anki matches decks by name",
        ),
        (
            'subdeck = "쓔"',
            'subdeck = "쓔 2"',
            "subdeck",
            "쓔",
            "group 'object': subdeck renamed since the release v0.1.0 ('쓔' -> '쓔 2'): Anki matches decks by name",
        ),
        (  # the group renamed together with its subdeck: the released subdeck is gone all the same
            'name = "object"',
            'name = "objects"',
            "subdeck",
            "쓔",
            "the subdeck '쓔' of the release v0.1.0 is gone (no group has it): Anki matches decks by name",
        ),
    ],
)
def test_a_setting_learners_depend_on_stays_after_a_release_unless_the_author_means_it(
    tmp_path, old, new, setting, left, message
):
    """guid-prefix, deck and subdecks as the latest v* tag's pyproject.toml had them: leaving a
    released value is refused at its line with what it would do to learners' collections (a
    changed guid-prefix: Anki imports every note as a conflict, measured with the anki package),
    unless accept-changes names the value left; and only that value: after the next release the
    same line accepts no further change."""
    project = _released(tmp_path / "p")
    config = project / "pyproject.toml"
    text = config.read_text("utf-8")
    assert old in text
    renamed_group = new == 'name = "objects"'
    if renamed_group:  # the group and its subdeck renamed together, its entry moved with it
        new = 'name = "objects"\nlabel = "뛣 오브젝트"\nsubdeck = "쓔 2"'
        text = re.sub(r'name = "object"\nlabel = .*\nsubdeck = "쓔".*', new, text)
        entry = project / "entries" / "alpha.yaml"
        entry.write_text(entry.read_text("utf-8").replace("group: object\n", "group: objects\n"), "utf-8")
    else:
        text = text.replace(old, new)
    config.write_text(text, "utf-8")
    done = run_cli(project, "--check")
    marker = "[[tool.studydeck.groups]]" if renamed_group else new
    line = next(n for n, t in enumerate(text.splitlines(), 1) if t.startswith(marker))
    pin = f'accept-changes = {{ {setting} = "{left}" }}'
    assert done.returncode == 2
    assert done.stderr.startswith(f"error: pyproject.toml:{line}:1: {message}"), done.stderr
    assert done.stderr.rstrip().endswith(f"put it back, or add {pin} to [tool.studydeck] if that is meant")
    assert len(done.stderr.splitlines()) == 1
    text = text.replace("[tool.studydeck]\n", f"[tool.studydeck]\n{pin}\n")
    config.write_text(text, "utf-8")
    done = run_cli(project, "--only", "deck")
    assert done.returncode == 0, done.stderr
    _tag(project, "v0.2.0", when=1_700_000_100)
    assert run_cli(project, "--check").returncode == 0  # the pin stays, harmless
    config.write_text(text.replace("2", "3") if setting != "subdeck" else text.replace("쓔 2", "쓔 3"), "utf-8")
    done = run_cli(project, "--check")
    assert done.returncode == 2, "the pin of v0.1.0's value accepted leaving v0.2.0's"
    assert "release v0.2.0" in done.stderr, done.stderr


def test_two_groups_swapping_their_subdecks_after_a_release_is_refused(tmp_path):
    """Each released subdeck still exists, but each group's cards would stay where they are while
    its new cards go to the other's: refused at the first group's subdeck line."""
    project = _released(tmp_path / "p")
    config = project / "pyproject.toml"
    text = config.read_text("utf-8")
    text = text.replace('subdeck = "쓔"', 'subdeck = "@@"').replace('subdeck = "개념"', 'subdeck = "쓔"')
    text = text.replace('subdeck = "@@"', 'subdeck = "개념"')
    config.write_text(text, "utf-8")
    done = run_cli(project, "--check")
    line = next(n for n, t in enumerate(text.splitlines(), 1) if t.startswith('subdeck = "개념"'))
    assert done.returncode == 2
    assert done.stderr.startswith(
        f"error: pyproject.toml:{line}:1: group 'object': subdeck renamed since the release v0.1.0 ('쓔' -> '개념')"
    ), done.stderr
