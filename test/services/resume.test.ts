/**
 * A replay resuming a capture cuts the batches its stored batches used: the replay's own batch size (larger when a
 * file is replayed at full speed) must not shift batch k onto other frames, or frames would be stored twice.
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
import { PgliteDb, migrate } from '../../src/store/db.js';
import { Store } from '../../src/store/store.js';
import { sha256File } from '../../src/ingest/ingest.js';
import { readCapture } from '../../src/wire/capture.js';
import { Session } from '../../src/dissect/session.js';
import { RECORD_FIELDS, toRecord, type PacketRecord } from '../../src/store/record.js';
import { REPLAY_BATCH_FRAMES } from '../../src/services/config.js';
import { ROOT } from '../store/util.js';

const SAMPLE = join(ROOT, 'samples', 'sample.pcap');

test('a resumed replay keeps the stored batches\' size: every frame once', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pktlens-resume-'));
  const db = await PgliteDb.open('memory://');
  await migrate(db);
  const m = new Manager({ targets: ['persistor', 'parser'], db, logDir: null, ports: { persistor: 0, parser: 0 } });
  try {
    await m.start();
    // an earlier import stored batch 2 of 500-frame batches (frames 1001..1500) and stopped
    const store = new Store(db);
    const claim = await store.claimCapture({ name: 'sample.pcap', source: SAMPLE, sha256: await sha256File(SAMPLE), size: null, force: false });
    const s = new Session();
    s.d.setWanted(RECORD_FIELDS);
    const recs: PacketRecord[] = [];
    await readCapture(SAMPLE, (f) => {
      const r = toRecord(s.dissect(f));
      if (f.num > 1000 && f.num <= 1500) recs.push({ ...r, data: r.data.slice() });
    });
    assert.ok(REPLAY_BATCH_FRAMES > 2000, 'the whole sample would be one replay batch');
    assert.equal(await store.writeBatch({ captureId: claim.capture.id, seq: 2, records: recs, flows: [] }), 'written');
    const r = await replayFile(new HttpParser(m.url('parser')!), SAMPLE, { log: serviceLogger('capture', { dir: null }), metrics: serviceMetrics('capture') });
    assert.equal(r.capture, claim.capture.id, 'the same capture, resumed');
    assert.equal(r.duplicateBatches, 1, 'batch 2 was acknowledged as stored');
    const x = (await db.query<{ n: number; d: number; lo: number; hi: number }>(
      'SELECT count(*)::int AS n, count(DISTINCT frame)::int AS d, min(frame)::int AS lo, max(frame)::int AS hi FROM packets')).rows[0];
    assert.deepEqual([x.n, x.d, x.lo, x.hi], [2000, 2000, 1, 2000], 'every frame once');
    const b = (await db.query<{ seq: number; packets: number }>('SELECT seq::int AS seq, packets FROM ingest_batches ORDER BY seq')).rows;
    assert.deepEqual(b.map((y) => [y.seq, y.packets]), [[0, 500], [1, 500], [2, 500], [3, 500]]);
  } finally {
    await m.stop();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
