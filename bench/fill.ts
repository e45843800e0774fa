// The query benchmarks' database: `pktlens_bench` on the PostgreSQL server, filled through the ingest path with
// generated traffic (src/gen). A generated capture of PER_CAPTURE packets (cached in bench/out/) is ingested as
// ceil(count / PER_CAPTURE) captures (ingest --force: same frames, separate captures). The database is reused when
// a previous fill had the same seed, count, generator version and schema version (bench_fill table); otherwise it
// is dropped and filled again. Exported for the dashboard's benchmark too: `await ensureBenchDb(count)`.

import pg from 'pg';
import { capture, GENERATOR_VERSION } from './common.js';
import { PgDb, openDb } from '../src/store/db.js';
import { MIGRATIONS } from '../src/store/migrations.js';
import { Store } from '../src/store/store.js';
import { ingestFile } from '../src/ingest/ingest.js';

export const BENCH_DB = 'pktlens_bench';
export const BENCH_SEED = 42;
/** Packets per generated capture; larger counts are several captures of this file. */
export const PER_CAPTURE = 1_000_000;

export const ADMIN_URL = process.env.PKTLENS_BENCH_PG ?? process.env.PKTLENS_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

export function benchUrl(): string {
  const u = new URL(ADMIN_URL);
  u.pathname = `/${BENCH_DB}`;
  return u.toString();
}

export interface BenchDb {
  url: string;
  captureIds: number[];
  packets: number;
  /** seconds the fill took (0 when reused) */
  fillSeconds: number;
  reused: boolean;
}

/** The schema's identity: a hash of every migration's SQL (a changed migration refills the database). */
const schemaVersion = (): number => {
  let h = 0;
  for (const ch of MIGRATIONS.map((m) => `${m.version}:${m.sql}`).join('\n')) h = (Math.imul(h, 31) + ch.charCodeAt(0)) | 0;
  return h;
};

/** The marker of a fill with this seed, generator and schema: the complete captures it holds; null when none fits. */
async function filled(url: string): Promise<number[] | null> {
  const c = new pg.Client({ connectionString: url });
  c.on('error', () => {});
  try {
    await c.connect();
  } catch {
    return null; // no database yet
  }
  try {
    const r = await c.query<{ seed: number; gen: number; schema: number }>('SELECT seed, gen, schema FROM bench_fill');
    const m = r.rows[0];
    if (!m || m.seed !== BENCH_SEED || m.gen !== GENERATOR_VERSION || m.schema !== schemaVersion()) return null;
    // captures cut short by an interrupted fill are removed and made again
    const caps = await c.query<{ id: string; state: string }>(`SELECT id, state FROM captures WHERE name LIKE 'bench-%' ORDER BY id`);
    return caps.rows.filter((x) => x.state === 'complete').map((x) => Number(x.id));
  } catch {
    return null;
  } finally {
    await c.end().catch(() => {});
  }
}

/**
 * The benchmark database with at least `count` generated packets, filled through ingest unless already there. A
 * fill is resumable: captures already complete (same seed, generator and schema) are kept, the rest are ingested.
 */
export async function ensureBenchDb(count: number, log: (s: string) => void = (s) => process.stderr.write(s + '\n')): Promise<BenchDb> {
  const url = benchUrl();
  const per = Math.min(count, PER_CAPTURE);
  const want = Math.ceil(count / per);
  let have = await filled(url);
  if (have && have.length >= want) {
    log(`reusing ${BENCH_DB}: ${want} captures of ${per} packets, seed ${BENCH_SEED}`);
    return { url, captureIds: have.slice(0, want), packets: want * per, fillSeconds: 0, reused: true };
  }
  if (!have) {
    const admin = new pg.Client({ connectionString: ADMIN_URL });
    await admin.connect();
    try {
      await admin.query(`DROP DATABASE IF EXISTS ${BENCH_DB} WITH (FORCE)`);
      await admin.query(`CREATE DATABASE ${BENCH_DB}`);
    } finally {
      await admin.end();
    }
    have = [];
  }
  const { file } = await capture(per, BENCH_SEED);
  const db = await openDb({ url, application: 'pktlens bench fill' });
  const store = new Store(db);
  const t0 = performance.now();
  const ids = [...have];
  try {
    await db.query('CREATE TABLE IF NOT EXISTS bench_fill (seed integer, gen integer, schema integer)');
    await db.query('DELETE FROM bench_fill');
    await db.query('INSERT INTO bench_fill VALUES ($1, $2, $3)', [BENCH_SEED, GENERATOR_VERSION, schemaVersion()]);
    for (const c of (await db.query<{ id: string }>(`SELECT id FROM captures WHERE state <> 'complete'`)).rows) await store.deleteCapture(Number(c.id));
    for (let i = ids.length + 1; i <= want; i++) {
      const r = await ingestFile(store, file, { force: true, name: `bench-${i}` });
      ids.push(r.captureId);
      log(`ingested capture ${i} of ${want} (${r.packets} packets, ${Math.round(r.rate)} packets/s)`);
    }
    await db.query('ANALYZE');
  } finally {
    await db.close();
  }
  const fillSeconds = (performance.now() - t0) / 1000;
  return { url, captureIds: ids, packets: want * per, fillSeconds, reused: false };
}

export { PgDb };
