// Issue 3: finding a service. Runs against the stand-in backends (seeded
// PVOG data: Köln = ARS 053150000000). Accessible locators only.
import type { Locator, Page } from '@playwright/test';
import { test, expect, expectNoAxeViolations, tabTo } from './fixtures';

const KOELN_ARS = '053150000000';

/** Chooses Köln in the "Wo wohnen Sie?" picker on the current page. */
async function chooseKoeln(page: Page): Promise<void> {
  await page.getByLabel('Wo wohnen Sie?').fill('Köln');
  await expect(page.getByRole('status').filter({ hasText: /Orte? gefunden/ })).toBeVisible();
  await page.getByRole('button', { name: /^Köln\b/ }).first().click();
  await expect(page.getByText(/Ihr Ort:\s*Köln/)).toBeVisible();
}

const results = (page: Page) => page.getByRole('list', { name: 'Suchergebnisse' });

/** Waits until the search page (not the static shell) is there. */
async function waitForSearch(page: Page): Promise<void> {
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Leistungen finden');
}

test.describe('Leistungen finden', () => {
  test('start page: search, place, Lebenslagen, popular services, accessible ways in', async ({ page }) => {
    await page.goto('/');
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Was möchten Sie erledigen?');
    await expect(page.getByRole('search')).toBeVisible();
    // On a desktop the field is wide enough for an ordinary query (it was
    // about 260 px).
    const box = await page.getByRole('search').getByRole('searchbox').boundingBox();
    expect(box!.width).toBeGreaterThan(400);
    await expect(page.getByLabel('Wo wohnen Sie?')).toBeVisible();
    const life = page.getByRole('region', { name: 'Lebenslagen' });
    await expect(life.getByRole('link').first()).toHaveAttribute('href', /^\/lebenslagen\/[a-z0-9-]+$/);
    const popular = page.getByRole('region', { name: 'Häufig gesucht' });
    await expect(popular.getByRole('listitem')).toHaveCount(6);
    await expect(page.getByRole('link', { name: 'Informationen in Leichter Sprache' })).toHaveAttribute('href', '/leichte-sprache');
    await expect(page.getByRole('link', { name: 'Informationen in Gebärdensprache' })).toHaveAttribute('href', '/gebaerdensprache');
    await expectNoAxeViolations(page);
  });

  test('place is remembered on the device', async ({ page }) => {
    await page.goto('/');
    await chooseKoeln(page);
    const stored = await page.evaluate(() => localStorage.getItem('buergeramt.ort'));
    expect(JSON.parse(stored ?? '{}')).toEqual({ ars: KOELN_ARS, name: 'Köln' });
    await page.reload();
    await expect(page.getByText(/Ihr Ort:\s*Köln/)).toBeVisible();
    await expect(page.getByRole('button', { name: 'Ort ändern' })).toBeVisible();
  });

  test('"perso" in Köln: Personalausweis first, then the Köln authority', async ({ page }) => {
    await page.goto('/');
    await chooseKoeln(page);
    await page.goto('/suche');
    // The remembered place goes into the URL.
    await expect(page).toHaveURL(new RegExp(`ort=${KOELN_ARS}`));
    await page.getByRole('searchbox', { name: 'Wonach suchen Sie?' }).pressSequentially('perso', { delay: 40 });
    // Results as you type; the URL follows (replace, not push).
    await expect(page).toHaveURL(/[?&]q=perso(&|$)/);
    await expect(page.getByRole('status').filter({ hasText: /\d+ Leistung(en)? gefunden/ })).toBeVisible();
    const first = results(page).getByRole('listitem').first();
    await expect(first.getByRole('link')).toHaveText(/Personalausweis/);
    await expect(first.getByText('Nur vor Ort')).toBeVisible();
    await expectNoAxeViolations(page);

    await first.getByRole('link').click();
    await expect(page).toHaveURL(new RegExp(`/leistungen/[^?]+\\?ort=${KOELN_ARS}`));
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(/Personalausweis/);
    const authority = page.getByRole('region', { name: 'Zuständige Stelle' });
    await expect(authority.getByRole('heading', { level: 3 })).toBeVisible();
    await expect(authority.getByText(/Köln/).first()).toBeVisible();
    await expect(authority.locator('a[href^="tel:"]').first()).toBeVisible();
    await expect(authority.locator('a[href^="mailto:"]').first()).toBeVisible();
    await expect(authority.getByText(/^Jetzt (geöffnet|geschlossen)/)).toBeVisible();
    await expect(authority.getByRole('table', { name: 'Öffnungszeiten nach Wochentag' })).toBeVisible();
    // The Personalausweis needs fingerprints and a signature in person:
    // no online claim, the way there instead.
    const inPerson = page.getByRole('region', { name: 'So beantragen Sie die Leistung vor Ort' });
    await expect(inPerson.getByText('Nur vor Ort')).toBeVisible();
    await expect(inPerson.getByText(/In Köln können Sie diese Leistung leider nicht online beantragen/)).toBeVisible();
    await expect(inPerson.getByText(/Rufen Sie am besten vorher an/)).toBeVisible();
    await expect(page.getByRole('link', { name: /Online beantragen|Zum Onlinedienst/ })).toHaveCount(0);
    await expectNoAxeViolations(page);
  });

  test('online means online: our form, another Onlinedienst (leaving the site, marked as sample data), or in person', async ({ page }) => {
    // Hundesteuer in Köln: our own form.
    await page.goto(`/suche?q=hundesteuer&ort=${KOELN_ARS}`);
    const hund = results(page).getByRole('listitem').first();
    await expect(hund.getByRole('link')).toHaveText(/Hundesteuer/);
    await expect(hund.getByText('Online möglich')).toBeVisible();
    await hund.getByRole('link').click();
    const ours = page.getByRole('region', { name: 'Online beantragen' });
    await expect(ours.getByText('Online möglich')).toBeVisible();
    await expect(ours.getByText(/Benutzername und Passwort genügt/)).toBeVisible();
    await expect(ours.locator('.sample-badge')).toHaveCount(0);
    const start = ours.getByRole('link', { name: 'Online beantragen' });
    await expect(start).toHaveAttribute('href', new RegExp(`^/antrag/99089005001000\\?ort=${KOELN_ARS}$`));
    await expectNoAxeViolations(page);
    // The application's start page loads its form first: the focus still
    // lands on its heading, not on `body`; and it is a form, not a dead end.
    await start.click();
    await expect(page).toHaveURL(/\/antrag\//);
    await expect(page.getByRole('heading', { level: 1 })).toBeFocused();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(/Hundesteuer/);
    await expect(page.getByRole('heading', { name: 'Was Sie brauchen' })).toBeVisible();
    // The certificate only for listed breeds, said so.
    await expect(page.getByText(/^als Datei: Sachkundenachweis \(nur wenn Sie „Gefährlicher Hund oder Hund bestimmter Rasse .*“ mit Ja beantworten\)$/)).toBeVisible();

    // Kindergeld: the Familienkasse's own Onlinedienst (invented here).
    await page.goto(`/suche?q=kindergeld&ort=${KOELN_ARS}`);
    const kind = results(page).getByRole('listitem').first();
    await expect(kind.getByRole('link')).toHaveText(/Kindergeld/);
    await expect(kind.getByText('Online möglich')).toBeVisible();
    await kind.getByRole('link').click();
    const external = page.getByRole('region', { name: 'Online beantragen' });
    await expect(external.getByText(/bei einem anderen Onlinedienst/)).toBeVisible();
    await expect(external.getByText(/Mit dem Knopf verlassen Sie diese Website/)).toBeVisible();
    await expect(external.locator('.sample-badge')).toHaveText('Beispieldaten');
    await expect(external.getByText(/Onlinedienst des Bundes \(Beispieldaten\)/)).toBeVisible();
    await expect(external.getByText(/Den Onlinedienst gibt es nicht/)).toBeVisible();
    const leave = external.getByRole('link', { name: 'Zum Onlinedienst (andere Website)' });
    await expect(leave).toHaveAttribute('href', /^https:\/\/onlinedienste\.example\//);
    await expect(leave).toHaveAttribute('rel', /\bexternal\b/);
    await expect(leave).toHaveAttribute('rel', /\bnoopener\b/);
    await expect(external.getByRole('link', { name: 'Online beantragen' })).toHaveCount(0);
    await expectNoAxeViolations(page);

    // Typed in by hand, our form's address for it says where to go instead.
    await page.goto(`/antrag/99041001001000?ort=${KOELN_ARS}`);
    await expect(page.getByText(/kein Antragsformular von Bürgeramt/)).toBeVisible();
    await expect(page.getByRole('link', { name: 'Zum Onlinedienst (andere Website)' })).toHaveAttribute('href', /^https:\/\//);
    await expectNoAxeViolations(page);
  });

  test('a postcode typed into the service search is carried over into the place field', async ({ page }) => {
    await page.goto('/suche');
    await waitForSearch(page);
    await page.getByRole('searchbox', { name: 'Wonach suchen Sie?' }).fill('50667');
    await page.getByRole('searchbox', { name: 'Wonach suchen Sie?' }).press('Enter');
    await expect(page.getByText(/„50667“ sieht aus wie eine Postleitzahl/)).toBeVisible();
    await expectNoAxeViolations(page);
    await page.getByRole('button', { name: 'Als Ort verwenden' }).click();
    await expect(page.getByLabel('Wo wohnen Sie?')).toHaveValue('50667');
    await expect(page.getByLabel('Wo wohnen Sie?')).toBeFocused();
    await expect(page.getByRole('button', { name: /^Köln\b/ }).first()).toBeVisible();
  });

  test('choosing the place on a service page keeps the focus on the choice while the page reloads', async ({ page }) => {
    // Hundesteuer (99089005001000) without a place: the page asks for one.
    await page.goto('/leistungen/99089005001000');
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(/Hund/);
    const placeInput = page.getByLabel('Wo wohnen Sie?');
    await tabTo(page, placeInput);
    await page.keyboard.type('Köln', { delay: 30 });
    const koeln = page.getByRole('button', { name: /^Köln\b/ }).first();
    await tabTo(page, koeln, 10);
    await page.keyboard.press('Enter');
    // The service is loaded again for Köln (the authority appears); the
    // focus is on the confirmation of the choice, not on `body`.
    const authority = page.getByRole('region', { name: 'Zuständige Stelle' });
    await expect(authority.getByText(/Köln/).first()).toBeVisible();
    await expect(page).toHaveURL(new RegExp(`ort=${KOELN_ARS}`));
    await expect(page.getByText(/Ihr Ort:\s*Köln/)).toBeFocused();
    await expectNoAxeViolations(page);
  });

  test('the same journey by keyboard alone', async ({ page }) => {
    await page.goto('/');
    const placeInput = page.getByLabel('Wo wohnen Sie?');
    await tabTo(page, placeInput);
    await page.keyboard.type('Köln', { delay: 30 });
    const koeln = page.getByRole('button', { name: /^Köln\b/ }).first();
    await expect(koeln).toBeVisible();
    await tabTo(page, koeln, 10);
    await page.keyboard.press('Enter');
    await expect(page.getByText(/Ihr Ort:\s*Köln/)).toBeVisible();
    // The chosen option is gone with the list; the focus confirms the choice.
    await expect(page.getByText(/Ihr Ort:\s*Köln/)).toBeFocused();

    // Back to the search field at the top (Shift+Tab would also do; start over from the skip link).
    await page.goto('/suche');
    const field = page.getByRole('searchbox', { name: 'Wonach suchen Sie?' });
    await tabTo(page, field);
    await page.keyboard.type('perso', { delay: 40 });
    const firstLink = results(page).getByRole('listitem').first().getByRole('link');
    await expect(firstLink).toHaveText(/Personalausweis/);
    await tabTo(page, firstLink);
    await page.keyboard.press('Enter');
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(/Personalausweis/);
    await expect(page.getByRole('heading', { level: 1 })).toBeFocused();
    const authority = page.getByRole('region', { name: 'Zuständige Stelle' });
    await expect(authority.locator('a[href^="tel:"]').first()).toBeVisible();
  });

  test('filters are a fieldset and live in the URL', async ({ page }) => {
    await page.goto(`/suche?q=ausweis&ort=${KOELN_ARS}`);
    const filters = page.getByRole('group', { name: 'Ergebnisse eingrenzen' });
    await filters.getByLabel('Nur Leistungen, die ich online beantragen kann').check();
    await expect(page).toHaveURL(/online=1/);
    await filters.getByRole('radio', { name: 'Für Unternehmen' }).check();
    await expect(page).toHaveURL(/zielgruppe=unternehmen/);
    await filters.getByRole('radio', { name: 'Bund', exact: true }).check();
    await expect(page).toHaveURL(/ebene=bund/);
    await page.reload();
    await expect(filters.getByLabel('Nur Leistungen, die ich online beantragen kann')).toBeChecked();
    await expect(filters.getByRole('radio', { name: 'Für Unternehmen' })).toBeChecked();
  });

  test('no results: help, tips and ways out', async ({ page }) => {
    await page.goto(`/suche?q=xqzvwk&ort=${KOELN_ARS}`);
    await expect(page.getByRole('status').filter({ hasText: 'Keine Leistungen gefunden' })).toBeVisible();
    await expect(page.getByRole('heading', { name: 'Zu Ihrer Suche haben wir keine Leistung gefunden' })).toBeVisible();
    await expect(page.getByText('Prüfen Sie die Schreibweise.')).toBeVisible();
    await expect(page.getByRole('link', { name: 'Hilfe zur Suche und häufige Fragen' })).toHaveAttribute('href', '/hilfe');
    await expect(page.getByRole('link', { name: 'Leistungen nach Lebenslagen ansehen' })).toBeVisible();
    await expectNoAxeViolations(page);
  });

  test('a typo is forgiven: the misspelt service comes first', async ({ page }) => {
    await page.goto(`/suche?q=personalauswies&ort=${KOELN_ARS}`);
    // The relay corrects the typo (docs/relay.md, query understanding): the
    // Personalausweis itself is the first hit, not just any result.
    const first = results(page).getByRole('listitem').first().getByRole('link');
    await expect(first).toHaveText(/Personalausweis/);
  });

  test('Lebenslage page lists its services', async ({ page }) => {
    await page.goto('/');
    const tile = page.getByRole('region', { name: 'Lebenslagen' }).getByRole('link').first();
    const name = (await tile.locator('.tile__name').textContent())?.trim() ?? '';
    await tile.click();
    await expect(page).toHaveURL(/\/lebenslagen\/[a-z0-9-]+$/);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(name);
    await expect(page.getByRole('heading', { level: 2 })).toHaveText(/Leistung(en)? gefunden/);
    await expect(page.getByRole('main').getByRole('heading', { level: 3 }).first().getByRole('link')).toHaveAttribute('href', /^\/leistungen\//);
    await expectNoAxeViolations(page);
  });

  test('overview: tile map with legend, table and places per service', async ({ page }) => {
    await page.goto('/uebersicht');
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(/Übersicht/);
    await expect(page.getByRole('img', { name: /Karte der 53 Kreise/ })).toBeVisible();
    await expect(page.getByText('80 bis 100 Prozent')).toBeVisible();
    const table = page.getByRole('table', { name: 'Online-Leistungen je Kreis und kreisfreier Stadt' });
    await expect(table.getByRole('row')).toHaveCount(54); // header + 53 regions
    await expect(table.getByRole('rowheader', { name: 'Köln', exact: true })).toBeVisible();
    const select = page.getByLabel('Leistung auswählen');
    await expect(select).toBeVisible();
    await expect(page.getByText(/An \d+ Orten online möglich\./)).toBeVisible();
    await expectNoAxeViolations(page);
  });
});
