/**
 * One database interface, two back ends: a PostgreSQL server (pg + pg-copy-streams) chosen by
 * DATABASE_URL, or the embedded PGlite in a data folder. The same migrations and queries run on both.
 */
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { mkdirSync } from 'node:fs';
import { MIGRATIONS } from './migrations.js';
import { insertFromCopyPayload } from './copy-insert.js';

export interface QueryResult<R> {
  rows: R[];
  rowCount: number;
}

/** A connection (or the one backend of PGlite) on which a transaction runs. */
export interface Tx {
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<R>>;
  /** COPY table (columns) FROM STDIN WITH (FORMAT binary) with one pre-encoded binary COPY payload. */
  copyBinary(table: string, columns: readonly string[], payload: Uint8Array): Promise<void>;
}

export interface Db extends Tx {
  readonly kind: 'postgres' | 'pglite';
  readonly description: string;
  /** Run fn inside BEGIN … COMMIT on one connection; ROLLBACK if it throws. */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

function copySql(table: string, columns: readonly string[]): string {
  return `COPY ${table} (${columns.join(', ')}) FROM STDIN WITH (FORMAT binary)`;
}

class PgTx implements Tx {
  constructor(protected readonly c: pg.PoolClient, private readonly noCopy = false) {}
  async query<R>(sql: string, params: unknown[] = []): Promise<QueryResult<R>> {
    const r = await this.c.query(sql, params);
    return { rows: r.rows as R[], rowCount: r.rowCount ?? 0 };
  }
  async copyBinary(table: string, columns: readonly string[], payload: Uint8Array): Promise<void> {
    if (this.noCopy) return insertFromCopyPayload(this, table, columns, payload);
    const s = this.c.query(copyFrom(copySql(table, columns)));
    await new Promise<void>((resolve, reject) => {
      s.on('error', reject);
      s.on('finish', resolve);
      s.end(payload);
    });
  }
}

export class PgDb implements Db {
  readonly kind = 'postgres' as const;
  readonly pool: pg.Pool;
  readonly description: string;

  constructor(url: string, opts: { max?: number; statementTimeoutMs?: number; application?: string } = {}) {
    this.pool = new pg.Pool({
      connectionString: url,
      max: opts.max ?? 4,
      application_name: opts.application ?? 'pktlens',
      statement_timeout: opts.statementTimeoutMs,
    });
    // an idle client losing its server is reported on the pool; the next query gets a fresh connection
    this.pool.on('error', () => {});
    // a client in use whose server goes away emits 'error' too: without a listener the process would die; the
    // query in flight rejects anyway, and the pool replaces the client
    this.pool.on('connect', (c) => c.on('error', () => {}));
    const u = new URL(url);
    this.description = `PostgreSQL ${u.hostname}:${u.port || 5432}${u.pathname}`;
  }

  async query<R>(sql: string, params: unknown[] = []): Promise<QueryResult<R>> {
    const r = await this.pool.query(sql, params);
    return { rows: r.rows as R[], rowCount: r.rowCount ?? 0 };
  }

  async copyBinary(table: string, columns: readonly string[], payload: Uint8Array): Promise<void> {
    const c = await this.pool.connect();
    try {
      await new PgTx(c, await this.embedded(c)).copyBinary(table, columns, payload);
    } finally {
      c.release();
    }
  }

  async transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    const c = await this.pool.connect();
    let broken = false;
    try {
      const noCopy = await this.embedded(c);
      await c.query('BEGIN');
      const out = await fn(new PgTx(c, noCopy));
      await c.query('COMMIT');
      return out;
    } catch (e) {
      try {
        await c.query('ROLLBACK');
      } catch {
        broken = true;
      }
      throw e;
    } finally {
      c.release(broken);
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  private embeddedP: Promise<boolean> | null = null;
  /** PGlite's socket server (the embedded database served to other processes) has no COPY FROM STDIN */
  private embedded(c: pg.PoolClient): Promise<boolean> {
    // asked on the connection in hand: with a pool of one, another would wait for ever
    this.embeddedP ??= c.query<{ v: string }>('SELECT version() AS v').then(
      (r) => /PGlite/.test(r.rows[0].v),
      (e) => {
        this.embeddedP = null;
        throw e;
      },
    );
    return this.embeddedP;
  }
}

type PGliteT = import('@electric-sql/pglite').PGlite;
type PGliteTx = import('@electric-sql/pglite').Transaction;

class PgliteTx implements Tx {
  constructor(private readonly t: PGliteT | PGliteTx) {}
  async query<R>(sql: string, params: unknown[] = []): Promise<QueryResult<R>> {
    const r = await this.t.query<R>(sql, params);
    return { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length };
  }
  async copyBinary(table: string, columns: readonly string[], payload: Uint8Array): Promise<void> {
    await this.t.query(`COPY ${table} (${columns.join(', ')}) FROM '/dev/blob' WITH (FORMAT binary)`, [], {
      blob: new Blob([payload as Uint8Array<ArrayBuffer>]),
    });
  }
}

export class PgliteDb implements Db {
  readonly kind = 'pglite' as const;
  readonly description: string;
  private constructor(readonly pg: PGliteT, dir: string) {
    this.description = `embedded PostgreSQL (PGlite) in ${dir}`;
  }

  static async open(dir: string): Promise<PgliteDb> {
    const { PGlite } = await import('@electric-sql/pglite');
    if (dir !== 'memory://') mkdirSync(dir, { recursive: true });
    const db = await PGlite.create(dir === 'memory://' ? undefined : dir);
    return new PgliteDb(db, dir);
  }

  query<R>(sql: string, params: unknown[] = []): Promise<QueryResult<R>> {
    return new PgliteTx(this.pg).query<R>(sql, params);
  }

  copyBinary(table: string, columns: readonly string[], payload: Uint8Array): Promise<void> {
    return new PgliteTx(this.pg).copyBinary(table, columns, payload);
  }

  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.pg.transaction((t) => fn(new PgliteTx(t)));
  }

  async close(): Promise<void> {
    await this.pg.close();
  }
}

export interface OpenOptions {
  /** postgres://… (default: $DATABASE_URL); when absent the embedded database in `dataDir` is used */
  url?: string;
  /** data folder of the embedded database (default ./pktlens-data) */
  dataDir?: string;
  statementTimeoutMs?: number;
  max?: number;
  application?: string;
}

/** Open the database the options or the environment select, and bring its schema up to date. */
export async function openDb(opts: OpenOptions = {}): Promise<Db> {
  const url = opts.url ?? process.env.DATABASE_URL;
  // PKTLENS_DB_POOL=1 for a server that runs every connection on one backend (the embedded database's socket server)
  const pool = process.env.PKTLENS_DB_POOL ? Number(process.env.PKTLENS_DB_POOL) : undefined;
  const db: Db = url ? new PgDb(url, { ...opts, max: opts.max ?? pool }) : await PgliteDb.open(opts.dataDir ?? 'pktlens-data');
  try {
    await migrate(db);
  } catch (e) {
    await db.close().catch(() => {});
    throw e;
  }
  return db;
}

const MIGRATION_LOCK = 0x706b746c; // 'pktl'

/** Apply pending migrations once, whatever the number of processes starting together. */
export async function migrate(db: Db): Promise<number[]> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await tx.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = new Set((await tx.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => Number(r.version)));
    const applied: number[] = [];
    for (const m of MIGRATIONS) {
      if (done.has(m.version)) continue;
      for (const stmt of splitSql(m.sql)) await tx.query(stmt);
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      applied.push(m.version);
    }
    return applied;
  });
}

/** Split a migration into statements (ours have no semicolons inside literals or bodies). */
function splitSql(sql: string): string[] {
  return sql.split(/;\s*\n/).map((s) => s.trim()).filter(Boolean);
}
