/**
 * The Statistics menu over stored packets (Wireshark's Statistics, tshark's -z): protocol summary and hierarchy,
 * conversations, endpoints, I/O, DNS, HTTP, TLS, anomalies. Each answer has two paths with the same result:
 * - no filter (q) and time bounds absent or on whole minutes (seconds for I/O): the summary tables kept at ingest
 *   (rollup_* per minute or second; without time bounds the per-capture ones: rollup_conv for IP conversations,
 *   rollup_value_total for DNS/HTTP/TLS values, flows for TCP/UDP conversations and endpoints) — fast however much
 *   is stored;
 * - otherwise a GROUP BY over the packets in scope.
 */
import type { Tx } from '../store/db.js';
import { Rejected } from '../bus/messages.js';
import { VALUE_KINDS, VALUE_MAX } from '../store/store.js';
import { Params, captureSql, minuteAligned, rollupSql, scopeSql, secondAligned, secondSql, wholeCaptures, type Scope } from './scope.js';

const n = (x: unknown): number => Number(x ?? 0);

// ---------------------------------------------------------------- protocols

export interface ProtoCount { protocol: string; packets: number; bytes: number }

/** Packets and bytes per Protocol column. */
export async function protocolSummary(tx: Tx, s: Scope): Promise<ProtoCount[]> {
  const p = new Params();
  const sql = minuteAligned(s)
    ? `SELECT protocol, sum(packets) AS packets, sum(bytes) AS bytes FROM rollup_protocol r WHERE ${rollupSql(s, p)} GROUP BY protocol ORDER BY 2 DESC, 1`
    : `SELECT protocol, count(*) AS packets, sum(len) AS bytes FROM packets p WHERE ${scopeSql(s, p)} GROUP BY protocol ORDER BY 2 DESC, 1`;
  const r = await tx.query<{ protocol: string; packets: string; bytes: string }>(sql, p.values);
  return r.rows.map((x) => ({ protocol: x.protocol, packets: n(x.packets), bytes: n(x.bytes) }));
}

export interface HierNode { protocol: string; packets: number; bytes: number; children: HierNode[] }

/**
 * Protocol hierarchy as `tshark -q -z io,phs`: a node per protocol path of frame.protocols (eth, eth:ip,
 * eth:ip:tcp …) with the frames and bytes (frame lengths) of the packets whose path starts with it.
 */
export async function hierarchy(tx: Tx, s: Scope): Promise<{ packets: number; bytes: number; tree: HierNode[] }> {
  const p = new Params();
  const sql = minuteAligned(s)
    ? `SELECT protocols, sum(packets) AS packets, sum(bytes) AS bytes FROM rollup_hierarchy r WHERE ${rollupSql(s, p)} GROUP BY protocols`
    : `SELECT protocols, count(*) AS packets, sum(len) AS bytes FROM packets p WHERE ${scopeSql(s, p)} GROUP BY protocols`;
  const r = await tx.query<{ protocols: string; packets: string; bytes: string }>(sql, p.values);
  return buildHierarchy(r.rows.map((x) => [x.protocols, n(x.packets), n(x.bytes)]));
}

/** frame.protocols names that are not protocol tree items, so tshark's hierarchy does not show them */
const NOT_IN_TREE = new Set(['ethertype']);

export function buildHierarchy(paths: [string, number, number][]): { packets: number; bytes: number; tree: HierNode[] } {
  const root: HierNode = { protocol: '', packets: 0, bytes: 0, children: [] };
  const index = new Map<HierNode, Map<string, HierNode>>();
  for (const [path, pk, by] of paths) {
    root.packets += pk;
    root.bytes += by;
    let node = root;
    for (const name of path ? path.split(':') : []) {
      if (NOT_IN_TREE.has(name)) continue;
      let m = index.get(node);
      if (!m) index.set(node, (m = new Map()));
      let c = m.get(name);
      if (!c) {
        c = { protocol: name, packets: 0, bytes: 0, children: [] };
        m.set(name, c);
        node.children.push(c);
      }
      c.packets += pk;
      c.bytes += by;
      node = c;
    }
  }
  const sort = (x: HierNode): void => {
    x.children.sort((a, b) => b.packets - a.packets || a.protocol.localeCompare(b.protocol));
    x.children.forEach(sort);
  };
  sort(root);
  return { packets: root.packets, bytes: root.bytes, tree: root.children };
}

// ---------------------------------------------------------------- conversations and endpoints

export const CONV_TYPES = ['eth', 'ip', 'ipv6', 'tcp', 'udp'] as const;
export type ConvType = (typeof CONV_TYPES)[number];

export interface Conversation {
  a: string; b: string; a_port?: number; b_port?: number;
  packets_ab: number; bytes_ab: number; packets_ba: number; bytes_ba: number; packets: number; bytes: number;
  /** seconds since the first frame of the captures in scope */
  start: number;
  duration: number;
}

export interface Endpoint {
  address: string; port?: number; packets: number; bytes: number; tx_packets: number; tx_bytes: number; rx_packets: number; rx_bytes: number;
}

/** Per packet: the side columns (address and port) and the packets that count for a type. */
function sides(type: ConvType): { src: string; dst: string; sport: string | null; dport: string | null; cond: string } {
  switch (type) {
    case 'eth': return { src: 'p.eth_src', dst: 'p.eth_dst', sport: null, dport: null, cond: 'p.eth_src IS NOT NULL AND p.eth_dst IS NOT NULL' };
    case 'ip': return { src: 'p.src_ip', dst: 'p.dst_ip', sport: null, dport: null, cond: 'family(p.src_ip) = 4 AND p.dst_ip IS NOT NULL' };
    case 'ipv6': return { src: 'p.src_ip', dst: 'p.dst_ip', sport: null, dport: null, cond: 'family(p.src_ip) = 6 AND p.dst_ip IS NOT NULL' };
    // an ICMP error quoting a segment carries its stream but is not part of the conversation (as tshark counts)
    case 'tcp': return { src: 'p.src_ip', dst: 'p.dst_ip', sport: 'p.src_port', dport: 'p.dst_port', cond: `p.ip_proto = 6 AND p.stream IS NOT NULL AND p.src_ip IS NOT NULL AND strpos(p.protocols, 'icmp') = 0` };
    case 'udp': return { src: 'p.src_ip', dst: 'p.dst_ip', sport: 'p.src_port', dport: 'p.dst_port', cond: `p.ip_proto = 17 AND p.stream IS NOT NULL AND p.src_ip IS NOT NULL AND strpos(p.protocols, 'icmp') = 0` };
  }
}

const addrText = (type: ConvType, c: string): string => (type === 'eth' ? `${c}::text` : `host(${c})`);

/** Time (ns) of the first frame of the captures in scope: the origin of relative times, as tshark's. */
async function origin(tx: Tx, s: Scope): Promise<bigint> {
  const p = new Params();
  const r = await tx.query<{ t: string | null }>(
    `SELECT min((SELECT ts_ns FROM packets x WHERE x.capture_id = c.id ORDER BY x.frame LIMIT 1)) AS t FROM captures c WHERE ${s.captures ? `c.id = ANY(${p.add(s.captures)}::bigint[])` : 'TRUE'}`,
    p.values,
  );
  return BigInt(r.rows[0]?.t ?? 0);
}

const rel = (ns: string | number | bigint, o: bigint): number => Number(BigInt(ns) - o) / 1e9;

/**
 * The conversations of `g` (a CTE of lower/higher sides: lo, hi, [lo_port, hi_port,] n_lh, b_lh, n_hl, b_hl, first
 * frame each way f_lh/f_hl, first_ns, last_ns) oriented as tshark's: A is the sender of the first frame.
 */
function oriented(port: boolean, limit: string): string {
  const ab = (lh: string, hl: string) => `CASE WHEN f_hl IS NULL OR f_lh < f_hl THEN ${lh} ELSE ${hl} END`;
  return `SELECT ${ab('lo', 'hi')} AS a, ${ab('hi', 'lo')} AS b,
      ${port ? `${ab('lo_port', 'hi_port')} AS a_port, ${ab('hi_port', 'lo_port')} AS b_port,` : ''}
      ${ab('n_lh', 'n_hl')} AS packets_ab, ${ab('b_lh', 'b_hl')} AS bytes_ab, ${ab('n_hl', 'n_lh')} AS packets_ba, ${ab('b_hl', 'b_lh')} AS bytes_ba,
      first_ns, last_ns
    FROM g ORDER BY b_lh + b_hl DESC, a, b LIMIT ${limit}`;
}

/**
 * Conversations as `tshark -q -z conv,TYPE`: A is the sender of the conversation's first frame; TCP and UDP
 * conversations are the streams (tcp.stream / udp.stream), as tshark 4 keys them.
 */
export async function conversations(tx: Tx, s: Scope, type: ConvType, limit: number): Promise<Conversation[]> {
  const o = await origin(tx, s);
  const p = new Params();
  let rows: Record<string, string | null>[];
  if ((type === 'tcp' || type === 'udp') && wholeCaptures(s)) {
    // the flows table: client = sender of the first frame, the same orientation
    const r = await tx.query<Record<string, string | null>>(
      `SELECT host(f.client_ip) AS a, host(f.server_ip) AS b, f.client_port AS a_port, f.server_port AS b_port,
         f.packets_c2s AS packets_ab, f.bytes_c2s AS bytes_ab, f.packets_s2c AS packets_ba, f.bytes_s2c AS bytes_ba,
         (extract(epoch FROM f.first_ts) * 1000000)::bigint * 1000 AS first_ns, (extract(epoch FROM f.last_ts) * 1000000)::bigint * 1000 AS last_ns, NULL AS exact
       FROM flows f WHERE ${captureSql(s, p, 'f')} AND f.ip_proto = ${type === 'tcp' ? 6 : 17}
       ORDER BY (f.bytes_c2s + f.bytes_s2c) DESC, f.id DESC LIMIT ${p.add(limit)}`,
      p.values,
    );
    rows = r.rows;
  } else if ((type === 'ip' || type === 'ipv6') && wholeCaptures(s)) {
    // rollup_conv: per capture and address pair (lower first); captures add up, A is the sender of the first frame.
    // (inet order puts every IPv4 address before '::/0', the least IPv6 one: a range the planner can estimate)
    const r = await tx.query<Record<string, string | null>>(
      `WITH g AS (
         SELECT host(c.lo) AS lo, host(c.hi) AS hi, sum(c.packets_lh) AS n_lh, sum(c.bytes_lh) AS b_lh, sum(c.packets_hl) AS n_hl, sum(c.bytes_hl) AS b_hl,
           ${s.captures ? 'min(c.capture_id * 4294967296 + c.first_lh) AS f_lh, min(c.capture_id * 4294967296 + c.first_hl) AS f_hl'
             : 'min(c.first_lh) AS f_lh, min(c.first_hl) AS f_hl' /* rollup_conv_all: already capture_id * 2^32 + frame */},
           min(c.first_ns) AS first_ns, max(c.last_ns) AS last_ns
         FROM ${s.captures ? 'rollup_conv' : 'rollup_conv_all'} c WHERE ${s.captures ? `${captureSql(s, p, 'c')} AND ` : ''}${type === 'ip' ? `c.hi < '::/0'::inet` : `c.lo >= '::/0'::inet`}
         GROUP BY c.lo, c.hi)
       ${oriented(false, p.add(limit))}`,
      p.values,
    );
    rows = r.rows;
  } else {
    const x = sides(type);
    const port = x.sport !== null;
    // dir: whether the packet goes from the lower side to the higher; the key is the (lower, higher) pair
    const lo = port ? `CASE WHEN (${x.src}, ${x.sport}) <= (${x.dst}, ${x.dport}) THEN` : `CASE WHEN ${x.src} <= ${x.dst} THEN`;
    // TCP/UDP: one conversation per stream (its sides from any of its packets); else the (lower, higher) pair itself
    const key = port ? 'p.capture_id, p.ip_proto, p.stream' : '1, 2';
    const agg = (e: string) => (port ? `min(${e})` : e);
    const r = await tx.query<Record<string, string | null>>(
      `WITH g AS (
         SELECT ${addrText(type, agg(`${lo} ${x.src} ELSE ${x.dst} END`))} AS lo, ${addrText(type, agg(`${lo} ${x.dst} ELSE ${x.src} END`))} AS hi,
           ${port ? `min(${lo} ${x.sport} ELSE ${x.dport} END) AS lo_port, min(${lo} ${x.dport} ELSE ${x.sport} END) AS hi_port,` : ''}
           count(*) FILTER (WHERE ${lo} true END) AS n_lh, coalesce(sum(p.len) FILTER (WHERE ${lo} true END), 0) AS b_lh,
           count(*) FILTER (WHERE NOT ${lo} true ELSE false END) AS n_hl, coalesce(sum(p.len) FILTER (WHERE NOT ${lo} true ELSE false END), 0) AS b_hl,
           min(p.capture_id * 4294967296 + p.frame) FILTER (WHERE ${lo} true END) AS f_lh,
           min(p.capture_id * 4294967296 + p.frame) FILTER (WHERE NOT ${lo} true ELSE false END) AS f_hl,
           min(p.ts_ns) AS first_ns, max(p.ts_ns) AS last_ns
         FROM packets p WHERE ${x.cond} AND ${scopeSql(s, p)} GROUP BY ${key})
       ${oriented(port, p.add(limit))}`,
      p.values,
    );
    rows = r.rows;
  }
  return rows.map((r) => {
    const c: Conversation = {
      a: String(r.a), b: String(r.b),
      packets_ab: n(r.packets_ab), bytes_ab: n(r.bytes_ab), packets_ba: n(r.packets_ba), bytes_ba: n(r.bytes_ba),
      packets: n(r.packets_ab) + n(r.packets_ba), bytes: n(r.bytes_ab) + n(r.bytes_ba),
      // as tshark: the difference of the two relative times (doubles)
      start: rel(r.first_ns!, o), duration: rel(r.last_ns!, o) - rel(r.first_ns!, o),
    };
    if (type === 'tcp' || type === 'udp') {
      c.a_port = n(r.a_port);
      c.b_port = n(r.b_port);
    }
    return c;
  });
}

/** Endpoints as `tshark -q -z endpoints,TYPE`: every address (and port for TCP/UDP) with what it sent and received. */
export async function endpoints(tx: Tx, s: Scope, type: ConvType, limit: number): Promise<Endpoint[]> {
  const p = new Params();
  const port = type === 'tcp' || type === 'udp';
  let sql: string;
  if (type === 'ip' && wholeCaptures(s)) {
    sql = `SELECT host(r.ip) AS address, sum(r.packets_sent) AS tp, sum(r.bytes_sent) AS tb, sum(r.packets_recv) AS rp, sum(r.bytes_recv) AS rb
      FROM rollup_endpoint_total r WHERE r.ip < '::/0'::inet AND ${captureSql(s, p, 'r')} GROUP BY r.ip`;
  } else if (type === 'ip' && minuteAligned(s)) {
    sql = `SELECT host(r.ip) AS address, sum(r.packets_sent) AS tp, sum(r.bytes_sent) AS tb, sum(r.packets_recv) AS rp, sum(r.bytes_recv) AS rb
      FROM rollup_endpoint r WHERE family(r.ip) = 4 AND ${rollupSql(s, p)} GROUP BY r.ip`;
  } else if (port && wholeCaptures(s) && !s.captures) {
    // over all captures: kept at ingest from the flows' deltas (the same sums as the flows table below)
    // (the busiest first, ties at the cut kept, before the addresses are made text: host() only for what is shown)
    sql = `SELECT host(e.ip) AS address, e.port, e.packets_sent AS tp, e.bytes_sent AS tb, e.packets_recv AS rp, e.bytes_recv AS rb
      FROM (SELECT * FROM rollup_endpoint_port_all a WHERE a.ip_proto = ${type === 'tcp' ? 6 : 17}
        ORDER BY a.bytes_sent + a.bytes_recv DESC FETCH FIRST ${p.add(limit)} ROWS WITH TIES) e`;
  } else if (port && wholeCaptures(s)) {
    const proto = type === 'tcp' ? 6 : 17;
    sql = `SELECT host(e.ip) AS address, e.port, sum(e.tp) AS tp, sum(e.tb) AS tb, sum(e.rp) AS rp, sum(e.rb) AS rb FROM (
        SELECT f.client_ip AS ip, f.client_port AS port, f.packets_c2s AS tp, f.bytes_c2s AS tb, f.packets_s2c AS rp, f.bytes_s2c AS rb
          FROM flows f WHERE ${captureSql(s, p, 'f')} AND f.ip_proto = ${proto}
        UNION ALL
        SELECT f.server_ip, f.server_port, f.packets_s2c, f.bytes_s2c, f.packets_c2s, f.bytes_c2s
          FROM flows f WHERE ${captureSql(s, p, 'f')} AND f.ip_proto = ${proto}) e
      GROUP BY e.ip, e.port`;
  } else {
    const x = sides(type);
    sql = `SELECT ${addrText(type, 'e.addr')} AS address${port ? ', e.port' : ''}, sum(e.tp) AS tp, sum(e.tb) AS tb, sum(e.rp) AS rp, sum(e.rb) AS rb FROM (
        SELECT ${x.src} AS addr${port ? `, ${x.sport} AS port` : ''}, count(*) AS tp, sum(p.len) AS tb, 0 AS rp, 0 AS rb
          FROM packets p WHERE ${x.cond} AND ${scopeSql(s, p)} GROUP BY 1${port ? ', 2' : ''}
        UNION ALL
        SELECT ${x.dst}${port ? `, ${x.dport}` : ''}, 0, 0, count(*), sum(p.len)
          FROM packets p WHERE ${x.cond} AND ${scopeSql(s, p)} GROUP BY 1${port ? ', 2' : ''}) e
      GROUP BY e.addr${port ? ', e.port' : ''}`;
  }
  const r = await tx.query<Record<string, string | null>>(`SELECT * FROM (${sql}) z ORDER BY tb + rb DESC, address${port ? ', port' : ''} LIMIT ${p.add(limit)}`, p.values);
  return r.rows.map((x) => {
    const e: Endpoint = {
      address: String(x.address), packets: n(x.tp) + n(x.rp), bytes: n(x.tb) + n(x.rb),
      tx_packets: n(x.tp), tx_bytes: n(x.tb), rx_packets: n(x.rp), rx_bytes: n(x.rb),
    };
    if (port) e.port = n(x.port);
    return e;
  });
}

// ---------------------------------------------------------------- ports

/**
 * Service ports: packets and bytes of TCP or UDP by the lower of each packet's two ports (the server's, mostly:
 * ephemeral client ports are high), the busiest first.
 */
export async function ports(tx: Tx, s: Scope, type: 'tcp' | 'udp', limit: number): Promise<{ port: number; packets: number; bytes: number }[]> {
  const p = new Params();
  const proto = p.add(type === 'tcp' ? 6 : 17);
  const sql = minuteAligned(s)
    ? `SELECT r.port, sum(r.packets) AS packets, sum(r.bytes) AS bytes FROM rollup_port r WHERE r.ip_proto = ${proto} AND ${rollupSql(s, p)} GROUP BY 1`
    : `SELECT least(p.src_port, p.dst_port) AS port, count(*) AS packets, sum(p.len) AS bytes FROM packets p
         WHERE p.ip_proto = ${proto} AND p.src_port IS NOT NULL AND p.dst_port IS NOT NULL AND ${scopeSql(s, p)} GROUP BY 1`;
  const r = await tx.query<Record<string, string>>(`${sql} ORDER BY packets DESC, port LIMIT ${p.add(limit)}`, p.values);
  return r.rows.map((x) => ({ port: n(x.port), packets: n(x.packets), bytes: n(x.bytes) }));
}

// ---------------------------------------------------------------- I/O

export const MAX_BUCKETS = 100_000;

/** Packets and bytes per interval (seconds; decimals allowed). Buckets start at multiples of the interval. */
export async function io(tx: Tx, s: Scope, interval: number): Promise<{ t: number; packets: number; bytes: number }[]> {
  const q = new Params();
  const ns = BigInt(Math.round(interval * 1e9));
  let sql: string;
  if (Number.isInteger(interval) && interval % 60 === 0 && minuteAligned(s)) {
    sql = `SELECT floor(extract(epoch FROM r.minute) / ${q.add(interval)}) * ${q.add(interval)} AS t, sum(r.packets) AS packets, sum(r.bytes) AS bytes
      FROM rollup_protocol r WHERE ${rollupSql(s, q)} GROUP BY 1 ORDER BY 1`;
  } else if (Number.isInteger(interval) && secondAligned(s)) {
    const i = q.add(interval);
    sql = `SELECT (r.second / ${i}::bigint) * ${i}::bigint AS t, sum(r.packets) AS packets, sum(r.bytes) AS bytes
      FROM rollup_second r WHERE ${secondSql(s, q)} GROUP BY 1 ORDER BY 1`;
  } else {
    sql = `SELECT (p.ts_ns / ${q.add(ns.toString())}::bigint) * ${q.add(interval)}::numeric AS t, count(*) AS packets, sum(p.len) AS bytes
      FROM packets p WHERE ${scopeSql(s, q)} GROUP BY 1 ORDER BY 1`;
  }
  // only buckets with packets are listed; more than MAX_BUCKETS of them is refused rather than sent
  const r = await tx.query<{ t: string; packets: string; bytes: string }>(`${sql} LIMIT ${MAX_BUCKETS + 1}`, q.values);
  if (r.rows.length > MAX_BUCKETS) {
    throw new Rejected(`interval: ${interval} s makes more than ${MAX_BUCKETS} buckets; use a longer interval or narrow capture/from/to`, 400);
  }
  return r.rows.map((x) => ({ t: Number(x.t), packets: n(x.packets), bytes: n(x.bytes) }));
}

// ---------------------------------------------------------------- application tallies

export interface Tally { value: string; count: number; name?: string }

const DNS_TYPES: Record<number, string> = { 1: 'A', 2: 'NS', 5: 'CNAME', 6: 'SOA', 12: 'PTR', 15: 'MX', 16: 'TXT', 28: 'AAAA', 33: 'SRV', 35: 'NAPTR', 41: 'OPT', 43: 'DS', 46: 'RRSIG', 47: 'NSEC', 48: 'DNSKEY', 64: 'SVCB', 65: 'HTTPS', 255: 'ANY' };
const DNS_RCODES: Record<number, string> = { 0: 'NoError', 1: 'FormErr', 2: 'ServFail', 3: 'NXDomain', 4: 'NotImp', 5: 'Refused' };

/** The tallies each /stats/{dns,http,tls} list is made of: the column and, for rollups, its kind number. */
export const TALLIES = {
  dns: { names: 'dns_name', types: 'dns_type', rcodes: 'dns_rcode' },
  http: { hosts: 'http_host', methods: 'http_method', status_codes: 'http_status', user_agents: 'http_user_agent' },
  tls: { server_names: 'tls_sni', versions: 'tls_version', ja3: 'tls_ja3', ja4: 'tls_ja4' },
} as const;

/** Value column of a tally over packets aliased p (TLS versions are the Protocol column of TLS records). */
function tallyExpr(col: string): { expr: string; cond: string } {
  if (col === 'tls_version') return { expr: 'p.protocol', cond: `p.protocol LIKE 'TLSv%' OR p.protocol LIKE 'SSLv%'` };
  if (col === 'dns_rcode') return { expr: 'p.dns_rcode::text', cond: `p.dns_rcode IS NOT NULL AND p.dns_name IS NOT NULL` };
  return { expr: `left(p.${col}::text, ${VALUE_MAX})`, cond: `p.${col} IS NOT NULL` };
}

/**
 * Counts of application values (DNS names and types, HTTP hosts, TLS server names …), by packet, the most frequent
 * first. Values longer than VALUE_MAX characters are counted by their beginning.
 */
export async function tallies(tx: Tx, s: Scope, what: keyof typeof TALLIES, limit: number): Promise<Record<string, Tally[]>> {
  const lists = Object.entries(TALLIES[what]) as [string, keyof typeof VALUE_KINDS][];
  const rowsOf = new Map<string, { value: string; count: string }[]>();
  if (minuteAligned(s)) {
    // every list in one query: the per-capture totals (whole captures) or the per-minute rows, the first `limit` of each kind
    const p = new Params();
    const kinds = p.add(lists.map(([, col]) => VALUE_KINDS[col]));
    const from = wholeCaptures(s) && !s.captures
      ? 'rollup_value_all r WHERE r.kind = k.kind'
      : wholeCaptures(s)
      ? `rollup_value_total r WHERE r.kind = k.kind AND ${captureSql(s, p, 'r')}`
      : `rollup_value r WHERE r.kind = k.kind AND ${rollupSql(s, p)}`;
    const r = await tx.query<{ kind: number; value: string; count: string }>(
      `SELECT k.kind, x.value, x.count FROM unnest(${kinds}::smallint[]) WITH ORDINALITY AS k(kind, i) CROSS JOIN LATERAL (
         SELECT r.value, sum(r.count) AS count FROM ${from} GROUP BY r.value ORDER BY 2 DESC, 1 LIMIT ${p.add(limit)}) x
       ORDER BY k.i, x.count DESC, x.value`,
      p.values,
    );
    for (const [list, col] of lists) rowsOf.set(list, r.rows.filter((x) => Number(x.kind) === VALUE_KINDS[col]));
  } else {
    for (const [list, col] of lists) {
      const p = new Params();
      const { expr, cond } = tallyExpr(col);
      const sql = `SELECT ${expr} AS value, count(*) AS count FROM packets p WHERE (${cond}) AND ${scopeSql(s, p)} GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ${p.add(limit)}`;
      rowsOf.set(list, (await tx.query<{ value: string; count: string }>(sql, p.values)).rows);
    }
  }
  const out: Record<string, Tally[]> = {};
  for (const [list, col] of lists) {
    out[list] = rowsOf.get(list)!.map((x) => {
      const t: Tally = { value: x.value, count: n(x.count) };
      if (col === 'dns_type') t.name = DNS_TYPES[Number(x.value)] ?? `Unknown (${x.value})`;
      if (col === 'dns_rcode') t.name = DNS_RCODES[Number(x.value)] ?? `Unknown (${x.value})`;
      return t;
    });
  }
  return out;
}

/** Anomalies (expert info names) with their count and first frame. */
export async function anomalies(tx: Tx, s: Scope, limit: number): Promise<{ name: string; count: number; first_frame: number; capture_id: number }[]> {
  const p = new Params();
  const scoped = s.q !== null || s.fromNs !== null || s.toNs !== null;
  const sql = scoped
    ? `SELECT a.name, count(*) AS count, min(a.capture_id) AS capture_id, min(a.frame) AS first_frame FROM anomalies a
         JOIN packets p ON p.capture_id = a.capture_id AND p.frame = a.frame WHERE ${scopeSql(s, p)} GROUP BY a.name`
    : `SELECT a.name, count(*) AS count, min(a.capture_id) AS capture_id, min(a.frame) AS first_frame FROM anomalies a
         WHERE ${captureSql(s, p, 'a')} GROUP BY a.name`;
  const r = await tx.query<Record<string, string>>(`${sql} ORDER BY count DESC, name LIMIT ${p.add(limit)}`, p.values);
  return r.rows.map((x) => ({ name: x.name, count: n(x.count), first_frame: n(x.first_frame), capture_id: n(x.capture_id) }));
}
