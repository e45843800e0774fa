/**
 * The Analyzer: answers queries from PostgreSQL only (summaries from the rollup tables). Its routes are a plugin
 * the manager mounts at / on the Analyzer's port, and under /api on the UI's when both run in one process.
 * Every route declares its querystring/params and response schemas; the OpenAPI document is /openapi.json.
 * Every query runs under a statement timeout (src/analyzer/run.ts); every value reaches SQL as a parameter.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import swagger from '@fastify/swagger';
import { isIP } from 'node:net';
import type { Store } from '../store/store.js';
import { normRow, packetPage, parseCursor, ROW_COLUMNS } from '../store/queries.js';
import { Rejected } from '../bus/messages.js';
import { FilterError, parseFilter } from '../filter/index.js';
import { FIELDS } from '../fields/catalog.js';
import type { Logger } from './log.js';
import { captureRoutes, type CaptureControl } from './analyzer-captures.js';
import { parseScope, scopeProps, scopeSql, minuteAligned, rollupSql, Params, type ScopeQs, type Scope } from '../analyzer/scope.js';
import { withTimeout as withTimeoutMs, mapDbError, QUERY_TIMEOUT_MS } from '../analyzer/run.js';
import * as stats from '../analyzer/stats.js';
import { exportStream, linkTypes, scopeWhere } from '../analyzer/export.js';
import { flowById, flowCount, flowPage, flowPackets, flowStream, FLOW_SORTS, type FlowSort } from '../analyzer/flows.js';
import { decodeOne } from '../analyzer/detail.js';
import * as S from '../analyzer/schemas.js';

export const MAX_LIMIT = 1000;
/** Longest list a statistics route returns (conversations, endpoints, tallies). */
export const MAX_STATS_LIMIT = 10_000;

const pageProps = {
  ...scopeProps,
  limit: { type: 'integer', minimum: 1, maximum: MAX_LIMIT, default: 100 },
  after: { type: 'string', maxLength: 40 },
} as const;

const filterProps = {
  ...pageProps,
  protocol: { type: 'string', minLength: 1, maxLength: 64 },
  ip: { type: 'string', minLength: 2, maxLength: 64 },
  port: { type: 'integer', minimum: 0, maximum: 65535 },
} as const;

const statsLimit = { type: 'integer', minimum: 1, maximum: MAX_STATS_LIMIT, default: 1000 } as const;
const qs = (properties: Record<string, unknown>, required: string[] = []) => ({ type: 'object', properties, required, additionalProperties: false });
const idParams = { type: 'object', properties: { id: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER } }, required: ['id'] } as const;
const errors = { 400: S.error, 404: S.error, 503: S.error } as const;

interface PageQs extends ScopeQs { limit: number; after?: string; protocol?: string; ip?: string; port?: number }

export interface AnalyzerDeps {
  store: Store;
  log: Logger;
  /** statement timeout of every query (default QUERY_TIMEOUT_MS, PKTLENS_QUERY_TIMEOUT_MS) */
  queryTimeoutMs?: number;
  /** capture management (uploads, deletion, live captures, /events); absent where the Analyzer only reads */
  captures?: CaptureControl;
}

export function analyzerRoutes(app: FastifyInstance, deps: AnalyzerDeps): void {
  // the OpenAPI document covers every route registered after this (here and in analyzer-captures.ts)
  app.register(swagger, {
    openapi: { info: { title: 'pktlens Analyzer', version: '1' }, components: {} },
  });
  // routes must be added inside a plugin registered after swagger: routes added directly on `app` here are not seen
  // by its onRoute hook (the plugin loads later). Capture management (branch apicap) belongs in this plugin too:
  // `if (deps.captures) captureRoutes(api, deps.captures);`
  app.register(async (api) => {
    api.addSchema(S.hierNodeSchema);
    queryRoutes(api, deps);
  });
  app.register(async (api) => {
    api.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  });
}

function queryRoutes(app: FastifyInstance, deps: AnalyzerDeps): void {
  const { store, log } = deps;
  const ms = deps.queryTimeoutMs ?? QUERY_TIMEOUT_MS;
  const db = store.db;
  /** Run a query under the statement timeout, logged with its time. */
  const withTimeout = <T>(d: typeof db, fn: (tx: import('../store/db.js').Tx) => Promise<T>) => withTimeoutMs(d, fn, ms);
  const timed = async <T>(what: string, q: unknown, fn: (tx: import('../store/db.js').Tx) => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const r = await withTimeout(db, fn);
    log.info({ query: what, params: q, ms: Math.round((performance.now() - t0) * 10) / 10 }, 'query');
    return r;
  };
  /** Scope from the query string; a bad filter is reported before any SQL runs. */
  const scope = (q: ScopeQs): Scope => {
    const s = parseScope(q);
    if (s.q !== null) parseFilter(s.q);
    return s;
  };
  const checkPage = (q: PageQs): void => {
    if (q.after !== undefined && !parseCursor(q.after)) throw new Rejected(`after: not a cursor from a previous page ("${q.after.slice(0, 40)}")`, 400);
    if (q.ip !== undefined && !isIP(q.ip)) throw new Rejected(`ip: "${q.ip.slice(0, 64)}" is not an IPv4 or IPv6 address`, 400);
  };

  // a bad display filter: 400 {error, position}
  app.setErrorHandler((err, req, reply) => {
    if (err instanceof FilterError) return reply.code(400).send({ error: err.message, position: err.position });
    const e = mapDbError(err, ms);
    if (e instanceof Rejected) return reply.code(e.status).send({ error: e.message, ...('code' in e ? { code: (e as { code: string }).code } : {}) });
    throw err; // the service's handler (src/services/http.ts)
  });

  app.get('/captures', { schema: { response: { 200: { type: 'array', items: S.capture } } } }, async () =>
    (await store.captures()).map((c) => ({
      id: c.id, name: c.name, source: c.source, state: c.state, packets: c.packets, bytes: c.bytes, size_bytes: c.size_bytes,
      sha256: c.sha256, first_ts: c.first_ts, last_ts: c.last_ts, link_types: c.link_types, report: c.report, created_at: c.created_at,
      updated_at: c.updated_at,
    })),
  );

  app.get<{ Querystring: ScopeQs }>('/protocol_summary', { schema: { querystring: qs(scopeProps), response: { 200: { type: 'array', items: S.protoCount }, ...errors } } },
    async (req) => { const s = scope(req.query); return timed('protocol_summary', req.query, (tx) => stats.protocolSummary(tx, s)); });

  app.get<{ Querystring: PageQs }>('/packets', { schema: { querystring: qs(pageProps), response: { 200: S.packetPage, ...errors } } }, async (req) => {
    checkPage(req.query);
    const s = scope(req.query);
    return timed('packets', req.query, (tx) => packetPage(tx, { ...req.query, scope: s }));
  });
  app.get<{ Querystring: PageQs }>('/filter', { schema: { querystring: qs(filterProps), response: { 200: S.packetPage, ...errors } } }, async (req) => {
    checkPage(req.query);
    const s = scope(req.query);
    return timed('filter', req.query, (tx) => packetPage(tx, { ...req.query, scope: s }));
  });

  app.get<{ Querystring: ScopeQs }>('/count', { schema: { querystring: qs(scopeProps), response: { 200: S.count, ...errors } } }, async (req) => {
    const s = scope(req.query);
    return timed('count', req.query, async (tx) => {
      const p = new Params();
      // without a filter and on whole minutes: the per-minute protocol rollups hold the same count
      const sql = minuteAligned(s)
        ? `SELECT coalesce(sum(r.packets), 0) AS n FROM rollup_protocol r WHERE ${rollupSql(s, p)}`
        : `SELECT count(*) AS n FROM packets p WHERE ${scopeSql(s, p)}`;
      const r = await tx.query<{ n: string }>(sql, p.values);
      return { count: Number(r.rows[0].n) };
    });
  });

  app.get<{ Querystring: { q: string } }>('/filter/check', {
    schema: { querystring: qs({ q: scopeProps.q }, ['q']), response: { 200: { type: 'object', properties: { ok: { type: 'boolean' } } }, ...errors } },
  }, async (req) => {
    parseFilter(req.query.q);
    return { ok: true };
  });

  const fieldList = FIELDS.filter((f) => !f.name.startsWith('_ws.col')).map((f) => ({ name: f.name, type: f.type, label: f.label }));
  app.get('/fields', { schema: { response: { 200: { type: 'array', items: S.field } } } }, async () => fieldList);

  app.get<{ Params: { id: number } }>('/packets/:id', { schema: { params: idParams, response: { 200: S.packetDetail, ...errors } } }, async (req) =>
    timed('packet', req.params, async (tx) => {
      const r = await tx.query<Record<string, unknown>>(
        `SELECT ${ROW_COLUMNS}, p.ts_ns AS ts_ns, p.linktype, p.iface, p.data FROM packets p WHERE p.id = $1`, [req.params.id]);
      const row = r.rows[0];
      if (!row) throw new Rejected(`no packet ${req.params.id}`, 404);
      const data = row.data as Uint8Array;
      const dec = decodeOne({ frame: Number(row.frame), tsNs: BigInt(row.ts_ns as string), len: Number(row.len), caplen: Number(row.caplen), linktype: Number(row.linktype), iface: Number(row.iface), data });
      return { packet: normRow(row), layers: dec.layers, bytes: Buffer.from(data).toString('hex'), anomalies: dec.anomalies };
    }));

  const download = async (reply: FastifyReply, name: string, stream: Promise<NodeJS.ReadableStream>) => {
    const body = await stream;
    body.on('error', (e) => log.warn({ err: (e as Error).message, name }, 'export cut short'));
    return reply.type('application/vnd.tcpdump.pcap').header('content-disposition', `attachment; filename="${name}"`).send(body);
  };
  const exportSchema = { querystring: qs(scopeProps), response: { 200: { type: 'string', format: 'binary' }, ...errors } };
  app.get<{ Querystring: ScopeQs }>('/export.pcap', { schema: exportSchema }, async (req, reply) => {
    const s = scope(req.query);
    const lts = await linkTypes(db, s);
    if (lts.length > 1) throw new Rejected(`the packets have several link types (${lts.join(', ')}); pcap holds one: use /export.pcapng`, 400);
    return download(reply, 'pktlens.pcap', exportStream(db, 'pcap', scopeWhere(s), { linktype: lts[0], timeoutMs: ms }));
  });
  app.get<{ Querystring: ScopeQs }>('/export.pcapng', { schema: exportSchema }, async (req, reply) => {
    const s = scope(req.query);
    return download(reply, 'pktlens.pcapng', exportStream(db, 'pcapng', scopeWhere(s), { timeoutMs: ms }));
  });

  interface FlowQs extends ScopeQs { sort: FlowSort; order: 'asc' | 'desc'; limit: number; after?: string }
  app.get<{ Querystring: FlowQs }>('/flows', {
    schema: {
      querystring: qs({ ...scopeProps, sort: { type: 'string', enum: Object.keys(FLOW_SORTS), default: 'id' }, order: { type: 'string', enum: ['asc', 'desc'], default: 'asc' },
        limit: pageProps.limit, after: { type: 'string', maxLength: 200 } }),
      response: { 200: S.flowPage, ...errors },
    },
  }, async (req) => {
    const s = scope(req.query);
    return timed('flows', req.query, (tx) => flowPage(tx, s, req.query));
  });
  app.get<{ Querystring: ScopeQs }>('/flows/count', {
    schema: { querystring: qs(scopeProps), response: { 200: { type: 'object', properties: { flows: { type: 'integer' } }, required: ['flows'] }, ...errors } },
  }, async (req) => {
    const s = scope(req.query);
    return timed('flows/count', req.query, async (tx) => ({ flows: await flowCount(tx, s) }));
  });
  const oneFlow = async (tx: import('../store/db.js').Tx, id: number) => {
    const f = await flowById(tx, id);
    if (!f) throw new Rejected(`no flow ${id}`, 404);
    return f;
  };
  app.get<{ Params: { id: number } }>('/flows/:id', { schema: { params: idParams, response: { 200: S.flow, ...errors } } }, async (req) =>
    timed('flow', req.params, (tx) => oneFlow(tx, req.params.id)));
  app.get<{ Params: { id: number } }>('/flows/:id/stream', { schema: { params: idParams, response: { 200: S.flowStream, ...errors } } }, async (req) =>
    timed('flow stream', req.params, async (tx) => {
      const flow = await oneFlow(tx, req.params.id);
      return { flow, ...(await flowStream(tx, flow)) };
    }));
  app.get<{ Params: { id: number } }>('/flows/:id/export.pcap', { schema: { params: idParams, response: { 200: { type: 'string', format: 'binary' }, ...errors } } }, async (req, reply) => {
    const flow = await withTimeout(db, (tx) => oneFlow(tx, req.params.id));
    return download(reply, `flow-${flow.id}.pcap`, exportStream(db, 'pcap', flowPackets(flow), { timeoutMs: ms }));
  });

  // ------------------------------------------------------------ statistics
  app.get<{ Querystring: ScopeQs }>('/stats/hierarchy', { schema: { querystring: qs(scopeProps), response: { 200: S.hierarchy, ...errors } } }, async (req) => {
    const s = scope(req.query);
    return timed('stats/hierarchy', req.query, (tx) => stats.hierarchy(tx, s));
  });
  interface TypeQs extends ScopeQs { type: stats.ConvType; limit: number }
  const typeQs = qs({ ...scopeProps, type: { type: 'string', enum: [...stats.CONV_TYPES] }, limit: statsLimit }, ['type']);
  app.get<{ Querystring: TypeQs }>('/stats/conversations', { schema: { querystring: typeQs, response: { 200: S.conversations, ...errors } } }, async (req) => {
    const s = scope(req.query);
    return timed('stats/conversations', req.query, async (tx) => ({ type: req.query.type, conversations: await stats.conversations(tx, s, req.query.type, req.query.limit) }));
  });
  app.get<{ Querystring: TypeQs }>('/stats/endpoints', { schema: { querystring: typeQs, response: { 200: S.endpoints, ...errors } } }, async (req) => {
    const s = scope(req.query);
    return timed('stats/endpoints', req.query, async (tx) => ({ type: req.query.type, endpoints: await stats.endpoints(tx, s, req.query.type, req.query.limit) }));
  });
  interface PortQs extends ScopeQs { type: 'tcp' | 'udp'; limit: number }
  app.get<{ Querystring: PortQs }>('/stats/ports', {
    schema: { querystring: qs({ ...scopeProps, type: { type: 'string', enum: ['tcp', 'udp'] }, limit: statsLimit }, ['type']), response: { 200: S.ports, ...errors } },
  }, async (req) => {
    const s = scope(req.query);
    return timed('stats/ports', req.query, async (tx) => ({ type: req.query.type, ports: await stats.ports(tx, s, req.query.type, req.query.limit) }));
  });
  app.get<{ Querystring: ScopeQs & { interval: number } }>('/stats/io', {
    schema: { querystring: qs({ ...scopeProps, interval: { type: 'number', minimum: 0.001, maximum: 31_536_000, default: 60 } }), response: { 200: S.io, ...errors } },
  }, async (req) => {
    const s = scope(req.query);
    return timed('stats/io', req.query, async (tx) => ({ interval: req.query.interval, buckets: await stats.io(tx, s, req.query.interval) }));
  });
  for (const what of ['dns', 'http', 'tls'] as const) {
    app.get<{ Querystring: ScopeQs & { limit: number } }>(`/stats/${what}`, {
      schema: { querystring: qs({ ...scopeProps, limit: { ...statsLimit, default: 100 } }), response: { 200: S.tallies(Object.keys(stats.TALLIES[what])), ...errors } },
    }, async (req) => {
      const s = scope(req.query);
      return timed(`stats/${what}`, req.query, (tx) => stats.tallies(tx, s, what, req.query.limit));
    });
  }
  app.get<{ Querystring: ScopeQs & { limit: number } }>('/stats/anomalies', {
    schema: { querystring: qs({ ...scopeProps, limit: statsLimit }), response: { 200: S.anomalies, ...errors } },
  }, async (req) => {
    const s = scope(req.query);
    return timed('stats/anomalies', req.query, async (tx) => ({ anomalies: await stats.anomalies(tx, s, req.query.limit) }));
  });
  if (deps.captures) captureRoutes(app, deps.captures); // uploads, deletion, live captures, /interfaces, /events
}
