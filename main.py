"""Thin entry point: `python main.py --mode pipeline|generate|...` (see --help)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "python"))

from intent_scoring.cli import main

if __name__ == "__main__":
    sys.exit(main())
