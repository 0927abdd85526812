#!/usr/bin/env python3
"""Build dist/ from entries/: `python build.py --help` for the options."""

import sys
from pathlib import Path

from studydeck.cli import main

if __name__ == "__main__":
    sys.exit(main(root=Path(__file__).resolve().parent))
