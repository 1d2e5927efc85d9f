// Issue 6: the whole loop. A citizen applies, the authority decides through
// the console's JSON API, the citizen reads the decision in the postbox.
import { readFileSync } from 'node:fs';
import type { APIRequestContext, Page } from '@playwright/test';
import { test, expect, expectNoAxeViolations, passwordLogin, eidLogin, waitForApp, API } from './fixtures';
import { SERVICES, ERIKA, startWithPassword, startWithEid, next, sendAndConfirm, sendHundesteuer, consoleOrigin } from './apply-helpers';

const CLERK = { username: 'sachbearbeitung', password: 'Amt-NRW-2026' };

/** The clerk's JSON API, as the tests use it. */
async function clerkApi(request: APIRequestContext) {
  const login = await request.post(`${consoleOrigin()}/behoerde/api/login`, { data: CLERK });
  expect(login.status()).toBe(200);
  const { token } = await login.json();
  const headers = { Authorization: `Bearer ${token}` };
  const act = async (submission: string, action: string, data?: object) => {
    // The authority's subscriber receives a submission after the submit was
    // answered: until then the console does not know it.
    const detail = `${consoleOrigin()}/behoerde/api/submissions/${submission}`;
    await expect.poll(async () => (await request.get(detail, { headers })).status()).toBe(200);
    const r = await request.post(`${consoleOrigin()}/behoerde/api/submissions/${submission}/${action}`, { headers, data });
    expect(r.status(), `${action}: ${await r.text()}`).toBe(200);
    return r.json();
  };
  return { act };
}

/** The relay's unread count: unread items, an application's status messages counted once. */
async function unreadItems(page: Page): Promise<number> {
  const r = await page.request.get('/api/v1/postbox/messages/unread-count', { headers: API });
  expect(r.status()).toBe(200);
  return (await r.json()).unread;
}

/** "Postfach (N ungelesen)" in the header navigation. */
function postboxLink(page: Page) {
  return page.getByRole('navigation', { name: 'Hauptnavigation' }).getByRole('link', { name: /^Postfach/ });
}

const DECISION =
  'Sehr geehrte Frau Mustermann,\n\nIhr Hund Bello ist ab dem 01.03.2025 zur Hundesteuer angemeldet.\n' +
  '<b>fett</b><script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">';

test('Hundesteuer: applied, accepted and decided; one item per application, badge, decision, PDF, deadline, unread, delete with undo, trash and restore', async ({ page, request }) => {
  // 1. The citizen applies through the form.
  await startWithPassword(page, SERVICES.hund);
  const start = await unreadItems(page);
  await page.getByRole('link', { name: 'Antrag starten' }).click();
  const { reference, submission } = await sendHundesteuer(page, 'Bello');
  expect(submission).toMatch(/[0-9a-f-]{36}/);

  // Before the authority acts: the submission's own status message is
  // unread. (Other specs may have left messages in Erika's postbox, so
  // counts are relative and the list is narrowed to this application.)
  await expect.poll(() => unreadItems(page)).toBe(start + 1);
  await page.goto('/postfach');
  await waitForApp(page);
  await expect(postboxLink(page).locator('.kern-badge')).toBeVisible();
  const before = Number(await postboxLink(page).locator('.kern-badge').innerText());
  expect(before).toBe(start + 1);
  await expect(postboxLink(page)).toHaveAccessibleName(`Postfach (${before} ungelesen)`);

  // 2. The authority accepts and starts processing: three status messages
  // at the ZBP, one item (and one unread) in the postbox.
  const clerk = await clerkApi(request);
  await clerk.act(submission, 'accept');
  await clerk.act(submission, 'processing');
  expect(await unreadItems(page)).toBe(before);
  await page.goto(`/postfach?q=${reference}`);
  await waitForApp(page);
  const items = page.locator('.postbox-item');
  await expect(page.getByRole('status').filter({ hasText: /^1 Nachricht$/ })).toBeVisible();
  await expect(items).toHaveCount(1);
  await expect(items.first()).toContainText('Hundesteuer anmelden: In Bearbeitung');
  await expect(items.first()).toContainText('2 frühere Statusmeldungen zu diesem Antrag');
  await expect(items.first()).toContainText('Ungelesen');
  await expect(postboxLink(page)).toHaveAccessibleName(`Postfach (${before} ungelesen)`);
  await expectNoAxeViolations(page);

  // The decision: a message of its own (its status COMPLETED makes none).
  const decided = await clerk.act(submission, 'decide', { decision: DECISION });
  expect(decided.applicationStatus).toBe('COMPLETED');

  // 3. The badge follows on focus (and every minute while visible).
  await page.evaluate(() => window.dispatchEvent(new Event('focus')));
  await expect(postboxLink(page)).toHaveAccessibleName(`Postfach (${before + 1} ungelesen)`);
  await expect(postboxLink(page).locator('.kern-badge')).toHaveText(String(before + 1));

  // The list of this application's messages: newest first, the decision on
  // top, the status messages folded below it, unread marked in text.
  await page.goto(`/postfach?q=${reference}`);
  await waitForApp(page);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Postfach');
  await expect(page.getByRole('status').filter({ hasText: '2 Nachrichten' })).toBeVisible();
  await expect(items).toHaveCount(2);
  await expect(items.nth(1)).toContainText('2 frühere Statusmeldungen zu diesem Antrag');
  await expect(items.first()).toContainText('Bescheid');
  await expect(items.first()).toContainText('Ungelesen');
  await expect(items.first()).toContainText(/Zugestellt am \d\d\.\d\d\.\d{4}, \d\d:\d\d Uhr/);
  await expectNoAxeViolations(page);

  // Filters live in the URL.
  await page.getByRole('radio', { name: 'Bescheide' }).check();
  await expect(page).toHaveURL(/anzeigen=bescheide/);
  await expect(items).toHaveCount(1);
  await page.getByRole('radio', { name: 'Statusmeldungen' }).check();
  await expect(items).toHaveCount(1);
  await page.reload();
  await waitForApp(page);
  await expect(page.getByLabel('Nachrichten durchsuchen')).toHaveValue(reference);
  await expect(page.getByRole('radio', { name: 'Statusmeldungen' })).toBeChecked();
  await expect(items).toHaveCount(1);
  await expect(items.first()).toContainText('2 frühere Statusmeldungen zu diesem Antrag');
  await page.getByLabel('Nachrichten durchsuchen').fill('kein-treffer-xyz');
  await expect(page).toHaveURL(/q=kein-treffer-xyz/);
  await expect(page.getByText('Keine Nachricht passt zu Ihrer Auswahl.')).toBeVisible();
  await expectNoAxeViolations(page);
  await page.getByRole('button', { name: 'Alle Nachrichten anzeigen' }).click();
  await expect(page).toHaveURL(/\/postfach$/);
  await expect(page.getByRole('radio', { name: 'Alle' })).toBeChecked();
  await page.getByLabel('Nachrichten durchsuchen').fill(reference);
  await expect(page).toHaveURL(new RegExp(`q=${reference}`));
  await expect(items).toHaveCount(2);
  await page.getByRole('radio', { name: 'Ungelesen' }).check();
  await expect(page).toHaveURL(/anzeigen=ungelesen/);
  await expect(items).toHaveCount(2);

  // 4. Open the decision.
  await items.first().getByRole('link').click();
  await expect(page).toHaveURL(/\/postfach\/[0-9a-f-]{36}$/);
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Bescheid');
  const deadline = page.getByRole('heading', { name: /^Widerspruch möglich bis \d\d\.\d\d\.\d{4}$/ });
  await expect(deadline).toBeVisible();
  await expect(page.getByText('Zugestellt am', { exact: true })).toBeVisible();
  await expect(page.getByText('Geöffnet am', { exact: true })).toBeVisible();
  const opened = page.locator('.postbox-meta dd').filter({ hasText: /^\d\d\.\d\d\.\d{4}, \d\d:\d\d Uhr$/ });
  await expect(opened).toHaveCount(2);
  // The authority's text as text: markup shown literally, never run.
  await expect(page.locator('.postbox-text')).toContainText('Ihr Hund Bello ist ab dem 01.03.2025');
  await expect(page.locator('.postbox-text')).toContainText('<b>fett</b><script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">');
  await expect(page.locator('.postbox-text b, .postbox-text script, .postbox-text img')).toHaveCount(0);
  expect(await page.evaluate(() => (window as any).__pwned)).toBeUndefined();
  await expect(page.getByRole('link', { name: 'Zum Antrag in „Meine Anträge“' })).toHaveAttribute('href', `/antraege#antrag-${submission}`);
  await expect(postboxLink(page)).toHaveAccessibleName(`Postfach (${before} ungelesen)`);
  await expectNoAxeViolations(page);

  // The attachment's button is as wide as its name, not an icon-only
  // square with the file name one letter per line.
  const file = page.getByRole('button', { name: /Bescheid-.*\.pdf \(\d+,\d KB\)/ });
  expect((await file.boundingBox())!.width).toBeGreaterThan(150);
  expect((await file.boundingBox())!.height).toBeLessThan(120);

  // The PDF downloads as a file.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: /Bescheid-.*\.pdf \(\d+,\d KB\)/ }).click(),
  ]);
  expect(download.suggestedFilename()).toMatch(/^Bescheid-.*\.pdf$/);
  const path = await download.path();
  expect(readFileSync(path!).subarray(0, 5).toString('latin1')).toBe('%PDF-');

  // Mark unread: the badge follows.
  // The button changes its words and keeps the focus (not `body`).
  await page.getByRole('button', { name: 'Als ungelesen markieren' }).click();
  await expect(page.getByText('Die Nachricht ist als ungelesen markiert.')).toBeVisible();
  await expect(postboxLink(page)).toHaveAccessibleName(`Postfach (${before + 1} ungelesen)`);
  await expect(page.getByRole('button', { name: 'Als gelesen markieren' })).toBeFocused();
  await page.getByRole('button', { name: 'Als gelesen markieren' }).click();
  await expect(postboxLink(page)).toHaveAccessibleName(`Postfach (${before} ungelesen)`);
  await expect(page.getByRole('button', { name: 'Als ungelesen markieren' })).toBeFocused();

  // Delete, undo, delete again.
  await page.getByRole('button', { name: 'Löschen' }).click();
  const deleted = page.locator('#postfach-geloescht');
  await expect(deleted).toContainText('Die Nachricht liegt jetzt im Papierkorb.');
  await expect(deleted).toBeFocused();
  await expectNoAxeViolations(page);
  await page.getByRole('button', { name: 'Rückgängig' }).click();
  await expect(page.getByText('Die Nachricht ist wieder in Ihrem Postfach.')).toBeVisible();
  await expect(deadline).toBeVisible();
  await page.getByRole('button', { name: 'Löschen' }).click();
  await expect(deleted).toBeFocused();
  await deleted.getByRole('link', { name: 'Zurück zum Postfach' }).click();
  await expect(page).toHaveURL(/\/postfach$/);
  await page.getByLabel('Nachrichten durchsuchen').fill(reference);
  await expect(page).toHaveURL(new RegExp(`q=${reference}`));
  await expect(items).toHaveCount(1);

  // The trash, and restore from it.
  await page.getByRole('link', { name: 'Papierkorb öffnen' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Papierkorb');
  await expect(items).toHaveCount(1);
  await expect(items.first()).toContainText(/Gelöscht am \d\d\.\d\d\.\d{4}\. Wird am \d\d\.\d\d\.\d{4} endgültig gelöscht\./);
  await expectNoAxeViolations(page);
  await items.first().getByRole('button', { name: /^Wiederherstellen/ }).click();
  await expect(page.getByText(/ist wieder in Ihrem Postfach/)).toBeVisible();
  await expect(page.getByText('Der Papierkorb ist leer.')).toBeVisible();
  await expectNoAxeViolations(page);
  await page.getByRole('link', { name: 'Zurück zum Postfach' }).click();
  await page.getByLabel('Nachrichten durchsuchen').fill(reference);
  await expect(page).toHaveURL(new RegExp(`q=${reference}`));
  await expect(items).toHaveCount(2);
  await expectNoAxeViolations(page);

  // 5. The folded status item: opening it reads all three status messages
  // (the badge drops by one), and lists the earlier two as links.
  await items.nth(1).getByRole('link').click();
  await expect(page).toHaveURL(/\/postfach\/[0-9a-f-]{36}$/);
  const statusUrl = page.url();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Hundesteuer anmelden: In Bearbeitung');
  await expect(page.getByRole('heading', { level: 1 })).toBeFocused();
  const earlier = page.getByRole('region', { name: 'Frühere Statusmeldungen zu diesem Antrag' });
  await expect(earlier.getByRole('link')).toHaveCount(2);
  const dated = /, zugestellt am \d\d\.\d\d\.\d{4}, \d\d:\d\d Uhr$/;
  await expect(earlier.getByRole('link').nth(0)).toHaveAccessibleName(new RegExp(`^Hundesteuer anmelden: Eingang bestätigt${dated.source}`));
  await expect(earlier.getByRole('link').nth(1)).toHaveAccessibleName(new RegExp(`^Hundesteuer anmelden: Eingereicht${dated.source}`));
  // (No number at zero.)
  await expect(postboxLink(page)).toHaveAccessibleName(before > 1 ? `Postfach (${before - 1} ungelesen)` : 'Postfach');
  expect(await unreadItems(page)).toBe(before - 1);
  await expectNoAxeViolations(page);
  // Each earlier one opens on its own; the heading takes the focus.
  await earlier.getByRole('link', { name: /^Hundesteuer anmelden: Eingereicht/ }).click();
  await expect(page).toHaveURL(/\/postfach\/[0-9a-f-]{36}$/);
  expect(page.url()).not.toBe(statusUrl);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Hundesteuer anmelden: Eingereicht');
  await expect(page.getByRole('heading', { level: 1 })).toBeFocused();
  await expect(page.locator('.postbox-text')).toContainText('verschlüsselt');
  await expect(page.getByRole('region', { name: 'Frühere Statusmeldungen zu diesem Antrag' })).toHaveCount(0);
  await expectNoAxeViolations(page);

  // 6. The application's timeline is complete, and lists its messages.
  await page.goto('/antraege');
  const card = page.locator('article', { has: page.locator(`#antrag-${submission}`) });
  await expect(card).toContainText('Abgeschlossen – aktueller Stand');
  await expect(card.getByRole('link').filter({ hasText: /Bescheid|Abgeschlossen/ }).first()).toBeVisible();
  await expectNoAxeViolations(page);
});

test.describe('level lock', () => {
  // The locked message answers 403 by design; the browser logs that.
  test.use({ allowedConsoleErrors: [/status of 403 \(Forbidden\)/] });

  test('a Level-4 decision is locked for a Level-1 session and opens after step-up, back on the same message', async ({ page, request, browser, baseURL }) => {
    // Erika applies for a Führungszeugnis with her Online-Ausweis (another browser).
    const other = await browser.newContext({ baseURL, locale: 'de-DE', timezoneId: 'Europe/Berlin' });
    const eid = await other.newPage();
    await startWithEid(eid, SERVICES.fz);
    await eid.getByRole('link', { name: 'Antrag starten' }).click();
    await next(eid);
    await eid.getByRole('radio', { name: 'Führungszeugnis', exact: true }).check();
    await next(eid);
    // Voluntary work: no fee (the fee step is e2e/payment.spec.ts's).
    await eid.getByRole('radio', { name: 'Ehrenamtliche Tätigkeit' }).check();
    await next(eid);
    const { submission } = await sendAndConfirm(eid);
    await other.close();

    const clerk = await clerkApi(request);
    await clerk.act(submission, 'accept');
    await clerk.act(submission, 'decide', { decision: 'Das Führungszeugnis wird Ihnen zugeschickt.' });

    // Not logged in: the postbox asks for a login (not for a "higher" level).
    await page.goto('/postfach?anzeigen=bescheide');
    await waitForApp(page);
    await expect(page.getByRole('heading', { name: 'Anmeldung nötig' })).toBeVisible();
    await expect(page.getByRole('heading', { name: 'Höheres Vertrauensniveau nötig' })).toHaveCount(0);
    // The postbox holds no entries of the citizen: no promise to keep them.
    await expect(page.getByText(/Ihre Eingaben bleiben erhalten/)).toHaveCount(0);
    await expectNoAxeViolations(page);
    await page.getByRole('button', { name: 'Anmelden', exact: true }).click();
    await passwordLogin(page, ERIKA.user, ERIKA.password);
    await expect(page).toHaveURL(/\/postfach\?anzeigen=bescheide$/);
    const locked = page.locator('.postbox-item').filter({ hasText: 'Gesperrt' });
    await expect(locked).toHaveCount(1);
    await expect(locked).toContainText('Zum Öffnen brauchen Sie das Vertrauensniveau hoch.');
    await expectNoAxeViolations(page);
    await locked.getByRole('link').click();
    // The message page is a lazily loaded route: the URL changes once its code is there.
    await expect(page).toHaveURL(/\/postfach\/[0-9a-f-]{36}$/);
    const url = page.url();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Gesperrte Nachricht');
    await expect(page.getByRole('heading', { name: 'Diese Nachricht ist gesperrt' })).toBeVisible();
    await expect(page.getByText('Das Führungszeugnis wird Ihnen zugeschickt.')).toHaveCount(0);
    await expectNoAxeViolations(page);

    // Step-up with the Online-Ausweis returns to this very message.
    await page.getByRole('button', { name: 'Mit Online-Ausweis anmelden (Vertrauensniveau hoch)' }).click();
    await eidLogin(page, ERIKA.card, ERIKA.pin);
    await expect(page).toHaveURL(url);
    await expect(page.getByRole('heading', { level: 1 })).toContainText('Bescheid');
    await expect(page.locator('.postbox-text')).toContainText('Das Führungszeugnis wird Ihnen zugeschickt.');
    await expect(page.getByRole('heading', { name: /^Widerspruch möglich bis / })).toBeVisible();
    await expectNoAxeViolations(page);
  });
});
