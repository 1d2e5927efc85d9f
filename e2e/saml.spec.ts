// Issue #20: the same journeys with the relay as BundID's SAML 2.0 service
// provider (`RELAY_IDENTITY=saml`) against the stand-in's SAML IdP: a login
// at every level (password, ELSTER, the eID card by step-up on a form step,
// with the card's data locked) and logout. A second pair of servers of our
// own, so the suite's relay keeps speaking OIDC. The refusals of forged
// responses are the relay's tests (relay/tests/saml.rs).
import { test, expect, expectNoAxeViolations, passwordLogin, eidLogin, startExtraServer, waitForApp, API, type ExtraServers } from './fixtures';
import { ERIKA, JONAS, SERVICES, next, fillAndSave } from './apply-helpers';
import { inflateRawSync } from 'node:zlib';

const KOELN = '053150000000';
let base = '';
let upstream = '';
let server: ExtraServers | undefined;

test.beforeAll(async () => {
  ({ base, upstream, server } = await startExtraServer({ relay: { RELAY_IDENTITY: 'saml' } }));
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

test.describe('the logout at BundID', () => {
  // The app's own look at the ended session is a 401, which the browser logs.
  test.use({ allowedConsoleErrors: [/status of 401/] });
  test('SAML: logging out at BundID itself ends the relay\'s session too (single logout started at the IdP)', async ({ page }) => {
    await page.goto(`${base}/konto`);
    await waitForApp(page);
    await page.getByRole('button', { name: 'Mit BundID anmelden' }).click();
    await passwordLogin(page, ERIKA.user, ERIKA.password);
    await expect(page).toHaveURL(new RegExp(`^${base}/konto$`));
    expect((await session(page)).loggedIn).toBe(true);

    // The citizen logs out at BundID: the IdP sends the browser to the relay
    // with its signed LogoutRequest; the relay ends the session and answers
    // with its signed LogoutResponse; the IdP confirms.
    await page.goto(`${upstream}/idp/saml/abmelden`);
    await expect(page.getByText(/bei 1 Dienst/)).toBeVisible();
    const atRelay = page.waitForRequest((r) => r.url().startsWith(`${base}/api/v1/saml/slo?SAMLRequest=`));
    const answered = page.waitForRequest((r) => r.url().startsWith(`${upstream}/idp/saml/slo?SAMLResponse=`));
    await page.getByRole('button', { name: 'Bei der BundID abmelden' }).click();
    await atRelay;
    await answered;
    await expect(page.getByText('Sie sind bei der BundID abgemeldet.')).toBeVisible();
    await expect(page.getByText(/1 von 1 Anmeldung/)).toBeVisible();
    expect((await session(page)).loggedIn).toBe(false);
    // The app learns it from the relay (a 401 on its look at the session,
    // and, when this tab still remembered the login, "Sie wurden
    // abgemeldet"): the page is the logged-out one.
    await page.goto(`${base}/konto`);
    await waitForApp(page);
    const loggedOut = page.getByRole('main').getByRole('button', { name: 'Mit BundID anmelden' });
    await expect(loggedOut.or(page.getByRole('dialog', { name: 'Sie wurden abgemeldet' })).first()).toBeVisible();
    await expect(page.locator('header.site-header')).not.toContainText('Erika');
  });
});

test('SAML: a forged answer (unsigned, to a request the relay did send) is refused: the app explains, nothing is logged in', async ({ page }) => {
  await page.goto(`${base}/konto`);
  await waitForApp(page);
  const sso = page.waitForRequest((r) => r.url().includes('/idp/saml/sso?SAMLRequest='));
  await page.getByRole('button', { name: 'Mit BundID anmelden' }).click();
  const request = new URL((await sso).url()).searchParams.get('SAMLRequest') ?? '';
  const xml = inflateRawSync(Buffer.from(request, 'base64')).toString('utf8');
  const id = /\sID="([^"]+)"/.exec(xml)?.[1] ?? '';
  expect(id).not.toBe('');
  await expect(page).toHaveURL(/\/idp\/login\//);

  // Instead of the IdP's signed answer: one made up by an attacker, with
  // the right InResponseTo, Destination and attributes but no signature.
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const forged = `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_forged1" Version="2.0" IssueInstant="${now}" Destination="${base}/api/v1/saml/acs" InResponseTo="${id}"><saml:Issuer>https://bundid.example/forged</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status><saml:Assertion ID="_forged2" Version="2.0" IssueInstant="${now}"><saml:Subject><saml:NameID>forged</saml:NameID></saml:Subject><saml:AuthnStatement AuthnInstant="${now}"><saml:AuthnContext><saml:AuthnContextClassRef>STORK-QAA-Level-4</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement></saml:Assertion></samlp:Response>`;
  await page.evaluate(
    ([action, value]) => {
      const f = document.createElement('form');
      f.method = 'POST';
      f.action = action;
      const i = document.createElement('input');
      i.type = 'hidden';
      i.name = 'SAMLResponse';
      i.value = value;
      f.append(i);
      document.body.append(f);
      f.submit();
    },
    [`${base}/api/v1/saml/acs`, Buffer.from(forged).toString('base64')],
  );
  await expect(page).toHaveURL(new RegExp(`^${base}/konto\\?anmeldung=abgelehnt`));
  await waitForApp(page);
  await expect(page.getByRole('alert').filter({ hasText: 'hat unsere Sicherheitsprüfung nicht bestanden' })).toBeVisible();
  await expect(page.getByRole('banner')).not.toContainText('Erika');
  await expect(page.getByRole('button', { name: 'Mit BundID anmelden' }).first()).toBeVisible();
  expect((await session(page)).loggedIn).toBe(false);
  await expectNoAxeViolations(page);
});

test.describe('a SAML session of 60 seconds', () => {
  let shortBase = '';
  let shortServer: ExtraServers | undefined;
  test.beforeAll(async () => {
    ({ base: shortBase, server: shortServer } = await startExtraServer({
      relay: { RELAY_IDENTITY: 'saml', RELAY_SAML_SESSION_SECONDS: '60' },
    }));
  });
  test.afterAll(async () => {
    await shortServer?.stopped();
  });

  test('cannot be extended: the warning offers "Erneut anmelden" and comes back to the same form step with the input kept', async ({ page }) => {
    test.setTimeout(180_000);
    await page.goto(`${shortBase}/konto`);
    await waitForApp(page);
    await page.getByRole('button', { name: 'Mit BundID anmelden' }).click();
    await passwordLogin(page, ERIKA.user, ERIKA.password);
    await expect(page).toHaveURL(new RegExp(`^${shortBase}/konto$`));
    const r = await page.request.get(`${shortBase}/api/v1/session`, { headers: API });
    expect((await r.json()).extensionsLeft).toBe(0);

    // A Level-1 form (Hundesteuer): a dog's name typed and saved as a draft.
    await page.goto(`${shortBase}/antrag/${SERVICES.hund}?ort=${KOELN}`);
    await waitForApp(page);
    await page.getByRole('link', { name: 'Antrag starten' }).click();
    await next(page);
    const dogName = () => page.getByRole('group', { name: 'Hund 1' }).getByLabel('Name des Hundes');
    await fillAndSave(page, dogName(), 'Sitzungshund');
    const step = new URL(page.url()).pathname + new URL(page.url()).search;
    const dialog = page.getByRole('dialog', { name: /Sitzung/ });
    // The warning comes a quarter of the lifetime before the end (the app's
    // own timer): wait for the dialog itself.
    await expect(dialog).toBeVisible({ timeout: 90_000 });
    await expect(dialog).toContainText('kann nicht verlängert werden');
    await expect(dialog.getByRole('button', { name: 'Angemeldet bleiben' })).toHaveCount(0);
    const again = dialog.getByRole('button', { name: 'Erneut anmelden' });
    await expect(again).toBeFocused();
    await expectNoAxeViolations(page);
    await again.click();
    await passwordLogin(page, ERIKA.user, ERIKA.password);
    await expect(page).toHaveURL((u) => u.pathname + u.search === step);
    await waitForApp(page);
    await expect(dogName()).toHaveValue('Sitzungshund');
    expect((await (await page.request.get(`${shortBase}/api/v1/session`, { headers: API })).json()).loggedIn).toBe(true);
  });
});
