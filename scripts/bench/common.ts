// Shared by the browser parts of `make bench` (*.bench.ts): result rows,
// free ports and the Chromium flags.
import { appendFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';

/** One figure: a `ROW` line on stdout and in BENCH_ROWS (scripts/bench.sh's table). */
export function row(group: string, name: string, value: string, unit: string) {
  const line = `ROW\t${group}\t${name}\t${value}\t${unit}\n`;
  process.stdout.write(line);
  const rows = process.env.BENCH_ROWS ?? '';
  if (rows) appendFileSync(rows, line);
}

/** A TCP port free on 127.0.0.1 at the moment of asking. */
export function freePort(): Promise<number> {
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

/** Debian's Chromium, new headless, nothing in the background that would disturb a measurement. */
export const CHROME_FLAGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Removes a Chromium profile directory after its browser has closed.
 * Chromium's helper processes may still write there once the browser itself
 * has exited (ENOTEMPTY even after Node's retries): then the directory stays
 * in the temporary folder and the measurement, already taken, still counts.
 */
export function removeProfile(dir: string) {
  try {
    rmSync(dir, { recursive: true, force: true, maxRetries: 10 });
  } catch (e) {
    console.warn(`left the profile ${dir} behind: ${String(e).split('\n')[0]}`);
  }
}
