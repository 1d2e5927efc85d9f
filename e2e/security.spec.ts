// Issue 8, part 4 (browser): the CSP holds on every route, SRI on every
// script and stylesheet, no token or personal data left in storage, caches
// or URLs after a full journey, logout clears the session, and no other
// origin can frame the app. What is stored where: docs/security.md.
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page, Request, Response } from '@playwright/test';
import { test, expect, waitForApp, passwordLogin, eidLogin } from './fixtures';
import { SERVICES, ERIKA, KOELN, applyUrl, startWithPassword, sendHundesteuer } from './apply-helpers';

/** What the app may keep in localStorage: preferences only. */
const LOCAL_KEYS = new Set(['buergeramt.farbschema', 'buergeramt.sprache', 'buergeramt.ort', 'buergeramt.installhinweis']);
/** sessionStorage while logged in (the tab's session, by design) and during a login round trip. */
const SESSION_KEY = 'buergeramt.sitzung';
const PENDING_KEY = 'buergeramt.anmeldung';

type Violation = { page: string; directive: string; blocked: string; sample: string };

/**
 * Records CSP violations of every document the page loads (the init script
 * runs before any of the page's own scripts) plus the browser's console
 * reports of refused content, and checks that every document came with the
 * CSP header.
 */
async function watchCsp(page: Page) {
  const violations: Violation[] = [];
  const consoleReports: string[] = [];
  const documents: { url: string; csp: string | null; xfo: string | null }[] = [];
  await page.exposeFunction('__reportCspViolation', (v: Violation) => violations.push(v));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      (window as any).__reportCspViolation({
        page: location.href,
        directive: e.effectiveDirective,
        blocked: e.blockedURI,
        sample: e.sample,
      });
    });
  });
  page.on('console', (msg) => {
    if (/Content Security Policy|Refused to (execute|load|apply|connect|frame|evaluate|compile)/i.test(msg.text())) {
      consoleReports.push(msg.text());
    }
  });
  page.on('response', async (r: Response) => {
    if (r.request().resourceType() === 'document' && r.url().startsWith(`http://127.0.0.1:${process.env.E2E_PORT}/`)) {
      const h = await r.allHeaders();
      documents.push({ url: r.url(), csp: h['content-security-policy'] ?? null, xfo: h['x-frame-options'] ?? null });
    }
  });
  return { violations, consoleReports, documents };
}

/** Every URL the page requests, and every address the tab shows. */
function watchUrls(page: Page) {
  const requests: string[] = [];
  const addresses: string[] = [];
  page.on('request', (r: Request) => requests.push(r.url()));
  page.on('framenavigated', (f) => {
    if (f === page.mainFrame()) addresses.push(f.url());
  });
  return { requests, addresses };
}

async function visit(page: Page, path: string) {
  await page.goto(path);
  await waitForApp(page);
}

/** Everything the origin keeps in the browser, as text (binary as latin1), for searching. */
async function browserState(page: Page) {
  return page.evaluate(async () => {
    const toText = (v: any, depth = 0): string => {
      if (depth > 8 || v === null || v === undefined) return String(v);
      if (typeof v === 'string') return v;
      if (typeof v === 'number' || typeof v === 'boolean') return String(v);
      if (v instanceof ArrayBuffer) return new TextDecoder('latin1').decode(new Uint8Array(v));
      if (ArrayBuffer.isView(v)) return new TextDecoder('latin1').decode(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
      if (typeof CryptoKey !== 'undefined' && v instanceof CryptoKey) return `CryptoKey(extractable=${v.extractable})`;
      if (v instanceof Blob) return `Blob(${v.size})`;
      if (Array.isArray(v)) return '[' + v.map((x) => toText(x, depth + 1)).join(',') + ']';
      if (typeof v === 'object') return '{' + Object.keys(v).map((k) => `${k}:${toText(v[k], depth + 1)}`).join(',') + '}';
      return String(v);
    };
    const local: Record<string, string> = {};
    for (let i = 0; i < localStorage.length; i++) {
      const k = localStorage.key(i)!;
      local[k] = localStorage.getItem(k) ?? '';
    }
    const session: Record<string, string> = {};
    for (let i = 0; i < sessionStorage.length; i++) {
      const k = sessionStorage.key(i)!;
      session[k] = sessionStorage.getItem(k) ?? '';
    }
    const cache: { cache: string; url: string; body: string }[] = [];
    for (const name of await caches.keys()) {
      const c = await caches.open(name);
      for (const req of await c.keys()) {
        const res = await c.match(req);
        const buf = res ? new Uint8Array(await res.arrayBuffer()) : new Uint8Array();
        cache.push({ cache: name, url: req.url, body: new TextDecoder('latin1').decode(buf) });
      }
    }
    const idb: { db: string; store: string; key: string; value: string }[] = [];
    for (const info of await indexedDB.databases()) {
      if (!info.name) continue;
      const db: IDBDatabase = await new Promise((ok, fail) => {
        const r = indexedDB.open(info.name!);
        r.onsuccess = () => ok(r.result);
        r.onerror = () => fail(r.error);
      });
      for (const store of Array.from(db.objectStoreNames)) {
        const rows: { key: any; value: any }[] = await new Promise((ok, fail) => {
          const out: { key: any; value: any }[] = [];
          const cur = db.transaction(store, 'readonly').objectStore(store).openCursor();
          cur.onsuccess = () => {
            const c = cur.result;
            if (!c) return ok(out);
            out.push({ key: c.key, value: c.value });
            c.continue();
          };
          cur.onerror = () => fail(cur.error);
        });
        for (const r of rows) idb.push({ db: info.name, store, key: toText(r.key), value: toText(r.value) });
      }
      db.close();
    }
    return { local, session, cache, idb };
  });
}

function found(text: string, secrets: string[]): string[] {
  return secrets.filter((s) => s && text.includes(s));
}

test.describe('CSP', () => {
  test.setTimeout(240_000);

  test('full journey: every route without a CSP violation; afterwards no token or personal data in storage, caches or URLs', async ({ page, request, baseURL }) => {
    const csp = await watchCsp(page);
    const urls = watchUrls(page);
    const tokens: Record<string, string> = {};
    page.on('response', async (r) => {
      if (new URL(r.url()).pathname === '/idp/token' && r.status() === 200) {
        const t = await r.json().catch(() => ({}));
        for (const k of ['access_token', 'refresh_token', 'id_token']) if (t[k]) tokens[`${k}#${Object.keys(tokens).length}`] = t[k];
      }
    });

    // Public pages.
    await visit(page, '/');
    const lifeSituation = await page.locator('a[href^="/lebenslagen/"]').first().getAttribute('href');
    expect(lifeSituation).toBeTruthy();
    await visit(page, `/suche?q=hund&ort=${KOELN}`);
    const service = await page.locator('main a[href^="/leistungen/"]').first().getAttribute('href');
    expect(service).toBeTruthy();
    for (const path of [
      service!,
      lifeSituation!,
      '/uebersicht',
      '/hilfe',
      '/glossar',
      '/leichte-sprache',
      '/leichte-sprache/antrag',
      '/gebaerdensprache',
      '/barrierefreiheit',
      '/datenschutz',
      '/impressum',
      '/anmelden',
      '/gibt-es-nicht',
      '/konto',
      '/antraege',
      '/postfach',
    ]) {
      await visit(page, path);
    }

    // Online-Ausweis login (Level-4) from the account page; the provider's
    // pages are watched too.
    await visit(page, '/konto');
    await page.getByRole('button', { name: 'Mit BundID anmelden' }).click();
    await expect(page).toHaveURL(/\/idp\/login\//);
    await page.getByRole('link', { name: /registrieren/i }).first().click().catch(() => undefined);
    await page.goBack();
    await eidLogin(page, ERIKA.card, ERIKA.pin);
    await expect(page).toHaveURL(/\/konto$/);
    await expect(page.getByRole('banner')).toContainText('Erika Mustermann');
    const eidSession = JSON.parse((await page.evaluate((k) => sessionStorage.getItem(k), SESSION_KEY)) ?? '{}');
    expect(eidSession.level).toBe('STORK-QAA-Level-4');
    await page.getByRole('button', { name: 'Abmelden' }).click();
    await expect(page).toHaveURL(/\/$/);
    await waitForApp(page);

    // Password login and a Hundesteuer application, start to sent.
    await startWithPassword(page, SERVICES.hund);
    await page.getByRole('link', { name: 'Antrag starten' }).click();
    const { submission } = await sendHundesteuer(page, 'Bello-Sicherheitstest');
    expect(submission).toMatch(/[0-9a-f-]{36}/);

    // The logged-in pages, a postbox message included.
    for (const path of ['/konto', '/antraege', '/postfach', `/suche?q=hund&ort=${KOELN}`, applyUrl(SERVICES.hund)]) {
      await visit(page, path);
    }
    await visit(page, '/postfach');
    await page.locator('.postbox-item a').first().click();
    await expect(page).toHaveURL(/\/postfach\/[0-9a-f-]{36}/);
    await waitForApp(page);
    await expect(page.locator('main')).toContainText('Hundesteuer');

    // The authority console's pages (same policy), on a site of their own:
    // the app's host sends the browser there, and the clerk's cookie never
    // reaches the app's host.
    await page.goto('/behoerde/anmelden');
    expect(new URL(page.url()).origin).toBe(process.env.E2E_CONSOLE);
    await page.getByLabel('Benutzername').fill('sachbearbeitung');
    await page.getByLabel('Passwort').fill('Amt-NRW-2026');
    await page.getByRole('button', { name: /Anmelden/ }).click();
    await expect(page).toHaveURL(/\/behoerde\/eingang/);
    await page.goto(`/behoerde/antraege/${submission}`);
    await expect(page.locator('h1')).toBeVisible();
    const consoleCookies = await page.context().cookies(`${process.env.E2E_CONSOLE}/behoerde/`);
    expect(consoleCookies.length, 'the console has its session cookie').toBeGreaterThan(0);
    const appHost = new URL(baseURL!).hostname;
    const leaked = (await page.context().cookies()).filter((c) => consoleCookies.some((k) => k.name === c.name) && c.domain.replace(/^\./, '') === appHost);
    expect(leaked, 'no console cookie on the app host').toEqual([]);
    await page.goto('/');
    await waitForApp(page);

    // --- The CSP: sent with every document, no violation anywhere.
    expect(csp.documents.length).toBeGreaterThan(25);
    for (const d of csp.documents) {
      expect(d.csp, d.url).toMatch(/script-src 'self'/);
      expect(d.csp, d.url).not.toContain('unsafe-inline');
      expect(d.csp, d.url).not.toContain("'unsafe-eval'");
      expect(d.csp, d.url).toContain("frame-ancestors 'none'");
    }
    expect(csp.violations, 'CSP violations').toEqual([]);
    expect(csp.consoleReports, 'CSP reports on the console').toEqual([]);

    // --- Storage after the journey. The secrets: every token the provider
    // handed out, and Erika's personal data.
    const session = JSON.parse((await page.evaluate((k) => sessionStorage.getItem(k), SESSION_KEY)) ?? '{}');
    const userinfo = await (await request.get('/idp/userinfo', { headers: { Authorization: `Bearer ${session.access_token}` } })).json();
    const tokenValues = Object.values(tokens);
    expect(tokenValues.length).toBeGreaterThanOrEqual(6);
    const personal = ['Erika', 'Mustermann', 'Gabler', '1964-08-12', '12.08.1964', 'Heidestr', userinfo.sub, userinfo.mailboxUuid, 'Bello-Sicherheitstest'];
    expect(userinfo.sub).toBeTruthy();
    const secrets = [...tokenValues, ...personal];

    const state = await browserState(page);
    // localStorage: preferences only.
    expect(Object.keys(state.local).filter((k) => !LOCAL_KEYS.has(k)), 'unexpected localStorage keys').toEqual([]);
    for (const [k, v] of Object.entries(state.local)) expect(found(v, secrets), `localStorage ${k}`).toEqual([]);
    // sessionStorage: only the tab's session (tokens and attributes by design).
    expect(Object.keys(state.session).sort()).toEqual([SESSION_KEY]);
    // Cache Storage: every cache, every entry, URL and body.
    expect(state.cache.length).toBeGreaterThan(0);
    for (const e of state.cache) {
      expect(found(e.url, secrets), `cached URL ${e.url}`).toEqual([]);
      expect(found(e.body, secrets), `cached body of ${e.url} (${e.cache})`).toEqual([]);
      expect(new URL(e.url).pathname, e.url).not.toMatch(/^\/(idp|fitconnect|zbp|behoerde)\//);
    }
    // IndexedDB: drafts and files only as ciphertext; keys not extractable.
    for (const r of state.idb) {
      expect(found(r.key + r.value, secrets), `${r.db}/${r.store}/${r.key}`).toEqual([]);
      expect(r.value, `${r.db}/${r.store}`).not.toContain('CryptoKey(extractable=true)');
    }
    // URLs: what the tab showed, and every request to our origin (the
    // login callback's code and state are single-use and not secrets here).
    const origin = new URL(page.url()).origin;
    for (const u of [...urls.addresses, ...urls.requests.filter((r) => r.startsWith(origin))]) {
      expect(found(decodeURIComponent(u), secrets), u).toEqual([]);
    }
    expect(urls.addresses.filter((u) => /[?&](code|state)=/.test(u) && !u.includes('/anmelden/rueckkehr'))).toEqual([]);
    const history = await page.evaluate(() => history.length);
    expect(history).toBeGreaterThan(10);
  });
});

test.describe('CSP negative control', () => {
  test.use({ allowedConsoleErrors: [/Content Security Policy|Refused to/] });

  test('an injected inline script and an inline style attribute are blocked', async ({ page }) => {
    const csp = await watchCsp(page);
    await visit(page, '/');
    await page.evaluate(() => {
      const s = document.createElement('script');
      s.textContent = 'window.__injected = 1';
      document.head.appendChild(s);
      const d = document.createElement('p');
      d.id = 'injected-style';
      d.setAttribute('style', 'color: rgb(255, 0, 0)');
      d.textContent = 'x';
      document.querySelector('main')!.appendChild(d);
      const a = document.createElement('a');
      a.href = 'javascript:window.__injected = 2';
      a.id = 'injected-link';
      document.body.appendChild(a);
      a.click();
      const img = document.createElement('img');
      img.src = 'https://example.org/pixel.png';
      document.body.appendChild(img);
    });
    await expect.poll(() => csp.violations.length).toBeGreaterThanOrEqual(4);
    expect(await page.evaluate(() => (window as any).__injected)).toBeUndefined();
    expect(await page.locator('#injected-style').evaluate((el) => getComputedStyle(el).color)).not.toBe('rgb(255, 0, 0)');
    const directives = csp.violations.map((v) => v.directive).sort();
    // Chrome files the javascript: URL under script-src-elem too.
    expect(directives).toEqual(expect.arrayContaining(['img-src', 'script-src-elem', 'style-src-attr']));
    expect(csp.violations.filter((v) => v.directive === 'script-src-elem').length).toBeGreaterThanOrEqual(2);
  });
});

test('SRI: every script and stylesheet of index.html has an integrity hash that matches the served bytes', async ({ request }) => {
  const res = await request.get('/');
  expect(res.status()).toBe(200);
  const html = await res.text();
  const cspHeader = res.headers()['content-security-policy'] ?? '';
  const attrs = (tag: string) => {
    const out: Record<string, string> = {};
    for (const m of tag.matchAll(/([a-zA-Z-]+)\s*=\s*("([^"]*)"|'([^']*)')/g)) out[m[1].toLowerCase()] = m[3] ?? m[4] ?? '';
    return out;
  };
  const tags = [...html.matchAll(/<(script|link)\b[^>]*>/gi)].map((m) => ({ name: m[1].toLowerCase(), tag: m[0], a: attrs(m[0]) }));
  // Resources that must carry integrity: external scripts, stylesheets, and
  // module/wasm preloads.
  const loaded = tags.filter(
    (t) =>
      (t.name === 'script' && t.a.src) ||
      (t.name === 'link' && /\b(stylesheet|modulepreload|preload)\b/i.test(t.a.rel ?? '') && /\.(css|js|mjs|wasm)(\?|$)/.test(t.a.href ?? '')),
  );
  expect(loaded.length).toBeGreaterThanOrEqual(3);
  // Every .js/.wasm/.css the page names (also inside the inline loader) is one of them.
  const named = new Set([...html.matchAll(/["'(]((?:\.?\/)?[\w./-]+\.(?:js|mjs|wasm|css))["')]/g)].map((m) => new URL(m[1], res.url()).pathname));
  const covered = new Set(loaded.map((t) => new URL(t.a.src ?? t.a.href, res.url()).pathname));
  for (const n of named) {
    if (n === '/sw.js') continue; // the service worker is registered by script, not loaded into the page
    expect(covered.has(n), `${n} is loaded without an integrity check`).toBe(true);
  }
  let checked = 0;
  for (const t of loaded) {
    const url = new URL(t.a.src ?? t.a.href, res.url());
    expect(t.a.integrity, `${t.tag} has no integrity`).toMatch(/^(sha256|sha384|sha512)-/);
    const body = await (await request.get(url.pathname)).body();
    const ok = t.a.integrity.split(/\s+/).some((token) => {
      const [alg, digest] = [token.slice(0, 6), token.slice(7)];
      return createHash(alg).update(body).digest('base64') === digest;
    });
    expect(ok, `integrity of ${url.pathname} does not match its bytes`).toBe(true);
    if (t.name === 'link' && /stylesheet|modulepreload/.test(t.a.rel)) {
      expect(t.a.crossorigin ?? 'anonymous', url.pathname).toBe('anonymous');
    }
    checked++;
  }
  // Inline scripts are allowed by their hash in the CSP, and only those.
  for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
    if (attrs(m[0]).src) continue;
    const hash = createHash('sha256').update(m[2]).digest('base64');
    expect(cspHeader, `inline script not allowed by hash: ${m[2].slice(0, 60)}`).toContain(`'sha256-${hash}'`);
  }
  console.log(`SRI checked on ${checked} resources`);
});

test.describe('logout', () => {
  // Going back through the history reaches the provider's page of the
  // finished login, which refuses to be used again (409).
  test.use({ allowedConsoleErrors: [/status of 409 \(Conflict\)/] });

  test('logout clears the session: storage keys, reload and the back button show nothing personal', async ({ page }) => {
    await visit(page, '/konto');
    await page.getByRole('button', { name: 'Mit BundID anmelden' }).click();
    await passwordLogin(page, ERIKA.user, ERIKA.password);
    await expect(page).toHaveURL(/\/konto$/);
    await expect(page.locator('tr[data-attribute="givenName"]')).toContainText('Erika');
    const session = JSON.parse((await page.evaluate((k) => sessionStorage.getItem(k), SESSION_KEY)) ?? '{}');
    expect(session.access_token).toBeTruthy();
    await visit(page, '/postfach');
    await visit(page, '/antraege');
    await visit(page, '/konto');
    const urls = watchUrls(page);

    await page.getByRole('button', { name: 'Abmelden' }).click();
    await expect(page).toHaveURL(/\/$/);
    await waitForApp(page);
    const state = await browserState(page);
    expect(Object.keys(state.session).filter((k) => k.startsWith('buergeramt.'))).toEqual([]);
    const secrets = [session.access_token, session.refresh_token, session.id_token, 'Erika', 'Mustermann', 'Heidestr'];
    expect(found(JSON.stringify(state), secrets)).toEqual([]);
    // The ID token is not put into an address (history, server logs).
    for (const u of [...urls.requests, ...urls.addresses]) expect(found(u, [session.id_token]), u).toEqual([]);
    // The provider revoked the tokens.
    expect((await page.request.get('/idp/userinfo', { headers: { Authorization: `Bearer ${session.access_token}` } })).status()).toBe(401);

    // A reload shows a logged-out app.
    await page.reload();
    await waitForApp(page);
    const nav = page.getByRole('navigation', { name: 'Hauptnavigation' });
    await expect(nav.getByRole('link', { name: 'Anmelden' })).toBeVisible();
    await expect(page.locator('body')).not.toContainText('Erika');

    // Back through the history: no page shows the citizen's data again.
    for (let i = 0; i < 6; i++) {
      const moved = await page.goBack().catch(() => null);
      if (!moved) break;
      if (!new URL(page.url()).pathname.match(/^\/(konto|postfach|antraege)/)) continue;
      await waitForApp(page);
      await expect(page.locator('main')).not.toContainText('Erika', { timeout: 3000 });
      await expect(page.locator('main')).not.toContainText('Mustermann', { timeout: 3000 });
      await expect(page.getByRole('banner')).not.toContainText('Erika');
    }
    expect(await page.evaluate((k) => sessionStorage.getItem(k), SESSION_KEY)).toBeNull();
  });
});

test.describe('clickjacking', () => {
  let server: Server;
  let framer = '';
  test.use({ allowedConsoleErrors: [/Refused to (display|frame)|frame-ancestors|X-Frame-Options/] });

  test.beforeAll(async () => {
    // A page of another origin (another port) that frames the app and,
    // as a control, a page of its own.
    const target = `http://127.0.0.1:${process.env.E2E_PORT}`;
    server = createServer((req, res) => {
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      if (req.url === '/own') return res.end('<!doctype html><title>eigen</title><h1 id="own">Eigene Seite</h1>');
      res.end(
        `<!doctype html><title>Fremde Seite</title>` +
          `<iframe id="app" title="app" src="${target}/" width="800" height="600"></iframe>` +
          `<iframe id="idp" title="idp" src="${target}/behoerde/anmelden" width="800" height="600"></iframe>` +
          `<iframe id="own" title="own" src="/own" width="200" height="100"></iframe>`,
      );
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    framer = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  test.afterAll(async () => {
    await new Promise((ok) => server.close(ok));
  });

  test('another origin cannot frame the app or the console', async ({ page, request }) => {
    for (const path of ['/', '/konto', '/idp/.well-known/openid-configuration', '/behoerde/anmelden']) {
      const h = (await request.get(path)).headers();
      expect(h['x-frame-options'], path).toBe('DENY');
      expect(h['content-security-policy'], path).toContain("frame-ancestors 'none'");
    }
    await page.goto(framer);
    // The control frame loads, so a loaded frame would be seen.
    await expect(page.frameLocator('#own').locator('#own')).toHaveText('Eigene Seite');
    await page.waitForTimeout(1500);
    for (const id of ['app', 'idp']) {
      const content = await (await page.locator(`#${id}`).elementHandle())!.contentFrame();
      const text = content ? await content.evaluate(() => document.body?.innerText ?? '').catch(() => '') : '';
      expect(text, `#${id} shows the app`).not.toMatch(/Bürgeramt|Anmelden|Behörde/);
      // A refused frame holds the browser's error page, not our document.
      const url = content ? await content.evaluate(() => location.href).catch(() => 'unreachable') : 'none';
      expect(url, `#${id} holds our page`).not.toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${process.env.E2E_PORT}/`));
      const ours = content ? await content.locator('#inhalt, .bh-main, form[action^="/behoerde"]').count().catch(() => 0) : 0;
      expect(ours, `#${id} rendered app content`).toBe(0);
    }
  });
});
