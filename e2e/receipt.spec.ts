// The confirmation's receipt (issue #15): printed, it holds the reference,
// the authority and the answers as sent; the answers are shown only right
// after sending (from memory, never stored), so a reload drops them.
import { test, expect, expectNoAxeViolations, waitForApp } from './fixtures';
import { SERVICES, startWithPassword, sendHundesteuer } from './apply-helpers';

test('the printed receipt holds reference, authority and the answers; after a reload only the receipt', async ({ page }) => {
  await page.addInitScript(() => {
    // Count the print dialogs the button opens (a real one would block).
    (window as any).__printed = 0;
    window.print = () => { (window as any).__printed += 1; };
  });
  await startWithPassword(page, SERVICES.hund);
  await page.getByRole('link', { name: 'Antrag starten' }).click();
  const { reference } = await sendHundesteuer(page, 'Quittung');
  expect(reference).toMatch(/^HST-\d{4}-\d{6}$/);

  const answers = page.getByRole('region', { name: 'Ihre Angaben' });
  await expect(answers).toBeVisible();
  await expect(answers.getByRole('heading', { level: 3, name: 'Hunde' })).toBeVisible();
  await expect(answers).toContainText('Quittung');
  await expect(answers).toContainText('Dackel');
  // Read-only: nothing links back into the form.
  await expect(answers.getByRole('link')).toHaveCount(0);
  await expectNoAxeViolations(page);

  await page.getByRole('button', { name: /Drucken|Bestätigung drucken/ }).click();
  expect(await page.evaluate(() => (window as any).__printed)).toBe(1);

  // What the printer gets: the receipt and the answers, no navigation or buttons.
  await page.emulateMedia({ media: 'print' });
  await expect(page.locator('.apply-receipt')).toContainText(reference);
  await expect(page.locator('.apply-receipt')).toContainText('Steueramt Köln');
  await expect(answers).toBeVisible();
  await expect(answers).toContainText('Quittung');
  await expect(page.getByRole('navigation', { name: 'Hauptnavigation' })).toBeHidden();
  await expect(page.getByRole('button', { name: /Drucken|Bestätigung drucken/ })).toBeHidden();
  await page.emulateMedia({ media: 'screen' });

  // After a reload the receipt is read back from the relay; the answers
  // were never stored, so they are gone.
  await page.reload();
  await waitForApp(page);
  await expect(page.locator('.apply-reference').first()).toHaveText(reference);
  await expect(page.getByRole('region', { name: 'Ihre Angaben' })).toHaveCount(0);
  await expect(page.getByText('Quittung')).toHaveCount(0);
});
