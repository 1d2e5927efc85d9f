import { test, expect, expectNoAxeViolations, waitForApp } from './fixtures';

// The release bundle is split (scripts/wasm-bundle.sh, src/pages/lazy.rs):
// the start page needs only the main module; other routes fetch their chunk
// when first visited. The service worker is blocked here, so every request
// is visible to the test (with it, chunks come from its precache).
test.use({ serviceWorkers: 'block' });

const isChunk = (url: string) => /\/app-[0-9a-f]{16}\/(split_|chunk_)[A-Za-z0-9_]+\.wasm$/.test(url);

test('the start page loads no chunk; a lazy route fetches its own on first visit', async ({ page }) => {
  const fetched: string[] = [];
  page.on('request', (r) => {
    if (isChunk(r.url())) fetched.push(new URL(r.url()).pathname.split('/').pop() ?? '');
  });
  await page.goto('/');
  await waitForApp(page);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Was möchten Sie erledigen?');
  expect(fetched, 'chunks fetched for the start page').toEqual([]);

  await page.getByRole('navigation', { name: 'Service und Rechtliches' }).getByRole('link', { name: 'Glossar' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Glossar');
  expect(fetched).toContain('split_glossary_page.wasm');
  await expectNoAxeViolations(page);

  // A second visit uses the module already loaded.
  const before = fetched.length;
  await page.getByRole('link', { name: 'Bürgeramt NRW' }).first().click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Was möchten Sie erledigen?');
  await page.getByRole('navigation', { name: 'Service und Rechtliches' }).getByRole('link', { name: 'Glossar' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Glossar');
  expect(fetched.length).toBe(before);
});

test.describe('a chunk that cannot be fetched', () => {
  // The splitter's loader logs the failed fetch; nothing else may.
  test.use({ allowedConsoleErrors: [/Failed to fetch|TypeError|net::ERR_CONNECTION_RESET/] });

  test('shows a clear message instead of killing the app, and the next visit loads it', async ({ page }) => {
    let block = true;
    await page.route(/\/app-[0-9a-f]{16}\/split_help_page\.wasm$/, (route) =>
      block ? route.abort('connectionreset') : route.continue(),
    );
    await page.goto('/');
    await waitForApp(page);
    const footer = page.getByRole('navigation', { name: 'Service und Rechtliches' });
    await footer.getByRole('link', { name: 'Hilfe' }).click();

    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Diese Seite konnte nicht geladen werden');
    await expect(page.getByRole('alert')).toContainText('Prüfen Sie Ihre Internetverbindung');
    await expect(page).toHaveTitle(/^Diese Seite konnte nicht geladen werden – Bürgeramt NRW$/);
    await expect(page.getByText('Es ist ein Fehler aufgetreten')).toHaveCount(0);
    await expectNoAxeViolations(page);

    // The shell still works, and the failed load is not remembered.
    block = false;
    await page.getByRole('link', { name: 'Bürgeramt NRW' }).first().click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Was möchten Sie erledigen?');
    await footer.getByRole('link', { name: 'Hilfe' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Hilfe und häufige Fragen');
  });

  test('the reload button loads the page again', async ({ page }) => {
    let block = true;
    await page.route(/\/app-[0-9a-f]{16}\/split_imprint_page\.wasm$/, (route) =>
      block ? route.abort('connectionreset') : route.continue(),
    );
    await page.goto('/impressum');
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Diese Seite konnte nicht geladen werden');
    block = false;
    await page.getByRole('button', { name: 'Seite neu laden' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Impressum');
  });
});
