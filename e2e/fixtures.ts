import { test as base, expect, type Page, type Locator } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * `test` with a `page` that fails the test on any console error or uncaught
 * exception (a wasm panic logs one). Tests that provoke an error on purpose
 * list the expected texts with `test.use({ allowedConsoleErrors: [...] })`.
 */
export const test = base.extend<{ allowedConsoleErrors: RegExp[] }>({
  allowedConsoleErrors: [[], { option: true }],
  page: async ({ page, allowedConsoleErrors }, use) => {
    // index.html paints a static shell (header, the start page's heading)
    // before the wasm runs; after goto/reload wait until the app replaced
    // it, so tests act on the app, not on its static stand-in.
    for (const name of ['goto', 'reload'] as const) {
      const original = (page[name] as (...a: unknown[]) => Promise<unknown>).bind(page);
      (page as unknown as Record<string, unknown>)[name] = async (...args: unknown[]) => {
        const response = await original(...args);
        if ((await page.locator('#static-shell').count()) > 0) {
          await page.locator('#static-shell').waitFor({ state: 'detached', timeout: 20_000 });
        }
        return response;
      };
    }
    const errors: string[] = [];
    page.on('console', (msg) => {
      if (msg.type() === 'error') errors.push(msg.text());
    });
    page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
    await use(page);
    const unexpected = errors.filter((e) => !allowedConsoleErrors.some((re) => re.test(e)));
    expect(unexpected, 'console errors during the test').toEqual([]);
  },
});

export { expect };

/** axe with the WCAG 2.1 A/AA rules; 0 violations allowed. */
export async function expectNoAxeViolations(page: Page) {
  const result = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
    .analyze();
  const summary = result.violations.map(
    (v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(' | ')}`,
  );
  expect(summary, 'axe violations').toEqual([]);
}

/** Waits until the app (not index.html's static shell) has rendered a page heading. */
export async function waitForApp(page: Page) {
  await expect(page.locator('#static-shell')).toHaveCount(0, { timeout: 20_000 });
  await expect(page.locator('main h1')).toBeVisible();
}

/** Fills the stand-in's password login (the browser is on its login page). */
export async function passwordLogin(page: Page, user: string, password: string) {
  await expect(page).toHaveURL(/\/idp\/login\//);
  await page.getByRole('textbox', { name: 'Benutzername' }).fill(user);
  await page.locator('input#password').fill(password);
  await page.getByRole('button', { name: 'Mit Passwort anmelden' }).click();
}

/** Chooses a test card and enters its PIN on the stand-in's eID page. */
export async function eidLogin(page: Page, card: RegExp, pin: string) {
  await expect(page).toHaveURL(/\/idp\/login\//);
  await page.getByLabel(card).check();
  await page.getByRole('button', { name: 'Ausweis auslesen' }).click();
  await page.getByLabel('6-stellige PIN').fill(pin);
  await page.getByRole('button', { name: 'Identifizieren' }).click();
}

/** Presses Tab until `target` has focus (keyboard-only journeys). */
export async function tabTo(page: Page, target: Locator, max = 60) {
  for (let i = 0; i < max; i++) {
    if (await target.evaluate((el) => el === document.activeElement).catch(() => false)) return;
    await page.keyboard.press('Tab');
  }
  await expect(target).toBeFocused();
}

/**
 * A second stand-in server of our own (free port, fresh data) with extra
 * environment, e.g. short sessions. Kill it in `afterAll`.
 */
export async function startExtraServer(env: Record<string, string>): Promise<{ base: string; server: ChildProcess }> {
  // `env.PORT` pins the port (e.g. to restart a server on the same origin).
  const port = env.PORT ?? execFileSync(process.execPath, [
    '-e',
    "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{process.stdout.write(String(s.address().port));s.close()})",
  ])
    .toString()
    .replace(/[^0-9]/g, '');
  const base = `http://127.0.0.1:${port}`;
  const server = spawn(`${process.env.CARGO_TARGET_DIR ?? 'target'}/debug/buergeramt-backends`, [], {
    env: {
      ...process.env,
      PORT: port,
      BUERGERAMT_DATA: mkdtempSync(join(tmpdir(), 'buergeramt-e2e-extra-')),
      BUERGERAMT_DIST: 'dist',
      RUST_LOG: 'warn',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  server.stderr?.on('data', (d) => (log += d.toString()));
  server.on('exit', (code, signal) => console.log(`extra server exited: ${code} ${signal} ${log.slice(-2000)}`));
  let last = '';
  for (let i = 0; i < 200; i++) {
    try {
      const r = await fetch(`${base}/healthz`);
      if (r.ok) return { base, server };
      last = `status ${r.status}`;
    } catch (e: any) {
      last = String(e?.cause?.code ?? e?.message ?? e);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  server.kill();
  throw new Error(`extra server did not start (${last}): ${log}`);
}
