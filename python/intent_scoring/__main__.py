"""`python -m intent_scoring ...` runs the CLI."""

import sys

from intent_scoring.cli import main

sys.exit(main())
