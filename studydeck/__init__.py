"""Build an Anki cloze deck and printable study sheets from YAML study entries.

The folders are the pipeline (pipeline.py runs it, cli.py is the command line):

- gather/   read and check everything every output is made from, once, before anything is made
            (configuration, entry files, validation, identities, entries.lock, card quality)
- figures/  the figure files, read, checked and made safe in gather (an SVG's text as outlines)
- fonts.py  the bundled fonts: what they draw, the web subsets
- outputs/  one module per output, one interface (the deck, the sheets, the previews, CHANGES.md)
- anki/     what the deck is made of: notes and the note type, the .apkg, Anki's template language
- pdf/      what the sheets are made of: the HTML documents, entry text as HTML, WeasyPrint
- state/    what a build leaves for the next: all-or-nothing writes (and their journal), the cache
- watch/    --watch: the live preview while an author writes
- init.py   `studydeck init DIR`: a new deck's whole project (the tool, workflows, example entries)
"""
