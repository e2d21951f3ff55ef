"""The inputs layer: reading layers (files, GeoParquet folders), checking and repairing
them, describing files, and the demo data."""
