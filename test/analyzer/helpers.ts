/** An Analyzer on a test database with captures ingested through the one-process path; requests by inject(). */
import Fastify, { type FastifyInstance } from 'fastify';
import type { Db, Tx } from '../../src/store/db.js';
import { Store } from '../../src/store/store.js';
import { ingestFile } from '../../src/ingest/ingest.js';
import { analyzerRoutes } from '../../src/services/analyzer.js';
import { serviceLogger } from '../../src/services/log.js';
import { parseFilter } from '../../src/filter/index.js';

export async function analyzerOn(db: Db, files: string[], opts: { queryTimeoutMs?: number } = {}): Promise<{ app: FastifyInstance; ids: number[]; get: <T = any>(url: string) => Promise<{ status: number; body: T; raw: Buffer; headers: Record<string, unknown> }> }> {
  const store = new Store(db);
  const ids: number[] = [];
  for (const f of files) ids.push((await ingestFile(store, f)).captureId);
  const app = Fastify({ ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false, allowUnionTypes: true } } });
  analyzerRoutes(app, { store, log: serviceLogger('analyzer-test', { dir: null, terminal: false, level: 'silent' }), queryTimeoutMs: opts.queryTimeoutMs });
  await app.ready();
  const get = async (url: string) => {
    const r = await app.inject({ method: 'GET', url });
    const raw = r.rawPayload;
    let body: unknown = null;
    if (String(r.headers['content-type'] ?? '').includes('json')) body = JSON.parse(r.body);
    return { status: r.statusCode, body: body as any, raw, headers: r.headers as Record<string, unknown> };
  };
  return { app, ids, get };
}

/** Whether the display-filter parser and SQL back end are built (branches lang and sql). */
export const filtersBuilt = ((): boolean => {
  try {
    parseFilter('tcp');
    return true;
  } catch {
    return false;
  }
})();

/** A Db that records the text of every statement run through it (and through its transactions). */
export function spyDb(db: Db): { db: Db; sql: string[] } {
  const sql: string[] = [];
  const wrapTx = (tx: Tx): Tx => ({
    query: (q: string, p?: unknown[]) => { sql.push(q); return tx.query(q, p); },
    copyBinary: (t, c, p) => tx.copyBinary(t, c, p),
  }) as Tx;
  const spy: Db = {
    kind: db.kind,
    description: db.description,
    query: ((q: string, p?: unknown[]) => { sql.push(q); return db.query(q, p); }) as Db['query'],
    copyBinary: (t, c, p) => db.copyBinary(t, c, p),
    transaction: (fn) => db.transaction((tx) => fn(wrapTx(tx))),
    close: () => db.close(),
  };
  return { db: spy, sql };
}
