"""dist/<deck>.apkg: the Anki deck (genanki writes the collection; see studydeck/anki/package.py)."""

from __future__ import annotations

from studydeck import fonts
from studydeck.anki import notes
from studydeck.gather import identity
from studydeck.outputs import Made, Output
from studydeck.state import cache
from studydeck.state.write import safe_stem


class Deck(Output):
    name = part = "deck"

    def files(self, project) -> list[str]:
        return [f"{safe_stem(project.config.deck)}.apkg"]

    def _parts(self, project) -> tuple:
        nt = project.notetype
        media = {
            **{f.name: f.data for f in project.web_fonts},
            **fonts.licences(project.reads, project.templates),
            **notes.media(project.entries),
        }
        text_fonts = [f for f in project.web_fonts if f.face.family == fonts.SANS]
        return nt, media, notes.decks(project.config, fonts.css(text_fonts))

    def check(self, project) -> None:
        from studydeck.outputs.cards import check_templates

        check_templates(project)  # a field Anki knows only once imported (CardID) is refused

    def key(self, project) -> str:
        nt, media, decks = self._parts(project)
        return cache.key(
            "deck",
            [(n.guid, identity.note_hash(n), project.mods[n.guid], n.position) for n in project.notes],
            project.notetype_mod,
            [nt.id, nt.name, nt.fields, nt.field_ids, nt.template, nt.template_id, nt.front, nt.back_html, nt.css],
            decks,
            sorted(media),
        )

    def make(self, project, say) -> Made:
        from studydeck.anki import package  # genanki: imported only when the deck is packed

        nt, media, decks = self._parts(project)
        say(f"packing {len(project.notes)} notes ...")
        data = package.pack(project.notes, nt, decks, project.mods, project.notetype_mod, media, project.revs)
        return Made({self.files(project)[0]: data})
