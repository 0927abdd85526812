"""The identity stage on its own: GUIDs, renames, removals and the times Anki gets."""

from __future__ import annotations

import re

import pytest

from studydeck.errors import BuildError
from studydeck.gather import identity
from studydeck.gather.lock import Lock, NoteRecord, NotetypeRecord
from studydeck.gather.releases import Release
from studydeck.model import Config, Definition, Entry

CONFIG = Config("덱", "prefix", "1.0.0")


def _entry(eid: str, *keys: str, renamed_from: str | None = None, key_renames: dict | None = None) -> Entry:
    definitions = tuple(Definition(k, k, f"{{{{c1::{k}}}}}", (), (key_renames or {}).get(k)) for k in keys)
    return Entry(
        eid,
        eid,
        "g",
        (),
        definitions,
        (),
        (),
        (),
        f"entries/{eid}.yaml",
        renamed_from,
        {
            "": (1, 1),
            "renamed_from": (3, 15),
            "definitions[0].key": (7, 10),
            "definitions[0].renamed_from": (8, 19),
            "definitions": (6, 1),
        },
    )


def _record(guid: str, digest: str = "h", mod: int = 100, answers=((1, "a"),)) -> NoteRecord:
    return NoteRecord(guid, digest, mod, "entries/x.yaml", "term", answers)


def test_a_new_note_gets_a_guid_from_its_id_and_key_and_a_locked_one_keeps_its_own():
    lock = Lock({"pod/a": _record("locked-guid")})
    guids, renamed = identity.assign_guids([_entry("pod", "a", "b")], lock, CONFIG)
    assert guids["pod/a"] == "locked-guid"
    assert guids["pod/b"] == identity.note_guid("prefix", "pod", "b") and renamed == {}


def test_a_rename_carries_the_guid_and_a_rename_from_nothing_names_its_line():
    lock = Lock({"pod/old": _record("g1")})
    guids, renamed = identity.assign_guids([_entry("pod", "new", key_renames={"new": "old"})], lock, CONFIG)
    assert (guids["pod/new"], renamed) == ("g1", {"pod/new": "pod/old"})
    with pytest.raises(BuildError) as err:
        identity.assign_guids([_entry("pod", "new", key_renames={"new": "gone"})], lock, CONFIG)
    assert [str(p) for p in err.value.problems] == [
        "entries/pod.yaml:8:19: definitions[0].renamed_from: 'pod/new' says it was renamed from 'pod/gone', but "
        "entries.lock has no such note"
    ]


def test_a_removed_notes_guid_is_never_given_to_another_note():
    lock = Lock(removed={"pod/b": NoteRecord(identity.note_guid("prefix", "pod", "a"), "h", 1, "p", "t", (), "0.9")})
    with pytest.raises(BuildError) as err:
        identity.assign_guids([_entry("pod", "a")], lock, CONFIG)
    assert "would get the GUID of the removed note 'pod/b'" in str(err.value)


def test_a_note_gone_without_a_rename_is_an_error_unless_removals_are_accepted():
    lock = Lock({"pod/a": _record("g1"), "pod/b": _record("g2")})
    entries = [_entry("pod", "a")]
    with pytest.raises(BuildError) as err:
        identity.check_missing(entries, lock, {}, accept_removals=False, shipped=None)
    assert "note 'pod/b' (GUID g2) is in entries.lock but no entry defines it" in str(err.value)
    assert identity.check_missing(entries, lock, {}, accept_removals=True, shipped=None) == ["pod/b"]
    # shipped: the GUIDs a release shipped; a note no release shipped (a draft) simply goes
    assert identity.check_missing(entries, lock, {}, accept_removals=False, shipped=frozenset({"g1"})) == []
    with pytest.raises(BuildError):
        identity.check_missing(entries, lock, {}, accept_removals=False, shipped=frozenset({"g2"}))


def test_times_unchanged_content_keeps_its_time_new_content_never_goes_back():
    clock = identity.Clock((), {}, None)
    assert clock.first_time("h", _record("g", "h", 500), 900) == 500  # unchanged: the locked time
    assert clock.first_time("new", _record("g", "h", 500), 300) == 501  # changed, file older: after the lock
    assert clock.first_time("new", _record("g", "h", 500), 900) == 900  # changed: when its file changed
    assert identity.Clock((), {}, 1000).first_time("new", None, 900) == 1000  # a release build: its time
    released = identity.Clock((Release("v1", 2000, {}, ""),), {}, None)
    assert released.first_time("new", None, 900) == 2001  # never before the latest release


def test_released_content_carries_the_time_of_the_release_that_first_shipped_it():
    releases = (
        Release("v1", 1000, {"g": "h1"}, ""),
        Release("v2", 2000, {"g": "h2"}, ""),
        Release("v3", 3000, {"g": "h2"}, ""),
    )
    clock = identity.Clock(releases, {}, None)
    assert clock.shipped("g", "h2", first=150) == 2000  # shipped by v2 and v3: v2's time
    assert clock.shipped("g", "h1", first=150) == 150  # changed since the last release: its own time
    assert clock.shipped("other", "h", first=150) == 150


def test_the_notetype_is_timed_like_a_note():
    clock = identity.Clock((), {"templates/card/card.css": 700}, None)
    record, mod = identity.notetype_times(
        clock, "nt2", Lock(notetype=NotetypeRecord("nt1", 100)), ["templates/card/card.css"]
    )
    assert (record, mod) == (NotetypeRecord("nt2", 700), 700)


def test_changes_between_two_locks_match_notes_by_guid():
    before = Lock(
        {"pod/a": _record("g1", "h1"), "pod/b": _record("g2"), "pod/c": _record("g3", answers=((1, "x"), (2, "y")))}
    )
    after = Lock({"pod/a2": _record("g1", "h1"), "pod/c": _record("g3", answers=((1, "x"),)), "pod/d": _record("g4")})
    changes = identity.diff(before, after, "2.0.0")
    assert (changes.added, changes.changed, changes.renamed) == (["pod/d"], [], [("pod/a", "pod/a2")])
    assert list(changes.removed) == ["pod/b"] and changes.removed["pod/b"].removed_in == "2.0.0"
    assert changes.dropped == [("pod/c", 2, "y")]


def _identity(name: str, guid: str, digest: str) -> identity.NoteIdentity:
    return identity.NoteIdentity(name, name, guid, digest, 1, 1, "entries/x.yaml", "t", ())


def test_revision_tags_come_from_guid_and_content_and_the_old_ones_from_tagged_releases():
    notes = [_identity("pod/a", "g1", "h1"), _identity("pod/b", "g2", "h2")]
    releases = [
        Release("v0", 500, {"g1": "h0", "g9": "h9"}, ""),  # before revision tags: nobody holds its tags
        Release("v1", 1000, {"g1": "h0", "g3": "h3"}, "", revs=True),  # g1 changed since, g3 removed since
        Release("v2", 2000, {"g1": "h1", "g2": "h2"}, "", revs=True),
    ]
    current, old = identity.revs(releases, notes)
    assert current == {"g1": identity.rev_tag("g1", "h1"), "g2": identity.rev_tag("g2", "h2")}
    assert old == {identity.rev_tag("g1", "h0"), identity.rev_tag("g3", "h3")}
    assert len({*current.values(), *old, identity.rev_tag("g2", "h1")}) == 5  # the GUID is part of it
    assert all(re.fullmatch(r"studydeck::rev::[a-z2-7]{8}", t) for t in (*current.values(), *old))


def test_a_revision_tag_two_notes_would_share_is_refused():
    twins = [_identity("pod/a", "g1", "h1"), _identity("pod/b", "g1", "h1")]
    with pytest.raises(BuildError) as err:
        identity.revs([], twins)
    assert str(err.value).startswith("entries/x.yaml: note 'pod/b' would get the revision tag studydeck::rev::")
