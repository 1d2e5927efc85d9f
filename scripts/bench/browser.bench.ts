// The browser figures of `make bench`: Lighthouse mobile for three pages
// and the app's memory after a full citizen journey. Run by scripts/bench.sh
// (`playwright test -c scripts/bench/playwright.config.ts`) against a freshly
// started release stand-in; each figure becomes a `ROW` line in BENCH_ROWS,
// and a figure that could not be measured says so in its row.
import { test, expect, chromium, type Page } from '@playwright/test';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitForApp } from '../../e2e/fixtures';
import { SERVICES, applyUrl, startWithPassword, sendHundesteuer } from '../../e2e/apply-helpers';

const BASE = process.env.BENCH_BASE ?? '';
const ROWS = process.env.BENCH_ROWS ?? '';

function row(group: string, name: string, value: string, unit: string) {
  const line = `ROW\t${group}\t${name}\t${value}\t${unit}\n`;
  process.stdout.write(line);
  if (ROWS) appendFileSync(ROWS, line);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

// The flags of the issue: Debian's Chromium, new headless, nothing in the
// background that would disturb the measurement.
const CHROME_FLAGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

type Lhr = {
  runtimeError?: { code: string; message: string };
  categories: Record<string, { score: number | null }>;
  audits: Record<string, { numericValue?: number; errorMessage?: string }>;
  lighthouseVersion: string;
};

function report(label: string, lhr: Lhr | undefined, error?: unknown) {
  const g = 'lighthouse mobile';
  if (!lhr || lhr.runtimeError) {
    const why = lhr?.runtimeError ? `${lhr.runtimeError.code}` : String(error).split('\n')[0].slice(0, 80);
    row(g, `${label}: perf / a11y / best practices`, `FAILED (${why})`, '');
    row(g, `${label}: LCP / TBT`, 'FAILED', '');
    return;
  }
  const score = (k: string) => {
    const s = lhr.categories[k]?.score;
    return s === null || s === undefined ? 'n/a' : String(Math.round(s * 100));
  };
  const num = (k: string, f: (v: number) => string) => {
    const v = lhr.audits[k]?.numericValue;
    return v === undefined ? 'n/a' : f(v);
  };
  row(g, `${label}: perf / a11y / best practices`, `${score('performance')} / ${score('accessibility')} / ${score('best-practices')}`, 'score (0-100)');
  row(g, `${label}: LCP / TBT`, `${num('largest-contentful-paint', (v) => (v / 1000).toFixed(2))} s / ${num('total-blocking-time', (v) => v.toFixed(0))} ms`, '');
}

const FLAGS = {
  output: 'json' as const,
  logLevel: 'error' as const,
  onlyCategories: ['performance', 'accessibility', 'best-practices'],
  // Default config: mobile form factor, simulated throttling (slow 4G, 4× CPU).
};

test('Lighthouse mobile: start page, search, one form step', async () => {
  test.skip(!BASE, 'BENCH_BASE not set');
  const { default: lighthouse } = await import('lighthouse');
  const puppeteer = await import('puppeteer-core');
  const port = await freePort();
  const profile = mkdtempSync(join(tmpdir(), 'buergeramt-lh-'));
  // One browser for all three: Playwright drives it (login), Lighthouse
  // reaches it through the DevTools port.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROME_PATH ?? '/usr/bin/chromium',
    headless: false, // --headless=new is in the flags
    args: [...CHROME_FLAGS, `--remote-debugging-port=${port}`],
    baseURL: BASE,
    locale: 'de-DE',
  });
  const browser = await puppeteer.default.connect({ browserURL: `http://127.0.0.1:${port}`, defaultViewport: null });
  try {
    for (const [label, path] of [
      ['/', '/'],
      ['/suche?q=hund', '/suche?q=hund'],
    ]) {
      try {
        const r = await lighthouse(`${BASE}${path}`, { ...FLAGS, port });
        report(label, r?.lhr as Lhr | undefined, 'no result');
      } catch (e) {
        report(label, undefined, e);
      }
    }

    // A form step needs a logged-in citizen: the session is in this tab's
    // sessionStorage, so Lighthouse runs in the same tab and must not reset storage.
    const step = applyUrl(SERVICES.hund, 'schritt/hunde');
    const label = `form step ${step.split('?')[0]}`;
    try {
      const page = await context.newPage();
      await startWithPassword(page, SERVICES.hund);
      await page.goto(step);
      await expect(page.getByRole('heading', { level: 1 })).toHaveText('Hunde');
      const target = (await browser.pages()).find((p) => p.url().includes('/schritt/hunde'));
      if (!target) throw new Error('the logged-in tab is not visible over the DevTools port');
      const r = await lighthouse(`${BASE}${step}`, { ...FLAGS, disableStorageReset: true }, undefined, target);
      const lhr = r?.lhr as Lhr | undefined;
      // Lighthouse reloads the URL: make sure it measured the form, not a login prompt.
      const stillIn = await target.evaluate(() => document.querySelector('main h1')?.textContent ?? '');
      if (lhr && stillIn.trim() !== 'Hunde') throw new Error(`measured "${stillIn.trim()}" instead of the form step`);
      report(label, lhr, 'no result');
    } catch (e) {
      report(label, undefined, e);
    }
  } finally {
    await browser.disconnect();
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
});

/** JS heap and wasm linear memory of the page, after a forced GC. */
async function memory(page: Page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const before = await cdp.send('Performance.getMetrics');
  await cdp.send('HeapProfiler.collectGarbage');
  const after = await cdp.send('Performance.getMetrics');
  const get = (m: { metrics: { name: string; value: number }[] }, n: string) =>
    m.metrics.find((x) => x.name === n)?.value ?? NaN;
  const wasm = await page.evaluate(() => (window as unknown as { __benchWasmBytes?: () => number }).__benchWasmBytes?.() ?? NaN);
  return {
    usedBefore: get(before, 'JSHeapUsedSize'),
    used: get(after, 'JSHeapUsedSize'),
    total: get(after, 'JSHeapTotalSize'),
    wasm,
    nodes: get(after, 'Nodes'),
  };
}

test('JS heap after a full journey: search, login, Hundesteuer sent, postbox', async ({ page }) => {
  test.skip(!BASE, 'BENCH_BASE not set');
  const g = 'memory';
  // Keep a handle on the memory of the first wasm instance (the main module;
  // the chunks import that same memory), whichever loader instantiates it.
  // (CDP's Runtime.queryObjects on WebAssembly.Memory crashed the renderer.)
  await page.addInitScript(() => {
    let mem: WebAssembly.Memory | undefined;
    const keep = (r: WebAssembly.WebAssemblyInstantiatedSource) => {
      const m = r.instance.exports.memory;
      if (!mem && m instanceof WebAssembly.Memory) mem = m;
      return r;
    };
    const streaming = WebAssembly.instantiateStreaming;
    WebAssembly.instantiateStreaming = (src, imports) => streaming(src, imports).then(keep);
    (window as unknown as { __benchWasmBytes?: () => number }).__benchWasmBytes = () => mem?.buffer.byteLength ?? NaN;
  });
  try {
    await page.goto('/suche?q=hund');
    await waitForApp(page);
    await expect(page.getByRole('link', { name: /Hundesteuer/ }).first()).toBeVisible();

    await startWithPassword(page, SERVICES.hund);
    await page.getByRole('link', { name: /Antrag starten|Weiter ausfüllen/ }).click();
    await sendHundesteuer(page, 'Messhund');

    await page.goto('/postfach');
    await waitForApp(page);
    await page.waitForLoadState('networkidle');
    const m = await memory(page);
    const mb = (b: number) => (Number.isFinite(b) ? (b / 1024 / 1024).toFixed(2) : 'n/a');
    row(g, 'app JS heap used after journey (after GC)', mb(m.used), 'MB');
    row(g, 'app JS heap used at the end of the journey (before GC)', mb(m.usedBefore), 'MB');
    row(g, 'app JS heap total after GC', mb(m.total), 'MB');
    row(g, 'app wasm linear memory after journey', mb(m.wasm), 'MB');
    row(g, 'app DOM nodes on /postfach', String(m.nodes), '');
  } catch (e) {
    row(g, 'app JS heap used after journey (after GC)', `FAILED (${String(e).split('\n')[0].slice(0, 80)})`, '');
    throw e;
  }
});
