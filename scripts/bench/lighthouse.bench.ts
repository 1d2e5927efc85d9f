// Lighthouse mobile of `make bench` (issue #19): the start page, a search,
// one form step and the postbox, each measured three times; the rows give
// the median of each figure and the three performance scores. Run by
// scripts/bench.sh (browser part) against a freshly started release
// stand-in with a relay in front (the app's one origin), BENCH_BASE being
// the relay's URL.
import { test, expect, chromium, type BrowserContext } from '@playwright/test';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SERVICES, ERIKA, applyUrl, startWithPassword } from '../../e2e/apply-helpers';
import { row, freePort, CHROME_FLAGS, removeProfile } from './common';

const BASE = process.env.BENCH_BASE ?? '';
/** An earlier build served by a second relay (BENCH_BEFORE_DIST in bench.sh): measured too, side by side. */
const BEFORE = process.env.BENCH_BASE_BEFORE ?? '';
const RUNS = Number(process.env.BENCH_LIGHTHOUSE_RUNS ?? '3');
/** BENCH_LIGHTHOUSE_SAVE=<dir>: every run's report is kept there as JSON (main-thread breakdown, long tasks, …). */
const SAVE = process.env.BENCH_LIGHTHOUSE_SAVE ?? '';
/**
 * BENCH_LIGHTHOUSE_PAGES=/,/suche,/postfach,form step: only these pages (a
 * page's label, or its part before a space or `?`; all four when unset), for
 * a quick side-by-side look.
 */
const ONLY = (process.env.BENCH_LIGHTHOUSE_PAGES ?? '').split(',').filter(Boolean);
const wanted = (label: string) =>
  ONLY.length === 0 || ONLY.some((p) => label === p || label.startsWith(`${p} `) || label.startsWith(`${p}?`));
let saved = 0;
function keep(label: string, lhr: unknown) {
  if (!SAVE || !lhr) return;
  mkdirSync(SAVE, { recursive: true });
  const name = `${String(++saved).padStart(2, '0')}-${label.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_|_$/g, '')}.json`;
  writeFileSync(join(SAVE, name), JSON.stringify(lhr));
}

type Lhr = {
  runtimeError?: { code: string; message: string };
  categories: Record<string, { score: number | null }>;
  audits: Record<string, { numericValue?: number }>;
};

/** One run's figures, or why there are none. */
type Figures = { perf: number; a11y: number; bp: number; lcp: number; tbt: number } | { failed: string };

function figures(lhr: Lhr | undefined, error?: unknown): Figures {
  if (!lhr || lhr.runtimeError) {
    return { failed: lhr?.runtimeError?.code ?? String(error ?? 'no result').split('\n')[0].slice(0, 80) };
  }
  const score = (k: string) => Math.round((lhr.categories[k]?.score ?? NaN) * 100);
  const num = (k: string) => lhr.audits[k]?.numericValue ?? NaN;
  return {
    perf: score('performance'),
    a11y: score('accessibility'),
    bp: score('best-practices'),
    lcp: num('largest-contentful-paint'),
    tbt: num('total-blocking-time'),
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

function report(label: string, runs: Figures[]) {
  const g = 'lighthouse mobile';
  const ok = runs.filter((r): r is Exclude<Figures, { failed: string }> => !('failed' in r));
  if (ok.length === 0) {
    const why = runs.map((r) => ('failed' in r ? r.failed : '')).find(Boolean) ?? 'no run';
    row(g, `${label}: perf / a11y / best practices (median of ${RUNS})`, `FAILED (${why})`, '');
    row(g, `${label}: LCP / TBT (median)`, 'FAILED', '');
    return;
  }
  const m = (k: keyof (typeof ok)[0]) => median(ok.map((r) => r[k]));
  const note = ok.length < runs.length ? ` (${runs.length - ok.length} of ${runs.length} runs failed)` : '';
  row(g, `${label}: perf / a11y / best practices (median of ${ok.length})`, `${m('perf')} / ${m('a11y')} / ${m('bp')}${note}`, 'score (0-100)');
  row(g, `${label}: LCP / TBT (median)`, `${(m('lcp') / 1000).toFixed(2)} s / ${m('tbt').toFixed(0)} ms`, 'goal ≤ 1.5 s / ≤ 150 ms');
  row(g, `${label}: performance of each run`, ok.map((r) => r.perf).join(' / '), 'score');
}

const FLAGS = {
  output: 'json' as const,
  logLevel: 'error' as const,
  onlyCategories: ['performance', 'accessibility', 'best-practices'],
  // Default config: mobile form factor, simulated throttling (slow 4G, 4× CPU).
};

/** A browser of its own: Playwright drives it (the login), Lighthouse reaches it through the DevTools port. */
type Session = {
  context: BrowserContext;
  browser: import('puppeteer-core').Browser;
  port: number;
};

/**
 * Runs `run` in a freshly started browser and closes it afterwards: every
 * Lighthouse run gets a browser of its own, as the Lighthouse CLI does. In
 * one browser shared by all runs, the renderer process that had held the
 * app earlier (an earlier run, the login's tab) began each later navigation
 * with a task of V8 walking its heap, 80-150 ms unthrottled and 4× that in
 * the simulation, growing run by run; a plain navigation without DevTools
 * does not have it (docs/performance.md "Logged-in pages in a fresh tab").
 */
async function inOwnBrowser<T>(run: (s: Session) => Promise<T>): Promise<T> {
  const puppeteer = await import('puppeteer-core');
  const port = await freePort();
  const profile = mkdtempSync(join(tmpdir(), 'buergeramt-lh-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROME_PATH ?? '/usr/bin/chromium',
    headless: false, // --headless=new is in the flags
    args: [...CHROME_FLAGS, `--remote-debugging-port=${port}`],
    baseURL: BASE,
    locale: 'de-DE',
  });
  try {
    const browser = await puppeteer.default.connect({ browserURL: `http://127.0.0.1:${port}`, defaultViewport: null });
    try {
      return await run({ context, browser, port });
    } finally {
      await browser.disconnect();
    }
  } finally {
    await context.close();
    removeProfile(profile);
  }
}

test('Lighthouse mobile: start page, search, a form step, the postbox', async () => {
  test.skip(!BASE, 'BENCH_BASE not set');
  test.setTimeout(30 * 60_000);
  const { default: lighthouse } = await import('lighthouse');
  // The builds: this one, and the earlier one if given ("before: …" rows).
  const builds = [
    ...(BEFORE ? [{ base: BEFORE, label: 'before: ' }] : []),
    { base: BASE, label: '' },
  ];
  // Anonymous pages: Lighthouse opens its own tab and clears the origin's
  // storage. With two builds, their runs take turns.
  for (const path of ['/', '/suche?q=hund'].filter(wanted)) {
    const runs = new Map<string, Figures[]>(builds.map((b) => [b.label, []]));
    for (let i = 0; i < RUNS; i++) {
      for (const { base, label } of builds) {
        try {
          const lhr = await inOwnBrowser(async ({ port }) => (await lighthouse(`${base}${path}`, { ...FLAGS, port }))?.lhr);
          keep(`${label}${path}`, lhr);
          runs.get(label)!.push(figures(lhr as Lhr | undefined));
        } catch (e) {
          runs.get(label)!.push(figures(undefined, e));
        }
      }
    }
    for (const { label } of builds) report(`${label}${path}`, runs.get(label)!);
  }

  // Logged-in pages: the session is the relay's cookie in the run's browser,
  // so Lighthouse must not reset storage. Each run logs in, checks that the
  // page is there in the login's tab (a lost login fails here, not as a
  // score), and leaves that tab on it; Lighthouse measures in a fresh tab,
  // as it does for the anonymous pages. Afterwards that tab must show the
  // page (not a login prompt), or the run does not count.
  const step = applyUrl(SERVICES.hund, 'schritt/hunde');
  const pages = [
    [`form step ${step.split('?')[0]}`, step, 'Hunde'],
    ['/postfach (logged in)', '/postfach', 'Postfach'],
  ] as const;
  for (const [label, url, heading] of pages.filter(([label]) => wanted(label))) {
    const runs = new Map<string, Figures[]>(builds.map((b) => [b.label, []]));
    for (let i = 0; i < RUNS; i++) {
      for (const { base, label: build } of builds) {
        try {
          const lhr = await inOwnBrowser(async ({ context, browser }) => {
            const page = await context.newPage();
            await startWithPassword(page, SERVICES.hund, ERIKA, base);
            await page.goto(`${base}${url}`);
            await expect(page.getByRole('heading', { level: 1 })).toHaveText(heading);
            const target = await browser.newPage();
            const r = await lighthouse(`${base}${url}`, { ...FLAGS, disableStorageReset: true }, undefined, target);
            const shown = await target.evaluate(() => document.querySelector('main h1')?.textContent?.trim() ?? '');
            if (shown !== heading) throw new Error(`measured "${shown}" instead of "${heading}"`);
            return r?.lhr;
          });
          keep(`${build}${label}`, lhr);
          runs.get(build)!.push(figures(lhr as Lhr | undefined));
        } catch (e) {
          runs.get(build)!.push(figures(undefined, e));
        }
      }
    }
    for (const { label: build } of builds) report(`${build}${label}`, runs.get(build)!);
  }
});
