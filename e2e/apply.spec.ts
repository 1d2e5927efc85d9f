// Issue 5: online applications, end to end against the stand-in.
import { test, expect, expectNoAxeViolations, tabTo, passwordLogin, eidLogin, startExtraServer, waitForApp, type ExtraServers } from './fixtures';
import { SERVICES, ERIKA, KOELN, fillAndSave, JONAS, authorityView, authorityFile, ownSubmissions, startWithEid, applyUrl, startWithPassword, fillDate, next, sendAndConfirm, pdf, storedBytes } from './apply-helpers';
import { citizenClient } from './fitconnect-client';

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
  await expect(page.getByRole('alert').filter({ hasText: 'Es gibt ein Problem' })).toBeFocused();
  await expect(page).toHaveTitle(/^Fehler: /);
  // One dog only: its messages are not numbered ("Hund 1: …").
  const errors = page.getByRole('alert').filter({ hasText: 'Es gibt ein Problem' });
  await expect(errors.getByRole('link').first()).toBeVisible();
  await expect(errors.getByRole('link', { name: /^Hund \d/ })).toHaveCount(0);
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
  const { reference, submission } = await sendAndConfirm(page);
  // One short reference, the relay's, not FIT-Connect's UUIDs.
  expect(reference).toMatch(/^HST-\d{4}-\d{6}$/);
  await expect(page.getByText(submission)).toHaveCount(0);
  await expectNoAxeViolations(page);

  // The authority decrypts exactly what was typed.
  const seen = await authorityView(page, submission);
  expect(seen.status).toBe('submitted');
  // It travelled inside the encrypted metadata; the console shows it.
  expect(seen.metadata.additionalReferenceInfo.senderReference).toBe(reference);
  expect(seen.reference).toBe(reference);
  expect(seen.data).toEqual({
    F60000228: 'Erika',
    F60000227: 'Mustermann',
    F60000229: seen.data.F60000229,
    G60000086: seen.data.G60000086,
    G99100001: [
      {
        F99100002: 'Bello',
        F99100003: 'Rottweiler',
        F99100004: '2025-03-01',
        F99100005: true,
        F99100006: seen.attachments[0].attachmentId,
        F99100008: 'OA-2025-77',
      },
      { F99100002: 'Wuffi', F99100003: 'Dackel', F99100004: '2024-06-15', F99100005: false },
    ],
    F60000240: seen.data.F60000240,
  });
  expect(seen.data.F60000229).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  expect(seen.attachments.map((a: any) => [a.filename, a.mimeType])).toEqual([['sachkunde.pdf', 'application/pdf']]);
  const file = await authorityFile(page, submission, seen.attachments[0].attachmentId);
  expect(file.toString()).toContain('SACHKUNDE-BELLO');

  // Where it stands, and what the account disclosed.
  await page.getByRole('link', { name: 'Zu „Meine Anträge“' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Meine Anträge');
  await expect(page.locator('main')).toContainText('Hundesteuer anmelden');
  await expect(page.locator('main')).toContainText('Gesendet');
  await expectNoAxeViolations(page);
  await page.goto('/konto');
  const disclosed = page.getByRole('region', { name: 'Übermittelte Daten' });
  await expect(disclosed).toContainText('Steueramt Köln');
  await expect(disclosed).toContainText('Vorname');

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
  const summary = page.getByRole('alert').filter({ hasText: 'Es gibt ein Problem' });
  await expect(summary).toBeFocused();
  await expect(summary).toContainText('Geben Sie „Staat“ an.');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await expect(other.getByLabel('Staat')).toBeFocused();
  // The same message sits at the field, read with it.
  await expect(other.getByLabel('Staat')).toHaveAttribute('aria-invalid', 'true');
  await expect(other.getByLabel('Staat')).toHaveAccessibleDescription(/Geben Sie „Staat“ an\./);
  await expect(other.getByLabel('Postleitzahl')).not.toHaveAttribute('aria-invalid', /.*/);
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
  // Not logged in at all: a login is needed, not a "higher" level.
  await expect(page.getByRole('heading', { name: 'Anmeldung nötig' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Höheres Vertrauensniveau nötig' })).toHaveCount(0);
  await expect(page.getByText(/Ihre Eingaben bleiben erhalten/)).toBeVisible();
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
  // Inline at the text field too, and gone once it is put right.
  const staff = page.getByLabel('Zahl der Beschäftigten');
  await expect(staff).toHaveAttribute('aria-invalid', 'true');
  await expect(staff).toHaveAccessibleDescription(/eine ganze Zahl/);
  await expect(page.getByLabel('Angemeldete Tätigkeit')).not.toHaveAttribute('aria-invalid', /.*/);
  await page.getByLabel('Zahl der Beschäftigten').fill('3');
  await next(page);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Erlaubnis');
  await page.getByRole('radio', { name: 'Ja' }).check();
  await page.getByLabel(/Erlaubnis oder Handwerkskarte/).setInputFiles(pdf('handwerkskarte.pdf'));
  await expect(page.getByText(/Ausgewählt: handwerkskarte\.pdf/)).toBeVisible();
  await next(page);
  await sendAndConfirm(page);
});

test('Wohnsitz anmelden (Level-4): verified data locked, a person moving along, the landlord confirmation', async ({ page }) => {
  await startWithEid(page, SERVICES.wohnsitz);
  await page.getByRole('link', { name: 'Antrag starten' }).click();
  const vorname = page.getByLabel('Vorname');
  await expect(vorname).toHaveValue('Erika');
  await expect(vorname).toHaveAttribute('readonly', '');
  // Why the fields are locked is said once for the step (not under each
  // of them); each locked field only says that it is verified.
  await expect(page.getByRole('heading', { name: 'Geprüfte Angaben aus Ihrem Online-Ausweis' })).toHaveCount(1);
  await expect(page.getByText(/muss die Behörde sicher wissen, wer den Antrag stellt/)).toHaveCount(1);
  expect(await page.getByText(/Geprüft, hier nicht änderbar\./).count()).toBeGreaterThan(1);
  // A locked field cannot be changed by typing.
  await vorname.focus();
  await page.keyboard.type('XYZ');
  await expect(vorname).toHaveValue('Erika');
  // The eID's nationality code reads as a word.
  await expect(page.getByLabel('Staatsangehörigkeit')).toHaveValue('deutsch (D)');
  await expectNoAxeViolations(page);
  await next(page);

  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Neue Wohnung');
  const neu = page.getByRole('group', { name: 'Neue Anschrift' });
  await neu.getByLabel('Straße und Hausnummer').fill('Domkloster 4');
  await neu.getByLabel('Postleitzahl').fill('50667');
  await neu.getByLabel('Ort').fill('Köln');
  await fillDate(page, 'Einzugsdatum', '20', '11', '2026');
  await page.getByRole('radio', { name: 'alleinige Wohnung' }).check();
  await next(page);

  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Bisherige Wohnung');
  await expect(page.getByRole('group', { name: 'Bisherige Anschrift' }).getByLabel('Straße und Hausnummer')).toHaveValue('Heidestraße 17');
  await next(page);

  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Mitziehende Personen');
  await page.getByRole('button', { name: /Weiteren Eintrag hinzufügen/ }).click();
  const p1 = page.getByRole('group', { name: /^Person 1$/ });
  await p1.getByLabel('Vorname').fill('Max');
  await p1.getByLabel('Familienname').fill('Mustermann');
  await fillDate(page, 'Geburtsdatum', '2', '2', '2010');
  await p1.getByRole('radio', { name: 'Kind' }).check();
  await expectNoAxeViolations(page);
  await next(page);

  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Wohnungsgeberbestätigung');
  await page.getByLabel(/Wohnungsgeberbestätigung/).setInputFiles(pdf('wohnungsgeber.pdf', 'VERMIETER-BESTAETIGT'));
  await expect(page.getByText(/Ausgewählt: wohnungsgeber\.pdf/)).toBeVisible();
  await next(page);
  await expect(page.getByText('deutsch (D)', { exact: true })).toBeVisible();
  const { submission } = await sendAndConfirm(page);
  const seen = await authorityView(page, submission);
  expect(seen.data.F60000228).toBe('Erika');
  // The authority gets the eID's code, not the words.
  expect(seen.data.F60000231).toBe('D');
  expect(seen.data.G99500004).toEqual([
    { F60000228: 'Max', F60000227: 'Mustermann', F60000229: '2010-02-02', F99500005: 'Kind' },
  ]);
  expect(seen.data.G99500001).toEqual({ F60000243: 'Domkloster 4', F60000246: '50667', F60000247: 'Köln' });
  expect((await authorityFile(page, submission, seen.data.F99500006)).toString()).toContain('VERMIETER-BESTAETIGT');
});

test('a locked eID field changed behind the form is refused by the authority, and Meine Anträge says so', async ({ page }) => {
  await startWithEid(page, SERVICES.wohnsitz);
  // A browser scripted around the form: the surname is locked (eID,
  // Level 4), but nothing stops a script from sending another one. The
  // relay's attestation carries the eID's value; the authority compares.
  const fc = await citizenClient(page);
  const landlord = '4b0c7a52-1d2e-4f3a-9c1b-6a2f0e7d5c22';
  const sent = await fc.send({
    leikaKey: '99115001001000',
    ars: KOELN,
    serviceName: 'Wohnsitz anmelden',
    data: {
      F60000228: 'Erika',
      F60000227: 'Musterfrau',
      F60000229: '1964-08-12',
      F60000230: 'Berlin',
      F60000231: 'D',
      G99500001: { F60000243: 'Domkloster 4', F60000246: '50667', F60000247: 'Köln' },
      F99500002: '2026-11-20',
      F99500003: 'alleinige Wohnung',
      G60000086: { F60000243: 'Heidestraße 17', F60000246: '51147', F60000247: 'Köln' },
      F99500006: landlord,
    },
    attachments: [{ id: landlord, bytes: new TextEncoder().encode('%PDF-1.4 Vermieter'), mimeType: 'application/pdf', filename: 'wohnungsgeber.pdf' }],
  });
  // The Zustelldienst takes it (it cannot read it) ...
  expect(sent.status).toBe('submitted');
  // ... the authority's subscriber decrypts, compares and rejects it.
  const statusOf = async () => (await fc.submissions()).find((s) => s.submissionId === sent.submissionId)?.status;
  await expect.poll(statusOf).toBe('rejected');
  const log = await fc.events(sent.caseId);
  const reject = JSON.parse(Buffer.from(log[log.length - 1].split('.')[1], 'base64url').toString());
  const problems = reject.events['https://schema.fitko.de/fit-connect/events/reject-submission'].problems;
  expect(problems.map((p: { title: string; instance: string }) => [p.title, p.instance])).toContainEqual(['Geprüfte Angabe geändert', '/F60000227']);
  expect(JSON.stringify(problems)).not.toContain('Musterfrau');

  await page.goto('/antraege');
  await waitForApp(page);
  await expect(page.locator(`article.application[data-case="${sent.caseId}"]`)).toHaveAttribute('data-status', 'rejected');
});

test('Führungszeugnis (Level-4): fee before starting, purpose fields only for an authority, no fee for voluntary work, sent', async ({ page }) => {
  await page.goto(applyUrl(SERVICES.fz));
  await expect(page.getByText('13,00 €')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Mit Online-Ausweis anmelden (Vertrauensniveau hoch)' })).toBeVisible();
  await expectNoAxeViolations(page);
  await startWithEid(page, SERVICES.fz);
  await page.getByRole('link', { name: 'Antrag starten' }).click();
  await expect(page.getByLabel('Geburtsname')).toHaveValue('Gabler');
  await next(page);
  await page.getByRole('radio', { name: 'Führungszeugnis', exact: true }).check();
  await next(page);
  await expect(page.getByLabel('Name und Anschrift der Behörde')).toHaveCount(0);
  await page.getByRole('radio', { name: 'Vorlage bei einer Behörde' }).check();
  await next(page);
  await expect(page.getByRole('alert')).toContainText('Geben Sie „Name und Anschrift der Behörde“ an.');
  await expectNoAxeViolations(page);
  await page.getByLabel('Name und Anschrift der Behörde').fill('Jugendamt Köln, Ottmar-Pohl-Platz 1, 51103 Köln');
  await page.getByLabel('Aktenzeichen der Behörde').fill('JA-51-2026-0815');
  // For voluntary work the fee rule waives the fee: no fee step, the
  // authority's fields go away again.
  await page.getByRole('radio', { name: 'Ehrenamtliche Tätigkeit' }).check();
  await expect(page.getByLabel('Name und Anschrift der Behörde')).toHaveCount(0);
  await next(page);
  const { submission } = await sendAndConfirm(page);
  await expect(page.getByText('Keine Gebühr: Gebührenbefreiung für eine ehrenamtliche Tätigkeit')).toBeVisible();
  const seen = await authorityView(page, submission);
  expect(seen.data.F99600003).toBe('Ehrenamtliche Tätigkeit');
  expect(seen.data.F99600005).toBeUndefined();
  expect(seen.data.F60000232).toBe('Gabler');
  // The relay attests the waiver and the answer it was computed from.
  expect(seen.attestation.payment.state).toBe('WAIVED');
  expect(seen.attestation.payment.amount).toBe(0);
  expect(seen.attestation.payment.feeBasis).toEqual({ F99600003: 'Ehrenamtliche Tätigkeit' });
  expect(seen.metadata.paymentInformation).toBeUndefined();
  // The identification report is the relay's signed attestation; the
  // authority verified it and states the level of the actual login.
  expect(seen.metadata.authenticationInformation[0].type).toBe('identificationReport');
  expect(seen.attestation.levelOfAssurance).toBe('STORK-QAA-Level-4');
  expect(seen.attestation.submissionId).toBe(submission);
});

test('nothing typed is lost: reload, a new tab sharing the login, and another account sees nothing', async ({ page, context }) => {
  await startWithPassword(page, SERVICES.hund);
  await page.getByRole('link', { name: 'Antrag starten' }).click();
  await next(page);
  const dog1 = page.getByRole('group', { name: 'Hund 1' });
  await fillAndSave(page, dog1.getByLabel('Name des Hundes'), 'Entwurfshund');
  await expect(page.getByText(/Entwurf gespeichert um/)).toBeVisible();
  await page.reload();
  await expect(page.getByRole('group', { name: 'Hund 1' }).getByLabel('Name des Hundes')).toHaveValue('Entwurfshund');

  // A new tab shares the login (the relay's cookie): the draft is there at once.
  const tab = await context.newPage();
  await tab.goto(applyUrl(SERVICES.hund, 'schritt/hunde'));
  await expect(tab.getByRole('group', { name: 'Hund 1' }).getByLabel('Name des Hundes')).toHaveValue('Entwurfshund');
  // The start page offers to continue.
  await tab.goto(applyUrl(SERVICES.hund));
  await expect(tab.getByRole('link', { name: 'Weiter ausfüllen' })).toBeVisible();
  await tab.close();

  // Another account on the same device (Erika logs out, Max logs in, in a
  // fresh tab): no trace of Erika's draft.
  const other = await context.newPage();
  await other.goto('/konto');
  await other.getByRole('main').getByRole('button', { name: 'Abmelden', exact: true }).click();
  await expect(other).toHaveURL(/\/$/);
  await other.goto(applyUrl(SERVICES.hund));
  await other.getByRole('button', { name: 'Anmelden' }).first().click();
  await passwordLogin(other, 'max.beispiel', 'Beispiel-Basis-1');
  await expect(other.getByRole('link', { name: 'Antrag starten' })).toBeVisible();
  await other.getByRole('link', { name: 'Antrag starten' }).click();
  await expect(other.getByLabel('Vorname')).toHaveValue('Max');
  await other.goto(applyUrl(SERVICES.hund, 'schritt/hunde'));
  await expect(other.getByText('Diese Seite kommt erst später im Antrag.')).toBeVisible();
  // Max logs out; Erika logs in again and finds her draft.
  await other.goto('/konto');
  await other.getByRole('main').getByRole('button', { name: 'Abmelden', exact: true }).click();
  await expect(other).toHaveURL(/\/$/);
  await other.close();
  await startWithPassword(page, SERVICES.hund);
  await expect(page.getByRole('link', { name: 'Weiter ausfüllen' })).toBeVisible();
  await page.goto(applyUrl(SERVICES.hund, 'schritt/hunde'));
  await expect(page.getByRole('group', { name: 'Hund 1' }).getByLabel('Name des Hundes')).toHaveValue('Entwurfshund');

  // Discarding asks first, then empties the form.
  await page.getByRole('button', { name: 'Entwurf verwerfen' }).click();
  await expect(page.getByText(/Wollen Sie alle Eingaben zu diesem Antrag löschen/)).toBeVisible();
  await expectNoAxeViolations(page);
  await page.getByRole('button', { name: 'Ja, Entwurf löschen' }).click();
  await page.goto(applyUrl(SERVICES.hund));
  await expect(page.getByRole('link', { name: 'Antrag starten' })).toBeVisible();
});

test('step-up mid-form keeps the data and takes over the verified values', async ({ page }) => {
  await startWithPassword(page, SERVICES.hund);
  await page.getByRole('link', { name: 'Antrag starten' }).click();
  await expect(page.getByText('Aus Ihrem Konto übernommen: von Ihnen angegeben.').first()).toBeVisible();
  await next(page);
  await fillAndSave(page, page.getByRole('group', { name: 'Hund 1' }).getByLabel('Name des Hundes'), 'Stufenhund');
  await page.goto('/konto');
  await page.getByRole('button', { name: 'Mit Online-Ausweis anmelden (Vertrauensniveau hoch)' }).click();
  await eidLogin(page, ERIKA.card, ERIKA.pin);
  await expect(page).toHaveURL(/\/konto/);
  await page.goto(applyUrl(SERVICES.hund, 'schritt/hunde'));
  await expect(page.getByRole('group', { name: 'Hund 1' }).getByLabel('Name des Hundes')).toHaveValue('Stufenhund');
  await page.goto(applyUrl(SERVICES.hund, 'schritt/halter'));
  // Level-1 form: the card's data is offered (not locked), with its source.
  await expect(page.getByText('Aus Ihrem Konto übernommen: aus Ihrem Online-Ausweis, geprüft.').first()).toBeVisible();
});

test('step-up started on a form step returns to that step, with the verified values locked', async ({ page }) => {
  // Logged in with a password (Level-1), the citizen opens a step of a
  // Level-4 form directly (a bookmark, a link from the postbox).
  await startWithPassword(page, SERVICES.hund);
  await page.goto(applyUrl(SERVICES.wohnsitz, 'schritt/person'));
  await waitForApp(page);
  const offer = page.getByRole('region', { name: 'Höheres Vertrauensniveau nötig' });
  await expect(offer).toBeVisible();
  await expect(offer).toContainText('Sie sind zurzeit mit dem Vertrauensniveau niedrig angemeldet.');
  await expect(offer).toContainText(/Ihre Eingaben bleiben erhalten/);
  // The step's own fields are not shown below the offer.
  await expect(page.getByLabel('Vorname')).toHaveCount(0);
  await expectNoAxeViolations(page);
  await offer.getByRole('button', { name: 'Mit Online-Ausweis anmelden (Vertrauensniveau hoch)' }).click();
  await eidLogin(page, ERIKA.card, ERIKA.pin);
  // Back on the same step, not on the start page, at its heading.
  await expect(page).toHaveURL(new RegExp(`/antrag/${SERVICES.wohnsitz}/schritt/person\\?ort=${KOELN}`));
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Ihre Daten');
  await expect(page.getByRole('heading', { level: 1 })).toBeFocused();
  // The card's data, locked.
  await expect(page.getByLabel('Vorname')).toHaveValue('Erika');
  await expect(page.getByLabel('Vorname')).toHaveAttribute('readonly', '');
  await next(page);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Neue Wohnung');
  await fillAndSave(page, page.getByRole('group', { name: 'Neue Anschrift' }).getByLabel('Straße und Hausnummer'), 'Domkloster 4');
  await page.reload();
  await waitForApp(page);
  await expect(page.getByRole('group', { name: 'Neue Anschrift' }).getByLabel('Straße und Hausnummer')).toHaveValue('Domkloster 4');
});

test.describe('a failing server', () => {
  test.use({ allowedConsoleErrors: [/status of 503/] });

test('a server error on submit keeps the draft; the retry sends exactly one application', async ({ page }) => {
  await startWithPassword(page, SERVICES.wahl);
  await page.getByRole('link', { name: 'Antrag starten' }).click();
  await next(page);
  await page.getByRole('radio', { name: 'Landtagswahl NRW 2027' }).check();
  await next(page);
  await page.getByRole('radio', { name: 'Wohnanschrift' }).check();
  await next(page);
  await page.getByRole('checkbox', { name: /Ich versichere, dass ich den Wahlschein/ }).check();
  await next(page);
  await page.getByLabel('Ich versichere, dass meine Angaben richtig und vollständig sind.').check();
  const before = (await ownSubmissions(page)).length;

  // The submit answer is lost once (the server got nothing).
  let failed = 0;
  await page.route('**/api/v1/applications/*', async (route) => {
    if (route.request().method() === 'PUT' && failed === 0) {
      failed++;
      await route.fulfill({ status: 503, contentType: 'application/json', body: '{"error":"unavailable"}' });
    } else {
      await route.continue();
    }
  });
  await page.getByRole('button', { name: 'Antrag verschlüsselt senden' }).click();
  const alert = page.getByRole('alert').filter({ hasText: 'Der Antrag wurde nicht gesendet' });
  await expect(alert).toBeVisible();
  await expect(alert).toContainText('Ihre Angaben sind als Entwurf gespeichert');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Angaben prüfen');
  await expectNoAxeViolations(page);
  await page.reload();
  await page.getByLabel('Ich versichere, dass meine Angaben richtig und vollständig sind.').check();
  await page.getByRole('button', { name: 'Antrag verschlüsselt senden' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Antrag gesendet', { timeout: 30_000 });
  const after = await ownSubmissions(page);
  expect(after.length).toBe(before + 1);
  expect(after.filter((s) => s.status !== 'incomplete').length).toBeGreaterThanOrEqual(1);
});
});

test.describe('session expiry mid-form', () => {
  let server: ExtraServers | undefined;
  let base = '';
  test.beforeAll(async () => {
    ({ base, server } = await startExtraServer({ standIn: { BUERGERAMT_SESSION_SECONDS: '30' } }));
  });
  test.afterAll(async () => {
    await server?.stopped();
  });

  test('the session runs out while typing; after logging in again everything is there', async ({ page }) => {
    test.setTimeout(120_000);
    await page.goto(`${base}${applyUrl(SERVICES.hund)}`);
    await page.getByRole('button', { name: 'Anmelden' }).first().click();
    await passwordLogin(page, ERIKA.user, ERIKA.password);
    await page.getByRole('link', { name: 'Antrag starten' }).click();
    await next(page);
    await fillAndSave(page, page.getByRole('group', { name: 'Hund 1' }).getByLabel('Name des Hundes'), 'Ablaufhund');
    const ended = page.getByRole('dialog', { name: 'Sie wurden abgemeldet' });
    await expect(ended).toBeVisible({ timeout: 60_000 });
    await ended.getByRole('button', { name: 'Erneut anmelden' }).click();
    await passwordLogin(page, ERIKA.user, ERIKA.password);
    await expect(page).toHaveURL(/\/antrag\/99089005001000\/schritt\/hunde/);
    await expect(page.getByRole('group', { name: 'Hund 1' }).getByLabel('Name des Hundes')).toHaveValue('Ablaufhund');
    // The draft is listed under "Meine Anträge" too.
    await page.goto(`${base}/antraege`);
    await expect(page.getByRole('region', { name: 'Entwürfe auf diesem Gerät' })).toContainText('Hundesteuer anmelden');
    await expectNoAxeViolations(page);
  });
});

test.describe('offline', () => {
  // Requests the browser cannot make while offline are logged as errors.
  test.use({ allowedConsoleErrors: [/ERR_INTERNET_DISCONNECTED|ERR_FAILED/] });

test('offline: the draft stays and sending waits until the network is back', async ({ page, context }) => {
  await startWithPassword(page, SERVICES.wahl);
  await page.getByRole('link', { name: 'Antrag starten' }).click();
  await next(page);
  await page.getByRole('radio', { name: 'Landtagswahl NRW 2027' }).check();
  await next(page);
  await page.getByRole('radio', { name: 'Wohnanschrift' }).check();
  await next(page);
  await context.setOffline(true);
  await page.getByRole('checkbox', { name: /Ich versichere, dass ich den Wahlschein/ }).check();
  await next(page);
  await page.getByLabel('Ich versichere, dass meine Angaben richtig und vollständig sind.').check();
  await page.getByRole('button', { name: 'Antrag verschlüsselt senden' }).click();
  await expect(page.getByText(/Sie sind offline\. Senden ist möglich, sobald Sie wieder online sind/)).toBeVisible();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Angaben prüfen');
  await expectNoAxeViolations(page);
  await context.setOffline(false);
  await page.getByRole('button', { name: 'Antrag verschlüsselt senden' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Antrag gesendet', { timeout: 30_000 });
});
});
