"""``python -m statecharts``."""

import sys

from statecharts.cli import main

sys.exit(main())
