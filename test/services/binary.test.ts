/**
 * The binary bodies of /parse (frames) and /store (packets' COPY payload), next to the JSON forms:
 * - codec: a frames body decodes to the frames encoded; every truncation and garbling is a BadBody (never another
 *   exception);
 * - round trip: the same captures sent Capture → Parser → Persistor once in JSON and once in binary (separate
 *   processes' hops over HTTP, one PostgreSQL server) store the same rows in every table;
 * - garbled, truncated or lying binary bodies: 400 with a message, nothing written (no partial batch).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import pg from 'pg';
import { freshServerDatabase } from '../store/backends.js';
import { PCAPS, ROOT } from '../store/util.js';
import { requireServer } from './server.js';
import { Manager } from '../../src/services/manager.js';
import { PgDb, migrate } from '../../src/store/db.js';
import { HttpParser, HttpPersistor, post } from '../../src/bus/http.js';
import { BadBody, decodeFramesBody, encodeFramesBody, encodePacketsBody, FRAMES_TYPE, PACKETS_TYPE } from '../../src/bus/binary.js';
import { Rejected } from '../../src/bus/messages.js';
import { makeApp } from '../../src/services/http.js';
import { ParserService, parserRoutes } from '../../src/services/parser.js';
import { replayFile } from '../../src/services/capture.js';
import { serviceLogger } from '../../src/services/log.js';
import { serviceMetrics } from '../../src/services/metrics.js';
import { readCapture, type Frame } from '../../src/wire/capture.js';
import { Session } from '../../src/dissect/session.js';
import { FlowTracker, RECORD_FIELDS, toRecord } from '../../src/store/record.js';
import { encodePackets, PACKET_COLUMNS } from '../../src/store/store.js';

const SAMPLE = join(ROOT, 'samples', 'sample.pcap');
const FILES = [SAMPLE, PCAPS + 'ndpi-1kxun.pcap', PCAPS + 'gopacket-test202.pcapng', PCAPS + 'ndpi-fuzz-2021-10-13.pcap', PCAPS + 'pcpp-ip6_fragments.pcap', PCAPS + 'pcpp-many_interfaces-1.pcapng', PCAPS + 'tcpdump-various_gre.pcap'];

async function framesOf(file: string, max = Infinity): Promise<Frame[]> {
  const out: Frame[] = [];
  await readCapture(file, (f) => {
    if (out.length < max) out.push({ ...f, data: f.data.slice() });
  });
  return out;
}

/** Deterministic pseudo-random numbers for the garbling (xorshift). */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    return x / 4294967296;
  };
}

test('frames body: round trip, every truncation and garbling is a BadBody', async () => {
  const frames = await framesOf(PCAPS + 'pcpp-many_interfaces-1.pcapng', 40);
  frames[3] = { ...frames[3], hasTs: false, tsSec: 0, tsNsec: 0 };
  const body = encodeFramesBody({ capture: 7, seq: 2 ** 40, frames });
  const back = decodeFramesBody(body);
  assert.equal(back.capture, 7);
  assert.equal(back.seq, 2 ** 40);
  assert.deepEqual(back.frames.map((f) => ({ ...f, data: Buffer.from(f.data).toString('hex') })), frames.map((f) => ({ ...f, data: Buffer.from(f.data).toString('hex') })));
  assert.ok(new Set(frames.map((f) => f.linktype)).size > 1, 'the file has several link types');
  for (let n = 0; n < body.length; n++) {
    assert.throws(() => decodeFramesBody(body.subarray(0, n)), (e: unknown) => e instanceof BadBody && /frames body/.test(e.message), `prefix ${n}`);
  }
  assert.throws(() => decodeFramesBody(Buffer.concat([body, Buffer.from([0])])), /1 bytes after the last of 40 frames/);
  const r = rng(5);
  for (let i = 0; i < 2000; i++) {
    const g = Buffer.from(body);
    for (let k = 0; k < 1 + Math.floor(r() * 4); k++) g[Math.floor(r() * Math.min(g.length, 400))] = Math.floor(r() * 256);
    try {
      const d = decodeFramesBody(g);
      assert.equal(d.frames.length, 40);
    } catch (e) {
      assert.ok(e instanceof BadBody, `garbled body ${i}: ${(e as Error).stack}`);
    }
  }
  // a frame that claims more bytes than the body holds, a frame 0, an absurd count
  const lie = Buffer.from(body);
  lie.writeUInt32BE(0xffffff, 28 + 20);
  assert.throws(() => decodeFramesBody(lie), /at most 1000000|cut short/);
  const zero = Buffer.from(body);
  zero.writeUInt32BE(0, 28);
  assert.throws(() => decodeFramesBody(zero), /number 0/);
  const many = Buffer.from(body);
  many.writeUInt32BE(4_000_000, 24);
  assert.throws(() => decodeFramesBody(many), /at most 100000/);
  assert.throws(() => decodeFramesBody(Buffer.from('{"capture": 1}')), /wrong magic|shorter/);
});

/** Every row of a capture in every table it has rows in, without ids and write times. */
async function rowsOf(c: pg.Client, capture: number): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const tables: [string, string][] = [
    ['packets', 'frame'], ['flows', 'ip_proto, stream'], ['rollup_protocol', 'minute, protocol'], ['rollup_endpoint', 'minute, ip'],
    ['rollup_port', 'minute, ip_proto, port'], ['rollup_hierarchy', 'minute, protocols'], ['rollup_value', 'minute, kind, value'],
    ['rollup_value_total', 'kind, value'], ['rollup_endpoint_total', 'ip'], ['rollup_second', 'second'], ['rollup_conv', 'lo, hi'], ['anomalies', 'frame, name'], ['ingest_batches', 'seq'],
  ];
  for (const [t, order] of tables) {
    const r = await c.query(`SELECT * FROM ${t} WHERE capture_id = $1 ORDER BY ${order}`, [capture]);
    out[t] = r.rows.map((x: Record<string, unknown>) => {
      const { id, capture_id, written_at, ...rest } = x;
      void id; void capture_id; void written_at;
      return rest;
    });
  }
  const cap = await c.query('SELECT packets, bytes, first_ts, last_ts, link_types, state FROM captures WHERE id = $1', [capture]);
  out.captures = cap.rows;
  return out;
}

test('binary and JSON bodies store the same rows; garbled binary bodies are refused whole', { timeout: 240_000 }, async (t) => {
  if (!(await requireServer(t))) return;
  const dbi = await freshServerDatabase();
  const db = new PgDb(dbi.url);
  await migrate(db);
  const m = new Manager({ targets: ['persistor'], db, logDir: null, ports: { persistor: 0 } });
  const log = serviceLogger('parser', { dir: null });
  const parsers: { close(): Promise<void> }[] = [];
  const client = new pg.Client(dbi.url);
  try {
    await m.start();
    await client.connect();
    const persistorUrl = m.url('persistor')!;
    // two Parsers of their own, one sending JSON to the Persistor, one binary
    const parserAt = async (binary: boolean): Promise<string> => {
      const metrics = serviceMetrics('parser');
      const app = makeApp({ service: 'parser', log, metrics });
      parserRoutes(app, new ParserService(new HttpPersistor(persistorUrl, undefined, binary), log, metrics), { metrics });
      await app.listen({ host: '127.0.0.1', port: 0 });
      parsers.push(app);
      const a = app.server.address();
      return `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
    };
    const jsonParser = await parserAt(false), binParser = await parserAt(true);
    const clog = serviceLogger('capture', { dir: null });
    for (const f of FILES) {
      const json = await replayFile(new HttpParser(jsonParser, undefined, false), f, { name: `json ${f}`, force: true, log: clog, metrics: serviceMetrics('capture') });
      const bin = await replayFile(new HttpParser(binParser, undefined, true), f, { name: `binary ${f}`, force: true, log: clog, metrics: serviceMetrics('capture') });
      assert.ok(json.packets > 0);
      assert.equal(bin.packets, json.packets);
      const [a, b] = [await rowsOf(client, json.capture), await rowsOf(client, bin.capture)];
      assert.equal((a.packets as unknown[]).length, json.packets, `${f}: every packet stored`);
      assert.deepEqual(b, a, `${f}: the binary bodies stored other rows than the JSON bodies`);
    }
    const anomalies = await client.query<{ n: string }>('SELECT count(*) AS n FROM anomalies');
    assert.ok(Number(anomalies.rows[0].n) > 0, 'the files have anomalies (their frames and names travelled too)');
    const v6 = await client.query<{ n: string }>("SELECT count(*) AS n FROM packets WHERE family(src_ip) = 6");
    assert.ok(Number(v6.rows[0].n) > 0, 'IPv6 addresses travelled too');

    // a valid packets body of a fresh capture, then garbled versions of it: 400 with a message, nothing written
    const cap = Number((await client.query<{ id: string }>("INSERT INTO captures (name, source, state) VALUES ('garbled', 'test', 'importing') RETURNING id")).rows[0].id);
    const frames = await framesOf(PCAPS + 'ndpi-1kxun.pcap');
    const s = new Session();
    s.d.setWanted(RECORD_FIELDS);
    const tracker = new FlowTracker();
    const recs = frames.map((f) => {
      const d = s.dissect(f);
      tracker.note(d);
      const r = toRecord(d);
      return { ...r, data: r.data.slice() };
    });
    const anoms: [number, string][] = [];
    for (const r of recs) for (const a of r.anomalies) anoms.push([r.frame, a]);
    assert.ok(anoms.length > 0);
    const meta = { columns: [...PACKET_COLUMNS], anomalies: anoms, flows: tracker.take() };
    const good = encodePacketsBody(cap, 0, meta, encodePackets(cap, recs));
    const stored = async (): Promise<[number, number, number]> => {
      const r = await client.query<{ p: string; b: string; f: string }>(
        'SELECT (SELECT count(*) FROM packets WHERE capture_id = $1) AS p, (SELECT count(*) FROM ingest_batches WHERE capture_id = $1) AS b, (SELECT count(*) FROM flows WHERE capture_id = $1) AS f', [cap]);
      return [Number(r.rows[0].p), Number(r.rows[0].b), Number(r.rows[0].f)];
    };
    const send = async (body: Uint8Array, type = PACKETS_TYPE): Promise<{ status: number; error?: string }> => {
      const r = await fetch(`${persistorUrl}/store`, { method: 'POST', headers: { 'content-type': type }, body: Buffer.from(body) });
      const j = (await r.json()) as { error?: string };
      return { status: r.status, error: j.error };
    };
    const refused = async (body: Uint8Array, re: RegExp, what: string): Promise<void> => {
      const r = await send(body);
      assert.equal(r.status, 400, `${what}: ${r.status} ${r.error}`);
      assert.match(r.error ?? '', re, what);
      assert.deepEqual(await stored(), [0, 0, 0], `${what}: nothing written`);
    };
    const payloadAt = 28 + good.readUInt32BE(24);
    // every truncation of the COPY payload (in steps) and of the header and meta
    // every cut in the header, the meta's start and end, the payload's first rows; 200 more spread over the body
    const cuts = new Set<number>();
    for (let n = 0; n < 64; n++) cuts.add(n);
    for (let n = payloadAt - 16; n < payloadAt + 160; n++) cuts.add(n);
    for (let k = 0; k < 200; k++) cuts.add(Math.floor((k * good.length) / 200));
    for (const n of cuts) await refused(good.subarray(0, n), /packets (body|payload)/, `truncated at ${n} of ${good.length}`);
    const edit = (at: number, f: (b: Buffer) => void): Buffer => {
      const b = Buffer.from(good);
      f(b.subarray(at));
      return b;
    };
    // the first row's fields, located by walking the payload
    const fieldAt = (row: number, col: number): number => {
      let o = payloadAt + 19;
      for (let r = 0; ; r++) {
        o += 2;
        for (let c = 0; c < PACKET_COLUMNS.length; c++) {
          if (r === row && c === col) return o;
          const n = good.readInt32BE(o);
          o += 4 + Math.max(n, 0);
        }
      }
    };
    const col = (name: string) => PACKET_COLUMNS.indexOf(name as (typeof PACKET_COLUMNS)[number]);
    await refused(edit(fieldAt(3, col('capture_id')) + 4, (b) => b.writeUInt32BE(cap + 1, 4)), /capture_id .* capture \d+/, 'a row of another capture');
    await refused(edit(fieldAt(5, col('protocol')), (b) => b.writeInt32BE(-1, 0)), /protocol is NULL/, 'NULL in a NOT NULL column');
    await refused(edit(fieldAt(5, col('summary')) + 4, (b) => { b[0] = 0xff; }), /summary is not UTF-8/, 'invalid UTF-8');
    await refused(edit(fieldAt(5, col('summary')) + 4, (b) => { b[0] = 0; }), /NUL/, 'NUL in text');
    await refused(edit(fieldAt(7, col('len')), (b) => b.writeInt32BE(5, 0)), /len \(integer\) has 5 bytes|runs past|fields/, 'a wrong field length');
    await refused(edit(fieldAt(9, col('ts')) + 4, (b) => b.writeInt32BE(0x7fffffff, 0)), /ts out of range/, 'a timestamp out of range');
    await refused(edit(fieldAt(2, 0) - 2, (b) => b.writeInt16BE(PACKET_COLUMNS.length + 1, 0)), /has \d+ fields/, 'a row with another field count');
    await refused(edit(payloadAt, (b) => { b[0] = 0x51; }), /signature/, 'not a COPY payload');
    await refused(Buffer.concat([good, Buffer.from([1, 2])]), /after the trailer/, 'bytes after the trailer');
    await refused(edit(0, (b) => b.writeUInt32BE(9, 4)), /version 9/, 'another version');
    await refused(encodePacketsBody(cap, 0, { ...meta, columns: [...PACKET_COLUMNS, 'extra'] }, encodePackets(cap, recs)), /columns .* Parser and Persistor versions differ/, 'other columns');
    await refused(encodePacketsBody(cap, 0, { ...meta, anomalies: [[99999, 'x']] }, encodePackets(cap, recs)), /anomalies name frame 99999/, 'an anomaly of a frame not in the batch');
    await refused(encodePacketsBody(cap, 0, { ...meta, flows: [{ ...meta.flows[0], stream: 'x' as unknown as number }] }, encodePackets(cap, recs)), /flows: stream must be an integer/, 'a flow of the wrong shape');
    const badMeta = Buffer.from(good);
    badMeta[28] = 0x5d; // '{' → ']': not JSON any more
    await refused(badMeta, /meta is not JSON/, 'meta not JSON');
    // random garbling: never a 5xx; when accepted, the batch is whole (its packets and its ingest_batches row agree)
    const r = rng(11);
    for (let i = 0; i < 150; i++) {
      const g = Buffer.from(good);
      for (let k = 0; k < 1 + Math.floor(r() * 3); k++) g[payloadAt + Math.floor(r() * (g.length - payloadAt))] = Math.floor(r() * 256);
      g.writeUInt32BE(1000 + i, 20); // seq: each garbled body its own batch
      const res = await send(g);
      assert.ok(res.status === 200 || (res.status === 400 && /packets payload|database refused/.test(res.error ?? '')), `garbled ${i}: ${res.status} ${res.error}`);
    }
    const sums = await client.query<{ a: string; b: string }>('SELECT (SELECT coalesce(sum(packets), 0) FROM ingest_batches WHERE capture_id = $1) AS a, (SELECT count(*) FROM packets WHERE capture_id = $1) AS b', [cap]);
    assert.equal(sums.rows[0].a, sums.rows[0].b, 'every accepted garbled batch was written whole');
    // and the good body is then accepted, once
    assert.equal((await send(good)).status, 200);
    assert.equal((await stored())[0], recs.length + Number(sums.rows[0].b));
    assert.equal((await send(good)).status, 200, 'a repeat is acknowledged');
    assert.equal((await stored())[0], recs.length + Number(sums.rows[0].b), 'and not written twice');
    // a packets body where frames are expected and the other way round; an unknown content type
    const parserApp = parsers[1] as unknown as { server: { address(): { port: number } } };
    const pUrl = `http://127.0.0.1:${parserApp.server.address().port}`;
    const wrong = await fetch(`${pUrl}/parse`, { method: 'POST', headers: { 'content-type': FRAMES_TYPE }, body: good });
    assert.equal(wrong.status, 400);
    assert.match(((await wrong.json()) as { error: string }).error, /wrong magic/);
    const txt = await fetch(`${persistorUrl}/store`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' });
    assert.equal(txt.status, 415);
    // the client: a refused binary body is a Rejected (not retried)
    await assert.rejects(post(`${persistorUrl}/store`, good.subarray(0, 40), PACKETS_TYPE), (e: unknown) => e instanceof Rejected && e.status === 400);
  } finally {
    for (const p of parsers) await p.close();
    await client.end().catch(() => {});
    await m.stop();
    await db.close().catch(() => {});
    await dbi.drop();
  }
});
