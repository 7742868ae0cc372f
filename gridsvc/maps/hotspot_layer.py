"""Hot and cold spots (Getis-Ord Gi*, :func:`gridsvc.stats.hotspots`) as a map overlay.

The overlay holds only the units classed hot or cold at 90, 95 or 99% (a few dozen polygons,
so it adds little to a page) and can be switched off in Leaflet's layer control. Permutations
are bounded by :data:`MAX_PERMUTATIONS` so that a map request stays near a second: with FDR
over ~1,255 communities that is enough for 90%/95% classes of clusters; the statistics
endpoint and CLI go to 99,999 for single small 99% spots.
"""

from __future__ import annotations

import html
from typing import Final

import folium
import geopandas as gpd
import numpy as np

from gridsvc.errors import InvalidInput
from gridsvc.maps.tiles import Tiles
from gridsvc.service import Gridsvc
from gridsvc.stats import StatsFilter, hotspots

DEFAULT_PERMUTATIONS: Final = 999
MAX_PERMUTATIONS: Final = 9_999
LAYER_NAME: Final = "热点分析（Gi*）"

CLASS_LABELS: Final[dict[str, str]] = {
    "hot_99": "热点（99% 置信）",
    "hot_95": "热点（95% 置信）",
    "hot_90": "热点（90% 置信）",
    "cold_90": "冷点（90% 置信）",
    "cold_95": "冷点（95% 置信）",
    "cold_99": "冷点（99% 置信）",
}
"""The significant Gi* classes in Chinese, hot first; ``not_significant`` is not drawn."""
CLASS_COLOURS: Final[dict[str, str]] = {
    "hot_99": "#b2182b",
    "hot_95": "#ef8a62",
    "hot_90": "#fddbc7",
    "cold_90": "#d1e5f0",
    "cold_95": "#67a9cf",
    "cold_99": "#2166ac",
}


def hotspot_units(
    svc: Gridsvc,
    level: str,
    flt: StatsFilter | None,
    *,
    value: str,
    permutations: int = DEFAULT_PERMUTATIONS,
) -> gpd.GeoDataFrame:
    """Gi* on the units of ``level`` (FDR-corrected classes, the fixed default seed), of event
    density, or of counts when the choropleth shows counts (``value="n"``). Raises
    ``InvalidInput`` for more than :data:`MAX_PERMUTATIONS` permutations and what
    :func:`gridsvc.stats.hotspots` raises (fewer than 30 units, e.g. districts)."""
    if permutations > MAX_PERMUTATIONS:
        raise InvalidInput(
            "map.max_permutations", field="permutations", limit=MAX_PERMUTATIONS, value=permutations
        )
    return hotspots(
        svc,
        level,
        flt,
        method="gi_star",
        value="count" if value == "n" else "density",
        permutations=permutations,
    )


def add_hotspot_layer(
    fmap: folium.Map, spots: gpd.GeoDataFrame, geometry: np.ndarray, tiles: Tiles
) -> int:
    """Add the significant units of ``spots`` (drawn with ``geometry``, already simplified, in
    WGS-84) as a toggleable overlay; returns how many units it holds."""
    significant = spots["hotspot_class"].isin(list(CLASS_LABELS)).to_numpy()
    layer = gpd.GeoDataFrame(
        {
            "code": spots["code"].to_numpy()[significant],
            "name": spots["name"].to_numpy()[significant],
            "hotspot_class": spots["hotspot_class"].to_numpy()[significant],
            "class_text": [CLASS_LABELS[c] for c in spots["hotspot_class"][significant]],
            "q_text": [f"{q:.4f}" for q in spots["p_adjusted"].to_numpy()[significant]],
        },
        geometry=tiles.shift_geometry(np.asarray(geometry)[significant]),
        crs="EPSG:4326",
    )
    group = folium.FeatureGroup(name=LAYER_NAME, overlay=True, show=True)
    if len(layer):
        folium.GeoJson(
            layer.to_geo_dict(drop_id=True),
            name=LAYER_NAME,
            style_function=lambda f: {
                "fillColor": CLASS_COLOURS[f["properties"]["hotspot_class"]],
                "fillOpacity": 0.85,
                "color": "#333333",
                "weight": 1.2,
            },
            tooltip=folium.GeoJsonTooltip(
                fields=["name", "code", "class_text", "q_text"],
                aliases=["名称", "代码", "热点分析", "校正后 p 值 (FDR)"],
                sticky=True,
            ),
        ).add_to(group)
    group.add_to(fmap)
    return int(significant.sum())


def hotspot_legend_rows(spots: gpd.GeoDataFrame) -> str:
    """Legend rows: the method, then each class with its colour and number of units."""
    counts = spots["hotspot_class"].value_counts()
    permutations = int(spots.attrs.get("permutations", 0))
    rows = [
        f'<div style="font-weight:bold;margin-top:6px">{html.escape(LAYER_NAME)}</div>',
        f"<div>{permutations:,} 次置换，FDR 校正</div>",
    ]
    for cls, label in CLASS_LABELS.items():
        rows.append(
            f'<div class="gs-hotspot-class"><span style="display:inline-block;width:14px;'
            f"height:10px;background:{CLASS_COLOURS[cls]};margin-right:6px;"
            f'border:1px solid #888"></span>{html.escape(label)}：{int(counts.get(cls, 0))}</div>'
        )
    return "".join(rows)
