/**
 * Every Analyzer query runs inside a short transaction with `SET LOCAL statement_timeout`, so that no request
 * (a huge filter, a catastrophic regular expression, an export of everything) can hold the database for long.
 * Database errors that the request caused become 4xx/503 with a message, never a 500 with SQL in it.
 */
import type { Db, Tx } from '../store/db.js';
import { FilterError, sqlFilterError } from '../filter/index.js';
import { Rejected } from '../bus/messages.js';

/** Default time limit of one statement (PKTLENS_QUERY_TIMEOUT_MS overrides). */
export const QUERY_TIMEOUT_MS = Number(process.env.PKTLENS_QUERY_TIMEOUT_MS) || 10_000;

export class QueryTimeout extends Rejected {
  readonly code = 'PKT_ERR_TIMEOUT';
  constructor(ms: number) {
    super(`the query took longer than ${ms} ms and was cancelled: narrow it with capture, from/to or a more selective filter`, 503);
  }
}

/** Run fn in a transaction whose statements are cancelled after `ms`; map the database's errors to HTTP answers. */
export async function withTimeout<T>(db: Db, fn: (tx: Tx) => Promise<T>, ms = QUERY_TIMEOUT_MS): Promise<T> {
  try {
    return await db.transaction(async (tx) => {
      // a literal integer, not a value from the request
      await tx.query(`SET LOCAL statement_timeout = ${Math.max(1, Math.floor(ms))}`);
      return fn(tx);
    });
  } catch (e) {
    throw mapDbError(e, ms);
  }
}

/** A database error caused by the request → a Rejected (4xx/503) with a message; anything else unchanged. */
export function mapDbError(e: unknown, ms = QUERY_TIMEOUT_MS): unknown {
  if (e instanceof FilterError || e instanceof Rejected) return e;
  const code = (e as { code?: string }).code;
  if (code === '57014') return new QueryTimeout(ms);
  const fe = sqlFilterError(e); // a regular expression PostgreSQL cannot compile: 400 {error, position}
  if (fe) return fe;
  if (code === '54001' || code === '54000') return new Rejected(`the filter is too complex: ${(e as Error).message}`, 400);
  if (typeof code === 'string' && code.startsWith('22')) return new Rejected(`bad value in the request: ${(e as Error).message}`, 400);
  return e;
}
