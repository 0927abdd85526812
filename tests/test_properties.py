"""Property-based: whatever text or data reaches the loader and validator, only our error escapes."""

from __future__ import annotations

import contextlib

import yaml
from conftest import DECK
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from studydeck.anki.notes import to_anki
from studydeck.errors import BuildError
from studydeck.gather import markup
from studydeck.gather.config import load_config
from studydeck.gather.load import Source, load
from studydeck.gather.project import read_entries
from studydeck.gather.reads import Reads
from studydeck.gather.validate import validate
from studydeck.pdf.typeset import to_sheet

TOKENS = list("{}[]:-#!&*|>'\"\n\t ,.c1가나?%@`\\") + [
    "{{c1::",
    "}}",
    "::",
    "id: ",
    "\udcff",
    "\ufeff",
    "!!python/object ",
    "*a ",
    "&a ",
]
YAMLISH = st.lists(st.sampled_from(TOKENS), max_size=80).map("".join)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=30),
    st.sampled_from(["{{c1::Pod}}는 작다", "object", "개념", "pod", "{{c1::", "a::b"]),
)
DATA = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5),
        st.dictionaries(
            st.sampled_from(
                [
                    "id",
                    "title",
                    "group",
                    "tags",
                    "definitions",
                    "points",
                    "related",
                    "source",
                    "key",
                    "term",
                    "text",
                    "renamed_from",
                    "x",
                ]
            ),
            inner,
            max_size=8,
        ),
    ),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=YAMLISH)
def test_loader_only_reports_problems(tmp_path, text):
    path = tmp_path / "e.yaml"
    path.write_text(text, "utf-8", errors="surrogateescape")
    source, problems = load(Reads(tmp_path), path, "entries/e.yaml")
    assert (source is None) == bool(problems)
    if source is not None:
        validate([source], ("object", "개념"))


@settings(max_examples=300, deadline=None)
@given(data=DATA)
def test_validator_only_reports_problems(data):
    text = yaml.safe_dump(data, allow_unicode=True)
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    if node is None:
        return
    entries, problems = validate([Source("entries/e.yaml", node, text)], ("object", "개념"))
    assert all(p.path == "entries/e.yaml" and p.message for p in problems)
    assert bool(entries) != bool(problems)


@settings(max_examples=500, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(list("{}c0123:*`<>&\"' 가a\n")), max_size=60))
def test_markup_raises_only_markup_error_and_escapes(text):
    try:
        tree = markup.parse(text)
    except markup.MarkupError:
        return
    for rendered in (to_anki(tree), to_sheet(tree)):
        stripped = rendered
        for allowed in (
            "<b>",
            "</b>",
            "<code>",
            "</code>",
            '<strong class="cloze">',
            "</strong>",
            '<span class="w">',
            "<span>",
            "</span>",
            "<br>",
        ):
            stripped = stripped.replace(allowed, "")
        assert "<" not in stripped and ">" not in stripped


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(files=st.lists(YAMLISH, min_size=1, max_size=3))
def test_read_entries_raises_only_build_error(tmp_path_factory, files):
    root = tmp_path_factory.mktemp("prop")
    (root / "entries").mkdir()
    for i, text in enumerate(files):
        (root / "entries" / f"{i}.yaml").write_text(text, "utf-8", errors="surrogateescape")
    with contextlib.suppress(BuildError):
        read_entries(Reads(root), load_config(Reads(DECK)))


def test_deeply_nested_yaml_is_a_problem_not_a_crash(tmp_path):
    path = tmp_path / "deep.yaml"
    path.write_text("[" * 20000, "utf-8")
    source, problems = load(Reads(tmp_path), path, "entries/deep.yaml")
    assert source is None
    assert [str(p) for p in problems] == ["entries/deep.yaml: YAML nesting is too deep"]


def _shape(node):
    """A node tree as tags, values and positions (the parts the validator reads)."""
    marks = (node.tag, node.start_mark.line, node.start_mark.column)
    if isinstance(node, yaml.ScalarNode):
        return (*marks, node.value)
    if isinstance(node, yaml.SequenceNode):
        return (*marks, [_shape(n) for n in node.value])
    return (*marks, [(_shape(k), _shape(v)) for k, v in node.value])


@settings(max_examples=400, deadline=None)
@given(data=DATA)
def test_libyaml_and_python_loaders_compose_the_same_nodes(data):
    from studydeck.gather import load as loader

    text = yaml.safe_dump(data, allow_unicode=True)
    expected = _shape(yaml.compose(text, Loader=loader._Loader))
    assert _shape(loader._compose(text)) == expected
    assert _shape(yaml.compose(text, Loader=loader._FastLoader)) == expected
