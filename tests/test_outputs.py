"""The outputs' lifecycle (studydeck/outputs/__init__.py): prepare -> key -> make -> epilog.

A key is a digest of what prepare returned and make sees nothing else, so no key can leave out
an input: every field of every output's inputs moves its key. A new slow output is one class:
the build runs its Job in a worker process and prints its epilog, with no change to the pipeline.
"""

from __future__ import annotations

import dataclasses
import os
import pickle

import pytest
from conftest import copy_project

from studydeck import pipeline
from studydeck.gather.project import gather
from studydeck.gather.reads import Reads
from studydeck.model import Options
from studydeck.outputs import Job, Made, Output, registry
from studydeck.state import cache


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = copy_project(tmp_path_factory.mktemp("outputs") / "p")
    return gather(Options(root, root / "dist"), Reads(root))


def _changed(value):
    """Another value of the same kind."""
    if isinstance(value, str):
        return value + "x"
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, bytes):
        return value + b"x"
    if isinstance(value, tuple):
        return value[:-1] if value else ("x",)
    if isinstance(value, dict):
        first = next(iter(value), None)
        return {k: v for k, v in value.items() if k != first} if value else {"x": "x"}
    if dataclasses.is_dataclass(value):  # one field of it, the first that is not empty
        for f in dataclasses.fields(value):
            if getattr(value, f.name):
                return dataclasses.replace(value, **{f.name: _changed(getattr(value, f.name))})
    raise AssertionError(f"no other value for {type(value)}")


def test_every_field_of_every_outputs_inputs_moves_its_key(project):
    checked = 0
    for output in registry():
        inputs = output.prepare(project)
        pickle.dumps(inputs)  # plain data: a worker started by spawn gets it too
        if output.cheap:
            assert output.key(inputs) is None
            continue
        key = output.key(inputs)
        assert key == output.key(output.prepare(project)), f"{output.name}: its key is not stable"
        for f in dataclasses.fields(inputs):
            other = dataclasses.replace(inputs, **{f.name: _changed(getattr(inputs, f.name))})
            moved = output.key(other) != key
            assert moved == f.metadata.get("key", True), f"{output.name}.{f.name}"
            checked += 1
    assert checked >= 12  # the deck's 8 fields and the two PDFs'


def test_a_key_refuses_what_is_not_plain_data():
    with pytest.raises(TypeError, match="cannot be part of a key"):
        cache.key("x", cache.plain({"a": object()}))
    with pytest.raises(TypeError, match="not a string"):
        cache.plain({1: "a"})


def test_what_make_returns_is_what_files_names(project):
    for output in registry():
        made = output.make(output.prepare(project), lambda _: None)
        if output.parallel:
            assert isinstance(made, Job) and made.run.__qualname__ == made.run.__name__  # module level
            continue
        assert isinstance(made, Made) and sorted(made.files) == sorted(output.files(project))


def shout(name: str, text: str, report=None) -> Made:
    """A slow output's work (module level: a worker imports it by name)."""
    return Made({f"{name}.txt": f"{text} from {os.getpid()}".encode()}, pages=len(text))


class Slow(Output):
    part, parallel = "deck", True

    def __init__(self, name: str):
        self.name = name

    def files(self, project) -> list[str]:
        return [f"{self.name}.txt"]

    def prepare(self, project) -> dict:
        return {"text": f"{len(project.notes)} notes"}

    def make(self, inputs, say) -> Job:
        return Job(shout, (inputs["text"],))

    def epilog(self, made: Made) -> str:
        return f"{self.name} said {made.pages} letters"


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: jobs run in the build's process")
def test_a_new_slow_output_runs_in_a_worker_with_no_change_to_the_pipeline(tmp_path, monkeypatch):
    root = copy_project(tmp_path / "p")
    monkeypatch.setattr(pipeline, "registry", lambda: [*registry(), Slow("one"), Slow("two")])
    said: list[str] = []
    result = pipeline.build(Options(root, root / "dist", only="deck"), said.append)
    texts = {name: (root / "dist" / f"{name}.txt").read_text() for name in ("one", "two")}
    pids = {text.rsplit(" ", 1)[1] for text in texts.values()}
    assert all(text.startswith("41 notes from ") for text in texts.values())
    assert str(os.getpid()) not in pids  # laid out beside the build, not in it
    assert result.epilogs == {"one": "one said 8 letters", "two": "two said 8 letters"}
    assert (root / "dist" / "one.txt") in result.written
    # made again only when its inputs change: the second build reuses it, epilog and all
    again = pipeline.build(Options(root, root / "dist", only="deck", strict=True), said.append)
    assert (root / "dist" / "one.txt") in again.reused and again.epilogs == result.epilogs
