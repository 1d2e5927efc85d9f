import { test, expect, expectNoAxeViolations, waitForApp } from './fixtures';
import { SERVICES, KOELN, applyUrl } from './apply-helpers';

// The release bundle is split (scripts/wasm-bundle.sh, src/pages/lazy.rs):
// the start page needs only the main module; other routes fetch their chunk
// when first visited. The service worker is blocked here, so every request
// is visible to the test (with it, a chunk used before comes from its cache).
test.use({ serviceWorkers: 'block' });

const isChunk = (url: string) => /\/app-[0-9a-f]{16}\/(split_|chunk_)[A-Za-z0-9_]+\.wasm$/.test(url);

test('the start page loads no chunk (nor the route map); a lazy route fetches its own on first visit', async ({ page }) => {
  const fetched: string[] = [];
  page.on('request', (r) => {
    if (isChunk(r.url()) || r.url().endsWith('/routes.js')) fetched.push(new URL(r.url()).pathname.split('/').pop() ?? '');
  });
  await page.goto('/');
  await waitForApp(page);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Was möchten Sie erledigen?');
  expect(fetched, 'chunks fetched for the start page').toEqual([]);

  await page.getByRole('navigation', { name: 'Service und Rechtliches' }).getByRole('link', { name: 'Glossar' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Glossar');
  expect(fetched).toContain('split_help.wasm');
  await expectNoAxeViolations(page);

  // A second visit uses the module already loaded.
  const before = fetched.length;
  await page.getByRole('link', { name: 'Bürgeramt NRW' }).first().click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Was möchten Sie erledigen?');
  await page.getByRole('navigation', { name: 'Service und Rechtliches' }).getByRole('link', { name: 'Glossar' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Glossar');
  expect(fetched.length).toBe(before);
});

/**
 * In the page (an init script): records every preload of the app's first two
 * requests (`/config.json`, `/api/v1/session`) that index.html adds, as
 * "preload <path> (<its fetch priority>)", in `window.__order`.
 */
function recordEarlyPreloads() {
  const w = window as unknown as { __order?: string[] };
  const order = (w.__order ??= []);
  new MutationObserver((records) => {
    for (const r of records) {
      for (const n of Array.from(r.addedNodes)) {
        if (n instanceof HTMLLinkElement && n.rel === 'preload' && n.as === 'fetch' && /\/(config\.json|api\/v1\/session)$/.test(n.href)) {
          order.push(`preload ${new URL(n.href).pathname} (${n.fetchPriority})`);
        }
      }
    }
  }).observe(document, { childList: true, subtree: true });
}

// The start page is drawn by index.html's static copy first; the main
// module is fetched only once that copy has been painted
// (window.__shellPainted, scripts/wasm-bundle.sh), so the stylesheet and the
// fonts of the first paint do not share the line with the module. The
// order is recorded in the page: when the promise resolves and when the
// loader fetches the module; no time is measured.
test('the start page fetches the main module (and the config and session) only after its static copy has been painted, once', async ({ page }) => {
  const mainModule = /\/app-[0-9a-f]{16}\/buergeramt_bg\.wasm$/;
  let requests = 0;
  const early = [0, 0];
  page.on('request', (r) => {
    if (mainModule.test(r.url())) requests++;
    if (r.method() === 'GET') [/\/config\.json$/, /\/api\/v1\/session$/].forEach((re, i) => re.test(r.url()) && early[i]++);
  });
  await page.addInitScript(() => {
    const order: string[] = [];
    (window as unknown as { __order: string[] }).__order = order;
    let painted: Promise<unknown> | undefined;
    Object.defineProperty(window, '__shellPainted', {
      configurable: true,
      get: () => painted,
      set: (p: Promise<unknown>) => {
        painted = p;
        p.then(() => order.push('painted'));
      },
    });
    const fetch = window.fetch;
    window.fetch = function (input: RequestInfo | URL, init?: RequestInit) {
      if (String(input instanceof Request ? input.url : input).endsWith('/buergeramt_bg.wasm')) order.push('module fetched');
      return fetch.call(this, input, init);
    } as typeof window.fetch;
  });
  // The app's first two requests (preloaded by index.html) wait for the paint too.
  await page.addInitScript(recordEarlyPreloads);
  await page.goto('/');
  await waitForApp(page);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Was möchten Sie erledigen?');
  expect(await page.evaluate(() => (window as unknown as { __order: string[] }).__order)).toEqual([
    'painted',
    // At low priority on the pages with a copy: a high-priority request
    // open at the copy's paint counts into that paint in Lighthouse's
    // simulation (docs/performance.md, "Low priority for the first requests").
    'preload /config.json (low)',
    'preload /api/v1/session (low)',
    'module fetched',
  ]);
  expect(requests, 'the main module is downloaded once').toBe(1);
  expect(early, 'config.json and the session: one request each (the app takes the preloads over)').toEqual([1, 1]);
  // The start page's sections below the first screen are drawn in tasks of
  // their own (src/components/deferred.rs); they are all there.
  for (const name of ['Ihr Wohnort', 'Lebenslagen']) {
    await expect(page.getByRole('heading', { level: 2, name: new RegExp(name) })).toBeVisible();
  }
  await expect(page.getByRole('contentinfo')).toBeVisible();
});

/**
 * Holds the main module's answer back until `until` resolves (a deadlock
 * guard of 15 s only: the tests compare the order of events, not times) and
 * records its arrival in `events` as "main module arrived".
 */
async function holdMainModule(page: import('@playwright/test').Page, until: Promise<void>, events: string[]) {
  const mainModule = /\/app-[0-9a-f]{16}\/buergeramt_bg\.wasm$/;
  page.on('requestfinished', (r) => {
    if (mainModule.test(r.url())) events.push('main module arrived');
  });
  await page.route(mainModule, async (route) => {
    let guard: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([until, new Promise((resolve) => (guard = setTimeout(resolve, 15_000)))]);
    clearTimeout(guard);
    await route.continue();
  });
}

// A deep link's route chunks load while the main module does (index.html
// loads routes.js on every path but `/`; it preloads the current route's wasm
// files, scripts/route-chunks.mjs). To make the order visible on a fast local
// line, the main module's answer is held back until the route's chunk has
// been requested: loaded one after the other (main module, then its chunk),
// the chunk would only be requested after the main module had arrived. The
// hold has a deadlock guard only; the test compares the order of events.
for (const [path, chunk, shows] of [
  ['/suche?q=hund', 'split_search.wasm', 'link'],
  [`/leistungen/${SERVICES.hund}`, 'split_service.wasm', 'heading'],
] as const) {
  test(`a deep link to ${path.split('?')[0]} requests its route chunk before the main module has arrived`, async ({ page }) => {
    const events: string[] = [];
    let chunkRequested = () => {};
    const requested = new Promise<void>((resolve) => (chunkRequested = resolve));
    page.on('request', (r) => {
      if (r.url().endsWith(`/${chunk}`)) {
        events.push('chunk requested');
        chunkRequested();
      }
    });
    let moduleRequests = 0;
    page.on('request', (r) => {
      if (/\/app-[0-9a-f]{16}\/buergeramt_bg\.wasm$/.test(r.url())) moduleRequests++;
    });
    await holdMainModule(page, requested, events);
    await page.goto(path);
    await waitForApp(page);
    // The page itself: a search result, or the service's own heading.
    await expect(page.getByRole(shows, shows === 'link' ? { name: /Hundesteuer/ } : { level: 1, name: /Hundesteuer/ }).first()).toBeVisible();
    expect(events.filter((e) => e === 'chunk requested').length, 'the chunk is requested').toBeGreaterThan(0);
    expect(events.indexOf('chunk requested'), events.join(', ')).toBeLessThan(events.indexOf('main module arrived'));
    // The preload (added by index.html's inline script) and the loader's own
    // fetch carry the same integrity, so the module is downloaded once.
    expect(moduleRequests, 'the main module is downloaded once').toBe(1);
  });
}

// The app's first two requests, /config.json (every request waits for it)
// and /api/v1/session (who is logged in), are preloaded by index.html's
// inline script (scripts/wasm-bundle.sh; at once on a deep link, after the
// static copy's paint on / and /suche): they no longer wait for the main
// module, and then for each other. The main module is held back
// until both have been requested (a deadlock guard only): started by the
// app, they could only come after it. Each is asked for once: the app's own
// fetches take the preloaded answers over.
test('a deep link: /config.json and the session are requested once each, before the main module has arrived', async ({ page }) => {
  const early = [/\/config\.json$/, /\/api\/v1\/session$/];
  const events: string[] = [];
  const counts = [0, 0];
  let bothRequested = () => {};
  const requested = new Promise<void>((resolve) => (bothRequested = resolve));
  page.on('request', (r) => {
    early.forEach((re, i) => {
      if (re.test(r.url()) && r.method() === 'GET') {
        counts[i]++;
        events.push(`${re.source} requested`);
      }
    });
    if (counts.every((n) => n > 0)) bothRequested();
  });
  await holdMainModule(page, requested, events);
  await page.addInitScript(recordEarlyPreloads);
  await page.goto('/konto');
  await waitForApp(page);
  // The app has asked who is logged in and acted on the answer: the
  // account page offers the login only once the login has been checked.
  await expect(page.locator('main').getByRole('button', { name: /anmelden/i }).first()).toBeVisible();
  await expect(page.getByText('Ihre Anmeldung wird geprüft')).toHaveCount(0);
  const arrived = events.indexOf('main module arrived');
  expect(arrived, events.join(', ')).toBeGreaterThan(-1);
  for (const re of early) {
    expect(events.indexOf(`${re.source} requested`), events.join(', ')).toBeGreaterThan(-1);
    expect(events.indexOf(`${re.source} requested`), events.join(', ')).toBeLessThan(arrived);
  }
  expect(counts, 'config.json and the session: one request each').toEqual([1, 1]);
  // Where the app draws the page, nothing is painted before them: they keep
  // the browser's priority (low only on the pages with a copy).
  expect(await page.evaluate(() => (window as unknown as { __order: string[] }).__order)).toEqual([
    'preload /config.json (auto)',
    'preload /api/v1/session (auto)',
  ]);
});

// A part of the app needs many wasm files (an application 36, 118 before
// tools/wasm-join joined the small shared chunks), and every request costs
// the main thread: started in one task, 118 blocked it for 650 ms at
// Lighthouse's 4× CPU slowdown. routes.js (a deep link) and the
// chunk loader (a link inside the app) start them a few per task, and the
// loader takes the responses routes.js started (scripts/wasm-loader.mjs,
// scripts/route-chunks.mjs). Recorded in the page: every `fetch` of a wasm
// file with the task it was started in (a task ends at its microtask
// checkpoint); the network shows each file requested once, and nothing else
// (no preload link) requests one.
const PER_TASK = 6;
async function recordWasmFetches(page: import('@playwright/test').Page) {
  await page.addInitScript(() => {
    const w = window as unknown as { __wasmFetchTasks: number[] };
    w.__wasmFetchTasks = [];
    let task = 0;
    let open = false;
    const real = window.fetch.bind(window);
    window.fetch = (input: RequestInfo | URL, init?: RequestInit) => {
      const url = input instanceof Request ? input.url : String(input);
      if (/\.wasm$/.test(url) && /\/(split_|chunk_)/.test(url)) {
        if (!open) {
          open = true;
          task++;
          queueMicrotask(() => (open = false));
        }
        w.__wasmFetchTasks.push(task);
      }
      return real(input, init);
    };
  });
  const requested: string[] = [];
  page.on('request', (r) => {
    if (isChunk(r.url())) requested.push(new URL(r.url()).pathname.split('/').pop() ?? '');
  });
  return async () => {
    const tasks = await page.evaluate(() => (window as unknown as { __wasmFetchTasks: number[] }).__wasmFetchTasks);
    const perTask = new Map<number, number>();
    for (const t of tasks) perTask.set(t, (perTask.get(t) ?? 0) + 1);
    return { fetches: tasks.length, largestTask: Math.max(0, ...perTask.values()), requested };
  };
}

for (const [how, start] of [
  ['a deep link to an application', applyUrl(SERVICES.hund)],
  ['following a link inside the app to an application', `/leistungen/${SERVICES.hund}?ort=${KOELN}`],
] as const) {
  test(`${how}: the wasm files are requested once each, at most ${PER_TASK} per task`, async ({ page }) => {
    const measured = await recordWasmFetches(page);
    await page.goto(start);
    await waitForApp(page);
    if (start.startsWith('/leistungen/')) {
      await expect(page.getByRole('heading', { level: 1 })).toContainText('Hundesteuer');
      await page.getByRole('region', { name: 'Online beantragen' }).getByRole('link', { name: 'Online beantragen' }).click();
      await expect(page).toHaveURL(/\/antrag\//);
    }
    // The application's start page, drawn by the apply module: all its
    // files have been fetched and instantiated by now.
    await expect(page.getByRole('heading', { level: 2, name: 'Was Sie brauchen' })).toBeVisible();
    const { fetches, largestTask, requested } = await measured();
    // Enough files that starting them takes several tasks; and, on a deep
    // link, no more than the joined build needs (118 before the join).
    expect(requested.length, 'the apply module needs several batches of files').toBeGreaterThan(2 * PER_TASK);
    if (!start.startsWith('/leistungen/')) {
      expect(requested.length, `the apply module's files: ${requested.join(' ')}`).toBeLessThanOrEqual(40);
    }
    expect(new Set(requested).size, `each file once: ${requested.join(' ')}`).toBe(requested.length);
    expect(fetches, 'every wasm request is a fetch the page made (no preload links)').toBe(requested.length);
    expect(largestTask, 'wasm requests started in one task').toBeLessThanOrEqual(PER_TASK);
  });
}

test.describe('a chunk that cannot be fetched', () => {
  // The splitter's loader logs the failed fetch; nothing else may.
  test.use({ allowedConsoleErrors: [/Failed to fetch|TypeError|net::ERR_CONNECTION_RESET/] });

  test('shows a clear message instead of killing the app, and the next visit loads it', async ({ page }) => {
    let block = true;
    await page.route(/\/app-[0-9a-f]{16}\/split_help\.wasm$/, (route) =>
      block ? route.abort('connectionreset') : route.continue(),
    );
    await page.goto('/');
    await waitForApp(page);
    const footer = page.getByRole('navigation', { name: 'Service und Rechtliches' });
    await footer.getByRole('link', { name: 'Hilfe' }).click();

    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Diese Seite konnte nicht geladen werden');
    await expect(page.getByRole('alert')).toContainText('Prüfen Sie Ihre Internetverbindung');
    await expect(page).toHaveTitle(/^Diese Seite konnte nicht geladen werden – Bürgeramt NRW$/);
    await expect(page.getByText('Es ist ein Fehler aufgetreten')).toHaveCount(0);
    await expectNoAxeViolations(page);

    // The shell still works, and the failed load is not remembered.
    block = false;
    await page.getByRole('link', { name: 'Bürgeramt NRW' }).first().click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Was möchten Sie erledigen?');
    await footer.getByRole('link', { name: 'Hilfe' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Hilfe und häufige Fragen');
  });

  test('the reload button loads the page again', async ({ page }) => {
    let block = true;
    await page.route(/\/app-[0-9a-f]{16}\/split_legal\.wasm$/, (route) =>
      block ? route.abort('connectionreset') : route.continue(),
    );
    await page.goto('/impressum');
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Diese Seite konnte nicht geladen werden');
    block = false;
    await page.getByRole('button', { name: 'Seite neu laden' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Impressum');
  });
});

// The static shell in index.html paints the start page's heading and
// introduction before the wasm arrives; the app then draws its own. Both must
// sit in exactly the same place with the same size: otherwise the swap is a
// layout shift, and the app's paragraph becomes a new, later "largest
// contentful paint" (Lighthouse measured 5.8 s instead of the shell's paint).
for (const viewport of [
  { width: 412, height: 823 },
  { width: 1350, height: 940 },
]) {
  test(`start page at ${viewport.width} px: shell and app draw heading and introduction in the same place`, async ({ browser }) => {
    const rects = async (javaScriptEnabled: boolean) => {
      const ctx = await browser.newContext({ javaScriptEnabled, viewport, serviceWorkers: 'block', locale: 'de-DE' });
      const page = await ctx.newPage();
      await page.goto('/');
      if (javaScriptEnabled) await waitForApp(page);
      await page.evaluate(() => document.fonts.ready);
      const r = await page.evaluate(() =>
        ['main h1', 'main p.kern-body--large'].map((s) => {
          const b = document.querySelector(s)?.getBoundingClientRect();
          return b ? [Math.round(b.x), Math.round(b.y), Math.round(b.width), Math.round(b.height)] : null;
        }),
      );
      await ctx.close();
      return r;
    };
    const shell = await rects(false);
    expect(shell[0], 'the shell has the heading').not.toBeNull();
    expect(await rects(true)).toEqual(shell);
  });
}

test('the install hint appears under the page content and moves nothing', async ({ page }) => {
  await page.addInitScript(() => {
    (window as any).__shift = 0;
    new PerformanceObserver((l) => {
      for (const e of l.getEntries() as any[]) if (!e.hadRecentInput) (window as any).__shift += e.value;
    }).observe({ type: 'layout-shift', buffered: true });
  });
  await page.goto('/');
  await waitForApp(page);
  const intro = page.locator('main p.kern-body--large');
  const before = await intro.boundingBox();
  // Chromium's offer to install, as the page would get it.
  await page.evaluate(() => window.dispatchEvent(new Event('beforeinstallprompt')));
  const hint = page.locator('.pwa-notice--install');
  await expect(hint).toBeVisible();
  await expect(hint).toContainText('Bürgeramt NRW als App installieren');
  // After <main>, before the footer.
  expect(await page.evaluate(() => !!document.querySelector('main ~ .pwa-install .pwa-notice--install'))).toBe(true);
  expect(await intro.boundingBox()).toEqual(before);
  expect(await page.evaluate(() => (window as any).__shift)).toBeLessThan(0.01);
  await expectNoAxeViolations(page);
  await hint.getByRole('button', { name: 'Nein, danke' }).click();
  await expect(hint).toHaveCount(0);
});
