"""python -m sprint_fusion.cli: the `sprint-fusion` command."""

import sys

from . import main

sys.exit(main())
