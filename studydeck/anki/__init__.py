"""The Anki side of the deck: entries -> notes and our cloze note type (notes), the .apkg's bytes
(package), and Anki's own template language and cloze rendering for the cards view (template)."""
