/**
 * The shared harness of the browser tests (test/e2e/*.test.ts):
 * - `launchBrowser(t)`: Debian's chromium through playwright-core. Missing chromium skips the test with a message,
 *   except under CI=true where it is a failure.
 * - `startStack(t, opts)`: a fresh database on the real PostgreSQL server (test/store/backends.ts), the given
 *   captures stored with `pktlens ingest`, then every service in one process (`pktlens serve`) on free ports.
 *   Null when the server is unreachable outside CI (the test was skipped).
 * - `openPage(browser, url, opts)`: a page in its own context (light or dark colour scheme) that records console
 *   errors, uncaught page errors, failed requests and dialogs; `assertClean(p)` fails on any of them.
 * - `screenshot(page, name, theme)`: test-artifacts/screenshots/<name>-<theme>.png.
 *
 * Typical use:
 *   const b = await launchBrowser(t); if (!b) return;
 *   const s = await startStack(t, { captures: [await generated({ packets: 500 })] }); if (!s) { await b.close(); return; }
 *   try { const p = await openPage(b, s.url + '/'); …; assertClean(p); } finally { await b.close(); await s.stop(); }
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { BIN, ROOT } from '../store/util.js';
import { freshServerDatabase } from '../store/backends.js';
import { requireServer } from '../services/server.js';
import { Proc, freePort, waitFor } from '../services/stack.js';

export const CHROMIUM = process.env.PKTLENS_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run'];
export const SCREENSHOTS = join(ROOT, 'test-artifacts', 'screenshots');

export type Theme = 'light' | 'dark';
export const THEMES: readonly Theme[] = ['light', 'dark'];

/** Chromium, or null when it is missing (the test is skipped; under CI=true it fails instead). */
export async function launchBrowser(t: TestContext): Promise<Browser | null> {
  if (!existsSync(CHROMIUM)) {
    const why = `chromium not found at ${CHROMIUM} (apt-get install chromium, or set PKTLENS_CHROMIUM)`;
    if (process.env.CI === 'true') throw new Error(`${why}; it is required under CI=true`);
    t.skip(why);
    return null;
  }
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/** Run `pktlens ARGS` to the end; rejects with its output on a non-zero exit. */
export function pktlens(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (out += d));
    c.on('error', reject);
    c.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`pktlens ${args.join(' ')} exited ${code}:\n${out}`))));
  });
}

/** A capture made by the project's generator (`pktlens generate`), in a temporary folder removed at process exit. */
export async function generated(o: { packets?: number; seed?: number; hostile?: boolean; pcapng?: boolean } = {}): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'pktlens-e2e-gen-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, `gen-${o.seed ?? 1}${o.hostile ? '-hostile' : ''}.${o.pcapng ? 'pcapng' : 'pcap'}`);
  await pktlens(['generate', '-w', file, '-c', String(o.packets ?? 2000), '--seed', String(o.seed ?? 1),
    ...(o.hostile ? ['--hostile'] : []), ...(o.pcapng ? ['--pcapng'] : [])]);
  return file;
}

export interface StackOptions {
  /** capture files stored (in this order: capture ids 1, 2, …) before the services start */
  captures?: string[];
  /** `--host` of `pktlens serve` (default 127.0.0.1) */
  host?: string;
  /** extra arguments of `pktlens serve` (e.g. ['--password', 'x']) */
  serveArgs?: string[];
  /** extra environment of both commands */
  env?: NodeJS.ProcessEnv;
  /** an existing database to use instead of a fresh one (not dropped at the end), e.g. the benchmark's */
  databaseUrl?: string;
}

export interface RunningStack {
  /** the dashboard, http://127.0.0.1:<ui port> (the UI service; the API is under /api) */
  url: string;
  /** the Analyzer's own port, http://127.0.0.1:<port> */
  analyzerUrl: string;
  ports: { ui: number; parser: number; persistor: number; analyzer: number };
  databaseUrl: string;
  /** the stack's scratch folder (logs/ holds the services' logs), removed at stop */
  dir: string;
  proc: Proc;
  /** what `pktlens ingest` printed per capture */
  ingested: string[];
  stop(): Promise<void>;
}

/**
 * A fresh database on the PostgreSQL server with `captures` stored, and `pktlens serve` (all services, one
 * process) on free ports. Null when the server is unreachable and not under CI (t was skipped).
 */
export async function startStack(t: TestContext, o: StackOptions = {}): Promise<RunningStack | null> {
  let databaseUrl = o.databaseUrl;
  let drop: (() => Promise<void>) | null = null;
  if (!databaseUrl) {
    if (!(await requireServer(t))) return null;
    const fresh = await freshServerDatabase();
    databaseUrl = fresh.url;
    drop = fresh.drop;
  }
  const dir = mkdtempSync(join(tmpdir(), 'pktlens-e2e-'));
  const ports = { ui: await freePort(), parser: await freePort(), persistor: await freePort(), analyzer: await freePort() };
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    PKTLENS_LOG_DIR: join(dir, 'logs'),
    PKTLENS_UI_PORT: String(ports.ui),
    PKTLENS_PARSER_PORT: String(ports.parser),
    PKTLENS_PERSISTOR_PORT: String(ports.persistor),
    PKTLENS_ANALYZER_PORT: String(ports.analyzer),
    ...o.env,
  };
  delete env.PKTLENS_HOST;
  if (o.env?.PKTLENS_HOST) env.PKTLENS_HOST = o.env.PKTLENS_HOST;
  const cleanup = async (): Promise<void> => {
    try {
      if (drop) await drop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const ingested: string[] = [];
  let proc: Proc | null = null;
  try {
    for (const f of o.captures ?? []) ingested.push(await pktlens(['ingest', f], env));
    proc = new Proc(['serve', ...(o.host ? ['--host', o.host] : []), ...(o.serveArgs ?? [])], env).start();
    const p = proc;
    await waitFor('pktlens serve: ui ready', async () => {
      if (p.child?.exitCode !== null) throw new Error(`pktlens serve exited ${p.child?.exitCode}:\n${p.out}`);
      return /ui ready at /.test(p.out);
    }, 60_000);
  } catch (e) {
    await proc?.kill('SIGKILL');
    await cleanup();
    throw e;
  }
  const running = proc;
  return {
    url: `http://127.0.0.1:${ports.ui}`,
    analyzerUrl: `http://127.0.0.1:${ports.analyzer}`,
    ports,
    databaseUrl,
    dir,
    proc: running,
    ingested,
    async stop() {
      const code = await running.kill('SIGTERM');
      await cleanup();
      assert.equal(code, 0, `pktlens serve did not stop cleanly:\n${running.out}`);
    },
  };
}

export interface OpenedPage {
  page: Page;
  context: BrowserContext;
  theme: Theme;
  /** console messages of type error */
  consoleErrors: string[];
  /** uncaught exceptions in the page */
  pageErrors: string[];
  /** requests that failed at the network level (not those the page cancelled) or got a 5xx */
  failedRequests: string[];
  /** dialogs (alert, confirm, prompt) the page opened; each is dismissed */
  dialogs: string[];
}

/**
 * A new context (its own cookies) with the colour scheme of `theme`, and a page that has loaded `url`
 * (waitUntil 'load' unless told). Everything that goes wrong in the page is recorded on the result.
 */
export async function openPage(browser: Browser, url: string | null, o: { theme?: Theme; width?: number; height?: number; context?: BrowserContext; waitUntil?: 'load' | 'domcontentloaded' | 'networkidle' } = {}): Promise<OpenedPage> {
  const theme = o.theme ?? 'light';
  const context = o.context ?? (await browser.newContext({ colorScheme: theme, viewport: { width: o.width ?? 1280, height: o.height ?? 800 } }));
  const page = await context.newPage();
  const r: OpenedPage = { page, context, theme, consoleErrors: [], pageErrors: [], failedRequests: [], dialogs: [] };
  page.on('console', (m) => {
    if (m.type() === 'error') r.consoleErrors.push(`${m.text()}${m.location().url ? ` (${m.location().url})` : ''}`);
  });
  page.on('pageerror', (e) => r.pageErrors.push(e.stack ?? e.message));
  page.on('requestfailed', (q) => {
    const why = q.failure()?.errorText ?? 'failed';
    if (why !== 'net::ERR_ABORTED') r.failedRequests.push(`${q.method()} ${q.url()}: ${why}`); // aborted: cancelled by the page
  });
  page.on('response', (s) => {
    if (s.status() >= 500) r.failedRequests.push(`${s.request().method()} ${s.url()}: ${s.status()}`);
  });
  page.on('dialog', (d) => {
    r.dialogs.push(`${d.type()}: ${d.message()}`);
    void d.dismiss().catch(() => {});
  });
  if (url) await page.goto(url, { waitUntil: o.waitUntil ?? 'load' });
  return r;
}

/**
 * Fails when the page logged a console error, threw, had a failed request or opened a dialog. `allow`: messages
 * known and accepted (say why at the call), e.g. a resource the API does not serve yet.
 */
export function assertClean(p: OpenedPage, o: { what?: string; allow?: RegExp[] } = {}): void {
  const what = o.what ?? p.page.url();
  const keep = (l: string[]): string[] => l.filter((m) => !(o.allow ?? []).some((r) => r.test(m)));
  assert.deepEqual(keep(p.pageErrors), [], `${what}: uncaught errors in the page`);
  assert.deepEqual(keep(p.consoleErrors), [], `${what}: console errors`);
  assert.deepEqual(keep(p.failedRequests), [], `${what}: failed requests`);
  assert.deepEqual(keep(p.dialogs), [], `${what}: dialogs opened`);
}

/**
 * Console messages of endpoints the dashboard uses before the Analyzer serves them: named here, in one place, so
 * the tests pass meanwhile and the list shows what is missing. Remove an entry when its endpoint lands.
 */
export const NOT_YET_SERVED: RegExp[] = [/status of 404 \(Not Found\) \(http:\/\/[^)]*\/api\/events\b/];

/** Full-page screenshot to test-artifacts/screenshots/<name>-<theme>.png; returns the path. */
export async function screenshot(page: Page, name: string, theme: Theme): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const file = join(SCREENSHOTS, `${name.replace(/[^\w.-]+/g, '_')}-${theme}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Wait until `selector` is in the page (visible unless state says otherwise); a clearer failure than a timeout. */
export async function waitForSelector(page: Page, selector: string, timeoutMs = 15_000, state: 'attached' | 'visible' = 'visible'): Promise<void> {
  try {
    await page.waitForSelector(selector, { timeout: timeoutMs, state });
  } catch (e) {
    const body = await page.evaluate(() => document.body?.innerText.slice(0, 2000) ?? '').catch(() => '');
    throw new Error(`${selector} did not appear on ${page.url()} within ${timeoutMs} ms (${(e as Error).message.split('\n')[0]}); the page says:\n${body}`);
  }
}
