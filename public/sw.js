// Bürgeramt NRW service worker: the app opens offline after one visit.
//
// What it caches, and what never:
// * the app shell and its hashed assets (PRECACHE, written at build time by
//   `pwa-assets precache`, see Trunk.toml), one cache per build version;
// * fonts and /config.json as they are used (no personal data in either);
// * GET /pvog (search and service descriptions, public catalogue data):
//   network first, the last answer kept for offline use, then marked stale;
// * GET /api/v1/catalogue (the relay's public catalogue, docs/relay.md):
//   the same as /pvog;
// * nothing else. /idp, /fitconnect, /zbp, /behoerde and every other /api/
//   path (the relay's personal routes, login, logout) are never touched: the
//   worker does not answer them, not even with the offline shell, so no
//   personal data ends up in a cache.
//
// A new build gives a new sw.js; it installs, waits, and the app offers
// "Neue Version verfügbar – Neu laden", which posts SKIP_WAITING.

const VERSION = "dev";
const PRECACHE = [];

const SHELL_CACHE = `shell-${VERSION}`;
const RUNTIME_CACHE = "runtime"; // fonts, config.json
const PVOG_CACHE = "pvog"; // public catalogue answers
const NEVER = ["/idp", "/fitconnect", "/zbp", "/behoerde", "/api"];
/** The relay's public routes, cached like /pvog (checked before NEVER). */
const PUBLIC_API = ["/api/v1/catalogue"];
/** Header on a /pvog answer served from the cache. */
const STALE_HEADER = "X-Buergeramt-Stale";

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL_CACHE).then((c) => c.addAll(PRECACHE)));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      // Drop the shells of older builds; keep runtime and catalogue caches.
      for (const key of await caches.keys()) {
        if (key.startsWith("shell-") && key !== SHELL_CACHE) await caches.delete(key);
      }
      await self.clients.claim();
    })(),
  );
});

self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "SKIP_WAITING") self.skipWaiting();
});

const under = (path, prefix) => path === prefix || path.startsWith(prefix + "/");

self.addEventListener("fetch", (event) => {
  const req = event.request;
  if (req.method !== "GET") return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (PUBLIC_API.some((p) => under(url.pathname, p))) {
    event.respondWith(catalogue(event));
    return;
  }
  if (NEVER.some((p) => under(url.pathname, p))) return; // straight to the network

  if (req.mode === "navigate") {
    event.respondWith(navigation(req));
  } else if (under(url.pathname, "/pvog")) {
    event.respondWith(catalogue(event));
  } else if (url.pathname === "/config.json") {
    event.respondWith(networkFirst(req, RUNTIME_CACHE));
  } else if (PRECACHE.includes(url.pathname) || url.pathname.startsWith("/fira-sans/") || url.pathname.startsWith("/fonts/")) {
    event.respondWith(cacheFirst(req));
  }
});

/** Pages: always the newest from the network; offline, this build's shell. */
async function navigation(req) {
  try {
    return await fetch(req);
  } catch (err) {
    const shell = await caches.match("/index.html", { cacheName: SHELL_CACHE });
    if (shell) return shell;
    throw err;
  }
}

/** Hashed assets and fonts never change under their name. */
async function cacheFirst(req) {
  const hit = await caches.match(req);
  if (hit) return hit;
  const res = await fetch(req);
  if (res.ok) {
    const copy = res.clone();
    caches.open(RUNTIME_CACHE).then((c) => c.put(req, copy));
  }
  return res;
}

async function networkFirst(req, cacheName) {
  try {
    const res = await fetch(req);
    if (res.ok) {
      const copy = res.clone();
      caches.open(cacheName).then((c) => c.put(req, copy));
    }
    return res;
  } catch (err) {
    const hit = await caches.match(req, { cacheName });
    if (hit) return hit;
    throw err;
  }
}

/** Catalogue data: fresh when online; offline the last answer, marked stale
 *  by a header and a message to the page, so it can say so. */
async function catalogue(event) {
  const req = event.request;
  try {
    const res = await fetch(req);
    if (res.ok) {
      const copy = res.clone();
      caches.open(PVOG_CACHE).then((c) => c.put(req, copy));
    }
    return res;
  } catch (err) {
    const hit = await caches.match(req, { cacheName: PVOG_CACHE });
    if (!hit) throw err;
    const client = await self.clients.get(event.clientId);
    if (client) client.postMessage({ type: "STALE", url: req.url });
    const headers = new Headers(hit.headers);
    headers.set(STALE_HEADER, "1");
    return new Response(hit.body, { status: hit.status, statusText: hit.statusText, headers });
  }
}
