"""The publish layer: files (GeoPackage, CSV, JSON), QGIS styles, interactive and static
maps, charts, the meeting pack and the text they show (sv/en)."""
