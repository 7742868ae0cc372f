// Shared by the dispatch console's queue and event pages: Beijing times, names of codes.
"use strict";
const BEIJING_TIME = new Intl.DateTimeFormat("zh-CN", {
  timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit",
  hour: "2-digit", minute: "2-digit", hour12: false,
});

/** An ISO time (any offset) as Beijing time, "2026/11/28 09:30"; "" for none. */
function beijingTime(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : BEIJING_TIME.format(d);
}

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

/** Options of a <select>: each group, then its categories indented. */
function fillCategorySelect(select, byCode) {
  const all = Object.values(byCode);
  for (const g of all.filter((c) => !c.parent_code)) {
    const og = el("optgroup", { label: g.name_zh });
    og.append(el("option", { value: g.code, text: `${g.name_zh}（${T.all_categories}）` }));
    for (const c of all.filter((c) => c.parent_code === g.code)) og.append(el("option", { value: c.code, text: c.name_zh }));
    select.append(og);
  }
}

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
