// The features of an OGC API page on a map: outlines and points only, no tiles (nothing is
// loaded from another host). Features in another CRS than CRS84 are not drawn.
"use strict";
(function () {
  const data = JSON.parse(document.getElementById("ogc-features").textContent);
  const node = document.getElementById("ogc-map");
  if (!data.features.length) { node.hidden = true; return; }
  const map = L.map(node, { attributionControl: false, preferCanvas: true });
  const layer = L.geoJSON(data, {
    style: { color: "#2563eb", weight: 1, fillOpacity: 0.15 },
    pointToLayer: (feature, latlng) =>
      L.circleMarker(latlng, { radius: 4, color: "#dc2626", weight: 1, fillOpacity: 0.8 }),
    onEachFeature: (feature, shape) => {
      const p = feature.properties || {};
      shape.bindTooltip(String(p.name || p.category_name || feature.id));
    },
  }).addTo(map);
  map.fitBounds(layer.getBounds(), { maxZoom: 16, padding: [8, 8] });
  node.dataset.drawn = String(data.features.length);
})();
