"""Run the benchmark: `python bench/run.py --events 1000000 [--no-ml]` (same as `main.py --mode bench`)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python"))

from intent_scoring.cli import main

if __name__ == "__main__":
    sys.exit(main(["--mode", "bench", *sys.argv[1:]]))
