// Applying for someone else (issue #25), the whole way: Erika grants Jonas a
// mandate for the Bewohnerparkausweis (without postbox rights); Jonas
// chooses "Für Erika Mustermann" at the start, the form carries Erika's
// verified data, he sends it; the authority sees both people and the
// mandate; its decision lands in Erika's postbox; Jonas may not read it;
// both see the application in "Meine Anträge"; Erika revokes and Jonas's
// next call is refused, in the API and on the application's pages; Erika's
// log lists every use. (Granting on the page itself: mandates.spec.ts.)
import type { APIRequestContext, Page } from '@playwright/test';
import { test, expect, expectNoAxeViolations, waitForApp, API } from './fixtures';
import {
  SERVICES,
  JONAS,
  applyUrl,
  startWithPassword,
  startWithEid,
  next,
  sendAndConfirm,
  authorityView,
  consoleOrigin,
} from './apply-helpers';

const PARK = `urn:de:fim:leika:leistung:${SERVICES.park}`;

/** One year from today, `YYYY-MM-DD`. */
function inAYear(): string {
  const d = new Date();
  d.setFullYear(d.getFullYear() + 1);
  return d.toISOString().slice(0, 10);
}

async function api(page: Page, method: 'GET' | 'POST' | 'DELETE', path: string, data?: object) {
  return page.request.fetch(`/api/v1${path}`, { method, headers: API, data });
}

/** The clerk's JSON API (docs/authority.md). */
async function clerkAct(request: APIRequestContext, submission: string, action: string, data?: object) {
  const login = await request.post(`${consoleOrigin()}/behoerde/api/login`, {
    data: { username: 'sachbearbeitung', password: 'Amt-NRW-2026' },
  });
  expect(login.status()).toBe(200);
  const headers = { Authorization: `Bearer ${(await login.json()).token}` };
  const r = await request.post(`${consoleOrigin()}/behoerde/api/submissions/${submission}/${action}`, { headers, data });
  expect(r.status(), `${action}: ${await r.text()}`).toBe(200);
}

// Jonas's refused calls after the revocation show as failed loads.
test.use({ allowedConsoleErrors: [/status of 403/] });

test('Jonas applies for Erika under her mandate; the authority sees both; the Bescheid reaches Erika only; revoking stops Jonas at once', async ({ page, browser, request }) => {
  test.setTimeout(240_000);
  // Erika logs in with her card (Level-4: her data is verified).
  const erikaContext = await browser.newContext();
  const erika = await erikaContext.newPage();
  await startWithEid(erika, SERVICES.park);

  // Jonas, password login (the service needs Level-1): no mandate yet, no choice.
  await startWithPassword(page, SERVICES.park, JONAS);
  await expect(page.getByRole('link', { name: 'Antrag starten' })).toBeVisible();
  await expect(page.getByRole('group', { name: 'Für wen stellen Sie den Antrag?' })).toHaveCount(0);

  // Jonas's code, read out to Erika; she grants the Bewohnerparkausweis only, no postbox.
  const code = await api(page, 'POST', '/mandates/code');
  expect(code.status()).toBe(200);
  const grant = await api(erika, 'POST', '/mandates', {
    code: (await code.json()).code,
    services: [{ identifier: PARK, name: 'Bewohnerparkausweis' }],
    postbox: false,
    validUntil: inAYear(),
  });
  expect(grant.status(), await grant.text()).toBe(201);
  const mandate = await grant.json();
  expect(mandate.state).toBe('active');

  // The start page now asks for whom; Jonas chooses Erika.
  await page.reload();
  await waitForApp(page);
  const choice = page.getByRole('group', { name: 'Für wen stellen Sie den Antrag?' });
  await expect(choice).toBeVisible();
  await expect(choice.getByRole('radio', { name: 'Für mich selbst' })).toBeChecked();
  await expectNoAxeViolations(page);
  await choice.getByRole('radio', { name: /^Für Erika Mustermann \(Vollmacht, gültig bis / }).check();
  await page.getByRole('button', { name: 'Auswählen' }).click();
  await expect(page).toHaveURL(new RegExp(`fuer=${mandate.id}`));
  await expect(page.getByText(/Sie stellen diesen Antrag für Erika Mustermann, mit deren Vollmacht/)).toBeVisible();
  await expectNoAxeViolations(page);
  await page.getByRole('link', { name: 'Antrag starten' }).click();

  // Erika's verified data, locked; the caption says for whom.
  await expect(page.locator('.apply-caption')).toContainText('für Erika Mustermann');
  await expect(page.getByLabel('Vorname')).toHaveValue('Erika');
  await expect(page.getByLabel('Vorname')).not.toHaveValue('Jonas');
  await next(page);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Fahrzeug');
  await page.getByLabel('Amtliches Kennzeichen').fill('K-EM 1964');
  await page.getByRole('radio', { name: 'Ich selbst' }).check();
  await page
    .getByLabel(/Zulassungsbescheinigung Teil I/)
    .setInputFiles({ name: 'zb1.png', mimeType: 'image/png', buffer: Buffer.from('\x89PNG\r\n\x1a\nFAHRZEUGSCHEIN') });
  await expect(page.getByText(/Ausgewählt: zb1\.png/)).toBeVisible();
  await next(page);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Ausweis');
  await page.getByRole('radio', { name: '2 Jahre' }).check();
  await next(page);
  const { submission } = await sendAndConfirm(page);

  // The authority: both people and the mandate, attested by the relay.
  const view = await authorityView(page, submission);
  const claim = view.attestation?.mandate;
  expect(claim, JSON.stringify(view.attestation)).toBeTruthy();
  expect(claim.id).toBe(mandate.id);
  expect(claim.kind).toBe('vollmacht');
  expect(claim.forPerson).toEqual({ givenNames: 'Erika', familyName: 'Mustermann' });
  expect(claim.applicant).toEqual({ givenNames: 'Jonas', familyName: 'Schmidt' });
  // The console's page says so plainly.
  const clerkContext = await browser.newContext();
  const clerk = await clerkContext.newPage();
  await clerk.goto(`${consoleOrigin()}/behoerde/anmelden`);
  await clerk.getByLabel('Benutzername').fill('sachbearbeitung');
  await clerk.getByLabel('Passwort').fill('Amt-NRW-2026');
  await clerk.getByRole('button', { name: /Anmelden/ }).click();
  await expect(clerk).toHaveURL(/\/behoerde\/eingang/);
  await clerk.goto(`${consoleOrigin()}/behoerde/antraege/${submission}`);
  await expect(clerk.getByText('Antrag gestellt von Jonas Schmidt für Erika Mustermann')).toBeVisible();
  await expectNoAxeViolations(clerk);
  await clerkContext.close();

  // Accepted and decided: the Bescheid goes to Erika's postbox.
  await clerkAct(request, submission, 'accept');
  await clerkAct(request, submission, 'decide', { decision: 'Der Bewohnerparkausweis für K-EM 1964 wird erteilt.' });
  const decisionsFor = async (who: Page) =>
    ((await (await api(who, 'GET', '/postbox/messages')).json()).messages as { kind: string; applicationId?: string }[]).filter(
      (m) => m.kind === 'decision' && m.applicationId === submission,
    ).length;
  await expect.poll(() => decisionsFor(erika)).toBe(1);
  // Jonas may not read Erika's postbox: this mandate does not include it.
  expect((await api(page, 'GET', `/postbox/messages?for=${mandate.id}`)).status()).toBe(403);
  expect(await decisionsFor(page)).toBe(0);

  // "Meine Anträge" of both: made by Jonas for Erika.
  for (const who of [page, erika]) {
    await who.goto('/antraege');
    await waitForApp(who);
    await expect(who.getByText('gestellt von Jonas Schmidt für Erika Mustermann').first()).toBeVisible();
  }
  await expectNoAxeViolations(erika);

  // Erika revokes; Jonas's next calls are refused at once.
  const revoked = await api(erika, 'DELETE', `/mandates/${mandate.id}`);
  expect(revoked.status()).toBe(200);
  expect((await revoked.json()).state).toBe('revoked');
  const person = await api(page, 'GET', `/mandates/${mandate.id}/person?service=${encodeURIComponent(PARK)}`);
  expect(person.status()).toBe(403);
  expect((await person.json()).error).toBe('mandate_not_valid');
  expect((await api(page, 'GET', `/applications/${submission}`)).status()).toBe(403);
  await page.goto(applyUrl(SERVICES.park) + `&fuer=${mandate.id}`);
  await waitForApp(page);
  await expect(page.getByRole('alert')).toContainText('Diese Vollmacht erlaubt den Antrag nicht (mehr)');
  await expect(page.getByRole('link', { name: 'Antrag für mich selbst stellen' })).toBeVisible();
  await expectNoAxeViolations(page);

  // Erika's log: every use by Jonas, the refusals included.
  const uses = (await (await api(erika, 'GET', '/mandates/uses')).json()).byGrantees as { action: string }[];
  const actions = uses.map((u) => u.action);
  for (const a of ['prefill', 'apply', 'submit', 'refused']) {
    expect(actions, `Erika's log has '${a}'`).toContain(a);
  }
  await erikaContext.close();
});
