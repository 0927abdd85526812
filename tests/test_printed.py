"""Nothing the build prints is live in a terminal or a CI log: every path, entry text and
configuration value is shown with its control characters escaped, and the only lines that
start with '::' are the build's own annotations."""

from __future__ import annotations

import re
import shutil

import pytest
from conftest import copy_project
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from studydeck import cli
from studydeck.errors import _LIVE

ANNOTATION = re.compile(r"^::(error|warning) file=[^\n]*::[^\n]*$")
LIVE = st.sampled_from(
    [
        "\x1b",
        "\x1b]0;pwned\x07",
        "\x1b[2J",
        "\n",
        "\r",
        "\n::error::x",
        "\n::add-mask::secret",
        "\n::stop-commands::t",
        "\x9b",
        "\u202e",
        "\u2028",
        "\x00",
        "\x7f",
        "\t",
    ]
)
NAME = st.lists(st.one_of(LIVE, st.sampled_from(["a", "개념", "[red]", "::", "%0A"])), min_size=1, max_size=5).map(
    "".join
)


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    return copy_project(tmp_path_factory.mktemp("printed") / "base")


def _assert_inert(text: str, annotations: bool) -> None:
    for line in text.split("\n"):
        assert not _LIVE.search(line), repr(line)
        if line.startswith("::"):
            assert annotations and ANNOTATION.match(line), repr(line)


def _run(project, argv, monkeypatch, capsys, github: bool):
    monkeypatch.chdir(project)
    monkeypatch.setenv("GITHUB_ACTIONS", "true" if github else "false")
    capsys.readouterr()
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=NAME, text=NAME)
def test_control_characters_in_file_names_and_entry_text_are_shown_escaped(
    name, text, base, tmp_path_factory, monkeypatch, capsys
):
    project = tmp_path_factory.mktemp("p") / "p"
    shutil.copytree(base, project)
    bad = project / "entries" / f"x{name.replace('/', '_').replace(chr(0), '_')}.yaml"
    bad.write_text(f"id: x\ntitle: {text!r}\ngroup: nowhere\n", "utf-8")
    for github in (False, True):
        code, out, err = _run(project, ["--check"], monkeypatch, capsys, github)
        assert code == 1
        _assert_inert(out, github)
        _assert_inert(err, github)


def test_a_file_name_that_would_be_a_workflow_command_is_one_escaped_line(base, tmp_path, monkeypatch, capsys):
    project = tmp_path / "p"
    shutil.copytree(base, project)
    (project / "entries" / "x\n::add-mask::secret\x1b]0;t\x07.yaml").write_text("id: x\n", "utf-8")
    code, out, err = _run(project, ["--check"], monkeypatch, capsys, True)
    assert code == 1
    assert "entries/x\\n::add-mask::secret\\x1b]0;t\\x07.yaml" in err
    _assert_inert(out + err, True)


def test_configuration_values_are_shown_escaped(base, tmp_path, monkeypatch, capsys):
    project = tmp_path / "p"
    shutil.copytree(base, project)
    config = project / "pyproject.toml"
    config.write_text(
        config.read_text("utf-8").replace('deck = "쿠버네티스 스터디"', 'deck = "덱\\u001b[2J\\n::error::x"'), "utf-8"
    )
    code, out, err = _run(project, ["--check"], monkeypatch, capsys, True)
    assert code != 0
    _assert_inert(out + err, True)
