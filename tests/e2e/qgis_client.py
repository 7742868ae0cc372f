"""QGIS as a client of gridsvc, run by Debian's own Python (QGIS's bindings are built for it):
``/usr/bin/python3 qgis_client.py '<json>'``. Not a test module: ``test_ogc_clients.py`` runs
it in a subprocess and checks what it prints.

The JSON names the service (``base``), a token, the OGC API Features collections to open
(``oapif``), the vector-tile layers (``mvt``: layer name, template URL and the tiles to
decode) and where to save a rendered picture (``picture``). QGIS sends the token the way its
users set it up: an authentication configuration of the "Basic" method with the token as
the password. It prints one JSON object: the feature count of each layer QGIS read.
"""

from __future__ import annotations

import faulthandler
import json
import os
import sys
import tempfile


def main() -> None:
    faulthandler.enable()
    job = json.loads(sys.argv[1])
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    profile = tempfile.mkdtemp(prefix="qgis-profile-")
    os.environ["QGIS_AUTH_DB_DIR_PATH"] = profile
    # QGIS's OGR provider reads single tiles through GDAL, which takes its header from here
    os.environ["GDAL_HTTP_HEADERS"] = f"Authorization: Bearer {job['token']}"

    from qgis.core import (  # type: ignore[import-not-found]
        QgsApplication,
        QgsAuthMethodConfig,
        QgsCoordinateReferenceSystem,
        QgsFillSymbol,
        QgsMapRendererSequentialJob,
        QgsMapSettings,
        QgsMarkerSymbol,
        QgsRectangle,
        QgsVectorLayer,
    )
    from qgis.PyQt.QtCore import QSize  # type: ignore[import-not-found]
    from qgis.PyQt.QtGui import QColor  # type: ignore[import-not-found]

    app = QgsApplication([], False, profile)
    app.initQgis()
    auth = QgsApplication.authManager()
    auth.setMasterPassword("gridsvc-test", True)
    config = QgsAuthMethodConfig("Basic")
    config.setName("gridsvc")
    config.setConfig("username", "qgis")
    config.setConfig("password", job["token"])
    ok = auth.storeAuthenticationConfig(config)
    ok = ok[0] if isinstance(ok, tuple) else ok
    assert ok, "QGIS did not store the authentication configuration"
    authcfg = config.id()

    result: dict[str, object] = {
        "qgis": app.applicationVersion() if hasattr(app, "applicationVersion") else ""
    }
    from qgis.core import Qgis  # type: ignore[import-not-found]

    result["qgis"] = Qgis.version()
    layers = []
    for name in job.get("oapif", []):
        uri = (
            f"pagingEnabled='true' preferCoordinatesForWfsT11='false' restrictToRequestBBOX='0' "
            f"typename='{name}' url='{job['base']}/ogc' version='OGC_API_FEATURES' "
            f"authcfg='{authcfg}'"
        )
        layer = QgsVectorLayer(uri, name, "OAPIF")
        if not layer.isValid():
            result[name] = {"valid": False, "error": layer.error().summary()}
            continue
        count = sum(1 for _ in layer.getFeatures())
        fields = [f.name() for f in layer.fields()]
        result[name] = {
            "valid": True,
            "features": count,
            "fields": fields,
            "crs": layer.crs().authid(),
        }
        layers.append(layer)

    mvt = job.get("mvt")
    if mvt:
        from qgis.core import QgsVectorTileLayer  # type: ignore[import-not-found]

        tiles_layer = QgsVectorTileLayer(
            f"type=xyz&url={mvt['template']}&zmin={mvt['zmin']}&zmax={mvt['zmax']}"
            f"&authcfg={authcfg}",
            mvt["name"],
        )
        found: dict[str, object] = {"valid": tiles_layer.isValid(), "tiles": {}}
        # the features of single tiles, read through QGIS's OGR provider (GDAL's MVT driver)
        for z, x, y in mvt["tiles"]:
            url = mvt["template"].format(z=z, x=x, y=y)
            per_layer = {}
            for name in mvt["layers"]:
                one = QgsVectorLayer(f"/vsicurl/{url}|layername={name}", name, "ogr")
                per_layer[name] = one.featureCount() if one.isValid() else None
            found["tiles"][f"{z}/{x}/{y}"] = per_layer  # type: ignore[index]
        if mvt.get("picture") and tiles_layer.isValid():
            from qgis.core import QgsRectangle as Rect  # type: ignore[import-not-found]

            settings = QgsMapSettings()
            settings.setLayers([tiles_layer])
            settings.setDestinationCrs(QgsCoordinateReferenceSystem("EPSG:3857"))
            settings.setBackgroundColor(QColor(255, 255, 255))
            settings.setOutputSize(QSize(800, 800))
            settings.setExtent(Rect(*mvt["extent_3857"]))
            render = QgsMapRendererSequentialJob(settings)
            render.start()
            render.waitForFinished()
            image = render.renderedImage()
            image.save(mvt["picture"], "png")
            white = QColor(255, 255, 255).rgb()
            found["painted_pixels"] = sum(
                1
                for px in range(0, image.width(), 4)
                for py in range(0, image.height(), 4)
                if image.pixel(px, py) != white
            )
        result["mvt"] = found

    if job.get("picture") and layers:
        for layer in layers:
            if layer.geometryType() == 0:  # points
                layer.renderer().setSymbol(
                    QgsMarkerSymbol.createSimple(
                        {"name": "circle", "color": "220,38,38", "size": "1.6"}
                    )
                )
            else:
                layer.renderer().setSymbol(
                    QgsFillSymbol.createSimple(
                        {
                            "color": "37,99,235,40",
                            "outline_color": "37,99,235",
                            "outline_width": "0.2",
                        }
                    )
                )
        settings = QgsMapSettings()
        settings.setLayers(list(reversed(layers)))
        settings.setDestinationCrs(QgsCoordinateReferenceSystem("EPSG:4549"))
        settings.setBackgroundColor(QColor(255, 255, 255))
        settings.setOutputSize(QSize(1000, 800))
        extent = QgsRectangle()
        for layer in layers:
            from qgis.core import QgsCoordinateTransform, QgsProject  # type: ignore[import-not-found]

            ct = QgsCoordinateTransform(
                layer.crs(), settings.destinationCrs(), QgsProject.instance()
            )
            extent.combineExtentWith(ct.transformBoundingBox(layer.extent()))
        settings.setExtent(extent)
        render = QgsMapRendererSequentialJob(settings)
        render.start()
        render.waitForFinished()
        render.renderedImage().save(job["picture"], "png")
        result["picture"] = job["picture"]
    print(json.dumps(result), flush=True)
    # QGIS 3.22 may crash while Python tears its objects down: the answer is out, leave now
    os._exit(0)


if __name__ == "__main__":
    main()
