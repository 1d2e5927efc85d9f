// Issue 16: the destination's key is used only when its x5c chain proves
// that it belongs to the destination the route promised (leaf naming the
// destination, chain up to the root compiled into the app, RSASSA-PSS
// signatures verified with WebCrypto, validity, key = the served JWK).
// Every refused key: no announce reaches the relay, the message says what
// happened, and the draft survives a reload.
//
// The altered keys are served with page.route on the relay's key URL. The
// chains from a foreign root, with an expired leaf and naming another
// destination are the committed vectors of tests/vectors/x509/ (made by the
// stand-in's test PKI, backends/src/fitconnect/pki_tests.rs); they certify
// their own fixed key, so each breaks exactly one rule.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { test, expect, expectNoAxeViolations } from './fixtures';
import { SERVICES, startWithPassword, fillDate, fillAndSave, next } from './apply-helpers';

const KEY_URL = '**/api/v1/submission/destinations/*/keys/*';

function vector(name: string): { destinationId: string; jwk: Record<string, unknown> } {
  return JSON.parse(readFileSync(join(__dirname, '..', 'tests', 'vectors', 'x509', `${name}.json`), 'utf8'));
}

/** Counts the announcements (POST /api/v1/applications) the page makes. */
function countAnnouncements(page: Page): () => number {
  let n = 0;
  page.on('request', (r) => {
    if (r.method() === 'POST' && new URL(r.url()).pathname === '/api/v1/applications') n++;
  });
  return () => n;
}

/** Hundesteuer with one dog, up to "Angaben prüfen" (the draft saved). */
async function toReview(page: Page, dogName: string) {
  await startWithPassword(page, SERVICES.hund);
  await page.getByRole('link', { name: /Antrag starten|Weiter ausfüllen/ }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Halterin oder Halter');
  await next(page);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Hunde');
  const dog = page.getByRole('group', { name: 'Hund 1' });
  await dog.getByLabel('Rasse oder Kreuzung').fill('Dackel');
  await fillDate(page, 'Beginn der Haltung', '1', '3', '2025');
  await dog.getByRole('radio', { name: 'Nein' }).check();
  await fillAndSave(page, dog.getByLabel('Name des Hundes'), dogName);
  await next(page);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Kontakt');
  await next(page);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Angaben prüfen');
}

/** Sends with the key altered by `alter`; expects the refusal and a kept draft. */
async function refused(page: Page, dogName: string, alter: (real: any, destinationId: string) => any) {
  const announcements = countAnnouncements(page);
  await toReview(page, dogName);
  let served = 0;
  await page.route(KEY_URL, async (route) => {
    const response = await route.fetch();
    const real = await response.json();
    expect(real.x5c, 'the stand-in serves the chain').toHaveLength(2);
    const destinationId = decodeURIComponent(new URL(route.request().url()).pathname.split('/')[5]);
    served++;
    await route.fulfill({ status: 200, json: alter(real, destinationId) });
  });
  await page.getByLabel('Ich versichere, dass meine Angaben richtig und vollständig sind.').check();
  await page.getByRole('button', { name: 'Antrag verschlüsselt senden' }).click();
  const alert = page.getByRole('alert').filter({ hasText: 'Der Antrag wurde nicht gesendet' });
  await expect(alert).toBeVisible();
  await expect(alert).toContainText('Der Schlüssel der Behörde konnte nicht geprüft werden');
  await expect(alert).toContainText('wenden Sie sich an die Behörde');
  await expect(alert).toBeFocused();
  expect(served).toBe(1);
  expect(announcements(), 'nothing was announced').toBe(0);
  await expect(page.getByRole('button', { name: 'Erneut senden' })).toBeEnabled();
  await expectNoAxeViolations(page);

  // The draft is still there after a reload.
  await page.unroute(KEY_URL);
  await page.reload();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Angaben prüfen');
  await expect(page.locator('main')).toContainText(dogName);
  expect(announcements()).toBe(0);
}

/** A vector's JWK in place of the real one (with the requested kid). */
function fromVector(name: string) {
  const v = vector(name);
  return (real: any, destinationId: string) => {
    expect(destinationId, 'the vectors are made for the Hundesteuer destination').toBe(v.destinationId);
    return { ...v.jwk, kid: real.kid };
  };
}

test('the stand-in key with its chain passes the check and the application is sent', async ({ page }) => {
  const announcements = countAnnouncements(page);
  await toReview(page, 'Echt');
  let chain: string[] = [];
  await page.route(KEY_URL, async (route) => {
    const response = await route.fetch();
    chain = (await response.json()).x5c;
    await route.fulfill({ response });
  });
  await page.getByLabel('Ich versichere, dass meine Angaben richtig und vollständig sind.').check();
  await page.getByRole('button', { name: 'Antrag verschlüsselt senden' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Antrag gesendet', { timeout: 30_000 });
  expect(chain).toHaveLength(2);
  expect(announcements()).toBe(1);
});

test('a tampered key (another modulus under the same chain) is refused before anything is sent', async ({ page }) => {
  await refused(page, 'Manipuliert', (real) => {
    const n: string = real.n;
    const i = 200;
    const swapped = n[i] === 'A' ? 'B' : 'A';
    return { ...real, n: n.slice(0, i) + swapped + n.slice(i + 1) };
  });
});

test('a chain from a foreign root (same name, other key) is refused', async ({ page }) => {
  await refused(page, 'Fremdwurzel', fromVector('foreign-root'));
});

test('an expired certificate is refused', async ({ page }) => {
  await refused(page, 'Abgelaufen', fromVector('expired'));
});

test('a certificate naming another destination is refused', async ({ page }) => {
  await refused(page, 'Andere Behoerde', fromVector('other-destination'));
});

test('a key without a chain is refused', async ({ page }) => {
  await refused(page, 'Ohne Kette', (real) => {
    const { x5c: _dropped, ...bare } = real;
    return bare;
  });
});
