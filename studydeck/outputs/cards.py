"""dist/<deck>-cards.html: every card's front and back as Anki shows them, to look at while writing.

Each card is rendered from the deck's own card templates and CSS by studydeck/anki/template.py,
a copy of the parts of Anki's renderer the note type uses (tests/test_cards_view.py holds every
card against Anki's own engine). The page's script shows each side as Anki's reviewer does: in a
frame of a reviewer's viewport (VIEWPORTS), as <body class="card cardN"><div id="qa">SIDE</div>,
with the rules Anki's reviewer adds (templates/cards-reviewer.css) and the notetype's CSS, the
back scrolled to #answer as the reviewer scrolls it; it marks the cards whose answer is then out
of view (tests/test_cards_browser.py). The fonts and figures are inside the file (the notetype's
media), so it opens anywhere.
"""

from __future__ import annotations

import json

from markupsafe import Markup

from studydeck.anki.template import TemplateError, check
from studydeck.anki.template import render as render_side
from studydeck.errors import BuildError, Problem
from studydeck.jinja import environment, template_text
from studydeck.memo import memo
from studydeck.outputs import Made, Output
from studydeck.state.write import safe_stem


class Cards(Output):
    """Cheap: made every time, written only when it differs."""

    name, part, cheap = "cards", "deck", True

    def files(self, project) -> list[str]:
        return [f"{safe_stem(project.config.deck)}-cards.html"]

    def prepare(self, project) -> tuple[str, str]:
        return self.files(project)[0], page(project)

    def make(self, inputs: tuple[str, str], say) -> Made:
        file, text = inputs
        return Made({file: text.encode()})


def cards(project) -> list[dict]:
    """The entries in reading order, each with its notes' cards: (ordinal, front HTML, back HTML)."""
    nt = project.notetype
    titles = {e.id: e.title for e in project.entries}
    out: list[dict] = []
    for note in project.notes:
        if not out or out[-1]["id"] != note.entry_id:
            out.append({"id": note.entry_id, "title": titles[note.entry_id], "cards": []})
        names = (*nt.fields, *SPECIAL)
        values = (*note.fields, *_special(nt, note, project.revs.get(note.guid)))
        for n, front, back in _sides(nt.front, nt.back_html, names, values, note.ordinals):
            out[-1]["cards"].append(
                {"note": f"{note.entry_id}/{note.key}", "term": note.term, "ordinal": n, "front": front, "back": back}
            )
    return out


# Anki's special fields (rslib notetype/render.rs), as they will read once imported; CardID is
# known only then, so a template that shows it is refused (see check_templates).
SPECIAL = ("Tags", "Type", "Deck", "Subdeck", "CardFlag", "Card")

# The reviewer's viewports the view offers (CSS px): a desktop window and a phone.
VIEWPORTS = {"desktop": (1100, 850), "phone": (400, 820)}


def _special(nt, note, rev: str | None) -> tuple[str, ...]:
    # Anki keeps a note's tags sorted without regard to case (rslib tags: canonify_tags), the
    # revision tag the package adds (apkg.pack) among them
    tags = sorted({*note.tags, *([rev] if rev else [])}, key=str.casefold)
    return (" ".join(tags), nt.name, note.deck, note.deck.rsplit("::", 1)[-1], "flag0", nt.template)


@memo(1 << 14)  # watch mode: after a save only the changed notes are rendered again
def _sides(front_t: str, back_t: str, names: tuple, values: tuple, ordinals: tuple) -> tuple:
    """A note's cards: (ordinal, front HTML, back HTML) for each of its cloze numbers."""
    fields = dict(zip(names, values, strict=True))
    out = []
    for n in ordinals:
        front = render_side(front_t, fields, n, True)
        out.append((n, front, render_side(back_t, fields, n, False, front)))
    return tuple(out)


def check_templates(project) -> None:
    """The card templates as the view renders them, or a BuildError at the tag it cannot."""
    nt = project.notetype
    for name, text in (("front.html", nt.front), ("back.html", nt.back)):
        try:
            check(text, (*nt.fields, *SPECIAL))
        except TemplateError as exc:  # the templates are the files as written: the offset is theirs
            line = text.count("\n", 0, exc.pos) + 1
            col = exc.pos - text.rfind("\n", 0, exc.pos)
            raise BuildError(
                "the cards view cannot show these card templates as Anki would",
                [Problem(f"templates/card/{name}", line, col, "", str(exc))],
            ) from None


def page(project) -> str:
    """The cards view: the controls, and every card's sides (in <template>s, for the script's frames)."""
    check_templates(project)
    env = environment(project.templates, project.reads)
    media = {f.media: f.data_url for e in project.entries for f in e.figures}
    media.update({f.name: f.data_url() for f in project.web_fonts})
    entries = cards(project)
    data = {
        "css": project.notetype.css,
        "reviewer": template_text(project.reads, project.templates, "cards-reviewer.css"),
        "media": media,
        "viewports": VIEWPORTS,
    }
    return env.get_template("cards.html.j2").render(
        deck=project.config.deck,
        version=project.config.version,
        count=sum(len(e["cards"]) for e in entries),
        notes=len(project.notes),
        preview=f"{safe_stem(project.config.deck)}.html",
        viewports=VIEWPORTS,
        entries=[
            {**e, "cards": [{**c, "front": Markup(c["front"]), "back": Markup(c["back"])} for c in e["cards"]]}
            for e in entries
        ],
        view_css=Markup(template_text(project.reads, project.templates, "cards.css")),
        data=Markup(json.dumps(data).replace("<", "\\u003c")),  # inside <script>: no "</script>"
    )
