import { defineConfig } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// The suite starts its own two servers on free ports with a fresh data
// directory: the stand-in of the state's backends (strict: its PVOG and ZBP
// answer only callers with a service token) and, in front of it, the relay,
// which serves the app and is the only server the browser's app talks to.
// Workers inherit these variables from the main process.
function freePort(): string {
  return execFileSync(process.execPath, [
    '-e',
    "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{process.stdout.write(String(s.address().port));s.close()})",
  ])
    .toString()
    .replace(/[^0-9]/g, '');
}
if (!process.env.E2E_PORT) process.env.E2E_PORT = freePort();
if (!process.env.E2E_UPSTREAM_PORT) {
  let p = freePort();
  while (p === process.env.E2E_PORT) p = freePort();
  process.env.E2E_UPSTREAM_PORT = p;
}
// The stand-in's mail sink (SMTP on 127.0.0.1): BundID's notice mails and
// the relay's notices land there (e2e/notify.spec.ts reads them at /mail).
if (!process.env.E2E_SMTP_PORT) {
  let p = freePort();
  while (p === process.env.E2E_PORT || p === process.env.E2E_UPSTREAM_PORT) p = freePort();
  process.env.E2E_SMTP_PORT = p;
}
if (!process.env.E2E_DATA) {
  process.env.E2E_DATA = mkdtempSync(join(tmpdir(), 'buergeramt-e2e-'));
}
const port = process.env.E2E_PORT;
const upstreamPort = process.env.E2E_UPSTREAM_PORT;
/** The relay: the app's one origin. */
const baseURL = `http://127.0.0.1:${port}`;
/** The stand-in (PVOG, IdP, FIT-Connect, ZBP), for tests that act as the
 *  authority or check what it refuses; the browser meets it only on the
 *  identity provider's login pages. */
process.env.E2E_UPSTREAM = `http://127.0.0.1:${upstreamPort}`;
// The authority console: a site of its own (another host name on the
// stand-in's server), so a clerk's cookie never reaches the app's host
// (backends/src/sites.rs).
process.env.E2E_CONSOLE = process.env.E2E_CONSOLE ?? `http://localhost:${upstreamPort}`;
const target = process.env.CARGO_TARGET_DIR ?? 'target';

export default defineConfig({
  testDir: './e2e',
  outputDir: './test-results',
  // Upper bounds, not waits: every wait hangs on the app's own signals. A
  // lazily loaded route keeps the previous page on screen until its chunks
  // are there; on a busy 2-core machine that took over 10 s once (the review
  // page after "Kontakt", key-validation.spec.ts), so 20 s.
  timeout: 90_000,
  expect: { timeout: 20_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL,
    locale: 'de-DE',
    timezoneId: 'Europe/Berlin',
    // A failing test keeps its trace (DOM snapshots of every step, the
    // sources) but no screenshots: recording them means a screencast of
    // every page of every test, passing or not, on CI's two busy cores.
    // Without them the suite needed 18-25 % less CPU (e2e/auth.spec.ts,
    // side by side; docs/performance.md, "CI time").
    trace: { mode: 'retain-on-failure', screenshots: false },
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  // Started in this order: the stand-in first (it registers the relay's
  // callback), then the relay against it.
  webServer: [
    {
      name: 'stand-in',
      command: `${target}/debug/buergeramt-backends`,
      url: `${process.env.E2E_UPSTREAM}/healthz`,
      reuseExistingServer: false,
      timeout: 120_000,
      stdout: 'pipe',
      stderr: 'pipe',
      env: {
        PORT: upstreamPort!,
        BUERGERAMT_DATA: process.env.E2E_DATA,
        // The console's pages use the app's stylesheet, fonts and icon.
        BUERGERAMT_DIST: 'dist',
        BUERGERAMT_STRICT_UPSTREAMS: '1',
        BUERGERAMT_RELAY_URL: baseURL,
        BUERGERAMT_CONSOLE_URL: process.env.E2E_CONSOLE,
        BUERGERAMT_SMTP_PORT: process.env.E2E_SMTP_PORT!,
        RUST_LOG: 'warn',
        ...(process.env.BUERGERAMT_SESSION_SECONDS
          ? { BUERGERAMT_SESSION_SECONDS: process.env.BUERGERAMT_SESSION_SECONDS }
          : {}),
      },
    },
    {
      name: 'relay',
      command: `${target}/debug/buergeramt-relay`,
      url: `${baseURL}/healthz`,
      reuseExistingServer: false,
      timeout: 120_000,
      stdout: 'pipe',
      stderr: 'pipe',
      env: {
        PORT: port!,
        RELAY_UPSTREAM: process.env.E2E_UPSTREAM,
        RELAY_DIST: 'dist',
        RELAY_DATA: join(process.env.E2E_DATA, 'relay'),
        // Notices (issue #24): to the stand-in's mail sink and push service
        // (its /push/v1/send/ is allowed by default, derived from
        // RELAY_UPSTREAM); the watcher looks every second and batches for
        // one, so notice.spec waits seconds, not a minute.
        RELAY_SMTP_URL: `smtp://127.0.0.1:${process.env.E2E_SMTP_PORT}`,
        RELAY_NOTIFY_WATCH_INTERVAL_SECS: '1',
        RELAY_NOTIFY_BATCH_WINDOW_SECS: '1',
        RUST_LOG: 'warn',
      },
    },
  ],
});
