/**
 * The query API under hostile input: SQL injection through every parameter (nothing of it reaches the SQL text;
 * the tables are intact; answers are 400 or no more than the honest answer), huge and deeply nested filters,
 * catastrophic regular expressions, huge limits and intervals — each a 4xx with a message or a bounded answer —
 * and the statement timeout turned into 503 with a message.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { backendTest } from '../store/backends.js';
import { PCAPS, rows } from '../store/util.js';
import { analyzerOn, spyDb, filtersBuilt } from './helpers.js';
import { withTimeout, QueryTimeout } from '../../src/analyzer/run.js';

const FILE = join(PCAPS, 'pcpp-one_http_stream_rst.pcap');
const MARK = 'zq9mark';
const enc = encodeURIComponent;

backendTest('query API safety: injection, huge input, regex, limits, timeout', { timeout: 120_000 }, async (t, env) => {
  const raw = await env.open();
  const { db, sql } = spyDb(raw);
  const { app, ids, get } = await analyzerOn(db, [FILE]);
  const count = async () => Number((await rows<{ n: string }>(raw, 'SELECT count(*) AS n FROM packets'))[0].n);
  try {
    const before = await count();
    const flowId = Number((await rows<{ id: string }>(raw, 'SELECT id FROM flows LIMIT 1'))[0].id);
    const packetId = Number((await rows<{ id: string }>(raw, 'SELECT id FROM packets LIMIT 1'))[0].id);
    sql.length = 0;
    const inj = [`'; DROP TABLE packets; --${MARK}`, `1 OR 1=1 ${MARK}`, `") OR ("1"="1 ${MARK}`, `$1${MARK}`, `\\'${MARK}`];
    const routes = ['/packets', '/filter', '/count', '/protocol_summary', '/flows', '/export.pcapng', '/stats/hierarchy', '/stats/conversations?type=ip',
      '/stats/endpoints?type=tcp', '/stats/io?interval=1', '/stats/dns', '/stats/http', '/stats/tls', '/stats/anomalies'];
    const join_ = (r: string, qs: string) => r + (r.includes('?') ? '&' : '?') + qs;
    for (const r of routes) {
      for (const x of inj) {
        for (const name of ['capture', 'from', 'to', 'after', 'limit', 'sort', 'order', 'type', 'interval']) {
          const res = await get(join_(r, `${name}=${enc(x)}`));
          assert.equal(res.status, 400, `${r} ${name}=${x}: ${res.status}`);
          assert.equal(typeof res.body.error, 'string');
        }
        // a filter with the payload in a string: a value (parameter) or a 400, never SQL text
        const q = await get(join_(r, `q=${enc(`http.host == "${x}"`)}`));
        assert.ok(q.status === 200 || q.status === 400, `${r} q: ${q.status}`);
        if (q.status === 400) assert.equal(typeof q.body.error, 'string');
      }
    }
    // the original filter parameters take any text as a value: no rows, not all rows
    for (const x of inj) {
      const r = await get(`/filter?protocol=${enc(x)}`);
      assert.equal(r.status, 200);
      assert.deepEqual(r.body.packets, []);
      assert.equal((await get(`/filter?ip=${enc(x)}`)).status, 400);
      assert.equal((await get(`/filter?port=${enc(x)}`)).status, 400);
    }
    for (const x of inj) {
      assert.equal((await get(`/packets/${enc(x)}`)).status, 400);
      assert.ok([400, 404].includes((await get(`/flows/${enc(x)}`)).status));
      assert.ok([400, 404].includes((await get(`/flows/${enc(x)}/stream`)).status));
      assert.equal((await get(`/filter/check?q=${enc(x)}`)).status, 400);
    }
    assert.ok(sql.length > 0, 'queries ran');
    assert.deepEqual(sql.filter((s) => s.includes(MARK)), [], 'no request text in SQL');
    assert.equal(await count(), before, 'packets intact');
    assert.equal((await get(`/packets/${packetId}`)).status, 200);
    assert.equal((await get(`/flows/${flowId}`)).status, 200);

    // huge and deeply nested filters, catastrophic regular expressions: 400 with a message or a bounded answer
    const huge = 'tcp or '.repeat(700) + 'tcp';
    const deep = '('.repeat(2000) + 'tcp' + ')'.repeat(2000);
    const deep2 = 'not '.repeat(1000) + 'tcp';
    for (const q of [huge, deep, deep2, 'x'.repeat(5000)]) {
      const r = await app.inject({ method: 'GET', url: `/count?q=${enc(q)}` });
      assert.equal(r.statusCode, 400, `filter of ${q.length} chars: ${r.statusCode}`);
      assert.ok(JSON.parse(r.body).error);
    }
    for (const q of ['http.host matches "(a+)+$"', 'http.user_agent matches "(.*a){25}"', 'http.host matches "(x+x+)+y"', 'http.host matches "(["']) {
      const t0 = Date.now();
      const r = await get(`/count?q=${enc(q)}`);
      assert.ok([200, 400, 503].includes(r.status), `${q}: ${r.status}`);
      if (r.status !== 200) assert.equal(typeof r.body.error, 'string');
      assert.ok(Date.now() - t0 < 15_000, `${q} took ${Date.now() - t0} ms`);
    }
    if (!filtersBuilt) t.diagnostic('display filters not built on this branch: filters are refused before SQL');

    // huge limits and intervals
    for (const u of ['/packets?limit=1001', '/packets?limit=99999999999999999999', '/flows?limit=5000', '/stats/conversations?type=ip&limit=100000',
      '/stats/dns?limit=1000000', '/stats/io?interval=0', '/stats/io?interval=-1', '/stats/io?interval=1e-9', '/packets?limit=-1', '/packets?after=1:99999999999999999999']) {
      const r = await get(u);
      assert.equal(r.status, 400, `${u}: ${r.status}`);
      assert.equal(typeof r.body.error, 'string');
    }
    // many buckets are refused, not sent: the capture spans 0.1 s, so 1 ms buckets are at most 10 here (bounded)
    const io = await get(`/stats/io?interval=0.001&capture=${ids[0]}`);
    assert.equal(io.status, 200);
    assert.ok(io.body.buckets.length <= 10);

    // the statement timeout: cancelled and reported
    if (env.kind === 'postgres') {
      await assert.rejects(withTimeout(raw, (tx) => tx.query('SELECT pg_sleep(5)'), 200), (e) => e instanceof QueryTimeout && e.status === 503);
      const slow = await analyzerOn(raw, [], { queryTimeoutMs: 1 });
      try {
        // the conversation scan over the stored packets takes more than a millisecond (a cross product makes sure)
        let timedOut = 0;
        for (let i = 0; i < 5; i++) {
          const r = await slow.get(`/stats/conversations?type=tcp&from=0.000000001&to=8000000000${filtersBuilt ? `&q=${enc('tcp.port > 1 and frame.len > 10')}` : ''}`);
          assert.ok([200, 503].includes(r.status), `status ${r.status}`);
          if (r.status === 503) {
            assert.match(r.body.error, /longer than 1 ms/);
            assert.equal(r.body.code, 'PKT_ERR_TIMEOUT');
            timedOut++;
          }
        }
        t.diagnostic(`1 ms statement timeout: ${timedOut} of 5 requests cancelled`);
        assert.ok(timedOut >= 1, 'a 1 ms statement timeout cancels a scan');
      } finally {
        await slow.app.close();
      }
    }
  } finally {
    await app.close();
  }
});
