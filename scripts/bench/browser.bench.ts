// The app's memory after a full citizen journey, a figure of `make bench`
// (Lighthouse mobile is in lighthouse.bench.ts). Run by scripts/bench.sh
// (`playwright test -c scripts/bench/playwright.config.ts`) against a freshly
// started release stand-in; each figure becomes a `ROW` line in BENCH_ROWS,
// and a figure that could not be measured says so in its row.
import { test, expect, type Page } from '@playwright/test';
import { row } from './common';
import { waitForApp } from '../../e2e/fixtures';
import { SERVICES, startWithPassword, sendHundesteuer } from '../../e2e/apply-helpers';

const BASE = process.env.BENCH_BASE ?? '';

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
