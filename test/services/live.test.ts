/**
 * Live capture on loopback through the pipeline: `pktlens capture -i lo -f …` (tcpdump) → Parser → Persistor →
 * PostgreSQL, while the test sends 2,000 numbered UDP datagrams and a few HTTP requests to its own local server.
 * Every packet sent is stored when the tool reports no drops.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:http';
import pg from 'pg';
import { freshServerDatabase } from '../store/backends.js';
import { Stack, freePort, metric, waitFor } from './stack.js';
import { requireCaptureTool, requireServer } from './server.js';

const DATAGRAMS = 2000;
const REQUESTS = 5;

test('live capture on lo: every datagram and HTTP request sent is stored', { timeout: 120_000 }, async (t) => {
  if (!(await requireServer(t))) return;
  if (!requireCaptureTool(t)) return;
  const db = await freshServerDatabase();
  const stack = new Stack(db.url);
  const udpPort = await freePort(), httpPort = await freePort(), cport = await freePort();
  const http = createServer((req, res) => res.end(`hello ${req.url}`));
  await new Promise<void>((r) => http.listen(httpPort, '127.0.0.1', r));
  const sock = createSocket('udp4');
  const client = new pg.Client(db.url);
  try {
    await stack.start(['persistor', 'parser']);
    const cap = stack.capture(['-i', 'lo', '-f', `udp dst port ${udpPort} or tcp port ${httpPort}`, '--name', 'live-lo', '--metrics-port', String(cport)]);
    await waitFor('the capture running', async () => /capturing on lo/.test(cap.out), 30_000);
    for (let i = 0; i < DATAGRAMS; i++) {
      await new Promise<void>((r, j) => sock.send(`pktlens-seq-${String(i).padStart(6, '0')}`, udpPort, '127.0.0.1', (e) => (e ? j(e) : r())));
      if (i % 50 === 49) await new Promise((r) => setTimeout(r, 5));
    }
    for (let i = 0; i < REQUESTS; i++) assert.match(await (await fetch(`http://127.0.0.1:${httpPort}/req${i}`)).text(), /hello/);
    // the counters show the traffic while the capture runs
    await waitFor('the traffic received', async () => (await metric(`http://127.0.0.1:${cport}`, 'pktlens_packets_received_total', 'service="capture"')) >= DATAGRAMS, 30_000);
    cap.child!.kill('SIGINT');
    assert.equal(await cap.exited, 0, cap.out);
    const m = /(\d[\d,]*) packets captured, ([\d,]+) stored as capture #(\d+).*dropped ([\d,]+) \(pipeline behind\), ([\d,]+) \(kernel\)/.exec(cap.out);
    assert.ok(m, cap.out);
    const num = (s: string) => Number(s.replace(/,/g, ''));
    const [captured, stored, dropped, kernel] = [num(m[1]), num(m[2]), num(m[4]), num(m[5])];
    assert.equal(stored, captured, 'everything captured was stored');
    await client.connect();
    const r = await client.query<{ n: string; d: string; http: string; tcp: string; state: string; report: { kernelDropped: number } }>(
      `SELECT count(*) FILTER (WHERE ip_proto = 17 AND dst_port = $1) AS n,
              count(DISTINCT convert_from(substring(data from 43 for 18), 'UTF8')) FILTER (WHERE ip_proto = 17 AND dst_port = $1) AS d,
              count(*) FILTER (WHERE http_method = 'GET') AS http, count(*) FILTER (WHERE ip_proto = 6) AS tcp,
              (SELECT state FROM captures) AS state, (SELECT report FROM captures) AS report
       FROM packets`,
      [udpPort],
    );
    const x = r.rows[0];
    assert.equal(x.state, 'complete');
    assert.equal(x.report.kernelDropped, kernel);
    if (kernel === 0 && dropped === 0) {
      assert.equal(Number(x.n), DATAGRAMS, 'every datagram sent is stored');
      assert.equal(Number(x.d), DATAGRAMS, 'each numbered datagram once');
      assert.equal(Number(x.http), REQUESTS, 'every HTTP request is stored and decoded');
      assert.ok(Number(x.tcp) >= REQUESTS * 2 + 3, `the HTTP connection (handshake, requests, responses) is stored: ${x.tcp} TCP packets`);
    } else {
      assert.ok(Number(x.n) + kernel + dropped >= DATAGRAMS, `stored ${x.n} + dropped ${kernel + dropped} < sent ${DATAGRAMS}`);
    }
  } finally {
    sock.close();
    http.close();
    await client.end().catch(() => {});
    await stack.stop();
    await db.drop();
  }
});
