import { test, expect, expectNoAxeViolations, tabTo } from './fixtures';
import type { Page } from '@playwright/test';
import { applyUrl, authorityView, next, ownSubmissions, SERVICES, startWithEid } from './apply-helpers';

// Paying the Führungszeugnis's fee in the journey (issue #23): the fee step
// after "Angaben prüfen", the provider's pay page (the stand-in's, shaped
// after ePayBL/XBezahldienste), and back. The relay verifies every payment
// with the provider server to server; the return URL's `status` proves
// nothing. The authority sees the payment in the relay's attestation and in
// FIT-Connect's `paymentInformation`.

// The pay page answers a form with errors with 422 (the page with the
// errors), which the browser logs.
test.use({ allowedConsoleErrors: [/status of 422/] });

/** From the service page to the fee step: Erika (Online-Ausweis), private purpose (13,00 €). */
async function toFeeStep(page: Page) {
  await startWithEid(page, SERVICES.fz);
  await page.getByRole('link', { name: /Antrag starten|Weiter ausfüllen/ }).click();
  await next(page);
  await page.getByRole('radio', { name: 'Führungszeugnis', exact: true }).check();
  await next(page);
  await page.getByRole('radio', { name: 'Private Zwecke' }).check();
  await next(page);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Angaben prüfen');
  await page.getByLabel('Ich versichere, dass meine Angaben richtig und vollständig sind.').check();
  await page.getByRole('button', { name: 'Weiter zur Bezahlung' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Gebühr bezahlen');
  await expect(page.locator('.apply-fee__amount')).toHaveText('13,00 €');
}

/** "Jetzt bezahlen" (or "Erneut bezahlen"): on to the provider's pay page. */
async function toPayPage(page: Page, button: 'Jetzt bezahlen' | 'Erneut bezahlen' = 'Jetzt bezahlen'): Promise<string> {
  const started = page.waitForResponse(
    (r) => r.request().method() === 'POST' && /\/api\/v1\/applications\/[^/]+\/payment$/.test(r.url()),
  );
  await page.getByRole('button', { name: button }).click();
  const answer = await started;
  expect(answer.status()).toBe(200);
  await page.waitForURL(/\/payment\/pay\/[^/?]+/);
  await expect(page.getByRole('heading', { level: 1, name: 'Gebühr bezahlen' })).toBeVisible();
  await expect(page.getByText('13,00 €').first()).toBeVisible();
  // The application the payment belongs to.
  return new URL(answer.url()).pathname.split('/')[4];
}

async function payByWallet(page: Page) {
  await page.getByRole('button', { name: 'Mit Wallet bezahlen' }).click();
}

/** Back in the app, the payment verified: sent. Returns the submission id. */
async function expectSent(page: Page): Promise<string> {
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Antrag gesendet', { timeout: 30_000 });
  return new URL(page.url()).searchParams.get('einreichung') ?? '';
}

test('paid by SEPA direct debit: verified, sent, and the authority sees the payment', async ({ page, browser }) => {
  await toFeeStep(page);
  // What the citizen is told: the methods, what the payment service and
  // Bürgeramt learn (here no answer sets the fee but the purpose).
  await expect(page.getByText('SEPA-Lastschrift')).toBeVisible();
  await expect(page.getByText('Ihre Antwort auf „Verwendungszweck“ bestimmt die Höhe der Gebühr.', { exact: false })).toBeVisible();
  await expectNoAxeViolations(page);

  // Keyboard only, on to the pay page and through it.
  await tabTo(page, page.getByRole('button', { name: 'Jetzt bezahlen' }));
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/payment\/pay\//);
  await tabTo(page, page.getByLabel('Kontoinhaberin oder Kontoinhaber'));
  await page.keyboard.type('Erika Mustermann');
  await tabTo(page, page.getByLabel('IBAN'));
  await page.keyboard.type('DE89 3704 0044 0532 0130 00');
  await tabTo(page, page.getByLabel('Ich erteile das SEPA-Lastschriftmandat', { exact: false }));
  await page.keyboard.press('Space');
  await tabTo(page, page.getByRole('button', { name: 'Per Lastschrift bezahlen' }));
  await page.keyboard.press('Enter');

  const submission = await expectSent(page);
  // The receipt: amount, method, Kassenzeichen, time.
  const receipt = page.locator('.apply-receipt');
  await expect(receipt).toContainText('13,00 €');
  await expect(receipt).toContainText('SEPA-Lastschrift (DE89 **** **** **** **30 00)');
  await expect(receipt).toContainText('Bezahlt am');
  const reference = (await page.locator('.apply-receipt .apply-reference').first().innerText()).trim();
  await expectNoAxeViolations(page);

  const seen = await authorityView(page, submission);
  expect(seen.attestation.payment.state).toBe('PAID');
  expect(seen.attestation.payment.amount).toBe(1300);
  expect(seen.attestation.payment.reference).toBe(reference);
  expect(seen.attestation.payment.paymentInformation.paymentMethod).toBe('SEPA_DIRECT_DEBIT');
  expect(seen.metadata.paymentInformation.status).toBe('BOOKED');
  expect(seen.metadata.paymentInformation.transactionReference).toBe(reference);
  expect(seen.metadata.paymentInformation.grossAmount).toBe(13);
  expect(seen.feeWarnings ?? []).toEqual([]);

  // The clerk sees it in the console and confirms it with the provider by
  // the Kassenzeichen.
  const clerkContext = await browser.newContext();
  const clerk = await clerkContext.newPage();
  await clerk.goto(`${process.env.E2E_CONSOLE}/behoerde/anmelden`);
  await clerk.getByLabel('Benutzername').fill('sachbearbeitung');
  await clerk.getByLabel('Passwort').fill('Amt-NRW-2026');
  await clerk.getByRole('button', { name: /Anmelden/ }).click();
  await expect(clerk).toHaveURL(/\/behoerde\/eingang/);
  await clerk.goto(`${process.env.E2E_CONSOLE}/behoerde/antraege/${submission}`);
  await expect(clerk.getByRole('heading', { name: 'Gebühr und Zahlung' })).toBeVisible();
  const fee = clerk.locator('main');
  await expect(fee).toContainText('bezahlt, vom Onlinedienst beim Bezahldienst geprüft');
  await expect(fee).toContainText(reference);
  await expect(fee).toContainText('SEPA-Lastschrift');
  await expectNoAxeViolations(clerk);
  await clerk.getByRole('button', { name: 'Beim Bezahldienst prüfen' }).click();
  await expect(clerk.getByText('Bezahldienst bestätigt die Zahlung', { exact: false })).toBeVisible();
  await clerkContext.close();
});

test('a declined card, then paid with another method', async ({ page }) => {
  await toFeeStep(page);
  await toPayPage(page);
  await page.getByLabel('Kartennummer').fill('4000 0000 0000 0002');
  await page.getByLabel('Gültig bis (MM/JJ)').fill('12/39');
  await page.getByLabel('Prüfnummer').fill('123');
  await page.getByRole('button', { name: 'Mit Karte bezahlen' }).click();

  // Back in the app: the relay read "declined" from the provider.
  await page.waitForURL(/\/antrag\/.*\/bezahlen/);
  await expect(page.locator('#zahlung-status')).toContainText('Die Zahlung wurde abgelehnt.');
  await expectNoAxeViolations(page);
  // The same in English, then back to German.
  await page.getByRole('button', { name: 'English' }).click();
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Pay the fee');
  await expect(page.locator('#zahlung-status')).toContainText('The payment was declined.');
  await expect(page.locator('.apply-fee__amount')).toHaveText('€13.00');
  await expectNoAxeViolations(page);
  await page.getByRole('button', { name: 'Deutsch' }).click();
  await expect(page.locator('html')).toHaveAttribute('lang', 'de');
  await toPayPage(page, 'Erneut bezahlen');
  await payByWallet(page);
  await expectSent(page);
  await expect(page.locator('.apply-receipt')).toContainText('Wallet');
});

test('cancelled on the pay page: the draft stays, and "Jetzt bezahlen" from Meine Anträge finishes it', async ({ page }) => {
  await toFeeStep(page);
  await toPayPage(page);
  await page.getByRole('button', { name: 'Zahlung abbrechen' }).click();
  await page.waitForURL(/\/antrag\/.*\/bezahlen/);
  await expect(page.locator('#zahlung-status')).toContainText('Sie haben die Zahlung abgebrochen.');

  // Later, from "Meine Anträge".
  await page.goto('/antraege');
  await page.getByRole('link', { name: /^Jetzt bezahlen/ }).first().click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Gebühr bezahlen');
  await expect(page.locator('#zahlung-status')).toContainText('Sie haben die Zahlung abgebrochen.');
  await toPayPage(page, 'Erneut bezahlen');
  await payByWallet(page);
  await expectSent(page);
});

test('a forged return with status=PAYED and no payment is not believed', async ({ page }) => {
  await toFeeStep(page);
  const submission = await toPayPage(page);
  const txId = new URL(page.url()).pathname.split('/').pop() ?? '';
  // The citizen (or anyone) goes back with a made-up success.
  await page.goto(`${applyUrl(SERVICES.fz, 'bezahlen')}&txId=${txId}&status=PAYED`);
  await expect(page.locator('#zahlung-status')).toContainText('Die Zahlung ist noch nicht abgeschlossen.');
  await expect(page.getByRole('button', { name: 'Jetzt bezahlen' })).toBeVisible();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Gebühr bezahlen');

  // The relay, asked directly, says the same: open, not paid; the
  // application is not sent.
  const r = await page.request.get(`/api/v1/applications/${submission}/payment`);
  expect(r.status()).toBe(200);
  expect((await r.json()).state).toBe('OPEN');
  const mine = (await ownSubmissions(page)).find((s: any) => s.submissionId === submission);
  expect(mine?.status).toBe('incomplete');
});
