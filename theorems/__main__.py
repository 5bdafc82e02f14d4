"""``python -m theorems``: the same command line as ``theorycheck``."""

import sys

from theorems.cli import main

sys.exit(main())
