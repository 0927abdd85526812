"""dist/<deck>.pdf: the cheat sheet (pdf/documents.py makes its HTML, pdf/render.py lays it out,
in a worker process)."""

from __future__ import annotations

from dataclasses import dataclass, field

from studydeck import fonts
from studydeck.outputs import Job, Output
from studydeck.pdf import documents, render
from studydeck.state.write import safe_stem


@dataclass(frozen=True)
class SheetInputs:
    file: str
    document: documents.Document  # the HTML WeasyPrint lays out, as plain data
    entries: int  # how many it shows
    fonts: dict[str, bytes]  # the bundled fonts it names (read from templates/ by the layout)
    templates: str = field(metadata={"key": False})  # where the fonts are: not what they are


class Sheet(Output):
    name = part = kind = "sheet"
    suffix = ""
    parallel = True

    def files(self, project) -> list[str]:
        return [f"{safe_stem(project.config.deck)}{project.options.printing.suffix()}{self.suffix}.pdf"]

    def prepare(self, project) -> SheetInputs:
        document = documents.render(
            self.kind,
            project.entries,
            project.config,
            project.templates,
            project.built,
            project.options.printing,
            project.reads,
        )
        faces = {f.file: fonts.font_data(project.reads, project.templates, f) for f in fonts.FACES}
        return SheetInputs(
            self.files(project)[0],
            document,
            len(project.options.printing.select(project.entries)),
            faces,
            str(project.templates),
        )

    def make(self, inputs: SheetInputs, say) -> Job:
        say(f"laying out {inputs.file} ({inputs.entries} {'entry' if inputs.entries == 1 else 'entries'}) ...")
        return Job(render.lay_out, (inputs.document, inputs.templates, inputs.file))
