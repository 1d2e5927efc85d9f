// Bürgeramt NRW service worker: the app opens offline after one visit.
//
// The app talks to one origin only, the relay (docs/relay.md). What the
// worker caches, and what never:
// * the app shell and its hashed assets (PRECACHE, written at build time by
//   `pwa-assets precache`, see Trunk.toml), one cache per build version;
// * fonts and /config.json as they are used (no personal data in either);
// * GET /api/v1/catalogue/… (the relay's public catalogue: search, service
//   descriptions, places, organisations): network first, the last answer
//   kept for offline use, then marked stale;
// * nothing else. Every other path under /api (the relay's personal routes,
//   login and its callback, logout, sessions, postbox, applications, and
//   the public submission routes) is never touched: the worker does not
//   answer it, not even with the offline shell, so no personal data ends up
//   in a cache and a login navigation always reaches the relay.
//
// A new build gives a new sw.js; it installs, waits, and the app offers
// "Neue Version verfügbar – Neu laden", which posts SKIP_WAITING.

const VERSION = "dev";
const PRECACHE = [];

const SHELL_CACHE = `shell-${VERSION}`;
const RUNTIME_CACHE = "runtime"; // fonts, config.json
const CATALOGUE_CACHE = "catalogue"; // the relay's public catalogue answers
/** Caches of earlier versions of this worker that are no longer used. */
const RETIRED_CACHES = ["pvog"];
/** The relay's public, cacheable routes (checked before NEVER). */
const PUBLIC_API = ["/api/v1/catalogue"];
/** Never answered by the worker: straight to the network. */
const NEVER = ["/api", "/healthz"];
/** Header on a catalogue answer served from the cache. */
const STALE_HEADER = "X-Buergeramt-Stale";

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL_CACHE).then((c) => c.addAll(PRECACHE)));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      // Drop the shells of older builds and retired caches; keep the
      // runtime and catalogue caches.
      for (const key of await caches.keys()) {
        if ((key.startsWith("shell-") && key !== SHELL_CACHE) || RETIRED_CACHES.includes(key)) {
          await caches.delete(key);
        }
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
 *  by a header and a message to the page, so it can say so. Only successful
 *  answers are kept (the relay's errors are `no-store`). */
async function catalogue(event) {
  const req = event.request;
  try {
    const res = await fetch(req);
    if (res.ok) {
      const copy = res.clone();
      caches.open(CATALOGUE_CACHE).then((c) => c.put(req, copy));
    }
    return res;
  } catch (err) {
    const hit = await caches.match(req, { cacheName: CATALOGUE_CACHE });
    if (!hit) throw err;
    const client = await self.clients.get(event.clientId);
    if (client) client.postMessage({ type: "STALE", url: req.url });
    const headers = new Headers(hit.headers);
    headers.set(STALE_HEADER, "1");
    return new Response(hit.body, { status: hit.status, statusText: hit.statusText, headers });
  }
}
