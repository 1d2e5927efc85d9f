import { test, expect, expectNoAxeViolations, waitForApp, sessionCookie, API, SESSION_COOKIE } from './fixtures';
import type { Page } from '@playwright/test';
import { citizenClient, HUNDESTEUER, EVENT_PREFIX } from './fitconnect-client';

// Real submissions, made by the Node-side FIT-Connect client through the
// relay with the session cookie of a login through the UI (as the app
// sends); then "Meine Anträge" and "Übermittelte Daten" must show them.
// Test citizens: docs/test-citizens.md.
const ERIKA = { user: 'erika', password: 'Mustermann-2026' };
const MAX = { user: 'max.beispiel', password: 'Beispiel-Basis-1' };
const JONAS = { user: 'jonas.schmidt', password: 'Elster-Konto-7' };
const HILDEN = '051580016016';

async function loginFrom(page: Page, path: string, who: { user: string; password: string }) {
  await page.goto(path);
  await waitForApp(page);
  await page.getByRole('button', { name: 'Mit BundID anmelden' }).click();
  await expect(page).toHaveURL(/\/idp\/login\//);
  await page.getByRole('textbox', { name: 'Benutzername' }).fill(who.user);
  await page.locator('input#password').fill(who.password);
  await page.getByRole('button', { name: 'Mit Passwort anmelden' }).click();
  await expect(page).toHaveURL(new RegExp(`${path}$`));
  await waitForApp(page);
}

function card(page: Page, caseId: string) {
  return page.locator(`article.application[data-case="${caseId}"]`);
}

test('Meine Anträge: login, empty state, then sent, rejected and unfinished applications with their timelines', async ({ page }) => {
  await page.goto('/antraege');
  await waitForApp(page);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Meine Anträge');
  await expect(page.getByText('Sie sind nicht angemeldet. Ihre Anträge sehen Sie nach der Anmeldung.')).toBeVisible();
  await expectNoAxeViolations(page);

  await loginFrom(page, '/antraege', MAX);
  await expect(page.getByText('Sie haben noch keinen Antrag online gesendet.')).toBeVisible();
  const find = page.getByRole('link', { name: 'Eine Leistung suchen und online beantragen' });
  await expect(find).toHaveAttribute('href', '/suche');
  await expectNoAxeViolations(page);

  const fc = await citizenClient(page);
  const good = await fc.send({ ...HUNDESTEUER, ars: HILDEN });
  expect(good.status).toBe('submitted');
  const broken = await fc.send({ ...HUNDESTEUER, ars: HILDEN, breakDataHash: true });
  // The Zustelldienst takes it unread; the authority's subscriber rejects it.
  expect(broken.status).toBe('submitted');
  await expect
    .poll(async () => (await fc.submissions()).find((s) => s.submissionId === broken.submissionId)?.status)
    .toBe('rejected');
  const unfinished = await fc.send({ ...HUNDESTEUER, ars: HILDEN, announceOnly: true });
  expect(unfinished.status).toBe('incomplete');

  await page.reload();
  await waitForApp(page);
  await expect(page.locator('article.application')).toHaveCount(3);
  // Newest first.
  const order = await page.locator('article.application').evaluateAll((els) => els.map((e) => e.getAttribute('data-case')));
  expect(order).toEqual([unfinished.caseId, broken.caseId, good.caseId]);

  // The sent one: service, authority, short and full reference, date, steps.
  const sent = card(page, good.caseId);
  await expect(sent.getByRole('heading', { level: 3 })).toHaveText('Hundesteuer anmelden');
  await expect(sent).toContainText(good.destinationName);
  // One short reference, minted by the relay, counted per destination.
  expect(good.senderReference).toMatch(/^HST-\d{4}-\d{6}$/);
  const number = (r: string) => Number(r.split('-')[2]);
  expect(number(broken.senderReference)).toBe(number(good.senderReference) + 1);
  await expect(sent.locator('.application__reference')).toHaveText(good.senderReference);
  await expect(sent).toContainText(/Gesendet am\s*\d{2}\.\d{2}\.\d{4}, \d{2}:\d{2} Uhr/);
  const steps = sent.getByRole('list', { name: 'Verlauf' }).getByRole('listitem').filter({ has: page.locator('.timeline__title') });
  await expect(steps).toHaveCount(4);
  await expect(steps.nth(0)).toContainText('Gesendet – aktueller Stand');
  await expect(steps.nth(0)).toHaveAttribute('aria-current', 'step');
  await expect(steps.nth(0)).toContainText('Ihr Antrag wurde verschlüsselt an die Behörde übermittelt.');
  // The authority's message on sending sits in that step (one list, not a
  // second one of the same statuses).
  await expect(steps.nth(0).getByRole('link', { name: /^Nachricht lesen/ })).toBeVisible();
  await expect(sent.getByRole('list')).toHaveCount(2);
  await expect(steps.nth(1)).toContainText('Eingegangen – noch offen');
  await expect(steps.nth(2)).toContainText('In Bearbeitung – noch offen');
  await expect(steps.nth(3)).toContainText('Abgeschlossen – noch offen');
  await expect(sent.locator('[aria-current="step"]')).toHaveCount(1);
  // FIT-Connect's UUIDs stay internal.
  await expect(sent).not.toContainText(good.caseId);
  await expect(sent).not.toContainText(good.submissionId);

  // The rejected one: Abgelehnt with the reason in plain words.
  const rejected = card(page, broken.caseId);
  const rsteps = rejected.getByRole('list', { name: 'Verlauf' }).getByRole('listitem').filter({ has: page.locator('.timeline__title') });
  await expect(rsteps.nth(0)).toContainText('Gesendet – erledigt');
  await expect(rsteps.nth(1)).toContainText('Abgelehnt – aktueller Stand');
  await expect(rsteps.nth(1)).toHaveAttribute('aria-current', 'step');
  await expect(rejected).toContainText('Ihr Antrag oder eine Anlage ist nicht unversehrt bei der Behörde angekommen.');

  // The unfinished one: said so, nothing current yet.
  const open = card(page, unfinished.caseId);
  await expect(open).toContainText('Dieser Antrag wurde begonnen, aber noch nicht fertig gesendet.');
  await expect(open).toContainText(/Begonnen am/);
  await expect(open.locator('[aria-current="step"]')).toHaveCount(0);
  await expect(page.getByText(/konnten nicht auf Echtheit geprüft werden/)).toHaveCount(0);
  // Steps are still to come: the note on them is there (only then).
  await expect(page.getByText(/zeigen wir, sobald die Behörde diese Schritte meldet/)).toBeVisible();
  await expectNoAxeViolations(page);

  // The same in English.
  await page.getByRole('button', { name: 'English' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('My applications');
  await expect(card(page, good.caseId)).toContainText('Sent – current status');
  await expect(card(page, broken.caseId)).toContainText('Rejected – current status');
  await expect(card(page, broken.caseId)).toContainText('did not reach the authority intact');
  await expect(card(page, good.caseId)).toContainText(/Sent on\s*\d{2}\/\d{2}\/\d{4}, \d{2}:\d{2}/);
  await expectNoAxeViolations(page);

  // Another citizen sees none of these.
  const other = await page.context().browser()!.newContext();
  const otherPage = await other.newPage();
  await loginFrom(otherPage, '/antraege', ERIKA);
  await expect(otherPage.getByRole('heading', { level: 2, name: 'Ihre Online-Anträge' })).toBeVisible();
  await expect(otherPage.locator('.loading')).toHaveCount(0);
  for (const id of [good.caseId, broken.caseId, unfinished.caseId]) {
    await expect(card(otherPage, id)).toHaveCount(0);
  }
  await other.close();
});

test('Übermittelte Daten on /konto: which authority received which attributes, and when', async ({ page }) => {
  await loginFrom(page, '/konto', JONAS);
  const section = page.getByRole('region', { name: 'Übermittelte Daten' });
  await expect(section.getByText('Es wurden noch keine Angaben aus Ihrem Konto an eine Behörde übermittelt.')).toBeVisible();
  await expectNoAxeViolations(page);

  const fc = await citizenClient(page);
  // Announced only: nothing was sent yet, so nothing is disclosed.
  await fc.send({ ...HUNDESTEUER, ars: HILDEN, announceOnly: true });
  const sent = await fc.send({ ...HUNDESTEUER, ars: HILDEN });
  expect(sent.status).toBe('submitted');

  await page.reload();
  await waitForApp(page);
  const rows = section.locator('tbody tr');
  await expect(rows).toHaveCount(1);
  const row = rows.first();
  await expect(row).toHaveAttribute('data-submission', sent.submissionId);
  await expect(row.getByRole('rowheader')).toHaveText(/^\d{2}\.\d{2}\.\d{4}, \d{2}:\d{2} Uhr$/);
  await expect(row).toContainText(sent.destinationName);
  await expect(row).toContainText('Hundesteuer anmelden');
  await expect(row.locator('li')).toHaveText(['Vorname', 'Nachname', 'E-Mail-Adresse']);
  // Names only: the values never appear in this section.
  await expect(section).not.toContainText('Erika');
  await expect(section).not.toContainText('Mustermann');
  await expectNoAxeViolations(page);
});

test.describe('failures', () => {
  test.use({ allowedConsoleErrors: [/status of 401/] });

  test('a session the relay no longer accepts: "Bitte melden Sie sich erneut an"', async ({ page, context, request }) => {
    await loginFrom(page, '/antraege', ERIKA);
    // The session ends behind the tab's back ("überall abmelden" on another
    // device): the browser keeps its cookie, the relay no longer knows it.
    const cookie = await sessionCookie(context);
    expect(cookie).toBeTruthy();
    const ended = await request.delete('/api/v1/sessions', { headers: { ...API, Cookie: `${SESSION_COOKIE}=${cookie!.value}` } });
    expect(ended.status()).toBe(200);
    expect((await ended.json()).ended).toBeGreaterThanOrEqual(1);
    expect((await sessionCookie(context))?.value, 'the browser still holds the cookie').toBe(cookie!.value);
    // The app still believes it is logged in; its next personal call is refused.
    await page.getByRole('navigation', { name: 'Hauptnavigation' }).getByRole('link', { name: 'Konto' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Meine Daten');
    await expect(
      page.getByRole('region', { name: 'Übermittelte Daten' }).getByText('Bitte melden Sie sich erneut an.'),
    ).toBeVisible();
    await expectNoAxeViolations(page);
  });
});

test('an event whose signature does not verify is a warning, not a step', async ({ page }) => {
  await loginFrom(page, '/antraege', ERIKA);
  const fc = await citizenClient(page);
  const good = await fc.send({ ...HUNDESTEUER, ars: HILDEN });
  // Flip one bit of the submit-submission SET's signature on its way to the app.
  await page.route('**/api/v1/cases/*/events*', async (route) => {
    const res = await route.fetch();
    const page_ = await res.json();
    page_.eventLog = page_.eventLog.map((set: string) => {
      const [h, p, s] = set.split('.');
      const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
      if (!Object.keys(claims.events).includes(`${EVENT_PREFIX}submit-submission`)) return set;
      const sig = Buffer.from(s, 'base64url');
      sig[10] ^= 1;
      return `${h}.${p}.${sig.toString('base64url')}`;
    });
    await route.fulfill({ response: res, json: page_ });
  });
  await page.reload();
  await waitForApp(page);
  const c = card(page, good.caseId);
  await expect(c).toContainText('Einige Statusmeldungen zu diesem Antrag konnten nicht auf Echtheit geprüft werden.');
  await expect(c.locator('[aria-current="step"]')).toHaveCount(0);
  await expect(c).not.toContainText('Gesendet – aktueller Stand');
  await expectNoAxeViolations(page);
  await page.unroute('**/api/v1/cases/*/events*');
  await page.reload();
  await waitForApp(page);
  await expect(card(page, good.caseId)).toContainText('Gesendet – aktueller Stand');
  await expect(card(page, good.caseId)).not.toContainText('Echtheit');
});

test('a Level-1 login cannot send a Level-4 application, not even by calling the relay past the app', async ({ page }) => {
  await loginFrom(page, '/antraege', ERIKA);
  // The Node-side client is a browser scripted around the UI: same cookie,
  // same relay API, no form and no button that could hold it back.
  const fc = await citizenClient(page);
  const wohnsitz = '99115001001000';
  const route = await fc.route(wohnsitz, '053150000000');
  const refused = await fc
    .announce({
      destinationId: route.destinationId,
      announcedAttachments: [],
      serviceType: { name: 'Wohnsitz anmelden', identifier: `urn:de:fim:leika:leistung:${wohnsitz}` },
    })
    .then(
      () => 'accepted',
      (e: Error) => e.message,
    );
  expect(refused).toMatch(/: 403 /);
  expect(refused).toContain('"error":"insufficient_level"');
  expect(refused).toContain('"requiredLevel":"STORK-QAA-Level-4"');
});

test('what FIT-Connect confirms is compared with what was sent: a difference is a warning', async ({ page }) => {
  await loginFrom(page, '/antraege', ERIKA);
  const fc = await citizenClient(page);
  const sent = await fc.send({ ...HUNDESTEUER, ars: HILDEN });
  expect(sent.status).toBe('submitted');
  await page.reload();
  await waitForApp(page);
  const it = card(page, sent.caseId);
  await expect(it).toBeVisible();
  // The relay noted the tags of the JWEs it forwarded; the verified
  // submit-submission event confirms the same ones: no warning.
  const warning = it.getByText('Die Bestätigung von FIT-Connect passt nicht zu dem, was Ihr Gerät gesendet hat.', { exact: false });
  await expect(it.getByRole('list', { name: 'Verlauf' })).toBeVisible();
  await expect(warning).toHaveCount(0);
  const listed = (await fc.submissions()).find((s) => s.submissionId === sent.submissionId);
  expect(listed.sentTags.data).toMatch(/^[A-Za-z0-9_-]{22}$/);

  // Had other bytes arrived than were sent, the tags would differ.
  await page.route('**/api/v1/applications', async (route) => {
    const r = await route.fetch();
    const body = await r.json();
    for (const s of body.submissions) if (s.sentTags) s.sentTags.data = 'AAAAAAAAAAAAAAAAAAAAAA';
    await route.fulfill({ response: r, json: body });
  });
  await page.reload();
  await waitForApp(page);
  await expect(card(page, sent.caseId).getByText('Die Bestätigung von FIT-Connect passt nicht zu dem, was Ihr Gerät gesendet hat.', { exact: false })).toBeVisible();
  await expectNoAxeViolations(page);
});
