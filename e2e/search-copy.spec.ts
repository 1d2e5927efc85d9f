// On /suche index.html draws a copy of the search page's upper part (heading,
// search field, place field) before any script has run; the app mounts
// hidden behind it and takes its place only once its own page has drawn
// (src/browser/shell.rs). The tests hold the module back to act on the copy:
// no time is measured, every wait hangs on the page's own signals.
import { test, expect, waitForApp } from './fixtures';
import type { Page, Route } from '@playwright/test';

type Box = { x: number; y: number; w: number; h: number } | null;
type Seen = {
  lcp: { shell: boolean; id: string; size: number }[];
  firstMain?: { shell: boolean; shown: boolean };
  appBoxes?: Box[];
};

// The same parts in the copy and in the app.
const COPY = [
  '#static-shell-suche h1',
  '#static-shell-suche h1 + p',
  'label[for="static-suche-q"]',
  '#static-suche-q-hint',
  '#static-suche-q',
  '#static-suche-q ~ button',
  'label[for="static-suche-ort-q"]',
  '#static-suche-ort-q-hint',
  '#static-suche-ort-q',
];
const APP = [
  'main h1',
  'main h1 + p',
  'label[for="suche-q"]',
  '#suche-q-hint',
  '#suche-q',
  '#suche-q ~ button',
  'label[for="suche-ort-q"]',
  '#suche-ort-q-hint',
  '#suche-ort-q',
];

/** Holds the main module until the returned function is called. */
async function holdModule(page: Page): Promise<() => void> {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  await page.route(/_bg\.wasm$/, async (route: Route) => {
    await released;
    await route.continue();
  });
  return release;
}

test.describe('the search page drawn before the module', () => {
  // The page's own requests only: a service worker's fetches pass by page.route.
  test.use({ serviceWorkers: 'block', viewport: { width: 412, height: 823 } });

  test('the copy is drawn first, stays the largest paint, and hands over in place with what was typed', async ({ page }) => {
    await page.addInitScript(
      ({ app }) => {
        const seen: Seen = { lcp: [] };
        (window as unknown as { __seen: Seen }).__seen = seen;
        new PerformanceObserver((list) => {
          for (const e of list.getEntries() as (PerformanceEntry & { element: Element | null; size: number })[]) {
            seen.lcp.push({ shell: !!e.element?.closest('#static-shell'), id: e.element?.id ?? '', size: e.size });
          }
        }).observe({ type: 'largest-contentful-paint', buffered: true });
        // Where the app's parts are the moment the copy goes (before that
        // frame is drawn), and whether the app's main was shown when it came.
        new MutationObserver(() => {
          const main = document.querySelector('main#inhalt');
          if (main && !seen.firstMain) {
            seen.firstMain = { shell: !!document.getElementById('static-shell'), shown: main.getClientRects().length > 0 };
          }
          if (main && !seen.appBoxes && !document.getElementById('static-shell')) {
            seen.appBoxes = app.map((sel) => {
              const r = document.querySelector(sel)?.getBoundingClientRect();
              return r ? { x: r.x, y: r.y, w: r.width, h: r.height } : null;
            });
          }
        }).observe(document, { childList: true, subtree: true });
      },
      { app: APP },
    );
    const release = await holdModule(page);
    await page.goto('/suche?q=hund', { waitUntil: 'commit' });
    const seen = () => page.evaluate(() => (window as unknown as { __seen: Seen }).__seen);

    // The copy, with the URL's query in its field, is the first largest paint.
    await expect(page.locator('#static-suche-q')).toHaveValue('hund');
    await expect(page.locator('#static-suche-ort-q-hint')).toBeVisible();
    await expect.poll(async () => (await seen()).lcp.some((e) => e.shell)).toBe(true);
    expect((await seen()).lcp.every((e) => e.shell), 'every paint so far is the copy\'s').toBe(true);

    // The citizen types into the copy: a place, then more of the query.
    await page.locator('#static-suche-ort-q').fill('50667');
    await page.locator('#static-suche-q').click();
    await page.locator('#static-suche-q').press('End');
    await page.locator('#static-suche-q').pressSequentially('esteuer');
    await expect(page.locator('#static-suche-q')).toHaveValue('hundesteuer');

    // The copy's parts where they stand with the fonts in (as the app will
    // draw them), then the module.
    await page.waitForFunction(() => [...document.fonts].some((f) => f.family.replace(/"/g, '') === 'Fira Sans'));
    await page.evaluate(() =>
      Promise.all(
        [...document.fonts]
          .filter((f) => f.family.replace(/"/g, '') === 'Fira Sans' && f.style === 'normal')
          .map((f) => f.load().catch(() => undefined)),
      ),
    );
    const copyBoxes = await page.evaluate((copy) =>
      copy.map((sel) => {
        const r = document.querySelector(sel)?.getBoundingClientRect();
        return r ? { x: r.x, y: r.y, w: r.width, h: r.height } : null;
      }),
    COPY);
    expect(copyBoxes.every((b) => b && b.w > 0 && b.h > 0), `the copy's parts: ${JSON.stringify(copyBoxes)}`).toBe(true);
    release();
    await waitForApp(page);

    // The app was mounted hidden behind the copy, and took its place with
    // every part where the copy's stood.
    const after = await seen();
    expect(after.firstMain, "the app's main when it was mounted").toEqual({ shell: true, shown: false });
    expect(after.appBoxes, "the app's parts the moment the copy went").toBeTruthy();
    after.appBoxes!.forEach((b, i) => {
      const c = copyBoxes[i]!;
      expect(b, `${APP[i]} is there`).not.toBeNull();
      for (const k of ['x', 'y', 'w', 'h'] as const) {
        expect(Math.abs(b![k] - c[k]), `${APP[i]}.${k}: app ${b![k]}, copy ${c[k]}`).toBeLessThan(0.5);
      }
    });

    // Nothing typed was lost: both fields hold it, the cursor is where it was,
    // and the page acts on it as on typing.
    await expect(page.locator('#suche-q')).toHaveValue('hundesteuer');
    await expect(page.locator('#suche-q')).toBeFocused();
    expect(await page.locator('#suche-q').evaluate((e: HTMLInputElement) => [e.selectionStart, e.selectionEnd])).toEqual([11, 11]);
    await expect(page.locator('#suche-ort-q')).toHaveValue('50667');
    await expect(page).toHaveURL(/[?&]q=hundesteuer(&|$)/);
    await expect(page.getByRole('link', { name: 'Hundesteuer anmelden' })).toBeVisible();
    await expect(page.locator('.place-picker__list').getByRole('button', { name: /Köln/ }).first()).toBeVisible();

    // The copy's paint stays the largest, and the hints swap to Fira Sans.
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    const entries = (await seen()).lcp;
    expect(entries.at(-1), `the largest paint (all: ${JSON.stringify(entries)})`).toMatchObject({ shell: true });
    await expect.poll(() => page.evaluate(() => getComputedStyle(document.getElementById('suche-ort-q-hint')!).fontFamily)).toMatch(/^"Fira Sans"/);
  });

  test('focus in the shell moves to the app: the copy\'s button, a header link', async ({ page }) => {
    // A keyboard user tabs from the copy's search field to its button while
    // the app loads: the focus lands on the app's button, not on the page.
    let release = await holdModule(page);
    await page.goto('/suche?q=hund', { waitUntil: 'commit' });
    await expect(page.locator('#static-suche-q')).toHaveValue('hund');
    await page.locator('#static-suche-q').focus();
    await page.keyboard.press('Tab');
    await expect(page.locator('#static-shell-suche button[type="submit"]')).toBeFocused();
    release();
    await waitForApp(page);
    await expect(page.locator('#suche-submit')).toBeFocused();

    // A link of the shell's header, on /suche (the copy stays until the
    // page has drawn) and on a path without a copy (the shell goes when the
    // app mounts): the app's header link to the same address.
    for (const path of ['/suche?q=hund', '/hilfe']) {
      await page.unrouteAll();
      release = await holdModule(page);
      await page.goto(path, { waitUntil: 'commit' });
      await page.locator('#static-shell a[href="/postfach"]').focus();
      await expect(page.locator('#static-shell a[href="/postfach"]')).toBeFocused();
      release();
      await waitForApp(page);
      await expect(page.locator('header a[href="/postfach"]'), path).toBeFocused();
    }
  });

  test('the copy leaves out what the app would draw otherwise', async ({ page }) => {
    // A place remembered on this device: the app shows it, not the place field.
    await page.addInitScript(() => {
      if (!localStorage.getItem('buergeramt.ort')) {
        localStorage.setItem('buergeramt.ort', JSON.stringify({ ars: '053150000000', name: 'Köln' }));
      }
    });
    let release = await holdModule(page);
    await page.goto('/suche?q=hund', { waitUntil: 'commit' });
    await expect(page.locator('#static-suche-q')).toHaveValue('hund');
    await expect(page.locator('#static-shell')).toHaveAttribute('data-page', 'suche');
    await expect(page.locator('#static-suche-ort')).toHaveCount(0);
    release();
    await waitForApp(page);
    await expect(page.locator('.place-picker__current')).toContainText('Köln');

    // English chosen on this device: the German copy is not shown at all.
    await page.evaluate(() => localStorage.setItem('buergeramt.sprache', 'en'));
    await page.unrouteAll();
    release = await holdModule(page);
    await page.goto('/suche?q=hund', { waitUntil: 'commit' });
    await expect(page.locator('#static-shell .site-nav__list')).toBeVisible();
    await expect(page.locator('#static-shell-suche')).toHaveCount(0);
    await expect(page.locator('#static-shell')).not.toHaveAttribute('data-page', /./);
    release();
    await waitForApp(page);
    await expect(page.locator('main h1')).toHaveText('Find services');
  });
});
