"""entries/schema.json: every entry references it and passes it; it refuses what the build refuses."""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml
from conftest import DECK

SCHEMA = json.loads((DECK / "entries" / "schema.json").read_text("utf-8"))
FILES = sorted((DECK / "entries").glob("*.yaml"))


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_entry_references_and_passes_the_schema(path):
    text = path.read_text("utf-8")
    assert text.startswith("# yaml-language-server: $schema=schema.json\n")
    jsonschema.validate(yaml.safe_load(text), SCHEMA)


@pytest.mark.parametrize(
    "change",
    [
        {"defintions": []},
        {"group": "objects"},
        {"id": "Pod"},
        {"points": ["하나"]},
    ],
)
def test_schema_refuses_typical_mistakes(change):
    entry = yaml.safe_load((DECK / "entries" / "pod.yaml").read_text("utf-8")) | change
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(entry, SCHEMA)


def test_the_schema_has_the_shape_the_build_checks():
    """One shape, validate.py's: the schema's keys at every level are the keys the build reads."""
    from studydeck.gather import validate
    from studydeck.gather.config import load_config
    from studydeck.gather.lint import RULES
    from studydeck.gather.reads import Reads
    from studydeck.gather.schema import entry_schema

    schema = entry_schema(load_config(Reads(DECK)), list(RULES))
    definition = schema["properties"]["definitions"]["items"]
    figure = schema["$defs"]["figure"]
    for level, keys, required in (
        (schema, validate.ENTRY_KEYS, validate.REQUIRED_ENTRY),
        (definition, validate.DEFINITION_KEYS, validate.REQUIRED_DEFINITION),
        (figure, validate.FIGURE_KEYS, validate.REQUIRED_FIGURE),
    ):
        assert sorted(level["properties"]) == sorted(keys)
        assert level["required"] == list(required) and level["additionalProperties"] is False
