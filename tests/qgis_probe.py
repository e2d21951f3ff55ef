"""Open gis-tool's PostGIS output with QGIS's own PostgreSQL data provider (run by the
tests with Debian's system Python, which has python3-qgis): prints what QGIS sees."""

import json
import sys

from qgis.core import QgsApplication, QgsDataSourceUri, QgsVectorLayer

app = QgsApplication([], False)
app.initQgis()
host, port, db, schema, pw = sys.argv[1:6]
uri = QgsDataSourceUri()
uri.setConnection(host, port, db, "postgres", pw)
uri.setDataSource(schema, "sites", "geom", "", "site_id")
layer = QgsVectorLayer(uri.uri(False), "sites", "postgres")
out = {"valid": layer.isValid()}
if layer.isValid():
    out["count"] = layer.featureCount()
    out["crs"] = layer.crs().authid()
    msg, ok = layer.loadDefaultStyle()
    out["style_loaded"] = ok
    out["renderer"] = layer.renderer().type() if layer.renderer() else None
    n, ids, names, descs, err = layer.listStylesInDatabase()
    out["styles"] = list(names)
print(json.dumps(out))
app.exitQgis()
