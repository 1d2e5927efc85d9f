// The console's audit log (#18) in a browser: reached from the header's
// navigation, the hash chain checked, the clerk's own login as the newest
// entry, the filter by Vorgang, no axe violation (WCAG 2.x A/AA), no script.
import { test, expect, expectNoAxeViolations } from './fixtures';
import { consoleOrigin } from './apply-helpers';

test.describe('Behördenkonsole: Protokoll', () => {
  test('the clerk reads the audit log: chain checked, newest first, filtered, accessible', async ({ page }) => {
    await page.goto(`${consoleOrigin()}/behoerde/anmelden`);
    await page.getByLabel('Benutzername').fill('sachbearbeitung');
    await page.getByLabel('Passwort').fill('Amt-NRW-2026');
    await page.getByRole('button', { name: /Anmelden/ }).click();
    await expect(page).toHaveURL(/\/behoerde\/eingang/);

    await page.getByRole('navigation', { name: 'Konsole' }).getByRole('link', { name: 'Protokoll' }).click();
    await expect(page).toHaveURL(/\/behoerde\/protokoll$/);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Protokoll');
    await expect(page.getByText('Protokoll geprüft: unverändert')).toBeVisible();
    expect(await page.locator('script').count(), 'no scripts on the console page').toBe(0);

    const table = page.getByRole('table');
    for (const column of ['Nr.', 'Zeit (UTC)', 'Wer', 'Aktion', 'Antrag', 'Einzelheiten', 'Ergebnis']) {
      await expect(table.getByRole('columnheader', { name: column, exact: true })).toBeVisible();
    }
    // Newest first: the login that just happened.
    const newest = table.locator('tbody tr').first();
    await expect(newest).toContainText('Anmeldung');
    await expect(newest).toContainText('sachbearbeitung (Konsole)');
    await expect(newest).toContainText(/Sitzung [0-9a-f]{12}/);
    await expect(newest).toContainText('erledigt');
    await expectNoAxeViolations(page);

    // The filter: an id without entries.
    const unknown = '00000000-0000-4000-8000-000000000000';
    await page.getByLabel('Vorgang').fill(unknown);
    await page.getByRole('button', { name: 'Einträge zeigen' }).click();
    await expect(page).toHaveURL(new RegExp(`vorgang=${unknown}`));
    await expect(page.getByText('Keine Einträge', { exact: true })).toBeVisible();
    await expect(page.getByLabel('Vorgang')).toHaveValue(unknown);
    await expectNoAxeViolations(page);

    await page.getByRole('link', { name: 'Alle Einträge zeigen' }).click();
    await expect(page).toHaveURL(/\/behoerde\/protokoll$/);
    await expect(page.getByRole('table').locator('tbody tr').first()).toContainText('Anmeldung');
  });
});
