"""``python -m theorems``: the same command line as ``theorycheck``."""

import sys

from theorems.frontends.cli import main

sys.exit(main())
