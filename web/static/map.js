// The analyst's map page: filters -> URL -> map (srcdoc of /v1/maps/*) and table (/v1/stats/*).
"use strict";
const form = document.getElementById("filters");
const frame = document.getElementById("map");
const statusLine = document.getElementById("map-status");
const tbody = document.querySelector("#stats tbody");
const FIELDS = ["category", "period", "from", "to", "level", "kind", "value", "scheme", "k",
                "hotspots", "step", "base", "base_from", "base_to"];
const DAY_MS = 86400000;
let rows = [];
let sortKey = "n";
let sortDescending = true;
let generation = 0;  // a newer redraw wins over a slower older one
const unitShapes = {};  // level -> promise of a GeoJSON FeatureCollection

// --- Beijing days ---------------------------------------------------------------------------
function beijingToday() { return new Date(Date.now() + 8 * 3600000).toISOString().slice(0, 10); }
function addDays(day, n) { return new Date(Date.parse(day + "T00:00:00Z") + n * DAY_MS).toISOString().slice(0, 10); }
function daysBetween(a, b) { return Math.round((Date.parse(b) - Date.parse(a)) / DAY_MS); }
function monthStart(day, delta) {
  const d = new Date(day + "T00:00:00Z");
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + delta, 1)).toISOString().slice(0, 10);
}

/** The half-open window [from, to) the period picker means, in Beijing days. */
function windowOf(state) {
  const today = beijingToday();
  switch (state.period) {
    case "7": case "30": case "90": return [addDays(today, 1 - Number(state.period)), addDays(today, 1)];
    case "this_month": return [monthStart(today, 0), monthStart(today, 1)];
    case "last_month": return [monthStart(today, -1), monthStart(today, 0)];
    default: return [state.from, state.to];
  }
}

function baseOf(state, from, to) {
  if (state.base === "custom") return [state.base_from, state.base_to];
  return [addDays(from, -daysBetween(from, to)), from];
}

// --- state <-> form <-> URL -------------------------------------------------------------------
function readForm() {
  const state = {};
  for (const name of FIELDS) {
    const input = form.elements[name];
    if (!input) continue;
    state[name] = input.type === "checkbox" ? (input.checked ? "1" : "") : input.value;
  }
  return state;
}

function writeForm(state) {
  for (const name of FIELDS) {
    const input = form.elements[name];
    if (!input || state[name] === undefined || state[name] === null) continue;
    if (input.type === "checkbox") input.checked = state[name] === "1"; else input.value = state[name];
  }
}

function showOptions(state) {
  document.getElementById("custom-dates").hidden = state.period !== "custom";
  document.getElementById("choropleth-options").hidden = state.kind !== "choropleth";
  document.getElementById("timeline-options").hidden = state.kind !== "timeline";
  document.getElementById("custom-base").hidden = state.base !== "custom";
  // Gi* needs 30 units or more: communities and streets only
  const hot = form.elements.hotspots;
  const few = !["community", "street"].includes(state.level);
  hot.disabled = few;
  if (few) hot.checked = false;
  document.getElementById("hotspots-hint").hidden = !few;
}

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== "" && v !== undefined && v !== null) q.set(k, v);
  return q.toString();
}

/** Every URL the page needs for one state, or an error message for a field. */
function plan(state) {
  const [from, to] = windowOf(state);
  if (!from || !to) return { error: ["dates-error", T.field_required] };
  if (to <= from) return { error: ["dates-error", T.date_to + " > " + T.date_from] };
  const [baseFrom, baseTo] = baseOf(state, from, to);
  const common = { category: state.category, from, to };
  const level = state.level;
  let map;
  if (state.kind === "heatmap") map = { path: "heatmap", params: common };
  else if (state.kind === "timeline") map = { path: "timeline", params: { ...common, step: state.step } };
  else if (state.kind === "compare") map = { path: "compare", params: { ...common, level, base_from: baseFrom, base_to: baseTo } };
  else map = { path: "choropleth", params: { ...common, level, value: state.value, scheme: state.scheme,
                                              k: state.k, hotspots: state.hotspots ? "1" : "" } };
  const mapUrl = `/v1/maps/${map.path}?${query(map.params)}`;
  const statsQuery = query({ ...common, level });
  return {
    from, to, baseFrom, baseTo, level, common, mapUrl, kind: state.kind, mapParams: map.params,
    stats: `/v1/stats/grids?${statsQuery}`,
    compare: `/v1/stats/compare?${query({ ...common, level, base_from: baseFrom, base_to: baseTo })}`,
    downloads: {
      "dl-csv": [`/v1/stats/grids?${statsQuery}&format=csv`, `gridsvc-${level}-${from}.csv`],
      "dl-geojson": [`/v1/stats/grids?${statsQuery}&format=geojson`, `gridsvc-${level}-${from}.geojson`],
      "dl-gpkg": [`/v1/stats/grids?${statsQuery}&format=gpkg`, `gridsvc-${level}-${from}.gpkg`],
      "dl-html": [`${mapUrl}&standalone=1`, `gridsvc-${map.path}-${from}.html`],
      "dl-png": [`${mapUrl}&format=png`, `gridsvc-${map.path}-${from}.png`],
    },
  };
}

// --- drawing ------------------------------------------------------------------------------------
async function drawMap(p, mine) {
  statusLine.textContent = T.loading;
  try {
    const html = await (await api(p.mapUrl)).text();
    if (mine !== generation) return;
    // marks which redraw the frame shows (the browser tests and bench/console.py wait on it)
    frame.onload = () => { frame.dataset.drawn = String(mine); };
    frame.srcdoc = html;
    statusLine.textContent = "";
  } catch (e) {
    if (mine === generation) statusLine.textContent = T.load_failed + e.message;
  }
}

async function drawTable(p, mine) {
  tbody.replaceChildren(el("tr", {}, el("td", { colspan: "7", text: T.loading })));
  try {
    const [counts, change] = await Promise.all([
      api(p.stats).then((r) => r.json()),
      api(p.compare).then((r) => r.json()).catch(() => ({ rows: [] })),
    ]);
    if (mine !== generation) return;
    const byCode = Object.fromEntries(change.rows.map((r) => [r.code, r]));
    rows = counts.rows.map((r) => ({ ...r, change: byCode[r.code] ? byCode[r.code].change : null,
                                     change_pct: byCode[r.code] ? byCode[r.code].change_pct : null,
                                     q: byCode[r.code] ? byCode[r.code].p_value : null,
                                     significant: byCode[r.code] ? byCode[r.code].significant : false }));
    renderRows();
    tbody.dataset.generation = String(mine);
  } catch (e) {
    if (mine === generation) tbody.replaceChildren(el("tr", {}, el("td", { colspan: "7", class: "error", text: T.load_failed + e.message })));
  }
}

function fmt(value, digits) {
  if (value === null || value === undefined || Number.isNaN(value)) return "—";
  return Number(value).toLocaleString("zh-CN", { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function renderRows() {
  const sorted = [...rows].sort((a, b) => {
    const x = a[sortKey], y = b[sortKey];
    const order = typeof x === "string" ? String(x).localeCompare(String(y), "zh-CN") : (x ?? -Infinity) - (y ?? -Infinity);
    return sortDescending ? -order : order;
  });
  tbody.replaceChildren(...sorted.map((r) => {
    const change = r.change === null ? "—" : `${r.change > 0 ? "+" : ""}${r.change}` +
      (r.change_pct === null ? "" : `（${r.change_pct > 0 ? "+" : ""}${fmt(r.change_pct, 0)}%）`);
    const tr = el("tr", { tabindex: "0", "data-code": r.code },
      el("td", { text: r.code }), el("td", { text: r.name }),
      el("td", { class: "num", text: fmt(r.n, 0) }),
      el("td", { class: "num", text: fmt(r.density_per_km2, 2) }),
      el("td", { class: "num", text: fmt(r.rate_per_1000, 3) }),
      el("td", { class: "num", text: change }),
      el("td", { class: r.significant ? "sig" : "", text: r.q === null ? "—" : (r.significant ? T.significant : T.not_significant) + `（p=${fmt(r.q, 3)}）` }));
    tr.addEventListener("click", () => selectUnit(r));
    tr.addEventListener("keydown", (ev) => { if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); selectUnit(r); } });
    return tr;
  }));
  document.getElementById("total-n").textContent = fmt(rows.reduce((s, r) => s + r.n, 0), 0);
  for (const th of document.querySelectorAll("#stats th")) {
    const key = th.querySelector("button") && th.querySelector("button").dataset.sort;
    if (key === sortKey) th.setAttribute("aria-sort", sortDescending ? "descending" : "ascending"); else th.removeAttribute("aria-sort");
  }
}

function shapesOf(level) {
  if (!unitShapes[level]) unitShapes[level] = api(`/v1/grids?level=${level}&simplify_m=20`).then((r) => r.json());
  return unitShapes[level];
}

function leafletMap(win) {
  if (!win || !win.L) return null;
  for (const key of Object.keys(win)) {
    try { if (win[key] instanceof win.L.Map) return win[key]; } catch (e) { /* not ours */ }
  }
  return null;
}

async function selectUnit(r) {
  for (const tr of tbody.querySelectorAll("tr")) tr.classList.toggle("selected", tr.dataset.code === r.code);
  const p = plan(readForm());
  drawSeries(r, p);
  const shapes = await shapesOf(p.level);
  const feature = shapes.features.find((f) => f.properties.code === r.code);
  const map = leafletMap(frame.contentWindow);
  if (!feature || !map) return;
  const win = frame.contentWindow;
  if (map._gridsvcSelected) map.removeLayer(map._gridsvcSelected);
  map._gridsvcSelected = win.L.geoJSON(feature, { style: { color: "#f0a500", weight: 4, fill: false } }).addTo(map);
  map.fitBounds(map._gridsvcSelected.getBounds(), { padding: [20, 20] });
}

async function drawSeries(r, p) {
  document.getElementById("series-name").textContent = `${r.name}（${r.code}）`;
  const box = document.getElementById("series-chart");
  box.textContent = T.loading;
  const interval = daysBetween(p.from, p.to) > 120 ? "week" : "day";
  try {
    const data = await (await api(`/v1/stats/timeseries?${query({ category: p.common.category, from: p.from, to: p.to, grid: r.code, interval })}`)).json();
    box.replaceChildren(lineChart(data.rows.map((d) => [String(d.period_start).slice(0, 10), d.n])));
  } catch (e) {
    box.textContent = T.load_failed + e.message;
  }
}

function lineChart(points) {
  const NS = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(NS, "svg");
  const W = 480, H = 200, L = 40, B = 24, R = 8, TOP = 10;
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  svg.setAttribute("role", "img");
  const add = (tag, attrs, text) => {
    const n = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
    if (text !== undefined) n.textContent = text;
    svg.append(n);
    return n;
  };
  if (!points.length) { add("text", { x: W / 2, y: H / 2, "text-anchor": "middle" }, T.no_data); return svg; }
  const max = Math.max(1, ...points.map((p) => p[1]));
  const x = (i) => L + (points.length === 1 ? 0 : (i * (W - L - R)) / (points.length - 1));
  const y = (v) => TOP + (H - TOP - B) * (1 - v / max);
  add("line", { x1: L, y1: y(0), x2: W - R, y2: y(0), stroke: "#8a96a3" });
  add("line", { x1: L, y1: TOP, x2: L, y2: y(0), stroke: "#8a96a3" });
  add("text", { x: L - 4, y: y(max) + 4, "text-anchor": "end", "font-size": 11 }, String(max));
  add("text", { x: L - 4, y: y(0) + 4, "text-anchor": "end", "font-size": 11 }, "0");
  add("text", { x: L, y: H - 6, "font-size": 11 }, points[0][0]);
  add("text", { x: W - R, y: H - 6, "text-anchor": "end", "font-size": 11 }, points[points.length - 1][0]);
  add("polyline", { fill: "none", stroke: "#0b5cad", "stroke-width": 2,
                    points: points.map((p, i) => `${x(i)},${y(p[1])}`).join(" ") });
  const total = points.reduce((s, p) => s + p[1], 0);
  svg.setAttribute("aria-label", `${T.series_title}：${T.total} ${total}`);
  svg.dataset.total = String(total);
  return svg;
}

// --- the loop -----------------------------------------------------------------------------------
function redraw(push) {
  showOptions(readForm());
  const state = readForm();
  const p = plan(state);
  showFieldError("dates-error", p.error ? p.error[1] : "");
  if (p.error) return;
  if (push) history.replaceState(null, "", "?" + query(state));
  for (const [id, [href, name]] of Object.entries(p.downloads)) {
    const a = document.getElementById(id);
    a.href = href; a.setAttribute("download", name);
  }
  window.currentPlan = p;
  const mine = ++generation;
  drawMap(p, mine);
  drawTable(p, mine);
}

async function loadCategories() {
  const select = form.elements.category;
  const data = await (await api("/v1/categories")).json();
  fillCategorySelect(select, data.categories);
}

document.querySelectorAll("#stats th button").forEach((b) => b.addEventListener("click", () => {
  if (sortKey === b.dataset.sort) sortDescending = !sortDescending; else { sortKey = b.dataset.sort; sortDescending = true; }
  renderRows();
}));
form.addEventListener("change", () => redraw(true));
form.addEventListener("submit", (ev) => { ev.preventDefault(); redraw(true); });

(async () => {
  await loadCategories();
  const fromUrl = Object.fromEntries(new URLSearchParams(location.search));
  writeForm(fromUrl);
  redraw(false);
})();
