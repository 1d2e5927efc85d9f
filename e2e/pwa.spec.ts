// Issue 7: the installable app (manifest, service worker, offline, update),
// dark mode, English, and narrow screens.
import { chromium, type Page, type Response } from '@playwright/test';
import { mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test, expect, expectNoAxeViolations, passwordLogin, startExtraServer, waitForApp, API, type ExtraServers } from './fixtures';
import { SERVICES, applyUrl } from './apply-helpers';

/** Waits until a service worker controls the page (first visit: after claim). */
async function controlled(page: Page) {
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
    if (!navigator.serviceWorker.controller) {
      await new Promise((resolve) => navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true }));
    }
  });
}

/** Searches for `q` on /suche and opens the first result; returns its path. */
async function openFirstResult(page: Page, q: string): Promise<string> {
  await page.goto(`/suche?q=${encodeURIComponent(q)}`);
  const first = page.getByRole('list', { name: /Suchergebnisse|Search results/ }).getByRole('listitem').first().getByRole('link');
  await first.click();
  await expect(page).toHaveURL(/\/leistungen\//);
  await waitForApp(page);
  return new URL(page.url()).pathname + new URL(page.url()).search;
}

/** Every path in the page's caches (all of the origin's Cache Storage). */
async function cachedPaths(page: Page): Promise<string[]> {
  return page.evaluate(async () => {
    const out: string[] = [];
    for (const name of await caches.keys()) {
      for (const req of await (await caches.open(name)).keys()) out.push(new URL(req.url).pathname);
    }
    return out;
  });
}

const isChunk = (path: string) => /\/app-[0-9a-f]{16}\/(split|chunk)_[A-Za-z0-9_]+\.wasm$/.test(path);

/** The wasm chunks this page has fetched so far (resource timing). */
async function chunksUsed(page: Page): Promise<string[]> {
  const all = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname));
  return [...new Set(all.filter(isChunk))].sort();
}

/** The start page has drawn what it loads (life situations, popular
 *  services): nothing of it is still on the way when a test stops the server. */
async function startPageLoaded(page: Page) {
  await expect(page.locator('main .loading')).toHaveCount(0);
}

/** This build's wasm directory, `/app-<hash>/`, as index.html links it. */
/**
 * Every wasm file of the application pages (`/antrag/…`): their module and
 * the shared chunks it needs, read from the build's route map (routes.js,
 * scripts/route-chunks.mjs), as absolute paths.
 */
async function applicationFiles(page: Page, appUrl: string): Promise<string[]> {
  const js = await (await page.request.get(`${appUrl}routes.js`)).text();
  const map: Record<string, string> = JSON.parse(js.match(/var m=(\{.*?\}),p=/)?.[1] ?? '{}');
  const dir = new URL(appUrl).pathname;
  const files = new Set<string>();
  for (const [route, list] of Object.entries(map)) {
    if (!route.startsWith('/antrag/')) continue;
    for (const f of list.split(' ')) files.add(`${dir}${/^\d+$/.test(f) ? `chunk_${f}` : `split_${f}`}.wasm`);
  }
  return [...files].sort();
}

async function appDir(page: Page): Promise<string> {
  return page.evaluate(() => {
    const href = document.querySelector('link[rel=modulepreload]')?.getAttribute('href') ?? '';
    return href.replace(/[^/]+$/, '');
  });
}

test.describe('installable app', () => {
  test('manifest and service worker are registered', async ({ page, request }) => {
    await page.goto('/');
    await waitForApp(page);
    const manifest = await request.get('/manifest.webmanifest');
    expect(manifest.headers()['content-type']).toBe('application/manifest+json');
    const json = await manifest.json();
    expect(json).toMatchObject({ name: 'Bürgeramt NRW', start_url: '/', scope: '/', display: 'standalone', lang: 'de' });
    const purposes = json.icons.map((i: { purpose: string; sizes: string }) => `${i.sizes} ${i.purpose}`);
    expect(purposes).toEqual(expect.arrayContaining(['192x192 any', '512x512 any', '512x512 maskable']));
    for (const icon of json.icons) {
      const res = await request.get(icon.src);
      expect(res.ok(), icon.src).toBe(true);
      expect(res.headers()['content-type']).toBe(icon.type);
    }

    await controlled(page);
    const scope = await page.evaluate(async () => (await navigator.serviceWorker.ready).scope);
    expect(new URL(scope).pathname).toBe('/');

  });

  test('Chromium reports the app installable (in a normal, not incognito, profile)', async () => {
    const { launchOptions, baseURL } = test.info().project.use;
    const profile = mkdtempSync(join(tmpdir(), 'buergeramt-e2e-profile-'));
    const context = await chromium.launchPersistentContext(profile, { ...launchOptions, baseURL });
    try {
      const page = await context.newPage();
      await page.goto('/');
      await waitForApp(page);
      await controlled(page);
      const cdp = await context.newCDPSession(page);
      const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
      expect(installabilityErrors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  test.describe('personal data', () => {
    // The first message may need a higher level than the login's: the relay
    // answers 403 (the page then offers the step-up), which the browser logs.
    test.use({ allowedConsoleErrors: [/status of 403 \(Forbidden\)/] });

    test('personal data never lands in a cache; the public catalogue may', async ({ page }) => {
      // Every answer of the relay's API, and whether the worker answered it.
      const api: { path: string; fromWorker: boolean }[] = [];
      page.on('response', (r: Response) => {
        const u = new URL(r.url());
        if (u.pathname.startsWith('/api/')) api.push({ path: u.pathname, fromWorker: r.fromServiceWorker() });
      });
      await page.goto('/');
      await controlled(page);
      await openFirstResult(page, 'hund');
      // Log in (through the relay and the provider's pages), open the account,
      // the postbox and a message, and the applications.
      await page.goto('/anmelden?zurueck=%2Fpostfach');
      await waitForApp(page);
      await page.getByRole('button', { name: 'Mit BundID anmelden' }).click();
      await passwordLogin(page, 'erika', 'Mustermann-2026');
      await expect(page).toHaveURL(/\/postfach$/);
      await waitForApp(page);
      const message = page.locator('.postbox-item a').first();
      if (await message.count()) {
        await message.click();
        await expect(page).toHaveURL(/\/postfach\/[0-9a-f-]{36}/);
        await waitForApp(page);
      }
      await page.goto('/konto');
      await waitForApp(page);
      await page.goto('/antraege');
      await waitForApp(page);
      // The app asked the relay for personal things while the worker was in charge …
      expect(api.some((a) => a.path === '/api/v1/session'), 'GET /api/v1/session').toBe(true);
      expect(api.some((a) => a.path.startsWith('/api/v1/postbox/')), 'GET /api/v1/postbox/…').toBe(true);
      // … and the worker never answered one of them (it does not even pass them on).
      const answered = api.filter((a) => a.fromWorker && !a.path.startsWith('/api/v1/catalogue/'));
      expect(answered, 'personal answers through the service worker').toEqual([]);

      const cached = await page.evaluate(async () => {
        const out: { cache: string; url: string; body: string }[] = [];
        for (const name of await caches.keys()) {
          const c = await caches.open(name);
          for (const req of await c.keys()) {
            const res = await c.match(req);
            out.push({ cache: name, url: req.url, body: res ? await res.text() : '' });
          }
        }
        return out;
      });
      const paths = cached.map((e) => new URL(e.url).pathname);
      expect(paths).toContain('/index.html');
      // The catalogue may be cached (offline use) …
      expect(paths.some((u) => u.startsWith('/api/v1/catalogue/')), 'a cached catalogue answer').toBe(true);
      // … nothing else under /api: not the session, the postbox, the applications, the login.
      expect(paths.filter((u) => /^\/api(\/|$)/.test(u) && !u.startsWith('/api/v1/catalogue/')), 'personal answers in a cache').toEqual([]);
      for (const e of cached) {
        expect(e.body, `cached ${e.url} (${e.cache})`).not.toContain('Mustermann');
        expect(e.body, `cached ${e.url} (${e.cache})`).not.toContain('"loggedIn"');
      }
    });
  });
});

test.describe('offline', () => {
  // The browser logs every request that fails while offline.
  // One expression: Playwright would take a second array element for the
  // option's settings.
  test.use({ allowedConsoleErrors: [/ERR_INTERNET_DISCONNECTED|Failed to load resource|Failed to fetch/] });

  test('after one visit the app opens offline, says so, and shows a visited service marked as stale', async ({ page, context }) => {
    await page.goto('/');
    await waitForApp(page);
    await controlled(page);
    const service = await openFirstResult(page, 'hund');
    const title = await page.getByRole('heading', { level: 1 }).textContent();

    // The relay lets the browser keep catalogue answers for 5 minutes; so
    // that this visit's answer comes from the worker's own cache (the case
    // the notice is for), the browser's HTTP cache is emptied first.
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.clearBrowserCache');
    await cdp.detach();
    await context.setOffline(true);
    await page.reload();
    await waitForApp(page);
    const notice = page.locator('.pwa-notice--offline');
    await expect(notice).toContainText('Sie sind offline');

    await page.goto(service);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(title ?? '');
    await expect(notice).toContainText('früheren Besuch');

    // The relay's other routes are never answered from a cache or with the
    // offline shell: offline they fail, as a network error.
    const offline = await page.evaluate(async (headers) => {
      const out: Record<string, string> = {};
      for (const path of ['/api/v1/session', '/api/v1/postbox/messages/unread-count', '/api/v1/login?level=STORK-QAA-Level-1']) {
        out[path] = await fetch(path, { headers }).then(
          (r) => `answered ${r.status} ${r.headers.get('content-type')}`,
          () => 'network error',
        );
      }
      return out;
    }, API);
    expect(offline).toEqual({
      '/api/v1/session': 'network error',
      '/api/v1/postbox/messages/unread-count': 'network error',
      '/api/v1/login?level=STORK-QAA-Level-1': 'network error',
    });

    // Back online, the notice goes away.
    await context.setOffline(false);
    await expect(notice).toHaveCount(0);
  });
});

test.describe('offline, what is cached when', () => {
  test.use({ allowedConsoleErrors: [/ERR_INTERNET_DISCONNECTED|Failed to load resource|Failed to fetch/] });

  test('the first visit precaches the shell only; the chunks of a route are kept once used and open offline', async ({ page, context }) => {
    await page.goto('/');
    await waitForApp(page);
    await controlled(page);
    const first = await cachedPaths(page);
    const dir = await appDir(page);
    expect(first).toEqual(expect.arrayContaining(['/index.html', `${dir}buergeramt_bg.wasm`, `${dir}buergeramt.js`, `${dir}__wasm_split.js`, '/manifest.webmanifest']));
    expect(first.some((p) => p.endsWith('.css')), 'a stylesheet').toBe(true);
    expect(first.some((p) => p.startsWith('/fonts/') && p.endsWith('.woff2')), 'the first screen\'s fonts').toBe(true);
    expect(first.filter(isChunk), 'chunks precached on the first visit').toEqual([]);

    // The glossary, opened by a link: its chunks are fetched and kept.
    await page.getByRole('navigation', { name: 'Service und Rechtliches' }).getByRole('link', { name: 'Glossar' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Glossar');
    const used = await chunksUsed(page);
    expect(used.some((p) => p.endsWith('/split_help.wasm'))).toBe(true);
    await expect.poll(async () => { const c = await cachedPaths(page); return used.filter((p) => !c.includes(p)); }).toEqual([]);

    // Offline (and without the browser's HTTP cache), the glossary opens again.
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.clearBrowserCache');
    await cdp.detach();
    await context.setOffline(true);
    await page.goto('/glossar');
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Glossar');
    await context.setOffline(false);
  });
});

test.describe('updates', () => {
  // A new build at the same origin: the browser's update check for sw.js is
  // not routable from Playwright, so the relay itself is restarted on the
  // same port with a dist whose sw.js differs (everything else linked).
  let server: ExtraServers | undefined;
  test.afterAll(async () => {
    await server?.stopped();
  });

  test('a waiting service worker offers "Neu laden", which activates it', async ({ page }) => {
    const first = await startExtraServer();
    server = first.server;
    const port = new URL(first.base).port;
    await page.goto(`${first.base}/`);
    await waitForApp(page);
    await controlled(page);
    await startPageLoaded(page);
    await expect(page.locator('.pwa-notice--update')).toHaveCount(0);

    await first.server.stopped();
    const second = await startExtraServer({ port, relay: { RELAY_DIST: newerBuild() } });
    server = second.server;
    await page.evaluate(async () => (await navigator.serviceWorker.ready).update());

    const banner = page.getByRole('status').filter({ hasText: 'Neue Version verfügbar' });
    await expect(banner).toBeVisible();
    const reloaded = page.waitForEvent('load');
    await banner.getByRole('button', { name: 'Neu laden' }).click();
    await reloaded;
    await waitForApp(page);
    await expect(page.locator('.pwa-notice--update')).toHaveCount(0);
    const state = await page.evaluate(async () => {
      const reg = await navigator.serviceWorker.ready;
      const res = await fetch('/sw.js');
      return { waiting: !!reg.waiting, newest: (await res.text()).includes('a newer build') };
    });
    expect(state).toEqual({ waiting: false, newest: true });
  });
});

test.describe('a deploy during an application', () => {
  // While the server restarts, a request of the page may find it down (or
  // be cut off as it stops).
  test.use({ allowedConsoleErrors: [/ERR_CONNECTION_REFUSED|ERR_CONNECTION_RESET|ERR_FAILED/] });
  let running: ExtraServers | undefined;
  test.afterAll(async () => {
    await running?.stopped();
  });

  test('the send path was kept when the application started; the new worker keeps the earlier build\'s caches', async ({ page }) => {
    test.slow(); // two servers start
    const first = await startExtraServer();
    running = first.server;
    const port = new URL(first.base).port;
    await page.goto(`${first.base}/`);
    await waitForApp(page);
    await controlled(page);
    const dir = await appDir(page);
    const sendPath = await applicationFiles(page, `${first.base}${dir}`);
    expect(sendPath, 'the application pages\' module').toContain(`${dir}split_apply.wasm`);
    expect((await cachedPaths(page)).filter((p) => sendPath.includes(p)), 'before the application').toEqual([]);

    // The application starts: the worker keeps every page of it up to "gesendet".
    await page.goto(`${first.base}${applyUrl(SERVICES.hund)}`);
    await waitForApp(page);
    await expect(page.locator('main .loading')).toHaveCount(0);
    await expect.poll(async () => {
      const cached = await cachedPaths(page);
      return sendPath.filter((p) => !cached.includes(p));
    }).toEqual([]);

    // The deploy: the same origin now serves a build in another directory;
    // the earlier build's files are gone from the server.
    await first.server.stopped();
    const second = await startExtraServer({ port, relay: { RELAY_DIST: movedBuild() } });
    running = second.server;
    expect((await page.request.get(`${first.base}${dir}split_apply_review_page.wasm`)).status(), 'gone from the server').toBe(404);

    // Another tab chose "Neu laden": the new worker activates and takes this page over too.
    const activated = await page.evaluate(async () => {
      const reg = await navigator.serviceWorker.ready;
      await reg.update();
      const sw = reg.installing ?? reg.waiting;
      if (!sw) return 'no new worker';
      if (sw.state !== 'installed') {
        await new Promise<void>((resolve, reject) =>
          sw.addEventListener('statechange', () => {
            if (sw.state === 'installed') resolve();
            else if (sw.state === 'redundant') reject(new Error('the new worker did not install'));
          }),
        );
      }
      const changed = new Promise((resolve) => navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true }));
      sw.postMessage({ type: 'SKIP_WAITING' });
      await changed;
      return 'activated';
    });
    expect(activated).toBe('activated');
    const names = await page.evaluate(() => caches.keys());
    expect(names.some((n) => n.startsWith('shell-') && n.endsWith('-next')), 'the new build\'s shell').toBe(true);
    expect(names, 'the earlier build\'s chunks, kept for the grace period').toContain(dir.slice(1, -1));

    // The page still runs the earlier build: the rest of its application is there.
    const answers = await page.evaluate(
      async (paths) =>
        Promise.all(paths.map((p) => fetch(p).then((r) => String(r.status), () => 'network error'))),
      sendPath,
    );
    expect(answers).toEqual(sendPath.map(() => '200'));
  });
});

/**
 * dist/ as a later deploy leaves it: the same files in another build
 * directory (the earlier one is gone), index.html and sw.js pointing there,
 * and another worker version.
 */
function movedBuild(): string {
  const out = mkdtempSync(join(tmpdir(), 'buergeramt-e2e-dist-'));
  const before = readdirSync('dist').find((n) => /^app-[0-9a-f]{16}$/.test(n)) ?? 'no build directory';
  const after = before === 'app-0123456789abcdef' ? 'app-fedcba9876543210' : 'app-0123456789abcdef';
  for (const name of readdirSync('dist')) {
    if (name === before || name.startsWith('index.html') || name.startsWith('sw.js')) continue;
    symlinkSync(resolve('dist', name), join(out, name));
  }
  symlinkSync(resolve('dist', before), join(out, after));
  const moved = (text: string) => text.split(`/${before}/`).join(`/${after}/`);
  writeFileSync(join(out, 'index.html'), moved(readFileSync('dist/index.html', 'utf8')));
  const sw = moved(readFileSync('dist/sw.js', 'utf8')).replace(/const VERSION = "([^"]+)";/, 'const VERSION = "$1-next";');
  writeFileSync(join(out, 'sw.js'), sw);
  return out;
}

/** A copy of dist/ (files linked) whose sw.js differs by a comment. */
function newerBuild(): string {
  const dir = mkdtempSync(join(tmpdir(), 'buergeramt-e2e-dist-'));
  for (const name of readdirSync('dist')) {
    if (name === 'sw.js' || name.startsWith('sw.js.')) continue;
    symlinkSync(resolve('dist', name), join(dir, name));
  }
  writeFileSync(join(dir, 'sw.js'), readFileSync('dist/sw.js', 'utf8') + '\n// a newer build\n');
  return dir;
}

test.describe('colour scheme, English, narrow screens', () => {
  const pages = ['/', '/suche?q=hund', '/hilfe', '/leichte-sprache', '/leichte-sprache/antrag'];

  test('dark mode by the system: axe on several pages, and a service page', async ({ page }) => {
    await page.emulateMedia({ colorScheme: 'dark' });
    for (const path of pages) {
      await page.goto(path);
      await waitForApp(page);
      await expect(page.locator('main')).not.toContainText('Wird geladen');
      await expectNoAxeViolations(page);
    }
    await openFirstResult(page, 'hund');
    await expectNoAxeViolations(page);
  });

  test('the manual switch overrides the system and is remembered before load', async ({ page }) => {
    await page.emulateMedia({ colorScheme: 'light' });
    await page.goto('/');
    await waitForApp(page);
    await page.getByRole('group', { name: 'Farbschema' }).getByLabel('Dunkel').check();
    await expect(page.locator('html')).toHaveAttribute('data-kern-theme', 'dark');
    expect(await page.evaluate(() => localStorage.getItem('buergeramt.farbschema'))).toBe('dark');
    const bg = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(await bg()).toMatch(/^(rgb\(0, 0, 0\)|oklch\(0 0 0\))$/);
    await expectNoAxeViolations(page);

    // The inline script in index.html applies it before the app runs.
    await page.goto('/hilfe', { waitUntil: 'commit' });
    await page.waitForSelector('html[data-kern-theme="dark"]', { state: 'attached' });
    await waitForApp(page);
    await expect(page.getByRole('group', { name: 'Farbschema' }).getByLabel('Dunkel')).toBeChecked();

    await page.getByRole('group', { name: 'Farbschema' }).getByLabel('Wie das Gerät').check();
    await expect(page.locator('html')).not.toHaveAttribute('data-kern-theme', /.*/);
    expect(await page.evaluate(() => localStorage.getItem('buergeramt.farbschema'))).toBeNull();
    expect(await bg()).toMatch(/^(rgb\(255, 255, 255\)|oklch\(1 0 0\))$/);
  });

  test('English, dark: axe on several pages and a service page', async ({ page }) => {
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.goto('/');
    await waitForApp(page);
    await page.getByRole('button', { name: 'English' }).click();
    await expect(page.locator('html')).toHaveAttribute('lang', 'en');
    for (const path of pages) {
      await page.goto(path);
      await waitForApp(page);
      await expect(page.locator('html')).toHaveAttribute('lang', 'en');
      await expect(page.getByRole('group', { name: 'Colour scheme' })).toBeVisible();
      await expectNoAxeViolations(page);
    }
    await openFirstResult(page, 'dog');
    await expectNoAxeViolations(page);
  });

  test('320 px wide: start page → search → service page without sideways scrolling', async ({ page }) => {
    await page.setViewportSize({ width: 320, height: 640 });
    const noOverflow = async () =>
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(320);
    await page.goto('/');
    await waitForApp(page);
    await noOverflow();
    await page.getByRole('searchbox', { name: 'Wonach suchen Sie?' }).fill('hund');
    await page.getByRole('searchbox', { name: 'Wonach suchen Sie?' }).press('Enter');
    await expect(page).toHaveURL(/\/suche\?.*q=hund/);
    const first = page.getByRole('list', { name: 'Suchergebnisse' }).getByRole('listitem').first().getByRole('link');
    await expect(first).toBeVisible();
    await noOverflow();
    await first.click();
    await expect(page).toHaveURL(/\/leistungen\//);
    await waitForApp(page);
    await noOverflow();
    await expectNoAxeViolations(page);
  });
});

test('Leichte Sprache is a section: overview, six topic pages read in order, back to the overview', async ({ page }) => {
  await page.goto('/');
  await waitForApp(page);
  await page.getByRole('link', { name: 'Informationen in Leichter Sprache' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Leichte Sprache');
  const topics = page.getByRole('navigation', { name: 'Mehr in Leichter Sprache' }).getByRole('link');
  await expect(topics).toHaveCount(6);
  await topics.first().click();
  const titles = ['So finden Sie ein Angebot', 'So melden Sie sich an', 'So stellen Sie einen Antrag', 'Was ist das Post·fach?', 'Was ist eine Voll·macht?', 'Hier bekommen Sie Hilfe'];
  for (const [i, title] of titles.entries()) {
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(title);
    await expect(page.getByRole('heading', { level: 1 })).toBeFocused();
    await expectNoAxeViolations(page);
    const next = page.getByRole('navigation', { name: 'Weiter lesen in Leichter Sprache' });
    if (i < titles.length - 1) await next.getByRole('link', { name: titles[i + 1] }).click();
    else await next.getByRole('link', { name: 'Zurück zur Übersicht in Leichter Sprache' }).click();
  }
  await expect(page).toHaveURL(/\/leichte-sprache$/);
  await page.goto('/leichte-sprache/gibt-es-nicht');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Seite nicht gefunden');
});
