"""Build an Anki cloze deck and a printable study sheet from YAML study entries.

Data flows one way: entries/*.yaml -> load -> validate -> (deck, sheet) -> write -> dist/.
"""
