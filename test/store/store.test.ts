/**
 * Store and ingestFile on both back ends: exactly-once batches, re-ingesting a stored file, resuming an interrupted
 * import, retention by day partitions.
 */
import assert from 'node:assert/strict';
import { backendTest, type BackendEnv } from './backends.js';
import { PCAPS, assertRollupsAddUp, storedSummary, rows, one, decodeFile, expectedFlows, flowDiffs } from './util.js';
import { Store, type Batch } from '../../src/store/store.js';
import { ingestFile, sha256File } from '../../src/ingest/ingest.js';
import { toRecord, FlowTracker, type PacketRecord, type FlowUpdate } from '../../src/store/record.js';
import { readCapture } from '../../src/wire/capture.js';
import { Session } from '../../src/dissect/session.js';
import type { Db } from '../../src/store/db.js';

const DAY = 86400;

/** Decode a file into records (frame bytes copied) cut into batches of `size`, each with its flow updates. */
async function batchesOf(path: string, size: number): Promise<{ records: PacketRecord[]; flows: FlowUpdate[] }[]> {
  const s = new Session();
  const ft = new FlowTracker();
  const out: { records: PacketRecord[]; flows: FlowUpdate[] }[] = [];
  let cur: PacketRecord[] = [];
  await readCapture(path, (f) => {
    const d = s.dissect(f);
    const r = toRecord(d);
    ft.note(d);
    cur.push({ ...r, data: r.data.slice(), anomalies: r.anomalies.slice() });
    if (cur.length === size) { out.push({ records: cur, flows: ft.take() }); cur = []; }
  });
  if (cur.length) out.push({ records: cur, flows: ft.take() });
  return out;
}

/** Everything a capture has in the database, as numbers, to compare before/after. */
async function footprint(db: Db): Promise<Record<string, number>> {
  const r = await one<Record<string, string | null>>(
    db,
    `SELECT (SELECT count(*) FROM captures) AS captures, (SELECT count(*) FROM packets) AS packets, (SELECT count(*) FROM ingest_batches) AS batches,
            (SELECT coalesce(sum(packets), 0) FROM captures) AS capture_packets,
            (SELECT count(*) FROM flows) AS flows, (SELECT coalesce(sum(packets_c2s + packets_s2c), 0) FROM flows) AS flow_packets,
            (SELECT coalesce(sum(packets), 0) FROM rollup_protocol) AS rp, (SELECT coalesce(sum(packets_sent), 0) FROM rollup_endpoint) AS re,
            (SELECT coalesce(sum(packets), 0) FROM rollup_port) AS rport, (SELECT count(*) FROM anomalies) AS anomalies`,
  );
  return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Number(v)]));
}

backendTest('a batch written twice is stored once (same capture and seq), also when both arrive at once', { timeout: 60_000 }, async (_t, env) => {
  const db = await env.open();
  const store = new Store(db);
  const batches = await batchesOf(PCAPS + 'zeek-wikipedia.pcap', 50);
  assert.ok(batches.length >= 3, 'the capture gives three batches');
  const id = await store.createCapture({ name: 'dup', source: 'test', state: 'importing' });
  const b = (i: number): Batch => ({ captureId: id, seq: i, ...batches[i] });

  assert.equal(await store.writeBatch(b(0)), 'written');
  const after1 = await footprint(db);
  assert.equal(after1.packets, batches[0].records.length);
  assert.equal(await store.writeBatch(b(0)), 'duplicate', 'the same (capture, seq) again');
  // a second Store (another process, another connection) sees it too
  assert.equal(await new Store(db).writeBatch(b(0)), 'duplicate');
  assert.deepEqual(await footprint(db), after1, 'nothing written by the duplicates (packets, flows, rollups, capture counters)');

  // two writers with the same new batch at the same time: exactly one writes
  const raced = await Promise.all([store.writeBatch(b(1)), new Store(db).writeBatch(b(1))]);
  assert.deepEqual(raced.sort(), ['duplicate', 'written']);
  assert.equal(await store.writeBatch(b(2)), 'written');

  const n = batches[0].records.length + batches[1].records.length + batches[2].records.length;
  const s = await storedSummary(db, id);
  assert.deepEqual([s.n, s.distinct, s.min, s.max], [n, n, 1, n], 'each frame once');
  assert.equal((await store.capture(id))!.packets, n);
  assert.deepEqual((await rows<{ seq: string }>(db, 'SELECT seq FROM ingest_batches WHERE capture_id = $1 ORDER BY seq', [id])).map((r) => Number(r.seq)), [0, 1, 2]);
  await assertRollupsAddUp(db, [id]);
  const fl = await one<{ n: string }>(db, 'SELECT sum(packets_c2s + packets_s2c) AS n FROM flows WHERE capture_id = $1 AND ip_proto IN (6, 17)', [id]);
  const withStream = await one<{ n: string }>(db, 'SELECT count(*) AS n FROM packets WHERE capture_id = $1 AND stream IS NOT NULL', [id]);
  assert.equal(Number(fl.n), Number(withStream.n), 'flow counters not doubled');
});

backendTest('flow state ends as the newest update left it, whatever order the batches commit in', { timeout: 60_000 }, async (_t, env) => {
  const db = await env.open();
  const store = new Store(db);
  const file = PCAPS + 'pcpp-one_http_stream_rst.pcap'; // one HTTP stream: handshake, request, response, RST
  const batches = await batchesOf(file, 3);
  assert.ok(batches.length >= 3);
  const want = await expectedFlows(file);
  assert.deepEqual([...want.values()].map((f) => [f.tcpState, f.app]), [['reset', 'http']], 'the decoder ends the stream reset, as HTTP');
  // newest first: as when concurrent transactions commit out of order, or a resumed import fills a gap
  const id = await store.createCapture({ name: 'reversed', source: 'test', state: 'importing' });
  for (let i = batches.length - 1; i >= 0; i--) assert.equal(await store.writeBatch({ captureId: id, seq: i, ...batches[i] }), 'written');
  assert.deepEqual(await flowDiffs(db, id, want), []);
  // and in order
  const id2 = await store.createCapture({ name: 'in order', source: 'test', state: 'importing' });
  for (let i = 0; i < batches.length; i++) await store.writeBatch({ captureId: id2, seq: i, ...batches[i] });
  assert.deepEqual(await flowDiffs(db, id2, want), []);
});

backendTest('re-ingesting a stored file (same sha256) writes nothing; force stores a second capture', { timeout: 60_000 }, async (_t, env) => {
  const db = await env.open();
  const store = new Store(db);
  const file = PCAPS + 'pcpp-sll.pcap';
  const first = await ingestFile(store, file);
  assert.equal(first.alreadyStored, false);
  assert.ok(first.packets > 100);
  const c = (await store.capture(first.captureId))!;
  assert.equal(c.sha256, await sha256File(file));
  assert.equal(c.state, 'complete');
  const before = await footprint(db);

  const again = await ingestFile(store, file);
  assert.equal(again.alreadyStored, true);
  assert.equal(again.captureId, first.captureId);
  assert.equal(again.packets, first.packets);
  assert.equal(again.written, 0);
  assert.deepEqual(await footprint(db), before, 'nothing written on the second run');

  const forced = await ingestFile(store, file, { force: true, name: 'again' });
  assert.equal(forced.alreadyStored, false);
  assert.notEqual(forced.captureId, first.captureId);
  assert.equal(forced.written, first.packets);
  const caps = await store.captures();
  assert.deepEqual(caps.map((x) => [x.name, x.state, x.packets]), [['pcpp-sll.pcap', 'complete', first.packets], ['again', 'complete', first.packets]]);
  const s1 = await storedSummary(db, first.captureId), s2 = await storedSummary(db, forced.captureId);
  assert.deepEqual({ ...s2 }, { ...s1 }, 'the second capture holds the same packets');
  await assertRollupsAddUp(db, [first.captureId, forced.captureId]);
  // a forced copy is itself recognised: the next plain run says "already stored"
  assert.equal((await ingestFile(store, file)).alreadyStored, true);
});

async function interruptedThenResumed(env: BackendEnv, firstBatch: number, secondBatch: number): Promise<void> {
  const db = await env.open();
  const store = new Store(db);
  const file = PCAPS + 'pcpp-example.pcap';
  const dec = await decodeFile(file);
  const ac = new AbortController();
  let chunks = 0;
  const r1 = await ingestFile(store, file, { batchFrames: firstBatch, signal: ac.signal, onProgress: () => { if (++chunks === 2) ac.abort(); } });
  assert.equal(r1.interrupted, true);
  const c1 = (await store.capture(r1.captureId))!;
  assert.equal(c1.state, 'importing', 'an interrupted import stays importing');
  const part = await storedSummary(db, r1.captureId);
  assert.ok(part.n > 0 && part.n < dec.packets, `part of the file was stored (${part.n} of ${dec.packets})`);
  assert.equal(part.n, part.distinct);
  assert.equal(c1.packets, part.n, 'captures.packets counts what is stored');

  const r2 = await ingestFile(store, file, { batchFrames: secondBatch });
  assert.equal(r2.resumed, true);
  assert.equal(r2.captureId, r1.captureId);
  assert.equal(r2.packets, dec.packets);
  assert.equal(r2.written, dec.packets - part.n, 'only the missing batches were written');
  const s = await storedSummary(db, r1.captureId);
  assert.deepEqual([s.n, s.distinct, s.min, s.max], [dec.packets, dec.packets, 1, dec.packets], 'frames 1..N once each');
  assert.equal(s.dataDigest, dec.dataDigest, 'the stored bytes are the file\'s');
  const c2 = (await store.capture(r1.captureId))!;
  assert.equal(c2.state, 'complete');
  assert.equal(c2.packets, dec.packets);
  assert.equal((await store.captures()).length, 1);
  await assertRollupsAddUp(db, [r1.captureId]);
  const fl = await one<{ f: string; p: string }>(
    db,
    `SELECT (SELECT sum(packets_c2s + packets_s2c) FROM flows WHERE capture_id = $1 AND ip_proto IN (6, 17)) AS f,
            (SELECT count(*) FROM packets WHERE capture_id = $1 AND stream IS NOT NULL) AS p`,
    [r1.captureId],
  );
  assert.equal(Number(fl.f), Number(fl.p), 'flow counters equal the packets with a stream after the resume');
}

backendTest('an interrupted import (abort) is finished by the next run, without duplicates or gaps', { timeout: 60_000 }, async (_t, env) => {
  await interruptedThenResumed(env, 512, 512);
});

backendTest('retention drops the day partitions wholly older than the cutoff, and only those, and the old rollup rows', { timeout: 60_000 }, async (_t, env) => {
  const db = await env.open();
  const store = new Store(db);
  const now = Math.floor(Date.now() / 1000);
  const cutoff = Math.floor((now - 30 * DAY) / DAY); // first day kept
  const base = (await batchesOf(PCAPS + 'zeek-wikipedia.pcap', 1000))[0];
  const recs = base.records;
  assert.ok(recs.length >= 100 && recs.some((r) => r.anomalies.length === 0));
  const at = (r: PacketRecord, sec: number): PacketRecord => ({ ...r, tsSec: sec, tsNsec: 123_000 });
  const half = recs.length >> 1;
  // old: two whole days long before the cutoff; edge: the day before the cutoff and the cutoff day; recent: yesterday
  const old = recs.map((r, i) => at(r, (cutoff - 10 + (i < half ? 0 : 1)) * DAY + 3600 + i));
  const edge = recs.map((r, i) => at(r, cutoff * DAY - half + i)); // i < half: day cutoff-1, else the cutoff day
  const recent = recs.map((r, i) => at(r, (Math.floor(now / DAY) - 1) * DAY + 7200 + i));
  const ids: Record<string, number> = {};
  for (const [name, rs] of Object.entries({ old, edge, recent })) {
    ids[name] = await store.createCapture({ name, source: 'test', state: 'importing' });
    // the flows are not what is tested here: no flow updates
    assert.equal(await store.writeBatch({ captureId: ids[name], seq: 0, records: rs, flows: [] }), 'written');
  }
  const dayName = (day: number) => `packets_p${new Date(day * DAY * 1000).toISOString().slice(0, 10).replace(/-/g, '')}`;
  const partitions = async () =>
    (await rows<{ n: string }>(db, `SELECT c.relname AS n FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
       WHERE p.relname = 'packets' ORDER BY 1`)).map((r) => r.n);
  const allDays = [cutoff - 10, cutoff - 9, cutoff - 1, cutoff, Math.floor(now / DAY) - 1];
  assert.deepEqual(await partitions(), allDays.map(dayName), 'one partition per day written');
  const keptRollups = async () => rows(db, `SELECT 'p' AS t, capture_id, minute, protocol AS k, packets, bytes FROM rollup_protocol WHERE minute >= to_timestamp($1)
      UNION ALL SELECT 'e', capture_id, minute, host(ip), packets_sent + packets_recv, bytes_sent + bytes_recv FROM rollup_endpoint WHERE minute >= to_timestamp($1)
      UNION ALL SELECT 'o', capture_id, minute, ip_proto || '/' || port, packets, bytes FROM rollup_port WHERE minute >= to_timestamp($1)
      ORDER BY 1, 2, 3, 4`, [cutoff * DAY]);
  const keptBefore = await keptRollups();
  const oldRollups = await one<{ n: string }>(db, 'SELECT count(*) AS n FROM rollup_protocol WHERE minute < to_timestamp($1)', [cutoff * DAY]);
  assert.ok(Number(oldRollups.n) > 0 && keptBefore.length > 0);

  const dropped = await store.applyRetention(30, now);
  assert.deepEqual([...dropped].sort(), [cutoff - 10, cutoff - 9, cutoff - 1].map(dayName), 'exactly the partitions before the cutoff day');
  assert.deepEqual(await partitions(), [cutoff, Math.floor(now / DAY) - 1].map(dayName), 'the cutoff day and later are kept');

  const count = async (id: number) => Number((await one<{ n: string }>(db, 'SELECT count(*) AS n FROM packets WHERE capture_id = $1', [id])).n);
  assert.equal(await count(ids.old), 0);
  assert.equal(await count(ids.edge), recs.length - half, 'the edge capture keeps its packets of the cutoff day');
  assert.equal(await count(ids.recent), recs.length);
  const minTs = await one<{ t: string }>(db, 'SELECT extract(epoch FROM min(ts))::float8 AS t FROM packets');
  assert.ok(Number(minTs.t) >= cutoff * DAY, 'no packet before the cutoff is left');
  for (const t of ['rollup_protocol', 'rollup_endpoint', 'rollup_port', 'anomalies']) {
    const col = t === 'anomalies' ? 'ts' : 'minute';
    const left = await one<{ n: string }>(db, `SELECT count(*) AS n FROM ${t} WHERE ${col} < to_timestamp($1)`, [cutoff * DAY]);
    assert.equal(Number(left.n), 0, `${t}: rows before the cutoff are gone`);
  }
  assert.deepEqual(await keptRollups(), keptBefore, 'rollup rows from the cutoff on are untouched');
  await assertRollupsAddUp(db, [ids.old, ids.edge, ids.recent]);
  assert.deepEqual(await store.applyRetention(30, now), [], 'a second run drops nothing');

  // writing an old day again after retention works (the partition is made again)
  const late = await store.writeBatch({ captureId: ids.old, seq: 1, records: old.slice(0, 5).map((r, i) => ({ ...r, frame: 100000 + i })), flows: [] });
  assert.equal(late, 'written');
  assert.equal(await count(ids.old), 5);
});

backendTest('an interrupted import resumed with another batch size (an upgrade in between) still ends exact', { timeout: 60_000 }, async (_t, env) => {
  await interruptedThenResumed(env, 512, 1000);
});
