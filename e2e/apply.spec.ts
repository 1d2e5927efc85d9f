// Issue 5: online applications, end to end against the stand-in.
import { test, expect, expectNoAxeViolations } from './fixtures';
import { SERVICES, applyUrl, startWithPassword, fillDate, next, sendAndConfirm, pdf, storedBytes } from './apply-helpers';

test('Hundesteuer: two dogs, a listed breed with its certificate, sent encrypted', async ({ page }) => {
  await startWithPassword(page, SERVICES.hund);
  await expectNoAxeViolations(page);
  await page.getByRole('link', { name: 'Antrag starten' }).click();

  // Step 1: prefilled from the account, editable at Level-1.
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Halterin oder Halter');
  await expect(page.getByText('Schritt 1 von 4')).toBeVisible();
  await expect(page.getByLabel('Vorname')).toHaveValue('Erika');
  await expect(page.getByLabel('Vorname')).not.toHaveAttribute('readonly', /.*/);
  await expectNoAxeViolations(page);
  await next(page);

  // Step 2: the dogs.
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Hunde');
  await next(page);
  await expect(page.getByRole('alert').filter({ hasText: 'Bitte prüfen Sie Ihre Angaben' })).toBeFocused();
  await expect(page).toHaveTitle(/^Fehler: /);
  await expectNoAxeViolations(page);
  const dog1 = page.getByRole('group', { name: 'Hund 1' });
  await dog1.getByLabel('Name des Hundes').fill('Bello');
  await dog1.getByLabel('Rasse oder Kreuzung').fill('Rottweiler');
  await fillDate(page, 'Beginn der Haltung', '1', '3', '2025');
  await dog1.getByRole('radio', { name: 'Ja' }).check();
  await dog1.getByLabel(/Sachkundenachweis/).setInputFiles(pdf('sachkunde.pdf', 'SACHKUNDE-BELLO'));
  await expect(dog1.getByText(/Ausgewählt: sachkunde\.pdf/)).toBeVisible();
  await dog1.getByLabel(/Aktenzeichen der Haltungserlaubnis/).fill('OA-2025-77');
  await page.getByRole('button', { name: /Weiteren Eintrag hinzufügen: Hund/ }).click();
  const dog2 = page.getByRole('group', { name: 'Hund 2' });
  await expect(dog2.getByLabel('Name des Hundes')).toBeFocused();
  await dog2.getByLabel('Name des Hundes').fill('Wuffi');
  await dog2.getByLabel('Rasse oder Kreuzung').fill('Dackel');
  await fillDate(page, 'Beginn der Haltung', '15', '6', '2024', 1);
  await dog2.getByRole('radio', { name: 'Nein' }).check();
  await expectNoAxeViolations(page);
  await next(page);

  // Step 3: contact (optional e-mail, prefilled).
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Kontakt');
  await next(page);

  // Review.
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Angaben prüfen');
  await expect(page.getByText('sachkunde.pdf')).toBeVisible();
  await expect(page.getByText('Nicht angegeben').first()).toBeVisible();
  await expectNoAxeViolations(page);
  const { reference } = await sendAndConfirm(page);
  expect(reference).toMatch(/[0-9a-f-]{36}/);
  await expectNoAxeViolations(page);

  // Only ciphertext at rest.
  const disk = storedBytes();
  for (const secret of ['Wuffi', 'OA-2025-77', 'SACHKUNDE-BELLO']) {
    expect(disk.includes(Buffer.from(secret)), `${secret} stored in plain text`).toBe(false);
  }
});
