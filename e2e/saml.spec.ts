// Issue #20: the same journeys with the relay as BundID's SAML 2.0 service
// provider (`RELAY_IDENTITY=saml`) against the stand-in's SAML IdP: a login
// at every level (password, ELSTER, the eID card by step-up on a form step,
// with the card's data locked) and logout. A second pair of servers of our
// own, so the suite's relay keeps speaking OIDC. The refusals of forged
// responses are the relay's tests (relay/tests/saml.rs).
import { test, expect, expectNoAxeViolations, passwordLogin, eidLogin, startExtraServer, waitForApp, API, type ExtraServers } from './fixtures';
import { ERIKA, JONAS, SERVICES } from './apply-helpers';

const KOELN = '053150000000';
let base = '';
let server: ExtraServers | undefined;

test.beforeAll(async () => {
  ({ base, server } = await startExtraServer({ relay: { RELAY_IDENTITY: 'saml' } }));
});
test.afterAll(async () => {
  await server?.stopped();
});

const badge = (page: import('@playwright/test').Page) => page.getByRole('banner').locator('.trust-badge');

async function session(page: import('@playwright/test').Page) {
  const r = await page.request.get(`${base}/api/v1/session`, { headers: API });
  expect(r.status()).toBe(200);
  return r.json();
}

test('SAML: password login (Level-1) with self-declared data, logout, then ELSTER (Level-3) with verified data', async ({ page }) => {
  // The relay publishes its SP metadata; the stand-in's IdP reads it.
  const md = await page.request.get(`${base}/api/v1/saml/metadata`);
  expect(md.status()).toBe(200);
  expect(await md.text()).toContain('AuthnRequestsSigned="true"');

  await page.goto(`${base}/anmelden`);
  await waitForApp(page);
  await page.getByRole('button', { name: 'Mit BundID anmelden' }).click();
  await passwordLogin(page, ERIKA.user, ERIKA.password);
  await expect(page).toHaveURL(new RegExp(`^${base}/konto$`));
  await expect(page.getByRole('banner')).toContainText('Erika Mustermann');
  await expect(badge(page)).toHaveText(/niedrig/);
  await expect(page.locator('tr[data-attribute="givenName"]')).toContainText('von Ihnen angegeben');
  await expect(page.locator('tr[data-attribute="bPK2"]')).toContainText('von der BundID vergeben');
  await expect(page.locator('tr[data-attribute="mailboxUuid"]')).toContainText('von der BundID vergeben');
  const s = await session(page);
  expect(s.loggedIn).toBe(true);
  expect(s.level).toBe('STORK-QAA-Level-1');
  await expectNoAxeViolations(page);

  // Logout ends the session at the relay and, by single logout, at the
  // IdP: the app goes to the IdP with the relay's signed LogoutRequest and
  // comes back to the start page.
  const logoutRequest = page.waitForRequest((r) => r.url().includes('/idp/saml/slo?SAMLRequest='));
  const logoutResponse = page.waitForRequest((r) => r.url().startsWith(`${base}/api/v1/saml/slo?SAMLResponse=`));
  await page.getByRole('button', { name: 'Abmelden', exact: true }).click();
  await logoutRequest;
  await logoutResponse;
  await expect(page).toHaveURL(new RegExp(`^${base}/$`));
  await waitForApp(page);
  await expect(page.getByRole('banner')).not.toContainText('Erika');
  expect((await session(page)).loggedIn).toBe(false);

  // ELSTER: Level-3, the certificate's data verified. (The IdP asks again:
  // the relay's AuthnRequests say ForceAuthn.)
  await page.goto(`${base}/konto`);
  await waitForApp(page);
  await page.getByRole('button', { name: 'Mit BundID anmelden' }).click();
  await expect(page).toHaveURL(/\/idp\/login\//);
  await page.getByLabel(JONAS.cert).check();
  await page.getByLabel('PIN (Passwort) des Zertifikats').fill(JONAS.pin);
  await page.getByRole('button', { name: 'Mit ELSTER-Zertifikat anmelden' }).click();
  await expect(page).toHaveURL(new RegExp(`^${base}/konto$`));
  await expect(badge(page)).toHaveText(/substanziell/);
  await expect(page.getByRole('banner')).toContainText('Jonas Schmidt');
  await expect(page.locator('tr[data-attribute="surname"]')).toContainText('aus Ihrem ELSTER-Zertifikat, geprüft');
  expect((await session(page)).level).toBe('STORK-QAA-Level-3');
});

test('SAML: step-up on a Level-4 form step with the eID card, back on that step with the card data locked', async ({ page }) => {
  await page.goto(`${base}/konto`);
  await waitForApp(page);
  await page.getByRole('button', { name: 'Mit BundID anmelden' }).click();
  await passwordLogin(page, ERIKA.user, ERIKA.password);
  await expect(page).toHaveURL(new RegExp(`^${base}/konto$`));
  await expect(badge(page)).toHaveText(/niedrig/);

  await page.goto(`${base}/antrag/${SERVICES.wohnsitz}/schritt/person?ort=${KOELN}`);
  await waitForApp(page);
  const offer = page.getByRole('region', { name: 'Höheres Vertrauensniveau nötig' });
  await expect(offer).toBeVisible();
  await offer.getByRole('button', { name: 'Mit Online-Ausweis anmelden (Vertrauensniveau hoch)' }).click();
  await expect(page).toHaveURL(/\/idp\/login\//);
  await expect(page.getByRole('button', { name: 'Mit Passwort anmelden' })).toHaveCount(0);
  await eidLogin(page, ERIKA.card, ERIKA.pin);
  await expect(page).toHaveURL(new RegExp(`/antrag/${SERVICES.wohnsitz}/schritt/person\\?ort=${KOELN}`));
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Ihre Daten');
  await expect(badge(page)).toHaveText(/hoch/);
  await expect(page.getByLabel('Vorname')).toHaveValue('Erika');
  await expect(page.getByLabel('Vorname')).toHaveAttribute('readonly', '');
  const s = await session(page);
  expect(s.level).toBe('STORK-QAA-Level-4');
  await expectNoAxeViolations(page);
});
