// A citizen's core journey in Firefox ESR and WebKit (WebKitGTK's
// MiniBrowser) over plain WebDriver, where Playwright's own builds of these
// browsers are not available: follow a link to the search, find the
// Hundesteuer in Köln, open the
// service and its authority, log in with a password, fill the form to the
// review, send it (encrypted in the browser with WebCrypto), see the
// confirmation, and find the application's message in the postbox.
//
//   node --test --test-reporter=spec e2e-webdriver/      (both browsers)
//   WD_BROWSERS=webkit node --test e2e-webdriver/        (one)
//
// Needs dist/ (trunk build --release) and the debug binaries of the
// stand-in and the relay; `scripts/test.sh webdriver` builds them and runs
// this. The two servers are started once for all browsers.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServers, startBrowser } from './harness.mjs';
import { Page, stepper } from './page.mjs';

const KOELN = '053150000000';
const HUNDESTEUER = '99089005001000';
// Test citizen: docs/test-citizens.md.
const ERIKA = { user: 'erika', password: 'Mustermann-2026' };
const browsers = (process.env.WD_BROWSERS ?? 'firefox,webkit')
  .split(',')
  .map((b) => b.trim())
  .filter(Boolean);

let servers;
before(async () => {
  servers = await startServers();
});
after(async () => {
  await servers?.stop();
});

describe('citizen journey over WebDriver', { concurrency: 1 }, () => {
  for (const name of browsers) {
    test(`${name}: search, service, password login, Hundesteuer sent, message in the postbox`, async () => {
      const browser = await startBrowser(name);
      try {
        await journey(new Page(browser.driver, servers.base, name));
      } finally {
        await browser.stop();
      }
    });
  }
});

async function journey(page) {
  const step = stepper(page);
  const dog = `Bello ${page.browser === 'firefox' ? 'Firefox' : 'Webkit'}`;

  // index.html draws the search page's upper part before any script; the
  // app takes over once its own page has drawn (src/browser/shell.rs).
  await step('a link to the search: the app takes over with the query', async () => {
    await page.goto('/suche?q=Hund');
    await page.heading('Leistungen finden');
    await page.until('the app\'s search box holds "Hund"', () => document.getElementById('suche-q')?.value === 'Hund');
    await page.text(/\d+ Leistungen? gefunden/);
  });

  await step('the start page renders', async () => {
    await page.goto('/');
    await page.heading('Was möchten Sie erledigen?');
  });

  await step('choose Köln as the place', async () => {
    await page.fill(await page.field(/^Wo wohnen Sie\?/), 'Köln');
    await page.text(/Orte? gefunden/, { body: true });
    await page.click(await page.button(/^Köln\b/));
    await page.text(/Ihr Ort:\s*Köln/);
  });

  await step('search "Hund": Hundesteuer anmelden among the results', async () => {
    const box = await page.until('the search box in main', () => document.querySelector('main [role=search] input[type=search]'));
    await page.fill(box, 'Hund');
    await page.press(box, 'ENTER');
    await page.urlMatches(new RegExp(`/suche\\?.*q=Hund`));
    await page.heading('Leistungen finden');
    await page.text(/\d+ Leistungen? gefunden/);
    await page.until('the result "Hundesteuer anmelden" in the list "Suchergebnisse"', ($) => {
      const list = $.named('ul, ol, [role=list]', 'Suchergebnisse');
      return list && $.find('a[href]', '^Hundesteuer anmelden$', list);
    });
  });

  await step('open the service: its authority in Köln, online with a password', async () => {
    await page.click(await page.link(/^Hundesteuer anmelden$/));
    await page.urlMatches(new RegExp(`/leistungen/[^?]+\\?ort=${KOELN}`));
    await page.heading(/Hundesteuer anmelden/);
    const authority = await page.until('the authority card "Zuständige Stelle" with a Köln address and a phone link', ($) => {
      const region = $.named('section, [role=region]', 'Zuständige Stelle');
      return region && /Köln/.test(region.innerText) && region.querySelector('a[href^="tel:"]') && region;
    });
    assert.ok(authority);
    await page.until('the region "Online beantragen": a password is enough, with its link', ($) => {
      const region = $.named('section, [role=region]', 'Online beantragen');
      return region && /Benutzername und Passwort genügt/.test(region.innerText) && $.find('a[href^="/antrag/"]', '^Online beantragen$', region);
    });
  });

  await step('the application start page asks to log in', async () => {
    await page.click(await page.link(/^Online beantragen$/));
    await page.urlMatches(new RegExp(`/antrag/${HUNDESTEUER}`));
    await page.heading(/Hundesteuer anmelden/);
    await page.click(await page.element('main button', /^Anmelden$/));
  });

  await step('password login at the identity provider', async () => {
    await page.urlMatches(/\/idp\/login\//);
    const opts = { app: false };
    await page.until('the login page loaded', () => document.readyState === 'complete', [], opts);
    await page.fill(await page.field(/^Benutzername/, null, opts), ERIKA.user);
    const password = await page.until('the password field', () => document.querySelector('input#password'), [], opts);
    await page.fill(password, ERIKA.password);
    await page.click(await page.button(/^Mit Passwort anmelden$/, opts));
    await page.urlMatches(new RegExp(`/antrag/${HUNDESTEUER}`));
    await page.link(/^(Antrag starten|Weiter ausfüllen)$/);
    await page.until('Erika Mustermann in the header', ($) => /Erika Mustermann/.test(document.querySelector('header')?.innerText ?? ''));
  });

  await step('step 1: Halterin oder Halter, prefilled from the account', async () => {
    await page.click(await page.link(/^(Antrag starten|Weiter ausfüllen)$/));
    await page.heading('Halterin oder Halter');
    await page.until('Vorname prefilled with Erika', ($) => $.field('^Vorname')?.value === 'Erika');
    await page.click(await page.button(/^Weiter$/));
  });

  await step('step 2: one dog', async () => {
    await page.heading('Hunde');
    const inDog = { legend: /^Hund 1$/ };
    await page.fill(await page.field(/^Name des Hundes/, inDog), dog);
    await page.fill(await page.field(/^Rasse oder Kreuzung/, inDog), 'Dackel');
    const since = { legend: /^Beginn der Haltung/ };
    await page.fill(await page.field(/^Tag/, since), '1');
    await page.fill(await page.field(/^Monat/, since), '3');
    await page.fill(await page.field(/^Jahr/, since), '2025');
    const no = await page.until('the answer "Nein" in Hund 1', ($) =>
      [...($.group('^Hund 1$')?.querySelectorAll('input[type=radio]') ?? [])].find((r) => /^Nein$/.test($.norm(r.labels?.[0]?.textContent))),
    );
    await page.check(no);
    await page.click(await page.button(/^Weiter$/));
  });

  await step('step 3: Kontakt', async () => {
    await page.heading('Kontakt');
    await page.click(await page.button(/^Weiter$/));
  });

  await step('review: the dog as typed', async () => {
    await page.heading('Angaben prüfen');
    await page.text(new RegExp(dog));
    await page.text(/Dackel/);
  });

  let reference = '';
  await step('send encrypted: the confirmation with the reference', async () => {
    await page.check(await page.field(/^Ich versichere, dass meine Angaben richtig und vollständig sind\.$/));
    await page.click(await page.button(/^Antrag verschlüsselt senden$/));
    await page.heading('Antrag gesendet');
    await page.text(/Ihr Antrag wurde verschlüsselt gesendet/);
    reference = await page.until('the reference', ($) => $.norm(document.querySelector('.apply-reference')?.textContent));
    // The authority's case number (Vorgangsnummer) or, until it has one, the submission id.
    assert.match(reference, /^[\w-]{6,}$/, `the case reference "${reference}"`);
    assert.match(await page.url(), /[?&]einreichung=[0-9a-f-]{36}/);
  });

  await step('the postbox has the message for this application', async () => {
    await page.goto(`/postfach?q=${reference}`);
    await page.heading('Postfach');
    // The search by the reference finds exactly this application's status message.
    const item = await page.until(`one message "Hundesteuer anmelden: Eingereicht" found by ${reference}`, ($) => {
      const items = [...document.querySelectorAll('.postbox-item')];
      return items.length === 1 && /Hundesteuer anmelden: Eingereicht/.test($.norm(items[0].innerText)) && items[0].querySelector('a[href^="/postfach/"]');
    });
    await page.click(item);
    await page.urlMatches(/\/postfach\/[0-9a-f-]{36}$/);
    await page.until(
      'the opened message: its heading names the application, with its delivery date',
      ($) => !document.querySelector('.postbox-item') && /Hundesteuer anmelden/.test($.h1()) && /Zugestellt am/.test(document.querySelector('main').innerText),
    );
  });
}
