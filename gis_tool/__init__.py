"""gis-tool: land readiness (markberedskap) site analysis for Swedish municipalities."""

__version__ = "0.1.0"
