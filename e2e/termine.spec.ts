import { readFileSync } from 'node:fs';
import { test, expect, expectNoAxeViolations, waitForApp, type Page, type Locator } from './fixtures';
import { KOELN } from './apply-helpers';

// Appointments (issue #22): from the Personalausweis page in Köln ("Nur vor
// Ort") through the booking flow (day → time, held → name and e-mail →
// what to bring and the fee → booked), the .ics, change and cancel through
// the manage link, the slot free again, a forged link refused, and the
// whole booking by keyboard alone. axe on every step.

// 404 (forged token) and 409 (a time taken) are answers the pages explain.
test.use({ allowedConsoleErrors: [/status of (404|409)/] });

const h1 = (page: Page) => page.getByRole('heading', { level: 1 });

/** The Personalausweis page in Köln, found like a citizen would. */
async function personalausweisInKoeln(page: Page): Promise<void> {
  await page.goto(`/suche?q=personalausweis&ort=${KOELN}`);
  const first = page.getByRole('list', { name: 'Suchergebnisse' }).getByRole('listitem').first();
  await expect(first.getByRole('link')).toHaveText(/Personalausweis/);
  await first.getByRole('link').click();
  await expect(h1(page)).toHaveText(/Personalausweis/);
}

/** Köln has several Kundenzentren: the booking asks where to go first. */
async function chooseOffice(page: Page, office = 'Kundenzentrum Innenstadt', english = false): Promise<void> {
  await expect(h1(page)).toHaveText(english ? 'Where would you like to go?' : 'Wo möchten Sie hinkommen?');
  await page.getByRole('radio', { name: office }).check();
  await page.getByRole('button', { name: english ? 'Continue' : 'Weiter' }).click();
}

const dayButtons = (page: Page) => page.getByRole('button', { name: /– \d+ freie Zeiten?$/ });

/** Presses Tab until `target` has the focus (keyboard only). */
async function tabTo(page: Page, target: Locator): Promise<void> {
  for (let i = 0; i < 120; i++) {
    await page.keyboard.press('Tab');
    if (await target.evaluate((el) => el === document.activeElement).catch(() => false)) return;
  }
  throw new Error('not reachable with Tab');
}

test('book a Personalausweis appointment in Köln, download the .ics, change and cancel it through the link; the slot is free again', async ({ page, context }) => {
  await personalausweisInKoeln(page);
  const book = page.getByRole('region', { name: 'Termin vereinbaren' });
  await expect(book.getByRole('link', { name: 'Termin vereinbaren' })).toBeVisible();
  await expectNoAxeViolations(page);
  await book.getByRole('link', { name: 'Termin vereinbaren' }).click();

  // Köln has four Kundenzentren (sample data): where to go, with addresses.
  await expect(h1(page)).toHaveText('Wo möchten Sie hinkommen?');
  const offices = page.getByRole('group', { name: 'Stelle' });
  await expect(offices.getByRole('radio')).toHaveCount(4);
  await expect(page.getByRole('radio', { name: 'Kundenzentrum Porz' })).toHaveAccessibleDescription(/Friedrich-Ebert-Ufer 64, 51143 Köln/);
  await expectNoAxeViolations(page);
  await page.getByRole('button', { name: 'Weiter' }).click();
  await expect(page.getByText('Wählen Sie eine Stelle.')).toBeVisible();
  await expect(page.getByRole('radio').first()).toBeFocused();
  await expectNoAxeViolations(page);
  await chooseOffice(page);

  // Step 1: a list of days with free times.
  await expect(h1(page)).toHaveText('Wann möchten Sie kommen?');
  await expect(page.getByText('Schritt 1 von 4')).toBeVisible();
  await expect(dayButtons(page).first()).toBeVisible();
  await expectNoAxeViolations(page);
  const dayName = (await dayButtons(page).first().innerText()).split('–')[0].trim();
  await dayButtons(page).first().click();

  // Then radio buttons for that day's times; the hold is taken on choosing.
  await expect(h1(page)).toHaveText('Welche Uhrzeit passt Ihnen?');
  await expect(page.getByRole('group', { name: `Freie Zeiten am ${dayName}` })).toBeVisible();
  await expectNoAxeViolations(page);
  // Without a choice: an error next to the times.
  await page.getByRole('button', { name: 'Diese Zeit nehmen' }).click();
  await expect(page.getByText('Wählen Sie eine Uhrzeit.')).toBeVisible();
  await page.getByRole('radio').first().check();
  await page.getByRole('button', { name: 'Diese Zeit nehmen' }).click();

  // Step 2: name and e-mail; the hold's end is said.
  await expect(h1(page)).toHaveText('Ihre Kontaktdaten');
  await expect(page.getByText(/Wir halten diese Zeit bis \d\d:\d\d Uhr für Sie frei \((10|9) Minuten\)/)).toBeVisible();
  await page.getByLabel('Vor- und Nachname').fill('Erika Mustermann');
  await page.getByLabel('E-Mail-Adresse').fill('erika.termin@example.org');
  await expectNoAxeViolations(page);
  // Nothing typed is lost on a reload.
  await page.reload();
  await expect(h1(page)).toHaveText('Ihre Kontaktdaten');
  await expect(page.getByLabel('Vor- und Nachname')).toHaveValue('Erika Mustermann');
  await expect(page.getByLabel('E-Mail-Adresse')).toHaveValue('erika.termin@example.org');
  // The token is never kept in storage.
  expect(await page.evaluate(() => JSON.stringify(localStorage))).not.toMatch(/verwalten|manageToken/i);
  await page.getByRole('button', { name: 'Weiter' }).click();

  // Step 3: what to bring and the fee, then book.
  await expect(h1(page)).toHaveText('Prüfen und buchen');
  await expect(page.getByRole('heading', { name: 'Bitte bringen Sie mit' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Gebühr' })).toBeVisible();
  await expectNoAxeViolations(page);
  await page.getByRole('button', { name: 'Termin verbindlich buchen' }).click();

  // The confirmation: reference, .ics, the manage link.
  await expect(h1(page)).toHaveText('Ihr Termin ist gebucht');
  await expect(page).toHaveURL(/\/termine\/verwalten#[A-Za-z0-9_-]{20,}$/);
  const reference = (await page.locator('.termine-reference').innerText()).trim();
  expect(reference).toMatch(/^T-[A-Z0-9]{4}-[A-Z0-9]{4}$/);
  await expect(page.getByText('Wir haben Ihnen eine Bestätigung an erika.termin@example.org geschickt.')).toBeVisible();
  await expectNoAxeViolations(page);
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Termin in den Kalender übernehmen (.ics)' }).click(),
  ]);
  expect(download.suggestedFilename()).toBe(`termin-${reference}.ics`);
  const ics = readFileSync((await download.path())!, 'utf8').replace(/\r\n[ \t]/g, '');
  expect(ics).toMatch(/^BEGIN:VCALENDAR\r\n/);
  expect(ics).toMatch(/\r\nDTSTART;TZID=Europe\/Berlin:\d{8}T\d{6}\r\n/);
  expect(ics).toMatch(/\r\nLOCATION:[^\r]*Köln[^\r]*\r\n/);
  expect(ics).toMatch(/\r\nSUMMARY:[^\r]*Personalausweis[^\r]*\r\n/);
  expect(ics).toContain(reference);
  const link = await page.locator('a.termine-manage-link').getAttribute('href');
  expect(link).toMatch(/\/termine\/verwalten#[A-Za-z0-9_-]{20,}$/);

  // Change through the link, in a new tab (no login, no storage).
  const other = await context.newPage();
  await other.goto(link!);
  await expect(h1(other)).toHaveText('Ihr Termin');
  await expect(other.locator('.termine-reference')).toHaveText(reference);
  await expectNoAxeViolations(other);
  await other.getByRole('button', { name: 'Termin ändern' }).click();
  await expect(h1(other)).toHaveText('Neue Zeit wählen');
  await expect(dayButtons(other).nth(1)).toBeVisible();
  await expectNoAxeViolations(other);
  const newDay = (await dayButtons(other).nth(1).innerText()).split('–')[0].trim();
  await dayButtons(other).nth(1).click();
  const radio = other.getByRole('radio').nth(2);
  const newTime = (await other.locator(`label[for="${await radio.getAttribute('id')}"]`).innerText()).trim();
  await radio.check();
  await expectNoAxeViolations(other);
  await other.getByRole('button', { name: 'Auf diese Zeit ändern' }).click();
  await expect(other.getByText('Ihr Termin wurde geändert. Die alte Zeit ist wieder frei.')).toBeVisible();
  await expect(other.getByText(`${newDay}, ${newTime.split('–')[0].trim()} Uhr`)).toBeVisible();

  // Cancel through the link, after a question.
  await other.getByRole('button', { name: 'Termin absagen' }).click();
  await expect(other.getByText(/Möchten Sie den Termin wirklich absagen\?/)).toBeVisible();
  await expectNoAxeViolations(other);
  await other.getByRole('button', { name: 'Ja, Termin absagen' }).click();
  await expect(other.getByText(/Ihr Termin ist abgesagt/)).toBeVisible();
  await expect(other.getByText('Abgesagt', { exact: true })).toBeVisible();
  await expectNoAxeViolations(other);
  await other.close();

  // The slot is offered again.
  await page.goBack();
  await personalausweisInKoeln(page);
  await page.getByRole('link', { name: 'Termin vereinbaren' }).click();
  await chooseOffice(page);
  await expect(h1(page)).toHaveText('Wann möchten Sie kommen?');
  await dayButtons(page).filter({ hasText: newDay }).click();
  await expect(h1(page)).toHaveText('Welche Uhrzeit passt Ihnen?');
  await expect(page.getByRole('radio', { name: newTime })).toBeVisible();
});

test('a forged manage link is refused with what to do next', async ({ page }) => {
  await page.goto('/termine/verwalten#AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
  await expect(page.getByRole('alert').filter({ hasText: 'Dieser Link ist nicht gültig' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Termin absagen' })).toHaveCount(0);
  await expectNoAxeViolations(page);
  await page.goto('/termine/verwalten');
  await expect(page.getByRole('alert').filter({ hasText: 'persönlichen Link aus Ihrer Terminbestätigung' })).toBeVisible();
  await expectNoAxeViolations(page);
});

test('the whole booking by keyboard alone', async ({ page }) => {
  await personalausweisInKoeln(page);
  const bookLink = page.getByRole('link', { name: 'Termin vereinbaren' });
  await tabTo(page, bookLink);
  await page.keyboard.press('Enter');
  await expect(h1(page)).toHaveText('Wo möchten Sie hinkommen?');
  await tabTo(page, page.getByRole('radio').first());
  await page.keyboard.press('Space');
  await expect(page.getByRole('radio', { name: 'Kundenzentrum Innenstadt' })).toBeChecked();
  await tabTo(page, page.getByRole('button', { name: 'Weiter' }));
  await page.keyboard.press('Enter');
  await expect(h1(page)).toHaveText('Wann möchten Sie kommen?');
  await tabTo(page, dayButtons(page).nth(2));
  await page.keyboard.press('Enter');
  await expect(h1(page)).toHaveText('Welche Uhrzeit passt Ihnen?');
  await expect(h1(page)).toBeFocused();
  await tabTo(page, page.getByRole('radio').first());
  await page.keyboard.press('Space');
  await expect(page.getByRole('radio').first()).toBeChecked();
  await tabTo(page, page.getByRole('button', { name: 'Diese Zeit nehmen' }));
  await page.keyboard.press('Enter');
  await expect(h1(page)).toHaveText('Ihre Kontaktdaten');
  await tabTo(page, page.getByLabel('Vor- und Nachname'));
  await page.keyboard.type('Max Tastatur');
  await page.keyboard.press('Tab');
  await expect(page.getByLabel('E-Mail-Adresse')).toBeFocused();
  await page.keyboard.type('max.tastatur@example.org');
  await page.keyboard.press('Enter');
  await expect(h1(page)).toHaveText('Prüfen und buchen');
  await tabTo(page, page.getByRole('button', { name: 'Termin verbindlich buchen' }));
  await page.keyboard.press('Enter');
  await expect(h1(page)).toHaveText('Ihr Termin ist gebucht');
  await expect(page.locator('.termine-reference')).toHaveText(/^T-[A-Z0-9]{4}-[A-Z0-9]{4}$/);
  await expectNoAxeViolations(page);
});

test('logged in: name prefilled from the account, and the appointment listed under "Meine Termine" in Meine Anträge', async ({ page }) => {
  const JONAS = { user: 'jonas.schmidt', password: 'Elster-Konto-7' };
  await page.goto('/antraege');
  await waitForApp(page);
  await page.getByRole('button', { name: 'Mit BundID anmelden' }).click();
  await expect(page).toHaveURL(/\/idp\/login\//);
  await page.getByRole('textbox', { name: 'Benutzername' }).fill(JONAS.user);
  await page.locator('input#password').fill(JONAS.password);
  await page.getByRole('button', { name: 'Mit Passwort anmelden' }).click();
  await expect(page).toHaveURL(/\/antraege$/);
  await waitForApp(page);
  const mine = page.getByRole('region', { name: 'Meine Termine' });
  await expect(mine.getByText('Sie haben keine gebuchten Termine.')).toBeVisible();
  await expectNoAxeViolations(page);

  await personalausweisInKoeln(page);
  await page.getByRole('link', { name: 'Termin vereinbaren' }).click();
  await chooseOffice(page);
  await dayButtons(page).nth(3).click();
  await page.getByRole('radio').first().check();
  await page.getByRole('button', { name: 'Diese Zeit nehmen' }).click();
  await expect(h1(page)).toHaveText('Ihre Kontaktdaten');
  await expect(page.getByText('Aus Ihrem Konto übernommen. Sie können die Angaben ändern.')).toBeVisible();
  await expect(page.getByLabel('Vor- und Nachname')).toHaveValue(/Jonas/);
  const email = page.getByLabel('E-Mail-Adresse');
  if (!(await email.inputValue())) await email.fill('jonas.termin@example.org');
  await page.getByRole('button', { name: 'Weiter' }).click();
  await page.getByRole('button', { name: 'Termin verbindlich buchen' }).click();
  await expect(h1(page)).toHaveText('Ihr Termin ist gebucht');
  const reference = (await page.locator('.termine-reference').innerText()).trim();

  await page.goto('/antraege');
  await expect(page.getByRole('region', { name: 'Meine Termine' }).getByText(reference)).toBeVisible();
  await expectNoAxeViolations(page);
});

test('in English, for two people: a longer appointment, the number of people on every page and in the calendar file', async ({ page }) => {
  await personalausweisInKoeln(page);
  await page.getByRole('button', { name: 'English' }).click();
  await page.getByRole('link', { name: 'Book an appointment' }).click();
  await chooseOffice(page, 'Kundenzentrum Kalk', true);
  await expect(h1(page)).toHaveText('When would you like to come?');
  await expect(page.getByText(/Kundenzentrum Kalk, Kalker Hauptstraße 247, 51103 Köln/)).toBeVisible();
  const persons = page.getByLabel('How many people is the appointment for?');
  await expect(persons).toHaveValue('1');
  const days = page.getByRole('button', { name: /– \d+ free times?$/ });
  await expect(days.first()).toBeVisible();
  // One person: a 15-minute time.
  await days.first().click();
  await expect(h1(page)).toHaveText('Which time suits you?');
  expect(await minutesOf(page)).toBe(15);
  await page.getByRole('button', { name: 'Choose another day' }).click();
  await expect(h1(page)).toHaveText('When would you like to come?');

  // Two people: the times are asked again, each 30 minutes long.
  await persons.selectOption('2');
  await expect(persons).toHaveValue('2');
  await expectNoAxeViolations(page);
  await days.first().click();
  await expect(h1(page)).toHaveText('Which time suits you?');
  expect(await minutesOf(page)).toBe(30);
  await page.getByRole('radio').first().check();
  await page.getByRole('button', { name: 'Take this time' }).click();
  await expect(h1(page)).toHaveText('Your contact details');
  await page.getByLabel('First and last name').fill('Familie Beispiel');
  await page.getByLabel('E-mail address').fill('familie.termin@example.org');
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(h1(page)).toHaveText('Check and book');
  await expect(page.getByText('2 people', { exact: true })).toBeVisible();
  await expectNoAxeViolations(page);
  await page.getByRole('button', { name: 'Book appointment' }).click();
  await expect(h1(page)).toHaveText('Your appointment is booked');
  await expect(page.getByText('2 people', { exact: true })).toBeVisible();
  await expectNoAxeViolations(page);
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: /\(\.ics\)/ }).click(),
  ]);
  const ics = readFileSync((await download.path())!, 'utf8').replace(/\r\n[ \t]/g, '');
  const at = (key: string) => {
    const m = ics.match(new RegExp(`\\r\\n${key};TZID=Europe/Berlin:\\d{8}T(\\d\\d)(\\d\\d)\\d\\d\\r\\n`));
    expect(m, key).not.toBeNull();
    return Number(m![1]) * 60 + Number(m![2]);
  };
  expect(at('DTEND') - at('DTSTART')).toBe(30);
});

/** The length in minutes of the first time offered (a label `08:00–08:30`). */
async function minutesOf(page: Page): Promise<number> {
  const radio = page.getByRole('radio').first();
  await expect(radio).toBeVisible();
  const label = (await page.locator(`label[for="${await radio.getAttribute('id')}"]`).innerText()).trim();
  const m = label.match(/(\d\d):(\d\d)\D+(\d\d):(\d\d)/);
  expect(m, label).not.toBeNull();
  return Number(m![3]) * 60 + Number(m![4]) - (Number(m![1]) * 60 + Number(m![2]));
}

test('where several offices offer the service: each has its own times, and another can be chosen', async ({ page }) => {
  await personalausweisInKoeln(page);
  await page.getByRole('link', { name: 'Termin vereinbaren' }).click();
  await chooseOffice(page, 'Kundenzentrum Porz');
  await expect(h1(page)).toHaveText('Wann möchten Sie kommen?');
  await expect(page).toHaveURL(/[?&]stelle=[^&]+\.4(&|$)/);
  await expect(page.getByText(/Kundenzentrum Porz, Friedrich-Ebert-Ufer 64, 51143 Köln/)).toBeVisible();
  await expect(dayButtons(page).first()).toBeVisible();
  await expectNoAxeViolations(page);
  await page.getByRole('link', { name: 'Andere Stelle wählen' }).click();
  await expect(h1(page)).toHaveText('Wo möchten Sie hinkommen?');
  await chooseOffice(page, 'Kundenzentrum Chorweiler');
  await expect(page.getByText(/Kundenzentrum Chorweiler, Pariser Platz 1, 50765 Köln/)).toBeVisible();
  await expect(dayButtons(page).first()).toBeVisible();
});

test('a town with one office goes straight to the days', async ({ page }) => {
  await page.goto('/leistungen/99088001001000?ort=051580016016');
  await expect(h1(page)).toHaveText(/Personalausweis/);
  await page.getByRole('link', { name: 'Termin vereinbaren' }).click();
  await expect(h1(page)).toHaveText('Wann möchten Sie kommen?');
  await expect(page.getByRole('link', { name: 'Andere Stelle wählen' })).toHaveCount(0);
});
