// `npm run bench:ui`: the dashboard in chromium over a database of ≥ 10M packets.
//
//   node dist/bench/ui.js [--packets N] [--rows N] [--runs N]     defaults: 10,000,000 packets, 100,000 rows, 3 runs
//                         [--no-overview]    only the Packets part
//                         [--trace FILE]     a Chrome trace of the scroll (open it in chrome://tracing or Perfetto)
//   PKTLENS_BENCH_DB=postgres://…   use this database as it is (else bench/fill.ts's ensureBenchDb fills or reuses
//                                   `pktlens_bench` on the PostgreSQL server, shared with bench:queries)
//
// 1. Overview: time from navigation to the first complete render — every panel loaded (the page's `data-ready`
//    attribute when it sets one, else: no loading state, no loading bar, the totals filled in). The first run is
//    cold (the server's caches aside), the others warm; the slowest /api requests of the cold run are listed.
// 2. Packets: time to the first rows on screen, then the list is scrolled through `--rows` rows (50 rows per
//    animation frame, as a fast flick of the wheel would), and the longest main-thread task during the scroll is
//    read from PerformanceObserver 'longtask' entries (tasks ≥ 50 ms; none means every task was shorter); also the
//    longest gap between animation frames and how many frames showed rows still loading.
// Targets: Overview complete ≤ 1.5 s; no task over 100 ms while scrolling. Results on stdout and in bench/out/ui.json.

import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { chromium, type Browser, type Page, type Request } from 'playwright-core';
import pg from 'pg';
import { arg, OUT, printTable, ROOT } from './common.js';
import { ensureBenchDb } from './fill.js';
import { CHROMIUM, CHROMIUM_ARGS, startStack, type RunningStack } from '../test/e2e/browser.js';

const OVERVIEW_TARGET_MS = 1500;
const LONG_TASK_TARGET_MS = 100;
const ROWS_PER_FRAME = 50;

/** Installed before the page's own scripts: every long task, with its start and duration. */
const LONGTASK_OBSERVER = `
  window.__longtasks = [];
  try {
    new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__longtasks.push([e.startTime, e.duration]); })
      .observe({ type: 'longtask', buffered: true });
  } catch (e) { window.__longtaskError = String(e); }
`;

interface Overview { completeMs: number; longestTaskMs: number; errors: string[]; slowest: [string, number][] }

/** The Overview is complete: the page says so (data-ready) or, failing that, nothing is loading and the totals are in. */
function overviewComplete(): number | false {
  const main = document.querySelector('[data-testid=page-overview]');
  if (!main) return false;
  if (main.hasAttribute('data-ready')) return main.getAttribute('data-ready') === 'true' ? performance.now() : false;
  if (main.querySelector('.state-loading, .spinner')) return false;
  if (document.querySelector('.loading-bar.is-active')) return false;
  if (!main.querySelector('[data-testid=total-packets]')?.getAttribute('data-value')) return false;
  if ((main.querySelector('[data-testid=total-flows]')?.textContent ?? '').includes('…')) return false;
  return performance.now();
}

async function loadOverview(browser: Browser, url: string): Promise<Overview> {
  const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  await ctx.addInitScript(LONGTASK_OBSERVER);
  const page = await ctx.newPage();
  const api: [string, number][] = [];
  page.on('requestfinished', (r) => {
    if (!r.url().includes('/api/')) return;
    const t = r.timing();
    api.push([r.url().replace(/^https?:\/\/[^/]+/, ''), t.responseEnd]);
  });
  try {
    await page.goto(`${url}/`, { waitUntil: 'commit' });
    const completeMs = (await (await page.waitForFunction(overviewComplete, null, { polling: 'raf', timeout: 300_000 })).jsonValue()) as number;
    const errors = await page.$$eval('[data-testid=page-overview] .state-error', (els) => els.map((e) => (e.textContent ?? '').trim().slice(0, 200)));
    const longest = await page.evaluate(() => Math.max(0, ...(window as unknown as { __longtasks: [number, number][] }).__longtasks.map((x) => x[1])));
    return { completeMs, longestTaskMs: longest, errors, slowest: api.sort((a, b) => b[1] - a[1]).slice(0, 6) };
  } finally {
    await ctx.close();
  }
}

interface Scroll {
  firstRowsMs: number;
  total: number;
  rows: number;
  seconds: number;
  frames: number;
  longestTaskMs: number;
  tasksOver50: number;
  tasksOver100: number;
  longestFrameGapMs: number;
  pendingFrames: number;
  landedOn: number | null;
  /** /api requests the page made while scrolling */
  requests: number;
}

async function scrollPackets(browser: Browser, url: string, rows: number, trace: string | null): Promise<Scroll> {
  const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  await ctx.addInitScript(LONGTASK_OBSERVER);
  const page = await ctx.newPage();
  try {
    await page.goto(`${url}/?page=packets`, { waitUntil: 'commit' });
    const firstRowsMs = (await (await page.waitForFunction(() => {
      const n = document.querySelectorAll('[data-testid=packet-row]').length;
      return n > 10 && !document.querySelector('.prow.is-pending') ? performance.now() : false;
    }, null, { polling: 'raf', timeout: 300_000 })).jsonValue()) as number;
    const total = Number(await page.getAttribute('[data-testid=packet-list]', 'data-total'));
    await page.waitForTimeout(500); // let the first render's work settle before measuring the scroll
    if (trace) await browser.startTracing(page, { path: trace, screenshots: false, categories: TRACE_CATEGORIES });
    let requests = 0;
    const count = (r: Request): void => {
      if (r.url().includes('/api/')) requests++;
    };
    page.on('request', count);
    const r = await page.evaluate(scrollInPage, { rows, perFrame: ROWS_PER_FRAME });
    page.off('request', count);
    if (trace) await browser.stopTracing();
    // where the scroll ended: the rows there load and are the rows ~`rows` down
    await page.waitForFunction(() => !document.querySelector('.prow.is-pending') && document.querySelectorAll('[data-testid=packet-row]').length > 10, null, { timeout: 60_000 });
    const landedOn = await page.evaluate(() => Math.min(...Array.from(document.querySelectorAll('[data-testid=packet-row]')).map((e) => Number(e.getAttribute('data-index')))));
    return { firstRowsMs, total, ...r, requests, landedOn: Number.isFinite(landedOn) ? landedOn : null };
  } finally {
    await ctx.close();
  }
}

const TRACE_CATEGORIES = ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'disabled-by-default-devtools.timeline.stack',
  'v8.execute', 'disabled-by-default-v8.cpu_profiler', 'blink.user_timing', 'v8', 'toplevel'];

/** Runs in the page: scroll the packet list through `rows` rows, `perFrame` rows per animation frame. */
async function scrollInPage({ rows, perFrame }: { rows: number; perFrame: number }): Promise<Omit<Scroll, 'firstRowsMs' | 'total' | 'landedOn' | 'requests'>> {
  const sc = document.querySelector<HTMLElement>('[data-testid=packet-scroll]')!;
  const total = Number(document.querySelector('[data-testid=packet-list]')!.getAttribute('data-total'));
  const rowH = document.querySelector<HTMLElement>('[data-testid=packet-row]')!.getBoundingClientRect().height;
  const h = sc.clientHeight;
  // the list scales its scroll height past a browser limit: real px per virtual px
  const scale = (sc.scrollHeight - h) / Math.max(1, total * rowH - h);
  const tasks = (window as unknown as { __longtasks: [number, number][] }).__longtasks;
  const t0 = performance.now();
  let last = t0, gap = 0, frames = 0, pending = 0, done = 0;
  while (done < rows) {
    const step = Math.min(perFrame, rows - done);
    sc.scrollTop += step * rowH * scale;
    done += step;
    await new Promise<void>((r) => requestAnimationFrame(() => r()));
    const now = performance.now();
    gap = Math.max(gap, now - last);
    last = now;
    frames++;
    if (sc.querySelector('.prow.is-pending')) pending++;
  }
  const t1 = performance.now();
  await new Promise((r) => setTimeout(r, 300)); // a task still running at the end is reported after it ends
  const during = tasks.filter(([s, d]) => s + d >= t0 && s <= t1).map(([, d]) => d);
  return {
    rows, seconds: (t1 - t0) / 1000, frames, longestTaskMs: Math.max(0, ...during),
    tasksOver50: during.filter((d) => d > 50).length, tasksOver100: during.filter((d) => d > 100).length,
    longestFrameGapMs: gap, pendingFrames: pending,
  };
}

async function packetCount(url: string): Promise<number> {
  const c = new pg.Client(url);
  await c.connect();
  try {
    return Number((await c.query<{ n: string }>('SELECT count(*) AS n FROM packets')).rows[0]!.n);
  } finally {
    await c.end();
  }
}

const ms = (v: number): string => `${Math.round(v)} ms`;

async function main(): Promise<void> {
  const packets = arg('--packets', 10_000_000), rows = arg('--rows', 100_000);
  const runs = process.argv.includes('--no-overview') ? 0 : arg('--runs', 3);
  const ti = process.argv.indexOf('--trace');
  const trace = ti >= 0 ? process.argv[ti + 1] ?? null : null;
  if (!existsSync(join(ROOT, 'web', 'dist', 'index.html'))) throw new Error('the web app is not built: npm run build -w web');
  if (!existsSync(CHROMIUM)) throw new Error(`chromium not found at ${CHROMIUM}`);
  const given = process.env.PKTLENS_BENCH_DB;
  const databaseUrl = given ?? (await ensureBenchDb(packets)).url;
  const stored = await packetCount(databaseUrl);
  process.stderr.write(`database ${databaseUrl.replace(/:[^:@/]*@/, ':***@')}: ${stored.toLocaleString('en')} packets\n`);
  if (!given && stored < packets) throw new Error(`the bench database holds ${stored} packets, fewer than ${packets}`);

  const noTest = { skip() {}, diagnostic() {} } as unknown as TestContext;
  const stack = (await startStack(noTest, { databaseUrl })) as RunningStack;
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  try {
    const overview: Overview[] = [];
    for (let i = 0; i < runs; i++) {
      overview.push(await loadOverview(browser, stack.url));
      process.stderr.write(`overview run ${i + 1}: complete in ${ms(overview[i]!.completeMs)}\n`);
    }
    const scroll = await scrollPackets(browser, stack.url, rows, trace);
    const warm = overview.slice(1).map((o) => o.completeMs).sort((a, b) => a - b);
    const warmMedian = warm.length ? warm[Math.floor(warm.length / 2)]! : null;
    const okOverview = !overview.length || (overview[0]!.completeMs <= OVERVIEW_TARGET_MS && overview.every((o) => !o.errors.length));
    const okScroll = scroll.longestTaskMs <= LONG_TASK_TARGET_MS && scroll.landedOn !== null && scroll.landedOn >= rows * 0.9;

    console.log(`\npktlens bench:ui — ${stored.toLocaleString('en')} packets in PostgreSQL, chromium ${browser.version()}, 1440×900; ${cpus().length} cores, load average ${loadavg()[0]!.toFixed(1)} (shared machine: figures vary with it)\n`);
    const o0 = overview[0];
    printTable([
      ['measure', 'value', 'target', ''],
      ...(o0 ? [
        ['Overview complete, cold (first load)', ms(o0.completeMs), `≤ ${OVERVIEW_TARGET_MS} ms`, o0.completeMs <= OVERVIEW_TARGET_MS ? 'ok' : 'MISSED'],
        ['Overview complete, warm (median)', warmMedian === null ? '-' : ms(warmMedian), '', ''],
        ['Overview longest task (cold)', ms(o0.longestTaskMs), '', ''],
      ] : []),
      ['Packets: first rows on screen', ms(scroll.firstRowsMs), '', ''],
      [`Packets: scroll ${scroll.rows.toLocaleString('en')} rows`, `${scroll.seconds.toFixed(1)} s, ${scroll.frames} frames`, '', ''],
      ['  longest main-thread task', scroll.longestTaskMs ? ms(scroll.longestTaskMs) : '< 50 ms (none)', `≤ ${LONG_TASK_TARGET_MS} ms`, scroll.longestTaskMs <= LONG_TASK_TARGET_MS ? 'ok' : 'MISSED'],
      ['  tasks > 50 ms / > 100 ms', `${scroll.tasksOver50} / ${scroll.tasksOver100}`, '', ''],
      ['  longest gap between frames', ms(scroll.longestFrameGapMs), '', ''],
      ['  frames showing rows still loading', `${scroll.pendingFrames} of ${scroll.frames}`, '', ''],
      ['  /api requests while scrolling', String(scroll.requests), '', ''],
      ['  first row on screen at the end', scroll.landedOn === null ? '-' : `#${(scroll.landedOn + 1).toLocaleString('en')} of ${scroll.total.toLocaleString('en')}`, `≈ #${(rows + 1).toLocaleString('en')}`, scroll.landedOn !== null && scroll.landedOn >= rows * 0.9 ? 'ok' : 'MISSED'],
    ]);
    if (overview.some((o) => o.errors.length)) console.log(`\nOverview panels that failed: ${[...new Set(overview.flatMap((o) => o.errors))].join(' | ')}`);
    if (o0) {
      console.log('\nslowest /api requests of the cold Overview (ms to the end of the response):');
      for (const [u, t] of o0.slowest) console.log(`  ${String(Math.round(t)).padStart(6)}  ${u}`);
    }
    console.log(`\n${okOverview && okScroll ? 'all targets met' : 'targets missed'}`);
    mkdirSync(OUT, { recursive: true });
    writeFileSync(join(OUT, 'ui.json'), JSON.stringify({ packets: stored, overview, scroll, warmMedian, okOverview, okScroll }, null, 2));
  } finally {
    await browser.close();
    await stack.stop().catch(() => {});
  }
}

main().then(
  () => process.exit(0),
  (e: Error) => {
    process.stderr.write(`bench:ui: ${e.stack ?? e.message}\n`);
    process.exit(1);
  },
);
