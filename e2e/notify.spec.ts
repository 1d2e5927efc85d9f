// Issue #24: notices outside the app. The relay tells a citizen by push and
// e-mail that there is something new, never what. Both travel without the
// internet: push to the stand-in's push service (/push, RFC 8030/8291/8292),
// e-mail to its mail sink (/mail). The browser's own push service is on the
// internet, so the page's PushManager hands out a subscription at the
// stand-in's push service instead, with keys made here; everything after it
// (permission, the relay, VAPID, the encryption, the service worker) is real.
import { createECDH, randomBytes } from 'node:crypto';
import type { APIRequestContext, BrowserContext, Page, Worker } from '@playwright/test';
import { test, expect, expectNoAxeViolations, waitForApp, API, upstreamOrigin } from './fixtures';
import { SERVICES, applyUrl, startWithPassword, sendHundesteuer, consoleOrigin } from './apply-helpers';

const CLERK = { username: 'sachbearbeitung', password: 'Amt-NRW-2026' };
const NOTICE_DE = 'Sie haben eine neue Nachricht im Bürgeramt-Postfach.';
/** Words that would tell what a message is about: none may be in a notice. */
const CONTENT = ['Hundesteuer', 'Bescheid', 'Steueramt', 'Dackel', 'Vorgangsnummer', 'Level', 'Frist'];

/** The clerk's JSON API (as postbox.spec.ts uses it). */
async function clerkApi(request: APIRequestContext) {
  const login = await request.post(`${consoleOrigin()}/behoerde/api/login`, { data: CLERK });
  expect(login.status()).toBe(200);
  const { token } = await login.json();
  const headers = { Authorization: `Bearer ${token}` };
  return async (submission: string, action: string, data?: object) => {
    const detail = `${consoleOrigin()}/behoerde/api/submissions/${submission}`;
    await expect.poll(async () => (await request.get(detail, { headers })).status()).toBe(200);
    const r = await request.post(`${detail}/${action}`, { headers, data });
    expect(r.status(), `${action}: ${await r.text()}`).toBe(200);
  };
}

/** A user agent's push subscription: its keys, and the subscription at the
 *  stand-in's push service for the relay's VAPID key. */
async function pushSubscription(page: Page) {
  const settings = await page.request.get('/api/v1/notifications', { headers: API });
  expect(settings.status()).toBe(200);
  const vapid: string = (await settings.json()).vapidPublicKey;
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  const auth = randomBytes(16);
  const r = await fetch(`${upstreamOrigin()}/push/v1/subscriptions`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ applicationServerKey: vapid }),
  });
  expect(r.status).toBe(201);
  const sub = await r.json();
  return {
    vapid,
    id: sub.id as string,
    endpoint: sub.endpoint as string,
    p256dh: ecdh.getPublicKey().toString('base64url'),
    privateKey: ecdh.getPrivateKey().toString('base64url'),
    auth: auth.toString('base64url'),
  };
}
type Sub = Awaited<ReturnType<typeof pushSubscription>>;

/** From the next page load on, `pushManager.subscribe()` answers `sub`
 *  (and remembers the options the app passed). */
async function fakePushManager(context: BrowserContext, sub: Sub) {
  await context.addInitScript(({ endpoint, p256dh, auth }) => {
    let current: unknown = null;
    const fake = {
      endpoint,
      expirationTime: null,
      options: { applicationServerKey: null as ArrayBuffer | null, userVisibleOnly: true },
      toJSON: () => ({ endpoint, expirationTime: null, keys: { p256dh, auth } }),
      unsubscribe: async () => {
        current = null;
        return true;
      },
    };
    const proto = (window as any).PushManager?.prototype;
    if (!proto) return;
    proto.subscribe = async function (options: { userVisibleOnly: boolean; applicationServerKey: Uint8Array }) {
      (window as any).__pushOptions = {
        userVisibleOnly: options.userVisibleOnly,
        key: Array.from(new Uint8Array(options.applicationServerKey)),
      };
      fake.options = { applicationServerKey: new Uint8Array(options.applicationServerKey).buffer, userVisibleOnly: true };
      current = fake;
      return fake;
    };
    proto.getSubscription = async function () {
      return current;
    };
  }, sub);
}

/** What arrived at the stand-in's push service for `sub`, oldest first. */
async function pushed(sub: Sub): Promise<any[]> {
  const r = await fetch(`${upstreamOrigin()}/push/v1/subscriptions/${sub.id}/messages`);
  expect(r.status).toBe(200);
  return (await r.json()).messages;
}

/** A push message's plaintext, decrypted with the subscription's keys. */
async function decrypt(sub: Sub, body: string): Promise<string> {
  const r = await fetch(`${upstreamOrigin()}/push/v1/decrypt`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ message: body, privateKey: sub.privateKey, auth: sub.auth }),
  });
  expect(r.status, 'the payload decrypts with the subscription keys').toBe(200);
  return (await r.json()).plaintext;
}

/** The mails the sink got for `to`, newest first. */
async function mails(to: string): Promise<any[]> {
  const r = await fetch(`${upstreamOrigin()}/mail/api/messages?to=${encodeURIComponent(to)}`);
  expect(r.status).toBe(200);
  return (await r.json()).messages;
}

/** The link to `path` in a mail (text part). */
function linkIn(mail: any, path: string): string {
  const m = String(mail.text).match(new RegExp(`https?://[^\\s>]+${path}#[A-Za-z0-9_-]+`));
  expect(m, `a link to ${path} in: ${mail.text}`).not.toBeNull();
  const url = new URL(m![0]);
  return url.pathname + url.hash;
}

function expectNoContent(text: string) {
  for (const word of CONTENT) expect(text, `the notice names "${word}"`).not.toContain(word);
}

/** The settings section on /konto. */
function settings(page: Page) {
  return page.locator('section.notify-settings');
}

/** Push on for this browser from the settings, as the citizen does it. */
async function turnOnPush(page: Page, sub: Sub) {
  await page.goto('/konto');
  await waitForApp(page);
  const section = settings(page);
  await section.getByRole('button', { name: 'Push-Benachrichtigungen auf diesem Gerät einschalten' }).click();
  await expect(page.locator('#benachrichtigungen-status')).toContainText('Push-Benachrichtigungen sind auf diesem Gerät eingeschaltet.');
  await expect(page.locator('#benachrichtigungen-status')).toBeFocused();
  await expect(section.locator('[data-push-state="on"]')).toBeVisible();
  // The app subscribed for the relay's key, user-visible only.
  const options = await page.evaluate(() => (window as any).__pushOptions);
  expect(options.userVisibleOnly).toBe(true);
  expect(Buffer.from(options.key).toString('base64url')).toBe(sub.vapid);
}

/** Applies for Hundesteuer (logged in already); returns the submission id. */
async function apply(page: Page, dog: string): Promise<string> {
  await page.goto(applyUrl(SERVICES.hund));
  await waitForApp(page);
  await page.getByRole('link', { name: /Antrag starten|Weiter ausfüllen/ }).click();
  return (await sendHundesteuer(page, dog)).submission;
}

/** The notices the app's service worker shows, read from the page. */
async function notices(page: Page) {
  return page.evaluate(async () => {
    const registration = await navigator.serviceWorker.ready;
    return (await registration.getNotifications({ tag: 'buergeramt-postfach' })).map((n) => ({
      title: n.title,
      body: n.body,
      url: n.data?.url,
    }));
  });
}

async function closeNotices(page: Page) {
  await page.evaluate(async () => {
    for (const n of await (await navigator.serviceWorker.ready).getNotifications()) n.close();
  });
}

/** Hands `text` to the page's service worker as a push message, the way
 *  the browser's push service delivers one (DevTools' "Push" button: a
 *  trusted push event of the browser's own). */
async function deliverPush(page: Page, text: string) {
  const scope = await page.evaluate(async () => (await navigator.serviceWorker.ready).scope);
  const cdp = await page.context().newCDPSession(page);
  const registration = new Promise<string>((resolve) =>
    cdp.on('ServiceWorker.workerRegistrationUpdated', ({ registrations }) => {
      const found = registrations.find((r) => r.scopeURL === scope && !r.isDeleted);
      if (found) resolve(found.registrationId);
    }),
  );
  await cdp.send('ServiceWorker.enable');
  const registrationId = await registration;
  await cdp.send('ServiceWorker.deliverPushMessage', { origin: new URL(scope).origin, registrationId, data: text });
  await cdp.detach();
}

/** The service worker in charge: the activated one (an earlier worker of
 *  the same script may still be listed after an update). */
async function activeWorker(context: BrowserContext): Promise<Worker> {
  let found: Worker | undefined;
  await expect
    .poll(async () => {
      for (const worker of [...context.serviceWorkers()].reverse()) {
        const state = await worker.evaluate(() => (self as any).serviceWorker?.state).catch(() => null);
        if (state === 'activated') {
          found = worker;
          return true;
        }
      }
      return false;
    })
    .toBe(true);
  return found!;
}

/** A click on the notice as the browser reports it to the worker; waits
 *  for what the worker's handler hands to `waitUntil` (opening /postfach). */
async function clickNotice(worker: Worker) {
  await worker.evaluate(async () => {
    const sw = self as any;
    const [notification] = await sw.registration.getNotifications({ tag: 'buergeramt-postfach' });
    const event = new sw.NotificationEvent('notificationclick', { notification });
    const pending: Promise<unknown>[] = [];
    event.waitUntil = (p: Promise<unknown>) => pending.push(p);
    sw.dispatchEvent(event);
    await Promise.all(pending);
  });
}

test.describe('notices outside the app', () => {
  test('push: chosen in the settings, an RFC 8291 notice without content arrives when the clerk acts, the service worker shows it and a click opens /postfach', async ({ page, context, request }) => {
    test.setTimeout(180_000);
    await context.grantPermissions(['notifications']);
    await startWithPassword(page, SERVICES.hund);
    const sub = await pushSubscription(page);
    await fakePushManager(context, sub);
    await turnOnPush(page, sub);
    const section = settings(page);
    await expect(section.getByRole('row', { name: /Chrome unter Linux \(dieses Gerät\)/ })).toBeVisible();
    await expectNoAxeViolations(page);
    // The same in English.
    await page.getByRole('button', { name: 'English' }).click();
    await expect(page.locator('html')).toHaveAttribute('lang', 'en');
    await expect(section.getByRole('heading', { name: 'Notifications', exact: true })).toBeVisible();
    await expect(section.locator('[data-push-state="on"]')).toHaveText('Push notifications are on for this device.');
    await expect(section.getByRole('row', { name: /\(this device\)/ })).toBeVisible();
    await expect(section.getByRole('button', { name: 'Turn on e-mail notifications' })).toBeVisible();
    await expectNoAxeViolations(page);
    await page.getByRole('button', { name: 'Deutsch' }).click();
    await expect(page.locator('html')).toHaveAttribute('lang', 'de');

    // The clerk accepts a new application: one notice arrives.
    const submission = await apply(page, 'Rex');
    const act = await clerkApi(request);
    await act(submission, 'accept');
    await expect.poll(async () => (await pushed(sub)).length, { timeout: 60_000 }).toBeGreaterThanOrEqual(1);
    const [message] = await pushed(sub);
    expect(message.headers.contentEncoding).toBe('aes128gcm');
    expect(message.headers.authorization).toMatch(/^vapid t=.+, k=/);
    const plaintext = await decrypt(sub, message.body);
    expect(JSON.parse(plaintext)).toEqual({
      title: 'Neue Nachricht im Bürgeramt',
      body: NOTICE_DE,
      url: '/postfach',
      lang: 'de',
    });
    expectNoContent(plaintext);

    // The service worker shows it and opens the postbox on click.
    await page.goto('/konto');
    await waitForApp(page);
    await page.waitForFunction(() => !!navigator.serviceWorker.controller);
    await closeNotices(page);
    await deliverPush(page, plaintext);
    await expect.poll(() => notices(page)).toEqual([{ title: 'Neue Nachricht im Bürgeramt', body: NOTICE_DE, url: '/postfach' }]);
    await clickNotice(await activeWorker(context));
    await expect(page).toHaveURL(/\/postfach$/);
    await waitForApp(page);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Postfach');

    // Off again, in one step.
    await page.goto('/konto');
    await waitForApp(page);
    await section.getByRole('button', { name: 'Auf diesem Gerät ausschalten' }).click();
    await expect(page.locator('#benachrichtigungen-status')).toContainText('Auf diesem Gerät sind Push-Benachrichtigungen ausgeschaltet.');
    await expect(section.locator('[data-push-state="off"]')).toBeVisible();
  });

  test('e-mail: another address confirmed by its link, exactly one mail without content per Bescheid, unsubscribed by the link in it', async ({ page, context, request, browser }) => {
    test.setTimeout(240_000);
    const address = `benachrichtigung-${randomBytes(4).toString('hex')}@example.org`;
    await context.grantPermissions(['notifications']);
    await startWithPassword(page, SERVICES.hund);

    // Chosen by keyboard in the settings.
    await page.goto('/konto');
    await waitForApp(page);
    const section = settings(page);
    await expect(section.locator('[data-email-state="off"]')).toBeVisible();
    await section.getByRole('radio', { name: 'An eine andere Adresse' }).check();
    const field = section.getByRole('textbox', { name: 'E-Mail-Adresse' });
    await field.fill('keine-adresse');
    await field.press('Enter');
    await expect(section.locator('.kern-error')).toContainText('keine gültige E-Mail-Adresse');
    await expect(field).toBeFocused();
    await expect(field).toHaveAttribute('aria-invalid', 'true');
    await field.fill(address);
    await field.press('Enter');
    await expect(page.locator('#benachrichtigungen-status')).toContainText(`Bestätigungslink an ${address}`);
    await expect(section.locator('[data-email-state="pending"]')).toBeVisible();
    await expectNoAxeViolations(page);

    // The confirmation mail: its link, and nothing else.
    await expect.poll(async () => (await mails(address)).length).toBe(1);
    const [confirmation] = await mails(address);
    expectNoContent(`${confirmation.subject}\n${confirmation.text}\n${confirmation.html}`);
    await page.goto(linkIn(confirmation, '/benachrichtigungen/bestaetigen'));
    await waitForApp(page);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('E-Mail-Adresse bestätigen');
    await page.getByRole('button', { name: 'Adresse bestätigen' }).click();
    await expect(page.locator('#benachrichtigungen-ergebnis')).toContainText('ist bestätigt');
    await expect(page.locator('#benachrichtigungen-ergebnis')).toBeFocused();
    await expectNoAxeViolations(page);
    await page.goto('/konto');
    await waitForApp(page);
    await expect(section.locator('[data-email-state="other"]')).toContainText(address);

    // Push as well: its notices show when the relay has acted on a signal,
    // so the mail count can be checked after that, never after a time.
    const sub = await pushSubscription(page);
    await fakePushManager(context, sub);
    await turnOnPush(page, sub);

    // Two applications, both accepted: notices for that.
    const first = await apply(page, 'Rex');
    const second = await apply(page, 'Lumpi');
    const act = await clerkApi(request);
    await act(first, 'accept');
    await act(second, 'accept');
    await expect.poll(async () => (await pushed(sub)).length, { timeout: 60_000 }).toBeGreaterThanOrEqual(1);
    await expect.poll(async () => (await mails(address)).length, { timeout: 60_000 }).toBeGreaterThanOrEqual(2);

    // The Bescheid: exactly one more mail, and it says nothing about it.
    const pushesBefore = (await pushed(sub)).length;
    const mailsBefore = (await mails(address)).length;
    await act(first, 'decide', { decision: 'Ihr Hund Rex ist zur Hundesteuer angemeldet.' });
    await expect.poll(async () => (await pushed(sub)).length, { timeout: 60_000 }).toBe(pushesBefore + 1);
    await expect.poll(async () => (await mails(address)).length, { timeout: 60_000 }).toBe(mailsBefore + 1);
    const [notice] = await mails(address);
    expect(notice.subject).toBe('Neue Nachricht im Bürgeramt');
    expect(notice.text).toContain(NOTICE_DE);
    expect(notice.text).toMatch(/\/postfach\b/);
    expect(notice.html).toContain(NOTICE_DE);
    expectNoContent(`${notice.subject}\n${notice.text}\n${notice.html}`);

    // Unsubscribed by the notice's link, on another device (a browser
    // without the login): one button.
    const unsubscribe = linkIn(notice, '/benachrichtigungen/abbestellen');
    const phone = await browser.newContext({ locale: 'de-DE' });
    const other = await phone.newPage();
    await other.goto(unsubscribe);
    await waitForApp(other);
    await expect(other.getByRole('heading', { level: 1 })).toHaveText('E-Mail-Benachrichtigungen abbestellen');
    await other.getByRole('button', { name: 'Abbestellen' }).click();
    await expect(other.locator('#benachrichtigungen-ergebnis')).toContainText(/Abbestellt: Wir schicken keine Benachrichtigungen mehr an b…\w@example\.org/);
    await expect(other.locator('#benachrichtigungen-ergebnis')).toBeFocused();
    await expectNoAxeViolations(other);
    await phone.close();

    // The clerk acts again: the push notice comes, no mail, and still
    // exactly one mail for the Bescheid.
    await act(second, 'processing');
    await expect.poll(async () => (await pushed(sub)).length, { timeout: 60_000 }).toBe(pushesBefore + 2);
    expect((await mails(address)).length).toBe(mailsBefore + 1);

    // Tidy up: push off for this device at the relay (the next specs use Erika too).
    await page.goto('/konto');
    await waitForApp(page);
    await expect(section.locator('[data-email-state="off"]')).toBeVisible();
    await section.getByRole('button', { name: 'Auf diesem Gerät ausschalten' }).click();
    await expect(section.locator('[data-push-state="off"]')).toBeVisible();
  });
});
