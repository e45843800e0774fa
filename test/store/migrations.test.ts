/** Migrations: applied once, safe to run twice, and from several processes at once (advisory lock). */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { backendTest } from './backends.js';
import { join } from 'node:path';
import { rows, assertRollupsAddUp, ROOT, PCAPS } from './util.js';
import { Store } from '../../src/store/store.js';
import { ingestFile } from '../../src/ingest/ingest.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { migrate, PgliteDb } from '../../src/store/db.js';
import type { Db } from '../../src/store/db.js';

const DB_MODULE = pathToFileURL(fileURLToPath(new URL('../../src/store/db.js', import.meta.url))).href;
const VERSIONS = MIGRATIONS.map((m) => m.version).sort((a, b) => a - b);
const TABLES = ['captures', 'packets', 'flows', 'rollup_protocol', 'rollup_endpoint', 'rollup_port', 'rollup_hierarchy', 'rollup_value',
  'rollup_value_total', 'rollup_endpoint_total', 'rollup_second', 'rollup_conv', 'ingest_batches', 'anomalies'];

async function migrationRows(db: Db): Promise<{ version: number; n: number }[]> {
  return (await rows<{ version: number; n: string }>(db, 'SELECT version, count(*) AS n FROM schema_migrations GROUP BY version ORDER BY version')).map(
    (r) => ({ version: Number(r.version), n: Number(r.n) }),
  );
}

async function assertSchema(db: Db): Promise<void> {
  assert.deepEqual(await migrationRows(db), VERSIONS.map((version) => ({ version, n: 1 })), 'one schema_migrations row per version');
  const have = new Set((await rows<{ t: string }>(db, `SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public'`)).map((r) => r.t));
  for (const t of TABLES) assert.ok(have.has(t), `table ${t} exists`);
  const parted = await rows(db, `SELECT 1 FROM pg_partitioned_table pt JOIN pg_class c ON c.oid = pt.partrelid WHERE c.relname = 'packets'`);
  assert.equal(parted.length, 1, 'packets is a partitioned table');
}

backendTest('migrations apply every version once and a second run applies nothing', { timeout: 60_000 }, async (_t, env) => {
    const db = await env.openRaw();
    assert.deepEqual(await migrate(db), VERSIONS, 'a fresh database gets every migration');
    await assertSchema(db);
    assert.deepEqual(await migrate(db), [], 'second run in the same connection applies nothing');
    await db.close();
    // a new connection / a reopened data folder: the schema is there and nothing is applied again
    const again = await env.openRaw();
    assert.deepEqual(await migrate(again), [], 'after reopening, nothing is applied');
    await assertSchema(again);
    // the tables are usable after the second run (no half-applied migration)
    await again.query(`INSERT INTO captures (name, source, state) VALUES ('m', 'm', 'complete')`);
    assert.equal((await rows(again, 'SELECT * FROM captures')).length, 1);
});

backendTest('three processes opening a fresh server database at once apply each migration exactly once', { timeout: 60_000, backends: ['postgres'] }, async (t, env) => {
  // each child loads the module first, then waits for a common instant, so that their openDb() calls race
  const start = Date.now() + 1500;
  const code = `
    const { openDb } = await import(process.env.DB_MODULE);
    const wait = Number(process.env.START) - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const db = await openDb({ url: process.env.URL, application: 'pktlens migration race' });
    const r = await db.query('SELECT count(*)::int AS n FROM schema_migrations');
    await db.close();
    process.stdout.write(JSON.stringify({ ok: true, rows: r.rows[0].n }));`;
  const child = () =>
    new Promise<{ code: number | null; out: string; err: string }>((resolve, reject) => {
      const p = spawn(process.execPath, ['--input-type=module', '-e', code], {
        env: { ...process.env, DB_MODULE, START: String(start), URL: env.url! },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '', err = '';
      p.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
      p.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
      p.on('error', reject);
      p.on('close', (c) => resolve({ code: c, out, err }));
    });
  const results = await Promise.all([child(), child(), child()]);
  for (const [i, r] of results.entries()) {
    assert.equal(r.code, 0, `process ${i + 1} failed: ${r.err}`);
    assert.deepEqual(JSON.parse(r.out), { ok: true, rows: VERSIONS.length }, `process ${i + 1} saw the whole schema`);
  }
  const db = await env.openRaw();
  await assertSchema(db);
  assert.deepEqual(await migrate(db), [], 'nothing left to apply');
  t.diagnostic(`3 concurrent openDb(): ${VERSIONS.length} migration(s), one row each`);
});

backendTest('PGlite: migrations twice in sequence on the same data folder, through openDb', { timeout: 60_000, backends: ['pglite'] }, async (_t, env) => {
  const { openDb } = await import('../../src/store/db.js');
  const saved = process.env.DATABASE_URL;
  delete process.env.DATABASE_URL;
  try {
    for (let i = 0; i < 2; i++) {
      const db = await openDb({ dataDir: env.dataDir! });
      try {
        assert.equal(db.kind, 'pglite');
        await assertSchema(db);
      } finally {
        await db.close();
      }
    }
  } finally {
    if (saved !== undefined) process.env.DATABASE_URL = saved;
  }
  const db = await PgliteDb.open(env.dataDir!);
  try {
    assert.deepEqual(await migrate(db), []);
  } finally {
    await db.close();
  }
});

backendTest('migration 5 fills its summary tables from what a version-4 database holds (an upgrade)', { timeout: 120_000 }, async (t, env) => {
  const db = await env.openRaw();
  try {
    await migrate(db);
    const store = new Store(db);
    const ids: number[] = [];
    for (const f of [join(ROOT, 'samples', 'sample.pcap'), join(PCAPS, 'pcpp-one_http_stream_rst.pcap'), join(PCAPS, 'arkime-dns-wiresharkrepo.pcap')]) {
      ids.push((await ingestFile(store, f, {})).captureId);
    }
    // back to version 4: what migration 5 added is gone
    for (const x of ['rollup_second', 'rollup_value_total', 'rollup_endpoint_total', 'rollup_conv', 'rollup_value_all', 'rollup_conv_all', 'rollup_endpoint_port_all']) {
      await db.query(`DROP TABLE ${x}`);
    }
    await db.query('ALTER TABLE captures DROP COLUMN flows');
    await db.query('DELETE FROM schema_migrations WHERE version = 5');
    assert.deepEqual(await migrate(db), [5], 'the upgrade applies version 5 only');
    // every summary table equals what the stored packets, rollups and flows give, as if ingested with version 5
    await assertRollupsAddUp(db, ids);
    t.diagnostic(`${ids.length} captures upgraded`);
  } finally {
    await db.close();
  }
});
