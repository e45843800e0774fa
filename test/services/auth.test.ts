/** auth.ts without a network: what counts as loopback, the failure limit and session expiry on a fake clock, the edges of /login. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Login, MAX_FAILURES, SESSION_TTL_MS, WINDOW_MS, isLoopback, loginPage } from '../../src/services/auth.js';
import { makeApp } from '../../src/services/http.js';
import { Manager } from '../../src/services/manager.js';
import { serviceLogger } from '../../src/services/log.js';
import { serviceMetrics } from '../../src/services/metrics.js';

test('isLoopback: 127/8, ::1 and localhost only', () => {
  for (const h of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1']) assert.equal(isLoopback(h), true, h);
  for (const h of ['0.0.0.0', '::', '[::]', '192.0.2.2', '10.0.0.1', 'fd00::2', '::ffff:10.0.0.1', 'example.com', '128.0.0.1']) assert.equal(isLoopback(h), false, h);
});

test('failures: MAX_FAILURES per window per client, then blocked until the oldest leaves the window', async () => {
  let now = 1_000_000;
  const login = new Login({ password: 'pw', now: () => now });
  const app = makeApp({ service: 'auth-test', log: serviceLogger('auth-test', { dir: null }), metrics: serviceMetrics('auth-test'), login });
  app.get('/data', async () => ({ secret: 1 }));
  const post = (password: string, ip = '10.0.0.1') => app.inject({ method: 'POST', url: '/login', remoteAddress: ip, payload: { password } });
  for (let i = 0; i < MAX_FAILURES; i++) {
    assert.equal((await post('bad')).statusCode, 401);
    now += 1000;
  }
  const blocked = await post('pw');
  assert.equal(blocked.statusCode, 429);
  assert.equal(Number(blocked.headers['retry-after']), (WINDOW_MS - MAX_FAILURES * 1000) / 1000);
  assert.equal((await app.inject({ url: '/data', remoteAddress: '10.0.0.1', headers: { authorization: 'Bearer pw' } })).statusCode, 429);
  // another address is not affected; an IPv6 client is counted by its /64
  assert.equal((await post('pw', '10.0.0.2')).statusCode, 204);
  for (let i = 0; i < MAX_FAILURES; i++) assert.equal((await post('bad', `2001:db8:1:2::${i + 1}`)).statusCode, 401);
  assert.equal((await post('pw', '2001:db8:1:2:ffff::9')).statusCode, 429);
  assert.equal((await post('pw', '2001:db8:1:3::1')).statusCode, 204);
  // the first failure leaves the window: one more try is allowed
  now = 1_000_000 + WINDOW_MS + 1;
  const ok = await post('pw');
  assert.equal(ok.statusCode, 204);
  const cookie = String(ok.headers['set-cookie']).split(';')[0]!;
  assert.equal((await app.inject({ url: '/data', headers: { cookie } })).statusCode, 200);
  // sessions expire
  now += SESSION_TTL_MS;
  assert.equal((await app.inject({ url: '/data', headers: { cookie } })).statusCode, 401);
  assert.equal(login.sessionCount, 2, 'the expired session is dropped when seen (10.0.0.2 and the IPv6 client still have theirs)');
  await app.close();
});

test('/login edges: form login redirects only within the site, cross-origin posts are refused, the page escapes', async () => {
  const login = new Login({ password: 'pw' });
  const app = makeApp({ service: 'auth-test2', log: serviceLogger('auth-test2', { dir: null }), metrics: serviceMetrics('auth-test2'), login });
  const form = (body: string, headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url: '/login', headers: { 'content-type': 'application/x-www-form-urlencoded', host: 'pk.example:5000', ...headers }, payload: body });
  const good = await form('password=pw&next=%2Fpackets%3Fq%3D1');
  assert.equal(good.statusCode, 303);
  assert.equal(good.headers.location, '/packets?q=1');
  for (const next of ['//evil.example/', 'https://evil.example/', '/\\evil.example', '/login']) {
    const r = await form(`password=pw&next=${encodeURIComponent(next)}`);
    assert.equal(r.headers.location, '/', `next=${next}`);
  }
  assert.equal((await form('password=pw', { origin: 'https://evil.example' })).statusCode, 403);
  assert.equal((await form('password=pw', { origin: 'http://pk.example:5000' })).statusCode, 303);
  const wrong = await form('password=nope&next=%2F%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E');
  assert.equal(wrong.statusCode, 401);
  assert.doesNotMatch(wrong.body, /<script/);
  assert.match(wrong.body, /value="\/&#34;&#62;&#60;script&#62;alert\(1\)&#60;\/script&#62;"/);
  assert.match(wrong.headers['content-security-policy'] as string, /default-src 'none'/);
  assert.doesNotMatch(loginPage('/', 'x'), /<script|\son\w+=/i);
  // a page request without a session gets the form, an API request JSON
  const page = await app.inject({ url: '/metrics', headers: { accept: 'text/html' } });
  assert.equal(page.statusCode, 401);
  assert.match(page.body, /name="next" value="\/metrics"/);
  const api = await app.inject({ url: '/metrics' });
  assert.equal(api.statusCode, 401);
  assert.equal(JSON.parse(api.body).code, 'PKT_ERR_LOGIN');
  assert.equal((await app.inject({ url: '/healthz' })).statusCode, 200);
  await app.close();
});

test('Login.resolve: the given password, else PKTLENS_PASSWORD, else a generated one', () => {
  assert.equal(Login.resolve('given', { PKTLENS_PASSWORD: 'env' }).password, 'given');
  const fromEnv = Login.resolve(undefined, { PKTLENS_PASSWORD: 'env' });
  assert.equal(fromEnv.password, 'env');
  assert.equal(fromEnv.generated, false);
  const a = Login.resolve(undefined, {}), b = Login.resolve(undefined, { PKTLENS_PASSWORD: '' });
  assert.ok(a.generated && b.generated);
  assert.match(a.password, /^[\w-]{24}$/);
  assert.notEqual(a.password, b.password);
  assert.throws(() => new Login({ password: '' }));
});

test('Manager: a UI on 0.0.0.0 asks for a login unless PKTLENS_LOGIN=off; on 127.0.0.1 it does not', async () => {
  const saved = process.env.PKTLENS_LOGIN;
  try {
    for (const [host, off, want] of [['0.0.0.0', false, 401], ['0.0.0.0', true, 200], ['127.0.0.1', false, 200]] as const) {
      if (off) process.env.PKTLENS_LOGIN = 'off';
      else delete process.env.PKTLENS_LOGIN;
      const m = new Manager({ targets: ['ui'], host, password: 'pw', logDir: null, ports: { ui: 0 } });
      await m.start();
      try {
        const port = new URL(m.url('ui')!).port;
        assert.equal((await fetch(`http://127.0.0.1:${port}/metrics`)).status, want, `${host}${off ? ' PKTLENS_LOGIN=off' : ''}`);
        assert.equal(m.login !== null, want === 401);
      } finally {
        await m.stop();
      }
    }
  } finally {
    if (saved === undefined) delete process.env.PKTLENS_LOGIN;
    else process.env.PKTLENS_LOGIN = saved;
  }
});
