"""`python -m studydeck`: the same command as build.py (watch mode builds the deck and PDFs this way)."""

import sys

from studydeck.cli import main

sys.exit(main())
