/**
 * The services' HTTP edges, in one process on the embedded database (PGlite): the in-process bus, the single-frame
 * /parse of the original design, bad and too-big bodies (4xx with a message, nothing stored), the bearer token,
 * health and metrics; then `--target db` serving the embedded database to services in other processes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Manager } from '../../src/services/manager.js';
import { HttpParser } from '../../src/bus/http.js';
import { replayFile } from '../../src/services/capture.js';
import { serviceLogger } from '../../src/services/log.js';
import { serviceMetrics } from '../../src/services/metrics.js';
import { Rejected } from '../../src/bus/messages.js';
import { ROOT } from '../store/util.js';
import { Proc, freePort, ready, waitFor, Stack } from './stack.js';

const SAMPLE = join(ROOT, 'samples', 'sample.pcap');
// one Ethernet/IPv4/UDP/DNS query for example.com
const DNS_FRAME = ((): Buffer => {
  const dns = Buffer.concat([Buffer.from('123401000001000000000000', 'hex'), Buffer.from('076578616d706c6503636f6d00', 'hex'), Buffer.from('00010001', 'hex')]);
  const udp = Buffer.alloc(8);
  udp.writeUInt16BE(54321, 0); udp.writeUInt16BE(53, 2); udp.writeUInt16BE(8 + dns.length, 4);
  const ip = Buffer.from('450000000001000040110000' + '0a000001' + '0a000002', 'hex');
  ip.writeUInt16BE(20 + 8 + dns.length, 2);
  return Buffer.concat([Buffer.from('ffffffffffff0011223344550800', 'hex'), ip, udp, dns]);
})();

test('one process on PGlite: in-process bus, /parse single frame, validation, token, metrics', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pktlens-http-'));
  const token = 's3cret-token';
  const m = new Manager({ targets: ['persistor', 'parser', 'analyzer', 'ui'], dataDir: join(dir, 'data'), logDir: join(dir, 'logs'), token,
    ports: { persistor: 0, parser: 0, analyzer: 0, ui: 0 } });
  await m.start();
  try {
    const parserUrl = m.url('parser')!, persistorUrl = m.url('persistor')!, analyzerUrl = m.url('analyzer')!, uiUrl = m.url('ui')!;
    for (const u of [parserUrl, persistorUrl, analyzerUrl, uiUrl]) {
      assert.equal((await fetch(`${u}/healthz`)).status, 200);
      assert.equal((await fetch(`${u}/readyz`)).status, 200);
    }
    // the original design's shape: one frame in, its dissection out
    const one = await fetch(`${parserUrl}/parse`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ data: DNS_FRAME.toString('base64'), ts: '1700000000.5' }) });
    assert.equal(one.status, 200);
    const dj = (await one.json()) as { protocol: string; info: string; layers: Record<string, Record<string, unknown>> };
    assert.equal(dj.protocol, 'DNS');
    assert.match(dj.info, /example\.com/);
    assert.equal(dj.layers.dns['dns.qry.name'], 'example.com');

    // the token guards /parse and /store
    const noTok = await fetch(`${parserUrl}/parse`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ data: 'AA==' }) });
    assert.equal(noTok.status, 401);
    assert.match(((await noTok.json()) as { error: string }).error, /bearer token/);
    const badTok = await fetch(`${persistorUrl}/store`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer nope' }, body: '{}' });
    assert.equal(badTok.status, 401);

    const post = (u: string, body: string) => fetch(u, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body });
    // wrong bodies: 400 with a message
    for (const [u, body, re] of [
      [`${parserUrl}/parse`, '{"capture": 1, "seq": 0}', /frames|data/],
      [`${parserUrl}/parse`, '{"capture": 1, "seq": -1, "frames": []}', /seq/],
      [`${parserUrl}/parse`, '{"capture": 1, "seq": 0, "frames": [{"n": 1, "data": "!!!"}]}', /base64/],
      [`${parserUrl}/parse`, 'not json', /JSON|json/],
      [`${persistorUrl}/store`, '{"capture": 1, "seq": 0, "packets": [{"frame": 1}], "flows": []}', /required|tsSec/],
      [`${persistorUrl}/captures`, '{"name": "x"}', /source/],
    ] as const) {
      const r = await post(u, body);
      assert.equal(r.status, 400, `${u} ${body} → ${r.status}`);
      assert.match(((await r.json()) as { error: string }).error, re);
    }
    // a batch for a capture the Parser does not know: 409 resync
    const unknown = await post(`${parserUrl}/parse`, JSON.stringify({ capture: 999, seq: 3, frames: [{ n: 1, data: DNS_FRAME.toString('base64') }] }));
    assert.equal(unknown.status, 409);
    assert.equal(((await unknown.json()) as { code: string }).code, 'PKT_ERR_RESYNC');
    // too big: 413 with a message
    const big = await post(`${parserUrl}/parse`, JSON.stringify({ data: 'A'.repeat(70 * 1024 * 1024) }));
    assert.equal(big.status, 413);
    assert.match(((await big.json()) as { error: string }).error, /too large/);
    // the Parser without the token refuses the Capture clearly
    const log = serviceLogger('capture', { dir: null });
    await assert.rejects(replayFile(new HttpParser(parserUrl), SAMPLE, { log, metrics: serviceMetrics('capture') }), (e: unknown) => e instanceof Rejected && e.status === 401);

    // a replay through the in-process Parser → Persistor, then the UI's /api
    const r = await replayFile(new HttpParser(parserUrl, token), SAMPLE, { log, metrics: serviceMetrics('capture') });
    assert.equal(r.packets, 2000);
    const sum = (await (await fetch(`${uiUrl}/api/protocol_summary?capture=${r.capture}`)).json()) as { packets: number }[];
    assert.equal(sum.reduce((a, b) => a + b.packets, 0), 2000);
    const again = await replayFile(new HttpParser(parserUrl, token), SAMPLE, { log, metrics: serviceMetrics('capture') });
    assert.equal(again.alreadyStored, true, 'the same file is not stored twice');
    // bad query parameters
    assert.equal((await fetch(`${analyzerUrl}/packets?limit=5000`)).status, 400);
    assert.equal((await fetch(`${analyzerUrl}/filter?ip=1.2.3.4'--`)).status, 400);
    assert.equal((await fetch(`${analyzerUrl}/packets?after=1;drop`)).status, 400);
    const f = (await (await fetch(`${analyzerUrl}/filter?protocol=dns&limit=1000`)).json()) as { packets: { protocol: string }[] };
    assert.ok(f.packets.length > 0 && f.packets.every((p) => p.protocol === 'DNS'));
    // metrics: the in-process hop counted the batches
    const text = await (await fetch(`${parserUrl}/metrics`)).text();
    assert.match(text, /pktlens_packets_sent_total\{service="parser"\} 2000/);
    assert.match(text, /pktlens_rejected_total\{service="parser"\} [1-9]/);
    assert.match(text, /pktlens_batch_latency_seconds_bucket/);
    assert.match(text, /process_cpu_seconds_total|pktlens_process_cpu/);
    // the UI: the page with its CSP, and a clear 404 for unknown API paths
    const page = await fetch(`${uiUrl}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    assert.match(await page.text(), /<div id="root">|<script type="module"/);
    assert.equal((await fetch(`${uiUrl}/api/nothing-here`)).status, 404);
  } finally {
    await m.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--target db serves the embedded database to services in other processes', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pktlens-dbsrv-'));
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, PKTLENS_DB_PORT: String(port), PKTLENS_LOG_DIR: join(dir, "logs") };
  delete env.DATABASE_URL;
  const dbp = new Proc(['serve', '--target', 'db', '--data', join(dir, 'data')], env).start();
  const url = `postgresql://postgres@127.0.0.1:${port}/postgres`;
  const stack = new Stack(url, { PKTLENS_DB_POOL: '1' });
  try {
    await waitFor('the database server', async () => /db ready/.test(dbp.out), 60_000);
    await stack.start(['persistor', 'parser', 'analyzer']);
    const cap = stack.capture(['-r', SAMPLE]);
    assert.equal(await cap.exited, 0, cap.out);
    const caps = (await (await fetch(`${stack.url('analyzer')}/captures`)).json()) as { packets: number; state: string }[];
    assert.deepEqual(caps.map((c) => [c.packets, c.state]), [[2000, 'complete']]);
    // the rows written without COPY (INSERT from the decoded payload) are the same rows
    const page = (await (await fetch(`${stack.url('analyzer')}/packets?limit=2`)).json()) as { packets: Record<string, unknown>[] };
    assert.deepEqual(
      page.packets.map((p) => [p.frame, p.ts, p.src_ip, p.dst_ip, p.eth_src, p.protocol, p.len]),
      [[1, '1715677606.102836813', '0.0.0.0', '255.255.255.255', '54:e1:ad:d9:25:89', 'DHCP', 344], [2, '1715677606.122505062', '192.168.1.1', '192.168.1.49', '24:5a:4c:cf:d2:18', 'DHCP', 344]],
    );
    await ready(stack.url('analyzer'));
  } finally {
    await stack.stop();
    await dbp.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
});
