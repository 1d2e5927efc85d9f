// The first visit's bytes and Lighthouse on a deep link, this build and an
// earlier one side by side (issue #19). Run by scripts/bench.sh (browser
// part): BENCH_BASE is this build behind a relay, BENCH_BASE_BEFORE (set when
// BENCH_BEFORE_DIST names an earlier dist/) the earlier one behind another
// relay in front of the same stand-in. Each figure becomes a `ROW` line in
// BENCH_ROWS; one that could not be measured says so in its row.
import { test, chromium } from '@playwright/test';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { row, freePort, CHROME_FLAGS, removeProfile } from './common';

const BASE = process.env.BENCH_BASE ?? '';
const BASE_BEFORE = process.env.BENCH_BASE_BEFORE ?? '';
const SECONDS = Number(process.env.BENCH_FIRST_VISIT_SECONDS ?? '60');
const RUNS = Number(process.env.BENCH_LIGHTHOUSE_RUNS ?? '3');
const CHROME = process.env.CHROME_PATH ?? '/usr/bin/chromium';

type Listener = (method: string, params: any, sessionId?: string) => void;

/** A minimal DevTools client over the browser's WebSocket (flat sessions). */
class Cdp {
  private next = 0;
  private pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  private listeners: Listener[] = [];
  private constructor(private ws: import('ws').WebSocket) {
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data));
      if (msg.id !== undefined) {
        const p = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        if (msg.error) p?.reject(new Error(String(msg.error.message)));
        else p?.resolve(msg.result);
      } else {
        for (const l of this.listeners) l(msg.method, msg.params, msg.sessionId);
      }
    });
  }
  static async connect(url: string): Promise<Cdp> {
    // `ws` comes with Lighthouse and puppeteer-core.
    const { default: WebSocket } = await import('ws');
    const ws = new WebSocket(url, { perMessageDeflate: false });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    return new Cdp(ws);
  }
  send(method: string, params: object = {}, sessionId?: string): Promise<any> {
    const id = ++this.next;
    this.ws.send(JSON.stringify({ id, method, params, sessionId }));
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
  }
  on(l: Listener) {
    this.listeners.push(l);
  }
  close() {
    this.ws.close();
  }
}

/**
 * Bytes on the wire in the first `seconds` of a first visit to `/` (a fresh
 * profile, so the service worker installs): the page's and the service
 * worker's network (the worker's own fetches included), as Chromium counts
 * them (`Network.loadingFinished.encodedDataLength`: compressed bodies and
 * headers). An answer the worker gave the page is not counted again (its
 * fetch, if any, is the worker's), nor one from the HTTP cache, nor what
 * Chromium's own UI pages fetch.
 */
async function firstVisitBytes(base: string, seconds: number) {
  const port = await freePort();
  const profile = mkdtempSync(join(tmpdir(), 'buergeramt-first-visit-'));
  const chrome = spawn(CHROME, [...CHROME_FLAGS, `--remote-debugging-port=${port}`, `--user-data-dir=${profile}`, 'about:blank'], {
    stdio: 'ignore',
  });
  let cdp: Cdp | undefined;
  try {
    let wsUrl = '';
    for (let i = 0; i < 200 && !wsUrl; i++) {
      try {
        wsUrl = (await (await fetch(`http://127.0.0.1:${port}/json/version`)).json()).webSocketDebuggerUrl ?? '';
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    if (!wsUrl) throw new Error('Chromium did not open its DevTools port');
    const c = (cdp = await Cdp.connect(wsUrl));
    const kinds = new Map<string, string>(); // session → target type
    const skip = new Set<string>(); // session/request answered by the worker or a cache
    const tally = { page: 0, worker: 0, pageAnswers: 0, workerAnswers: 0 };
    let counting = true;
    let attached: (s: string) => void = () => {};
    const pageAttached = new Promise<string>((r) => (attached = r));
    c.on((method, params, sessionId) => {
      if (method === 'Target.attachedToTarget') {
        const { sessionId: child, targetInfo } = params;
        kinds.set(child, targetInfo.type);
        // Network first, then let the target run (it waits for us).
        void c
          .send('Network.enable', {}, child)
          .catch(() => {})
          .then(() => c.send('Runtime.runIfWaitingForDebugger', {}, child).catch(() => {}));
        if (targetInfo.type === 'page' && targetInfo.url === 'about:blank#first-visit') attached(child);
        return;
      }
      if (!counting || !sessionId) return;
      const key = `${sessionId}/${params?.requestId}`;
      if (method === 'Network.responseReceived') {
        const r = params.response;
        if (r.fromServiceWorker || r.fromDiskCache || r.fromPrefetchCache) skip.add(key);
      } else if (method === 'Network.requestServedFromCache') {
        skip.add(key);
      } else if (method === 'Network.loadingFinished' && !skip.has(key)) {
        const kind = kinds.get(sessionId);
        if (kind === 'page' || kind === 'iframe' || kind === 'worker') {
          tally.page += params.encodedDataLength ?? 0;
          tally.pageAnswers += 1;
        } else if (kind === 'service_worker') {
          tally.worker += params.encodedDataLength ?? 0;
          tally.workerAnswers += 1;
        }
      }
    });
    await c.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: true, flatten: true });
    await c.send('Target.createTarget', { url: 'about:blank#first-visit' });
    const page = await pageAttached;
    await c.send('Page.navigate', { url: `${base}/` }, page);
    await new Promise((r) => setTimeout(r, seconds * 1000));
    counting = false;
    const active = await c
      .send(
        'Runtime.evaluate',
        { expression: 'navigator.serviceWorker.getRegistration().then((r) => !!(r && r.active))', awaitPromise: true, returnByValue: true },
        page,
      )
      .then((r) => r?.result?.value === true, () => false);
    return { ...tally, total: tally.page + tally.worker, active };
  } finally {
    cdp?.close();
    chrome.kill();
    await new Promise((r) => chrome.once('exit', r).once('error', r));
    removeProfile(profile);
  }
}

type Lhr = {
  runtimeError?: { code: string };
  categories: Record<string, { score: number | null }>;
  audits: Record<string, { numericValue?: number }>;
};

/** Lighthouse mobile (default config: simulated slow 4G, 4× CPU) on each
 *  URL, `runs` times, the URLs taking turns so that the machine's load hits
 *  them alike; the run with the median performance score of each. */
async function lighthouseSideBySide(urls: string[], runs: number) {
  const { default: lighthouse } = await import('lighthouse');
  const port = await freePort();
  const profile = mkdtempSync(join(tmpdir(), 'buergeramt-lh-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROME,
    headless: false, // --headless=new is in the flags
    args: [...CHROME_FLAGS, `--remote-debugging-port=${port}`],
    locale: 'de-DE',
  });
  const out = new Map<string, Lhr[]>(urls.map((u) => [u, []]));
  try {
    for (let i = 0; i < runs; i++) {
      for (const url of urls) {
        const r = await lighthouse(url, { output: 'json', logLevel: 'error', onlyCategories: ['performance', 'accessibility', 'best-practices'], port });
        const lhr = r?.lhr as Lhr | undefined;
        if (lhr && !lhr.runtimeError) out.get(url)?.push(lhr);
      }
    }
  } finally {
    await context.close();
    removeProfile(profile);
  }
  return urls.map((url) => {
    const ok = [...(out.get(url) ?? [])].sort((a, b) => (a.categories.performance?.score ?? 0) - (b.categories.performance?.score ?? 0));
    return { url, median: ok[Math.floor(ok.length / 2)] as Lhr | undefined, scores: ok.map((l) => Math.round((l.categories.performance?.score ?? 0) * 100)) };
  });
}

test('first visit and a deep link: this build and the earlier one side by side', async () => {
  test.skip(!BASE, 'BENCH_BASE not set');
  test.setTimeout(30 * 60_000);
  const builds: [string, string][] = BASE_BEFORE ? [['before', BASE_BEFORE], ['this build', BASE]] : [['this build', BASE]];
  const kb = (n: number) => (n / 1024).toFixed(1);
  for (const [label, base] of builds) {
    const name = `/ in its first ${SECONDS} s, service worker installing: ${label}`;
    try {
      const v = await firstVisitBytes(base, SECONDS);
      row('first visit', name, kb(v.total), `KB on the wire; goal ≤ 600 (page ${kb(v.page)} KB in ${v.pageAnswers} answers, worker ${kb(v.worker)} KB in ${v.workerAnswers}${v.active ? '' : '; the worker was NOT active'})`);
    } catch (e) {
      row('first visit', name, `FAILED (${String(e).split('\n')[0].slice(0, 80)})`, '');
    }
  }
  if (!BASE_BEFORE) return; // lighthouse.bench.ts measures this build's pages
  try {
    const results = await lighthouseSideBySide(builds.map(([, base]) => `${base}/suche?q=hund`), RUNS);
    results.forEach(({ median, scores }, i) => {
      const label = `/suche?q=hund: ${builds[i][0]}`;
      if (!median) {
        row('deep link', `${label}: perf / LCP / TBT`, 'FAILED (no run)', '');
        return;
      }
      const perf = Math.round((median.categories.performance?.score ?? 0) * 100);
      const lcp = ((median.audits['largest-contentful-paint']?.numericValue ?? NaN) / 1000).toFixed(2);
      const fcp = ((median.audits['first-contentful-paint']?.numericValue ?? NaN) / 1000).toFixed(2);
      const tbt = (median.audits['total-blocking-time']?.numericValue ?? NaN).toFixed(0);
      row('deep link', `${label}: perf / FCP / LCP / TBT (run with the median score)`, `${perf} / ${fcp} s / ${lcp} s / ${tbt} ms`, `Lighthouse mobile; scores of the runs: ${scores.join(' / ')}`);
    });
  } catch (e) {
    row('deep link', '/suche?q=hund side by side', `FAILED (${String(e).split('\n')[0].slice(0, 80)})`, '');
  }
});
