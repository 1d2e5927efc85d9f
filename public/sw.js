// Bürgeramt NRW service worker: the app opens offline after one visit.
//
// The app talks to one origin only, the relay (docs/relay.md). What the
// worker caches, and what never:
// * the app shell, precached at install: index.html, the loader and the main
//   module, the stylesheets, the manifest and icons, the first screen's font
//   subsets (SHELL below; one cache per build version, `shell-<version>`);
// * the wasm chunks of the routes (src/pages/lazy.rs), only when they are
//   used: a chunk the page fetches is kept (`app-<hash>`, one cache per build
//   directory); when the worker takes over, the chunks of the routes its pages
//   show now are added; once an application is started (`/antrag/…`), every
//   chunk of the application pages up to "gesendet" is added (the send path),
//   so that a deploy in the middle of an application cannot take them away;
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
// Push notices (issue #24, docs/notifications.md): a push message carries
// only the one sentence "Sie haben eine neue Nachricht im Bürgeramt-Postfach"
// (contract::notify::PushPayload); the worker shows it and opens /postfach on
// click. Whatever else a payload says is ignored: the texts are the worker's
// own, only the language is taken from it.
//
// A new build gives a new sw.js; it installs, waits, and the app offers
// "Neue Version verfügbar – Neu laden", which posts SKIP_WAITING. The caches
// of earlier builds (shell and chunks) are kept for GRACE_MS after a newer
// worker took over, so a page still running an earlier build (another tab,
// an application in progress) finds the chunks it still needs
// (docs/service-worker.md).

const VERSION = "dev";
/** Every file of this build (written by `pwa-assets precache`). */
const PRECACHE = [];
/** This build's wasm directory, "/app-<hash>/" (written by scripts/wasm-bundle.sh). */
const APP_DIR = "";
/** Route pattern → its wasm files, "search 30 36" = split_search.wasm,
 *  chunk_30.wasm, chunk_36.wasm (scripts/route-chunks.mjs via wasm-bundle.sh). */
const ROUTES = {};
/** The font subsets the first screen uses (scripts/fonts.mjs via wasm-bundle.sh). */
const SHELL_FONTS = [];

const SHELL_CACHE = `shell-${VERSION}`;
const RUNTIME_CACHE = "runtime"; // fonts, config.json
const CATALOGUE_CACHE = "catalogue"; // the relay's public catalogue answers
/** When each earlier build's caches were retired (one JSON entry). */
const META_CACHE = "sw-meta";
const RETIRED_KEY = "/__sw/retired";
/** How long the caches of an earlier build outlive it. */
const GRACE_MS = 7 * 24 * 60 * 60 * 1000;
/** Caches of earlier versions of this worker that are no longer used. */
const RETIRED_CACHES = ["pvog"];
/** The relay's public, cacheable routes (checked before NEVER). */
const PUBLIC_API = ["/api/v1/catalogue"];
/** Never answered by the worker: straight to the network. */
const NEVER = ["/api", "/healthz"];
/** Header on a catalogue answer served from the cache. */
const STALE_HEADER = "X-Buergeramt-Stale";

/** `/app-<16 hex>/…`: a file of one build's wasm directory (immutable). */
const BUILD_DIR = /^\/app-[0-9a-f]{16}\//;
const isChunk = (path) => /\/(split|chunk)_[^/]+\.wasm$/.test(path);
/** The shell: every file of the build but the chunks, and the first fonts. */
const SHELL = [...PRECACHE.filter((p) => !isChunk(p)), ...SHELL_FONTS];
/** The cache a file of a build directory is kept in. */
const buildCache = (path) => path.slice(1, path.indexOf("/", 1));
const OWN_BUILD_CACHE = APP_DIR ? buildCache(APP_DIR) : "";

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL_CACHE).then((c) => c.addAll(SHELL)));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      await retireEarlierBuilds(Date.now());
      await self.clients.claim();
      // What the open pages show now was fetched before this worker was in
      // charge: keep it (mostly from the browser's HTTP cache).
      for (const client of await self.clients.matchAll({ type: "window" })) {
        const path = new URL(client.url).pathname;
        await keep(routeFiles(path));
        if (under(path, "/antrag")) await keep(sendPath());
      }
    })(),
  );
});

self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "SKIP_WAITING") self.skipWaiting();
});

/** The notice in both languages (the same words as contract::notify). */
const NOTICE = {
  de: { title: "Neue Nachricht im Bürgeramt", body: "Sie haben eine neue Nachricht im Bürgeramt-Postfach." },
  en: { title: "New message in Bürgeramt", body: "You have a new message in your Bürgeramt postbox." },
};
const NOTICE_URL = "/postfach";
/** One notice at a time: a newer one replaces the one still shown. */
const NOTICE_TAG = "buergeramt-postfach";

self.addEventListener("push", (event) => {
  let lang = "de";
  try {
    const data = event.data ? event.data.json() : null;
    if (data && data.lang === "en") lang = "en";
  } catch {
    // not JSON: the German notice all the same
  }
  const { title, body } = NOTICE[lang];
  event.waitUntil(
    self.registration.showNotification(title, {
      body,
      lang,
      tag: NOTICE_TAG,
      renotify: true,
      icon: "/icons/icon-192.png",
      badge: "/icons/icon-192.png",
      data: { url: NOTICE_URL },
    }),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  event.waitUntil(openPostbox());
});

/** A window of the app shows the postbox: an open one is taken (and
 *  focused where the browser allows it), else a new one is opened. */
async function openPostbox() {
  const target = new URL(NOTICE_URL, self.location.origin).href;
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  for (const client of windows) {
    if (new URL(client.url).origin !== self.location.origin) continue;
    try {
      await client.focus();
    } catch {
      // focusing needs the click's user activation; navigating does not
    }
    if ("navigate" in client) {
      const moved = await client.navigate(target).catch(() => null);
      if (moved) return moved;
    }
  }
  return self.clients.openWindow(target);
}

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
    if (under(url.pathname, "/antrag")) event.waitUntil(keep(sendPath()));
  } else if (url.pathname === "/config.json") {
    event.respondWith(networkFirst(req, RUNTIME_CACHE));
  } else if (BUILD_DIR.test(url.pathname)) {
    event.respondWith(cacheFirst(req, buildCache(url.pathname)));
    // An application starts: the application pages' module is fetched.
    if (url.pathname === `${APP_DIR}split_apply.wasm`) event.waitUntil(keep(sendPath()));
  } else if (PRECACHE.includes(url.pathname) || url.pathname.startsWith("/fira-sans/") || url.pathname.startsWith("/fonts/")) {
    event.respondWith(cacheFirst(req, RUNTIME_CACHE));
  }
});

/** The wasm files (absolute paths) of the route `path` belongs to. */
function routeFiles(path) {
  const p = path.replace(/\/+$/, "").split("/");
  for (const [pattern, files] of Object.entries(ROUTES)) {
    const s = pattern.split("/");
    if (s.length === p.length && s.every((seg, i) => seg === p[i] || (seg.startsWith(":") && p[i] !== ""))) {
      return expand(files);
    }
  }
  return [];
}

/** Every wasm file of the application pages (`/antrag/…`). */
function sendPath() {
  const all = new Set();
  for (const [pattern, files] of Object.entries(ROUTES)) {
    if (under(pattern, "/antrag")) expand(files).forEach((f) => all.add(f));
  }
  return [...all];
}

function expand(files) {
  return files
    .split(" ")
    .filter(Boolean)
    .map((f) => APP_DIR + (/^\d+$/.test(f) ? `chunk_${f}` : `split_${f}`) + ".wasm");
}

/** Adds this build's `paths` to its cache, those not there yet; a file that
 *  cannot be fetched now is simply left out (it is fetched when used). */
async function keep(paths) {
  if (!OWN_BUILD_CACHE || paths.length === 0) return;
  const cache = await caches.open(OWN_BUILD_CACHE);
  await Promise.all(
    paths.map(async (path) => {
      if (await cache.match(path)) return;
      try {
        const res = await fetch(path, { credentials: "same-origin" });
        if (res.ok) await cache.put(path, res);
      } catch {
        // offline or gone: nothing to keep
      }
    }),
  );
}

/** Earlier builds' caches (`shell-…`, `app-…`) are retired now and deleted
 *  GRACE_MS later, so pages still running such a build keep working. */
async function retireEarlierBuilds(now) {
  const meta = await caches.open(META_CACHE);
  const stored = await meta.match(RETIRED_KEY);
  const retired = stored ? await stored.json().catch(() => ({})) : {};
  const next = {};
  for (const key of await caches.keys()) {
    if (RETIRED_CACHES.includes(key)) {
      await caches.delete(key);
      continue;
    }
    const build = key.startsWith("shell-") || key.startsWith("app-");
    if (!build || key === SHELL_CACHE || key === OWN_BUILD_CACHE) continue;
    const since = typeof retired[key] === "number" ? retired[key] : now;
    if (now - since > GRACE_MS) await caches.delete(key);
    else next[key] = since;
  }
  await meta.put(RETIRED_KEY, new Response(JSON.stringify(next), { headers: { "Content-Type": "application/json" } }));
}

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

/** Hashed assets and fonts never change under their name: from any cache
 *  (an earlier build's too), else fetched and kept in `cacheName`. */
async function cacheFirst(req, cacheName) {
  const hit = await caches.match(req);
  if (hit) return hit;
  const res = await fetch(req);
  if (res.ok) {
    const copy = res.clone();
    caches.open(cacheName).then((c) => c.put(req, copy));
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
