import { readFileSync } from 'node:fs';
import type { Page } from '@playwright/test';
import { test, expect, expectNoAxeViolations, waitForApp, eidLogin, tabTo, sessionInfo, API } from './fixtures';

// "Meine Daten" on /konto (issue #18): what the relay stores about the
// citizen, downloaded as JSON and deleted. Leyla Yılmaz (docs/test-citizens.md)
// is used by no other spec's applications, so deleting her data takes
// nothing from them.
const LEYLA = { card: 'eid-leyla', pin: '654321' };
const HUND = '99089005001000';
const HILDEN = '051580016016';

async function loginOnAccount(page: Page) {
  await page.goto('/konto');
  await waitForApp(page);
  await page.getByRole('button', { name: 'Mit BundID anmelden' }).click();
  await eidLogin(page, LEYLA.card, LEYLA.pin);
  await expect(page).toHaveURL(/\/konto$/);
  await expect(page.getByRole('heading', { level: 2, name: 'Ihre Daten bei Bürgeramt' })).toBeVisible();
}

/** Announces Hundesteuer in Hilden through the relay, as the app does: a record in "Meine Anträge". */
async function announce(page: Page, key: string): Promise<string> {
  const routes = await page.request.get(`/api/v1/submission/routes?leikaKey=${HUND}&ars=${HILDEN}`, { headers: API });
  expect(routes.status()).toBe(200);
  const destinationId = (await routes.json()).routes[0].destinationId;
  const r = await page.request.post(`/api/v1/applications?ars=${HILDEN}`, {
    headers: { ...API, 'Idempotency-Key': key, 'Content-Type': 'application/json' },
    data: {
      destinationId,
      announcedAttachments: [],
      serviceType: { name: 'Hundesteuer anmelden', identifier: `urn:de:fim:leika:leistung:${HUND}` },
    },
  });
  expect(r.status(), await r.text()).toBe(201);
  return (await r.json()).submissionId;
}

test('the retention periods are stated and the export downloads the citizen’s data as JSON', async ({ page }) => {
  await loginOnAccount(page);
  const submission = await announce(page, `privacy-export-${Date.now()}`);
  const section = page.locator('section[aria-labelledby="konto-meine-daten"]');
  await expect(section).toContainText('2 Jahre nach dem letzten Versand im Vorgang');
  await expect(section).toContainText('30 Tage nach dem Beginn');
  await expect(section).toContainText('1 Jahr nach dem Absenden des Antrags');
  await expect(section).toContainText('Ein begonnener Anmeldevorgang: 15 Minuten.');
  await expectNoAxeViolations(page);

  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Daten herunterladen (JSON)' }).click(),
  ]);
  expect(download.suggestedFilename()).toMatch(/^buergeramt-daten-\d{4}-\d{2}-\d{2}\.json$/);
  const path = await download.path();
  const doc = JSON.parse(readFileSync(path!, 'utf8'));
  expect(doc.applications.map((a: any) => a.submissionId)).toContain(submission);
  expect(doc.sessions.some((s: any) => s.current && s.level === 'STORK-QAA-Level-4')).toBe(true);
  expect(doc.sessions[0].attributes.some((a: any) => a.value === 'Yılmaz')).toBe(true);
  expect(doc.elsewhere.map((e: any) => e.what)).toEqual(['postbox', 'applications', 'account', 'drafts']);
  expect(JSON.stringify(doc)).not.toMatch(/eyJ[\w-]+\.[\w-]+\./);
  await expect(page.getByRole('status').filter({ hasText: 'wurde heruntergeladen' })).toContainText(
    download.suggestedFilename(),
  );

  // The relay's answer itself: a download, never cached.
  const r = await page.request.get('/api/v1/account/export', { headers: API });
  expect(r.status()).toBe(200);
  expect(r.headers()['content-disposition']).toMatch(/^attachment; filename="buergeramt-daten-\d{4}-\d{2}-\d{2}\.json"$/);
  expect(r.headers()['cache-control']).toBe('no-store');
});

test('all data deleted with the keyboard alone: confirmed in a dialog, logged out on every device', async ({ page, browser, baseURL }) => {
  await loginOnAccount(page);
  await announce(page, `privacy-delete-${Date.now()}`);
  // The same citizen on another device.
  const other = await browser.newContext({ baseURL, locale: 'de-DE', timezoneId: 'Europe/Berlin' });
  const phone = await other.newPage();
  await loginOnAccount(phone);
  expect((await sessionInfo(phone)).loggedIn).toBe(true);

  const opener = page.getByRole('button', { name: 'Alle Daten löschen' });
  const dialog = page.getByRole('dialog', { name: 'Wirklich alle Daten löschen?' });
  const cancel = dialog.getByRole('button', { name: 'Abbrechen' });
  const confirm = dialog.getByRole('button', { name: 'Ja, alle Daten löschen' });

  // Opened, it starts on the harmless choice; Escape closes it and goes
  // back to the button, nothing deleted.
  await tabTo(page, opener);
  await page.keyboard.press('Enter');
  await expect(dialog).toBeVisible();
  await expect(cancel).toBeFocused();
  await expect(dialog).toContainText('auch von Anträgen, die noch bearbeitet werden');
  await expect(dialog).toContainText('Die Behörde bearbeitet sie weiter');
  await expectNoAxeViolations(page);
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(opener).toBeFocused();
  expect((await sessionInfo(page)).loggedIn).toBe(true);

  // "Abbrechen" by keyboard: the same.
  await page.keyboard.press('Enter');
  await expect(cancel).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(dialog).toBeHidden();
  await expect(opener).toBeFocused();

  // Confirmed.
  await page.keyboard.press('Enter');
  await expect(cancel).toBeFocused();
  await page.keyboard.press('Shift+Tab');
  await expect(confirm).toBeFocused();
  await page.keyboard.press('Enter');

  const notice = page.locator('#daten-geloescht');
  await expect(notice).toContainText('Ihre Daten wurden gelöscht');
  await expect(notice).toContainText('Sie sind auf allen Geräten abgemeldet');
  await expect(notice).toContainText(/Anträge: [1-9]\d*,/);
  await expect(notice).toBeFocused();
  await expect(page.getByRole('button', { name: 'Mit BundID anmelden' })).toBeVisible();
  await expectNoAxeViolations(page);

  expect((await sessionInfo(page)).loggedIn).toBe(false);
  expect((await sessionInfo(phone)).loggedIn).toBe(false);
  const list = await phone.request.get('/api/v1/applications', { headers: API });
  expect(list.status()).toBe(401);
  await other.close();

  // Logged in again, nothing of before is left.
  await page.getByRole('button', { name: 'Mit BundID anmelden' }).click();
  await eidLogin(page, LEYLA.card, LEYLA.pin);
  await expect(page).toHaveURL(/\/konto$/);
  const after = await page.request.get('/api/v1/account/export', { headers: API });
  const doc = await after.json();
  expect(doc.applications).toEqual([]);
  expect(doc.sessions).toHaveLength(1);
});
