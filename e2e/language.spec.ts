// WCAG 3.1.2 Language of Parts (issue #15): in the English interface,
// German content (the catalogue's German texts, authority names and
// addresses, the authority's messages, service names from FIT-Connect) is
// marked lang="de", so a screen reader reads it with German rules.
import type { Page } from '@playwright/test';
import { test, expect, expectNoAxeViolations, waitForApp } from './fixtures';
import { SERVICES, KOELN, startWithPassword, sendHundesteuer } from './apply-helpers';

/** German function words: two of them in one text make it German. */
const GERMAN = [
  'und', 'der', 'die', 'das', 'den', 'dem', 'des', 'sie', 'ihr', 'ihre', 'ihren', 'für', 'mit', 'von', 'zur', 'zum',
  'bei', 'ein', 'eine', 'einen', 'ist', 'sind', 'wird', 'werden', 'nicht', 'oder', 'auf', 'über', 'nach', 'wenn',
  'können', 'müssen', 'hat', 'haben', 'noch', 'wir', 'bitte',
];

/**
 * The visible texts in `main` that read as German (two or more German
 * function words) but whose nearest `lang` is not German.
 */
async function germanOutsideDe(page: Page): Promise<string[]> {
  return page.evaluate((words) => {
    const german = new Set(words);
    const out: string[] = [];
    const main = document.querySelector('main');
    if (!main) return ['no main'];
    const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const text = n.textContent ?? '';
      const hits = text.toLowerCase().split(/[^a-zäöüß]+/).filter((w) => german.has(w));
      if (hits.length < 2) continue;
      const el = n.parentElement;
      if (!el || !el.getClientRects().length) continue;
      const lang = el.closest('[lang]')?.getAttribute('lang') ?? '';
      if (!lang.startsWith('de')) out.push(`${lang}: ${text.trim().slice(0, 90)}`);
    }
    return out;
  }, GERMAN);
}

async function english(page: Page) {
  await page.getByRole('button', { name: 'English' }).click();
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
}

test('the probe finds German text that is not marked, and accepts it once marked', async ({ page }) => {
  await page.goto('/hilfe');
  await waitForApp(page);
  await english(page);
  expect(await germanOutsideDe(page)).toEqual([]);
  await page.evaluate(() => {
    const p = document.createElement('p');
    p.textContent = 'Sie können den Antrag online stellen und die Unterlagen nachreichen.';
    document.querySelector('main')?.append(p);
  });
  expect(await germanOutsideDe(page)).toHaveLength(1);
  await page.evaluate(() => document.querySelector('main > p:last-child')?.setAttribute('lang', 'de'));
  expect(await germanOutsideDe(page)).toEqual([]);
});

test('English interface: German catalogue texts, authority and messages are marked lang="de"', async ({ page }) => {
  // The service page at a place: English name and summary, German facts,
  // description modules and the authority.
  await page.goto(`/leistungen/${SERVICES.hund}?ort=${KOELN}`);
  await waitForApp(page);
  await english(page);
  const h1 = page.getByRole('heading', { level: 1 });
  await expect(h1).toHaveAttribute('lang', 'en');
  const authority = page.locator('.authority-card h3');
  await expect(authority).toContainText('Köln');
  await expect(authority).toHaveAttribute('lang', 'de');
  await expect(page.locator('.authority-card address')).toHaveAttribute('lang', 'de');
  await expect(page.locator('#fakten-heading + dl [lang="de"]').first()).toBeVisible();
  expect(await germanOutsideDe(page)).toEqual([]);
  await expectNoAxeViolations(page);

  // Search results: the summaries say their own language.
  await page.goto('/suche?q=Hund');
  await waitForApp(page);
  await expect(page.locator('.service-card__link').first()).toHaveAttribute('lang', 'en');
  expect(await germanOutsideDe(page)).toEqual([]);

  // Meine Anträge after sending (in German: the form helpers speak German),
  // read in English: the service name and the authority are German, and so
  // is the authority's message at the first step.
  await page.getByRole('button', { name: 'Deutsch' }).click();
  await startWithPassword(page, SERVICES.hund);
  await page.getByRole('link', { name: 'Antrag starten' }).click();
  const { submission } = await sendHundesteuer(page, 'Lingua');
  await page.goto('/antraege');
  await waitForApp(page);
  await english(page);
  const card = page.locator('article', { has: page.locator(`#antrag-${submission}`) });
  await expect(card.getByRole('heading', { level: 3 })).toHaveAttribute('lang', 'de');
  await expect(card.locator('dd[lang="de"]').first()).toContainText('Köln');
  // One list: the status messages sit in the timeline's steps.
  await expect(card.getByRole('list')).not.toHaveCount(0);
  await expect(card.locator('.postbox-status-list')).toHaveCount(0);
  await expect(card.locator('.timeline__message').first()).toBeVisible();
  expect(await germanOutsideDe(page)).toEqual([]);
  await expectNoAxeViolations(page);

  // The postbox: the authority's subjects, sender and texts are German.
  await card.getByRole('link', { name: /^Read the message/ }).first().click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveAttribute('lang', 'de');
  await expect(page.locator('.postbox-text')).toHaveAttribute('lang', 'de');
  expect(await germanOutsideDe(page)).toEqual([]);
  await expectNoAxeViolations(page);
  await page.goto('/postfach');
  await waitForApp(page);
  await expect(page.locator('.postbox-item__title [lang="de"]').first()).toBeVisible();
  expect(await germanOutsideDe(page)).toEqual([]);
});
