import { defineConfig } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// The suite starts its own server on a free port with a fresh data directory.
// Workers inherit these variables from the main process.
if (!process.env.E2E_PORT) {
  process.env.E2E_PORT = execFileSync(process.execPath, [
    '-e',
    "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})",
  ])
    .toString()
    .trim();
}
if (!process.env.E2E_DATA) {
  process.env.E2E_DATA = mkdtempSync(join(tmpdir(), 'buergeramt-e2e-'));
}
const port = process.env.E2E_PORT;
const baseURL = `http://127.0.0.1:${port}`;
// The authority console on a site of its own (another host name, same
// server): cookies are not kept apart by port (backends/src/sites.rs).
process.env.E2E_CONSOLE = process.env.E2E_CONSOLE ?? `http://localhost:${port}`;

export default defineConfig({
  testDir: './e2e',
  outputDir: './test-results',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL,
    locale: 'de-DE',
    timezoneId: 'Europe/Berlin',
    trace: 'retain-on-failure',
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
  webServer: {
    command: `${process.env.CARGO_TARGET_DIR ?? 'target'}/debug/buergeramt-backends`,
    url: `${baseURL}/healthz`,
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: 'pipe',
    stderr: 'pipe',
    env: {
      PORT: port,
      BUERGERAMT_DATA: process.env.E2E_DATA,
      BUERGERAMT_DIST: 'dist',
      BUERGERAMT_CONSOLE_URL: process.env.E2E_CONSOLE,
      RUST_LOG: 'warn',
      ...(process.env.BUERGERAMT_SESSION_SECONDS
        ? { BUERGERAMT_SESSION_SECONDS: process.env.BUERGERAMT_SESSION_SECONDS }
        : {}),
    },
  },
});
