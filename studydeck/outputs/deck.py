"""dist/<deck>.apkg: the Anki deck (genanki writes the collection; see studydeck/anki/package.py)."""

from __future__ import annotations

from dataclasses import dataclass

from studydeck import fonts
from studydeck.anki import notes
from studydeck.anki.notes import Note, Notetype
from studydeck.outputs import Made, Output
from studydeck.state.write import safe_stem


@dataclass(frozen=True)
class DeckInputs:
    """Everything the package holds: its key is a digest of this, and make() reads nothing else."""

    file: str
    notes: tuple[Note, ...]
    notetype: Notetype
    decks: dict[str, str]  # name -> description
    mods: dict[str, int]  # GUID -> the note's time
    notetype_mod: int
    media: dict[str, bytes]
    revs: dict[str, str]  # GUID -> revision tag


class Deck(Output):
    name = part = "deck"

    def files(self, project) -> list[str]:
        return [f"{safe_stem(project.config.deck)}.apkg"]

    def prepare(self, project) -> DeckInputs:
        from studydeck.outputs.cards import check_templates

        check_templates(project)  # a field Anki knows only once imported (CardID) is refused
        media = {
            **{f.name: f.data for f in project.web_fonts},
            **fonts.licences(project.reads, project.templates),
            **notes.media(project.entries),
        }
        text_fonts = [f for f in project.web_fonts if f.face.family == fonts.SANS]
        return DeckInputs(
            self.files(project)[0],
            tuple(project.notes),
            project.notetype,
            notes.decks(project.config, fonts.css(text_fonts)),
            dict(project.mods),
            project.notetype_mod,
            media,
            dict(project.revs),
        )

    def make(self, inputs: DeckInputs, say) -> Made:
        from studydeck.anki import package  # genanki: imported only when the deck is packed

        say(f"packing {len(inputs.notes)} notes ...")
        data = package.pack(
            list(inputs.notes),
            inputs.notetype,
            inputs.decks,
            inputs.mods,
            inputs.notetype_mod,
            inputs.media,
            inputs.revs,
        )
        return Made({inputs.file: data})
