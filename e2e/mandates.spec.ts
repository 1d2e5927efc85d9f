import { test, expect, expectNoAxeViolations, waitForApp, eidLogin, passwordLogin, tabTo } from './fixtures';
import type { Page } from '@playwright/test';
import { ERIKA, JONAS } from './apply-helpers';

// Mandates (issue #25) on /konto/vollmachten: Jonas (ELSTER, Level-3) shows
// his code, Erika (Online-Ausweis, Level-4) grants him a mandate by keyboard
// only, both see it, Jonas gives it back and Erika's list says so. Max
// (Level-1) gets the step-up offer instead of the form.

const PAGE = '/konto/vollmachten';

async function open(page: Page) {
  await page.goto(PAGE);
  await waitForApp(page);
  await expect(page.getByRole('heading', { level: 1, name: 'Vollmachten' })).toBeVisible();
  await expect(page.getByText('Sie sind nicht angemeldet.', { exact: false })).toBeVisible();
  await page.getByRole('button', { name: 'Mit BundID anmelden' }).click();
}

async function loginJonas(page: Page) {
  await open(page);
  await expect(page).toHaveURL(/\/idp\/login\//);
  await page.getByLabel(JONAS.cert).check();
  await page.getByLabel('PIN (Passwort) des Zertifikats').fill(JONAS.pin);
  await page.getByRole('button', { name: 'Mit ELSTER-Zertifikat anmelden' }).click();
  await expect(page).toHaveURL(/\/konto\/vollmachten$/);
}

async function loginErika(page: Page) {
  await open(page);
  await eidLogin(page, ERIKA.card, ERIKA.pin);
  await expect(page).toHaveURL(/\/konto\/vollmachten$/);
}

const granted = (page: Page) => page.locator('table[data-list="granted"]');
const received = (page: Page) => page.locator('table[data-list="received"]');

test('Jonas shows his code, Erika grants by keyboard, both see it, Jonas gives it back', async ({ page, browser }) => {
  test.setTimeout(120_000);
  // Jonas: the code, large, with its expiry.
  await loginJonas(page);
  await expect(page.getByText('Sie haben noch keine Vollmacht erteilt.')).toBeVisible();
  await page.getByRole('button', { name: 'Code anzeigen' }).click();
  const codeEl = page.locator('.mandates__code');
  await expect(codeEl).toHaveText(/^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/);
  await expect(page.getByText(/^gültig bis \d{2}:\d{2} Uhr$/)).toBeVisible();
  await expect(page.getByRole('status').filter({ hasText: 'Ihr Code wird angezeigt.' })).toHaveCount(1);
  const code = (await codeEl.textContent())!.trim();
  await expectNoAxeViolations(page);

  // Erika: keyboard only, from the heading.
  const erikaContext = await browser.newContext();
  const erika = await erikaContext.newPage();
  await loginErika(erika);
  const form = erika.locator('form.mandates__form');
  await expect(form).toBeVisible();
  await expectNoAxeViolations(erika);

  // Sent empty: the error summary takes the focus and links to the field.
  const submit = form.getByRole('button', { name: 'Vollmacht erteilen' });
  await erika.locator('#vollmacht-code').focus();
  await tabTo(erika, submit);
  await erika.keyboard.press('Enter');
  const summary = erika.locator('#vollmacht-fehler');
  await expect(summary).toBeFocused();
  await expect(summary).toContainText('Geben Sie den Code der bevollmächtigten Person ein.');
  await expect(erika.locator('#vollmacht-code')).toHaveAttribute('aria-invalid', 'true');
  await expectNoAxeViolations(erika);
  await tabTo(erika, summary.getByRole('link', { name: /Code der bevollmächtigten Person/ }));
  await erika.keyboard.press('Enter');
  const codeField = erika.locator('#vollmacht-code');
  await expect(codeField).toBeFocused();
  await expect(codeField).toHaveAttribute('autocomplete', 'off');
  await expect(codeField).toHaveAttribute('spellcheck', 'false');
  await expect(codeField).toHaveAttribute('autocapitalize', 'characters');
  // Typed as read out: lower case, with spaces.
  await erika.keyboard.type(code.toLowerCase().replace(/-/g, ' '));
  // "für alle Leistungen" is chosen already; the postbox right by Space.
  await expect(erika.getByLabel('für alle Leistungen')).toBeChecked();
  const postbox = erika.getByLabel('darf mein Postfach lesen');
  await tabTo(erika, postbox);
  await erika.keyboard.press('Space');
  await expect(postbox).toBeChecked();
  // The default end: one year ahead.
  await expect(erika.locator('#vollmacht-bis')).toHaveValue(/^\d{4}-\d{2}-\d{2}$/);
  await tabTo(erika, submit);
  await erika.keyboard.press('Enter');
  await expect(erika.getByRole('status').filter({ hasText: 'Die Vollmacht für Jonas Schmidt ist erteilt.' })).toHaveCount(1);
  await expect(summary).toHaveCount(0);
  // The new one (earlier specs may have left ended mandates between them).
  const fresh = granted(erika).locator('tr[data-state="active"]', { hasText: 'Jonas Schmidt' });
  await expect(fresh).toHaveCount(1);
  const id = await fresh.getAttribute('data-mandate');
  expect(id).toMatch(/^[0-9a-f-]{36}$/);
  const row = granted(erika).locator(`tr[data-mandate="${id}"]`);
  await expect(row).toContainText('Vollmacht');
  await expect(row).toContainText('alle Leistungen');
  await expect(row).toContainText('darf lesen');
  await expect(row).toContainText('gültig');
  await expect(row).toHaveAttribute('data-state', 'active');
  await expectNoAxeViolations(erika);

  // Jonas sees it among those granted to him.
  await page.reload();
  await waitForApp(page);
  const mine = received(page).locator(`tr[data-mandate="${id}"]`);
  await expect(mine).toContainText('gültig');
  await expect(mine).toContainText('darf lesen');
  await expectNoAxeViolations(page);

  // He gives it back, with a confirm step; focus goes to the notice.
  await mine.getByRole('button', { name: 'Vollmacht von Erika Mustermann zurückgeben' }).click();
  const question = mine.getByText('Wollen Sie die Vollmacht von Erika Mustermann wirklich zurückgeben?', { exact: false });
  await expect(question).toBeFocused();
  await expectNoAxeViolations(page);
  await mine.getByRole('button', { name: 'Ja, zurückgeben' }).click();
  const notice = page.locator('#vollmachten-hinweis');
  await expect(notice).toHaveText('Sie haben die Vollmacht von Erika Mustermann zurückgegeben.');
  await expect(notice).toBeFocused();
  await expect(received(page).locator(`tr[data-mandate="${id}"]`)).toContainText('von Ihnen zurückgegeben');

  // Erika's list says so; nothing is left to revoke.
  await erika.reload();
  await waitForApp(erika);
  const back = granted(erika).locator(`tr[data-mandate="${id}"]`);
  await expect(back).toHaveAttribute('data-state', 'returned');
  await expect(back.locator('.mandates__state')).toContainText('zurückgegeben');
  await expect(back.getByRole('button')).toHaveCount(0);
  await expect(erika.getByRole('heading', { name: 'Zugriffe durch Bevollmächtigte' })).toBeVisible();
  await erikaContext.close();
});

test('Max (Level-1) gets the step-up offer instead of the form', async ({ page }) => {
  await open(page);
  await passwordLogin(page, 'max.beispiel', 'Beispiel-Basis-1');
  await expect(page).toHaveURL(/\/konto\/vollmachten$/);
  await expect(page.getByText('Eine Vollmacht können Sie nur erteilen, wenn Sie mit ELSTER-Zertifikat oder Online-Ausweis angemeldet sind.', { exact: false })).toBeVisible();
  await expect(page.getByRole('button', { name: /Mit ELSTER-Zertifikat oder Online-Ausweis anmelden/ })).toBeVisible();
  await expect(page.locator('#vollmacht-code')).toHaveCount(0);
  // Receiving needs no level: the code is there for him too.
  await expect(page.getByRole('button', { name: 'Code anzeigen' })).toBeVisible();
  await expectNoAxeViolations(page);
});

test('/konto links to the mandates; the Leichte Sprache page explains them', async ({ page }) => {
  await page.goto('/leichte-sprache/vollmacht');
  await waitForApp(page);
  await expect(page.getByRole('heading', { level: 1, name: 'Was ist eine Voll·macht?' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Voll·machten' })).toHaveAttribute('href', '/konto/vollmachten');
  await expectNoAxeViolations(page);
  await page.goto('/konto/vollmachten');
  await waitForApp(page);
  await expect(page.getByRole('link', { name: 'Zurück zu Meine Daten' })).toHaveAttribute('href', '/konto');
  await expectNoAxeViolations(page);
});

test('Erika grants only services she finds with the catalogue search; Jonas sees them; she revokes', async ({ page, browser }) => {
  test.setTimeout(120_000);
  await loginJonas(page);
  await page.getByRole('button', { name: 'Code anzeigen' }).click();
  const codeEl = page.locator('.mandates__code');
  await expect(codeEl).toHaveText(/^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/);
  const code = (await codeEl.textContent())!.trim();

  const erikaContext = await browser.newContext();
  const erika = await erikaContext.newPage();
  await loginErika(erika);
  await erika.locator('#vollmacht-code').fill(code);
  await erika.getByLabel('nur für ausgewählte Leistungen').check();
  const search = erika.getByRole('searchbox', { name: 'Leistung suchen' });
  await expect(search).toBeVisible();

  // Sent without a service: the summary says so and leads to the search.
  const form = erika.locator('form.mandates__form');
  await form.getByRole('button', { name: 'Vollmacht erteilen' }).click();
  const summary = erika.locator('#vollmacht-fehler');
  await expect(summary).toBeFocused();
  await expect(summary).toContainText('Wählen Sie mindestens eine Leistung aus');
  await expect(erika.locator('#vollmacht-suche')).toHaveAttribute('aria-invalid', 'true');
  await expectNoAxeViolations(erika);

  // Enter searches at once (it does not send the form); the result is added.
  await search.fill('Parkausweis');
  await search.press('Enter');
  const add = erika.getByRole('button', { name: 'Bewohnerparkausweis beantragen hinzufügen' });
  await expect(add).toBeVisible();
  await add.click();
  const chosen = erika.getByRole('button', { name: 'Bewohnerparkausweis beantragen entfernen' });
  await expect(chosen).toBeVisible();
  await expect(erika.getByText('Noch keine Leistung ausgewählt.')).toHaveCount(0);
  // A second one, then taken out again.
  await search.fill('Hundesteuer');
  await search.press('Enter');
  await erika.getByRole('button', { name: /^Hundesteuer .* hinzufügen$/ }).first().click();
  const dog = erika.getByRole('button', { name: /^Hundesteuer .* entfernen$/ });
  await expect(dog).toHaveCount(1);
  await dog.click();
  await expect(dog).toHaveCount(0);
  await expect(chosen).toBeVisible();
  await expectNoAxeViolations(erika);

  await form.getByRole('button', { name: 'Vollmacht erteilen' }).click();
  await expect(erika.getByRole('status').filter({ hasText: 'Die Vollmacht für Jonas Schmidt ist erteilt.' })).toHaveCount(1);
  const fresh = granted(erika).locator('tr[data-state="active"]', { hasText: 'Bewohnerparkausweis beantragen' });
  await expect(fresh).toHaveCount(1);
  const id = await fresh.getAttribute('data-mandate');
  const row = granted(erika).locator(`tr[data-mandate="${id}"]`);
  await expect(row).toContainText('Jonas Schmidt');
  await expect(row).not.toContainText('alle Leistungen');
  await expect(row).not.toContainText('Hundesteuer');

  // Jonas sees the one service.
  await page.reload();
  await waitForApp(page);
  const mine = received(page).locator(`tr[data-mandate="${id}"]`);
  await expect(mine).toContainText('Bewohnerparkausweis beantragen');
  await expect(mine).toHaveAttribute('data-state', 'active');

  // Erika revokes it, behind a confirm step.
  await row.getByRole('button', { name: 'Vollmacht für Jonas Schmidt widerrufen' }).click();
  await row.getByRole('button', { name: 'Ja, widerrufen' }).click();
  await expect(erika.locator('#vollmachten-hinweis')).toHaveText('Die Vollmacht für Jonas Schmidt ist widerrufen.');
  await expect(granted(erika).locator(`tr[data-mandate="${id}"]`)).toHaveAttribute('data-state', 'revoked');
  await page.reload();
  await waitForApp(page);
  await expect(received(page).locator(`tr[data-mandate="${id}"]`)).toHaveAttribute('data-state', 'revoked');
  await erikaContext.close();
});
