#!/usr/bin/env node
// Drives a headless Chromium over the DevTools protocol (no extra packages) through the dashboard and saves
// screenshots; fails on page errors, CSP violations, console errors or any JavaScript dialog (a sign of XSS).
//
//   node dev/mock-api.mjs &                      # or MOCK_PORT=5999 …
//   npx vite build && npx vite preview &         # serves dist/ with the production CSP, /api proxied
//   node --experimental-websocket dev/check-ui.mjs http://127.0.0.1:4173/ /tmp/pktlens-shots
//
// Environment: CHROMIUM (default /usr/bin/chromium).

import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const url = process.argv[2] ?? 'http://127.0.0.1:4173/';
const outDir = process.argv[3] ?? '/tmp/pktlens-shots';
const only = process.argv[4] ?? null; // run one scenario by name
const chromium = process.env.CHROMIUM ?? '/usr/bin/chromium';
mkdirSync(outDir, { recursive: true });

if (typeof WebSocket === 'undefined') {
  console.error('needs a global WebSocket: run with node --experimental-websocket (Node 20) or Node ≥ 22');
  process.exit(2);
}

const port = 9300 + Math.floor(Math.random() * 500);
const browser = spawn(chromium, [
  '--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars=false', `--remote-debugging-port=${port}`,
  '--no-first-run', '--no-default-browser-check', `--user-data-dir=/tmp/pktlens-chromium-${port}`, 'about:blank',
], { stdio: ['ignore', 'ignore', 'pipe'] });
browser.stderr.on('data', () => {});

async function targets() {
  for (let i = 0; i < 100; i++) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/json/list`);
      const list = await r.json();
      const page = list.find((t) => t.type === 'page');
      if (page) return page;
    } catch { /* not up yet */ }
    await sleep(100);
  }
  throw new Error('chromium did not start');
}

const page = await targets();
const ws = new WebSocket(page.webSocketDebuggerUrl);
await new Promise((res, rej) => { ws.onopen = res; ws.onerror = rej; });
let seq = 0;
const pending = new Map();
const problems = [];
ws.onmessage = (ev) => {
  const msg = JSON.parse(ev.data);
  if (msg.id && pending.has(msg.id)) {
    const { res, rej } = pending.get(msg.id);
    pending.delete(msg.id);
    if (msg.error) rej(new Error(msg.error.message)); else res(msg.result);
    return;
  }
  if (msg.method === 'Runtime.exceptionThrown') problems.push(`exception: ${msg.params.exceptionDetails.exception?.description ?? msg.params.exceptionDetails.text}`);
  if (msg.method === 'Runtime.consoleAPICalled' && msg.params.type === 'error') problems.push(`console.error: ${msg.params.args.map((a) => a.value ?? a.description).join(' ')}`);
  if (msg.method === 'Log.entryAdded' && msg.params.entry.level === 'error') {
    const e = msg.params.entry;
    // Network errors are expected in the "unreachable" scenario; everything else (CSP!) is a problem.
    if (!(e.source === 'network' && allowNetworkErrors)) problems.push(`log(${e.source}): ${e.text}`);
  }
  if (msg.method === 'Page.javascriptDialogOpening') {
    problems.push(`DIALOG (XSS?): ${msg.params.type} ${msg.params.message}`);
    send('Page.handleJavaScriptDialog', { accept: true });
  }
};
let allowNetworkErrors = false;
function send(method, params = {}) {
  const id = ++seq;
  ws.send(JSON.stringify({ id, method, params }));
  return new Promise((res, rej) => pending.set(id, { res, rej }));
}
async function evaluate(expr) {
  const r = await send('Runtime.evaluate', { expression: expr, awaitPromise: true, returnByValue: true });
  if (r.exceptionDetails) throw new Error(`${expr}: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
  return r.result.value;
}
async function waitFor(expr, ms = 8000) {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    if (await evaluate(`!!(${expr})`)) return;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${expr}`);
}
async function shot(name) {
  await sleep(450); // chart animation
  const r = await send('Page.captureScreenshot', { format: 'png' });
  const file = `${outDir}/${name}.png`;
  writeFileSync(file, Buffer.from(r.data, 'base64'));
  console.log(`  saved ${file}`);
}
async function open(u, { dark = false, width = 1400, height = 1000 } = {}) {
  await send('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: false });
  await send('Emulation.setEmulatedMedia', { features: [{ name: 'prefers-color-scheme', value: dark ? 'dark' : 'light' }] });
  await send('Page.navigate', { url: u });
  await waitFor(`document.readyState === 'complete'`);
}
const click = (sel) => evaluate(`(() => { const el = ${sel}; if (!el) throw new Error('no element'); el.click(); return true; })()`);
const text = (sel) => evaluate(`(${sel})?.textContent ?? null`);

await send('Page.enable');
await send('Runtime.enable');
await send('Log.enable');

const base = url.replace(/\/?$/, '/');
const scenarios = {
  async light() {
    await open(base);
    await waitFor(`document.querySelector('.packet-table tbody tr')`);
    await waitFor(`document.querySelector('.protocols canvas')`);
    await shot('01-all-light');
  },
  async dark() {
    await open(base, { dark: true });
    await waitFor(`document.querySelector('.packet-table tbody tr')`);
    await waitFor(`document.querySelector('.protocols canvas')`);
    if ((await evaluate(`document.documentElement.dataset.theme`)) !== 'dark') throw new Error('theme not dark');
    await shot('02-all-dark');
  },
  async select() {
    await open(base);
    await waitFor(`document.querySelector('.capture-table tbody tr')`);
    await click(`document.querySelectorAll('.capture-table tbody tr')[0]`);
    await waitFor(`location.search.includes('capture=1') && !document.querySelector('.packet-scroll.is-stale') && document.querySelector('.packet-table:not(.time-absolute) tbody tr')`);
    const t = await text(`document.querySelector('.packet-table tbody tr td:nth-child(2)')`);
    if (t !== '0.000000') throw new Error(`first relative time ${t}`);
    // hostile summary (row 7 of capture 1) must be text
    const info = await text(`document.querySelector('.packet-table tbody tr:nth-child(7) td.info')`);
    if (info !== '<img src=x onerror=alert(1)>') throw new Error(`row 7 info ${info}`);
    if (await evaluate(`document.querySelector('.packet-table img, .packet-table script')`)) throw new Error('markup was interpreted');
    await shot('03-capture1-light');
    await click(`document.querySelector('.pager .btn:nth-last-of-type(1)')`);
    await waitFor(`document.querySelector('.pager-page').textContent.startsWith('Page 2')`);
    await waitFor(`!document.querySelector('.packet-scroll.is-stale')`);
    const f = await text(`document.querySelector('.packet-table tbody tr td:nth-child(1)')`);
    if (f !== '101') throw new Error(`page 2 starts at frame ${f}`);
    await click(`[...document.querySelectorAll('.pager .btn')].find((b) => b.textContent.includes('Previous'))`);
    await waitFor(`document.querySelector('.pager-page').textContent.startsWith('Page 1')`);
  },
  async protocol() {
    await open(`${base}?capture=1`);
    await waitFor(`document.querySelector('.protocol-table tbody tr')`);
    await click(`[...document.querySelectorAll('.protocol-table tbody tr')].find((r) => r.textContent.startsWith('DNS'))`);
    await waitFor(`location.search.includes('protocol=DNS') && !document.querySelector('.packet-scroll.is-stale')`);
    await waitFor(`[...document.querySelectorAll('.packet-table tbody tr td:nth-child(5)')].every((td) => td.textContent === 'DNS')`);
    // a row selected with the keyboard
    await evaluate(`document.querySelector('.packet-scroll').focus()`);
    await send('Input.dispatchKeyEvent', { type: 'keyDown', key: 'ArrowDown', code: 'ArrowDown', windowsVirtualKeyCode: 40 });
    await send('Input.dispatchKeyEvent', { type: 'keyDown', key: 'ArrowDown', code: 'ArrowDown', windowsVirtualKeyCode: 40 });
    await waitFor(`document.querySelector('.packet-table tr.is-selected')`);
    await shot('04-dns-filter-light');
  },
  async filterNone() {
    await open(`${base}?ip=203.0.113.99`);
    await waitFor(`document.querySelector('.state-empty')`);
    await shot('05-filter-empty');
  },
  async hostile() {
    await open(`${base}?capture=5`, { dark: true });
    await waitFor(`document.querySelector('.packet-table tbody tr') && document.querySelector('.protocols canvas')`);
    await shot('06-hostile-dark');
  },
  async badPort() {
    await open(base);
    await waitFor(`document.querySelector('.filter-bar')`);
    // React's value tracker: set through the native setter, then dispatch input.
    await evaluate(`(() => { const i = document.querySelectorAll('.filter-bar input')[2];
      Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set.call(i, '99999');
      i.dispatchEvent(new Event('input', { bubbles: true })); })()`);
    await waitFor(`document.querySelector('.filter-bar input.is-invalid')`);
  },
  // Self-test of this harness: a CSP violation must be noticed (only where the server sends the policy).
  async cspProbe() {
    await open(base);
    await waitFor(`document.querySelector('.app')`);
    const csp = await evaluate(`fetch(location.href).then((r) => r.headers.get('content-security-policy'))`);
    if (!csp) { console.log('  (no Content-Security-Policy header here: skipped)'); return; }
    await evaluate(`(() => { const s = document.createElement('script'); s.textContent = 'window.__inline = 1'; document.body.append(s); })()`);
    await sleep(300);
    if (await evaluate('window.__inline === 1')) throw new Error('an inline script ran: CSP not enforced');
    if (!problems.some((p) => /Content Security Policy/i.test(p))) throw new Error(`violation not reported: ${problems.join('; ')}`);
    problems.length = 0;
  },
  async narrow() {
    await open(`${base}?capture=2`, { width: 900, height: 900 });
    await waitFor(`document.querySelector('.packet-table tbody tr')`);
    await shot('07-narrow');
  },
};

let failed = false;
for (const [name, fn] of Object.entries(scenarios)) {
  if (only && name !== only) continue;
  problems.length = 0;
  try {
    await fn();
    await sleep(200);
  } catch (e) {
    failed = true;
    console.log(`✗ ${name}: ${e.message}`);
    await shot(`fail-${name}`).catch(() => {});
    continue;
  }
  if (problems.length) {
    failed = true;
    console.log(`✗ ${name}:\n    ${problems.join('\n    ')}`);
  } else console.log(`✓ ${name}`);
}

// Extra scenario driven by the caller: a URL whose /api is down or empty, e.g. CHECK_EXTRA=name=url
for (const extra of (process.env.CHECK_EXTRA ?? '').split(',').filter(Boolean)) {
  const name = extra.slice(0, extra.indexOf('='));
  const u = extra.slice(extra.indexOf('=') + 1);
  problems.length = 0;
  allowNetworkErrors = true;
  await open(u, { dark: name.includes('dark') });
  await sleep(1500);
  await shot(name);
  const other = problems.filter((p) => !/Failed to load resource/.test(p));
  if (other.length) { failed = true; console.log(`✗ ${name}:\n    ${other.join('\n    ')}`); } else console.log(`✓ ${name}`);
}

ws.close();
browser.kill();
process.exit(failed ? 1 : 0);
