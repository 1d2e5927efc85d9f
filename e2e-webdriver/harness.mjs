// The environment of the WebDriver journey: the stand-in and the relay on
// free ports with a fresh data directory (as playwright.config.ts starts
// them), and a WebDriver server per browser: geckodriver for Firefox ESR,
// WebKitWebDriver (MiniBrowser) under `xvfb-run -a` for WebKit. Every
// process is started in a process group of its own and ended with it.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Capabilities, WebDriver } from 'selenium-webdriver';
import { Executor, HttpClient } from 'selenium-webdriver/http/index.js';

const target = process.env.CARGO_TARGET_DIR ?? 'target';
/** Every process started here: ended on exit even after a crash. */
const started = new Set();

process.on('exit', () => {
  for (const child of started) stop(child);
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => process.exit(130));
}

function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    // already gone
  }
}

/** A free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(String(port)));
    });
  });
}

/** Starts `command` in a process group of its own; keeps the last 4 KB of its output. */
function launch(what, command, args, env) {
  const child = spawn(command, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  started.add(child);
  let log = '';
  const keep = (d) => {
    log = (log + d.toString()).slice(-4096);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  child.on('exit', () => started.delete(child));
  child.on('error', (e) => keep(`${what}: ${e.message}\n`));
  return {
    child,
    log: () => log,
    /** Ends the process group and waits for the process to exit. */
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise((ok) => child.once('exit', ok));
      stop(child);
      await gone;
    },
  };
}

/** Waits until `url` answers 2xx (the process must stay alive meanwhile). */
async function ready(url, proc, what, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) break;
    try {
      const r = await fetch(url);
      if (r.ok) return;
      last = `status ${r.status}`;
    } catch (e) {
      last = String(e?.cause?.code ?? e?.message ?? e);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not start (${last}): ${proc.log()}`);
}

/**
 * The stand-in (strict) and the relay in front of it, as playwright.config.ts
 * starts them. Returns the relay's origin (the app's) and `stop()`.
 */
export async function startServers() {
  const port = await freePort();
  let upstreamPort = await freePort();
  while (upstreamPort === port) upstreamPort = await freePort();
  const data = mkdtempSync(join(tmpdir(), 'buergeramt-e2e-webdriver-'));
  const base = `http://127.0.0.1:${port}`;
  const upstream = `http://127.0.0.1:${upstreamPort}`;
  const standIn = launch('stand-in', `${target}/debug/buergeramt-backends`, [], {
    PORT: upstreamPort,
    BUERGERAMT_DATA: data,
    BUERGERAMT_DIST: 'dist',
    BUERGERAMT_STRICT_UPSTREAMS: '1',
    BUERGERAMT_RELAY_URL: base,
    BUERGERAMT_CONSOLE_URL: `http://localhost:${upstreamPort}`,
    RUST_LOG: 'warn',
  });
  const servers = [standIn];
  const stopAll = async () => {
    for (const s of servers.reverse()) await s.stop();
    rmSync(data, { recursive: true, force: true });
  };
  try {
    await ready(`${upstream}/healthz`, standIn, 'the stand-in');
    const relay = launch('relay', `${target}/debug/buergeramt-relay`, [], {
      PORT: port,
      RELAY_UPSTREAM: upstream,
      RELAY_DIST: 'dist',
      RELAY_DATA: join(data, 'relay'),
      RUST_LOG: 'warn',
    });
    servers.push(relay);
    await ready(`${base}/healthz`, relay, 'the relay');
  } catch (e) {
    await stopAll();
    throw e;
  }
  return { base, upstream, stop: stopAll };
}

function which(name) {
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`]).toString().trim();
  } catch {
    return '';
  }
}

/** geckodriver: $GECKODRIVER, on the PATH, or where `cargo install` puts it. */
export function geckodriverPath() {
  const candidates = [process.env.GECKODRIVER, which('geckodriver'), join(process.env.HOME ?? '', '.cargo/bin/geckodriver')];
  return candidates.find((p) => p && existsSync(p)) ?? '';
}

/** WebKitGTK's MiniBrowser: $MINIBROWSER, or under the webkit2gtk lib directory. */
export function miniBrowserPath() {
  if (process.env.MINIBROWSER) return process.env.MINIBROWSER;
  for (const lib of ['/usr/lib', '/usr/libexec']) {
    if (!existsSync(lib)) continue;
    for (const arch of ['', ...readdirSync(lib).filter((d) => d.endsWith('-linux-gnu'))]) {
      for (const dir of ['webkit2gtk-4.1', 'webkit2gtk-4.0', 'webkitgtk-6.0']) {
        const p = join(lib, arch, dir, 'MiniBrowser');
        if (existsSync(p)) return p;
      }
    }
  }
  return '';
}

/** What each browser needs; `missing` names what is not installed (make setup installs it). */
export const BROWSERS = {
  firefox: () => {
    const driver = geckodriverPath();
    const binary = process.env.FIREFOX_BINARY ?? '/usr/bin/firefox-esr';
    const missing = [!driver && 'geckodriver (cargo install geckodriver)', !existsSync(binary) && binary].filter(Boolean);
    return {
      missing,
      command: driver,
      args: (port) => ['--host', '127.0.0.1', '--port', port],
      capabilities: {
        browserName: 'firefox',
        'moz:firefoxOptions': {
          binary,
          args: ['-headless', '-width', '1280', '-height', '900'],
          prefs: {
            'app.update.enabled': false,
            'intl.accept_languages': 'de-DE, de',
            'browser.shell.checkDefaultBrowser': false,
          },
        },
      },
    };
  },
  webkit: () => {
    const driver = which('WebKitWebDriver');
    const binary = miniBrowserPath();
    // Under xvfb-run unless a display is there already (WD_XVFB=0 to skip).
    const xvfb = process.env.WD_XVFB !== '0' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY;
    const missing = [
      !driver && 'WebKitWebDriver (apt-get install webkit2gtk-driver)',
      !binary && 'MiniBrowser (apt-get install webkit2gtk-driver)',
      xvfb && !which('xvfb-run') && 'xvfb-run (apt-get install xvfb)',
    ].filter(Boolean);
    return {
      missing,
      command: xvfb ? 'xvfb-run' : driver,
      args: (port) => (xvfb ? ['-a', driver, `--port=${port}`] : [`--port=${port}`]),
      capabilities: {
        'webkitgtk:browserOptions': { binary, args: ['--automation'] },
      },
    };
  },
};

/**
 * A WebDriver server for `name` (firefox, webkit) and a session on it.
 * Returns `{ driver, stop }`; `stop()` ends the session and the server.
 */
export async function startBrowser(name) {
  const spec = BROWSERS[name]?.();
  if (!spec) throw new Error(`unknown browser ${name} (firefox, webkit)`);
  if (spec.missing.length) throw new Error(`${name}: not installed: ${spec.missing.join(', ')}; run make setup`);
  const port = await freePort();
  // The app shows times in Berlin time, as the Playwright suite sets it.
  const server = launch(`${name} driver`, spec.command, spec.args(port), { TZ: 'Europe/Berlin', LANG: 'de_DE.UTF-8' });
  const url = `http://127.0.0.1:${port}`;
  await ready(`${url}/status`, server, `the WebDriver server for ${name}`, 60_000);
  let driver;
  try {
    driver = await WebDriver.createSession(new Executor(new HttpClient(url)), new Capabilities(spec.capabilities));
    await driver.manage().setTimeouts({ pageLoad: 60_000, script: 30_000 });
    if (name === 'webkit') await driver.manage().window().setRect({ width: 1280, height: 900 }).catch(() => {});
  } catch (e) {
    await server.stop();
    throw new Error(`${name}: no WebDriver session: ${e.message}\n${server.log()}`);
  }
  return {
    driver,
    log: server.log,
    async stop() {
      await driver.quit().catch(() => {});
      await server.stop();
    },
  };
}
