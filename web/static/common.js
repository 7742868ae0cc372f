// Shared by the console's pages: labels, the CSRF token, JSON calls with readable errors.
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
  const init = { credentials: "same-origin", ...options, headers: { ...(options.headers || {}) } };
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
