// WCAG 2.2 AA beyond what axe checks (issue #15): target size (2.5.8),
// focus not obscured (2.4.11), redundant entry (3.3.7) and accessible
// authentication (3.3.8); and on the way the review page's "Ändern" links
// and its declaration.
import type { Page } from '@playwright/test';
import { test, expect, expectNoAxeViolations, waitForApp } from './fixtures';
import { SERVICES, ERIKA, KOELN, applyUrl, fillDate, next, startWithPassword } from './apply-helpers';

const TARGETS =
  'a[href], button, input:not([type="hidden"]), select, textarea, summary, [role="button"], [role="link"], [tabindex]:not([tabindex="-1"])';

/**
 * 2.5.8 Target Size (Minimum): every pointer target is at least 24 × 24 CSS
 * pixels, or a circle of 24 px around its centre touches no other target
 * (nor another small target's circle). Links inside a sentence are exempt
 * (the "inline" exception), as are targets the browser hides.
 */
async function smallTargets(page: Page): Promise<string[]> {
  return page.evaluate((selector) => {
    const visible = (el: Element) => {
      const r = el.getBoundingClientRect();
      const s = getComputedStyle(el);
      return r.width > 1 && r.height > 1 && s.visibility !== 'hidden' && s.opacity !== '0';
    };
    const inSentence = (el: Element) => {
      if (el.tagName !== 'A') return false;
      const block = el.closest('p, li, dd, td, label, legend, .kern-body');
      if (!block) return false;
      const own = (el.textContent ?? '').trim().length;
      return (block.textContent ?? '').trim().length > own + 3;
    };
    const all = [...document.querySelectorAll(selector)].filter(visible);
    // A label that wraps or names an input is part of its target.
    const rectOf = (el: Element) => {
      let r = el.getBoundingClientRect();
      if (el instanceof HTMLInputElement && el.labels && el.labels.length) {
        const l = el.labels[0].getBoundingClientRect();
        const x = Math.min(r.left, l.left);
        const y = Math.min(r.top, l.top);
        const right = Math.max(r.right, l.right);
        const bottom = Math.max(r.bottom, l.bottom);
        r = new DOMRect(x, y, right - x, bottom - y);
      }
      return r;
    };
    const rects = all.map(rectOf);
    const small = all
      .map((el, i) => ({ el, r: rects[i], i }))
      .filter(({ el, r }) => (r.width < 24 || r.height < 24) && !inSentence(el));
    const centre = (r: DOMRect) => ({ x: r.left + r.width / 2, y: r.top + r.height / 2 });
    const distToRect = (p: { x: number; y: number }, r: DOMRect) => {
      const dx = Math.max(r.left - p.x, 0, p.x - r.right);
      const dy = Math.max(r.top - p.y, 0, p.y - r.bottom);
      return Math.hypot(dx, dy);
    };
    const out: string[] = [];
    for (const s of small) {
      const c = centre(s.r);
      const clash = rects.some((r, j) => {
        if (j === s.i) return false;
        const other = all[j];
        // Nested targets (a button inside a summary, a label's input) are one.
        if (other.contains(s.el) || s.el.contains(other)) return false;
        if (distToRect(c, r) < 12) return true;
        const alsoSmall = small.some((t) => t.i === j);
        if (!alsoSmall) return false;
        const o = centre(r);
        return Math.hypot(o.x - c.x, o.y - c.y) < 24;
      });
      if (clash) {
        const name = (s.el.getAttribute('aria-label') ?? s.el.textContent ?? '').trim().slice(0, 40);
        out.push(`${s.el.tagName.toLowerCase()} "${name}" ${Math.round(s.r.width)}×${Math.round(s.r.height)}`);
      }
    }
    return out;
  }, TARGETS);
}

/**
 * 2.4.11 Focus Not Obscured (Minimum): Tab through the page; each focused
 * element must not be entirely hidden by the page's own content (a sticky
 * header, a banner): some point of it is the topmost element there.
 */
async function obscuredFocus(page: Page, tabs = 30): Promise<string[]> {
  const out: string[] = [];
  await page.locator('body').evaluate((b) => (b as HTMLElement).focus());
  for (let i = 0; i < tabs; i++) {
    await page.keyboard.press('Tab');
    const hidden = await page.evaluate(async () => {
      const el = document.activeElement as HTMLElement | null;
      if (!el || el === document.body) return null;
      // Let the browser's own scrolling to the focus come to rest.
      const frame = () => new Promise((done) => requestAnimationFrame(() => done(null)));
      let last = Number.NaN;
      let still = 0;
      for (let n = 0; n < 240 && still < 5; n++) {
        await frame();
        const top = el.getBoundingClientRect().top;
        still = top === last ? still + 1 : 0;
        last = top;
      }
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) return null;
      const points = [
        [r.left + r.width / 2, r.top + r.height / 2],
        [r.left + 2, r.top + 2],
        [r.right - 2, r.top + 2],
        [r.left + 2, r.bottom - 2],
        [r.right - 2, r.bottom - 2],
      ];
      const seen = points.some(([x, y]) => {
        if (x < 0 || y < 0 || x >= innerWidth || y >= innerHeight) return false;
        const top = document.elementFromPoint(x, y);
        if (!top) return false;
        if (el.contains(top) || top.contains(el)) return true;
        // A label of the focused input counts as the input.
        return top instanceof HTMLLabelElement && top.control === el;
      });
      return seen ? null : `${el.tagName.toLowerCase()} "${(el.textContent ?? el.getAttribute('aria-label') ?? '').trim().slice(0, 40)}"`;
    });
    if (hidden) out.push(hidden);
  }
  return out;
}

test('the checks themselves find small crowded targets and hidden focus', async ({ page }) => {
  await page.goto('/barrierefreiheit');
  await waitForApp(page);
  await page.evaluate(() => {
    const box = document.createElement('div');
    box.id = 'probe';
    // Built through the DOM (the CSP refuses inline style attributes).
    for (const name of ['a', 'b']) {
      const b = document.createElement('button');
      b.textContent = name;
      Object.assign(b.style, { width: '16px', height: '16px', padding: '0', margin: '0', border: '0', minHeight: '0', minWidth: '0' });
      box.append(b);
    }
    const cover = document.createElement('div');
    Object.assign(cover.style, { position: 'fixed', left: '0', top: '0', width: '100vw', height: '100vh', background: '#fff', zIndex: '10' });
    box.append(cover);
    document.querySelector('main')!.prepend(box);
  });
  expect(await smallTargets(page)).toEqual(['button "a" 16×16', 'button "b" 16×16']);
  // Behind the cover: everything but the skip link (it comes out on top).
  expect((await obscuredFocus(page, 3)).length).toBeGreaterThanOrEqual(2);
});

async function expectWcag22(page: Page, what: string) {
  expect(await smallTargets(page), `${what}: targets under 24 px too close to others`).toEqual([]);
  expect(await obscuredFocus(page), `${what}: focused elements hidden`).toEqual([]);
}

for (const width of [1280, 320]) {
  test(`target size and visible focus on the public pages at ${width} px`, async ({ page }) => {
    // Six pages, thirty Tabs each, every focus waited on until it rests.
    test.setTimeout(240_000);
    await page.setViewportSize({ width, height: 800 });
    for (const url of [
      '/',
      `/suche?q=hund&ort=${KOELN}`,
      `/leistungen/99089005001000?ort=${KOELN}`,
      applyUrl(SERVICES.hund),
      '/postfach',
      '/barrierefreiheit',
    ]) {
      await page.goto(url);
      await waitForApp(page);
      await expect(page.locator('[role="status"]').filter({ hasText: /wird geladen/i })).toHaveCount(0);
      await expectWcag22(page, `${url} at ${width} px`);
    }
  });
}

test('accessible authentication: the login accepts pasted text and password managers', async ({ page }) => {
  await page.goto(applyUrl(SERVICES.hund));
  await waitForApp(page);
  await page.getByRole('button', { name: /anmelden/i }).first().click();
  await expect(page).toHaveURL(/\/idp\/login\//);
  const user = page.getByRole('textbox', { name: 'Benutzername' });
  const password = page.locator('input#password');
  // Password managers find the fields by their purpose.
  await expect(user).toHaveAttribute('autocomplete', 'username');
  await expect(password).toHaveAttribute('autocomplete', 'current-password');
  // Nothing stops pasting (no cognitive function test: copy and paste is
  // the accepted mechanism of 3.3.8).
  for (const field of [user, password]) {
    const prevented = await field.evaluate((el) => {
      const data = new DataTransfer();
      data.setData('text/plain', 'x');
      const ev = new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true });
      el.dispatchEvent(ev);
      return ev.defaultPrevented;
    });
    expect(prevented, 'paste is not blocked').toBe(false);
    await expect(field).not.toHaveAttribute('onpaste', /.*/);
  }
  await expect(page.locator('img[alt*="captcha" i], [class*="captcha" i]')).toHaveCount(0);
  // Typed in as a password manager would: at once.
  await user.fill(ERIKA.user);
  await password.fill(ERIKA.password);
  await page.getByRole('button', { name: 'Mit Passwort anmelden' }).click();
  await expect(page).toHaveURL(new RegExp(`/antrag/${SERVICES.hund}`));
});

test('redundant entry: what the account and earlier steps know is not asked again; "Ändern" and the declaration on the review', async ({ page }) => {
  test.setTimeout(240_000);
  await startWithPassword(page, SERVICES.hund);
  await page.getByRole('link', { name: /Antrag starten|Weiter ausfüllen/ }).click();
  // 3.3.7: the name comes from the account, filled in, not asked again.
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Halterin oder Halter');
  await expect(page.getByLabel('Vorname', { exact: true })).toHaveValue('Erika');
  await expect(page.getByLabel('Familienname', { exact: true })).toHaveValue('Mustermann');
  await expectWcag22(page, 'form step');
  await next(page);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Hunde');
  const dog = page.getByRole('group', { name: 'Hund 1' });
  await dog.getByLabel('Name des Hundes').fill('Bello');
  await dog.getByLabel('Rasse oder Kreuzung').fill('Dackel');
  await fillDate(page, 'Beginn der Haltung', '1', '3', '2025');
  await dog.getByRole('radio', { name: 'Nein' }).check();
  await expectWcag22(page, 'repeat step');
  await next(page);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Kontakt');
  await next(page);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Angaben prüfen');
  await expectWcag22(page, 'review');

  // Sending without the declaration: the problem is named, focused, and
  // leads to the checkbox; nothing is sent.
  await page.getByRole('button', { name: 'Antrag verschlüsselt senden' }).click();
  const summary = page.getByRole('alert').filter({ hasText: 'Es gibt ein Problem' });
  await expect(summary).toBeFocused();
  await expect(summary.getByRole('link', { name: /Setzen Sie das Häkchen bei „Ich versichere/ })).toHaveAttribute('href', /#erklaerung$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Angaben prüfen');
  await expectNoAxeViolations(page);

  // "Ändern" leads to the field itself, focused, with the answer kept; back
  // on the review the new answer shows.
  await page.getByRole('link', { name: /^Ändern\s*: Name des Hundes$/ }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Hunde');
  const name = page.getByRole('group', { name: 'Hund 1' }).getByLabel('Name des Hundes');
  await expect(name).toBeFocused();
  await expect(name).toHaveValue('Bello');
  await name.fill('Bella');
  await next(page);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Angaben prüfen');
  await expect(page.getByText('Bella', { exact: true })).toBeVisible();
  await expect(page.getByText('Bello', { exact: true })).toHaveCount(0);
  // Nothing asked twice: the review repeats the answers, it does not ask.
  await expect(page.locator('main input:not([type="checkbox"]), main textarea, main select')).toHaveCount(0);
});

test('on a phone the logged-in header leaves the screen to the page (it took 324 of 800 px at 375 px)', async ({ page }) => {
  await page.setViewportSize({ width: 375, height: 800 });
  await startWithPassword(page, SERVICES.hund);
  const header = page.locator('header.site-header');
  for (const lang of ['de', 'en']) {
    if (lang === 'en') await page.getByRole('button', { name: 'English' }).click();
    await expect(page.locator('html')).toHaveAttribute('lang', lang);
    await expect(header.locator('.site-header__user')).toBeVisible();
    const box = await header.boundingBox();
    expect(box?.height ?? 999, `header height in ${lang}`).toBeLessThanOrEqual(240);
    // Everything in it is still there and big enough to hit.
    expect(await smallTargets(page)).toEqual([]);
    await expect(page.getByRole('navigation', { name: /Hauptnavigation|Main navigation/ }).getByRole('link')).toHaveCount(4);
  }
  await page.getByRole('button', { name: 'Deutsch' }).click();
});
