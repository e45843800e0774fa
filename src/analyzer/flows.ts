/**
 * Conversations (the flows table kept at ingest): sortable keyset pages, one flow, its payload in order for
 * "Follow stream", its packets as a pcap.
 *
 * Scope: `capture` selects captures; `from`/`to` keep the flows whose time span overlaps [from, to); `q` keeps a
 * flow when ANY of its packets (within from/to) matches the filter.
 */
import type { Tx } from '../store/db.js';
import { Rejected } from '../bus/messages.js';
import { Params, captureSql, scopeSql, wholeCaptures, type Scope } from './scope.js';
import { tsText } from '../store/queries.js';
import { framePage } from './export.js';
import { payloads } from './detail.js';

export interface FlowRow {
  id: number; capture_id: number; ip_proto: number; stream: number;
  client_ip: string | null; server_ip: string | null; client_port: number | null; server_port: number | null;
  first_ts: string; last_ts: string; duration: number;
  packets_c2s: number; packets_s2c: number; bytes_c2s: number; bytes_s2c: number;
  tcp_state: string | null; app: string | null; app_by: string | null; server_name: string | null;
}

const epochNs = (c: string) => `((extract(epoch FROM ${c}) * 1000000)::bigint * 1000)`;

const FLOW_COLUMNS = `f.id, f.capture_id, f.ip_proto, f.stream, host(f.client_ip) AS client_ip, host(f.server_ip) AS server_ip,
  f.client_port, f.server_port, ${tsText(epochNs('f.first_ts'))} AS first_ts, ${tsText(epochNs('f.last_ts'))} AS last_ts,
  extract(epoch FROM f.last_ts - f.first_ts)::float8 AS duration,
  f.packets_c2s, f.packets_s2c, f.bytes_c2s, f.bytes_s2c, f.tcp_state, f.app, f.app_by, f.server_name`;

/** Sort keys: the SQL expression and the type its cursor value is read back as. */
export const FLOW_SORTS = {
  id: ['f.id', 'bigint'],
  bytes: ['(f.bytes_c2s + f.bytes_s2c)', 'bigint'],
  packets: ['(f.packets_c2s + f.packets_s2c)', 'bigint'],
  first_ts: ['f.first_ts', 'timestamptz'],
  last_ts: ['f.last_ts', 'timestamptz'],
  duration: ['(f.last_ts - f.first_ts)', 'interval'],
  stream: ['f.stream', 'bigint'],
} as const;
export type FlowSort = keyof typeof FLOW_SORTS;

function normFlow(r: Record<string, unknown>): FlowRow {
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    id: Number(r.id), capture_id: Number(r.capture_id), ip_proto: Number(r.ip_proto), stream: Number(r.stream),
    client_ip: (r.client_ip as string | null) ?? null, server_ip: (r.server_ip as string | null) ?? null,
    client_port: num(r.client_port), server_port: num(r.server_port),
    first_ts: String(r.first_ts), last_ts: String(r.last_ts), duration: Number(r.duration),
    packets_c2s: Number(r.packets_c2s), packets_s2c: Number(r.packets_s2c), bytes_c2s: Number(r.bytes_c2s), bytes_s2c: Number(r.bytes_s2c),
    tcp_state: (r.tcp_state as string | null) ?? null, app: (r.app as string | null) ?? null, app_by: (r.app_by as string | null) ?? null,
    server_name: (r.server_name as string | null) ?? null,
  };
}

function encodeCursor(v: unknown, id: number): string {
  return Buffer.from(JSON.stringify([String(v), id])).toString('base64url');
}

function decodeCursor(s: string): [string, number] {
  try {
    const x = JSON.parse(Buffer.from(s, 'base64url').toString()) as unknown;
    if (Array.isArray(x) && x.length === 2 && typeof x[0] === 'string' && x[0].length <= 64 && Number.isSafeInteger(x[1])) return [x[0], x[1] as number];
  } catch { /* below */ }
  throw new Rejected(`after: not a cursor from a previous page of /flows ("${s.slice(0, 40)}")`, 400);
}

/** The flows in scope as a condition over flows aliased f. */
export function flowScopeSql(s: Scope, p: Params): string {
  const w = [captureSql(s, p, 'f')];
  if (s.fromNs !== null) w.push(`f.last_ts >= to_timestamp(${p.add(s.fromNs)}::bigint / 1e9) - interval '1 microsecond'`);
  if (s.toNs !== null) w.push(`f.first_ts < to_timestamp(${p.add(s.toNs)}::bigint / 1e9)`);
  if (s.q !== null) {
    w.push(`(f.capture_id, f.ip_proto, f.stream) IN (SELECT p.capture_id, p.ip_proto, p.stream FROM packets p
      WHERE p.stream IS NOT NULL AND p.ip_proto IN (6, 17) AND ${scopeSql(s, p, 'p')})`);
  }
  return w.join(' AND ');
}

export async function flowPage(tx: Tx, s: Scope, o: { sort: FlowSort; order: 'asc' | 'desc'; limit: number; after?: string }): Promise<{ flows: FlowRow[]; next: string | null }> {
  const [expr, type] = FLOW_SORTS[o.sort];
  const p = new Params();
  const w = [flowScopeSql(s, p)];
  if (o.after) {
    const [v, id] = decodeCursor(o.after);
    w.push(`(${expr}, f.id) ${o.order === 'asc' ? '>' : '<'} (${p.add(v)}::${type}, ${p.add(id)}::bigint)`);
  }
  const dir = o.order === 'asc' ? 'ASC' : 'DESC';
  const r = await tx.query<Record<string, unknown>>(
    `SELECT ${FLOW_COLUMNS}, (${expr})::text AS sort_value FROM flows f WHERE ${w.join(' AND ')}
     ORDER BY ${expr} ${dir}, f.id ${dir} LIMIT ${p.add(o.limit + 1)}`,
    p.values,
  );
  const more = r.rows.length > o.limit;
  const rows = r.rows.slice(0, o.limit);
  const last = rows[rows.length - 1];
  return { flows: rows.map(normFlow), next: more && last ? encodeCursor(last.sort_value, Number(last.id)) : null };
}

/** How many flows are in scope (the Overview's total). */
export async function flowCount(tx: Tx, s: Scope): Promise<number> {
  const p = new Params();
  if (wholeCaptures(s)) {
    // kept per capture at ingest (new rows of flows, counted in the batch's transaction)
    const r = await tx.query<{ n: string | null }>(`SELECT sum(c.flows) AS n FROM captures c WHERE ${s.captures ? `c.id = ANY(${p.add(s.captures)}::bigint[])` : 'TRUE'}`, p.values);
    return Number(r.rows[0].n ?? 0);
  }
  const r = await tx.query<{ n: string }>(`SELECT count(*) AS n FROM flows f WHERE ${flowScopeSql(s, p)}`, p.values);
  return Number(r.rows[0].n);
}

export async function flowById(tx: Tx, id: number): Promise<FlowRow | null> {
  const r = await tx.query<Record<string, unknown>>(`SELECT ${FLOW_COLUMNS} FROM flows f WHERE f.id = $1`, [id]);
  return r.rows[0] ? normFlow(r.rows[0]) : null;
}

/** The packets of a flow as a condition over packets aliased p (uses the packets_stream index). */
export const flowPackets = (f: FlowRow) => (p: Params): string =>
  `p.capture_id = ${p.add(f.capture_id)} AND p.stream = ${p.add(f.stream)} AND p.ip_proto = ${p.add(f.ip_proto)}`;

export const MAX_STREAM_BYTES = 16 << 20;
export const MAX_STREAM_SEGMENTS = 20_000;

/** Both directions' payloads in frame order; stops at MAX_STREAM_BYTES / MAX_STREAM_SEGMENTS (truncated: true). */
export async function flowStream(tx: Tx, f: FlowRow): Promise<{ segments: { dir: number; frame: number; ts: string; data: string }[]; truncated: boolean }> {
  const segments: { dir: number; frame: number; ts: string; data: string }[] = [];
  let bytes = 0;
  let after: [number, number] | null = null;
  // frames are decoded in one session, page after page, so TCP state carries across pages
  const pages = async function* (): AsyncGenerator<import('./detail.js').StoredFrame[]> {
    for (;;) {
      const page = await framePage(tx, flowPackets(f), after, 1000);
      if (page.length) after = [page[page.length - 1].capture, page[page.length - 1].frame];
      yield page;
      if (page.length < 1000) return;
    }
  };
  const frames: import('./detail.js').StoredFrame[] = [];
  for await (const page of pages()) {
    frames.push(...page);
    if (frames.length > MAX_STREAM_SEGMENTS * 2) break;
  }
  for (const seg of payloads(frames, f.ip_proto, f.client_ip, f.client_port)) {
    if (segments.length >= MAX_STREAM_SEGMENTS || bytes + seg.data.length > MAX_STREAM_BYTES) return { segments, truncated: true };
    bytes += seg.data.length;
    const t = seg.frame.tsNs;
    segments.push({ dir: seg.dir, frame: seg.frame.frame, ts: `${t / 1_000_000_000n}.${String(t % 1_000_000_000n).padStart(9, '0')}`, data: Buffer.from(seg.data).toString('base64') });
  }
  return { segments, truncated: frames.length > MAX_STREAM_SEGMENTS * 2 };
}
