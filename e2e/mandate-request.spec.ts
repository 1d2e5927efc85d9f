// A mandate for a child (issue #25, children and cared-for persons): Erika
// (Online-Ausweis, Level-4) proves her parental responsibility for Lena
// from /konto/vollmachten ("Vertretung nachweisen", the relay's own
// service, an ordinary application with the birth certificate); her list
// says it waits for the authority; a clerk confirms it in the console
// ("Vertretung bestätigen"); the list shows it valid until the day before
// Lena's 18th birthday; another service's start page offers "Für Lena
// Mustermann", with Lena's declared data editable and the decision going
// to Erika's own postbox. axe on each page.
import type { Page } from '@playwright/test';
import { test, expect, expectNoAxeViolations, waitForApp, eidLogin, API } from './fixtures';
import { SERVICES, applyUrl, startWithEid, next, fillDate, pdf, sendAndConfirm, consoleOrigin } from './apply-helpers';

/** The relay's own service "Vertretung nachweisen" (contract::mandate_request::LEIKA). */
const REQUEST_SERVICE = '99990001001000';

async function api(page: Page, method: 'GET' | 'POST' | 'DELETE', path: string) {
  return page.request.fetch(`/api/v1${path}`, { method, headers: API });
}

type Received = { id: string; kind: string; state: string; validUntil: string; grantor: { givenNames: string; familyName: string } };

/** Erika's received mandates for Lena, newest first. */
async function forLena(page: Page): Promise<Received[]> {
  const r = await api(page, 'GET', '/mandates');
  expect(r.status()).toBe(200);
  return ((await r.json()).received as Received[]).filter(
    (m) => m.grantor.givenNames === 'Lena' && m.grantor.familyName === 'Mustermann',
  );
}

test('Erika proves her parental responsibility for Lena; the clerk confirms it; Erika then applies for Lena', async ({ page, browser }) => {
  test.setTimeout(240_000);
  // Erika logs in with her card (the request needs Level-3 or higher).
  await startWithEid(page, SERVICES.park);

  // The mandates page explains the way and links to the request.
  await page.goto('/konto/vollmachten');
  await waitForApp(page);
  const section = page.getByRole('region', { name: 'Für ein Kind oder eine betreute Person' });
  await expect(section).toBeVisible();
  await expect(section).toContainText('Geburtsurkunde');
  await expect(section).toContainText('Bescheide dazu kommen in Ihr eigenes Postfach');
  await expect(section.getByRole('link', { name: 'Datenschutzerklärung' })).toHaveAttribute('href', '/datenschutz');
  await expectNoAxeViolations(page);
  await section.getByRole('link', { name: 'Vertretung nachweisen' }).click();
  await expect(page).toHaveURL(new RegExp(`/antrag/${REQUEST_SERVICE}\\?ort=050000000000`));
  await waitForApp(page);
  // Proving a Vertretung is done for oneself: no choice for whom.
  await expect(page.getByRole('group', { name: 'Für wen stellen Sie den Antrag?' })).toHaveCount(0);
  await expectNoAxeViolations(page);
  await page.getByRole('link', { name: /Antrag starten|Weiter ausfüllen/ }).click();

  // Her own data from the card, then Lena's as she declares it, then the proof.
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Ihre Daten');
  await expect(page.getByLabel('Ihr Vorname')).toHaveValue('Erika');
  await expectNoAxeViolations(page);
  await next(page);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Vertretene Person');
  await page.getByRole('radio', { name: 'Elterliche Sorge für ein Kind unter 18 Jahren' }).check();
  await page.getByLabel('Vorname(n) der vertretenen Person').fill('Lena');
  await page.getByLabel('Familienname der vertretenen Person').fill('Mustermann');
  await fillDate(page, 'Geburtsdatum der vertretenen Person', '12', '3', '2016');
  // The Betreuung's fields are not asked for a child.
  await expect(page.getByLabel('Aufgabenkreise')).toHaveCount(0);
  await expectNoAxeViolations(page);
  await next(page);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Nachweis');
  await page.getByLabel(/Nachweis/).setInputFiles(pdf('geburtsurkunde-lena.pdf', 'GEBURTSURKUNDE LENA MUSTERMANN'));
  await expect(page.getByText(/Ausgewählt: geburtsurkunde-lena\.pdf/)).toBeVisible();
  await next(page);
  await expectNoAxeViolations(page);
  const { submission } = await sendAndConfirm(page);

  // Pending: "Wartet auf Bestätigung durch die Behörde", until the day before the 18th birthday.
  const pending = (await forLena(page))[0];
  expect(pending, 'a mandate for Lena').toBeTruthy();
  expect(pending.kind).toBe('sorgerecht');
  expect(pending.state).toBe('pending');
  expect(pending.validUntil).toBe('2034-03-11');
  await page.goto('/konto/vollmachten');
  await waitForApp(page);
  const row = page.locator(`table[data-list="received"] tr[data-mandate="${pending.id}"]`);
  await expect(row).toContainText('Lena Mustermann');
  await expect(row).toContainText('Elterliche Sorge');
  await expect(row).toContainText('Wartet auf Bestätigung durch die Behörde');
  await expect(row.getByRole('button', { name: 'Vertretung für Lena Mustermann zurückgeben' })).toBeVisible();
  await expectNoAxeViolations(page);

  // The clerk sees the request plainly and confirms it.
  const clerkContext = await browser.newContext();
  const clerk = await clerkContext.newPage();
  await clerk.goto(`${consoleOrigin()}/behoerde/anmelden`);
  await clerk.getByLabel('Benutzername').fill('sachbearbeitung');
  await clerk.getByLabel('Passwort').fill('Amt-NRW-2026');
  await clerk.getByRole('button', { name: /Anmelden/ }).click();
  await expect(clerk).toHaveURL(/\/behoerde\/eingang/);
  await clerk.goto(`${consoleOrigin()}/behoerde/antraege/${submission}`);
  const request = clerk.getByRole('region', { name: 'Antrag auf Bestätigung einer Vertretung' });
  await expect(request).toContainText(/Lena Mustermann, geboren am 12\.03\.2016/);
  await expect(request).toContainText('Erika Mustermann');
  await expect(request.getByRole('link', { name: /geburtsurkunde-lena\.pdf/ })).toBeVisible();
  await expectNoAxeViolations(clerk);
  await clerk.getByRole('button', { name: 'Vertretung bestätigen' }).click();
  await expect.poll(async () => (await forLena(page)).find((m) => m.id === pending.id)?.state, { timeout: 30_000 }).toBe('active');
  await clerkContext.close();

  // Active, valid until 11.03.2034.
  await page.reload();
  await waitForApp(page);
  await expect(row).toHaveAttribute('data-state', 'active');
  await expect(row).toContainText('gültig');
  await expect(row).toContainText('11.03.2034');
  await expect(row).toContainText('Bescheide kommen in Ihr Postfach');
  await expectNoAxeViolations(page);

  // Another service's start page offers Lena.
  await page.goto(applyUrl(SERVICES.park));
  await waitForApp(page);
  const choice = page.getByRole('group', { name: 'Für wen stellen Sie den Antrag?' });
  await expect(choice).toBeVisible();
  await expectNoAxeViolations(page);
  await choice.getByRole('radio', { name: 'Für Lena Mustermann (elterliche Sorge, gültig bis 11.03.2034)' }).check();
  await page.getByRole('button', { name: 'Auswählen' }).click();
  await expect(page).toHaveURL(new RegExp(`fuer=${pending.id}`));
  await expect(page.getByText('Bescheide zu diesem Antrag kommen in Ihr eigenes Postfach.')).toBeVisible();
  await expectNoAxeViolations(page);
  await page.getByRole('link', { name: /Antrag starten|Weiter ausfüllen/ }).click();

  // Lena's data as Erika declared it: prefilled, marked as declared, not locked.
  await expect(page.locator('.apply-caption')).toContainText('für Lena Mustermann');
  const given = page.getByLabel('Vorname');
  await expect(given).toHaveValue('Lena');
  await expect(given).toBeEditable();
  await expect(page.getByText(/von Ihnen angegeben/).first()).toBeVisible();
  await expectNoAxeViolations(page);

  // Give it back, so that the next run starts afresh.
  expect((await api(page, 'DELETE', `/mandates/${pending.id}`)).status()).toBeLessThan(300);
});

test.describe('a request that does not fit', () => {
  // The relay's 400 for the refused request shows as a failed load.
  test.use({ allowedConsoleErrors: [/status of 400/] });

  test('a person of 18 or older is refused with a clear message; the draft stays; corrected, it is sent', async ({ page }) => {
    test.setTimeout(180_000);
    const url = (tail = '') => `/antrag/${REQUEST_SERVICE}${tail ? '/' + tail : ''}?ort=050000000000`;
    await page.goto(url());
    await waitForApp(page);
    await page.getByRole('button', { name: /Online-Ausweis|anmelden/i }).first().click();
    await eidLogin(page, 'eid-erika', '123456');
    await page.getByRole('link', { name: /Antrag starten|Weiter ausfüllen/ }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Ihre Daten');
    await next(page);
    await page.getByRole('radio', { name: 'Elterliche Sorge für ein Kind unter 18 Jahren' }).check();
    await page.getByLabel('Vorname(n) der vertretenen Person').fill('Lena');
    await page.getByLabel('Familienname der vertretenen Person').fill('Mustermann');
    await fillDate(page, 'Geburtsdatum der vertretenen Person', '12', '3', '2000');
    await next(page);
    await page.getByLabel(/Nachweis/).setInputFiles(pdf('geburtsurkunde.pdf', 'GEBURTSURKUNDE'));
    await next(page);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Angaben prüfen');
    await page.getByLabel('Ich versichere, dass meine Angaben richtig und vollständig sind.').check();
    await page.getByRole('button', { name: 'Antrag verschlüsselt senden' }).click();
    await expect(page.getByText(/Die Angaben zur vertretenen Person passen nicht/)).toBeVisible({ timeout: 30_000 });
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Angaben prüfen');
    await expectNoAxeViolations(page);

    // Nothing typed is lost: after a reload the draft still holds it.
    await page.goto(url('schritt/vertretung'));
    await waitForApp(page);
    await expect(page.getByLabel('Vorname(n) der vertretenen Person')).toHaveValue('Lena');
    // Corrected and sent again (the relay replaces the declared data of
    // the same announced submission).
    await fillDate(page, 'Geburtsdatum der vertretenen Person', '12', '3', '2016');
    await next(page);
    await next(page);
    const { submission } = await sendAndConfirm(page);
    const mine = (await forLena(page)).find((m) => m.state === 'pending');
    expect(mine, 'a pending mandate for Lena').toBeTruthy();
    expect(mine!.validUntil).toBe('2034-03-11');
    expect(submission).not.toBe('');
    expect((await api(page, 'DELETE', `/mandates/${mine!.id}`)).status()).toBeLessThan(300);
  });
});
