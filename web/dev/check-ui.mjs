#!/usr/bin/env node
// Browser check of the built dashboard against the mock Analyzer (dev/mock-api.mjs with MOCK_BIG=2000000), in
// headless Chromium through playwright-core (the root package's dev dependency):
//   every page in both themes (screenshots), hostile text shown as text, the 2M-row list (a far jump, main-thread
//   CPU per task from a trace), display-filter validation and counts, upload with progress, live capture counters,
//   "Analyzer unreachable". Fails on page exceptions, console errors, CSP violations and any JavaScript dialog.
//
//   MOCK_PORT=5003 MOCK_BIG=2000000 node dev/mock-api.mjs &   npm run build && npx vite preview &
//   node dev/check-ui.mjs http://127.0.0.1:4173/ /tmp/pktlens-shots
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const base = (process.argv[2] ?? 'http://127.0.0.1:4173/').replace(/\/$/, '');
const shots = process.argv[3] ?? '/tmp/pktlens-shots';
mkdirSync(shots, { recursive: true });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
const problems = [];
let step = '';

async function open(url, theme = 'light') {
  const ctx = await browser.newContext({ colorScheme: theme, viewport: { width: 1440, height: 900 } });
  const page = await ctx.newPage();
  page.on('pageerror', (e) => problems.push(`${step}: page error ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 400/.test(m.text())) problems.push(`${step}: console ${m.text()} ${m.location().url ?? ""}`);
  });
  page.on('dialog', (d) => {
    problems.push(`${step}: dialog ${d.message()}`);
    void d.dismiss();
  });
  await page.goto(base + url);
  return { page, ctx };
}

async function api(path) {
  return (await fetch(`${base}/api${path}`)).json();
}

const captures = await api('/captures');
const big = captures.find((c) => c.packets >= 1_000_000);

for (const theme of ['light', 'dark']) {
  step = `pages ${theme}`;
  const { page, ctx } = await open('/?capture=1', theme);
  await page.waitForSelector('[data-testid=total-packets][data-value="2600"]');
  await page.waitForSelector('[data-testid=io-graph] canvas');
  await page.screenshot({ path: join(shots, `overview-${theme}.png`), fullPage: true });
  await page.click('[data-testid=nav-packets]');
  await page.waitForSelector('[data-testid=packet-row]');
  await page.click('[data-testid=packet-row] >> nth=6');
  await page.waitForSelector('[data-testid=detail-tree]');
  await page.screenshot({ path: join(shots, `packets-${theme}.png`) });
  await page.click('[data-testid=nav-flows]');
  await page.waitForSelector('[data-testid=flow-row]');
  await page.screenshot({ path: join(shots, `flows-${theme}.png`) });
  await page.click('[data-testid=nav-captures]');
  await page.waitForSelector('[data-testid=capture-row]');
  await page.screenshot({ path: join(shots, `captures-${theme}.png`) });
  // hostile names are text: the <img> in a capture's name is not an element
  const text = await page.textContent('[data-testid=capture-table]');
  assert.ok(text.includes('<img src=x onerror=alert(1)>.pcap'), 'hostile capture name shown as text');
  assert.equal(await page.locator('img[src=x], script:not([src])').count(), 0, 'no injected element');
  await page.goBack();
  await page.waitForSelector('[data-testid=flow-row]');
  await ctx.close();
}

if (big) {
  step = 'two million rows';
  const { page, ctx } = await open(`/?page=packets&capture=${big.id}`);
  await page.waitForSelector('[data-testid=packet-row]');
  await page.locator('[data-testid=packet-scroll]').hover();
  await browser.startTracing(page, { categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline'] });
  for (let i = 0; i < 30; i++) {
    await page.mouse.wheel(0, 900);
    await page.waitForTimeout(20);
  }
  const t0 = Date.now();
  await page.evaluate(() => {
    const el = document.querySelector('[data-testid=packet-scroll]');
    el.scrollTop = (el.scrollHeight - el.clientHeight) * 0.75;
  });
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=packet-row]')?.dataset.index ?? 0) > 1_400_000);
  const jumpMs = Date.now() - t0;
  const frames = await page.$$eval('[data-testid=packet-row]', (rs) => rs.map((r) => [Number(r.dataset.index), Number(r.dataset.frame)]));
  assert.ok(frames.every(([i, f]) => f === i + 1), 'row i shows frame i+1');
  const trace = JSON.parse((await browser.stopTracing()).toString());
  const ev = trace.traceEvents ?? trace;
  const mains = new Set(ev.filter((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map((e) => `${e.pid}/${e.tid}`));
  const cpu = ev.filter((e) => e.name === 'RunTask' && e.ph === 'X' && mains.has(`${e.pid}/${e.tid}`)).map((e) => (e.tdur ?? e.dur) / 1000);
  const worst = Math.max(0, ...cpu);
  console.log(`2M rows: jump to 75% shown in ${jumpMs} ms; longest main-thread task ${worst.toFixed(1)} ms CPU`);
  assert.ok(worst <= 100, `main-thread task of ${worst} ms`);
  await ctx.close();
}

{
  step = 'filter';
  const { page, ctx } = await open('/?page=packets&capture=1');
  await page.waitForSelector('[data-testid=packet-row]');
  await page.keyboard.press('/');
  await page.keyboard.type('ip.addr ==');
  await page.waitForSelector('[data-testid=filter-error]');
  await page.keyboard.type(' 8.8.8.8 && dn');
  await page.waitForSelector('[data-testid=filter-suggestions]');
  await page.keyboard.press('Tab');
  assert.equal(await page.inputValue('[data-testid=filter-input]'), 'ip.addr == 8.8.8.8 && dns');
  await page.waitForSelector('[data-testid=filter-input][data-state=good]');
  await page.keyboard.press('Enter');
  const want = (await api(`/count?capture=1&q=${encodeURIComponent('ip.addr == 8.8.8.8 && dns')}`)).count;
  await page.waitForSelector(`[data-testid=packet-count][data-count="${want}"]`);
  await page.screenshot({ path: join(shots, 'packets-filtered.png') });
  await ctx.close();
}

{
  step = 'upload and live';
  const { page, ctx } = await open('/?page=captures');
  await page.waitForSelector('[data-testid=upload-drop]');
  await page.setInputFiles('[data-testid=upload-input]', { name: 'dropped.pcap', mimeType: 'application/octet-stream', buffer: Buffer.alloc(200_000, 1) });
  await page.waitForSelector('[data-testid=upload-progress]');
  await page.waitForSelector('[data-testid=upload-item][data-phase=done]', { timeout: 20_000 });
  await page.selectOption('[data-testid=live-interface]', 'lo');
  await page.click('[data-testid=live-start]');
  const t0 = Date.now();
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=live-counters]')].some((e) => Number(e.dataset.packets) > 0));
  console.log(`live counters moved after ${Date.now() - t0} ms`);
  await page.screenshot({ path: join(shots, 'captures-live.png') });
  await page.click('[data-testid=live-counters] [data-testid=live-stop]');
  await ctx.close();
}

{
  step = 'unreachable';
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 700 } });
  const page = await ctx.newPage();
  await page.route('**/api/**', (r) => r.fulfill({ status: 502, contentType: 'application/json', body: '{"error":"connect ECONNREFUSED 127.0.0.1:5003"}' }));
  await page.goto(`${base}/`);
  await page.waitForSelector('text=Analyzer unreachable');
  await page.screenshot({ path: join(shots, 'unreachable.png') });
  await ctx.close();
}

await browser.close();
if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log(`ok — screenshots in ${shots}`);
