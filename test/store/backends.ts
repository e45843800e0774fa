/**
 * The two storage back ends every store test runs on:
 * - `postgres`: the PostgreSQL server (PKTLENS_TEST_PG, default postgres://postgres@127.0.0.1:5432/test is the
 *   administrative connection); each test gets a fresh database `pktlens_test_<pid>_<random>`, dropped at the end.
 *   An unreachable server skips the test with a message, except under CI=true where it is a failure.
 * - `pglite`: the embedded PGlite in a fresh temporary data folder, removed at the end.
 *
 * `backendTest(name, opts, fn)` registers one node:test test per back end ("name [postgres]", "name [pglite]").
 */
import { test, type TestContext } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { PgDb, PgliteDb, migrate, type Db } from '../../src/store/db.js';

export type BackendKind = 'postgres' | 'pglite';
export const BACKENDS: readonly BackendKind[] = ['postgres', 'pglite'];

export const ADMIN_URL = process.env.PKTLENS_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface BackendEnv {
  readonly kind: BackendKind;
  /** the fresh database's URL (postgres only) */
  readonly url: string | null;
  /** the fresh data folder (pglite only) */
  readonly dataDir: string | null;
  /** a scratch folder for this test, removed at the end */
  readonly tmp: string;
  /** Open the test database and bring its schema up to date (closed automatically at the end if still open). */
  open(): Promise<Db>;
  /** Open without migrating. */
  openRaw(): Promise<Db>;
  /** Arguments and environment that make `pktlens ingest` use this database. */
  cliArgs(): string[];
  cliEnv(): NodeJS.ProcessEnv;
}

let serverCheck: Promise<string | null> | null = null;

/** null when the server answers, else why not. */
function serverProblem(): Promise<string | null> {
  serverCheck ??= (async () => {
    const c = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 5000 });
    c.on('error', () => {});
    try {
      await c.connect();
      await c.query('SELECT 1');
      return null;
    } catch (e) {
      return `PostgreSQL server ${redact(ADMIN_URL)} unreachable: ${(e as Error).message}`;
    } finally {
      await c.end().catch(() => {});
    }
  })();
  return serverCheck;
}

function redact(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 5000 });
  c.on('error', () => {});
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end().catch(() => {});
  }
}

/** Create a fresh database on the server; returns its URL and a function that drops it. */
export async function freshServerDatabase(): Promise<{ url: string; name: string; drop: () => Promise<void> }> {
  const name = `pktlens_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  const u = new URL(ADMIN_URL);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    name,
    drop: () => admin(async (c) => {
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }),
  };
}

/**
 * Set up a back end for test t. Returns null when the test was skipped (server unreachable outside CI).
 * The returned cleanup closes what env.open() opened and removes the database / folders.
 */
export async function setupBackend(t: TestContext, kind: BackendKind): Promise<{ env: BackendEnv; cleanup: () => Promise<void> } | null> {
  const tmp = mkdtempSync(join(tmpdir(), `pktlens-store-${kind}-`));
  const opened: Db[] = [];
  let url: string | null = null, dataDir: string | null = null;
  let drop: (() => Promise<void>) | null = null;
  if (kind === 'postgres') {
    const why = await serverProblem();
    if (why) {
      rmSync(tmp, { recursive: true, force: true });
      if (process.env.CI === 'true') throw new Error(`${why} (the server is required under CI=true)`);
      t.skip(`${why}; set PKTLENS_TEST_PG or start PostgreSQL to run the server tests`);
      return null;
    }
    const fresh = await freshServerDatabase();
    url = fresh.url;
    drop = fresh.drop;
  } else {
    dataDir = join(tmp, 'pglite');
  }
  const openRaw = async (): Promise<Db> => {
    const db: Db = kind === 'postgres' ? new PgDb(url!, { application: 'pktlens tests' }) : await PgliteDb.open(dataDir!);
    opened.push(db);
    return db;
  };
  const env: BackendEnv = {
    kind,
    url,
    dataDir,
    tmp,
    openRaw,
    async open() {
      const db = await openRaw();
      await migrate(db);
      return db;
    },
    cliArgs: () => (kind === 'pglite' ? ['--data', dataDir!] : []),
    cliEnv: () => {
      const e = { ...process.env };
      delete e.DATABASE_URL;
      if (kind === 'postgres') e.DATABASE_URL = url!;
      return e;
    },
  };
  const cleanup = async (): Promise<void> => {
    // closing twice is harmless here: errors of already closed databases are ignored
    await Promise.allSettled(opened.map((d) => d.close()));
    try {
      if (drop) await drop();
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  };
  return { env, cleanup };
}

export interface BackendTestOptions {
  timeout?: number;
  backends?: readonly BackendKind[];
  todo?: string;
}

/** Register `name [kind]` for each back end; fn gets the test context and a fresh database. */
export function backendTest(name: string, opts: BackendTestOptions, fn: (t: TestContext, env: BackendEnv) => Promise<void>): void {
  for (const kind of opts.backends ?? BACKENDS) {
    test(`${name} [${kind}]`, { timeout: opts.timeout ?? 120_000, todo: opts.todo }, async (t) => {
      const b = await setupBackend(t, kind);
      if (!b) return;
      try {
        await fn(t, b.env);
      } finally {
        await b.cleanup();
      }
    });
  }
}
