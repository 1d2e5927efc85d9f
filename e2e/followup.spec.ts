// Issue 17: the authority asks for something, the citizen answers in the
// same FIT-Connect case, encrypted, and the case goes on to its Bescheid.
import type { APIRequestContext, Page } from '@playwright/test';
import { test, expect, expectNoAxeViolations, waitForApp, API } from './fixtures';
import { SERVICES, startWithPassword, sendHundesteuer, consoleOrigin, authorityView, authorityFile, pdf, storedBytes } from './apply-helpers';

const CLERK = { username: 'sachbearbeitung', password: 'Amt-NRW-2026' };

async function clerkApi(request: APIRequestContext) {
  const login = await request.post(`${consoleOrigin()}/behoerde/api/login`, { data: CLERK });
  expect(login.status()).toBe(200);
  const headers = { Authorization: `Bearer ${(await login.json()).token}` };
  const detail = (submission: string) => `${consoleOrigin()}/behoerde/api/submissions/${submission}`;
  const act = async (submission: string, action: string, data?: object, status = 200) => {
    await expect.poll(async () => (await request.get(detail(submission), { headers })).status()).toBe(200);
    const r = await request.post(`${detail(submission)}/${action}`, { headers, data });
    expect(r.status(), `${action}: ${await r.text()}`).toBe(status);
    return r.json();
  };
  const view = async (submission: string) => (await request.get(detail(submission), { headers })).json();
  return { act, view };
}

/** A day in Germany, `YYYY-MM-DD`, `days` from today. */
function germanDay(days: number): string {
  const d = new Date(Date.now() + days * 86_400_000);
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Berlin' }).format(d);
}

function germanDate(iso: string): string {
  const [y, m, d] = iso.split('-');
  return `${d}.${m}.${y}`;
}

/** The application's card on Meine Anträge. */
async function card(page: Page, reference: string) {
  await page.goto('/antraege');
  await waitForApp(page);
  const c = page.locator('article.application').filter({ hasText: reference });
  await expect(c).toHaveCount(1, { timeout: 20_000 });
  return c;
}

const ASK = 'Bitte reichen Sie den Nachweis der Haftpflichtversicherung für Ihren Hund nach.';
const ANSWER = 'Anbei der Nachweis der Versicherung Kennwort-Zebra-4711.';
const DOC = 'Nachweis der Haftpflichtversicherung';

test('the authority asks for a missing certificate with a deadline; the citizen answers with text and a PDF in the same case; fulfilled, In Bearbeitung, Bescheid', async ({ page, request }) => {
  test.setTimeout(240_000);
  // 1. An application, accepted and in progress.
  await startWithPassword(page, SERVICES.hund);
  await page.getByRole('link', { name: 'Antrag starten' }).click();
  const { reference, submission } = await sendHundesteuer(page, 'Rex');
  const clerk = await clerkApi(request);
  await clerk.act(submission, 'accept');
  await clerk.act(submission, 'processing');

  // 2. The clerk asks, with a deadline, for one document (PDF, at most 2 MiB).
  const deadline = germanDay(7);
  await clerk.act(submission, 'request-action', {
    message: ASK,
    deadline,
    documents: [DOC],
    accept: ['application/pdf'],
    maxBytes: 2 * 1024 * 1024,
  });

  // 3. Meine Anträge: "Handlung nötig" with what, by when, which document.
  let c = await card(page, reference);
  const panel = c.locator('.followup__request');
  await expect(panel.getByRole('heading', { name: /Handlung nötig/ })).toBeVisible();
  await expect(panel).toContainText(ASK);
  await expect(panel).toContainText(`Antwort bis ${germanDate(deadline)}.`);
  await expect(panel).toContainText('Noch 7 Tage.');
  await expect(panel).toContainText(`${DOC}: Erlaubt: PDF, höchstens 2 MB.`);
  // The expected decision and the contact, labelled as sample data.
  await expect(c.locator('[data-expected]')).toContainText('Voraussichtliche Entscheidung bis');
  await expect(c.locator('.followup__contact')).toContainText('Beispieldaten');
  await expectNoAxeViolations(page);

  // 4. The postbox says it too, and offers the answer.
  await page.goto(`/postfach?q=${reference}`);
  await waitForApp(page);
  const item = page.locator('.postbox-item').first();
  await expect(item).toContainText('Handlung nötig');
  await item.getByRole('link').first().click();
  const request2 = page.locator('.followup__request');
  await expect(request2.getByRole('heading', { level: 2, name: /Handlung nötig/ })).toBeVisible();
  await expectNoAxeViolations(page);
  await request2.getByRole('link', { name: /Jetzt antworten/ }).click();

  // 5. The answer page.
  await expect(page).toHaveURL(new RegExp(`/antwort/${submission}$`));
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Der Behörde antworten');
  await expect(page.getByText(ASK)).toBeVisible();
  const slot = page.getByLabel(DOC);
  await expect(slot).toHaveAccessibleDescription(/Erlaubt: PDF, höchstens 2 MB/);
  await expectNoAxeViolations(page);

  // Sending nothing: the error summary takes the focus and links to the field.
  await page.getByRole('button', { name: 'Antwort verschlüsselt senden' }).click();
  const summary = page.locator('.error-summary');
  await expect(summary).toBeFocused();
  await expect(summary.getByRole('link', { name: /Schreiben Sie eine Nachricht/ })).toHaveAttribute('href', '#antwort-text');
  await expect(page.getByLabel('Ihre Nachricht an die Behörde')).toHaveAttribute('aria-invalid', 'true');

  // A wrong type and an oversize file are refused at once; nothing is kept.
  await slot.setInputFiles({ name: 'foto.png', mimeType: 'image/png', buffer: Buffer.from('not really a png') });
  await expect(slot).toHaveAttribute('aria-invalid', 'true');
  await expect(slot).toHaveAccessibleDescription(/Diese Dateiart geht nicht/);
  const big = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(2 * 1024 * 1024 + 10, 0x20)]);
  await slot.setInputFiles({ name: 'gross.pdf', mimeType: 'application/pdf', buffer: big });
  await expect(slot).toHaveAccessibleDescription(/Die Datei ist zu groß/);
  await expect(page.locator('.apply-file__chosen')).toHaveCount(0);

  // Text and a fitting PDF; both survive a reload (an encrypted draft).
  await page.getByLabel('Ihre Nachricht an die Behörde').fill(ANSWER);
  const file = pdf('versicherung.pdf', 'Versicherungsnachweis-Giraffe-0815');
  await slot.setInputFiles(file);
  await expect(page.locator('[data-slot="unterlage-0"] .apply-file__chosen')).toContainText('versicherung.pdf');
  await expect(page.locator('.reply-save')).toContainText('gespeichert');
  await page.reload();
  await waitForApp(page);
  await expect(page.getByLabel('Ihre Nachricht an die Behörde')).toHaveValue(ANSWER);
  await expect(page.locator('[data-slot="unterlage-0"] .apply-file__chosen')).toContainText('versicherung.pdf');

  // "Weitere Unterlage hinzufügen" adds a slot and moves the focus there.
  await page.getByRole('button', { name: 'Weitere Unterlage hinzufügen' }).click();
  await expect(page.getByLabel('Weitere Unterlage 1')).toBeFocused();
  await page.getByRole('button', { name: /Weitere Unterlage 1: Feld entfernen/ }).click();
  await expect(page.getByLabel('Weitere Unterlage 1')).toHaveCount(0);

  // 6. Send: encrypted, in the same case.
  await page.getByRole('button', { name: 'Antwort verschlüsselt senden' }).click();
  const done = page.getByRole('heading', { name: 'Ihre Antwort ist gesendet' });
  await expect(done).toBeVisible({ timeout: 60_000 });
  await expect(done).toBeFocused();
  await expect(page.locator('.reply-sent')).toContainText(reference);

  // 7. Neither the relay nor the Zustelldienst holds it in plain text.
  const disk = storedBytes();
  for (const secret of ['Kennwort-Zebra-4711', 'Versicherungsnachweis-Giraffe-0815']) {
    expect(disk.includes(Buffer.from(secret)), `${secret} stored in plain text`).toBe(false);
  }

  // 8. The console shows it decrypted inside the case, with the file.
  await expect.poll(async () => (await clerk.view(submission)).followUps?.length ?? 0, { timeout: 30_000 }).toBe(1);
  const seen = await clerk.view(submission);
  const fu = seen.followUps[0];
  expect(fu.late).toBe(false);
  expect(JSON.stringify(fu)).toContain(ANSWER);
  expect(fu.attachments).toHaveLength(1);
  expect(fu.attachments[0].filename).toBe('versicherung.pdf');
  const bytes = await authorityFile(page, fu.submissionId, fu.attachments[0].attachmentId);
  expect(bytes.equals(file.buffer)).toBe(true);
  const app = await authorityView(page, submission);
  expect(app.caseId).toBeTruthy();

  // 9. The answer arrived: the request is closed, the answer is listed.
  c = await card(page, reference);
  await expect(c.locator('.followup__request')).toHaveCount(0);
  await expect(c.locator('[data-follow-up]')).toHaveCount(1);
  await expect(c.locator('[data-follow-up]')).toHaveAttribute('data-state', 'confirmed', { timeout: 20_000 });

  // 10. The clerk marks it fulfilled: back to In Bearbeitung; then the Bescheid.
  await clerk.act(submission, 'fulfilled');
  c = await card(page, reference);
  await expect(c.locator('[data-step="InProgress"]')).toHaveAttribute('aria-current', 'step');
  await clerk.act(submission, 'decide', { decision: 'Ihr Hund Rex ist zur Hundesteuer angemeldet.' });
  await page.goto(`/postfach?q=${reference}`);
  await waitForApp(page);
  await expect(page.locator('.postbox-item').filter({ hasText: 'Bescheid' })).toHaveCount(1);
  // The case's log holds both submissions; the timeline is the application's.
  const events = await page.request.get(`/api/v1/cases/${app.caseId}/events`, { headers: API });
  expect(events.status()).toBe(200);
});

test('an answer page without an open request says so; an unknown application is not found', async ({ page }) => {
  await startWithPassword(page, SERVICES.hund);
  await page.getByRole('link', { name: 'Antrag starten' }).click();
  const { submission } = await sendHundesteuer(page, 'Struppi');
  await page.goto(`/antwort/${submission}`);
  await waitForApp(page);
  await expect(page.getByRole('heading', { name: 'Die Behörde erwartet zurzeit nichts von Ihnen' })).toBeVisible();
  await expectNoAxeViolations(page);
  await page.goto('/antwort/00000000-0000-4000-8000-000000000000');
  await waitForApp(page);
  await expect(page.getByText('Diesen Antrag gibt es in Ihrem Konto nicht.')).toBeVisible();
});

test.describe('a broken connection', () => {
  // The browser logs the upload that was cut off.
  test.use({ allowedConsoleErrors: [/ERR_CONNECTION_RESET/] });

test('a broken upload is resumed: the second send skips the file FIT-Connect holds, and the case gets one answer', async ({ page, request }) => {
  test.setTimeout(180_000);
  await startWithPassword(page, SERVICES.hund);
  await page.getByRole('link', { name: 'Antrag starten' }).click();
  const { submission } = await sendHundesteuer(page, 'Bruno');
  const clerk = await clerkApi(request);
  await clerk.act(submission, 'accept');
  await clerk.act(submission, 'request-action', {
    message: 'Bitte senden Sie Impfpass und Chipnachweis.',
    documents: ['Impfpass', 'Chipnachweis'],
  });

  await page.goto(`/antwort/${submission}`);
  await waitForApp(page);
  await page.getByLabel('Impfpass').setInputFiles(pdf('impfpass.pdf', 'Impfpass-Bruno'));
  await expect(page.locator('[data-slot="unterlage-0"] .apply-file__chosen')).toBeVisible();
  await page.getByLabel('Chipnachweis').setInputFiles(pdf('chip.pdf', 'Chip-Bruno'));
  await expect(page.locator('[data-slot="unterlage-1"] .apply-file__chosen')).toBeVisible();

  // The second file's upload breaks off once.
  const puts = new Map<string, number>();
  let broken = false;
  await page.route('**/api/v1/applications/*/attachments/*', async (route) => {
    const url = route.request().url();
    puts.set(url, (puts.get(url) ?? 0) + 1);
    if (puts.size === 2 && !broken) {
      broken = true;
      await route.abort('connectionreset');
      return;
    }
    await route.continue();
  });
  await page.getByRole('button', { name: 'Antwort verschlüsselt senden' }).click();
  const failure = page.locator('.reply-failure');
  await expect(failure).toBeFocused({ timeout: 60_000 });
  await expect(failure).toContainText('Ihre Eingaben bleiben erhalten');

  // Again: the first file is not sent twice, the second is.
  await page.getByRole('button', { name: 'Erneut senden' }).click();
  await expect(page.getByRole('heading', { name: 'Ihre Antwort ist gesendet' })).toBeFocused({ timeout: 60_000 });
  expect([...puts.values()].sort()).toEqual([1, 2]);

  await expect.poll(async () => (await clerk.view(submission)).followUps?.length ?? 0, { timeout: 30_000 }).toBe(1);
  const fu = (await clerk.view(submission)).followUps[0];
  expect(fu.attachments.map((a: any) => a.filename).sort()).toEqual(['chip.pdf', 'impfpass.pdf']);
});
});
