// Shared by the console's pages: labels, the CSRF token, JSON calls with readable errors,
// Beijing times, the category picker, which media addresses are this service's own.
"use strict";
const T = JSON.parse(document.getElementById("labels").textContent);
const CSRF = (document.querySelector("meta[name=csrf-token]") || {}).content || "";

class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || String(status));
    this.status = status;
    this.body = body || {};
  }
}

async function api(path, options = {}) {
  // the server's messages in the pages' language, whatever the browser's own (a headless
  // one says en-US)
  const headers = { "Accept-Language": "zh-CN", ...(options.headers || {}) };
  const init = { credentials: "same-origin", ...options, headers };
  if (init.method && init.method !== "GET") init.headers["X-CSRF-Token"] = CSRF;
  if (init.json !== undefined) {
    init.body = JSON.stringify(init.json);
    init.headers["Content-Type"] = "application/json";
    delete init.json;
  }
  const response = await fetch(path, init);
  if (response.status === 401) {
    location.href = "/login?expired=1&next=" + encodeURIComponent(location.pathname + location.search);
    throw new ApiError(401, { message: T.login_expired });
  }
  if (!response.ok) {
    let body = null;
    try { body = await response.json(); } catch (e) { body = { message: response.statusText }; }
    throw new ApiError(response.status, body);
  }
  return response;
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") node.textContent = v; else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c);
  return node;
}

function showFieldError(id, message) {
  const node = document.getElementById(id);
  if (!node) return;
  node.textContent = message || "";
  node.hidden = !message;
}

// every time a page shows is Beijing time, whatever zone the computer or phone is set to
const BEIJING_TIME = new Intl.DateTimeFormat("zh-CN", {
  timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit",
  hour: "2-digit", minute: "2-digit", hourCycle: "h23",
});

/** An ISO time (any offset) as Beijing time, "2026/11/28 09:30"; "" for none or nonsense. */
function beijingTime(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? "" : BEIJING_TIME.format(d);
}

/** Photos stored by gridsvc (POST /v1/media); any other address a report carries is
 *  another system's and is never fetched by a page. */
const MEDIA_URL = /^\/v1\/media\/[0-9a-f]{64}$/;

/** The taxonomy (GET /v1/categories' list) as <optgroup>s of a <select>: each group as a
 *  whole, then its categories. */
function fillCategorySelect(select, categories) {
  for (const g of categories.filter((c) => !c.parent_code)) {
    const og = el("optgroup", { label: g.name_zh });
    og.append(el("option", { value: g.code, text: `${g.name_zh}（${T.all_categories}）` }));
    for (const c of categories.filter((c) => c.parent_code === g.code)) og.append(el("option", { value: c.code, text: c.name_zh }));
    select.append(og);
  }
}
