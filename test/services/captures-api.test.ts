/**
 * Capture management on the Analyzer (one process: persistor, parser, analyzer): uploads streamed into the store with
 * progress on /events and tshark's packet counts at the end (plain, gzip, truncated), garbage refused, the size
 * limit, deletion (shared and whole day partitions), 409 while importing, a live capture on lo started and stopped
 * through the API with its counters, and /events clients that disconnect, read too slowly or meet a shutdown.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createReadStream, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Manager } from '../../src/services/manager.js';
import { EventHub } from '../../src/services/events.js';
import { makeApp } from '../../src/services/http.js';
import { serviceLogger } from '../../src/services/log.js';
import { serviceMetrics } from '../../src/services/metrics.js';
import { PgDb } from '../../src/store/db.js';
import { freshServerDatabase } from '../store/backends.js';
import { PCAPS, tsharkFrameCounts } from '../store/util.js';
import { requireCaptureTool, requireServer } from './server.js';
import { Stack, freePort, waitFor } from './stack.js';
import { ROLLUP_TABLES } from '../../src/store/store.js';
import { assertAllCapturesAddUp } from '../store/util.js';

interface Ev { event: string; data: Record<string, unknown> }

/** A server-sent events client on fetch: collects every event until closed. */
class Sse {
  events: Ev[] = [];
  keepAlives = 0;
  ended = false;
  private ac = new AbortController();
  private constructor() {}

  static async open(url: string): Promise<Sse> {
    const s = new Sse();
    const r = await fetch(url, { signal: s.ac.signal });
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /^text\/event-stream/);
    const reader = r.body!.getReader();
    const dec = new TextDecoder();
    let buf = '';
    void (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += dec.decode(value, { stream: true });
          let i: number;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            if (/^: keep-alive$/m.test(block)) s.keepAlives++;
            const ev = /^event: (.*)$/m.exec(block)?.[1];
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (ev && data) s.events.push({ event: ev, data: JSON.parse(data) as Record<string, unknown> });
          }
        }
      } catch {
        /* aborted */
      }
      s.ended = true;
    })();
    return s;
  }

  of(event: string, capture: number): Record<string, unknown>[] {
    return this.events.filter((e) => e.event === event && (e.data.capture ?? e.data.id) === capture).map((e) => e.data);
  }

  close(): void {
    this.ac.abort();
  }
}

const upload = (base: string, file: string, name: string) =>
  fetch(`${base}/captures?name=${encodeURIComponent(name)}`, {
    method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: createReadStream(file), duplex: 'half',
  } as unknown as RequestInit);

async function until(sse: Sse, id: number, state: string): Promise<Record<string, unknown>> {
  return waitFor(`capture ${id} ${state}`, async () => sse.of('capture', id).find((e) => e.state === state), 60_000, 50);
}

test('uploads, events, deletion and a live capture on lo through the Analyzer [postgres]', { timeout: 150_000 }, async (t) => {
  if (!(await requireServer(t))) return;
  const counts = tsharkFrameCounts();
  const db = await freshServerDatabase();
  const dir = mkdtempSync(join(tmpdir(), 'pktlens-apicap-'));
  const m = new Manager({ targets: ['persistor', 'parser', 'analyzer'], databaseUrl: db.url, logDir: join(dir, 'logs'), ports: { persistor: 0, parser: 0, analyzer: 0 } });
  const q = new PgDb(db.url, { application: 'pktlens test' });
  const count = async (id: number) => Number((await q.query<{ n: string }>('SELECT count(*) AS n FROM packets WHERE capture_id = $1', [id])).rows[0].n);
  let sse: Sse | null = null;
  try {
    await m.start();
    const base = m.url('analyzer')!;
    sse = await Sse.open(`${base}/events`);

    // a plain pcap, gzip, and a truncated one: each ends with tshark's packet count
    const files = ['pcpp-example.pcap', 'zeek-tls-fragmented-handshake.pcap.gz', 'suri-http-mime-truncated.pcap'];
    const ids: number[] = [];
    for (const f of files) {
      const r = await upload(base, PCAPS + f, f);
      assert.equal(r.status, 202, f);
      const { id } = (await r.json()) as { id: number };
      assert.ok(Number.isInteger(id) && id > 0);
      ids.push(id);
    }
    for (const [i, f] of files.entries()) {
      const want = counts.get(f)!;
      assert.ok(want > 0, `tshark's count of ${f}`);
      const done = await until(sse, ids[i], 'complete');
      assert.equal(done.packets, want, `${f}: the capture event's packets`);
      const prog: Record<string, unknown>[] = sse.of('progress', ids[i]);
      assert.ok(prog.length >= 1, `${f}: progress events`);
      const last: Record<string, unknown> = prog[prog.length - 1];
      assert.equal(last.state, 'complete');
      assert.equal(last.packets, want, `${f}: the last progress event's packets`);
      assert.equal(last.bytes, readFileSync(PCAPS + f).length, `${f}: every byte of the upload read`);
      assert.equal(await count(ids[i]), want, `${f}: packets stored`);
    }
    // the big one is read in several chunks: progress while importing, packets growing
    const big = sse.of('progress', ids[0]);
    assert.ok(big.length >= 2 && big[0].state === 'importing' && (big[0].packets as number) < counts.get(files[0])!, JSON.stringify(big));
    const list = (await (await fetch(`${base}/captures`)).json()) as { id: number; name: string; state: string; packets: number; report: Record<string, unknown> }[];
    const byId = new Map(list.map((c) => [c.id, c]));
    assert.equal(byId.get(ids[1])!.report.gzip, true);
    assert.equal(byId.get(ids[0])!.report.damage, null);
    assert.match(String((byId.get(ids[2])!.report.damage as { message: string }).message), /cut short/, 'the truncated capture says where it stopped');

    // not a capture: 400 with the reader's reason, nothing created
    const bad = await fetch(`${base}/captures`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: '{"not": "a capture"}' });
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { error: string }).error, /not a capture file: found JSON text/);
    const empty = await fetch(`${base}/captures`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: new Uint8Array(0) });
    assert.equal(empty.status, 400);
    assert.equal(((await (await fetch(`${base}/captures`)).json()) as unknown[]).length, files.length);

    // the same file twice shares its day partitions: deleting one leaves the other whole; deleting the last empties them
    const again = await upload(base, PCAPS + files[0], 'again');
    const id2 = ((await again.json()) as { id: number }).id;
    await until(sse, id2, 'complete');
    assert.equal((await fetch(`${base}/captures/${ids[0]}`, { method: 'DELETE' })).status, 204);
    assert.equal(await count(ids[0]), 0);
    assert.equal(await count(id2), counts.get(files[0]), 'the other capture in the same partitions keeps its packets');
    assert.deepEqual(sse.of('capture', ids[0]).at(-1), { id: ids[0], state: 'deleted', packets: 0, bytes: 0 });
    assert.equal((await fetch(`${base}/captures/${id2}`, { method: 'DELETE' })).status, 204);
    // the all-captures tables lost exactly the deleted captures' part
    await assertAllCapturesAddUp(q);
    for (const t of ['packets', ...ROLLUP_TABLES]) {
      const n = (await q.query<{ n: string }>(`SELECT count(*) AS n FROM ${t} WHERE capture_id = ANY($1)`, [[ids[0], id2]])).rows[0].n;
      assert.equal(Number(n), 0, `${t} of the deleted captures`);
    }
    const left = ((await (await fetch(`${base}/captures`)).json()) as { id: number }[]).map((c) => c.id);
    assert.ok(!left.includes(ids[0]) && !left.includes(id2) && left.includes(ids[1]));
    assert.equal(await count(ids[1]), counts.get(files[1]), 'other captures untouched');
    const gone = await fetch(`${base}/captures/${ids[0]}`, { method: 'DELETE' });
    assert.equal(gone.status, 404);

    // an import in progress cannot be deleted: the body is held after its first 100 KB
    const body = new PassThrough();
    const whole = readFileSync(PCAPS + files[0]);
    body.write(whole.subarray(0, 100_000));
    const held = fetch(`${base}/captures?name=held`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body, duplex: 'half' } as unknown as RequestInit);
    const heldRes = await held;
    assert.equal(heldRes.status, 202, 'the answer comes once the capture exists, before the body is all sent');
    const heldId = await waitFor('the held capture', async () => sse!.events.find((e) => e.event === 'capture' && e.data.state === 'importing' && !ids.includes(e.data.id as number) && e.data.id !== id2)?.data.id as number);
    const busy = await fetch(`${base}/captures/${heldId}`, { method: 'DELETE' });
    assert.equal(busy.status, 409);
    assert.match(((await busy.json()) as { error: string }).error, /being imported/);
    body.end(whole.subarray(100_000));
    assert.deepEqual(await heldRes.json(), { id: heldId });
    await until(sse, heldId, 'complete');
    assert.equal(await count(heldId), counts.get(files[0]));

    // a client that gives up mid-upload: what came is kept, the capture is failed with the reason
    const cutBody = new PassThrough();
    cutBody.write(whole.subarray(0, 300_000));
    const cutAc = new AbortController();
    const cut = await fetch(`${base}/captures?name=cut`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: cutBody, duplex: 'half', signal: cutAc.signal } as unknown as RequestInit);
    assert.equal(cut.status, 202);
    const cutId = await waitFor('the cut capture', async () => sse!.events.find((e) => e.event === 'capture' && e.data.state === 'importing' && (e.data.id as number) > heldId)?.data.id as number);
    cutAc.abort();
    const cutEnd = await until(sse, cutId, 'failed');
    const cutRow = (await q.query<{ report: { error: string } }>('SELECT report FROM captures WHERE id = $1', [cutId])).rows[0];
    assert.match(cutRow.report.error, /cut off after 300000 bytes/);
    assert.equal(await count(cutId), cutEnd.packets, 'the whole packets received are stored');
    assert.ok((cutEnd.packets as number) > 0 && (cutEnd.packets as number) < counts.get(files[0])!);

    // live capture on lo through the API
    if (spawnSync('sh', ['-c', 'command -v tcpdump || command -v dumpcap']).status !== 0) {
      if (process.env.CI === 'true') throw new Error('tcpdump (or dumpcap) is not installed');
      t.diagnostic('no tcpdump or dumpcap: live part skipped');
      return;
    }
    const ifaces = (await (await fetch(`${base}/interfaces`)).json()) as { name: string; loopback: boolean; up: boolean }[];
    assert.ok(ifaces.some((i) => i.name === 'lo' && i.loopback && i.up), JSON.stringify(ifaces));
    const noIf = await fetch(`${base}/captures/live`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ interface: 'nosuch0' }) });
    assert.equal(noIf.status, 400);
    const before = ((await (await fetch(`${base}/captures`)).json()) as unknown[]).length;
    const badBpf = await fetch(`${base}/captures/live`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ interface: 'lo', filter: 'udp port and' }) });
    assert.equal(badBpf.status, 400);
    assert.match(((await badBpf.json()) as { error: string }).error, /filter/);
    assert.equal(((await (await fetch(`${base}/captures`)).json()) as unknown[]).length, before, 'a capture that did not start leaves no row');

    const port = await freePort();
    const t0 = Date.now();
    const lr = await fetch(`${base}/captures/live`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ interface: 'lo', filter: `udp dst port ${port}` }) });
    assert.equal(lr.status, 201);
    const liveId = ((await lr.json()) as { id: number }).id;
    const mine = await Sse.open(`${base}/events?capture=${liveId}`);
    try {
      await waitFor('counters within 2 s', async () => mine.of('counters', liveId).length > 0, 2000, 20);
      t.diagnostic(`first counters event ${Date.now() - t0} ms after the start request`);
      const N = 300;
      const sock = createSocket('udp4');
      for (let i = 0; i < N; i++) {
        await new Promise<void>((r, j) => sock.send(`pktlens-live-${i}`, port, '127.0.0.1', (e) => (e ? j(e) : r())));
        if (i % 50 === 49) await new Promise((r) => setTimeout(r, 5));
      }
      sock.close();
      const c = await waitFor('the datagrams counted', async () => mine.of('counters', liveId).find((x) => (x.packets as number) >= N), 10_000, 50);
      assert.ok((c.bytes as number) > 0 && typeof c.pps === 'number' && c.drops === 0, JSON.stringify(c));
      assert.ok(mine.events.every((e) => (e.data.capture ?? e.data.id) === liveId), 'the filtered stream has only its capture');
      const busyLive = await fetch(`${base}/captures/${liveId}`, { method: 'DELETE' });
      assert.equal(busyLive.status, 409);
      assert.equal((await fetch(`${base}/captures/live/${liveId}`, { method: 'DELETE' })).status, 204);
      const row = (await q.query<{ state: string; packets: string }>('SELECT state, packets FROM captures WHERE id = $1', [liveId])).rows[0];
      assert.equal(row.state, 'complete');
      assert.equal(await count(liveId), N, 'every datagram stored');
      assert.equal(Number(row.packets), N);
      await waitFor('the capture event', async () => mine.of('capture', liveId).find((e) => e.state === 'complete'), 5000);
      const n = mine.of('counters', liveId).length;
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(mine.of('counters', liveId).length, n, 'no counters once stopped');
      assert.equal((await fetch(`${base}/captures/live/${liveId}`, { method: 'DELETE' })).status, 404);
    } finally {
      mine.close();
    }
    // a client that disconnects is forgotten
    await waitFor('one events client left', async () => m.captures!.events.size === 1, 5000);
  } finally {
    // shutdown ends the open event stream (the server would otherwise wait for it)
    const s0 = Date.now();
    await m.stop();
    assert.ok(Date.now() - s0 < 10_000, 'stopped promptly');
    if (sse) await waitFor('the stream ended by the shutdown', async () => sse!.ended, 5000).finally(() => sse!.close());
    await q.close();
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('upload size limit: 413 when the length is known, failed capture when it is not [pglite]', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pktlens-apicap-'));
  const prev = process.env.PKTLENS_UPLOAD_MAX;
  process.env.PKTLENS_UPLOAD_MAX = '1M';
  const m = new Manager({ targets: ['persistor', 'parser', 'analyzer'], dataDir: join(dir, 'data'), logDir: join(dir, 'logs'), ports: { persistor: 0, parser: 0, analyzer: 0 } });
  try {
    await m.start();
    if (prev === undefined) delete process.env.PKTLENS_UPLOAD_MAX;
    else process.env.PKTLENS_UPLOAD_MAX = prev;
    const base = m.url('analyzer')!;
    const f = PCAPS + 'pcpp-example.pcap'; // 3.8 MB
    const r = await fetch(`${base}/captures`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: readFileSync(f) });
    assert.equal(r.status, 413);
    assert.match(((await r.json()) as { error: string }).error, /too large.*1048576/);
    assert.deepEqual(await (await fetch(`${base}/captures`)).json(), []);
    // without a length (chunked), the limit is found while reading: the capture is failed with the reason
    const sse = await Sse.open(`${base}/events`);
    const s = await upload(base, f, 'chunked');
    assert.equal(s.status, 202);
    await s.text().catch(() => '');
    const failed = await waitFor('failed', async () => sse.events.find((e) => e.event === 'capture' && e.data.state === 'failed'), 20_000);
    const row = ((await (await fetch(`${base}/captures`)).json()) as { id: number; state: string; report: { error: string } }[])[0];
    assert.equal(row.id, failed.data.id);
    assert.match(row.report.error, /too large/);
    // a small one still fits; deleting it (and the failed one) on the embedded database empties its partitions
    const ok = await upload(base, PCAPS + 'zeek-single-conn.pcap', 'small');
    assert.equal(ok.status, 202);
    const okId = ((await ok.json()) as { id: number }).id;
    await until(sse, okId, 'complete');
    for (const id of [okId, failed.data.id]) assert.equal((await fetch(`${base}/captures/${id}`, { method: 'DELETE' })).status, 204);
    assert.deepEqual(await (await fetch(`${base}/captures`)).json(), []);
    const db = await m.database();
    assert.equal(Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM packets')).rows[0].n), 0);
    sse.close();
  } finally {
    await m.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('events hub: a client that does not read is dropped past its buffer bound; keep-alive comments', { timeout: 30_000 }, async () => {
  const log = serviceLogger('analyzer', { dir: null, terminal: false });
  const hub = new EventHub({ maxBuffered: 64 * 1024, keepAliveMs: 100, log });
  const app = makeApp({ service: 'analyzer', log, metrics: serviceMetrics('analyzer') });
  app.get('/events', async (req, reply) => {
    hub.serve(req, reply, null);
    return reply;
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as { port: number }).port;
  try {
    // a reader: gets keep-alive comments
    const reader = await Sse.open(`http://127.0.0.1:${port}/events`);
    await waitFor('keep-alive comments', async () => reader.keepAlives >= 2, 5000, 20);
    // a client that sends its request and never reads
    const stalled = connect(port, '127.0.0.1');
    await new Promise<void>((r) => stalled.once('connect', () => r()));
    stalled.write('GET /events HTTP/1.1\r\nhost: x\r\n\r\n');
    stalled.pause();
    await waitFor('two clients', async () => hub.size === 2, 5000, 20);
    const big = 'x'.repeat(60_000);
    for (let i = 0; i < 400 && hub.dropped === 0; i++) {
      hub.publish('capture', { id: 1, state: big, packets: i, bytes: 0 });
      await new Promise((r) => setTimeout(r, 2)); // time for the reader to read
    }
    assert.equal(hub.dropped, 1, 'the stalled client was dropped');
    await waitFor('the reader kept', async () => hub.size === 1, 5000, 20);
    await waitFor('the reader got the events', async () => reader.events.length > 10, 10_000, 20);
    stalled.destroy();
    reader.close();
    await waitFor('no clients', async () => hub.size === 0, 5000, 20);
  } finally {
    hub.close();
    await app.close();
  }
});

test('five processes: an upload through the UI; a live capture started on the Analyzer is sent to the Parser over HTTP [postgres]', { timeout: 120_000 }, async (t) => {
  if (!(await requireServer(t))) return;
  if (!requireCaptureTool(t)) return;
  const db = await freshServerDatabase();
  const stack = new Stack(db.url);
  const q = new PgDb(db.url, { application: 'pktlens test' });
  try {
    await stack.start(['persistor', 'parser', 'analyzer', 'ui']);
    const base = stack.url('analyzer');
    // an upload through the UI's /api (forwarded as it streams), its events too
    const viaUi = await Sse.open(`${stack.url('ui')}/api/events`);
    const f = 'zeek-single-conn.pcap';
    const up = await upload(`${stack.url('ui')}/api`, PCAPS + f, f);
    assert.equal(up.status, 202);
    const upId = ((await up.json()) as { id: number }).id;
    assert.equal((await until(viaUi, upId, 'complete')).packets, tsharkFrameCounts().get(f));
    viaUi.close();
    const port = await freePort();
    // started and stopped through the UI's /api (JSON and empty bodies forwarded)
    const api = `${stack.url('ui')}/api`;
    const lr = await fetch(`${api}/captures/live`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ interface: 'lo', filter: `udp dst port ${port}`, snaplen: 128 }) });
    assert.equal(lr.status, 201, await lr.clone().text());
    const id = ((await lr.json()) as { id: number }).id;
    const sse = await Sse.open(`${base}/events?capture=${id}`);
    const N = 200;
    const sock = createSocket('udp4');
    for (let i = 0; i < N; i++) await new Promise<void>((r, j) => sock.send(`five-${i}`, port, '127.0.0.1', (e) => (e ? j(e) : r())));
    sock.close();
    await waitFor('the datagrams counted', async () => sse.of('counters', id).find((x) => (x.packets as number) >= N), 10_000, 50);
    assert.equal((await fetch(`${api}/captures/live/${id}`, { method: 'DELETE' })).status, 204);
    assert.equal((await fetch(`${api}/captures/${upId}`, { method: 'DELETE' })).status, 204);
    const r = (await q.query<{ n: string; caplen: number }>('SELECT count(*) AS n, max(caplen) AS caplen FROM packets WHERE capture_id = $1', [id])).rows[0];
    assert.equal(Number(r.n), N, 'every datagram stored through the Parser and the Persistor');
    assert.ok(r.caplen <= 128, 'snaplen applied');
    // the Analyzer stops promptly with an event stream open
    const analyzer = stack.procs.get('analyzer')!;
    const s0 = Date.now();
    assert.equal(await analyzer.kill('SIGTERM'), 0, analyzer.out);
    assert.ok(Date.now() - s0 < 10_000, 'stopped promptly');
    await waitFor('the stream ended', async () => sse.ended, 5000);
  } finally {
    await stack.stop();
    await q.close();
    await db.drop();
  }
});
