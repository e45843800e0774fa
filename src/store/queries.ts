/**
 * What the Analyzer asks of the store. Every value travels as a parameter; the SQL text is fixed.
 */
import type { Db } from './db.js';

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
  capture?: number;
  limit: number;
  /** cursor "capture_id:frame" */
  after?: string;
  protocol?: string;
  ip?: string;
  port?: number;
}

const ROW_COLUMNS = `id, capture_id, frame,
  (ts_ns / 1000000000)::text || '.' || lpad((ts_ns % 1000000000)::text, 9, '0') AS ts,
  len, caplen, host(src_ip) AS src_ip, host(dst_ip) AS dst_ip, src_port, dst_port, eth_src::text AS eth_src, eth_dst::text AS eth_dst,
  ip_proto, protocol, summary, stream, malformed`;

export function parseCursor(s: string): [number, number] | null {
  const m = /^(\d{1,18}):(\d{1,18})$/.exec(s);
  return m ? [Number(m[1]), Number(m[2])] : null;
}

/** Packets in (capture, frame) order, a keyset page at a time; optional protocol / ip / port conditions. */
export async function packetPage(db: Db, q: PacketQuery): Promise<PacketPage> {
  const where: string[] = [];
  const params: unknown[] = [];
  const p = (v: unknown): string => {
    params.push(v);
    return `$${params.length}`;
  };
  if (q.capture !== undefined) where.push(`capture_id = ${p(q.capture)}`);
  if (q.after) {
    const c = parseCursor(q.after);
    if (!c) throw new Error('bad cursor');
    where.push(`(capture_id, frame) > (${p(c[0])}::bigint, ${p(c[1])}::bigint)`);
  }
  if (q.protocol !== undefined) where.push(`lower(protocol) = lower(${p(q.protocol)})`);
  if (q.ip !== undefined) {
    const a = p(q.ip);
    where.push(`(src_ip = ${a}::inet OR dst_ip = ${a}::inet)`);
  }
  if (q.port !== undefined) {
    const a = p(q.port);
    where.push(`(src_port = ${a} OR dst_port = ${a})`);
  }
  const sql = `SELECT ${ROW_COLUMNS} FROM packets ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
    ORDER BY capture_id, frame LIMIT ${p(q.limit + 1)}`;
  const r = await db.query<Record<string, unknown>>(sql, params);
  const rows = r.rows.map(normRow);
  const more = rows.length > q.limit;
  if (more) rows.pop();
  const last = rows[rows.length - 1];
  return { packets: rows, next: more && last ? `${last.capture_id}:${last.frame}` : null };
}

function normRow(r: Record<string, unknown>): PacketRow {
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

/** Packets and bytes per Protocol column, from the per-minute rollups (never a scan of packets). */
export async function protocolSummary(db: Db, capture?: number): Promise<{ protocol: string; packets: number; bytes: number }[]> {
  const r = await db.query<{ protocol: string; packets: string; bytes: string }>(
    `SELECT protocol, sum(packets) AS packets, sum(bytes) AS bytes FROM rollup_protocol
     WHERE $1::bigint IS NULL OR capture_id = $1 GROUP BY protocol ORDER BY 2 DESC, 1`,
    [capture ?? null],
  );
  return r.rows.map((x) => ({ protocol: x.protocol, packets: Number(x.packets), bytes: Number(x.bytes) }));
}
