"""``python -m gis_tool.cli``: the command line."""

import sys

from . import main

sys.exit(main())
