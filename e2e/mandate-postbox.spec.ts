// Reading someone else's postbox under a mandate (issue #25), in the app:
// Erika applies for the Hundesteuer (a status message in her postbox),
// grants Jonas a mandate WITH the postbox; Jonas chooses "Erika Mustermann
// (Vollmacht)" on /postfach, sees her message, opens it read-only (no
// marks, no delete, no reply) and his own unread counter stays his own. A
// second mandate WITHOUT the postbox is not offered and /postfach?fuer=<id>
// shows the refusal. Erika revokes; Jonas's next view is refused.
// Other specs leave ended mandates between Erika and Jonas: this one
// follows its own mandates by their ids.
import type { Page } from '@playwright/test';
import { test, expect, expectNoAxeViolations, waitForApp, eidLogin, tabTo, API } from './fixtures';
import { ERIKA, JONAS, SERVICES, startWithPassword, sendHundesteuer } from './apply-helpers';

/** One year from today, `YYYY-MM-DD`. */
function inAYear(): string {
  const d = new Date();
  d.setFullYear(d.getFullYear() + 1);
  return d.toISOString().slice(0, 10);
}

async function api(page: Page, method: 'GET' | 'POST' | 'DELETE', path: string, data?: object) {
  return page.request.fetch(`/api/v1${path}`, { method, headers: API, data });
}

/** Opens `/postfach` logged out and starts the BundID login. */
async function openPostbox(page: Page) {
  await page.goto('/postfach');
  await waitForApp(page);
  await page.getByRole('main').getByRole('button', { name: 'Anmelden', exact: true }).click();
  await expect(page).toHaveURL(/\/idp\/login\//);
}

/** Jonas grants nothing; Erika grants him a mandate (all services) with or without her postbox. */
async function grant(erika: Page, jonas: Page, postbox: boolean): Promise<string> {
  const code = await api(jonas, 'POST', '/mandates/code');
  expect(code.status()).toBe(200);
  const r = await api(erika, 'POST', '/mandates', {
    code: (await code.json()).code,
    services: null,
    postbox,
    validUntil: inAYear(),
  });
  expect(r.status(), await r.text()).toBe(201);
  const m = await r.json();
  expect(m.state).toBe('active');
  expect(m.postbox).toBe(postbox);
  return m.id;
}

async function ownUnread(page: Page): Promise<number> {
  const r = await api(page, 'GET', '/postbox/messages/unread-count');
  expect(r.status()).toBe(200);
  return (await r.json()).unread;
}

const REFUSED = 'Sie dürfen dieses Postfach nicht mehr lesen: die Vollmacht ist beendet oder umfasst das Postfach nicht.';
const NOTICE = 'Sie lesen es mit einer Vollmacht. Antworten und Löschen kann nur Erika Mustermann selbst.';

// The refused reads show as failed loads.
test.use({ allowedConsoleErrors: [/status of 403/] });

test('Jonas reads Erika’s postbox under her mandate, read-only; without the postbox right and after the revocation he is refused', async ({ page, browser }) => {
  test.setTimeout(240_000);

  // Erika (password, Level-1) applies: a status message lands in her postbox.
  const applicantContext = await browser.newContext();
  const applicant = await applicantContext.newPage();
  await startWithPassword(applicant, SERVICES.hund, ERIKA);
  await applicant.getByRole('link', { name: 'Antrag starten' }).click();
  const { submission } = await sendHundesteuer(applicant, 'Waldi');
  type Item = { id: string; applicationId?: string };
  const itemOf = async () =>
    ((await (await api(applicant, 'GET', '/postbox/messages')).json()).messages as Item[]).find((m) => m.applicationId === submission);
  await expect.poll(async () => (await itemOf())?.id ?? '').not.toBe('');
  const message = (await itemOf())!.id;
  await applicantContext.close();

  // Erika with her card (Level-4) grants; Jonas with ELSTER (Level-3).
  const erikaContext = await browser.newContext();
  const erika = await erikaContext.newPage();
  await openPostbox(erika);
  await eidLogin(erika, ERIKA.card, ERIKA.pin);
  await expect(erika).toHaveURL(/\/postfach$/);
  await openPostbox(page);
  await page.getByLabel(JONAS.cert).check();
  await page.getByLabel('PIN (Passwort) des Zertifikats').fill(JONAS.pin);
  await page.getByRole('button', { name: 'Mit ELSTER-Zertifikat anmelden' }).click();
  await expect(page).toHaveURL(/\/postfach$/);
  const withPostbox = await grant(erika, page, true);
  const jonasUnread = await ownUnread(page);

  // Jonas's postbox offers Erika's; he chooses it by keyboard.
  await page.reload();
  await waitForApp(page);
  const choice = page.getByRole('navigation', { name: 'Postfach von:' });
  await expect(choice).toBeVisible();
  await expect(choice.locator('[aria-current="page"]')).toHaveText('Mein Postfach');
  const hers = choice.locator(`a[href="/postfach?fuer=${withPostbox}"]`);
  await expect(hers).toHaveText('Erika Mustermann (Vollmacht)');
  await expectNoAxeViolations(page);
  await tabTo(page, hers);
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(new RegExp(`/postfach\\?fuer=${withPostbox}$`));
  await expect(page.getByRole('heading', { name: 'Postfach von Erika Mustermann' })).toBeVisible();
  await expect(page.getByText(NOTICE)).toBeVisible();
  await expect(choice.locator('[aria-current="page"]')).toHaveText('Erika Mustermann (Vollmacht)');
  // Her message, its link keeping the mandate; no trash for someone else.
  const link = page.locator(`a[href="/postfach/${message}?fuer=${withPostbox}"]`);
  await expect(link).toBeVisible();
  await expect(page.getByRole('link', { name: 'Papierkorb öffnen' })).toHaveCount(0);
  await expectNoAxeViolations(page);

  // The message, read-only.
  await link.click();
  await expect(page).toHaveURL(new RegExp(`/postfach/${message}\\?fuer=${withPostbox}$`));
  await expect(page.getByRole('heading', { level: 2, name: 'Inhalt' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Postfach von Erika Mustermann' })).toBeVisible();
  await expect(page.getByText(NOTICE)).toBeVisible();
  for (const name of ['Als gelesen markieren', 'Als ungelesen markieren', 'Löschen', 'Jetzt antworten']) {
    await expect(page.getByRole('button', { name })).toHaveCount(0);
    await expect(page.getByRole('link', { name })).toHaveCount(0);
  }
  await expect(page.getByRole('link', { name: 'Zurück zum Postfach' })).toHaveAttribute('href', `/postfach?fuer=${withPostbox}`);
  await expectNoAxeViolations(page);
  // Jonas's own counter is his own.
  expect(await ownUnread(page)).toBe(jonasUnread);
  // Writes under the mandate are refused by the relay.
  const del = await api(page, 'DELETE', `/postbox/messages/${message}?for=${withPostbox}`);
  expect(del.status()).toBe(403);
  expect((await del.json()).error).toBe('mandate_read_only');

  // A mandate without the postbox: not offered, and refused when named.
  const without = await grant(erika, page, false);
  await page.goto('/postfach');
  await waitForApp(page);
  await expect(choice.locator(`a[href="/postfach?fuer=${withPostbox}"]`)).toBeVisible();
  await expect(page.locator(`a[href="/postfach?fuer=${without}"]`)).toHaveCount(0);
  await page.goto(`/postfach?fuer=${without}`);
  await waitForApp(page);
  const refused = page.getByRole('alert').filter({ hasText: REFUSED });
  await expect(refused).toBeVisible();
  await expect(refused.getByRole('link', { name: 'Mein Postfach' })).toHaveAttribute('href', '/postfach');
  await expect(page.getByText(NOTICE)).toHaveCount(0);
  await expectNoAxeViolations(page);

  // Erika revokes the postbox mandate; Jonas's next view is refused.
  for (const id of [withPostbox, without]) {
    const r = await api(erika, 'DELETE', `/mandates/${id}`);
    expect(r.status()).toBe(200);
    expect((await r.json()).state).toBe('revoked');
  }
  await page.goto(`/postfach?fuer=${withPostbox}`);
  await waitForApp(page);
  await expect(page.getByRole('alert').filter({ hasText: REFUSED })).toBeVisible();
  await expect(page.locator(`a[href="/postfach/${message}?fuer=${withPostbox}"]`)).toHaveCount(0);
  await expect(page.locator(`a[href="/postfach?fuer=${withPostbox}"]`)).toHaveCount(0);
  await page.goto(`/postfach/${message}?fuer=${withPostbox}`);
  await waitForApp(page);
  await expect(page.getByRole('alert').filter({ hasText: REFUSED })).toBeVisible();
  await expect(page.getByRole('heading', { level: 2, name: 'Inhalt' })).toHaveCount(0);
  await expectNoAxeViolations(page);
  await erikaContext.close();
});
