/**
 * Login for remote use, end to end. "Beyond loopback" is tested as a user meets it: `pktlens serve --host 0.0.0.0`
 * is reached both through 127.0.0.1 and through this machine's own non-loopback address (when it has one), and a
 * loopback-bound stack is shown to be unreachable on that address, which is why it needs no login.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { MAX_FAILURES } from '../../src/services/auth.js';
import { Stack } from '../services/stack.js';
import { requireServer } from '../services/server.js';
import { freshServerDatabase } from '../store/backends.js';
import { NOT_YET_SERVED, assertClean, generated, launchBrowser, openPage, screenshot, startStack, waitForSelector } from './browser.js';

const PASSWORD = 'correct horse battery staple';

/** An IPv4 address of this machine that is not loopback, or null. */
function lanAddress(): string | null {
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return null;
}

interface Res { status: number; type: string; body: string; headers: Headers }
async function get(url: string, headers: Record<string, string> = {}, init: RequestInit = {}): Promise<Res> {
  const r = await fetch(url, { redirect: 'manual', ...init, headers: { ...headers, ...(init.headers as Record<string, string> | undefined) } });
  return { status: r.status, type: r.headers.get('content-type') ?? '', body: await r.text(), headers: r.headers };
}
const html = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };
const json = { accept: 'application/json' };

/** Every kind of thing the UI and the Analyzer serve; each must answer 401 without a session. */
async function assertAllLocked(ui: string, analyzer: string, asset: string): Promise<void> {
  for (const path of ['/', '/packets', '/some/client/route?x=1']) {
    const r = await get(ui + path, html);
    assert.equal(r.status, 401, `GET ${ui}${path} (page)`);
    assert.match(r.type, /text\/html/);
    assert.match(r.body, /<form method="post" action="\/login"/, `${path}: the login page`);
    assert.doesNotMatch(r.body, /<script/i, 'the login page has no script');
    const csp = r.headers.get('content-security-policy') ?? '';
    assert.ok(csp, 'the login page has a CSP');
    assert.doesNotMatch(csp, /script-src[^;]*'unsafe-inline'/);
  }
  for (const path of ['/api/captures', '/api/protocol_summary', '/api/packets?limit=5', '/api/filter?protocol=DNS', '/api/packets/1', '/api/count',
    '/api/stats/dns', '/api/stats/hierarchy', '/api/export.pcap', '/api/events', '/api/openapi.json', '/metrics', asset, '/favicon.svg', '/index.html', '/nope']) {
    const r = await get(ui + path, json);
    assert.equal(r.status, 401, `GET ${ui}${path}`);
    assert.match(r.type, /application\/json/, `${path}: a JSON 401`);
    assert.doesNotMatch(r.body, /"packets"|"protocol"|gen-/, `${path}: no data in the 401`);
  }
  const post = await get(ui + '/api/captures', json, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
  assert.equal(post.status, 401, 'POST /api/captures');
  for (const path of ['/captures', '/protocol_summary', '/packets', '/metrics']) {
    for (const h of [json, html]) assert.equal((await get(analyzer + path, h)).status, 401, `Analyzer GET ${path}`);
  }
  for (const base of [ui, analyzer]) {
    assert.equal((await get(base + '/healthz')).status, 200, `${base}/healthz stays open`);
    assert.equal((await get(base + '/readyz')).status, 200, `${base}/readyz stays open`);
  }
}

test('login beyond loopback: 401 everywhere without a session, browser login, logout, rate limit; none on 127.0.0.1', { timeout: 240_000 }, async (t) => {
  const browser = await launchBrowser(t);
  if (!browser) return;
  const capture = await generated({ packets: 200, seed: 5 });
  const stack = await startStack(t, { captures: [capture], host: '0.0.0.0', serveArgs: ['--password', PASSWORD] }).catch(async (e) => {
    await browser.close();
    throw e;
  });
  if (!stack) return void (await browser.close());
  try {
    assert.match(stack.proc.out, /listening on 0\.0\.0\.0: login required \(the password given at start\)/);
    assert.ok(!stack.proc.out.includes(PASSWORD), 'a given password is not printed');
    const lan = lanAddress();
    // the app's script (named in the page, read with the password), to show that assets are locked too
    const index = await get(`${stack.url}/`, { ...html, authorization: `Bearer ${PASSWORD}` });
    assert.equal(index.status, 200);
    const asset = /<script[^>]+src="(\/[^"]+\.js)"/.exec(index.body)?.[1];
    assert.ok(asset, index.body);

    const bases = [['127.0.0.1', stack.url, stack.analyzerUrl]];
    if (lan) bases.push([lan, `http://${lan}:${stack.ports.ui}`, `http://${lan}:${stack.ports.analyzer}`]);
    else t.diagnostic('no non-loopback IPv4 address on this machine: tested through 127.0.0.1 only');
    for (const [, ui, analyzer] of bases) await assertAllLocked(ui!, analyzer!, asset);

    // API clients: the password as a bearer token, on the UI's /api and on the Analyzer itself
    const bearer = { ...json, authorization: `Bearer ${PASSWORD}` };
    for (const [, ui, analyzer] of bases) {
      const a = await get(`${ui}/api/protocol_summary`, bearer);
      assert.equal(a.status, 200, a.body);
      assert.equal((JSON.parse(a.body) as { packets: number }[]).reduce((s, r) => s + r.packets, 0), 200);
      assert.equal((await get(`${analyzer}/captures`, bearer)).status, 200);
      assert.match((await get(`${analyzer}/metrics`, bearer)).body, /process_cpu/);
    }
    let failures = 0; // wrong passwords sent from 127.0.0.1 so far
    const wrongBearer = await get(`${stack.url}/api/captures`, { ...json, authorization: 'Bearer nope' });
    assert.equal(wrongBearer.status, 401);
    failures++;
    // JSON login: 204, an HttpOnly SameSite=Strict cookie for this port only
    const jl = await get(`${stack.url}/login`, json, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ password: PASSWORD }) });
    assert.equal(jl.status, 204);
    const setCookie = jl.headers.get('set-cookie') ?? '';
    assert.match(setCookie, new RegExp(`^pktlens_session_${stack.ports.ui}=[\\w-]{40,};`));
    assert.match(setCookie, /HttpOnly/i);
    assert.match(setCookie, /SameSite=Strict/i);
    assert.match(setCookie, /Path=\//);
    const cookie = setCookie.split(';')[0]!;
    assert.equal((await get(`${stack.url}/api/captures`, { ...json, cookie })).status, 200);
    assert.equal((await get(`${stack.url}/metrics`, { cookie })).status, 200);
    // the cookie of one port is not sent as another port's: the Analyzer's port asks for its own login
    assert.equal((await get(`${stack.analyzerUrl}/captures`, { ...json, cookie })).status, 401);
    // a forged or logged-out session is refused
    assert.equal((await get(`${stack.url}/api/captures`, { ...json, cookie: `pktlens_session_${stack.ports.ui}=${'A'.repeat(43)}` })).status, 401);
    assert.equal((await get(`${stack.url}/logout`, json, { method: 'POST', headers: { cookie } })).status, 204);
    assert.equal((await get(`${stack.url}/api/captures`, { ...json, cookie })).status, 401, 'the session ended at logout');

    // the browser: the login page, a wrong password, the right one, the dashboard with its data
    const p = await openPage(browser, null);
    const first = await p.page.goto(`${stack.url}/`);
    assert.equal(first?.status(), 401);
    await waitForSelector(p.page, 'form[data-testid=login-form] input[type=password]');
    await screenshot(p.page, 'login', 'light');
    await p.page.fill('input[type=password]', 'wrong');
    const [wrong] = await Promise.all([p.page.waitForNavigation(), p.page.click('button[type=submit]')]);
    failures++;
    assert.equal(wrong?.status(), 401);
    assert.match(await p.page.innerText('[role=alert]'), /Wrong password/);
    await p.page.fill('input[type=password]', PASSWORD);
    await Promise.all([p.page.waitForURL(`${stack.url}/`), p.page.click('button[type=submit]')]);
    await waitForSelector(p.page, '[data-testid=total-packets][data-value="200"]', 20_000); // the Overview, with the data
    await screenshot(p.page, 'after-login', 'light');
    const cookies = await p.context.cookies(stack.url);
    const c = cookies.find((x) => x.name === `pktlens_session_${stack.ports.ui}`);
    assert.ok(c, 'the session cookie is set');
    assert.equal(c.httpOnly, true);
    assert.equal(c.sameSite, 'Strict');
    assert.equal(await p.page.evaluate(() => document.cookie), '', 'scripts cannot read the session');
    assert.equal(await p.page.evaluate(async () => (await fetch('/api/captures')).status), 200);
    // the first navigation's 401 is a console error of chromium's own; everything after it must be clean
    // the 401s of the login page and of the wrong password are expected; nothing else may go wrong
    assertClean(p, { allow: [/status of 401 \(Unauthorized\) \(http:\/\/127\.0\.0\.1:\d+\/(login)?\)$/, ...NOT_YET_SERVED] });
    // logging out in the page locks it again
    assert.equal(await p.page.evaluate(async () => (await fetch('/logout', { method: 'POST' })).status), 204);
    assert.equal(await p.page.evaluate(async () => (await fetch('/api/captures')).status), 401);
    await p.context.close();

    // wrong passwords: MAX_FAILURES per minute per address, then 429 even for the right one
    for (; failures < MAX_FAILURES; failures++) {
      const r = await get(`${stack.url}/login`, json, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ password: `guess${failures}` }) });
      assert.equal(r.status, 401, `wrong password #${failures + 1}`);
    }
    const limited = await get(`${stack.url}/login`, json, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ password: PASSWORD }) });
    assert.equal(limited.status, 429, 'the right password after too many wrong ones');
    const retry = Number(limited.headers.get('retry-after'));
    assert.ok(retry >= 1 && retry <= 60, `Retry-After ${retry}`);
    assert.equal((await get(`${stack.url}/api/captures`, { ...json, authorization: `Bearer ${PASSWORD}` })).status, 429, 'bearer guesses share the limit');
    assert.equal((await get(`${stack.analyzerUrl}/captures`, { ...json, authorization: 'Bearer x' })).status, 429, 'so does the Analyzer');
    const b2 = await openPage(browser, null);
    const lp = await b2.page.goto(`${stack.url}/`);
    assert.equal(lp?.status(), 401);
    await b2.page.fill('input[type=password]', PASSWORD);
    const [r429] = await Promise.all([b2.page.waitForNavigation(), b2.page.click('button[type=submit]')]);
    assert.equal(r429?.status(), 429);
    assert.match(await b2.page.innerText('[role=alert]'), /Too many wrong passwords/);
    await b2.context.close();
    if (lan) {
      // another address has its own count
      const other = await get(`http://${lan}:${stack.ports.ui}/login`, json, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ password: PASSWORD }) });
      assert.equal(other.status, 204, `login from ${lan} is not limited by 127.0.0.1's failures`);
    }
    assert.ok(!readdirSync(join(stack.dir, 'logs')).some((f) => readFileSync(join(stack.dir, 'logs', f), 'utf8').includes(PASSWORD)), 'the password is in no log');
  } finally {
    await browser.close();
    await stack.stop();
  }

  // a generated password: printed once on the terminal, works, is written to no log
  const gen = await startStack(t, { captures: [capture], host: '0.0.0.0', env: { PKTLENS_PASSWORD: '' } });
  assert.ok(gen);
  try {
    const m = /generated password: (\S+)/.exec(gen.proc.out);
    assert.ok(m, gen.proc.out);
    assert.ok(m[1]!.length >= 20);
    assert.equal((await get(`${gen.url}/api/captures`, json)).status, 401);
    assert.equal((await get(`${gen.url}/api/captures`, { ...json, authorization: `Bearer ${m[1]}` })).status, 200);
    assert.ok(!readdirSync(join(gen.dir, 'logs')).some((f) => readFileSync(join(gen.dir, 'logs', f), 'utf8').includes(m[1]!)), 'the generated password is in no log');
  } finally {
    await gen.stop();
  }

  // on loopback: no login, even with a password configured; and not reachable from the network at all
  const local = await startStack(t, { captures: [capture], env: { PKTLENS_PASSWORD: PASSWORD } });
  assert.ok(local);
  try {
    assert.doesNotMatch(local.proc.out, /login required/);
    for (const path of ['/api/captures', '/api/protocol_summary', '/metrics']) assert.equal((await get(local.url + path, json)).status, 200, path);
    assert.equal((await get(local.analyzerUrl + '/captures', json)).status, 200);
    const page = await get(local.url + '/', html);
    assert.equal(page.status, 200);
    assert.doesNotMatch(page.body, /action="\/login"/);
    const lan = lanAddress();
    if (lan) await assert.rejects(fetch(`http://${lan}:${local.ports.ui}/`), 'a loopback-bound UI is not reachable on the LAN address');
  } finally {
    await local.stop();
  }
});

test('five processes beyond loopback: the UI forwards /api to the Analyzer with the shared password', { timeout: 120_000 }, async (t) => {
  if (!(await requireServer(t))) return;
  const db = await freshServerDatabase();
  const stack = new Stack(db.url, { PKTLENS_HOST: '0.0.0.0', PKTLENS_PASSWORD: PASSWORD });
  try {
    await stack.start(['analyzer', 'ui']);
    assert.equal((await get(`${stack.url('analyzer')}/captures`, json)).status, 401);
    assert.equal((await get(`${stack.url('ui')}/api/captures`, json)).status, 401);
    const r = await get(`${stack.url('ui')}/api/captures`, { ...json, authorization: `Bearer ${PASSWORD}` });
    assert.equal(r.status, 200, r.body);
    assert.deepEqual(JSON.parse(r.body), []);
  } finally {
    await stack.stop();
    await db.drop();
  }
});
