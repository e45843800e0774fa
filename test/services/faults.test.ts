/**
 * Faults during a five-process replay: the Persistor killed (-9) and started again, the same for the Parser, and
 * the database gone for 5 s (a private PostgreSQL server the test stops and starts). Each ends with exactly the
 * capture's packets stored, no duplicates, and the retries counted on /metrics.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freshServerDatabase } from '../store/backends.js';
import { BIN } from '../store/util.js';
import { Stack, PrivatePg, freePort, metric, waitFor, type Proc } from './stack.js';
import { requireServer } from './server.js';

const N = 120_000;
const tmp = mkdtempSync(join(tmpdir(), 'pktlens-faults-'));
const FILE = join(tmp, 'faults.pcap');
execFileSync(process.execPath, [BIN, 'generate', '-w', FILE, '-c', String(N), '--seed', '17']);
test.after(() => rmSync(tmp, { recursive: true, force: true }));

async function checkExact(url: string): Promise<void> {
  const c = new pg.Client(url);
  await c.connect();
  try {
    const r = await c.query<{ n: string; d: string; lo: string; hi: string; state: string; batches_ok: boolean }>(
      `SELECT count(*) AS n, count(DISTINCT frame) AS d, min(frame) AS lo, max(frame) AS hi,
              (SELECT state FROM captures LIMIT 1) AS state,
              (SELECT sum(packets) FROM ingest_batches) = count(*) AS batches_ok
       FROM packets`,
    );
    const x = r.rows[0];
    assert.equal(Number(x.n), N, `stored ${x.n} packets, the capture has ${N}`);
    assert.equal(Number(x.d), N, 'a frame stored twice');
    assert.equal(`${x.lo}..${x.hi}`, `1..${N}`);
    assert.equal(x.state, 'complete');
    assert.equal(x.batches_ok, true, 'ingest_batches add up to the packets');
    const f = await c.query<{ bad: string }>(
      `SELECT count(*) AS bad FROM (SELECT capture_id, stream, ip_proto FROM packets WHERE stream IS NOT NULL AND ip_proto IN (6, 17)
         GROUP BY 1, 2, 3) p FULL JOIN flows f USING (capture_id, stream, ip_proto) WHERE f.stream IS NULL OR p.stream IS NULL`,
    );
    assert.equal(Number(f.rows[0].bad), 0, 'flows match the streams of the stored packets');
  } finally {
    await c.end();
  }
}

async function replayWithFault(stack: Stack, fault: (capture: Proc, capturePort: number) => Promise<void>): Promise<Proc> {
  const cport = await freePort();
  const cap = stack.capture(['-r', FILE, '--metrics-port', String(cport)]);
  try {
    await waitFor('progress before the fault', async () => (await metric(stack.url('persistor'), 'pktlens_packets_sent_total', 'service="persistor"')) >= 15_000, 60_000, 20);
    await fault(cap, cport);
  } catch (e) {
    await cap.kill('SIGKILL'); // a failed check must not leave a capture retrying for ever
    throw e;
  }
  const code = await Promise.race([cap.exited, new Promise<string>((r) => setTimeout(() => r('timeout'), 120_000).unref())]);
  if (code === 'timeout') await cap.kill('SIGKILL');
  assert.equal(code, 0, `capture exit ${code}: ${cap.out}`);
  return cap;
}

test('Persistor killed -9 mid-replay and restarted: exactly the capture, retries on the Parser\'s /metrics', { timeout: 180_000 }, async (t) => {
  if (!(await requireServer(t))) return;
  const db = await freshServerDatabase();
  const stack = new Stack(db.url);
  try {
    await stack.start(['persistor', 'parser']);
    await replayWithFault(stack, async () => {
      await stack.procs.get('persistor')!.kill('SIGKILL');
      await waitFor('the Parser retrying', async () => (await metric(stack.url('parser'), 'pktlens_retries_total', 'service="parser"')) > 0, 20_000);
      await new Promise((r) => setTimeout(r, 1000));
      await stack.startOne('persistor');
    });
    assert.ok((await metric(stack.url('parser'), 'pktlens_retries_total', 'service="parser"')) > 0);
    await checkExact(db.url);
  } finally {
    await stack.stop();
    await db.drop();
  }
});

test('Parser killed -9 mid-replay and restarted: the Capture replays from the start, nothing stored twice', { timeout: 180_000 }, async (t) => {
  if (!(await requireServer(t))) return;
  const db = await freshServerDatabase();
  const stack = new Stack(db.url);
  try {
    await stack.start(['persistor', 'parser']);
    const cap = await replayWithFault(stack, async (c, cport) => {
      await stack.procs.get('parser')!.kill('SIGKILL');
      await waitFor('the Capture retrying', async () => (await metric(`http://127.0.0.1:${cport}`, 'pktlens_retries_total', 'service="capture"')) > 0, 20_000);
      await new Promise((r) => setTimeout(r, 1000));
      await stack.startOne('parser');
    });
    assert.match(cap.out, /replayed from the start 1 time/, cap.out);
    assert.ok((await metric(stack.url('persistor'), 'pktlens_duplicate_batches_total', 'service="persistor"')) > 0, 'batches stored before the crash came again and were not written twice');
    await checkExact(db.url);
  } finally {
    await stack.stop();
    await db.drop();
  }
});

test('PostgreSQL unavailable for 5 s mid-replay: exactly the capture, retries on /metrics', { timeout: 180_000 }, async (t) => {
  const server = PrivatePg.find();
  if (!server) {
    if (process.env.CI === 'true') throw new Error('PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin)');
    t.skip('no PostgreSQL server binaries');
    return;
  }
  const url = await server.init();
  const stack = new Stack(url);
  try {
    await stack.start(['persistor', 'parser']);
    await replayWithFault(stack, async () => {
      server.stop('immediate');
      const t0 = Date.now();
      await waitFor('the Persistor failing', async () => (await metric(stack.url('persistor'), 'pktlens_errors_total', 'service="persistor"')) > 0, 20_000);
      await waitFor('the Parser retrying', async () => (await metric(stack.url('parser'), 'pktlens_retries_total', 'service="parser"')) > 0, 20_000);
      await new Promise((r) => setTimeout(r, Math.max(0, 5000 - (Date.now() - t0))));
      await server.start();
    });
    await checkExact(url);
  } finally {
    await stack.stop();
    server.destroy();
  }
});
