"""Maps for briefings that work with no internet: heat maps of binned events and choropleths
per grid unit, as full HTML pages (Leaflet served locally or inlined; see
:mod:`gridsvc.maps.assets`)::

    from gridsvc.maps import choropleth_html, heatmap_html
    page = choropleth_html(svc, "street", flt, value="density_per_km2", scheme="fisher_jenks")
"""

from gridsvc.maps.assets import ASSETS, STATIC_PREFIX, assert_offline, asset_text
from gridsvc.maps.choropleth import choropleth_frame, choropleth_html, classify
from gridsvc.maps.heatmap import HeatBins, heat_bins, heatmap_html

__all__ = [
    "ASSETS",
    "STATIC_PREFIX",
    "HeatBins",
    "assert_offline",
    "asset_text",
    "choropleth_frame",
    "choropleth_html",
    "classify",
    "heat_bins",
    "heatmap_html",
]
