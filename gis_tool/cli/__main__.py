"""``python -m gis_tool.cli``: the command line."""

from . import entry

entry()
