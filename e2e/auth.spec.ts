import { test, expect, expectNoAxeViolations, waitForApp, passwordLogin, eidLogin, tabTo, startExtraServer } from './fixtures';
import type { Page, Locator } from '@playwright/test';
import type { ChildProcess } from 'node:child_process';

// Test citizens: docs/test-citizens.md.
const ERIKA = { user: 'erika', password: 'Mustermann-2026', card: /Musterausweis/, pin: '123456' };
const JONAS = { cert: /jonas-schmidt\.pfx/, pin: 'Elster-PIN-2026' };

const SESSION_KEY = 'buergeramt.sitzung';

async function storedSession(page: Page): Promise<any | null> {
  const raw = await page.evaluate((k) => sessionStorage.getItem(k), SESSION_KEY);
  return raw ? JSON.parse(raw) : null;
}

function badge(page: Page): Locator {
  return page.getByRole('banner').locator('.trust-badge');
}

test('password login (Level-1): header, account sources, reload keeps the login, tokens only in sessionStorage', async ({ page }) => {
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

  const session = await storedSession(page);
  expect(session.level).toBe('STORK-QAA-Level-1');
  expect(session.access_token).toBeTruthy();
  const local = await page.evaluate(() => JSON.stringify(localStorage));
  expect(local).not.toContain(session.access_token);
  expect(local).not.toContain(session.refresh_token);
  expect(local).not.toContain(session.id_token);
  // No code or state left in the address bar or the pending login.
  expect(await page.evaluate(() => sessionStorage.getItem('buergeramt.anmeldung'))).toBeNull();

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
  await page.getByLabel(ERIKA.card).check();
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
  await eidLogin(page, /Leyla/, '654321');
  await expect(page).toHaveURL(/\/konto$/);
  await expect(badge(page)).toHaveText(/hoch/);
  await expect(page.locator('tr[data-attribute="documentType"]')).toContainText('Aufenthaltstitel');
  await expect(page.locator('tr[data-attribute="nationality"]')).toContainText('aus Ihrem Online-Ausweis, geprüft');
});

test('logout ends the session at the provider and clears the tab', async ({ page }) => {
  await page.goto('/konto');
  await waitForApp(page);
  await page.evaluate(() => localStorage.setItem('buergeramt.entwurf.test', 'bleibt'));
  await page.getByRole('button', { name: 'Mit BundID anmelden' }).click();
  await passwordLogin(page, ERIKA.user, ERIKA.password);
  await expect(page).toHaveURL(/\/konto$/);
  const before = await storedSession(page);
  expect(before).not.toBeNull();

  await page.getByRole('button', { name: 'Abmelden' }).click();
  await expect(page).toHaveURL(/\/$/);
  await waitForApp(page);
  const nav = page.getByRole('navigation', { name: 'Hauptnavigation' });
  await expect(nav.getByRole('link', { name: 'Anmelden' })).toBeVisible();
  await expect(page.getByRole('banner')).not.toContainText('Erika');
  expect(await page.evaluate(() => Object.keys(sessionStorage).filter((k) => k.startsWith('buergeramt.')))).toEqual([]);
  expect(await page.evaluate(() => localStorage.getItem('buergeramt.entwurf.test'))).toBe('bleibt');
  // The provider revoked the tokens.
  const res = await page.request.get('/idp/userinfo', { headers: { Authorization: `Bearer ${before.access_token}` } });
  expect(res.status()).toBe(401);
});

test('a callback without a login started here is refused', async ({ page }) => {
  await page.goto('/anmelden/rueckkehr?code=abc&state=fremd');
  await waitForApp(page);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Die Anmeldung hat nicht geklappt');
  await expect(page.getByRole('alert')).toContainText('nicht zugeordnet');
  await expect(page).toHaveTitle(/^Fehler: /);
  expect(await storedSession(page)).toBeNull();
  await expectNoAxeViolations(page);
});

test('a forged return path cannot leave the site', async ({ page }) => {
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
  await tabTo(page, page.getByLabel(ERIKA.card));
  await page.keyboard.press('Space');
  await expect(page.getByLabel(ERIKA.card)).toBeChecked();
  await tabTo(page, page.getByRole('button', { name: 'Ausweis auslesen' }));
  await page.keyboard.press('Enter');
  await tabTo(page, page.getByLabel('6-stellige PIN'));
  await page.keyboard.type(ERIKA.pin);
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/konto$/);
  await expect(badge(page)).toHaveText(/hoch/);

  await tabTo(page, page.getByRole('main').getByRole('button', { name: 'Abmelden' }), 150);
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/$/);
  await expect(nav.getByRole('link', { name: 'Anmelden' })).toBeVisible();
});

// ---------------------------------------------------------------------------
// Session end (WCAG 2.2.1) needs short sessions: a second server of our own
// with BUERGERAMT_SESSION_SECONDS=32 (warning at a quarter: 8 s before the end).

const SHORT = 32;

test.describe('short sessions', () => {
  let server: ChildProcess | undefined;
  let base = '';

  test.beforeAll(async () => {
    ({ base, server } = await startExtraServer({ BUERGERAMT_SESSION_SECONDS: String(SHORT) }));
  });

  test.afterAll(() => {
    server?.kill();
  });

  test('the warning appears, extends by button and by Escape, and expiry logs out with a clear message', async ({ page }) => {
    test.setTimeout(150_000);
    await page.goto(`${base}/konto?ansicht=kurz`);
    await waitForApp(page);
    await page.getByRole('button', { name: 'Mit BundID anmelden' }).click();
    await passwordLogin(page, ERIKA.user, ERIKA.password);
    await expect(page).toHaveURL(/\/konto\?ansicht=kurz$/);
    const first = await storedSession(page);
    expect(first.lifetime).toBeLessThanOrEqual(SHORT);

    const dialog = page.getByRole('dialog', { name: 'Ihre Sitzung endet bald' });
    await expect(dialog).toBeVisible({ timeout: SHORT * 1000 });
    await expect(dialog).toContainText(/automatisch abgemeldet/);
    const stay = dialog.getByRole('button', { name: 'Angemeldet bleiben' });
    await expect(stay).toBeFocused();
    await expectNoAxeViolations(page);
    await stay.click();
    await expect(dialog).toBeHidden();
    const second = await storedSession(page);
    expect(second.extensions).toBe(1);
    expect(second.expires_at).toBeGreaterThan(first.expires_at);
    expect(second.access_token).not.toBe(first.access_token);

    // Escape = stay logged in.
    await expect(dialog).toBeVisible({ timeout: SHORT * 1000 });
    await page.keyboard.press('Escape');
    await expect(dialog).toBeHidden();
    await expect.poll(async () => (await storedSession(page))?.extensions).toBe(2);
    await expect(page.getByRole('banner')).toContainText('Erika Mustermann');

    // Now let it run out.
    const ended = page.getByRole('dialog', { name: 'Sie wurden abgemeldet' });
    await expect(ended).toBeVisible({ timeout: (SHORT + 5) * 1000 });
    await expect(ended).toContainText('Sie wurden aus Sicherheitsgründen abgemeldet');
    await expectNoAxeViolations(page);
    expect(await storedSession(page)).toBeNull();
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
    await dialog.getByRole('button', { name: 'Abmelden' }).click();
    await expect(page).toHaveURL(`${base}/`);
    await waitForApp(page);
    expect(await storedSession(page)).toBeNull();
    await expect(page.getByRole('navigation', { name: 'Hauptnavigation' }).getByRole('link', { name: 'Anmelden' })).toBeVisible();
  });
});
