import { test, expect, expectNoAxeViolations, waitForApp } from './fixtures';

const SITE = 'Bürgeramt NRW';

// Every route of the shell with its heading.
const routes: { path: string; h1: string }[] = [
  { path: '/', h1: 'Was möchten Sie erledigen?' },
  { path: '/suche', h1: 'Leistungen finden' },
  { path: '/antraege', h1: 'Meine Anträge' },
  { path: '/postfach', h1: 'Postfach' },
  { path: '/anmelden', h1: 'Anmelden' },
  { path: '/hilfe', h1: 'Hilfe und häufige Fragen' },
  { path: '/glossar', h1: 'Glossar' },
  { path: '/leichte-sprache', h1: 'Leichte Sprache' },
  { path: '/gebaerdensprache', h1: 'Gebärdensprache' },
  { path: '/barrierefreiheit', h1: 'Erklärung zur Barrierefreiheit' },
  { path: '/datenschutz', h1: 'Datenschutzerklärung' },
  { path: '/impressum', h1: 'Impressum' },
  { path: '/diese-seite-gibt-es-nicht', h1: 'Seite nicht gefunden' },
];

for (const { path, h1 } of routes) {
  test(`route ${path}: heading, title, landmarks, axe`, async ({ page }) => {
    await page.goto(path);
    await waitForApp(page);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(h1);
    await expect(page.locator('h1')).toHaveCount(1);
    await expect(page).toHaveTitle(`${h1} – ${SITE}`);
    await expect(page.getByRole('banner')).toBeVisible();
    await expect(page.getByRole('main')).toBeVisible();
    await expect(page.getByRole('contentinfo')).toBeVisible();
    await expect(page.getByRole('navigation', { name: 'Hauptnavigation' })).toBeVisible();
    await expectNoAxeViolations(page);
  });
}

test('every route at 320 px: nothing runs out sideways (WCAG 1.4.10)', async ({ page }) => {
  await page.setViewportSize({ width: 320, height: 640 });
  const wide: string[] = [];
  for (const { path, h1 } of routes) {
    await page.goto(path);
    await waitForApp(page);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(h1);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    if (width > 320) wide.push(`${path}: ${width} px`);
  }
  expect(wide).toEqual([]);
});

test('navigation moves focus to the new h1 and changes the title', async ({ page }) => {
  await page.goto('/');
  await waitForApp(page);
  await page.getByRole('navigation', { name: 'Service und Rechtliches' }).getByRole('link', { name: 'Glossar' }).click();
  const h1 = page.getByRole('heading', { level: 1 });
  await expect(h1).toHaveText('Glossar');
  await expect(h1).toBeFocused();
  await expect(page).toHaveTitle(`Glossar – ${SITE}`);
  await expect(page).toHaveURL(/\/glossar$/);

  // The browser's back button returns to the start page, focus follows.
  await page.goBack();
  await expect(h1).toHaveText('Was möchten Sie erledigen?');
  await expect(h1).toBeFocused();
});

test('the skip link is the first tab stop and jumps to the main content', async ({ page }) => {
  await page.goto('/hilfe');
  await waitForApp(page);
  await page.keyboard.press('Tab');
  const skip = page.getByRole('link', { name: 'Zum Inhalt springen' });
  await expect(skip).toBeFocused();
  await expect(skip).toBeVisible();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('main')).toBeFocused();
  // The next Tab lands inside main, not back in the header.
  await page.keyboard.press('Tab');
  const inMain = await page.evaluate(() => !!document.activeElement?.closest('main'));
  expect(inMain).toBe(true);
});

test('the whole site can be reached by keyboard alone', async ({ page }) => {
  await page.goto('/');
  await waitForApp(page);
  // Tab to the "Postfach" link in the header and follow it with Enter.
  for (let i = 0; i < 15; i++) {
    await page.keyboard.press('Tab');
    const name = await page.evaluate(() => document.activeElement?.textContent?.trim());
    if (name === 'Postfach') break;
  }
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Postfach');
  await expect(page.getByRole('heading', { level: 1 })).toBeFocused();
});

test('the language switch changes texts and <html lang> and keeps the page', async ({ page }) => {
  await page.goto('/glossar');
  await waitForApp(page);
  await page.getByRole('button', { name: 'English' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Glossary');
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await expect(page).toHaveURL(/\/glossar$/);
  await expect(page).toHaveTitle(`Glossary – ${SITE}`);
  await expectNoAxeViolations(page);
  await page.getByRole('button', { name: 'Deutsch' }).click();
  await expect(page.locator('html')).toHaveAttribute('lang', 'de');
});

test('security headers: CSP without unsafe-inline scripts, no framing', async ({ request }) => {
  const res = await request.get('/');
  expect(res.status()).toBe(200);
  const csp = res.headers()['content-security-policy'];
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toMatch(/script-src 'self' 'wasm-unsafe-eval' 'sha256-/);
  expect(csp).not.toContain('unsafe-inline');
  // The app talks to its own origin only (the relay).
  expect(csp).toMatch(/connect-src 'self'(;|$)/);
  expect(csp).toMatch(/form-action 'self'(;|$)/);
  expect(res.headers()['x-content-type-options']).toBe('nosniff');
  expect(res.headers()['referrer-policy']).toBe('no-referrer');
});

test('the CSP is enforced without violations on load', async ({ page }) => {
  const violations: string[] = [];
  await page.exposeFunction('reportCsp', (v: string) => violations.push(v));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) =>
      // @ts-expect-error exposed above
      window.reportCsp(`${e.violatedDirective} ${e.blockedURI}`),
    );
  });
  await page.goto('/');
  await waitForApp(page);
  await page.goto('/hilfe');
  await waitForApp(page);
  expect(violations).toEqual([]);
});

test('hashed assets are compressed and cached for a year, index.html is revalidated', async ({ request }) => {
  const index = await request.get('/');
  expect(index.headers()['cache-control']).toBe('no-cache');
  const html = await index.text();
  // The wasm bundle lives in one content-hashed directory (scripts/wasm-bundle.sh).
  const wasm = html.match(/href="(\/app-[0-9a-f]{16}\/buergeramt_bg\.wasm)"/)?.[1];
  expect(wasm).toBeTruthy();
  const chunk = wasm!.replace('buergeramt_bg.wasm', 'split_help.wasm');
  for (const path of [wasm!, chunk]) {
    const res = await request.get(path, { headers: { 'Accept-Encoding': 'br' } });
    expect(res.status()).toBe(200);
    expect(res.headers()['content-encoding']).toBe('br');
    expect(res.headers()['cache-control']).toContain('immutable');
    expect(res.headers()['content-type']).toBe('application/wasm');
  }
});

test('config.json and healthz answer JSON; unknown API paths get JSON errors', async ({ request }) => {
  // The app's configuration names no upstream and no secret: one origin, one API version.
  const cfg = await (await request.get('/config.json')).json();
  expect(cfg).toEqual({ apiVersion: 1, sampleData: true });
  const health = await (await request.get('/healthz')).json();
  expect(health.status).toBe('ok');
  expect(health.apiVersion).toBe(1);
  const nf = await request.get('/api/v1/gibt-es-nicht');
  expect(nf.status()).toBe(404);
  expect((await nf.json()).error).toBe('not_found');
  expect(nf.headers()['cache-control']).toBe('no-store');
  // Another API version: the app is told to reload.
  const old = await request.get('/api/v2/catalogue/lebenslagen');
  expect(old.status()).toBe(409);
  expect((await old.json()).error).toBe('api_version');
  // The upstreams' paths are not the relay's: no app page, no upstream answer.
  for (const path of ['/pvog/v2/locations?q=K%C3%B6ln', '/zbp/v1/messages', '/fitconnect/v1/submissions', '/idp/userinfo']) {
    const r = await request.get(path);
    expect(r.headers()['content-type'] ?? '', path).not.toContain('application/json');
  }
});
