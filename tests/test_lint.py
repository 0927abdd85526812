"""Card-quality warnings: each rule, its pinned message, a file that triggers it and a near miss."""

from __future__ import annotations

import pytest
from conftest import ROOT, copy_entry, copy_project, run_build, run_cli

LINT = ROOT / "tests" / "data" / "lint"
EXPECTED = {
    "giveaway-gloss": "8:12: definitions[0].text: warning: '(Ingress)' after c1 glosses its answer '인그레스' on the "
    "front; move the gloss to the points (the card's back) [giveaway]",
    "giveaway-gloss-before": "8:46: definitions[0].text: warning: '(single point of failure)' before c1 glosses its "
    "answer 'SPoF' on the front; move the gloss to the points (the card's back) [giveaway]",
    "giveaway-elsewhere": "8:12: definitions[0].text: warning: the answer of c1 ('Service') is written out "
    "elsewhere on its front; reword that part, or delete it in the same card [giveaway]",
    "giveaway-other-cloze": "8:12: definitions[0].text: warning: the answer of c1 ('PV') is written out elsewhere "
    "on its front; reword that part, or delete it in the same card [giveaway]",
    "long-answer": "8:21: definitions[0].text: warning: c1 hides 25 characters (more than 20); delete the one key "
    "word, or split the fact into two definitions [long-answer]",
    "most-of-sentence": "8:12: definitions[0].text: warning: c1 hides most of its sentence (10 of 12 characters); "
    "leave enough of it to ask a question [most-of-sentence]",
    "many-deletions": "8:11: definitions[0].text: warning: 4 cards from one definition (c1, c2, c3, c4); more than "
    "3 is more than a learner can hold: split it [many-deletions]",
    "numbering": "8:11: definitions[0].text: warning: cloze numbers skip c2 (this definition has c1, c3); number "
    "them from c1 without gaps [numbering]",
    "hint": "8:39: definitions[0].text: warning: the hint of c1 ('Pod') gives its answer 'Pod'; a hint narrows the "
    "answer down, it does not say it [hint]",
}
NEAR_MISSES = [
    "giveaway-ok",
    "long-answer-ok",
    "most-of-sentence-ok",
    "many-deletions-ok",
    "numbering-ok",
    "hint-ok",
    "ignored",
]


def test_every_lint_file_is_a_trigger_or_a_near_miss():
    assert sorted(p.stem for p in LINT.glob("*.yaml")) == sorted([*EXPECTED, *NEAR_MISSES])


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return copy_project(tmp_path_factory.mktemp("lint") / "p")


def _check(project, name, *args):
    target = project / "entries" / f"zz-{name}.yaml"
    copy_entry(LINT / f"{name}.yaml", target)
    try:
        return run_cli(project, "--check", *args)
    finally:
        target.unlink()


def _warnings(project, done, name):
    return [ln for ln in done.stderr.splitlines() if ln.startswith(f"entries/zz-{name}.yaml:")]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_rule_warns_with_its_exact_message(project, name):
    done = _check(project, name)
    assert done.returncode == 0, done.stderr
    assert _warnings(project, done, name) == [f"entries/zz-{name}.yaml:{EXPECTED[name]}"]


@pytest.mark.parametrize("name", NEAR_MISSES)
def test_a_near_miss_does_not_warn(project, name):
    done = _check(project, name)
    assert done.returncode == 0, done.stderr
    assert _warnings(project, done, name) == []


def test_strict_makes_warnings_errors_and_annotations_are_warnings(project):
    done = _check(project, "hint", "--strict")
    assert done.returncode == 1
    assert done.stderr.splitlines()[-2:] == [
        f"entries/zz-hint.yaml:{EXPECTED['hint']}",
        "1 warning(s), and --strict makes them errors; nothing was written",
    ]
    target = project / "entries" / "zz-hint.yaml"
    copy_entry(LINT / "hint.yaml", target)
    try:
        done = run_build(project, "--check", env={"GITHUB_ACTIONS": "true"})
    finally:
        target.unlink()
    assert "::warning file=entries/zz-hint.yaml,line=8,col=39::definitions[0].text: the hint of c1" in done.stdout


def test_the_shipped_entries_pass_strict(project):
    done = run_cli(project, "--check", "--strict")
    assert done.returncode == 0, done.stderr
    assert "warning" not in done.stderr


def test_a_card_whose_answer_became_another_warns_and_a_rewording_does_not(tmp_path):
    project = copy_project(tmp_path / "p")
    pod = project / "entries" / "pod.yaml"
    text = pod.read_text("utf-8")
    line = next(i for i, ln in enumerate(text.splitlines(), 1) if "{{c2::가장 작은}}" in ln)
    col = text.splitlines()[line - 1].index("{{c2::") + 1
    pod.write_text(text.replace("{{c2::가장 작은}}", "{{c2::컨테이너 묶음}}"), "utf-8")
    done = run_cli(project, "--check")
    assert (
        f"entries/pod.yaml:{line}:{col}: definitions[0].text: warning: c2 asked for '가장 작은' and now asks "
        "for '컨테이너 묶음': its card would keep the review history of the old question. For a new fact, use a "
        "number this note never had ({{c3::...}}); for the same fact reworded, add 'history' to lint_ignore "
        "[history]" in done.stderr.splitlines()
    )
    pod.write_text(text.replace("{{c2::가장 작은}}", "{{c2::가장 작은 규모의}}"), "utf-8")
    assert "[history]" not in run_cli(project, "--check").stderr


@pytest.mark.parametrize(
    "setting, message",
    [
        (
            "max-deletions = 0",
            "error: {place}: [tool.studydeck.lint] max-deletions must be a whole number from 1 to 500, not 0",
        ),
        (
            "giveaway = false",
            "error: {place}: [tool.studydeck.lint] has no setting 'giveaway'; settings: "
            "max-answer-chars, max-answer-share, max-deletions",
        ),
    ],
)
def test_thresholds_are_checked_and_rules_cannot_be_switched_off_globally(tmp_path, setting, message):
    project = copy_project(tmp_path / "p")
    lines = (project / "pyproject.toml").read_text("utf-8").count("\n")
    with open(project / "pyproject.toml", "a", encoding="utf-8") as fh:
        fh.write(f"\n[tool.studydeck.lint]\n{setting}\n")
    done = run_cli(project, "--check")
    assert (done.returncode, done.stderr.strip()) == (2, message.format(place=f"pyproject.toml:{lines + 3}:1"))


def test_lint_ignore_names_only_real_rules(tmp_path):
    project = copy_project(tmp_path / "p")
    pod = project / "entries" / "pod.yaml"
    pod.write_text(
        pod.read_text("utf-8").replace("  - key: pod\n", "  - key: pod\n    lint_ignore: [giveaways]\n"), "utf-8"
    )
    done = run_cli(project, "--check")
    assert done.returncode == 1
    assert done.stderr.splitlines()[0] == (
        "entries/pod.yaml:8:19: definitions[0].lint_ignore[0]: no card-quality rule is called 'giveaways'; rules: "
        "figure, giveaway, hint, history, long-answer, many-deletions, most-of-sentence, numbering"
    )
