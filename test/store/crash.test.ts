/**
 * Crash safety: `pktlens ingest` killed with SIGKILL at random points of a large capture, then run again until it
 * completes, ends with exactly the packets of the capture (count, frames 1..N, bytes, timestamps), the capture
 * complete, the rollups adding up and the flows equal to the decoder's. On the server ≥ 4 kills; on PGlite 2.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { backendTest, type BackendEnv } from './backends.js';
import { walkPcap, runPktlens, startPktlens, sleep, assertRollupsAddUp, storedSummary, rows, one, expectedFlows, flowDiffs, type PcapWalk, type RunResult } from './util.js';
import { BATCH_FRAMES } from '../../src/ingest/ingest.js';
import { Store } from '../../src/store/store.js';
import type { Db } from '../../src/store/db.js';

const rand = (lo: number, hi: number) => lo + Math.random() * (hi - lo);
const randInt = (lo: number, hi: number) => Math.floor(rand(lo, hi + 1));

async function generate(t: TestContext, env: BackendEnv, packets: number, seed: number): Promise<{ file: string; w: PcapWalk }> {
  const file = join(env.tmp, `gen-${packets}-${seed}.pcap`);
  const g = await runPktlens(['generate', '-c', String(packets), '--seed', String(seed), '-w', file], process.env);
  assert.equal(g.code, 0, g.err);
  const w = walkPcap(file);
  assert.equal(w.packets, packets, 'the generator wrote the packets asked for');
  assert.equal(w.end, w.fileSize, 'the generated file is whole');
  t.diagnostic(`generated ${packets} packets, ${(w.fileSize / 1e6).toFixed(1)} MB`);
  return { file, w };
}

/** What a database holds after a kill must be whole batches only, each batch complete, nothing twice. */
async function assertConsistentPartialState(db: Db, B: number, total: number, when: string): Promise<{ batches: number; packets: number; state: string | null }> {
  // killed before the first migration committed: nothing at all (the next run migrates from scratch)
  if (!(await rows(db, `SELECT 1 FROM pg_tables WHERE tablename = 'captures'`)).length) {
    assert.equal((await rows(db, `SELECT 1 FROM pg_tables WHERE schemaname = 'public'`)).length, 0, `${when}: tables without the first migration`);
    return { batches: 0, packets: 0, state: null };
  }
  const caps = await rows<{ id: string; state: string; packets: string }>(db, 'SELECT id, state, packets FROM captures ORDER BY id');
  assert.ok(caps.length <= 1, `${when}: one capture at most (a resumed import reuses it), found ${caps.length}`);
  if (caps.length === 0) {
    assert.equal(Number((await one<{ n: string }>(db, 'SELECT count(*) AS n FROM packets')).n), 0, `${when}: packets without a capture`);
    return { batches: 0, packets: 0, state: null };
  }
  const id = Number(caps[0].id);
  const s = await one<Record<string, string | null>>(
    db,
    `SELECT (SELECT count(*) FROM packets WHERE capture_id = $1) AS n, (SELECT count(DISTINCT frame) FROM packets WHERE capture_id = $1) AS d,
            (SELECT count(*) FROM ingest_batches WHERE capture_id = $1) AS batches, (SELECT coalesce(sum(packets), 0) FROM ingest_batches WHERE capture_id = $1) AS bp`,
    [id],
  );
  const n = Number(s.n);
  assert.equal(Number(s.d), n, `${when}: a frame stored twice`);
  assert.equal(Number(caps[0].packets), n, `${when}: captures.packets = stored packets`);
  assert.equal(Number(s.bp), n, `${when}: packets = sum of the recorded batches`);
  // every recorded batch is a fixed run of B frames and all of its frames are there; no frame outside a batch
  const bad = await rows(
    db,
    `SELECT b.seq, b.first_frame, b.last_frame, b.packets, count(p.frame) AS stored FROM ingest_batches b
       LEFT JOIN packets p ON p.capture_id = b.capture_id AND p.frame BETWEEN b.first_frame AND b.last_frame
     WHERE b.capture_id = $1 GROUP BY 1, 2, 3, 4
     HAVING count(p.frame) <> b.packets OR b.first_frame <> b.seq * $2 + 1 OR b.last_frame <> least((b.seq + 1) * $2, $3) OR b.packets <> b.last_frame - b.first_frame + 1`,
    [id, B, total],
  );
  assert.deepEqual(bad, [], `${when}: incomplete or misplaced batches`);
  await assertRollupsAddUp(db, [id]);
  return { batches: Number(s.batches), packets: n, state: caps[0].state };
}

async function assertExactCapture(t: TestContext, db: Db, file: string, w: PcapWalk, B: number): Promise<void> {
  const caps = await new Store(db).captures();
  assert.equal(caps.length, 1, 'one capture');
  const c = caps[0];
  assert.equal(c.state, 'complete');
  assert.equal(c.packets, w.packets, 'captures.packets = N');
  assert.equal(c.bytes, w.lenSum, 'captures.bytes = sum of original lengths');
  const s = await storedSummary(db, c.id);
  assert.deepEqual(
    { n: s.n, distinct: s.distinct, min: s.min, max: s.max },
    { n: w.packets, distinct: w.packets, min: 1, max: w.packets },
    'frames 1..N, each once',
  );
  assert.equal(s.dataLenSum, w.caplenSum, 'sum(length(data)) = the records\' captured bytes');
  assert.equal(s.caplenSum, w.caplenSum);
  assert.equal(s.lenSum, w.lenSum);
  assert.equal(s.dataDigest, w.dataDigest, 'md5 over the stored frame bytes = md5 over the file\'s records');
  assert.equal(s.tsDigest, w.tsDigest, 'timestamps (ns) as in the file');
  const batches = await rows<{ seq: string }>(db, 'SELECT seq FROM ingest_batches WHERE capture_id = $1 ORDER BY seq', [c.id]);
  assert.deepEqual(batches.map((b) => Number(b.seq)), Array.from({ length: Math.ceil(w.packets / B) }, (_, i) => i), 'every batch recorded once');
  await assertRollupsAddUp(db, [c.id]);

  // flows: counters, TCP state and application as the decoder ends with them
  const diffs = await flowDiffs(db, c.id, await expectedFlows(file));
  if (diffs.length) t.diagnostic(`flow differences (${diffs.length}): ${diffs.slice(0, 10).join('; ')}`);
  assert.deepEqual(diffs.slice(0, 20), [], `${diffs.length} flow value(s) differ from the decoder's`);
}

/** Poll the stored batch count on the server (null while the tables are not there yet). */
async function storedBatches(db: Db): Promise<number | null> {
  try {
    return Number((await one<{ n: string }>(db, 'SELECT count(*) AS n FROM ingest_batches')).n);
  } catch {
    return null;
  }
}

function killNote(i: number, r: RunResult, st: { batches: number; packets: number; state: string | null }, total: number): string {
  return `run ${i + 1}: ${r.signal ?? `exit ${r.code}`} after ${Math.round(r.ms)} ms, ${st.batches}/${total} batches stored`;
}

backendTest('kill -9 during ingest at random points, then finish: the table equals the capture exactly', { timeout: 150_000, backends: ['postgres'] }, async (t, env) => {
  const { file, w } = await generate(t, env, 150_000, 3);
  const B = BATCH_FRAMES;
  const total = Math.ceil(w.packets / B);
  assert.ok(total >= 8, `enough batches to kill between (${total})`);
  const poll = await env.openRaw(); // no migration: the first child does it, and may be killed doing it
  const notes: string[] = [];
  let midImport = 0;
  // run 1 is killed after a random delay (startup, migrations, hashing, first batches);
  // the others when a random number of batches (between what is stored and the end) has landed, plus a random few ms
  const rounds = 5;
  let stored = 0;
  for (let i = 0; i < rounds; i++) {
    const child = startPktlens(['ingest', file, ...env.cliArgs()], env.cliEnv());
    if (i === 0) {
      await Promise.race([sleep(rand(300, 1000)), child.done]);
    } else {
      const left = rounds - i;
      const target = Math.min(total - 2, stored + randInt(1, Math.max(1, Math.floor((total - 2 - stored) / left))));
      for (;;) {
        if (child.exited()) break;
        const n = await storedBatches(poll);
        if (n !== null && n >= target) break;
        await sleep(10);
      }
      await sleep(rand(0, 40));
    }
    child.kill9();
    const r = await child.done;
    assert.equal(r.signal, 'SIGKILL', `run ${i + 1} was still importing when killed (exit ${r.code}: ${r.err}${r.out})`);
    const st = await assertConsistentPartialState(poll, B, w.packets, `after kill ${i + 1}`);
    if (st.state !== null) assert.equal(st.state, 'importing');
    if (st.batches > 0 && st.batches < total) midImport++;
    notes.push(killNote(i, r, st, total));
  }
  t.diagnostic(notes.join('; '));
  assert.ok(midImport >= 4, `at least 4 kills landed with part of the capture stored (${midImport})`);

  const fin = await runPktlens(['ingest', file, ...env.cliArgs()], env.cliEnv());
  assert.equal(fin.code, 0, fin.err);
  assert.match(fin.out, new RegExp(`stored ${w.packets.toLocaleString('en-US')} packets as capture #\\d+ .*\\(resumed: [\\d,]+ written now\\)`));
  t.diagnostic(`final run: ${Math.round(fin.ms)} ms: ${fin.out.split('\n')[0]}`);
  await assertExactCapture(t, poll, file, w, B);

  const again = await runPktlens(['ingest', file, ...env.cliArgs()], env.cliEnv());
  assert.equal(again.code, 0, again.err);
  assert.match(again.out, /already stored/);
});

/** Packets the child reports committed (`--progress lines`), or -1 before its first line. */
function reportedWritten(stderr: string): number {
  const all = [...stderr.matchAll(/progress packets=\d+ written=(\d+)/g)];
  return all.length ? Number(all[all.length - 1][1]) : -1;
}

backendTest('PGlite: kill -9 twice during ingest, then finish: the data folder survives and the table equals the capture', { timeout: 150_000, backends: ['pglite'] }, async (t, env) => {
  const { file, w } = await generate(t, env, 40_000, 4);
  const B = BATCH_FRAMES;
  const total = Math.ceil(w.packets / B);
  assert.ok(total >= 3, `enough batches to kill between (${total})`);
  // PGlite cannot be read from a second process while the child holds it, so the child tells what it has committed
  // (`--progress lines`): kill 1 lands after a random delay (initdb, migrations, hashing or the import), kill 2 a
  // random few ms after the child reports its first new batch committed, so at least one kill is mid-import
  // whatever the machine's speed
  const notes: string[] = [];
  let kills = 0, midImport = 0, storedPackets = 0;
  for (let attempt = 0; kills < 2 || midImport < 1; attempt++) {
    assert.ok(attempt < 6, `could not kill an import twice mid-way in 6 attempts (${notes.join('; ')})`);
    const child = startPktlens(['ingest', file, '--progress', 'lines', ...env.cliArgs()], env.cliEnv());
    let when: string;
    if (attempt === 0) {
      const delay = rand(300, 3000);
      await Promise.race([sleep(delay), child.done]);
      when = `delay ${Math.round(delay)} ms`;
    } else {
      while (!child.exited() && reportedWritten(child.stderr()) <= 0) await sleep(5);
      const extra = rand(0, 30);
      await sleep(extra);
      when = `${reportedWritten(child.stderr())} packets reported written, +${Math.round(extra)} ms`;
    }
    child.kill9();
    const r = await child.done;
    // the data folder must open after kill -9 (PGlite recovers from its WAL like PostgreSQL)
    let db: Db;
    try {
      db = await env.openRaw();
      await db.query('SELECT 1');
    } catch (e) {
      assert.fail(`PGlite data folder did not survive kill -9 (run ${attempt + 1}, ${when}): ${(e as Error)?.stack ?? e}`);
    }
    let st: { batches: number; packets: number; state: string | null };
    try {
      st = await assertConsistentPartialState(db, B, w.packets, `after kill (${when})`);
      if (r.signal !== 'SIGKILL') {
        // it finished before the kill: start over
        assert.equal(r.code, 0, r.err);
        const store = new Store(db);
        for (const c of await store.captures()) await store.deleteCapture(c.id);
        st = { batches: 0, packets: 0, state: null };
      } else if (attempt > 0) {
        // what the child reported committed before it died is stored: the report never runs ahead of the database
        const reported = Math.max(0, reportedWritten(r.err));
        assert.ok(st.packets >= storedPackets + reported, `${when}: ${st.packets} packets stored, but ${reported} were reported written on top of ${storedPackets}`);
      }
    } finally {
      await db.close();
    }
    notes.push(`${killNote(attempt, r, st, total)} (${when})`);
    if (r.signal === 'SIGKILL') {
      kills++;
      if (st.batches > 0 && st.batches < total) midImport++;
    }
    storedPackets = st.packets;
  }
  t.diagnostic(notes.join('; '));

  const fin = await runPktlens(['ingest', file, ...env.cliArgs()], env.cliEnv());
  assert.equal(fin.code, 0, `the run after kill -9 failed: ${fin.err}`);
  assert.match(fin.out, new RegExp(`stored ${w.packets.toLocaleString('en-US')} packets`));
  const db = await env.openRaw();
  await assertExactCapture(t, db, file, w, B);
});
