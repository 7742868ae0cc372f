// The dispatch queue: counts per status, filters kept in the address, the list and its map,
// polled for new reports.
"use strict";
const POLL_MS = 15000;
const form = document.getElementById("queue-filters");
const tbody = document.querySelector("#queue tbody");
const moreButton = document.getElementById("more");
const queueStatus = document.getElementById("queue-status");
const newReports = document.getElementById("new-reports");
const FILTERS = ["category", "urgency", "grid", "from", "to"];
let state = { status: "" };
let cursors = [];  // the next page of each list the tab shows, in order
let newestReported = null;  // the newest new report the queue knows of (null: not yet read)
let generation = 0;
let byCode = {};
let names = {};
const map = plainMap("queue-map");
const markers = L.layerGroup().addTo(map);

function readState() {
  const p = new URLSearchParams(location.search);
  const s = { status: p.get("status") || "" };
  for (const f of FILTERS) s[f] = p.get(f) || "";
  return s;
}

function writeForm() { for (const f of FILTERS) form.elements[f].value = state[f] || ""; }

function pushState() {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(state)) if (v) p.set(k, v);
  history.replaceState(null, "", location.pathname + (p.toString() ? "?" + p : ""));
}

/** The /v1/events query of the current filters (status and overdue from the tab). */
function query(extra = {}) {
  const p = new URLSearchParams();
  if (state.category) p.set("category", state.category);
  if (state.urgency) p.set("urgency", state.urgency);
  if (state.grid) p.set("grid", state.grid);
  if (state.from) p.set("from", state.from + "T00:00:00+08:00");
  if (state.to) p.set("to", nextDay(state.to) + "T00:00:00+08:00");  // the end day included
  for (const [k, v] of Object.entries(extra)) p.set(k, v);
  return p;
}

/** The day after a "YYYY-MM-DD" day. */
function nextDay(day) {
  return new Date(Date.parse(day + "T00:00:00Z") + 86400000).toISOString().slice(0, 10);
}

function validate() {
  let ok = true;
  const grid = form.elements.grid.value.trim();
  const gridOk = !grid || /^(\d{6}|\d{9}|\d{12}|\d{15}|S[0-9A-Za-z_]+)$/.test(grid);
  showFieldError("q-grid-error", gridOk ? "" : T.dispatch_bad_grid);
  form.elements.grid.setAttribute("aria-invalid", String(!gridOk));
  ok = ok && gridOk;
  const from = form.elements.from.value, to = form.elements.to.value;
  const datesOk = !from || !to || from <= to;
  showFieldError("q-dates-error", datesOk ? "" : T.dispatch_bad_dates);
  form.elements.to.setAttribute("aria-invalid", String(!datesOk));
  return ok && datesOk;
}

async function loadCounts(mine) {
  const counts = await (await api("/v1/events/counts?" + query())).json();
  if (mine !== generation) return;  // the filters changed meanwhile: a newer answer comes
  for (const node of document.querySelectorAll("[data-count]")) {
    const key = node.dataset.count;
    let n = key === "open" ? counts.open : key === "overdue" ? counts.overdue : counts.by_status[key];
    node.textContent = (n ?? 0).toLocaleString("zh-CN") + (key === "overdue" && counts.overdue_more ? "+" : "");
  }
}

function rowOf(f) {
  const e = f.properties;
  const late = e.deadlines && e.deadlines.overdue;
  const due = e.status === "reported" ? e.deadlines.accept_due_at : e.deadlines.resolve_due_at;
  const tr = el("tr", { "data-id": String(f.id), class: (late ? "overdue " : "") + "status-" + e.status, tabindex: "0" },
    el("td", {}, el("a", { href: `/dispatch/events/${f.id}`, text: `#${f.id}` })),
    el("td", {}, el("span", { class: "badge status-" + e.status, text: statusName(e.status) })),
    el("td", { text: categoryName(byCode, e.category) }),
    el("td", { text: e.title || "" }),
    el("td", { text: names[e.grid.community_code] || e.grid.community_code || "", title: e.grid.community_code || "" }),
    el("td", { text: beijingTime(e.occurred_at) }),
    el("td", {}, ...(late ? [el("span", { class: "late-mark", text: T.dispatch_overdue })] : []), beijingTime(due) ? " " + beijingTime(due) : ""),
    el("td", { text: urgencyName(e.urgency) }));
  tr.addEventListener("click", (ev) => { if (ev.target.tagName !== "A") location.href = `/dispatch/events/${f.id}`; });
  tr.addEventListener("keydown", (ev) => { if (ev.key === "Enter") location.href = `/dispatch/events/${f.id}`; });
  return tr;
}

function addMarkers(features) {
  for (const f of features) {
    const [lon, lat] = f.geometry.coordinates;
    const late = f.properties.deadlines && f.properties.deadlines.overdue;
    L.circleMarker([lat, lon], { radius: 6, color: late ? "#b3261e" : "#0b5cad", weight: 2, fillOpacity: 0.6 })
      .bindTooltip(document.createTextNode(`#${f.id} ${categoryName(byCode, f.properties.category)} · ${statusName(f.properties.status)}`))
      .on("click", () => { location.href = `/dispatch/events/${f.id}`; })
      .addTo(markers);
  }
}

/** The pages of the list: new reports first (the reported tab), then the other open states. */
function listQueries() {
  if (state.status === "overdue") return [query({ overdue: "true", limit: "50" })];
  if (state.status) return [query({ status: state.status, limit: "50" })];
  return [query({ status: "reported", limit: "50" }),
          query({ status: "accepted,dispatched,in_progress,resolved,verified", limit: "50" })];
}

/** Show the first page of each list of the tab, or (append) the next page of the first list
 *  that has more. Rows keep their list's place: more new reports go above the other states. */
async function loadList(mine, append) {
  const parts = append ? cursors.slice(0, 1) : listQueries().map((q, list) => ({ q, list }));
  if (!append) { tbody.replaceChildren(); markers.clearLayers(); }
  queueStatus.textContent = T.loading;
  const next = append ? cursors.slice(1) : [];
  const pages = [];
  for (const part of parts) {
    const page = await (await api("/v1/events?" + part.q)).json();
    if (mine !== generation) return;
    pages.push([part, page]);
    if (part.q.get("status") === "reported" && !part.q.has("after") && page.features.length) {
      newestReported = Math.max(newestReported || 0, ...page.features.map((f) => f.id));
    }
    if (page.next) {
      const q = new URLSearchParams(part.q);
      q.set("after", String(page.next));
      next.splice(pages.length - 1, 0, { q, list: part.list });
    }
  }
  for (const [part, page] of pages) {
    const later = [...tbody.querySelectorAll("tr[data-list]")].find((r) => Number(r.dataset.list) > part.list);
    for (const f of page.features) {
      const row = rowOf(f);
      row.dataset.list = String(part.list);
      tbody.insertBefore(row, later || null);
    }
    addMarkers(page.features);
  }
  cursors = next;
  moreButton.hidden = cursors.length === 0;
  queueStatus.textContent = "";
  tbody.dataset.generation = String(mine);
  if (!tbody.querySelector("tr[data-id]")) tbody.append(el("tr", {}, el("td", { colspan: "8", text: T.dispatch_none })));
  const layers = markers.getLayers();
  if (layers.length && !append) map.fitBounds(L.featureGroup(layers).getBounds().pad(0.2), { maxZoom: 15 });
}

async function refresh() {
  const mine = ++generation;
  for (const b of document.querySelectorAll("#counts button")) b.setAttribute("aria-pressed", String(b.dataset.status === state.status));
  newReports.hidden = true;
  try {
    await Promise.all([loadCounts(mine), loadList(mine, false)]);
    // the counts and the list of this refresh are both on screen (the browser tests wait on it)
    if (mine === generation) document.body.dataset.shown = String(mine);
  } catch (e) {
    if (mine === generation) queueStatus.textContent = T.load_failed + e.message;
  }
}

/** Every POLL_MS: counts, and whether reports newer than the newest shown have come in. */
async function poll() {
  const mine = generation;
  try {
    await loadCounts(mine);
    const page = await (await api("/v1/events?" + query({ status: "reported", limit: "50" }))).json();
    if (mine !== generation) return;
    const ids = page.features.map((f) => f.id);
    if (newestReported === null) {  // a tab without new reports: from now on
      newestReported = Math.max(0, ...ids);
      return;
    }
    const fresh = ids.filter((id) => id > newestReported).length;
    if (fresh > 0) {
      const button = document.getElementById("show-new");
      button.textContent = `${fresh}${page.next && fresh === ids.length ? "+" : ""} ${T.dispatch_new_reports}`;
      newReports.hidden = false;
    }
  } catch (e) { /* the next poll tries again; a 401 has already sent the page to sign-in */ }
}

form.addEventListener("submit", (ev) => {
  ev.preventDefault();
  if (!validate()) return;
  for (const f of FILTERS) state[f] = form.elements[f].value.trim();
  pushState();
  refresh();
});
document.getElementById("q-reset").addEventListener("click", () => {
  state = { status: state.status };
  writeForm(); validate(); pushState(); refresh();
});
for (const b of document.querySelectorAll("#counts button")) {
  b.addEventListener("click", () => { state.status = b.dataset.status; pushState(); refresh(); });
}
moreButton.addEventListener("click", () => loadList(generation, true).catch((e) => { queueStatus.textContent = T.load_failed + e.message; }));
document.getElementById("show-new").addEventListener("click", () => {
  // new reports show in the tabs that list them: all open, or new reports
  if (state.status !== "reported") state.status = "";
  pushState();
  refresh();
});

(async function start() {
  state = readState();
  writeForm();
  try {
    [byCode, names] = await Promise.all([categories(), unitNames()]);
    fillCategorySelect(form.elements.category, Object.values(byCode));
    form.elements.category.value = state.category || "";
  } catch (e) { queueStatus.textContent = T.load_failed + e.message; }
  await refresh();
  setInterval(poll, POLL_MS);
})();
