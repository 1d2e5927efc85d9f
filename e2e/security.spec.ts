// Issue 8, part 4 (browser): the CSP holds on every route, SRI on every
// script and stylesheet, no token or personal data left in storage, caches
// or URLs after a full journey, logout clears the session, and no other
// origin can frame the app. Issue 14 (the relay): no token ever reaches the
// browser, the session cookie is HttpOnly and renewed at every login, the
// relay refuses cross-site writes, and the strict stand-in refuses whoever
// is not the relay. What is stored where: docs/security.md.
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page, Request, Response } from '@playwright/test';
import { test, expect, waitForApp, passwordLogin, eidLogin, sessionInfo, sessionCookie, tokensIn, upstreamOrigin, API, SESSION_COOKIE } from './fixtures';
import { SERVICES, ERIKA, KOELN, applyUrl, startWithPassword, sendHundesteuer } from './apply-helpers';
import { citizenToken, senderToken } from './standin';

/** What the app may keep in localStorage: preferences only. */
const LOCAL_KEYS = new Set(['buergeramt.farbschema', 'buergeramt.sprache', 'buergeramt.ort', 'buergeramt.installhinweis']);
/** What the app may keep in sessionStorage: a token-free summary of the session, nothing else. */
const SESSION_KEYS = new Set(['buergeramt.session']);
/** The relay: the app's one origin. */
const APP = `http://127.0.0.1:${process.env.E2E_PORT}`;

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
    const ours = [`${APP}/`, `${process.env.E2E_UPSTREAM}/`, `${process.env.E2E_CONSOLE}/`];
    // Redirects (the relay's login hops) render nothing: only documents shown.
    const shown = r.status() < 300 || r.status() >= 400;
    if (r.request().resourceType() === 'document' && shown && ours.some((o) => r.url().startsWith(o))) {
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
    const idbNames: string[] = [];
    for (const info of await indexedDB.databases()) {
      if (!info.name) continue;
      idbNames.push(info.name);
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
    return { local, session, cache, idb, idbNames, cookie: document.cookie };
  });
}

/**
 * Every text body (JSON, HTML, scripts, plain text) the page receives from
 * the app's origin and from the stand-in's pages. `settled()` waits for the
 * bodies still being read.
 */
function watchBodies(page: Page) {
  const bodies: { url: string; text: string }[] = [];
  const pending: Promise<unknown>[] = [];
  let unreadable = 0;
  page.on('response', (r: Response) => {
    const url = r.url();
    if (!url.startsWith(`${APP}/`) && !url.startsWith(`${process.env.E2E_UPSTREAM}/`)) return;
    if (r.status() >= 300 && r.status() < 400) return; // redirects have no body
    const type = r.headers()['content-type'] ?? '';
    if (!/json|text\/|javascript|xml/.test(type)) return;
    pending.push(
      r.text().then(
        (text) => bodies.push({ url, text }),
        () => unreadable++,
      ),
    );
  });
  return {
    bodies,
    unreadable: () => unreadable,
    settled: () => Promise.all(pending),
  };
}

function found(text: string, secrets: string[]): string[] {
  return secrets.filter((s) => s && text.includes(s));
}

test.describe('CSP', () => {
  test.setTimeout(240_000);

  test('full journey: every route without a CSP violation; afterwards no token or personal data in storage, caches, URLs or any answer', async ({ page, context, baseURL }) => {
    const csp = await watchCsp(page);
    const urls = watchUrls(page);
    const received = watchBodies(page);

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
    // pages are watched too. Then the postbox at Level-4.
    await visit(page, '/konto');
    await page.getByRole('button', { name: 'Mit BundID anmelden' }).click();
    await expect(page).toHaveURL(/\/idp\/login\//);
    await page.getByRole('link', { name: /registrieren/i }).first().click().catch(() => undefined);
    await page.goBack();
    await eidLogin(page, ERIKA.card, ERIKA.pin);
    await expect(page).toHaveURL(/\/konto$/);
    await expect(page.getByRole('banner')).toContainText('Erika Mustermann');
    const eidSession = await sessionInfo(page);
    expect(eidSession.level).toBe('STORK-QAA-Level-4');
    // Erika's identifiers, to look for later (from the relay, as the app sees them).
    const attribute = (name: string) => eidSession.attributes.find((a: any) => a.name === name)?.value as string | undefined;
    const ids = [attribute('bPK2'), attribute('mailboxUuid')].filter((v): v is string => !!v);
    expect(ids.length, 'bPK2 and mailboxUuid among the attributes').toBe(2);
    await visit(page, '/postfach');
    await visit(page, '/konto');
    await page.getByRole('main').getByRole('button', { name: 'Abmelden', exact: true }).click();
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

    // The authority console's pages (same policy), on a site of their own
    // (the stand-in's, under another host name): the clerk's cookie never
    // reaches the app's host.
    await page.goto(`${process.env.E2E_CONSOLE}/behoerde/anmelden`);
    expect(new URL(page.url()).origin).toBe(process.env.E2E_CONSOLE);
    await page.getByLabel('Benutzername').fill('sachbearbeitung');
    await page.getByLabel('Passwort').fill('Amt-NRW-2026');
    await page.getByRole('button', { name: /Anmelden/ }).click();
    await expect(page).toHaveURL(/\/behoerde\/eingang/);
    await page.goto(`${process.env.E2E_CONSOLE}/behoerde/antraege/${submission}`);
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
      // The app's pages may talk to their own origin only.
      if (d.url.startsWith(`${APP}/`)) expect(d.csp, d.url).toMatch(/connect-src 'self'(;|$)/);
    }
    expect(csp.violations, 'CSP violations').toEqual([]);
    expect(csp.consoleReports, 'CSP reports on the console').toEqual([]);

    // --- Tokens. The relay holds them all: none in anything the page
    // received (the relay's answers, the provider's pages), none in storage.
    await received.settled();
    expect(received.bodies.length, 'answers read').toBeGreaterThan(30);
    const personalAnswers = received.bodies.filter((b) => /\/api\/v1\/(session|postbox|applications|cases|disclosures)\b/.test(b.url));
    expect(personalAnswers.length, 'personal answers among them').toBeGreaterThan(5);
    for (const b of received.bodies) {
      // The relay's attestation is a signed statement for the authority
      // (bound to one submission and its data hash), not a credential: it
      // opens nothing. It must not carry a token either.
      if (/\/api\/v1\/applications\/[0-9a-f-]{36}\/attestation$/.test(b.url)) {
        const jws = JSON.parse(b.text).attestation as string;
        const claims = Buffer.from(jws.split('.')[1], 'base64url').toString();
        expect(tokensIn(claims), `token inside the attestation`).toEqual([]);
        expect(JSON.parse(claims).dataHash.type).toBe('sha512');
        continue;
      }
      expect(tokensIn(b.text), `token in the answer of ${b.url}`).toEqual([]);
    }
    // The session cookie: HttpOnly, so the page's scripts never see it.
    const cookie = await sessionCookie(context);
    expect(cookie?.httpOnly, 'the session cookie is HttpOnly').toBe(true);

    // --- Storage after the journey. The secrets: Erika's personal data and identifiers.
    const personal = ['Erika', 'Mustermann', 'Gabler', '1964-08-12', '12.08.1964', 'Heidestr', ...ids, 'Bello-Sicherheitstest'];
    const secrets = [...personal, cookie!.value];

    const state = await browserState(page);
    expect(state.cookie, 'document.cookie').not.toContain(SESSION_COOKIE);
    expect(found(state.cookie, [cookie!.value]), 'document.cookie').toEqual([]);
    // localStorage: preferences only.
    expect(Object.keys(state.local).filter((k) => !LOCAL_KEYS.has(k)), 'unexpected localStorage keys').toEqual([]);
    for (const [k, v] of Object.entries(state.local)) {
      expect(found(v, secrets), `localStorage ${k}`).toEqual([]);
      expect(tokensIn(v), `localStorage ${k}`).toEqual([]);
    }
    // sessionStorage: at most the token-free session summary.
    expect(Object.keys(state.session).filter((k) => !SESSION_KEYS.has(k)), 'unexpected sessionStorage keys').toEqual([]);
    for (const [k, v] of Object.entries(state.session)) {
      expect(tokensIn(v), `sessionStorage ${k}`).toEqual([]);
      expect(found(v, [cookie!.value]), `sessionStorage ${k}`).toEqual([]);
    }
    // Cache Storage: every cache, every entry, URL and body; only the shell,
    // fonts, config and the public catalogue.
    expect(state.cache.length).toBeGreaterThan(0);
    for (const e of state.cache) {
      expect(found(e.url, secrets), `cached URL ${e.url}`).toEqual([]);
      expect(found(e.body, secrets), `cached body of ${e.url} (${e.cache})`).toEqual([]);
      expect(tokensIn(e.body), `cached body of ${e.url} (${e.cache})`).toEqual([]);
      expect(new URL(e.url).origin, e.url).toBe(APP);
      expect(new URL(e.url).pathname, e.url).not.toMatch(/^\/api(\/|$)(?!v1\/catalogue\/)/);
    }
    // IndexedDB: drafts and files only as ciphertext; keys not extractable; no token in names, keys or values.
    expect(tokensIn(state.idbNames.join(' ')), 'IndexedDB names').toEqual([]);
    for (const r of state.idb) {
      expect(found(r.key + r.value, secrets), `${r.db}/${r.store}/${r.key}`).toEqual([]);
      expect(tokensIn(r.store + ' ' + r.key + ' ' + r.value), `${r.db}/${r.store}/${r.key}`).toEqual([]);
      expect(r.value, `${r.db}/${r.store}`).not.toContain('CryptoKey(extractable=true)');
    }
    // URLs: what the tab showed, and every request to our origin (the
    // login callback's code and state are single-use and not secrets here).
    const origin = new URL(page.url()).origin;
    for (const u of [...urls.addresses, ...urls.requests.filter((r) => r.startsWith(origin))]) {
      expect(found(decodeURIComponent(u), secrets), u).toEqual([]);
      expect(tokensIn(decodeURIComponent(u)), u).toEqual([]);
    }
    expect(urls.addresses.filter((u) => /[?&](code|state)=/.test(u) && !u.includes('/api/v1/login/callback'))).toEqual([]);
    const historyLength = await page.evaluate(() => window.history.length);
    expect(historyLength).toBeGreaterThan(10);
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
  // The two stylesheets of the first paint; the scripts, the module and
  // Fira Sans' stylesheet are added by the inline script (below).
  expect(loaded.length).toBeGreaterThanOrEqual(2);
  // Every .js/.wasm/.css the page names (also inside the inline loader) is one of them.
  let checked = 0;
  const named = new Set([...html.matchAll(/["'(]((?:\.?\/)?[\w./-]+\.(?:js|mjs|wasm|css))["')]/g)].map((m) => new URL(m[1], res.url()).pathname));
  const covered = new Set(loaded.map((t) => new URL(t.a.src ?? t.a.href, res.url()).pathname));
  // A file that an inline script loads (routes.js on deep links) is covered
  // when that same script names the file's own hash as its integrity.
  const inline = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)]
    .filter((m) => !attrs(`<script${m[1]}>`).src) // the opening tag's own attributes, not `r.src=` in the code
    .map((m) => m[2]);
  for (const n of named) {
    if (n === '/sw.js') continue; // the service worker is registered by script, not loaded into the page
    if (covered.has(n)) continue;
    const loader = inline.find((code) => code.includes(n));
    expect(loader, `${n} is loaded without an integrity check`).toBeDefined();
    const digest = createHash('sha384').update(await (await request.get(n)).body()).digest('base64');
    expect(loader, `${n}: its loader does not set the file's own integrity`).toContain(`integrity="sha384-${digest}"`);
    checked++;
  }
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
    if (attrs(`<script${m[1]}>`).src) continue;
    const hash = createHash('sha256').update(m[2]).digest('base64');
    expect(cspHeader, `inline script not allowed by hash: ${m[2].slice(0, 60)}`).toContain(`'sha256-${hash}'`);
  }
  // The stylesheets, the two scripts, the module, routes.js and Fira Sans' stylesheet.
  expect(checked).toBeGreaterThanOrEqual(7);
  console.log(`SRI checked on ${checked} resources`);
});

test.describe('logout', () => {
  // Going back through the history reaches the provider's page of the
  // finished login, which refuses to be used again (409).
  test.use({ allowedConsoleErrors: [/status of 409 \(Conflict\)/] });

  test('logout clears the session: storage keys, reload and the back button show nothing personal', async ({ page, context, request }) => {
    await visit(page, '/konto');
    await page.getByRole('button', { name: 'Mit BundID anmelden' }).click();
    await passwordLogin(page, ERIKA.user, ERIKA.password);
    await expect(page).toHaveURL(/\/konto$/);
    await expect(page.locator('tr[data-attribute="givenName"]')).toContainText('Erika');
    const cookie = await sessionCookie(context);
    expect(cookie?.value).toBeTruthy();
    await visit(page, '/postfach');
    await visit(page, '/antraege');
    await visit(page, '/konto');
    const urls = watchUrls(page);

    await page.getByRole('main').getByRole('button', { name: 'Abmelden', exact: true }).click();
    await expect(page).toHaveURL(/\/$/);
    await waitForApp(page);
    const state = await browserState(page);
    expect(Object.keys(state.session).filter((k) => k.startsWith('buergeramt.'))).toEqual([]);
    const secrets = [cookie!.value, 'Erika', 'Mustermann', 'Heidestr'];
    expect(found(JSON.stringify(state), secrets)).toEqual([]);
    expect(tokensIn(JSON.stringify(state))).toEqual([]);
    expect(await sessionCookie(context), 'the cookie is cleared').toBeUndefined();
    // The relay ends the login at the provider server to server: no ID
    // token (or any token) is put into an address (history, server logs).
    for (const u of [...urls.requests, ...urls.addresses]) {
      expect(tokensIn(decodeURIComponent(u)), u).toEqual([]);
      expect(u, u).not.toContain('id_token_hint');
    }
    // The session is over at the relay: the old cookie opens nothing.
    const replay = await request.get('/api/v1/postbox/messages', { headers: { ...API, Cookie: `${SESSION_COOKIE}=${cookie!.value}` } });
    expect(replay.status()).toBe(401);

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
    expect(await page.evaluate(() => Object.keys(sessionStorage).filter((k) => k.startsWith('buergeramt.')))).toEqual([]);
  });
});

test.describe('the session cookie', () => {
  test('a new value at every login and step-up; a planted value is never adopted; the old one opens nothing', async ({ page, context, request }) => {
    // A value planted before the login (session fixation) …
    await context.addCookies([{ name: SESSION_COOKIE, value: 'untergeschobener-wert', url: APP }]);
    await visit(page, '/konto');
    await page.getByRole('button', { name: 'Mit BundID anmelden' }).click();
    await passwordLogin(page, ERIKA.user, ERIKA.password);
    await expect(page).toHaveURL(/\/konto$/);
    await expect(page.getByRole('banner')).toContainText('Erika Mustermann');
    const level1 = await sessionCookie(context);
    // … is replaced by the relay's own.
    expect(level1?.value).toBeTruthy();
    expect(level1!.value).not.toBe('untergeschobener-wert');
    expect(level1).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
    expect((await sessionInfo(page)).level).toBe('STORK-QAA-Level-1');

    // Step-up to Level-4 (the same call at a higher level): a new session.
    await page.getByRole('button', { name: 'Mit Online-Ausweis anmelden (Vertrauensniveau hoch)' }).click();
    await eidLogin(page, ERIKA.card, ERIKA.pin);
    await expect(page).toHaveURL(/\/konto$/);
    await expect(page.getByRole('banner').locator('.trust-badge')).toHaveText(/hoch/);
    const level4 = await sessionCookie(context);
    expect(level4?.value).toBeTruthy();
    expect(level4!.value, 'the cookie changes at the step-up').not.toBe(level1!.value);
    expect((await sessionInfo(page)).level).toBe('STORK-QAA-Level-4');

    // The Level-1 session ended with the step-up: its cookie opens nothing.
    const old = await request.get('/api/v1/session', { headers: { ...API, Cookie: `${SESSION_COOKIE}=${level1!.value}` } });
    expect((await old.json()).loggedIn).toBe(false);
    const current = await request.get('/api/v1/session', { headers: { ...API, Cookie: `${SESSION_COOKIE}=${level4!.value}` } });
    expect((await current.json()).level).toBe('STORK-QAA-Level-4');
    expect(await page.evaluate(() => document.cookie)).not.toContain(level4!.value);
  });
});

test.describe('cross-site writes', () => {
  // The refused form post is a navigation to a 403 answer.
  // The refusal is a 403; the browser then asks the relay for /favicon.ico (404).
  test.use({ allowedConsoleErrors: [/status of 403 \(Forbidden\)|status of 404 \(Not Found\)/] });

  test('the relay refuses state-changing calls from another site or without its header (403 cross_site)', async ({ request }) => {
    const crossSite = await request.post('/api/v1/logout', {
      headers: { ...API, Origin: 'http://evil.example', 'Sec-Fetch-Site': 'cross-site' },
    });
    expect(crossSite.status()).toBe(403);
    expect((await crossSite.json()).error).toBe('cross_site');
    // Another origin alone, or another site alone, is enough to refuse.
    const alone: Record<string, string>[] = [{ Origin: 'http://evil.example' }, { 'Sec-Fetch-Site': 'same-site' }];
    for (const headers of alone) {
      const r = await request.post('/api/v1/logout', { headers: { ...API, ...headers } });
      expect(r.status(), JSON.stringify(headers)).toBe(403);
      expect((await r.json()).error, JSON.stringify(headers)).toBe('cross_site');
    }
    // Without the Buergeramt-Api header (what a cross-site form sends).
    const noHeader = await request.post('/api/v1/logout', { form: { a: '1' } });
    expect(noHeader.status()).toBe(403);
    expect((await noHeader.json()).error).toBe('cross_site');
    // The control: the app's own call is accepted.
    const own = await request.post('/api/v1/logout', { headers: { ...API, Origin: APP, 'Sec-Fetch-Site': 'same-origin' } });
    expect(own.status()).toBe(200);
  });

  test('a cross-site form in the browser cannot log the citizen out', async ({ page, context }) => {
    await visit(page, '/konto');
    await page.getByRole('button', { name: 'Mit BundID anmelden' }).click();
    await passwordLogin(page, ERIKA.user, ERIKA.password);
    await expect(page).toHaveURL(/\/konto$/);
    const before = await sessionCookie(context);
    // Another site's page posts a form to the relay (the browser adds Origin and Sec-Fetch-Site).
    const server = createServer((_req, res) => {
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      res.end(
        `<!doctype html><title>Fremde Seite</title><form id="f" method="post" action="${APP}/api/v1/logout"><button>Los</button></form>`,
      );
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    try {
      // `localhost` is another site than the app's `127.0.0.1`.
      await page.goto(`http://localhost:${(server.address() as AddressInfo).port}/`);
      const answer = page.waitForResponse((r) => r.url() === `${APP}/api/v1/logout`);
      await page.locator('#f button').click();
      expect((await answer).status()).toBe(403);
    } finally {
      await new Promise((ok) => server.close(ok));
    }
    expect((await sessionCookie(context))?.value).toBe(before!.value);
    await visit(page, '/konto');
    await expect(page.getByRole('banner')).toContainText('Erika Mustermann');
  });
});

test.describe('the stand-in behind the relay', () => {
  test('its PVOG and ZBP answer the relay only: not without a token, not a citizen, not a token for another purpose', async () => {
    const up = upstreamOrigin();
    const locations = `${up}/pvog/v2/locations?q=${encodeURIComponent('Köln')}`;
    const messages = `${up}/zbp/v1/messages`;
    const call = (url: string, token?: string) => fetch(url, { headers: token ? { Authorization: `Bearer ${token}` } : {} });

    // Nobody.
    expect((await call(locations)).status).toBe(401);
    expect((await call(messages)).status).toBe(401);
    // A made-up token.
    expect((await call(locations, 'erfunden')).status).toBe(401);
    expect((await call(messages, 'erfunden')).status).toBe(401);
    // A citizen with a real token of their own (what the app held before the relay).
    const citizen = await citizenToken('max.beispiel', 'Beispiel-Basis-1');
    expect((await call(locations, citizen)).status).toBe(401);
    expect((await call(messages, citizen)).status).toBe(401);
    // The Onlinedienst, but with a token for FIT-Connect only.
    const sendOnly = await senderToken('fitconnect:send');
    expect((await call(locations, sendOnly)).status).toBe(403);
    expect([401, 403]).toContain((await call(messages, sendOnly)).status);
    // The control: the right service token reads the catalogue.
    const read = await call(locations, await senderToken('pvog:read'));
    expect(read.status).toBe(200);
    expect(JSON.stringify(await read.json())).toContain('Köln');
  });

  test('the relay ignores a bearer token from the browser', async ({ request }) => {
    const citizen = await citizenToken('max.beispiel', 'Beispiel-Basis-1');
    const headers = { ...API, Authorization: `Bearer ${citizen}` };
    expect(await (await request.get('/api/v1/session', { headers })).json()).toEqual({ loggedIn: false });
    const postbox = await request.get('/api/v1/postbox/messages', { headers });
    expect(postbox.status()).toBe(401);
    expect((await postbox.json()).error).toBe('login_required');
  });
});

test.describe('clickjacking', () => {
  let server: Server;
  let framer = '';
  test.use({ allowedConsoleErrors: [/Refused to (display|frame)|frame-ancestors|X-Frame-Options/] });

  test.beforeAll(async () => {
    // A page of another origin (another port) that frames the app and,
    // as a control, a page of its own.
    const target = APP;
    server = createServer((req, res) => {
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      if (req.url === '/own') return res.end('<!doctype html><title>eigen</title><h1 id="own">Eigene Seite</h1>');
      res.end(
        `<!doctype html><title>Fremde Seite</title>` +
          `<iframe id="app" title="app" src="${target}/" width="800" height="600"></iframe>` +
          `<iframe id="idp" title="idp" src="${process.env.E2E_CONSOLE}/behoerde/anmelden" width="800" height="600"></iframe>` +
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
    for (const path of [
      `${APP}/`,
      `${APP}/konto`,
      `${process.env.E2E_UPSTREAM}/idp/.well-known/openid-configuration`,
      `${process.env.E2E_CONSOLE}/behoerde/anmelden`,
    ]) {
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
      for (const ours of [APP, process.env.E2E_CONSOLE!]) expect(url, `#${id} holds our page`).not.toContain(`${ours}/`);
      const ours = content ? await content.locator('#inhalt, .bh-main, form[action^="/behoerde"]').count().catch(() => 0) : 0;
      expect(ours, `#${id} rendered app content`).toBe(0);
    }
  });
});
