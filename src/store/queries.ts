/**
 * What the Analyzer asks of the store. Every value travels as a parameter; the SQL text is fixed.
 */
import type { Tx } from './db.js';
import { Params, scopeSql, type Scope } from '../analyzer/scope.js';

/** A packet row as the API returns it (DESIGN.md §6). */
export interface PacketRow {
  id: number;
  capture_id: number;
  frame: number;
  /** seconds since the epoch, nine decimals */
  ts: string;
  len: number;
  caplen: number;
  src_ip: string | null;
  dst_ip: string | null;
  src_port: number | null;
  dst_port: number | null;
  eth_src: string | null;
  eth_dst: string | null;
  ip_proto: number | null;
  protocol: string;
  summary: string;
  stream: number | null;
  malformed: boolean;
}

export interface PacketPage {
  packets: PacketRow[];
  /** cursor of the next page (pass as `after`), null at the end */
  next: string | null;
}

export interface PacketQuery {
  /** capture, from, to, q (src/analyzer/scope.ts) */
  scope?: Scope;
  limit: number;
  /** cursor "capture_id:frame" */
  after?: string;
  protocol?: string;
  ip?: string;
  port?: number;
}

/** Epoch seconds with nine decimals from a nanosecond bigint column. */
export const tsText = (c: string): string => `(${c} / 1000000000)::text || '.' || lpad((${c} % 1000000000)::text, 9, '0')`;

export const ROW_COLUMNS = `p.id, p.capture_id, p.frame, ${tsText('p.ts_ns')} AS ts,
  p.len, p.caplen, host(p.src_ip) AS src_ip, host(p.dst_ip) AS dst_ip, p.src_port, p.dst_port, p.eth_src::text AS eth_src, p.eth_dst::text AS eth_dst,
  p.ip_proto, p.protocol, p.summary, p.stream, p.malformed`;

export function parseCursor(s: string): [number, number] | null {
  const m = /^(\d{1,18}):(\d{1,18})$/.exec(s);
  return m ? [Number(m[1]), Number(m[2])] : null;
}

/**
 * Packets in (capture, frame) order, a keyset page at a time, within a scope (capture, from, to, q) and the original
 * design's optional protocol / ip / port conditions. Throws FilterError for a bad q.
 */
export async function packetPage(db: Tx, q: PacketQuery): Promise<PacketPage> {
  const p = new Params();
  const where: string[] = [];
  if (q.scope) where.push(scopeSql(q.scope, p, 'p'));
  if (q.after) {
    const c = parseCursor(q.after);
    if (!c) throw new Error('bad cursor');
    where.push(`(p.capture_id, p.frame) > (${p.add(c[0])}::bigint, ${p.add(c[1])}::bigint)`);
  }
  if (q.protocol !== undefined) where.push(`lower(p.protocol) = lower(${p.add(q.protocol)})`);
  if (q.ip !== undefined) {
    const a = p.add(q.ip);
    where.push(`(p.src_ip = ${a}::inet OR p.dst_ip = ${a}::inet)`);
  }
  if (q.port !== undefined) {
    const a = p.add(q.port);
    where.push(`(p.src_port = ${a} OR p.dst_port = ${a})`);
  }
  const sql = `SELECT ${ROW_COLUMNS} FROM packets p ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
    ORDER BY p.capture_id, p.frame LIMIT ${p.add(q.limit + 1)}`;
  const r = await db.query<Record<string, unknown>>(sql, p.values);
  const rows = r.rows.map(normRow);
  const more = rows.length > q.limit;
  if (more) rows.pop();
  const last = rows[rows.length - 1];
  return { packets: rows, next: more && last ? `${last.capture_id}:${last.frame}` : null };
}

export function normRow(r: Record<string, unknown>): PacketRow {
  return {
    id: Number(r.id),
    capture_id: Number(r.capture_id),
    frame: Number(r.frame),
    ts: String(r.ts),
    len: Number(r.len),
    caplen: Number(r.caplen),
    src_ip: (r.src_ip as string | null) ?? null,
    dst_ip: (r.dst_ip as string | null) ?? null,
    src_port: r.src_port === null ? null : Number(r.src_port),
    dst_port: r.dst_port === null ? null : Number(r.dst_port),
    eth_src: (r.eth_src as string | null) ?? null,
    eth_dst: (r.eth_dst as string | null) ?? null,
    ip_proto: r.ip_proto === null ? null : Number(r.ip_proto),
    protocol: String(r.protocol),
    summary: String(r.summary),
    stream: r.stream === null ? null : Number(r.stream),
    malformed: r.malformed === true,
  };
}
