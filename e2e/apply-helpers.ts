// Shared steps of the online-application journeys (e2e/apply*.spec.ts).
import { expect, type Page } from '@playwright/test';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { passwordLogin, eidLogin, waitForApp, API } from './fixtures';

export const KOELN = '053150000000';
export const ERIKA = { user: 'erika', password: 'Mustermann-2026', card: 'eid-erika', pin: '123456' };
export const JONAS = { user: 'jonas.schmidt', password: 'Elster-Konto-7', cert: /jonas-schmidt\.pfx/, pin: 'Elster-PIN-2026' };

/** LeiKa keys (= PVOG ids) of the six services with forms. */
export const SERVICES = {
  hund: '99089005001000',
  wahl: '99096001001000',
  park: '99036001001000',
  gewerbe: '99050012104000',
  wohnsitz: '99115001001000',
  fz: '99063001001000',
};

export function applyUrl(service: string, tail = ''): string {
  return `/antrag/${service}${tail ? '/' + tail : ''}?ort=${KOELN}`;
}

/**
 * Opens the start page and logs in with a password (Level-1). `origin`:
 * another relay than the context's base URL (the Lighthouse bench's
 * earlier build).
 */
export async function startWithPassword(page: Page, service: string, who = ERIKA, origin = '') {
  await page.goto(`${origin}${applyUrl(service)}`);
  await waitForApp(page);
  await page.getByRole('button', { name: /anmelden/i }).first().click();
  await passwordLogin(page, who.user, who.password);
  await expect(page).toHaveURL(new RegExp(`/antrag/${service}`));
  await expect(page.getByRole('link', { name: /Antrag starten|Weiter ausfüllen/ })).toBeVisible();
  // Back from the login, the citizen goes on at the heading, not at `body`.
  await expect(page.getByRole('heading', { level: 1 })).toBeFocused();
}

/** Opens the start page and logs in with Erika's specimen ID card (Level-4). */
export async function startWithEid(page: Page, service: string) {
  await page.goto(applyUrl(service));
  await waitForApp(page);
  await page.getByRole('button', { name: /Online-Ausweis|anmelden/i }).first().click();
  await eidLogin(page, ERIKA.card, ERIKA.pin);
  await expect(page).toHaveURL(new RegExp(`/antrag/${service}`));
  await expect(page.getByRole('link', { name: /Antrag starten|Weiter ausfüllen/ })).toBeVisible();
}

/** Fills a three-part date inside `scope` (a fieldset named by its legend). */
export async function fillDate(page: Page, legend: string | RegExp, d: string, m: string, y: string, nth = 0) {
  const group = page.getByRole('group', { name: legend }).nth(nth);
  await group.getByLabel('Tag').fill(d);
  await group.getByLabel('Monat').fill(m);
  await group.getByLabel('Jahr').fill(y);
}

export async function next(page: Page) {
  await page.getByRole('button', { name: 'Weiter', exact: true }).click();
}

/** Checks the declaration and sends; returns the case reference shown. */
export async function sendAndConfirm(page: Page): Promise<{ reference: string; submission: string }> {
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Angaben prüfen');
  await page.getByLabel('Ich versichere, dass meine Angaben richtig und vollständig sind.').check();
  await page.getByRole('button', { name: 'Antrag verschlüsselt senden' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Antrag gesendet', { timeout: 30_000 });
  await expect(page.getByText('Ihr Antrag wurde verschlüsselt gesendet')).toBeVisible();
  const reference = (await page.locator('.apply-reference').first().innerText()).trim();
  const submission = new URL(page.url()).searchParams.get('einreichung') ?? '';
  return { reference, submission };
}

/** Hundesteuer with one dog (no list dog), from its first step to sent; returns what `sendAndConfirm` does. */
export async function sendHundesteuer(page: Page, dogName: string) {
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Halterin oder Halter');
  await next(page);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Hunde');
  const dog = page.getByRole('group', { name: 'Hund 1' });
  await dog.getByLabel('Name des Hundes').fill(dogName);
  await dog.getByLabel('Rasse oder Kreuzung').fill('Dackel');
  await fillDate(page, 'Beginn der Haltung', '1', '3', '2025');
  await dog.getByRole('radio', { name: 'Nein' }).check();
  await next(page);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Kontakt');
  await next(page);
  return sendAndConfirm(page);
}

/** A small valid PDF as an upload payload. */
export function pdf(name: string, marker = 'Anlage') {
  const body = `%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\n% ${marker}\ntrailer<</Root 1 0 R>>\n%%EOF\n`;
  return { name, mimeType: 'application/pdf', buffer: Buffer.from(body) };
}

/** Every byte the stand-in and the relay keep on disk (SQLite files, WAL, everything). */
export function storedBytes(): Buffer {
  const root = process.env.E2E_DATA ?? '';
  const parts: Buffer[] = [];
  // The stand-in's files, and the relay's (RELAY_DATA = E2E_DATA/relay).
  for (const dir of [root, join(root, 'relay')]) {
    for (const f of readdirSync(dir)) {
      try {
        parts.push(readFileSync(join(dir, f)));
      } catch {
        // directories (tantivy index, the relay's) are read on their own or are not submission data
      }
    }
  }
  return Buffer.concat(parts);
}

/** The authority console's origin: a site of its own (playwright.config.ts). */
export function consoleOrigin(): string {
  const origin = process.env.E2E_CONSOLE;
  if (!origin) throw new Error('E2E_CONSOLE is not set (playwright.config.ts sets it)');
  return origin;
}

/** A clerk's bearer token for the console's JSON API (docs/authority.md). */
export async function clerkToken(): Promise<string> {
  const login = await fetch(`${consoleOrigin()}/behoerde/api/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: 'sachbearbeitung', password: 'Amt-NRW-2026' }),
  });
  expect(login.status).toBe(200);
  return (await login.json()).token;
}

/** The authority's view of a submission, decrypted by the stand-in (console JSON API). */
export async function authorityView(page: Page, submissionId: string): Promise<any> {
  const url = `${consoleOrigin()}/behoerde/api/submissions/${submissionId}`;
  const headers = { Authorization: `Bearer ${await clerkToken()}` };
  // The authority's subscriber receives a submission after the submit has
  // been answered; until then the console does not list it (404).
  await expect.poll(async () => (await fetch(url, { headers })).status).toBe(200);
  const r = await fetch(url, { headers });
  expect(r.status).toBe(200);
  return r.json();
}

/** An attachment as the authority decrypts it. */
export async function authorityFile(page: Page, submissionId: string, attachmentId: string): Promise<Buffer> {
  const r = await fetch(`${consoleOrigin()}/behoerde/api/submissions/${submissionId}/attachments/${attachmentId}`, {
    headers: { Authorization: `Bearer ${await clerkToken()}` },
  });
  expect(r.status).toBe(200);
  return Buffer.from(await r.arrayBuffer());
}

/** The citizen's submissions as the relay lists them (GET /api/v1/applications, with the browser's cookie). */
export async function ownSubmissions(page: Page): Promise<any[]> {
  const r = await page.request.get('/api/v1/applications', { headers: API });
  expect(r.status()).toBe(200);
  return (await r.json()).submissions;
}

/** Fills an input and waits until the draft store has saved the change. */
export async function fillAndSave(page: Page, input: import('@playwright/test').Locator, text: string) {
  const status = page.locator('.apply-draft__status');
  const before = await status.getAttribute('data-saved-at');
  await input.fill(text);
  await expect.poll(async () => status.getAttribute('data-saved-at')).not.toBe(before);
}
