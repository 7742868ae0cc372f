// The field page's service worker, served at /field/sw.js with scope /field (web/field.py
// fills in CACHE, which changes with the page's files and Leaflet's). It keeps the page, its
// scripts and styles, the taxonomy and grid outlines it fetched, so that /field opens with no
// network once it has been opened.
// - Scripts and styles (/static/...) come from the cache first: their versions are the
//   cache's name, and a connection that is up but dead must not hang the page on them.
// - The page and the API's data go to the network first, and to the cache when the network
//   fails or is slower than NETWORK_WAIT_MS (with nothing kept, the network is awaited).
// - The kept page holds the name and CSRF token of the session it was served to: it is
//   dropped when a sign-out left its marker cookie (web/pages.py logout), when the page
//   redirects to the sign-in form (the session ended), and right after a sign-in it is never
//   served in place of the network's.
// Only GETs of this origin are touched; reports (POST) go to the network, and the page
// queues them itself (field.js).
"use strict";

const CACHE = "__CACHE_NAME__";
const PRECACHE = __PRECACHE__;
const STATIC = [/^\/static\/console\//, /^\/static\/maps\//];
const DATA = [/^\/field$/, /^\/v1\/categories$/, /^\/v1\/grids\/[^/]+$/];
const NETWORK_WAIT_MS = 6000;
const SIGNED_OUT_COOKIE = "gridsvc_signed_out";  // web.field.SIGNED_OUT_COOKIE
const PAGE = "/field";

async function fill() {
  const cache = await caches.open(CACHE);
  await Promise.all(PRECACHE.map(async (url) => {
    try {
      // revalidated, not blindly taken from the HTTP cache: a stale script kept here would be
      // served cache-first until the next release (an unchanged file costs a 304)
      const response = await fetch(url, { credentials: "same-origin", cache: "no-cache" });
      // a redirect (to the sign-in form) or an error is not the page to keep
      if (response.ok && !response.redirected) await cache.put(url, response);
    } catch (e) { /* offline while installing: kept on the next visit */ }
  }));
}

self.addEventListener("install", (event) => {
  event.waitUntil(fill().then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) {
      if (key.startsWith("gridsvc-field-") && key !== CACHE) await caches.delete(key);
    }
    await self.clients.claim();
  })());
});

async function signedOut() {
  // the Cookie Store API (Chromium); elsewhere the page itself checks the marker (field.js)
  if (!self.cookieStore) return false;
  try { return !!(await self.cookieStore.get(SIGNED_OUT_COOKIE)); } catch (e) { return false; }
}

function afterSignIn(request) {
  try { return new URL(request.referrer).pathname === "/login"; } catch (e) { return false; }
}

function waited(promise, ms) {
  // the promise, or null after ms (the promise goes on)
  return Promise.race([promise, new Promise((resolve) => setTimeout(() => resolve(null), ms))]);
}

async function networkFirst(request, key, { page }) {
  const cache = await caches.open(CACHE);
  let keep = true;
  if (page && (await signedOut())) {
    await cache.delete(PAGE);
    keep = false;  // nobody's page now: the next signed-in visit stores the new one
  }
  const fetching = fetch(request).then(async (response) => {
    if (response.type === "opaqueredirect" && page) await cache.delete(PAGE);  // to the sign-in form
    else if (keep && response.ok && !response.redirected) await cache.put(key, response.clone());
    return response;
  });
  fetching.catch(() => {});  // a failure after the kept copy was served is no error
  const fallback = page && (!keep || afterSignIn(request)) ? null : cache.match(key);
  try {
    const response = await waited(fetching, NETWORK_WAIT_MS);
    if (response) return response;
  } catch (e) {
    const cached = fallback && (await fallback);
    if (cached) return cached;
    throw e;
  }
  // slow: the kept copy if there is one, else wait on
  const cached = fallback && (await fallback);
  return cached || fetching;
}

async function cacheFirst(request, key) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(key);
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok && !response.redirected) await cache.put(key, response.clone());
  return response;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  const key = url.pathname + url.search;
  if (STATIC.some((re) => re.test(url.pathname))) {
    event.respondWith(cacheFirst(request, key));
  } else if (DATA.some((re) => re.test(url.pathname))) {
    // the page is kept without its query; the data under its full address
    const page = url.pathname === PAGE;
    event.respondWith(networkFirst(request, page ? PAGE : key, { page }));
  }
});
