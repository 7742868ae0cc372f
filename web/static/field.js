// The grid worker's field page (/field): report from a phone, with or without a network.
// Every report goes into a queue in IndexedDB first (with its photos, as blobs) under a
// client_event_id made once per report; the queue is sent when the network is there (now, at
// page load, on the `online` event, and again on a timer while reports wait). The API stores
// a report once per reporter and client_event_id, so a retry after a lost answer is harmless.
// A report the server refuses stays in the queue with the server's reason until the worker
// corrects it.
// The page may be the copy the service worker kept from another session (a shared phone):
// before it sends, it asks /field/whoami who is signed in, takes a new CSRF token, or reloads
// when it is someone else; each queued report names its owner and is sent only by the owner's
// session.
// Uses T, CSRF, el and showFieldError of common.js.
"use strict";

const ROOT = document.getElementById("field");
const SCOPE = ROOT.dataset.scope;
// who this page works for; the token is renewed from /field/whoami
const session = { user: ROOT.dataset.user, csrf: CSRF, checked: false };
const SIGNED_OUT_COOKIE = "gridsvc_signed_out";  // web.field.SIGNED_OUT_COOKIE
const RETRY_FIRST_MS = 5000;
const RETRY_MAX_MS = 5 * 60 * 1000;
const MAX_SIDE_PX = 1600;
const KEEP_SENT = 30;
const $ = (id) => document.getElementById(id);
const fmt = (text, values) => text.replace(/\{(\w+)\}/g, (_, k) => (k in values ? values[k] : ""));
function timeNode(iso) {
  return el("time", { datetime: iso || "", text: beijingTime(iso) });
}

// --- requests -------------------------------------------------------------------------------

class Refused extends Error {
  // the server answered and said no (4xx) about the report: it must be corrected, not resent
  constructor(status, body) {
    super((body && body.message) || String(status));
    this.status = status;
    this.body = body || {};
  }
}

class SessionError extends Error {
  // the answer was about the page's session, not the request (401; a 403 for the CSRF
  // token): the request waits until the page has the browser's session again
}

function aboutSession(status, body) {
  // api/deps.py answers a missing or wrong token with 403 Forbidden, message id access.csrf
  // (its words are in either language); other 403s (a role, a scope) are about the request
  return status === 401 || (status === 403 && body.message_id === "access.csrf");
}

async function call(path, options = {}, renewed = false) {
  // like common.js's api(), but never leaves the page on 401: a queue being sent in the
  // background must not take the worker away from a half-filled form
  // the server's words are shown to the worker: in the page's language, not the browser's
  const headers = { "Accept-Language": "zh-CN", ...(options.headers || {}) };
  const init = { credentials: "same-origin", ...options, headers };
  const changes = init.method && init.method !== "GET";
  if (changes) init.headers["X-CSRF-Token"] = session.csrf;
  if (init.json !== undefined) {
    init.body = JSON.stringify(init.json);
    init.headers["Content-Type"] = "application/json";
    delete init.json;
  }
  const response = await fetch(path, init);  // a network failure throws TypeError
  if (response.ok) return response;
  let body = null;
  try { body = await response.json(); } catch (e) { body = { message: response.statusText }; }
  body = body || {};
  if (aboutSession(response.status, body)) {
    // a page kept from an older session: take the browser's token, then once more
    if (changes && !renewed && (await checkSession()) === "ok") return call(path, options, true);
    throw new SessionError(body.message || String(response.status));
  }
  // busy or down: try again later; everything else in 4xx is the request's own fault
  if (response.status >= 500 || response.status === 408 || response.status === 429) {
    throw new TypeError(String(response.status));
  }
  throw new Refused(response.status, body);
}

function showNet(text, bad, link) {
  const node = $("f-net");
  node.replaceChildren(text);
  if (link) node.append(" ", el("a", { href: link.href, text: link.text }));
  node.classList.toggle("offline", !!bad);
}

// --- the session ----------------------------------------------------------------------------

function markedSignedOut() {
  return document.cookie.split(";").some((c) => c.trim().startsWith(SIGNED_OUT_COOKIE + "="));
}

async function forgetPage() {
  // the kept page carries a session's name and token: never shown to the next one
  if (!window.caches) return;
  try {
    for (const key of await caches.keys()) {
      if (key.startsWith("gridsvc-field-")) await (await caches.open(key)).delete("/field");
    }
  } catch (e) { /* no cache to clean */ }
}

function showSignedOut() {
  showNet(T.field_signed_out, true, { href: "/login?next=/field", text: T.field_sign_in_again });
}

function adoptToken(token) {
  // the page's own forms (sign-out) too
  session.csrf = token;
  const meta = document.querySelector("meta[name=csrf-token]");
  if (meta) meta.content = token;
  for (const input of document.querySelectorAll("input[name=csrf_token]")) input.value = token;
}

async function checkSession() {
  // "ok" when this page may send as session.user now (its token renewed if need be);
  // "unknown" (no answer), "signed_out", or "other" (another user: the page reloads)
  let who;
  try {
    const response = await fetch("/field/whoami", { credentials: "same-origin", cache: "no-store" });
    if (!response.ok) return "unknown";
    who = await response.json();
  } catch (e) {
    return "unknown";
  }
  if (!who.user) {
    session.checked = false;
    await forgetPage();
    showSignedOut();
    return "signed_out";
  }
  if (who.user !== session.user) {
    // someone else is signed in: this page (and its queue view) is not theirs
    session.checked = false;
    showNet(T.field_page_stale, true);
    await forgetPage();
    if (sessionStorage.getItem("field-reloaded-for") !== who.user) {
      sessionStorage.setItem("field-reloaded-for", who.user);
      location.reload();
    }
    return "other";
  }
  sessionStorage.removeItem("field-reloaded-for");
  if (who.csrf_token !== session.csrf) adoptToken(who.csrf_token);
  if (!session.checked) updateNet();
  session.checked = true;
  return "ok";
}

function updateNet() {
  if (navigator.onLine) showNet(T.field_online, false); else showNet(T.field_offline, true);
}

// --- the queue in IndexedDB -----------------------------------------------------------------

const DB_NAME = "gridsvc-field";
let dbPromise = null;

function openDb() {
  if (!dbPromise) {
    dbPromise = new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = () => {
        request.result.createObjectStore("reports", { keyPath: "client_event_id" });
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }
  return dbPromise;
}

async function store(mode, work) {
  const db = await openDb();
  return new Promise((resolve, reject) => {
    const tx = db.transaction("reports", mode);
    const result = work(tx.objectStore("reports"));
    tx.oncomplete = () => resolve(result && "result" in result ? result.result : undefined);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

const putRecord = (record) => store("readwrite", (s) => s.put(record));
const getRecord = (id) => store("readonly", (s) => s.get(id));
const deleteRecord = (id) => store("readwrite", (s) => s.delete(id));

async function allRecords() {
  // only this user's: a phone shared by two workers never sends one's reports as the other's
  const all = (await store("readonly", (s) => s.getAll())) || [];
  return all.filter((r) => r.owner === session.user).sort((a, b) => a.created_at.localeCompare(b.created_at));
}

function newClientId() {
  if (crypto.randomUUID) return "field-" + crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return "field-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

// --- sending the queue ----------------------------------------------------------------------

let sending = null;  // the running pass
let again = false;  // asked for while a pass ran: one more pass after it
let retryTimer = null;
let retryMs = RETRY_FIRST_MS;

function sendQueue() {
  // one pass at a time; calls during a pass make one more pass after it
  if (sending) { again = true; return sending; }
  clearTimeout(retryTimer);
  retryTimer = null;
  sending = (async () => {
    try {
      let left;
      do {
        again = false;
        left = await sendPass();
      } while (again);
      retryLater(left);
    } finally {
      sending = null;
    }
  })();
  return sending;
}

function retryLater(left) {
  // reports still waiting on a server that was away, busy or signed out: again in 5 s,
  // doubling up to 5 min; offline, the `online` event starts the next pass
  if (!left || !navigator.onLine) { retryMs = RETRY_FIRST_MS; return; }
  retryTimer = setTimeout(sendQueue, retryMs);
  retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
}

async function sendPass() {
  // the number of reports still waiting
  if (!navigator.onLine) { await renderQueue(); return 0; }  // the `online` event starts the next
  let waiting = (await allRecords()).filter((r) => r.state === "waiting");
  if (waiting.length && (await checkSession()) === "ok") {
    waiting = (await allRecords()).filter((r) => r.state === "waiting");  // session.user's
    for (const record of waiting) {
      try {
        await sendOne(record);
        retryMs = RETRY_FIRST_MS;
      } catch (e) {
        if (!(e instanceof Refused)) break;  // no network, server away, session gone: later
        record.state = "refused";
        record.reason = refusalText(e);
        record.reason_field = e.body.field || null;
        record.new_id = e.body.error === "DuplicateConflict";  // its id is taken: 修改 renews it
        await putRecord(record);
      }
    }
  }
  // sent reports are listed under 我的上报 from the server; the queue keeps the last few
  const records = await allRecords();
  const sent = records.filter((r) => r.state === "sent");
  for (const r of sent.slice(0, Math.max(0, sent.length - KEEP_SENT))) await deleteRecord(r.client_event_id);
  await renderQueue();
  return records.filter((r) => r.state === "waiting").length;
}

async function sendOne(record) {
  for (const photo of record.photos) {
    if (photo.url) continue;
    const form = new FormData();
    form.append("file", photo.blob, photo.name || "photo.jpg");
    const answer = await (await call("/v1/media", { method: "POST", body: form })).json();
    photo.url = answer.url;
    await putRecord(record);  // uploaded photos are not sent again
  }
  const body = { ...record.report, client_event_id: record.client_event_id };
  body.media = record.photos.map((p) => p.url);
  const answer = await (await call("/v1/events", { method: "POST", json: body })).json();
  record.state = "sent";
  record.event_id = answer.event.id;
  record.status = answer.event.status;
  record.reason = null;
  for (const photo of record.photos) photo.blob = null;  // stored on the server now
  await putRecord(record);
}

const REFUSALS = {
  OutsideAllGrids: "field_refused_outside",
  UnknownCategory: "field_refused_category",
  UnsupportedMedia: "field_refused_photo",
  PayloadTooLarge: "field_refused_photo_size",
  DuplicateConflict: "field_refused_duplicate",
  Forbidden: "field_refused_forbidden",
};

function refusalText(e) {
  const onPoint = e.body.field === "lon" || e.body.field === "lat";
  const key = REFUSALS[e.body.error] || (onPoint ? "field_refused_outside" : "field_refused_input");
  // the server's words too, but not for a reused id: its message names the id, not the fix
  const own = e.body.message && e.body.error !== "DuplicateConflict";
  return T[key] + (own ? "（" + e.body.message + "）" : "");
}

// --- the queue as the worker sees it --------------------------------------------------------

const STATE_LABELS = { waiting: "field_state_waiting", sent: "field_state_sent", refused: "field_state_refused" };

async function renderQueue() {
  const records = await allRecords();
  const list = $("f-queue");
  list.replaceChildren();
  for (const r of records.slice().reverse()) {
    const item = el("li", { "data-id": r.client_event_id, "data-state": r.state });
    item.append(
      el("span", { class: "f-state " + r.state, text: T[STATE_LABELS[r.state]] }),
      el("b", { text: r.report.title || T.field_untitled }),
      el("span", { class: "small" }, categoryName(r.report.category) + " · ", timeNode(r.created_at)),
    );
    if (r.photos.length) item.append(el("span", { class: "small", text: " · " + fmt(T.field_photo_count, { n: r.photos.length }) }));
    if (r.state === "sent" && r.event_id) {
      item.append(el("p", { class: "small", text: fmt(T.field_sent_as, { id: r.event_id }) }));
    }
    if (r.state === "refused") {
      item.append(el("p", { class: "f-reason", text: r.reason || "" }));
      const actions = el("div", { class: "f-actions" });
      const fix = el("button", { type: "button", class: "f-fix", text: T.field_fix });
      fix.addEventListener("click", () => editRecord(r.client_event_id));
      const drop = el("button", { type: "button", class: "f-drop", text: T.field_discard });
      drop.addEventListener("click", async () => {
        if (confirm(T.field_discard_confirm)) { await deleteRecord(r.client_event_id); await renderQueue(); }
      });
      actions.append(fix, drop);
      item.append(actions);
    }
    list.append(item);
  }
  const open = records.filter((r) => r.state !== "sent").length;
  $("f-queue-count").textContent = String(open);
  $("f-queue-count").hidden = open === 0;
}

// --- categories and their fields -------------------------------------------------------------

let categories = [];
const byCode = new Map();

function categoryName(code) {
  const c = byCode.get(code);
  return c ? c.name_zh : code || "";
}

async function loadCategories() {
  try {
    categories = (await (await call("/v1/categories")).json()).categories;
  } catch (e) {
    showFieldError("f-category-error", T.field_categories_unavailable);
    return;
  }
  for (const c of categories) byCode.set(c.code, c);
  fillCategories("");
}

function fillCategories(search) {
  const select = $("f-category");
  const chosen = select.value;
  const words = search.trim().toLowerCase().replace(/\s+/g, "");
  // a name, its group's name, its code, or the pinyin initials of either (ddz: 电动自…)
  const found = (c) => c.name_zh.includes(words) || c.code.includes(words)
    || (c.pinyin_initials || "").includes(words);
  select.replaceChildren();
  for (const group of categories.filter((c) => !c.parent_code)) {
    const leaves = categories.filter((c) => c.parent_code === group.code).filter((c) =>
      !words || found(c) || found(group));
    if (!leaves.length) continue;
    const optgroup = el("optgroup", { label: group.name_zh });
    for (const c of leaves) optgroup.append(el("option", { value: c.code, text: c.name_zh }));
    select.append(optgroup);
  }
  if (chosen && [...select.options].some((o) => o.value === chosen)) select.value = chosen;
  else if (words && select.options.length === 1) { select.selectedIndex = 0; renderAttributes(); }
}

function renderAttributes(values = {}) {
  const box = $("f-attrs");
  box.replaceChildren();
  const category = byCode.get($("f-category").value);
  if (!category) return;
  for (const f of category.fields || []) {
    const id = "f-attr-" + f.name;
    const label = el("label", { for: id, text: f.label_zh + " " });
    if (f.required) label.append(el("span", { class: "f-req", text: "*" }));
    let input;
    if (f.type === "boolean" || f.type === "enum") {
      input = el("select", { id });
      input.append(el("option", { value: "", text: T.field_choose }));
      const choices = f.type === "boolean"
        ? [["true", T.field_yes], ["false", T.field_no]]
        : f.choices.map((c) => [c, (f.choice_labels_zh || {})[c] || c]);
      for (const [v, text] of choices) input.append(el("option", { value: v, text }));
    } else if (f.type === "integer" || f.type === "number") {
      input = el("input", { id, type: "number", inputmode: f.type === "integer" ? "numeric" : "decimal" });
      if (f.min !== undefined) input.min = f.min;
      if (f.max !== undefined) input.max = f.max;
      input.step = f.type === "integer" ? "1" : "any";
    } else {
      input = el("input", { id, type: "text" });
      if (f.max_length) input.maxLength = f.max_length;
    }
    input.dataset.attr = f.name;
    input.setAttribute("aria-describedby", id + "-error");
    const v = values[f.name];
    if (v !== undefined && v !== null) input.value = String(v);
    box.append(label, input, el("p", { class: "field-error", id: id + "-error", hidden: "" }));
  }
}

function readAttributes(errors) {
  const category = byCode.get($("f-category").value);
  const out = {};
  for (const f of (category && category.fields) || []) {
    const id = "f-attr-" + f.name;
    const raw = $(id).value.trim();
    if (raw === "") {
      if (f.required) errors[id] = T.field_required;
      continue;
    }
    if (f.type === "boolean") out[f.name] = raw === "true";
    else if (f.type === "integer" || f.type === "number") {
      const n = Number(raw);
      if (!Number.isFinite(n) || (f.type === "integer" && !Number.isInteger(n))) {
        errors[id] = f.type === "integer" ? T.field_need_integer : T.field_need_number;
      } else if ((f.min !== undefined && n < f.min) || (f.max !== undefined && n > f.max)) {
        errors[id] = fmt(T.field_out_of_range, { min: f.min ?? "", max: f.max ?? "" });
      } else out[f.name] = n;
    } else if (f.max_length && raw.length > f.max_length) {
      errors[id] = fmt(T.field_too_long, { n: f.max_length });
    } else out[f.name] = raw;
  }
  return out;
}

// --- location: geolocation, the map, the community -------------------------------------------

const where = { lon: null, lat: null, accuracy_m: null, located: null, outside: false };
let map = null;
let pin = null;
let outlines = null;

function initMap() {
  if (!window.L) return;  // Leaflet not loaded (never cached yet): the form works without
  map = L.map("f-map", { zoomControl: true, attributionControl: false }).setView([32.05, 118.79], 11);
  outlines = L.layerGroup().addTo(map);
  map.on("click", (e) => placePin(e.latlng.lng, e.latlng.lat, null));
}

function placePin(lon, lat, accuracy) {
  where.lon = Math.round(lon * 1e7) / 1e7;
  where.lat = Math.round(lat * 1e7) / 1e7;
  where.accuracy_m = accuracy;
  const place = $("f-place");
  place.dataset.lon = String(where.lon);  // which point the text below is about (tests wait on it)
  place.dataset.lat = String(where.lat);
  if (map) {
    if (!pin) {
      const icon = L.divIcon({ className: "f-pin", iconSize: [22, 22] });
      pin = L.marker([lat, lon], { draggable: true, icon, keyboard: true, title: T.field_pin }).addTo(map);
      pin.on("dragend", () => {
        const p = pin.getLatLng();
        placePin(p.lng, p.lat, null);  // placed by hand: the GPS accuracy no longer applies
      });
    } else pin.setLatLng([lat, lon]);
    map.setView([lat, lon], Math.max(map.getZoom(), 15));
  }
  showFieldError("f-location-error", "");
  locate();
}

function locateMe() {
  if (!navigator.geolocation) { showFieldError("f-location-error", T.field_no_geolocation); return; }
  $("f-place").textContent = T.field_locating;
  navigator.geolocation.getCurrentPosition(
    (pos) => placePin(pos.coords.longitude, pos.coords.latitude, Math.round(pos.coords.accuracy * 10) / 10),
    (err) => {
      $("f-place").textContent = "";
      showFieldError("f-location-error", err.code === 1 ? T.field_geolocation_denied : T.field_geolocation_failed);
    },
    { enableHighAccuracy: true, timeout: 20000, maximumAge: 0 },
  );
}

let locateSeq = 0;

async function locate() {
  const seq = ++locateSeq;
  const { lon, lat } = where;
  const place = $("f-place");
  const warning = $("f-place-warning");
  where.located = null;
  where.outside = false;
  place.dataset.located = "";  // "community", "outside" or "unknown" once answered
  warning.hidden = true;
  const acc = where.accuracy_m !== null ? " · " + fmt(T.field_accuracy, { m: Math.round(where.accuracy_m) }) : "";
  place.textContent = fmt(T.field_point, { lon: lon.toFixed(6), lat: lat.toFixed(6) }) + acc;
  let found;
  try {
    found = await (await call(`/v1/locate?lon=${lon}&lat=${lat}&crs=wgs84`)).json();
  } catch (e) {
    if (seq !== locateSeq) return;
    if (e instanceof Refused && e.body.error === "OutsideAllGrids") {
      where.outside = true;
      const nearest = (e.body.details || {}).nearest;
      warning.textContent = T.field_outside_city + (nearest && nearest.name ? fmt(T.field_nearest, { name: nearest.name }) : "");
      warning.hidden = false;
      place.dataset.community = "";
      place.dataset.located = "outside";
    } else {
      warning.textContent = T.field_locate_offline;
      warning.hidden = false;
      place.dataset.located = "unknown";
    }
    return;
  }
  if (seq !== locateSeq) return;
  where.located = found;
  const community = found.units.find((u) => u.level === "community");
  const street = found.units.find((u) => u.level === "street");
  place.dataset.community = community ? community.code : "";
  place.textContent = fmt(T.field_in_community, {
    community: community ? community.name : "",
    street: street ? street.name : "",
  }) + acc;
  if (found.snapped) { warning.textContent = T.field_snapped; warning.hidden = false; }
  if (SCOPE && !Object.values(found.codes).includes(SCOPE)) {
    warning.textContent = T.field_outside_scope;
    warning.hidden = false;
  }
  place.dataset.located = "community";
  drawOutlines(found);
}

async function drawOutlines(found) {
  if (!map) return;
  outlines.clearLayers();
  const codes = [found.codes.street, found.codes.community].filter(Boolean);
  for (const code of codes) {
    try {
      const unit = await (await call("/v1/grids/" + encodeURIComponent(code))).json();
      const street = unit.level === "street";
      L.geoJSON(unit.geometry, {
        interactive: false,
        style: { color: street ? "#55606e" : "#0b5cad", weight: street ? 1.5 : 3, fill: !street, fillOpacity: 0.06 },
      }).addTo(outlines);
    } catch (e) { /* the outline is a help, not a need */ }
  }
}

// --- photos ---------------------------------------------------------------------------------

let photos = [];  // [{blob, name, url?}]

async function shrink(file) {
  // at most MAX_SIDE_PX on the longer side, as JPEG: a phone's 4000 px photo is ~5 MB, this
  // a few hundred kB, which a weak network can carry
  const bitmap = await createImageBitmap(file);
  const scale = Math.min(1, MAX_SIDE_PX / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.max(1, Math.round(bitmap.width * scale));
  canvas.height = Math.max(1, Math.round(bitmap.height * scale));
  canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  return new Promise((resolve, reject) =>
    canvas.toBlob((b) => (b ? resolve(b) : reject(new Error("toBlob"))), "image/jpeg", 0.85));
}

async function addPhotos(files) {
  showFieldError("f-photos-error", "");
  for (const file of files) {
    if (photos.length >= 20) { showFieldError("f-photos-error", T.field_too_many_photos); break; }
    try {
      const blob = await shrink(file);
      photos.push({ blob, name: (file.name || "photo").replace(/\.[^.]*$/, "") + ".jpg", url: null });
    } catch (e) {
      showFieldError("f-photos-error", fmt(T.field_not_a_photo, { name: file.name || "" }));
    }
  }
  $("f-photos").value = "";
  renderPreviews();
}

function renderPreviews() {
  const list = $("f-previews");
  for (const img of list.querySelectorAll("img")) URL.revokeObjectURL(img.src);
  list.replaceChildren();
  photos.forEach((p, i) => {
    const src = p.blob ? URL.createObjectURL(p.blob) : p.url;
    const remove = el("button", { type: "button", "aria-label": T.field_remove_photo, text: "×" });
    remove.addEventListener("click", () => { photos.splice(i, 1); renderPreviews(); });
    list.append(el("li", {}, el("img", { src, alt: T.field_photo }), remove));
  });
}

// --- the form -------------------------------------------------------------------------------

let editing = null;  // the client_event_id of a refused report being corrected
let pageSignedOut = false;  // a kept page of a session that signed out: no reports from it

function localNow() {
  const d = new Date();
  d.setSeconds(0, 0);
  return new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
}

function withOffset(local) {
  // "2026-11-28T09:30" in the phone's zone → ISO 8601 with its offset
  const d = new Date(local);
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? "+" : "-";
  const hh = String(Math.floor(Math.abs(off) / 60)).padStart(2, "0");
  const mm = String(Math.abs(off) % 60).padStart(2, "0");
  return local + ":00" + sign + hh + ":" + mm;
}

function clearErrors() {
  for (const node of document.querySelectorAll("#f-form .field-error")) { node.textContent = ""; node.hidden = true; }
  for (const node of document.querySelectorAll("#f-form [aria-invalid]")) node.removeAttribute("aria-invalid");
}

function showErrors(errors) {
  let first = null;
  for (const [id, message] of Object.entries(errors)) {
    const errorId = id === "f-lon" ? "f-location-error" : id + "-error";
    showFieldError(errorId, message);
    const input = $(id);
    if (input) input.setAttribute("aria-invalid", "true");
    first = first || $(errorId);
  }
  if (first) first.scrollIntoView({ block: "center" });
}

function readForm() {
  const errors = {};
  const category = $("f-category").value;
  if (!category) errors["f-category"] = T.field_choose_category;
  const attributes = readAttributes(errors);
  const title = $("f-title").value.trim();
  if (!title) errors["f-title"] = T.field_required;
  const occurred = $("f-occurred").value || localNow();
  if (new Date(occurred).getTime() > Date.now() + 10 * 60000) errors["f-occurred"] = T.field_in_future;
  if (where.lon === null) errors["f-lon"] = T.field_need_location;
  else if (where.outside) errors["f-lon"] = T.field_outside_city_fix;
  const report = {
    category,
    title,
    description: $("f-description").value.trim(),
    occurred_at: withOffset(occurred),
    lon: where.lon,
    lat: where.lat,
    crs: "wgs84",
    accuracy_m: where.accuracy_m,
    attributes,
  };
  if ($("f-urgency").value) report.urgency = $("f-urgency").value;
  return { report, errors };
}

async function submitForm(event) {
  event.preventDefault();
  clearErrors();
  $("f-submitted").textContent = "";
  if (pageSignedOut) { showSignedOut(); return; }
  const { report, errors } = readForm();
  if (Object.keys(errors).length) { showErrors(errors); return; }
  // a page kept from another session must not store this report as that user's: ask first
  // when there is a network (a page without one can only go by its own name)
  if (navigator.onLine && !session.checked && (await checkSession()) === "other") return;
  const old = editing ? await getRecord(editing) : null;
  // a report refused for a reused id is sent again under a new one
  const renewed = !!(old && old.new_id);
  const id = old && !renewed ? old.client_event_id : newClientId();
  await putRecord({
    client_event_id: id,
    owner: session.user,
    created_at: old ? old.created_at : new Date().toISOString(),
    state: "waiting",
    report,
    photos: photos.map((p) => ({ blob: p.blob, name: p.name, url: p.url || null })),
    reason: null,
  });
  if (renewed) await deleteRecord(old.client_event_id);
  resetForm();
  const queued = navigator.onLine ? T.field_queued_sending : T.field_queued_offline;
  $("f-submitted").textContent = renewed ? T.field_resent_as_new + " " + queued : queued;
  await renderQueue();
  if (navigator.onLine) sendQueue();
}

function resetForm() {
  editing = null;
  $("f-editing").hidden = true;
  $("f-cancel-edit").hidden = true;
  $("f-title").value = "";
  $("f-description").value = "";
  $("f-urgency").value = "";
  $("f-occurred").value = localNow();
  photos = [];
  renderPreviews();
  renderAttributes();
}

async function editRecord(id) {
  const r = await getRecord(id);
  if (!r) return;
  editing = id;
  selectTab("report");
  $("f-cat-search").value = "";
  fillCategories("");
  $("f-category").value = r.report.category;
  renderAttributes(r.report.attributes || {});
  $("f-title").value = r.report.title;
  $("f-description").value = r.report.description || "";
  $("f-urgency").value = r.report.urgency || "";
  $("f-occurred").value = r.report.occurred_at.slice(0, 16);
  photos = r.photos.map((p) => ({ ...p }));
  renderPreviews();
  $("f-editing").textContent = T.field_editing + " " + (r.reason || "");
  $("f-editing").hidden = false;
  $("f-cancel-edit").hidden = false;
  placePin(r.report.lon, r.report.lat, r.report.accuracy_m);
  if (r.reason_field === "lon" || r.reason_field === "lat") showFieldError("f-location-error", r.reason);
}

// --- my reports and verification -------------------------------------------------------------

function statusText(status) { return T["status_" + status] || status; }

async function loadMine() {
  const list = $("f-mine");
  try {
    const body = await (await call("/v1/events?mine=true&limit=50")).json();
    list.replaceChildren();
    $("f-mine-note").textContent = body.features.length ? "" : T.field_none_yet;
    for (const f of body.features) {
      const p = f.properties;
      list.append(el("li", { "data-id": String(f.id), "data-status": p.status },
        el("span", { class: "f-state", text: statusText(p.status) }),
        el("b", { text: p.title || T.field_untitled }),
        el("span", { class: "small" }, categoryName(p.category) + " · ", timeNode(p.occurred_at))));
    }
  } catch (e) {
    $("f-mine-note").textContent = T.field_list_offline;
  }
}

async function loadVerify() {
  const list = $("f-verify");
  try {
    const body = await (await call("/v1/events?status=resolved&limit=50")).json();
    list.replaceChildren();
    $("f-verify-note").textContent = body.features.length ? "" : T.field_nothing_to_verify;
    for (const f of body.features) list.append(verifyItem(f));
  } catch (e) {
    $("f-verify-note").textContent = T.field_list_offline;
  }
}

function verifyItem(f) {
  const p = f.properties;
  const item = el("li", { "data-id": String(f.id) },
    el("b", { text: p.title || T.field_untitled }),
    el("span", { class: "small", text: categoryName(p.category) + " · " + (p.location.address || "") }));
  for (const url of p.media || []) {
    // only this service's own photos (the dispatch page does the same)
    if (typeof url === "string" && MEDIA_URL.test(url)) item.append(el("img", { src: url, alt: T.field_photo, class: "f-thumb", width: "88", height: "88" }));
  }
  const note = el("textarea", { rows: "2", placeholder: T.field_fail_note, "aria-label": T.field_fail_note, hidden: "" });
  const error = el("p", { class: "field-error", hidden: "" });
  const verify = el("button", { type: "button", class: "primary f-verify", text: T.field_verify });
  const fail = el("button", { type: "button", class: "f-fail", text: T.field_fail });
  const act = async (action, extra) => {
    error.hidden = true;
    try {
      await call(`/v1/events/${f.id}/actions`, { method: "POST", json: { action, ...extra } });
      item.replaceChildren(el("b", { text: p.title || T.field_untitled }),
        el("span", { class: "notice", text: action === "verify" ? T.field_verified : T.field_failed }));
    } catch (e) {
      error.textContent = e instanceof Refused ? T.field_action_refused + "（" + e.message + "）" : T.field_list_offline;
      error.hidden = false;
    }
  };
  verify.addEventListener("click", () => act("verify", {}));
  fail.addEventListener("click", () => {
    if (note.hidden) { note.hidden = false; note.focus(); return; }
    if (!note.value.trim()) { error.textContent = T.field_fail_note_required; error.hidden = false; return; }
    act("fail_verification", { note: note.value.trim() });
  });
  item.append(note, error, el("div", { class: "f-actions" }, verify, fail));
  return item;
}

// --- tabs and start -------------------------------------------------------------------------

function selectTab(name) {
  for (const tab of document.querySelectorAll(".f-tabs [role=tab]")) {
    const on = tab.id === "tab-" + name;
    tab.setAttribute("aria-selected", on ? "true" : "false");
    $(tab.getAttribute("aria-controls")).hidden = !on;
  }
  if (name === "report" && map) setTimeout(() => map.invalidateSize(), 0);
  if (name === "mine") loadMine();
  if (name === "verify") loadVerify();
}

async function start() {
  for (const tab of document.querySelectorAll(".f-tabs [role=tab]")) {
    tab.addEventListener("click", () => selectTab(tab.id.slice(4)));
  }
  $("f-cat-search").addEventListener("input", (e) => fillCategories(e.target.value));
  $("f-category").addEventListener("change", () => { showFieldError("f-category-error", ""); renderAttributes(); });
  $("f-locate").addEventListener("click", locateMe);
  $("f-photos").addEventListener("change", (e) => addPhotos([...e.target.files]));
  $("f-form").addEventListener("submit", submitForm);
  $("f-cancel-edit").addEventListener("click", resetForm);
  $("f-send-now").addEventListener("click", () => sendQueue());
  $("f-mine-refresh").addEventListener("click", loadMine);
  $("f-verify-refresh").addEventListener("click", loadVerify);
  const signOut = $("sign-out");
  if (signOut) {
    // the kept page carries this session's name and token: gone with the session (POST
    // /logout also leaves a marker on which the service worker drops it, from any page)
    signOut.form.addEventListener("submit", () => { forgetPage(); });
  }
  window.addEventListener("online", () => { updateNet(); sendQueue(); });
  window.addEventListener("offline", updateNet);
  updateNet();
  if (markedSignedOut()) {
    // this page was kept from a session that has signed out since (the server clears the
    // marker whenever it serves the page to a signed-in session): not the worker's page
    pageSignedOut = true;
    await forgetPage();
    if (navigator.onLine) { location.reload(); return; }
    showSignedOut();
  }
  // the page may be one kept from another session: who is signed in now?
  const checked = navigator.onLine && !pageSignedOut ? checkSession() : null;
  $("f-occurred").value = localNow();
  initMap();
  await loadCategories();
  renderAttributes();
  await renderQueue();
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/field/sw.js", { scope: "/field" }).catch(() => {});
  }
  if (navigator.geolocation) locateMe();
  if (checked && (await checked) === "other") return;  // reloading
  window.fieldReady = true;
  await sendQueue();
}

start();
