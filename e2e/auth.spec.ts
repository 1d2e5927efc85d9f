import {
  test,
  expect,
  expectNoAxeViolations,
  waitForApp,
  passwordLogin,
  eidLogin,
  tabTo,
  startExtraServer,
  sessionInfo,
  sessionCookie,
  tokensIn,
  API,
  SESSION_COOKIE,
  type ExtraServers,
} from './fixtures';
import type { Page, Locator } from '@playwright/test';

// Test citizens: docs/test-citizens.md.
const ERIKA = { user: 'erika', password: 'Mustermann-2026', card: 'eid-erika', pin: '123456' };
const JONAS = { cert: /jonas-schmidt\.pfx/, pin: 'Elster-PIN-2026' };

/** localStorage and sessionStorage of the page's origin, as one text. */
async function webStorage(page: Page): Promise<string> {
  return page.evaluate(() => JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage } }));
}

function badge(page: Page): Locator {
  return page.getByRole('banner').locator('.trust-badge');
}

test('password login (Level-1): header, account sources, reload keeps the login, the browser holds only an HttpOnly cookie', async ({ page, context }) => {
  await page.goto('/anmelden');
  await waitForApp(page);
  await expectNoAxeViolations(page);
  await page.getByRole('button', { name: 'Mit BundID anmelden' }).click();
  await expect(page).toHaveURL(/\/idp\/login\//);
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  await expectNoAxeViolations(page);
  await passwordLogin(page, ERIKA.user, ERIKA.password);

  await expect(page).toHaveURL(/\/konto$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Meine Daten');
  const banner = page.getByRole('banner');
  await expect(banner).toContainText('Erika Mustermann');
  await expect(badge(page)).toHaveText(/niedrig/);
  await expect(badge(page).locator('.kern-sr-only')).toHaveText('Vertrauensniveau: niedrig');
  const nav = page.getByRole('navigation', { name: 'Hauptnavigation' });
  await expect(nav.getByRole('link', { name: 'Konto' })).toBeVisible();
  await expect(nav.getByRole('link', { name: 'Anmelden' })).toHaveCount(0);

  const given = page.locator('tr[data-attribute="givenName"]');
  await expect(given).toContainText('Erika');
  await expect(given).toContainText('von Ihnen angegeben');
  await expect(page.locator('tr[data-attribute="postalAddress"]')).toContainText('Heidestr. 17');
  await expect(page.locator('tr[data-attribute="bPK2"]')).toContainText('von der BundID vergeben');
  await expect(page.getByText('Ihr Vertrauensniveau ist zurzeit: niedrig.')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Mit Online-Ausweis anmelden (Vertrauensniveau hoch)' })).toBeVisible();
  await expectNoAxeViolations(page);

  // The relay keeps the session; the browser has its cookie, out of
  // JavaScript's reach, and no token anywhere.
  const session = await sessionInfo(page);
  expect(session.loggedIn).toBe(true);
  expect(session.level).toBe('STORK-QAA-Level-1');
  const cookie = await sessionCookie(context);
  expect(cookie, 'the session cookie').toBeTruthy();
  expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
  expect(await page.evaluate(() => document.cookie)).not.toContain(SESSION_COOKIE);
  expect(tokensIn(await webStorage(page)), 'tokens in web storage').toEqual([]);
  // The login transaction's cookie is gone; no code or state in the address bar.
  expect((await context.cookies()).map((c) => c.name)).not.toContain('buergeramt_login');
  expect(page.url()).not.toMatch(/[?&](code|state)=/);

  await page.reload();
  await waitForApp(page);
  await expect(page.getByRole('banner')).toContainText('Erika Mustermann');
  await expect(page.locator('tr[data-attribute="givenName"]')).toContainText('Erika');
});

test('ELSTER login (Level-3): verified ELSTER attributes, badge substanziell', async ({ page }) => {
  await page.goto('/konto');
  await waitForApp(page);
  await expect(page.getByText('Sie sind nicht angemeldet.')).toBeVisible();
  await page.getByRole('button', { name: 'Mit BundID anmelden' }).click();
  await expect(page).toHaveURL(/\/idp\/login\//);
  await page.getByLabel(JONAS.cert).check();
  await page.getByLabel('PIN (Passwort) des Zertifikats').fill(JONAS.pin);
  await page.getByRole('button', { name: 'Mit ELSTER-Zertifikat anmelden' }).click();
  await expect(page).toHaveURL(/\/konto$/);
  await expect(badge(page)).toHaveText(/substanziell/);
  await expect(page.getByRole('banner')).toContainText('Jonas Schmidt');
  await expect(page.locator('tr[data-attribute="surname"]')).toContainText('aus Ihrem ELSTER-Zertifikat, geprüft');
  await expect(page.locator('tr[data-attribute="mail"]')).toContainText('von Ihnen angegeben');
  await expect(page.getByText('Sie haben sich mit Ihrem ELSTER-Zertifikat angemeldet.')).toBeVisible();
});

test('step-up from Level-1 to Level-4 returns to the same page and query with a "hoch" badge', async ({ page }) => {
  await page.goto('/anmelden?zurueck=%2Fkonto%3Fansicht%3Dalles');
  await waitForApp(page);
  await page.getByRole('button', { name: 'Mit BundID anmelden' }).click();
  await passwordLogin(page, ERIKA.user, ERIKA.password);
  await expect(page).toHaveURL(/\/konto\?ansicht=alles$/);
  await expect(badge(page)).toHaveText(/niedrig/);
  // A localStorage draft of another page survives every login step.
  await page.evaluate(() => localStorage.setItem('buergeramt.entwurf.test', '{"name":"Entwurf"}'));

  await expect(page.getByRole('heading', { name: 'Höheres Vertrauensniveau nötig' })).toBeVisible();
  await page.getByRole('button', { name: 'Mit Online-Ausweis anmelden (Vertrauensniveau hoch)' }).click();
  await expect(page).toHaveURL(/\/idp\/login\//);
  // The password form is not offered for Level-4.
  await expect(page.getByRole('button', { name: 'Mit Passwort anmelden' })).toHaveCount(0);
  await page.getByLabel('Kartennummer (Testkarte)').fill(ERIKA.card);
  await page.getByRole('button', { name: 'Ausweis auslesen' }).click();
  await expectNoAxeViolations(page);
  await page.getByLabel('6-stellige PIN').fill(ERIKA.pin);
  await page.getByRole('button', { name: 'Identifizieren' }).click();

  await expect(page).toHaveURL(/\/konto\?ansicht=alles$/);
  await expect(badge(page)).toHaveText(/hoch/);
  await expect(badge(page).locator('.kern-sr-only')).toHaveText('Vertrauensniveau: hoch');
  await expect(page.locator('tr[data-attribute="postalAddress"]')).toContainText('Heidestraße 17');
  await expect(page.locator('tr[data-attribute="postalAddress"]')).toContainText('aus Ihrem Online-Ausweis, geprüft');
  await expect(page.locator('tr[data-attribute="mail"]')).toContainText('von Ihnen angegeben');
  await expect(page.getByText('Sie haben das höchste Vertrauensniveau.')).toBeVisible();
  await expect(page.getByRole('button', { name: /Mit Online-Ausweis anmelden/ })).toHaveCount(0);
  expect(await page.evaluate(() => localStorage.getItem('buergeramt.entwurf.test'))).toBe('{"name":"Entwurf"}');
  await expectNoAxeViolations(page);
});

test('eID login (Level-4) for a citizen with a residence permit', async ({ page }) => {
  await page.goto('/konto');
  await waitForApp(page);
  await page.getByRole('button', { name: 'Mit BundID anmelden' }).click();
  await eidLogin(page, 'eid-leyla', '654321');
  await expect(page).toHaveURL(/\/konto$/);
  await expect(badge(page)).toHaveText(/hoch/);
  await expect(page.locator('tr[data-attribute="documentType"]')).toContainText('Aufenthaltstitel');
  await expect(page.locator('tr[data-attribute="nationality"]')).toContainText('aus Ihrem Online-Ausweis, geprüft');
});

test('logout ends the session at the relay and clears the tab', async ({ page, context, request }) => {
  await page.goto('/konto');
  await waitForApp(page);
  await page.evaluate(() => localStorage.setItem('buergeramt.entwurf.test', 'bleibt'));
  await page.getByRole('button', { name: 'Mit BundID anmelden' }).click();
  await passwordLogin(page, ERIKA.user, ERIKA.password);
  await expect(page).toHaveURL(/\/konto$/);
  expect((await sessionInfo(page)).loggedIn).toBe(true);
  const before = await sessionCookie(context);
  expect(before).toBeTruthy();

  await page.getByRole('button', { name: 'Abmelden', exact: true }).click();
  await expect(page).toHaveURL(/\/$/);
  await waitForApp(page);
  const nav = page.getByRole('navigation', { name: 'Hauptnavigation' });
  await expect(nav.getByRole('link', { name: 'Anmelden' })).toBeVisible();
  await expect(page.getByRole('banner')).not.toContainText('Erika');
  expect(await page.evaluate(() => Object.keys(sessionStorage).filter((k) => k.startsWith('buergeramt.')))).toEqual([]);
  expect(await page.evaluate(() => localStorage.getItem('buergeramt.entwurf.test'))).toBe('bleibt');
  expect(await sessionCookie(context), 'the cookie is cleared').toBeUndefined();
  // The session is over at the relay: the old cookie opens nothing.
  const replay = await request.get('/api/v1/session', { headers: { ...API, Cookie: `${SESSION_COOKIE}=${before!.value}` } });
  expect(await replay.json()).toEqual({ loggedIn: false });
  const postbox = await request.get('/api/v1/postbox/messages', { headers: { ...API, Cookie: `${SESSION_COOKIE}=${before!.value}` } });
  expect(postbox.status()).toBe(401);
  expect((await postbox.json()).error).toBe('login_required');
});

test('a callback without a login started here is refused', async ({ page, context }) => {
  await page.goto('/api/v1/login/callback?code=abc&state=fremd');
  await waitForApp(page);
  // The relay sends the browser back to the start page with the outcome.
  await expect(page).toHaveURL(/^http:\/\/127\.0\.0\.1:\d+\/(\?|$)/);
  await expect(page.getByRole('alert')).toContainText('nicht zugeordnet');
  expect((await sessionInfo(page)).loggedIn).toBe(false);
  expect(await sessionCookie(context)).toBeUndefined();
  await expectNoAxeViolations(page);
});

test('a callback whose state does not match the login started here is refused, back on the page the login started from', async ({ page, context }) => {
  await page.goto('/konto');
  await waitForApp(page);
  await page.getByRole('button', { name: 'Mit BundID anmelden' }).click();
  await expect(page).toHaveURL(/\/idp\/login\//);
  // Someone else's answer (a code and state of another login) arrives instead.
  const iss = `${process.env.E2E_UPSTREAM}/idp`;
  await page.goto(`/api/v1/login/callback?code=fremd&state=fremd&iss=${encodeURIComponent(iss)}`);
  await waitForApp(page);
  await expect(page).toHaveURL(/\/konto(\?|$)/);
  await expect(page.getByRole('alert')).toContainText('nicht zugeordnet');
  expect((await sessionInfo(page)).loggedIn).toBe(false);
  expect(await sessionCookie(context)).toBeUndefined();
});

test('a forged return path cannot leave the site', async ({ page, request }) => {
  // The relay itself refuses a return that is not a path of this site.
  for (const back of ['//evil.example/', 'https://evil.example/', '/api/v1/logout']) {
    const r = await request.get(`/api/v1/login?level=STORK-QAA-Level-1&return=${encodeURIComponent(back)}`, { maxRedirects: 0 });
    expect(r.status(), back).toBe(400);
    expect((await r.json()).error, back).toBe('bad_request');
  }
  await page.goto('/anmelden?zurueck=%2F%2Fevil.example%2F');
  await waitForApp(page);
  await page.getByRole('button', { name: 'Mit BundID anmelden' }).click();
  await passwordLogin(page, ERIKA.user, ERIKA.password);
  await expect(page).toHaveURL(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  await expect(page.getByRole('banner')).toContainText('Erika Mustermann');
});

test('the whole Erika flow by keyboard alone', async ({ page }) => {
  await page.goto('/');
  await waitForApp(page);
  const nav = page.getByRole('navigation', { name: 'Hauptnavigation' });
  await tabTo(page, nav.getByRole('link', { name: 'Anmelden' }));
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Anmelden');
  await tabTo(page, page.getByRole('button', { name: 'Mit BundID anmelden' }));
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/idp\/login\//);
  await tabTo(page, page.getByRole('textbox', { name: 'Benutzername' }));
  await page.keyboard.type(ERIKA.user);
  await page.keyboard.press('Tab');
  await expect(page.locator('input#password')).toBeFocused();
  await page.keyboard.type(ERIKA.password);
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/konto$/);
  await expect(badge(page)).toHaveText(/niedrig/);

  // Step-up by keyboard: the eID.
  await tabTo(page, page.getByRole('button', { name: 'Mit Online-Ausweis anmelden (Vertrauensniveau hoch)' }), 120);
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/idp\/login\//);
  await tabTo(page, page.getByLabel('Kartennummer (Testkarte)'));
  await page.keyboard.type(ERIKA.card);
  await expect(page.getByLabel('Kartennummer (Testkarte)')).toHaveValue(ERIKA.card);
  await page.keyboard.press('Enter');
  await tabTo(page, page.getByLabel('6-stellige PIN'));
  await page.keyboard.type(ERIKA.pin);
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/konto$/);
  await expect(badge(page)).toHaveText(/hoch/);

  await tabTo(page, page.getByRole('main').getByRole('button', { name: 'Abmelden', exact: true }), 150);
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/$/);
  await expect(nav.getByRole('link', { name: 'Anmelden' })).toBeVisible();
});

// ---------------------------------------------------------------------------
// Session end (WCAG 2.2.1) needs short sessions: a stand-in and relay of our
// own with BUERGERAMT_SESSION_SECONDS=32 (the relay's session lasts as long
// as the provider's login; warning at a quarter: 8 s before the end).

const SHORT = 32;

test.describe('short sessions', () => {
  let server: ExtraServers | undefined;
  let base = '';

  test.beforeAll(async () => {
    ({ base, server } = await startExtraServer({ standIn: { BUERGERAMT_SESSION_SECONDS: String(SHORT) } }));
  });

  test.afterAll(async () => {
    await server?.stopped();
  });

  test('the warning appears, extends by button and by Escape, and expiry logs out with a clear message', async ({ page }) => {
    test.setTimeout(150_000);
    await page.goto(`${base}/konto?ansicht=kurz`);
    await waitForApp(page);
    await page.getByRole('button', { name: 'Mit BundID anmelden' }).click();
    await passwordLogin(page, ERIKA.user, ERIKA.password);
    await expect(page).toHaveURL(/\/konto\?ansicht=kurz$/);
    const first = await sessionInfo(page, base);
    expect(first.loggedIn).toBe(true);
    expect(first.secondsLeft).toBeLessThanOrEqual(SHORT);

    const dialog = page.getByRole('dialog', { name: 'Ihre Sitzung endet bald' });
    await expect(dialog).toBeVisible({ timeout: SHORT * 1000 });
    await expect(dialog).toContainText(/automatisch abgemeldet/);
    const atWarning = await sessionInfo(page, base);
    const stay = dialog.getByRole('button', { name: 'Angemeldet bleiben' });
    await expect(stay).toBeFocused();
    await expectNoAxeViolations(page);
    await stay.click();
    await expect(dialog).toBeHidden();
    await expect.poll(async () => (await sessionInfo(page, base)).extensionsLeft).toBe(first.extensionsLeft - 1);
    expect((await sessionInfo(page, base)).secondsLeft).toBeGreaterThan(atWarning.secondsLeft);

    // Escape = stay logged in.
    await expect(dialog).toBeVisible({ timeout: SHORT * 1000 });
    await page.keyboard.press('Escape');
    await expect(dialog).toBeHidden();
    await expect.poll(async () => (await sessionInfo(page, base)).extensionsLeft).toBe(first.extensionsLeft - 2);
    await expect(page.getByRole('banner')).toContainText('Erika Mustermann');

    // Now let it run out.
    const ended = page.getByRole('dialog', { name: 'Sie wurden abgemeldet' });
    await expect(ended).toBeVisible({ timeout: (SHORT + 5) * 1000 });
    await expect(ended).toContainText('Sie wurden aus Sicherheitsgründen abgemeldet');
    await expectNoAxeViolations(page);
    expect((await sessionInfo(page, base)).loggedIn).toBe(false);
    await expect(page.locator('.site-nav a[href="/anmelden"]')).toHaveText('Anmelden');

    // Logging in again returns to the same page.
    await ended.getByRole('button', { name: 'Erneut anmelden' }).click();
    await passwordLogin(page, ERIKA.user, ERIKA.password);
    await expect(page).toHaveURL(/\/konto\?ansicht=kurz$/);
    await expect(page.getByRole('banner')).toContainText('Erika Mustermann');
  });

  test('"Abmelden" in the warning logs out', async ({ page }) => {
    test.setTimeout(60_000);
    await page.goto(`${base}/konto`);
    await waitForApp(page);
    await page.getByRole('button', { name: 'Mit BundID anmelden' }).click();
    await passwordLogin(page, ERIKA.user, ERIKA.password);
    const dialog = page.getByRole('dialog', { name: 'Ihre Sitzung endet bald' });
    await expect(dialog).toBeVisible({ timeout: SHORT * 1000 });
    await dialog.getByRole('button', { name: 'Abmelden', exact: true }).click();
    await expect(page).toHaveURL(`${base}/`);
    await waitForApp(page);
    expect((await sessionInfo(page, base)).loggedIn).toBe(false);
    await expect(page.getByRole('navigation', { name: 'Hauptnavigation' }).getByRole('link', { name: 'Anmelden' })).toBeVisible();
  });
});
