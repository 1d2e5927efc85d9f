// Shared by the browser parts of `make bench` (*.bench.ts): result rows,
// free ports and the Chromium flags.
import { appendFileSync } from 'node:fs';
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
