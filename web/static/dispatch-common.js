// Shared by the dispatch console's queue and event pages: names of codes, the plain map.
"use strict";
function statusName(s) { return T["status_" + s] || s; }
function urgencyName(u) { return T["urgency_" + u] || u; }
function sourceName(s) { return T["source_" + s] || s; }
function actionName(a) { return T["action_" + a] || a; }

let categoriesPromise = null;
/** code -> {name_zh, parent_code, ...} of the taxonomy (fetched once a page). */
function categories() {
  if (!categoriesPromise) {
    categoriesPromise = api("/v1/categories").then((r) => r.json()).then((data) => {
      const byCode = {};
      for (const c of data.categories) byCode[c.code] = c;
      return byCode;
    });
  }
  return categoriesPromise;
}

function categoryName(byCode, code) { return (byCode[code] && byCode[code].name_zh) || code; }

/** The Leaflet map of the console pages: no tiles (it works offline); the street outlines
 *  (simplified) are the base layer. */
function plainMap(id) {
  const map = L.map(id, { preferCanvas: true, attributionControl: false });
  map.setView([32.06, 118.79], 10);
  api("/v1/grids?level=street&simplify_m=30").then((r) => r.json()).then((streets) => {
    L.geoJSON(streets, {
      style: { color: "#7a8794", weight: 1, fill: true, fillColor: "#f4f6f9", fillOpacity: 1 },
      interactive: false,
    }).addTo(map).bringToBack();
  }).catch(() => { /* outlines are orientation only */ });
  return map;
}

let unitNamesPromise = null;
/** code -> name of every community and street (names only, fetched once a page). */
function unitNames() {
  if (!unitNamesPromise) {
    unitNamesPromise = Promise.all(["community", "street"].map((level) =>
      api(`/v1/grids?level=${level}&geometry=false`).then((r) => r.json())))
      .then((layers) => {
        const names = {};
        for (const layer of layers) for (const f of layer.features) names[f.properties.code] = f.properties.name;
        return names;
      }).catch(() => ({}));
  }
  return unitNamesPromise;
}
