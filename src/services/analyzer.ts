/**
 * The Analyzer: answers queries from PostgreSQL only (summaries from the rollup tables). Its routes are a plugin
 * the manager mounts at / on the Analyzer's port, and under /api on the UI's when both run in one process.
 */
import type { FastifyInstance } from 'fastify';
import { isIP } from 'node:net';
import type { Store } from '../store/store.js';
import { packetPage, protocolSummary, parseCursor } from '../store/queries.js';
import { Rejected } from '../bus/messages.js';
import type { Logger } from './log.js';

export const MAX_LIMIT = 1000;

const pageQuery = {
  type: 'object',
  properties: {
    capture: { type: 'integer', minimum: 1 },
    limit: { type: 'integer', minimum: 1, maximum: MAX_LIMIT, default: 100 },
    after: { type: 'string', maxLength: 40 },
  },
} as const;

const filterQuery = {
  type: 'object',
  properties: {
    ...pageQuery.properties,
    protocol: { type: 'string', minLength: 1, maxLength: 64 },
    ip: { type: 'string', minLength: 2, maxLength: 64 },
    port: { type: 'integer', minimum: 0, maximum: 65535 },
  },
} as const;

interface PageQs { capture?: number; limit: number; after?: string; protocol?: string; ip?: string; port?: number }

export function analyzerRoutes(app: FastifyInstance, deps: { store: Store; log: Logger }): void {
  const { store, log } = deps;
  const db = store.db;
  const timed = async <T>(what: string, q: unknown, fn: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const r = await fn();
    log.info({ query: what, params: q, ms: Math.round((performance.now() - t0) * 10) / 10 }, 'query');
    return r;
  };
  const checkPage = (q: PageQs): void => {
    if (q.after !== undefined && !parseCursor(q.after)) throw new Rejected(`after: not a cursor from a previous page ("${q.after.slice(0, 40)}")`, 400);
    if (q.ip !== undefined && !isIP(q.ip)) throw new Rejected(`ip: "${q.ip.slice(0, 64)}" is not an IPv4 or IPv6 address`, 400);
  };

  app.get('/captures', async () =>
    timed('captures', {}, async () =>
      (await store.captures()).map((c) => ({
        id: c.id, name: c.name, source: c.source, state: c.state, packets: c.packets, bytes: c.bytes, size_bytes: c.size_bytes,
        sha256: c.sha256, first_ts: c.first_ts, last_ts: c.last_ts, link_types: c.link_types, report: c.report, created_at: c.created_at,
        updated_at: c.updated_at,
      })),
    ),
  );
  app.get<{ Querystring: { capture?: number } }>(
    '/protocol_summary',
    { schema: { querystring: { type: 'object', properties: { capture: { type: 'integer', minimum: 1 } } } } },
    async (req) => timed('protocol_summary', req.query, () => protocolSummary(db, req.query.capture)),
  );
  app.get<{ Querystring: PageQs }>('/packets', { schema: { querystring: pageQuery } }, async (req) => {
    checkPage(req.query);
    return timed('packets', req.query, () => packetPage(db, req.query));
  });
  app.get<{ Querystring: PageQs }>('/filter', { schema: { querystring: filterQuery } }, async (req) => {
    checkPage(req.query);
    return timed('filter', req.query, () => packetPage(db, req.query));
  });
}
