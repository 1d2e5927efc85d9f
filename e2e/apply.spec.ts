// Issue 5: online applications, end to end against the stand-in.
import { test, expect, expectNoAxeViolations, tabTo } from './fixtures';
import { SERVICES, JONAS, applyUrl, startWithPassword, fillDate, next, sendAndConfirm, pdf, storedBytes } from './apply-helpers';

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

test('Wahlschein by keyboard alone: other mailing address only when chosen, declaration required', async ({ page }) => {
  await startWithPassword(page, SERVICES.wahl);
  const start = page.getByRole('link', { name: 'Antrag starten' });
  await tabTo(page, start);
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Ihre Daten');
  const weiter = page.getByRole('button', { name: 'Weiter', exact: true });
  await tabTo(page, weiter);
  await page.keyboard.press('Enter');

  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Wahl');
  await tabTo(page, page.getByRole('radio', { name: 'Landtagswahl NRW 2027' }));
  await page.keyboard.press('Space');
  await tabTo(page, weiter);
  await page.keyboard.press('Enter');

  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Versand');
  await expect(page.getByRole('group', { name: 'Abweichende Versandanschrift' })).toHaveCount(0);
  // In a radio group Tab reaches the first radio; arrows choose.
  await tabTo(page, page.getByRole('radio', { name: 'Wohnanschrift' }));
  await page.keyboard.press('ArrowDown');
  await expect(page.getByRole('radio', { name: 'Andere Anschrift' })).toBeChecked();
  const other = page.getByRole('group', { name: 'Abweichende Versandanschrift' });
  await expect(other).toBeVisible();
  await tabTo(page, other.getByLabel('Straße und Hausnummer'));
  await page.keyboard.type('Urlaubsweg 3');
  await page.keyboard.press('Tab');
  await page.keyboard.type('18546');
  await page.keyboard.press('Tab');
  await page.keyboard.type('Sassnitz');
  await tabTo(page, weiter);
  await page.keyboard.press('Enter');
  // The country is required: the summary says so and links to it.
  const summary = page.getByRole('alert').filter({ hasText: 'Bitte prüfen Sie Ihre Angaben' });
  await expect(summary).toBeFocused();
  await expect(summary).toContainText('Geben Sie „Staat“ an.');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await expect(other.getByLabel('Staat')).toBeFocused();
  await page.keyboard.type('Deutschland');
  await tabTo(page, weiter);
  await page.keyboard.press('Enter');

  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Versicherung');
  await tabTo(page, weiter);
  await page.keyboard.press('Enter');
  await expect(summary).toContainText('Setzen Sie das Häkchen');
  await tabTo(page, page.getByRole('checkbox', { name: /Ich versichere, dass ich den Wahlschein/ }));
  await page.keyboard.press('Space');
  await tabTo(page, weiter);
  await page.keyboard.press('Enter');

  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Angaben prüfen');
  await expect(page.getByText('Urlaubsweg 3')).toBeVisible();
  await tabTo(page, page.getByRole('checkbox', { name: /richtig und vollständig/ }));
  await page.keyboard.press('Space');
  await tabTo(page, page.getByRole('button', { name: 'Antrag verschlüsselt senden' }));
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Antrag gesendet', { timeout: 30_000 });
  await expect(page.getByText('Ihr Antrag wurde verschlüsselt gesendet')).toBeVisible();
});

test('Bewohnerparkausweis: wrong file type and oversize file are refused clearly; the registration is uploaded', async ({ page }) => {
  await startWithPassword(page, SERVICES.park);
  await page.getByRole('link', { name: 'Antrag starten' }).click();
  await next(page);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Fahrzeug');
  await page.getByLabel('Amtliches Kennzeichen').fill('k-ab 1234');
  await page.getByRole('radio', { name: 'Ich selbst' }).check();
  const upload = page.getByLabel(/Zulassungsbescheinigung Teil I/);
  await upload.setInputFiles({ name: 'virus.exe', mimeType: 'application/x-msdownload', buffer: Buffer.from('MZ') });
  await expect(page.getByText(/Diese Dateiart geht nicht\. Wählen Sie eine Datei im Format PDF, JPEG oder PNG/)).toBeVisible();
  await upload.setInputFiles({ name: 'riesig.pdf', mimeType: 'application/pdf', buffer: Buffer.alloc(10 * 1024 * 1024 + 1) });
  await expect(page.getByText(/Die Datei ist zu groß\. Sie darf höchstens 10 MB groß sein/)).toBeVisible();
  await expectNoAxeViolations(page);
  await upload.setInputFiles({ name: 'zb1.png', mimeType: 'image/png', buffer: Buffer.from('\x89PNG\r\n\x1a\nFAHRZEUGSCHEIN') });
  await expect(page.getByText(/Ausgewählt: zb1\.png/)).toBeVisible();
  await next(page);
  // The pattern wants capitals: the message says how, from the hint.
  await expect(page.getByRole('alert')).toContainText('Geben Sie „Amtliches Kennzeichen“ im richtigen Format an. Mit Bindestrich und Leerzeichen');
  await page.getByLabel('Amtliches Kennzeichen').fill('K-AB 1234');
  await next(page);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Ausweis');
  await page.getByRole('radio', { name: '2 Jahre' }).check();
  await next(page);
  await sendAndConfirm(page);
});

test('Gewerbeanmeldung needs Level-3: step-up with ELSTER, then numbers and conditions', async ({ page }) => {
  await page.goto(applyUrl(SERVICES.gewerbe));
  await expect(page.getByRole('heading', { name: 'Höheres Vertrauensniveau nötig' })).toBeVisible();
  await expectNoAxeViolations(page);
  await page.getByRole('button', { name: /Mit ELSTER-Zertifikat oder Online-Ausweis anmelden/ }).click();
  await expect(page).toHaveURL(/\/idp\/login\//);
  await page.getByLabel(JONAS.cert).check();
  await page.getByLabel('PIN (Passwort) des Zertifikats').fill(JONAS.pin);
  await page.getByRole('button', { name: 'Mit ELSTER-Zertifikat anmelden' }).click();
  await expect(page).toHaveURL(new RegExp(`/antrag/${SERVICES.gewerbe}`));
  await page.getByRole('link', { name: 'Antrag starten' }).click();
  await expect(page.getByLabel('Vorname')).toHaveValue('Jonas');
  await page.getByLabel('Geburtsort').fill('Münster');
  await page.getByLabel('Staatsangehörigkeit').fill('deutsch');
  await next(page);
  await page.getByRole('radio', { name: 'Einzelunternehmen' }).check();
  await page.getByRole('radio', { name: 'Hauptniederlassung' }).check();
  const site = page.getByRole('group', { name: 'Anschrift der Betriebsstätte' });
  await site.getByLabel('Straße und Hausnummer').fill('Ringstraße 5');
  await site.getByLabel('Postleitzahl').fill('50667');
  await site.getByLabel('Ort').fill('Köln');
  await next(page);
  await page.getByLabel('Angemeldete Tätigkeit').fill('Einzelhandel mit Fahrrädern');
  await fillDate(page, 'Beginn der Tätigkeit', '1', '2', '2027');
  await page.getByLabel('Zahl der Beschäftigten').fill('drei');
  await page.getByRole('group', { name: 'Im Nebenerwerb' }).getByRole('radio', { name: 'Nein' }).check();
  await next(page);
  await expect(page.getByRole('alert')).toContainText('Geben Sie bei „Zahl der Beschäftigten“ eine ganze Zahl ein');
  await page.getByLabel('Zahl der Beschäftigten').fill('3');
  await next(page);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Erlaubnis');
  await page.getByRole('radio', { name: 'Ja' }).check();
  await page.getByLabel(/Erlaubnis oder Handwerkskarte/).setInputFiles(pdf('handwerkskarte.pdf'));
  await expect(page.getByText(/Ausgewählt: handwerkskarte\.pdf/)).toBeVisible();
  await next(page);
  await sendAndConfirm(page);
});
