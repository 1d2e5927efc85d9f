// Waiting and acting over plain WebDriver, which has no auto-wait: every
// wait polls a condition in the page until it holds, and on the app's pages
// that condition includes the app's own idle signal, `<html data-idle="true">`
// (no request of the app under way; src/api/mod.rs). The long timeout is a
// safety net for slow machines, never a pause: nothing here sleeps a fixed
// time. Texts are matched with regular expressions (passed as their source).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { error as wdError, Key } from 'selenium-webdriver';

export const TIMEOUT = Number(process.env.WD_TIMEOUT_MS ?? 60_000);
const SHOTS = 'test-results/webdriver';

/** Helpers defined in the page before every script; `$` is their namespace. */
const LIB = `
const norm = (s) => (s || '').replace(/\\s+/g, ' ').trim();
const shown = (e) => !!e && e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden';
const $ = {
  norm,
  shown,
  /** The app has replaced index.html's static shell and waits for no request. */
  idle: () => !document.getElementById('static-shell') && document.documentElement.dataset.idle === 'true',
  h1: () => norm(document.querySelector('main h1')?.textContent),
  /** The first shown element of \`sel\` in \`root\` whose text matches \`re\`. */
  find: (sel, re, root) =>
    [...(root || document).querySelectorAll(sel)].find((e) => shown(e) && new RegExp(re).test(norm(e.textContent))) || null,
  /** The form control whose label's text matches \`re\`, in \`root\`. */
  field: (re, root) => {
    for (const l of (root || document).querySelectorAll('label')) {
      if (!new RegExp(re).test(norm(l.textContent))) continue;
      const c = l.htmlFor ? document.getElementById(l.htmlFor) : l.querySelector('input, select, textarea');
      if (c) return c;
    }
    return null;
  },
  /** The fieldset whose legend matches \`re\`; the \`nth\` of several. */
  group: (re, nth) =>
    [...document.querySelectorAll('fieldset')].filter((f) => new RegExp(re).test(norm(f.querySelector('legend')?.textContent)))[nth || 0] ||
    null,
  /** A landmark (section, nav, list …) by its accessible name. */
  named: (sel, name) =>
    [...document.querySelectorAll(sel)].find((e) => {
      const by = e.getAttribute('aria-labelledby');
      const label = by ? by.split(' ').map((id) => document.getElementById(id)?.textContent).join(' ') : e.getAttribute('aria-label');
      return norm(label) === name;
    }) || null,
};
`;

/** `re` as the source the page's helpers take. */
function src(re) {
  if (!(re instanceof RegExp)) return `^${String(re).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`;
  if (re.flags) throw new Error(`${re}: flags are not passed to the page; write the pattern without them`);
  return re.source;
}

export class Page {
  constructor(driver, base, browser) {
    this.driver = driver;
    this.base = base;
    this.browser = browser;
  }

  /** Runs `fn` (a function `($, ...args) => …`) in the page. */
  run(fn, ...args) {
    return this.driver.executeScript(`${LIB}; return (${fn})($, ...arguments);`, ...args);
  }

  /**
   * Polls `fn` in the page until it returns something truthy (which is
   * returned: a value or an element). `app` (default true) also requires the
   * app to be idle. Errors while a page unloads count as "not yet".
   */
  async until(what, fn, args = [], { app = true, timeout = TIMEOUT } = {}) {
    let lastError = '';
    const check = async () => {
      try {
        const v = await this.run(
          `($, args) => (${app ? '$.idle() && ' : ''}(${fn})($, ...args)) || null`,
          args,
        );
        return v ?? false;
      } catch (e) {
        if (e instanceof wdError.NoSuchSessionError) throw e;
        lastError = `${e.name}: ${e.message.split('\n')[0]}`;
        return false;
      }
    };
    try {
      return await this.driver.wait(check, timeout, undefined, 100);
    } catch (e) {
      if (e instanceof wdError.TimeoutError) {
        throw new Error(`timed out after ${timeout} ms waiting for ${what}${app ? ' (with the app idle)' : ''}${lastError ? `; last error: ${lastError}` : ''}`);
      }
      throw e;
    }
  }

  async goto(path) {
    await this.driver.get(new URL(path, this.base).href);
  }

  async url() {
    return this.driver.getCurrentUrl();
  }

  /** Waits for the app's `main h1` to match `re` (and the app to be idle). */
  heading(re) {
    return this.until(`the heading ${re}`, ($, re) => new RegExp(re).test($.h1()), [src(re)]);
  }

  /** Waits for `re` in the text of `main` (or the body with `{ body: true }`). */
  text(re, opts = {}) {
    return this.until(
      `the text ${re}`,
      ($, re, body) => new RegExp(re).test($.norm((body ? document.body : document.querySelector('main'))?.innerText)),
      [src(re), !!opts.body],
      opts,
    );
  }

  /** Waits for the URL to match `re`. */
  async urlMatches(re, opts = { app: false }) {
    return this.until(`the URL ${re}`, (_$, re) => new RegExp(re).test(location.href), [src(re)], opts);
  }

  /** A shown element of `sel` whose text matches `re` (waits for it). */
  element(sel, re, opts) {
    return this.until(`${sel} with text ${re}`, ($, sel, re) => $.find(sel, re), [sel, src(re)], opts);
  }

  button(re, opts) {
    return this.element('button', re, opts);
  }

  link(re, opts) {
    return this.element('a[href]', re, opts);
  }

  /** The control labelled `re` (inside the fieldset `group`, if given). */
  field(re, group, opts) {
    return this.until(
      `the field ${re}${group ? ` in ${group.legend}` : ''}`,
      ($, re, legend, nth) => {
        const root = legend ? $.group(legend, nth) : document;
        return root && $.field(re, root);
      },
      [src(re), group ? src(group.legend) : null, group?.nth ?? 0],
      opts,
    );
  }

  /** Scrolls `el` to the middle at once (the page scrolls smoothly otherwise: KERN sets `scroll-behavior: smooth`) and clicks it. */
  async click(el) {
    await this.run(($, el) => el.scrollIntoView({ block: 'center', inline: 'nearest', behavior: 'instant' }), el);
    await el.click();
  }

  /** Replaces the value of the text field `el` by typing `text`. */
  async fill(el, text) {
    await this.run(($, el) => el.scrollIntoView({ block: 'center', behavior: 'instant' }), el);
    await el.clear();
    await el.sendKeys(text);
    const value = await this.run(($, el) => el.value, el);
    if (value !== text) throw new Error(`typed "${text}", the field holds "${value}"`);
  }

  /** Checks a checkbox or radio; through its label if the input itself is drawn over. */
  async check(el) {
    try {
      await this.click(el);
    } catch (e) {
      if (!(e instanceof wdError.ElementNotInteractableError || e instanceof wdError.ElementClickInterceptedError)) throw e;
      const label = await this.run(($, el) => el.labels?.[0] ?? el.closest('label'), el);
      if (!label) throw e;
      await this.click(label);
    }
    if (!(await el.isSelected())) throw new Error('the box did not get checked');
  }

  async press(el, key) {
    await el.sendKeys(Key[key]);
  }

  /** What helps to see why a step failed: URL, screenshot file, the page's text. */
  async diagnose(step) {
    const lines = [];
    try {
      lines.push(`URL: ${await this.url()}`);
    } catch (e) {
      lines.push(`URL: unknown (${e.message.split('\n')[0]})`);
    }
    try {
      mkdirSync(SHOTS, { recursive: true });
      const file = join(SHOTS, `${this.browser}-${step.replace(/[^\w-]+/g, '-').toLowerCase()}.png`);
      writeFileSync(file, await this.driver.takeScreenshot(), 'base64');
      lines.push(`screenshot: ${file}`);
    } catch (e) {
      lines.push(`screenshot: failed (${e.message.split('\n')[0]})`);
    }
    try {
      const state = await this.run(($) => ({
        idle: document.documentElement.dataset.idle ?? '(unset)',
        shell: !!document.getElementById('static-shell'),
        body: $.norm(document.body?.innerText).slice(0, 1500),
        // The app's finished requests since this page load (a pending one is not listed yet).
        api: performance
          .getEntriesByType('resource')
          .filter((e) => /\/api\/|\/config\.json/.test(e.name))
          .map((e) => `${new URL(e.name).pathname} (${e.responseStatus ?? '?'}, at ${Math.round(e.responseEnd)} ms)`),
      }));
      lines.push(`html data-idle: ${state.idle}${state.shell ? ', static shell still there' : ''}`);
      lines.push(`requests of the app answered since the page loaded: ${state.api.join(', ') || 'none'}`);
      lines.push(`body text: ${state.body}`);
    } catch (e) {
      lines.push(`body text: unavailable (${e.message.split('\n')[0]})`);
    }
    return lines.join('\n  ');
  }
}

/**
 * Runs named steps in order; the first failure stops the journey with the
 * step's name, the error and what `diagnose` found.
 */
export function stepper(page, log = console.log) {
  return async function step(name, fn) {
    const t0 = Date.now();
    try {
      await fn();
    } catch (e) {
      const info = await page.diagnose(name);
      const err = new Error(`[${page.browser}] step "${name}" failed: ${e.message}\n  ${info}`);
      err.stack = `${err.message}\n${e.stack ?? ''}`;
      throw err;
    }
    log(`  [${page.browser}] ${name} (${Date.now() - t0} ms)`);
  };
}
