"""Maps for briefings that work with no internet: heat maps of binned events, choropleths
per grid unit (with an optional hot-spot layer), heat through time and the change between two
periods, as full HTML pages (Leaflet served locally or inlined; see
:mod:`gridsvc.maps.assets`) or as PNG images (:mod:`gridsvc.maps.png`)::

    from gridsvc.maps import choropleth_html, heatmap_html
    page = choropleth_html(svc, "street", flt, value="density_per_km2", scheme="fisher_jenks")
"""

from gridsvc.maps.assets import ASSETS, STATIC_PREFIX, assert_offline, asset_text
from gridsvc.maps.choropleth import choropleth_frame, choropleth_html, classify
from gridsvc.maps.compare import compare_frame, compare_html
from gridsvc.maps.heatmap import HeatBins, heat_bins, heatmap_html
from gridsvc.maps.tiles import Basemap, Tiles, resolve_tiles
from gridsvc.maps.timeline import TimelineBins, timeline_bins, timeline_html

__all__ = [
    "ASSETS",
    "STATIC_PREFIX",
    "Basemap",
    "HeatBins",
    "Tiles",
    "TimelineBins",
    "assert_offline",
    "asset_text",
    "choropleth_frame",
    "choropleth_html",
    "classify",
    "compare_frame",
    "compare_html",
    "heat_bins",
    "heatmap_html",
    "resolve_tiles",
    "timeline_bins",
    "timeline_html",
]
