// One event in the dispatch console: what was reported, its grids, deadlines, dispatches,
// possible duplicates and history, and the actions its state allows this user. Every action
// carries the row_version the page showed: if someone acted first, the server answers 409
// and the page shows the new state instead of overwriting it.
"use strict";
const page = document.getElementById("event-page");
const EVENT_ID = Number(page.dataset.eventId);
const notice = document.getElementById("action-notice");
const errorBox = document.getElementById("event-error");
const noteInput = document.getElementById("action-note");
const NEEDS_NOTE = new Set(["reject", "resolve", "fail_verification"]);
let event = null;
let byCode = {};
let departments = [];
let evMap = null;

function dl(node, pairs) {
  node.replaceChildren();
  for (const [k, v] of pairs) {
    if (v === null || v === undefined || v === "") continue;
    node.append(el("dt", { text: k }), el("dd", {}, v instanceof Node ? v : String(v)));
  }
}

function say(message, bad = false) {
  notice.textContent = message;
  notice.className = bad ? "error" : "notice";
  notice.hidden = !message;
}

function showFacts(e) {
  const loc = e.location;
  const attrs = Object.entries(e.attributes || {}).map(([k, v]) => `${k}: ${v}`).join("；");
  dl(document.getElementById("ev-facts"), [
    [T.category, categoryName(byCode, e.category)],
    [T.col_title, e.title],
    [T.dispatch_urgency, urgencyName(e.urgency)],
    [T.col_occurred, beijingTime(e.occurred_at)],
    [T.event_reported_at, beijingTime(e.reported_at)],
    [T.event_reporter, e.reporter_id],
    [T.event_source, sourceName(e.source)],
    [T.event_description, e.description],
    [T.event_address, loc.address],
    [T.event_location, `${Number(loc.lon_wgs84).toFixed(6)}, ${Number(loc.lat_wgs84).toFixed(6)}`],
    [T.event_accuracy, loc.accuracy_m != null ? `${loc.accuracy_m} m` : ""],
    [T.event_attributes, attrs],
  ]);
  const photos = document.getElementById("ev-photos");
  photos.replaceChildren();
  // photos stored by gridsvc are shown; anything else a report or an import named (another
  // system's address) is listed as text, never fetched or linked: no request leaves the site
  const entries = (e.media || []).filter((m) => typeof m === "string");
  const ours = entries.filter((m) => MEDIA_URL.test(m));
  if (!entries.length) photos.append(el("p", { class: "small", text: T.event_no_photos }));
  for (const url of ours) {
    const img = el("img", { src: url, alt: `${T.event_photos} ${url.split("/").pop().slice(0, 8)}`, loading: "lazy" });
    photos.append(el("a", { href: url, target: "_blank", rel: "noopener" }, img));
  }
  for (const other of entries.filter((m) => !MEDIA_URL.test(m))) {
    photos.append(el("p", { class: "small media-other", text: `${T.event_media_elsewhere}${other}` }));
  }
}

/** "name（code）" of the event's units: one request for its community, whose parents carry
 *  the street's and the district's names, and one for its sector. */
async function eventUnits(g) {
  const named = (code, name) => (code ? (name ? `${name}（${code}）` : code) : "");
  const detail = (code) => (code ? api("/v1/grids/" + encodeURIComponent(code)).then((r) => r.json()).catch(() => null) : null);
  const [community, sector] = await Promise.all([detail(g.community_code), detail(g.sector_code)]);
  const byCode = Object.fromEntries(((community && community.parents) || []).map((u) => [u.code, u.name]));
  return {
    community: named(g.community_code, community && community.name),
    street: named(g.street_code, byCode[g.street_code]),
    district: named(g.district_code, byCode[g.district_code]),
    sector: named(g.sector_code, sector && sector.name),
    outline: community && community.geometry,
  };
}

let gridsShown = null;  // the community whose units are on the page: they do not change with the state

async function showGrids(e) {
  const g = e.grid;
  const lat = e.location.lat_wgs84, lon = e.location.lon_wgs84;
  if (!evMap) evMap = plainMap("ev-map");
  if (gridsShown !== g.community_code) {
    gridsShown = g.community_code;
    const u = await eventUnits(g);
    const flags = [g.snapped ? T.event_snapped : "", g.near_boundary ? T.event_near_boundary : ""].filter(Boolean).join("；");
    dl(document.getElementById("ev-grids"), [
      [T.event_grid_community, u.community], [T.event_grid_street, u.street],
      [T.event_grid_district, u.district], [T.event_grid_sector, u.sector],
      [T.event_grid_grid, g.grid_code], ["", flags],
    ]);
    if (u.outline) L.geoJSON(u.outline, { style: { color: "#0b5cad", weight: 2, fill: false }, interactive: false }).addTo(evMap);
    evMap.setView([lat, lon], 15);
  }
  if (evMap.eventMarker) evMap.removeLayer(evMap.eventMarker);
  evMap.eventMarker = L.circleMarker([lat, lon], { radius: 8, color: "#b3261e", weight: 3 }).addTo(evMap);
}

function showDeadlines(e, dispatches) {
  const d = e.deadlines;
  dl(document.getElementById("ev-deadlines"), [
    [T.event_accept_due, beijingTime(d.accept_due_at)],
    [T.event_resolve_due, beijingTime(d.resolve_due_at)],
    ["", d.overdue ? el("span", { class: "late-mark", text: T.event_is_overdue }) : ""],
  ]);
  const names = Object.fromEntries(departments.map((x) => [x.code, x.name_zh]));
  const body = document.querySelector("#ev-dispatches tbody");
  body.replaceChildren(...dispatches.map((x) => el("tr", { class: x.overdue ? "overdue" : "" },
    el("td", { text: names[x.department] || x.department }),
    el("td", { text: T["dept_" + x.state] || x.state }),
    el("td", { text: beijingTime(x.due_at) + (x.overdue ? " " + T.event_is_overdue : "") }),
    el("td", { text: x.note || "" }))));
}

function showHistory(items) {
  const body = document.querySelector("#ev-history tbody");
  body.replaceChildren(...items.map((h) => el("tr", {},
    el("td", { text: beijingTime(h.at) }),
    el("td", { text: `${h.actor}（${T["role_" + h.role] || h.role}）` }),
    el("td", { text: actionName(h.action) }),
    el("td", { text: `${statusName(h.from_status)} → ${statusName(h.to_status)}` }),
    el("td", { text: h.note || "" }))));
}

function showDuplicates(found, allowed) {
  const body = document.querySelector("#ev-duplicates tbody");
  if (!found.length) {
    body.replaceChildren(el("tr", {}, el("td", { colspan: "5", text: T.event_no_duplicates })));
    return;
  }
  body.replaceChildren(...found.map((d) => {
    const cell = el("td", {});
    if (allowed.includes("merge")) {
      const b = el("button", { type: "button", class: "merge-into", "data-into": String(d.id), text: T.event_merge_into });
      b.addEventListener("click", () => act("merge", { into: d.id }));
      cell.append(b);
    }
    return el("tr", {},
      el("td", {}, el("a", { href: `/dispatch/events/${d.id}`, text: `#${d.id}` })),
      el("td", { text: statusName(d.status) }),
      el("td", { text: d.title || "" }),
      el("td", { text: beijingTime(d.occurred_at) }), cell);
  }));
}

function showActions(allowed) {
  const box = document.getElementById("action-buttons");
  box.replaceChildren();
  if (!allowed.length) box.append(el("p", { class: "small", text: T.event_no_actions }));
  for (const a of allowed) {
    const b = el("button", { type: "button", class: a === "reject" || a === "fail_verification" ? "" : "primary", "data-action": a, text: actionName(a) });
    b.addEventListener("click", () => act(a));
    box.append(b);
  }
  document.getElementById("f-departments").hidden = !allowed.includes("dispatch");
  document.getElementById("f-merge").hidden = !allowed.includes("merge");
  const boxes = document.getElementById("department-boxes");
  if (allowed.includes("dispatch") && !boxes.children.length) {
    for (const d of departments.filter((x) => x.active !== false)) {
      const id = "dept-" + d.code;
      const suggested = (d.categories || []).some((c) => event.category === c || event.category.startsWith(c + "."));
      boxes.append(el("label", { class: "check" + (suggested ? " suggested" : ""), for: id },
        el("input", { type: "checkbox", id, name: "departments", value: d.code }), " " + d.name_zh));
    }
  }
}

async function load() {
  errorBox.hidden = true;
  try {
    const [e, hist, near] = await Promise.all([
      api(`/v1/events/${EVENT_ID}`).then((r) => r.json()),
      api(`/v1/events/${EVENT_ID}/history`).then((r) => r.json()),
      api(`/v1/events/${EVENT_ID}/nearby`).then((r) => r.json()),
    ]);
    event = e;
    document.getElementById("ev-heading").textContent = `#${e.id} ${e.title || categoryName(byCode, e.category)}`;
    const badge = document.getElementById("ev-status");
    badge.textContent = statusName(e.status);
    badge.className = "badge status-" + e.status;
    showFacts(e);
    showDeadlines(e, hist.dispatches);
    showHistory(hist.history);
    showDuplicates(near.possible_duplicates, hist.allowed_next);
    showActions(hist.allowed_next);
    await showGrids(e);
    // set last: everything of this version is on the page (the browser tests wait on it)
    page.dataset.status = e.status;
    page.dataset.rowVersion = String(e.row_version);
  } catch (err) {
    errorBox.textContent = err.status === 403 || err.status === 404 ? T.event_not_visible : T.load_failed + err.message;
    errorBox.hidden = false;
  }
}

async function act(action, extra = {}) {
  say("");
  for (const id of ["note-error", "departments-error", "merge-error"]) showFieldError(id, "");
  const body = { action, row_version: event.row_version, ...extra };
  const note = noteInput.value.trim();
  if (note) body.note = note;
  if (NEEDS_NOTE.has(action) && !note) {
    showFieldError("note-error", T.event_note_required);
    noteInput.setAttribute("aria-invalid", "true");
    noteInput.focus();
    return;
  }
  noteInput.removeAttribute("aria-invalid");
  if (action === "dispatch") {
    body.departments = [...document.querySelectorAll("#department-boxes input:checked")].map((i) => i.value);
    if (!body.departments.length) { showFieldError("departments-error", T.event_pick_department); return; }
  }
  if (action === "merge" && body.into === undefined) {
    const into = Number(document.getElementById("merge-into").value.trim());
    if (!Number.isInteger(into) || into <= 0 || into === EVENT_ID) { showFieldError("merge-error", T.event_merge_target_bad); return; }
    body.into = into;
  }
  for (const b of document.querySelectorAll("#action-buttons button")) b.disabled = true;
  try {
    await api(`/v1/events/${EVENT_ID}/actions`, { method: "POST", json: body });
    noteInput.value = "";
    await load();
    say(`${actionName(action)}：${T.event_done}`);
  } catch (err) {
    await load();
    if (err.status === 409) say(T.event_conflict, true);
    else say(T.event_refused + (err.body.message || err.message), true);
  } finally {
    for (const b of document.querySelectorAll("#action-buttons button")) b.disabled = false;
  }
}

(async function start() {
  try {
    [byCode, departments] = await Promise.all([
      categories(),
      api("/v1/departments").then((r) => r.json()).then((d) => d.departments),
    ]);
  } catch (e) { /* names fall back to codes */ }
  await load();
})();
