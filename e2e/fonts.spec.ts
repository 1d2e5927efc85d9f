// Fonts do not hold back the first paint (scripts/fonts.mjs): every Fira
// Sans face is `font-display: swap`, and until a face has arrived the text
// is drawn in "Fira Sans Fallback", the system's Arial (on Debian: Liberation
// Sans, which Debian's chromium depends on) scaled to Fira Sans' width. No
// time is measured: the font files are held back by the test itself until
// the page has reported its paint.
import { test, expect, waitForApp } from './fixtures';

const WEIGHTS = [400, 500, 600, 700];

test('every Fira Sans face swaps, and the fallback is as wide as Fira Sans in each weight (never narrower)', async ({ page }) => {
  await page.goto('/');
  await waitForApp(page);
  const faces = await page.evaluate(async () => {
    await document.fonts.ready;
    return [...document.fonts].map((f) => ({ family: f.family.replace(/"/g, ''), weight: f.weight, display: f.display }));
  });
  const fira = faces.filter((f) => f.family === 'Fira Sans');
  expect(fira.length, 'Fira Sans faces').toBeGreaterThan(0);
  expect(fira.filter((f) => f.display !== 'swap'), 'faces that hold text back').toEqual([]);
  expect(faces.filter((f) => f.family === 'Fira Sans Fallback').map((f) => f.weight).sort()).toEqual(WEIGHTS.map(String));

  const widths = await page.evaluate(async (weights) => {
    const text = [
      document.querySelector('main p')?.textContent ?? '',
      'Was möchten Sie erledigen? Hundesteuer anmelden, Personalausweis beantragen, Wohnsitz ummelden.',
      'Anmelden Postfach Suche Leistungen Barrierefreiheit Impressum Datenschutz Glossar',
      'Find a service of your town, the state of North Rhine-Westphalia or the federation.',
    ].join(' ');
    const ctx = document.createElement('canvas').getContext('2d')!;
    const width = (font: string) => {
      ctx.font = font;
      return ctx.measureText(text).width;
    };
    const out: Record<number, { fira: number; fallback: number; found: boolean }> = {};
    for (const w of weights) {
      await document.fonts.load(`${w} 100px "Fira Sans"`, text);
      await document.fonts.load(`${w} 100px "Fira Sans Fallback"`, text);
      out[w] = {
        fira: width(`${w} 100px "Fira Sans", monospace`),
        fallback: width(`${w} 100px "Fira Sans Fallback", monospace`),
        // A local face was found: the family does not fall through to monospace.
        found: width(`${w} 100px "Fira Sans Fallback", monospace`) !== width(`${w} 100px monospace`),
      };
    }
    return out;
  }, WEIGHTS);
  for (const w of WEIGHTS) {
    const { fira, fallback, found } = widths[w];
    expect(found, `${w}: a local face for the fallback`).toBe(true);
    const ratio = fallback / fira;
    expect(ratio, `${w}: fallback width / Fira Sans width`).toBeGreaterThanOrEqual(1);
    expect(ratio, `${w}: fallback width / Fira Sans width`).toBeLessThan(1.015);
  }
});

// The fonts come while the module is still on its way (the test holds the
// module back until they are in), so the app draws its copy of the start page
// with Fira Sans at hand. Its introduction is still drawn in the fallback, like
// the static copy (style/search.css, `intro-fallback`), and swaps afterwards:
// drawn in Fira Sans at once, its first line took one word more, its box grew
// from 64,960 to 68,440 px² at 1280 px, and the largest paint moved to the
// app's render.
test.describe('the start page\'s largest paint', () => {
  // The page's own requests only: a service worker's fetches pass by page.route.
  test.use({ serviceWorkers: 'block' });

  test('the start page is painted before any font has arrived, and that paint stays the largest one', async ({ page }) => {
    // Every font file waits until the page has reported the introduction's
    // paint, the module until Fira Sans has arrived.
    let fontsAtPaint = -1;
    let painted: Promise<void> | undefined;
    const shellPainted = () =>
      (painted ??= (async () => {
        await page.waitForFunction(() => (window as unknown as { __lcp?: { shell: boolean; tag: string }[] }).__lcp?.some((e) => e.shell && e.tag === 'P'));
        fontsAtPaint = await page.evaluate(() => [...document.fonts].filter((f) => f.family.replace(/"/g, '') === 'Fira Sans' && f.status === 'loaded').length);
      })());
    await page.route(/\.woff2$/, async (route) => {
      await shellPainted();
      await route.continue();
    });
    let facesBeforeModule = 0;
    await page.route(/_bg\.wasm$/, async (route) => {
      // The introduction's face, there before the module (once Fira Sans'
      // stylesheet, added together with the module's request, has come).
      await page.waitForFunction(() => [...document.fonts].some((f) => f.family.replace(/"/g, '') === 'Fira Sans'));
      facesBeforeModule = await page.evaluate(() =>
        document.fonts.load('400 1.3rem "Fira Sans"', 'Hier finden Sie').then((faces) => faces.filter((f) => f.status === 'loaded').length),
      );
      await route.continue();
    });
    await page.addInitScript(() => {
      const seen: { shell: boolean; tag: string; size: number }[] = [];
      (window as unknown as { __lcp: typeof seen }).__lcp = seen;
      new PerformanceObserver((list) => {
        for (const e of list.getEntries() as (PerformanceEntry & { element: Element | null; size: number })[]) {
          seen.push({ shell: e.element?.parentElement?.id === 'static-shell-home', tag: e.element?.tagName ?? '', size: e.size });
        }
      }).observe({ type: 'largest-contentful-paint', buffered: true });
    });
    await page.goto('/', { waitUntil: 'commit' });
    const lcp = () => page.evaluate(() => (window as unknown as { __lcp: { shell: boolean; tag: string; size: number }[] }).__lcp);
    await shellPainted();
    expect(fontsAtPaint, 'Fira Sans faces loaded when the introduction was painted').toBe(0);
    await waitForApp(page);
    expect(facesBeforeModule, 'Fira Sans faces loaded before the module was let through').toBeGreaterThan(0);
    await page.evaluate(() => document.fonts.ready);
    await expect(page.getByRole('contentinfo')).toBeVisible();
    // Two frames after the app's last drawing, so that every paint is reported.
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    const entries = await lcp();
    expect(entries.at(-1), `the largest paint (all: ${JSON.stringify(entries)})`).toMatchObject({ shell: true, tag: 'P' });
    // And then the introduction is in Fira Sans like the rest of the page.
    await expect.poll(() => page.evaluate(() => getComputedStyle(document.querySelector('main p.home-intro')!).fontFamily)).toMatch(/^"Fira Sans"/);
  });
});

// On the start page and on /suche (whose upper part index.html copies too:
// src/browser/shell.rs) the first paint needs index.html and its two
// stylesheets (the app's and Fira Sans' fallback), nothing else: the scripts,
// the fonts, the module and the route's chunks are asked for only after it
// (index.html's `window.__appLoads`, `__deepLoads`, scripts/wasm-bundle.sh).
// Compared are the browser's own timestamps of one clock: when each request
// started, and when the page's copy was painted.
for (const { path, copy, later } of [
  { path: '/', copy: 'static-shell-home', later: [] as RegExp[] },
  { path: '/suche?q=hund', copy: 'static-shell-suche', later: [/\/routes\.js$/, /\/(chunk_\d+|split_\w+)\.wasm$/] },
]) {
  test(`${path} asks for no script, font or module before its first paint`, async ({ page }) => {
    await page.addInitScript((copy) => {
      (window as unknown as { __painted?: number }).__painted = undefined;
      new PerformanceObserver((list) => {
        for (const e of list.getEntries() as (PerformanceEntry & { element: Element | null })[]) {
          const inCopy = copy === 'static-shell-home' ? e.element?.parentElement?.id === copy && e.element.tagName === 'P' : !!e.element?.closest(`#${copy}`);
          if (inCopy) (window as unknown as { __painted?: number }).__painted ??= e.startTime;
        }
      }).observe({ type: 'largest-contentful-paint', buffered: true });
    }, copy);
    await page.goto(path);
    await waitForApp(page);
    await page.evaluate(() => document.fonts.ready);
    const { painted, requests } = await page.evaluate(() => ({
      painted: (window as unknown as { __painted?: number }).__painted,
      requests: performance.getEntriesByType('resource').map((e) => ({ path: new URL(e.name).pathname, start: e.startTime })),
    }));
    expect(painted, "the page's copy was painted").toBeDefined();
    const before = requests.filter((r) => r.start < painted!).map((r) => r.path);
    expect(before.filter((p) => !/^\/(app|fonts-fallback)-[0-9a-f]{16}\.css$/.test(p) && !/\.(svg|webmanifest)$/.test(p)), 'asked for before the first paint').toEqual([]);
    const after = requests.filter((r) => r.start >= painted!).map((r) => r.path);
    for (const kind of [/\/buergeramt\.js$/, /\/buergeramt_bg\.wasm$/, /\.woff2$/, /^\/fonts-[0-9a-f]{16}\.css$/, ...later]) {
      expect(after.some((p) => kind.test(p)), `${kind} after the first paint`).toBe(true);
    }
  });
}
