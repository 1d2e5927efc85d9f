import { test, expect, expectNoAxeViolations, tabTo, upstreamOrigin } from './fixtures';
import type { APIRequestContext } from '@playwright/test';

// The payment provider stand-in's pay page (issue #23, docs/backends.md §7):
// a transaction created through its API with the Onlinedienst's service
// token, opened in the browser as the relay would send the citizen there.
// axe on the page and on its errors; a keyboard-only SEPA payment; the
// status read back server to server. The way back (the relay's return
// URL) is answered here: the relay's payment step is not built yet.

const PATH = '/payment/v1/paymenttransaction/buergeramt-nrw/onlinedienst';

// A form with errors comes back as 422 (the page with the errors at the
// fields), which the browser logs as a failed resource.
test.use({ allowedConsoleErrors: [/status of 422/] });

async function serviceToken(request: APIRequestContext): Promise<string> {
  const r = await request.post(`${upstreamOrigin()}/idp/token`, {
    form: {
      grant_type: 'client_credentials',
      client_id: 'buergeramt-onlinedienst',
      client_secret: 'dev-sender-secret',
      scope: 'payment:create',
    },
  });
  expect(r.status(), 'service token').toBe(200);
  return (await r.json()).access_token;
}

async function createPayment(request: APIRequestContext, token: string, returnUrl: string) {
  const r = await request.post(`${upstreamOrigin()}${PATH}`, {
    headers: { Authorization: `Bearer ${token}` },
    data: {
      requestId: `e2e-${Date.now()}-${Math.random().toString(36).slice(2)}`,
      amount: 1300,
      currency: 'EUR',
      purpose: 'Führungszeugnis (Beispieldaten)',
      reference: 'K-E2E-0001',
      redirectUrl: returnUrl,
    },
  });
  expect(r.status(), await r.text()).toBe(201);
  return r.json();
}

test('the pay page passes axe and takes a SEPA payment by keyboard', async ({ page, baseURL, request }) => {
  const returnUrl = `${baseURL}/e2e-payment-return`;
  await page.route(`${returnUrl}**`, (route) =>
    route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>zurück</title><p>zurück</p>' }),
  );
  const token = await serviceToken(request);
  const tx = await createPayment(request, token, returnUrl);

  await page.goto(tx.paymentUrl);
  await expect(page.getByRole('heading', { level: 1, name: 'Gebühr bezahlen' })).toBeVisible();
  await expect(page.getByText('13,00 €')).toBeVisible();
  await expect(page.getByText('Es wird kein Geld bewegt', { exact: false }).first()).toBeVisible();
  await expectNoAxeViolations(page);

  // A wrong check digit: the error at the field, the page still accessible.
  const holder = page.getByLabel('Kontoinhaberin oder Kontoinhaber');
  const iban = page.getByLabel('IBAN');
  await tabTo(page, holder);
  await page.keyboard.type('Erika Mustermann');
  await tabTo(page, iban);
  await page.keyboard.type('DE88 3704 0044 0532 0130 00');
  await tabTo(page, page.getByRole('button', { name: 'Per Lastschrift bezahlen' }));
  await page.keyboard.press('Enter');
  await expect(page.getByText('Die Prüfziffern der IBAN stimmen nicht', { exact: false })).toBeVisible();
  await expect(page.getByLabel('IBAN')).toHaveAttribute('aria-invalid', 'true');
  await expectNoAxeViolations(page);

  // Corrected, with the mandate, by keyboard only.
  await tabTo(page, page.getByLabel('IBAN'));
  await page.keyboard.press('ControlOrMeta+a');
  await page.keyboard.type('DE89 3704 0044 0532 0130 00');
  await tabTo(page, page.getByLabel('Ich erteile das SEPA-Lastschriftmandat', { exact: false }));
  await page.keyboard.press('Space');
  await tabTo(page, page.getByRole('button', { name: 'Per Lastschrift bezahlen' }));
  await page.keyboard.press('Enter');
  await page.waitForURL(`${returnUrl}?txId=${tx.txId}&status=PAYED`);

  // The status that counts is the one read server to server.
  const r = await request.get(`${upstreamOrigin()}${PATH}/${tx.txId}`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  const paid = await r.json();
  expect(paid.status).toBe('PAYED');
  expect(paid.paymentInformation.paymentMethod).toBe('SEPA_DIRECT_DEBIT');
  expect(paid.paymentInformation.paymentMethodDetail).toBe('DE89 **** **** **** **30 00');
});

test('the pay page in English passes axe, and the challenge page too', async ({ page, baseURL, request }) => {
  const returnUrl = `${baseURL}/e2e-payment-return`;
  await page.route(`${returnUrl}**`, (route) =>
    route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>back</title><p>back</p>' }),
  );
  const token = await serviceToken(request);
  const tx = await createPayment(request, token, returnUrl);
  await page.goto(`${tx.paymentUrl}?lang=en`);
  await expect(page.getByRole('heading', { level: 1, name: 'Pay a fee' })).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await expectNoAxeViolations(page);
  await page.getByLabel('Card number').fill('4000 0000 0000 3220');
  await page.getByLabel('Expiry date (MM/YY)').fill('12/39');
  await page.getByLabel('Security code').fill('123');
  await page.getByRole('button', { name: 'Pay by card' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Confirm the payment' })).toBeVisible();
  await expectNoAxeViolations(page);
  await page.getByLabel('Confirmation code (6 digits)').fill('123456');
  await page.getByRole('button', { name: 'Confirm' }).click();
  await page.waitForURL(`${returnUrl}?txId=${tx.txId}&status=PAYED`);
});
