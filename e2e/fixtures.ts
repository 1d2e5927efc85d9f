import { test as base, expect, type Page, type Locator, type BrowserContext } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * `test` with a `page` that fails the test on any console error or uncaught
 * exception (a wasm panic logs one). Tests that provoke an error on purpose
 * list the expected texts with `test.use({ allowedConsoleErrors: [...] })`.
 */
export const test = base.extend<{ allowedConsoleErrors: RegExp[] }>({
  allowedConsoleErrors: [[], { option: true }],
  page: async ({ page, allowedConsoleErrors }, use) => {
    // index.html paints a static shell (header, the start page's heading)
    // before the wasm runs; after goto/reload wait until the app replaced
    // it, so tests act on the app, not on its static stand-in. A test that
    // asks for `waitUntil: 'commit'` wants the page before that.
    for (const name of ['goto', 'reload'] as const) {
      const original = (page[name] as (...a: unknown[]) => Promise<unknown>).bind(page);
      (page as unknown as Record<string, unknown>)[name] = async (...args: unknown[]) => {
        const response = await original(...args);
        const options = args.find((a) => typeof a === 'object' && a !== null) as { waitUntil?: string } | undefined;
        if (options?.waitUntil !== 'commit' && (await page.locator('#static-shell').count()) > 0) {
          await page.locator('#static-shell').waitFor({ state: 'detached', timeout: 20_000 });
        }
        return response;
      };
    }
    const errors: string[] = [];
    page.on('console', (msg) => {
      if (msg.type() === 'error') errors.push(msg.text());
    });
    page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
    await use(page);
    const unexpected = errors.filter((e) => !allowedConsoleErrors.some((re) => re.test(e)));
    expect(unexpected, 'console errors during the test').toEqual([]);
  },
});

export { expect };

/**
 * axe with the WCAG 2.0/2.1/2.2 A/AA rules; 0 violations allowed. Also what
 * axe does not check: `aria-current` only in the header's and footer's
 * navigation, `"page"` only on a link to exactly this page (a "Zurück" link
 * whose path is a prefix of this one is not the current page).
 */
export async function expectNoAxeViolations(page: Page) {
  const result = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'])
    .analyze();
  const summary = result.violations.map(
    (v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(' | ')}`,
  );
  expect(summary, 'axe violations').toEqual([]);
  expect(await misplacedAriaCurrent(page), 'aria-current on links that are not where the citizen is').toEqual([]);
}

/** Links whose `aria-current` does not say where the citizen is (see above). */
export async function misplacedAriaCurrent(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll('a[aria-current]')]
      .filter((el) => {
        const a = el as HTMLAnchorElement;
        if (!a.closest('header nav, footer nav, a.site-header__brand')) return true;
        if (a.getAttribute('aria-current') !== 'page') return false;
        return new URL(a.href).pathname.replace(/\/$/, '') !== location.pathname.replace(/\/$/, '');
      })
      .map((a) => `${(a.textContent ?? '').trim()} → ${a.getAttribute('href')} (${a.getAttribute('aria-current')})`),
  );
}

/** Waits until the app (not index.html's static shell) has rendered a page heading. */
export async function waitForApp(page: Page) {
  await expect(page.locator('#static-shell')).toHaveCount(0, { timeout: 20_000 });
  await expect(page.locator('main h1')).toBeVisible();
}

/** Fills the stand-in's password login (the browser is on its login page). */
export async function passwordLogin(page: Page, user: string, password: string) {
  await expect(page).toHaveURL(/\/idp\/login\//);
  await page.getByRole('textbox', { name: 'Benutzername' }).fill(user);
  await page.locator('input#password').fill(password);
  await page.getByRole('button', { name: 'Mit Passwort anmelden' }).click();
}

/** Types a test card's number (docs/test-citizens.md) and its PIN on the stand-in's eID pages. */
export async function eidLogin(page: Page, card: string, pin: string) {
  await expect(page).toHaveURL(/\/idp\/login\//);
  await page.getByLabel('Kartennummer (Testkarte)').fill(card);
  await page.getByRole('button', { name: 'Ausweis auslesen' }).click();
  await page.getByLabel('6-stellige PIN').fill(pin);
  await page.getByRole('button', { name: 'Identifizieren' }).click();
}

/** Presses Tab until `target` has focus (keyboard-only journeys). */
export async function tabTo(page: Page, target: Locator, max = 60) {
  for (let i = 0; i < max; i++) {
    if (await target.evaluate((el) => el === document.activeElement).catch(() => false)) return;
    await page.keyboard.press('Tab');
  }
  await expect(target).toBeFocused();
}

/** The header every call of the app to the relay carries (docs/relay.md). */
export const API = { 'Buergeramt-Api': '1' } as const;
/** The relay's session cookie (`__Host-buergeramt` only over https). */
export const SESSION_COOKIE = 'buergeramt_session';

/** The stand-in's origin (playwright.config.ts): PVOG, IdP, FIT-Connect, ZBP. */
export function upstreamOrigin(): string {
  const origin = process.env.E2E_UPSTREAM;
  if (!origin) throw new Error('E2E_UPSTREAM is not set (playwright.config.ts sets it)');
  return origin;
}

/** What the relay says about the browser's session (`GET /api/v1/session`, no activity). */
export async function sessionInfo(page: Page, origin?: string): Promise<any> {
  const r = await page.request.get(`${origin ?? ''}/api/v1/session`, { headers: API });
  expect(r.status(), 'GET /api/v1/session').toBe(200);
  return r.json();
}

/** The value of the relay's session cookie in `context`, if any. */
export async function sessionCookie(context: BrowserContext, origin?: string) {
  const cookies = await context.cookies(origin ?? `http://127.0.0.1:${process.env.E2E_PORT}`);
  return cookies.find((c) => c.name === SESSION_COOKIE);
}

/**
 * Token-like values (compact JWS, `eyJ….….…`) in `text`. Two kinds of
 * compact JOSE are not tokens and are left out: JWEs (a header with `enc`:
 * ciphertext only the authority can read) and FIT-Connect's signed
 * status events (`typ: secevent+jwt`: the case's public event log).
 */
export function tokensIn(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/eyJ[\w-]+\.[\w-]+\.[\w-]*/g)) {
    let header: any = null;
    try {
      header = JSON.parse(Buffer.from(m[0].split('.')[0], 'base64url').toString('utf8'));
    } catch {
      // not JOSE after all; still token-shaped, so it counts
    }
    if (header && typeof header === 'object' && ('enc' in header || header.typ === 'secevent+jwt')) continue;
    out.push(m[0].length > 60 ? `${m[0].slice(0, 60)}…` : m[0]);
  }
  return out;
}

function freePort(): string {
  return execFileSync(process.execPath, [
    '-e',
    "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{process.stdout.write(String(s.address().port));s.close()})",
  ])
    .toString()
    .replace(/[^0-9]/g, '');
}

async function healthy(url: string, server: ChildProcess, log: () => string, what: string) {
  let last = '';
  // Up to 90 s (an upper bound: it returns as soon as the server answers).
  // A debug stand-in makes its RSA-4096 keys and loads the whole catalogue
  // at start; on a busy 2-core machine that took more than 20 s.
  for (let i = 0; i < 900; i++) {
    if (server.exitCode !== null) break;
    try {
      const r = await fetch(url);
      if (r.ok) return;
      last = `status ${r.status}`;
    } catch (e: any) {
      last = String(e?.cause?.code ?? e?.message ?? e);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not start (${last}): ${log()}`);
}

function spawnLogged(binary: string, env: Record<string, string>, what: string) {
  const server = spawn(`${process.env.CARGO_TARGET_DIR ?? 'target'}/debug/${binary}`, [], {
    env: { ...process.env, RUST_LOG: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  server.stderr?.on('data', (d) => (log += d.toString()));
  server.on('exit', (code, signal) => {
    if (code !== 0 && signal !== 'SIGTERM') console.log(`${what} exited: ${code} ${signal} ${log.slice(-2000)}`);
  });
  return { server, log: () => log };
}

/** A stand-in and its relay of our own; `kill()` ends both, `stopped()` waits for that. */
export class ExtraServers {
  constructor(
    readonly standIn: ChildProcess,
    readonly relay: ChildProcess,
  ) {}

  kill() {
    this.relay.kill();
    this.standIn.kill();
  }

  /** Ends both and resolves once both have exited (their ports are free again). */
  async stopped(): Promise<void> {
    const gone = (p: ChildProcess) =>
      p.exitCode !== null || p.signalCode !== null ? Promise.resolve() : new Promise((ok) => p.once('exit', ok));
    const both = Promise.all([gone(this.relay), gone(this.standIn)]);
    this.kill();
    await both;
  }
}

/**
 * A second pair of servers of our own (free ports, fresh data): a strict
 * stand-in with extra environment (`standIn`, e.g. short sessions) and a
 * relay against it (`relay`, e.g. another `RELAY_DIST`). `port` pins the
 * relay's port (to restart it on the same origin). `base` is the relay's
 * origin, the app's. Stop it in `afterAll`.
 */
export async function startExtraServer(
  opts: { standIn?: Record<string, string>; relay?: Record<string, string>; port?: string } = {},
): Promise<{ base: string; upstream: string; server: ExtraServers }> {
  const relayPort = opts.port ?? freePort();
  let upstreamPort = freePort();
  while (upstreamPort === relayPort) upstreamPort = freePort();
  const base = `http://127.0.0.1:${relayPort}`;
  const upstream = `http://127.0.0.1:${upstreamPort}`;
  const data = mkdtempSync(join(tmpdir(), 'buergeramt-e2e-extra-'));
  const s = spawnLogged(
    'buergeramt-backends',
    {
      PORT: upstreamPort,
      BUERGERAMT_DATA: data,
      BUERGERAMT_DIST: 'dist',
      BUERGERAMT_STRICT_UPSTREAMS: '1',
      BUERGERAMT_RELAY_URL: base,
      BUERGERAMT_CONSOLE_URL: `http://localhost:${upstreamPort}`,
      ...opts.standIn,
    },
    'extra stand-in',
  );
  try {
    await healthy(`${upstream}/healthz`, s.server, s.log, 'extra stand-in');
  } catch (e) {
    s.server.kill();
    throw e;
  }
  const r = spawnLogged(
    'buergeramt-relay',
    {
      PORT: relayPort,
      RELAY_UPSTREAM: upstream,
      RELAY_DIST: 'dist',
      RELAY_DATA: join(data, 'relay'),
      ...opts.relay,
    },
    'extra relay',
  );
  const server = new ExtraServers(s.server, r.server);
  try {
    await healthy(`${base}/healthz`, r.server, r.log, 'extra relay');
  } catch (e) {
    server.kill();
    throw e;
  }
  return { base, upstream, server };
}
