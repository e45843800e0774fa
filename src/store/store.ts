/**
 * The store: captures, packets (binary COPY into daily partitions), flows, per-minute rollups, anomalies,
 * and exactly-once batches — each batch in one transaction that also records (capture, seq).
 */
import type { Db, Tx } from './db.js';
import { CopyWriter } from './copy-binary.js';
import { ipText, type FlowUpdate, type PacketRecord } from './record.js';

export const PACKET_COLUMNS = [
  'capture_id', 'frame', 'ts', 'ts_ns', 'len', 'caplen', 'linktype', 'iface', 'eth_src', 'eth_dst', 'vlan', 'src_ip', 'dst_ip', 'ip_proto',
  'ttl', 'src_port', 'dst_port', 'tcp_flags', 'stream', 'protocol', 'summary', 'protocols', 'dns_name', 'dns_type', 'dns_rcode',
  'http_method', 'http_host', 'http_uri', 'http_status', 'http_user_agent', 'tls_sni', 'tls_ja3', 'tls_ja4', 'malformed', 'data',
  'fields', 'tags',
] as const;

export type CaptureState = 'importing' | 'complete' | 'failed' | 'live';

export interface CaptureRow {
  id: number;
  name: string;
  source: string;
  sha256: string | null;
  size_bytes: number | null;
  link_types: number[];
  first_ts: string | null;
  last_ts: string | null;
  packets: number;
  bytes: number;
  /** conversations (rows of flows) */
  flows: number;
  state: CaptureState;
  report: Record<string, unknown>;
  created_at: string;
  updated_at: string;
}

export interface Batch {
  captureId: number;
  seq: number;
  records: PacketRecord[];
  flows: FlowUpdate[];
}

const DAY = 86400;

function inet(w: CopyWriter, v: number | Uint8Array | null): void {
  if (v === null) w.null();
  else if (typeof v === 'number') w.inet4(v);
  else w.inet6(v);
}

/** Encode records as one binary COPY payload for the packets table. */
export function encodePackets(captureId: number, recs: PacketRecord[]): Uint8Array {
  const e = new BatchEncoder(captureId);
  for (const r of recs) e.add(r);
  return e.finish().payload;
}

/** A batch ready to write: the COPY payload and what the same transaction updates besides the packets. */
export interface EncodedBatch {
  payload: Uint8Array;
  packets: number;
  bytes: number;
  firstFrame: number;
  lastFrame: number;
  firstTs: number;
  lastTs: number;
  days: number[];
  rollups: Rollups;
  anomalies: [number, number, string][];
}

/**
 * Encodes records one at a time (the record object may be reused by the caller): the COPY rows, the per-minute
 * rollups and the anomalies of a batch, with nothing per packet kept in memory but the encoded bytes.
 */
export class BatchEncoder {
  private readonly w: CopyWriter;
  private readonly roll = new RollupAccumulator();
  private readonly days = new Set<number>();
  private readonly anomalies: [number, number, string][] = [];
  packets = 0;
  private bytes = 0;
  private firstFrame = 0;
  private lastFrame = 0;
  private firstTs = Infinity;
  private lastTs = -Infinity;

  constructor(readonly captureId: number, buffer?: Uint8Array) {
    this.w = new CopyWriter(buffer ?? 1 << 20);
  }

  add(r: PacketRecord): void {
    const w = this.w;
    const ncol = PACKET_COLUMNS.length;
    const captureId = this.captureId;
    w.row(ncol).int8(captureId).int8(r.frame);
    const sec = r.tsSec + Math.floor(r.tsNsec / 1e9), nsec = r.tsNsec % 1e9;
    w.timestamptz(sec, nsec).int8big(BigInt(sec) * 1_000_000_000n + BigInt(nsec));
    w.int4(r.len).int4(r.caplen).int4(r.linktype).int4(r.iface);
    if (r.ethSrc) w.macaddr(r.ethSrc); else w.null();
    if (r.ethDst) w.macaddr(r.ethDst); else w.null();
    if (r.vlan !== null) w.int4(r.vlan); else w.null();
    inet(w, r.srcIp);
    inet(w, r.dstIp);
    if (r.ipProto !== null) w.int2(r.ipProto); else w.null();
    if (r.ttl !== null) w.int2(r.ttl); else w.null();
    if (r.srcPort !== null) w.int4(r.srcPort); else w.null();
    if (r.dstPort !== null) w.int4(r.dstPort); else w.null();
    if (r.tcpFlags !== null) w.int2(r.tcpFlags); else w.null();
    if (r.stream !== null) w.int8(r.stream); else w.null();
    w.text(r.protocol).text(r.summary).text(r.protocols);
    if (r.dnsName !== null) w.text(r.dnsName); else w.null();
    if (r.dnsType !== null) w.int4(r.dnsType); else w.null();
    if (r.dnsRcode !== null) w.int2(r.dnsRcode); else w.null();
    if (r.httpMethod !== null) w.text(r.httpMethod); else w.null();
    if (r.httpHost !== null) w.text(r.httpHost); else w.null();
    if (r.httpUri !== null) w.text(r.httpUri); else w.null();
    if (r.httpStatus !== null) w.int2(r.httpStatus); else w.null();
    if (r.httpUserAgent !== null) w.text(r.httpUserAgent); else w.null();
    if (r.tlsSni !== null) w.text(r.tlsSni); else w.null();
    if (r.tlsJa3 !== null) w.text(r.tlsJa3); else w.null();
    if (r.tlsJa4 !== null) w.text(r.tlsJa4); else w.null();
    w.bool(r.malformed).bytes(r.data);
    w.jsonb(r.fields).textArray(r.tags);

    const t = r.tsSec + r.tsNsec / 1e9;
    if (this.packets++ === 0) this.firstFrame = r.frame;
    this.lastFrame = r.frame;
    this.bytes += r.len;
    if (t < this.firstTs) this.firstTs = t;
    if (t > this.lastTs) this.lastTs = t;
    this.days.add(Math.floor(t / DAY));
    for (const a of r.anomalies) this.anomalies.push([r.frame, t, a]);
    this.roll.add(r);
  }

  finish(): EncodedBatch {
    return {
      payload: this.w.finish(),
      packets: this.packets,
      bytes: this.bytes,
      firstFrame: this.firstFrame,
      lastFrame: this.lastFrame,
      firstTs: this.firstTs,
      lastTs: this.lastTs,
      days: [...this.days].sort((a, b) => a - b),
      rollups: this.roll.result(),
      anomalies: this.anomalies,
    };
  }
}

type RollP = [number, string, number, number];
type RollE = [number, string | null, number, number, number, number];
type RollO = [number, number, number, number, number];
export interface Rollups {
  proto: RollP[];
  ep: RollE[];
  port: RollO[];
  /** by frame.protocols (the protocol hierarchy) */
  hier: RollP[];
  /** application values (DNS names, HTTP hosts, TLS server names …) by kind, see VALUE_KINDS */
  val: RollV[];
  /** packets and bytes per second (the I/O graph at any whole-second interval) */
  sec: RollS[];
  /** IP conversations of the batch (address pairs, as tshark's conv,ip and conv,ipv6), see RollC */
  conv: RollC[];
}

type RollV = [number, number, string, number];
type RollS = [second: number, packets: number, bytes: number];
/**
 * An address pair, lower first (inet order): packets and bytes each way (lh: sent by the lower address), the first
 * frame each way (null: none), first and last packet time (ns, as decimal text: beyond a double's integers).
 */
export type RollC = [lo: string, hi: string, nLh: number, bLh: number, nHl: number, bHl: number, fLh: number | null, fHl: number | null, firstNs: string, lastNs: string];

/** inet order of two host addresses: IPv4 (numbers) before IPv6 (bytes), then by address. */
function ipCmp(a: number | Uint8Array, b: number | Uint8Array): number {
  if (typeof a === 'number') return typeof b === 'number' ? (a >>> 0) - (b >>> 0) : -1;
  if (typeof b === 'number') return 1;
  for (let i = 0; i < 16; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

const nsText = (sec: number, nsec: number): string => (sec === 0 ? String(nsec) : `${sec}${String(nsec).padStart(9, '0')}`);

/** One address pair's running totals (times kept as seconds + nanoseconds: exact without BigInt per packet). */
interface ConvAcc { lo: number | Uint8Array; hi: number | Uint8Array; nLh: number; bLh: number; nHl: number; bHl: number; fLh: number | null; fHl: number | null; s0: number; n0: number; s1: number; n1: number }

/** Values are counted by their first VALUE_MAX characters (an index key has a size limit). */
export const VALUE_MAX = 256;

/** Kinds of rollup_value rows: the application values the statistics routes count. */
export const VALUE_KINDS = {
  dns_name: 1, dns_type: 2, dns_rcode: 3, http_host: 4, http_method: 5, http_status: 6, http_user_agent: 7, tls_sni: 8, tls_version: 9, tls_ja3: 10, tls_ja4: 11,
} as const;

/** What the rollups read of a packet. */
export type RollupInput = Pick<PacketRecord, 'frame' | 'tsSec' | 'tsNsec' | 'protocol' | 'len' | 'srcIp' | 'dstIp' | 'srcPort' | 'dstPort' | 'ipProto'
  | 'protocols' | 'dnsName' | 'dnsType' | 'dnsRcode' | 'httpHost' | 'httpMethod' | 'httpStatus' | 'httpUserAgent' | 'tlsSni' | 'tlsJa3' | 'tlsJa4'>;

/** Per-minute rollups of a batch: by protocol, by endpoint (sent/received), by port. Sorted rows avoid deadlocks. */
export class RollupAccumulator {
  private proto = new Map<number, Map<string, RollP>>();
  private ep = new Map<number, Map<number | string, RollE>>();
  private port = new Map<number, Map<number, RollO>>();
  private hier = new Map<number, Map<string, RollP>>();
  private lastM = NaN;
  private hm!: Map<string, RollP>;
  private vals = new Map<number, Map<string, RollV>>();
  private vm!: Map<string, RollV>;
  private v(kind: number, value: string): void {
    if (value.length > VALUE_MAX) value = value.slice(0, VALUE_MAX);
    const k = kind + '\0' + value, x = this.vm.get(k);
    if (x) x[3]++; else this.vm.set(k, [this.lastM, kind, value, 1]);
  }
  private pm!: Map<string, RollP>;
  private em!: Map<number | string, RollE>;
  private om!: Map<number, RollO>;
  private sec = new Map<number, RollS>();
  private conv4 = new Map<number, Map<number, ConvAcc>>();
  private conv6 = new Map<string, ConvAcc>();

  private convAdd(r: RollupInput, src: number | Uint8Array, dst: number | Uint8Array, sec: number, nsec: number): void {
    const lh = ipCmp(src, dst) <= 0;
    const lo = lh ? src : dst, hi = lh ? dst : src;
    let c: ConvAcc | undefined;
    if (typeof lo === 'number' && typeof hi === 'number') {
      let m = this.conv4.get(lo);
      if (!m) this.conv4.set(lo, (m = new Map()));
      c = m.get(hi);
      if (!c) m.set(hi, (c = newConv(lo, hi, sec, nsec)));
    } else {
      const k = `${ipText(lo)} ${ipText(hi)}`;
      c = this.conv6.get(k);
      // (copies: the addresses may be views of a frame buffer that is reused)
      if (!c) this.conv6.set(k, (c = newConv(ownAddress(lo), ownAddress(hi), sec, nsec)));
    }
    if (lh) {
      c.nLh++; c.bLh += r.len;
      if (c.fLh === null || r.frame < c.fLh) c.fLh = r.frame;
    } else {
      c.nHl++; c.bHl += r.len;
      if (c.fHl === null || r.frame < c.fHl) c.fHl = r.frame;
    }
    if (sec < c.s0 || (sec === c.s0 && nsec < c.n0)) { c.s0 = sec; c.n0 = nsec; }
    if (sec > c.s1 || (sec === c.s1 && nsec > c.n1)) { c.s1 = sec; c.n1 = nsec; }
  }

  private static sub<K, V>(m: Map<number, Map<K, V>>, k: number): Map<K, V> {
    let x = m.get(k);
    if (!x) m.set(k, (x = new Map()));
    return x;
  }

  add(r: RollupInput): void {
    const sec = r.tsSec + Math.floor(r.tsNsec / 1e9), nsec = r.tsNsec % 1e9;
    const m = Math.floor(sec / 60) * 60;
    const ss = this.sec.get(sec);
    if (ss) { ss[1]++; ss[2] += r.len; } else this.sec.set(sec, [sec, 1, r.len]);
    if (m !== this.lastM) {
      this.lastM = m;
      this.pm = RollupAccumulator.sub(this.proto, m);
      this.em = RollupAccumulator.sub(this.ep, m);
      this.om = RollupAccumulator.sub(this.port, m);
      this.hm = RollupAccumulator.sub(this.hier, m);
      this.vm = RollupAccumulator.sub(this.vals, m);
    }
    if (r.dnsName !== null) {
      this.v(1, r.dnsName);
      if (r.dnsRcode !== null) this.v(3, String(r.dnsRcode));
    }
    if (r.dnsType !== null) this.v(2, String(r.dnsType));
    if (r.httpHost !== null) this.v(4, r.httpHost);
    if (r.httpMethod !== null) this.v(5, r.httpMethod);
    if (r.httpStatus !== null) this.v(6, String(r.httpStatus));
    if (r.httpUserAgent !== null) this.v(7, r.httpUserAgent);
    if (r.tlsSni !== null) this.v(8, r.tlsSni);
    if (r.protocol.startsWith('TLSv') || r.protocol.startsWith('SSLv')) this.v(9, r.protocol);
    if (r.tlsJa3 !== null) this.v(10, r.tlsJa3);
    if (r.tlsJa4 !== null) this.v(11, r.tlsJa4);
    const h = this.hm.get(r.protocols);
    if (h) { h[2]++; h[3] += r.len; } else this.hm.set(r.protocols, [m, r.protocols, 1, r.len]);
    const a = this.pm.get(r.protocol);
    if (a) { a[2]++; a[3] += r.len; } else this.pm.set(r.protocol, [m, r.protocol, 1, r.len]);
    if (r.srcIp !== null && r.dstIp !== null) {
      const em = this.em;
      const ks = typeof r.srcIp === 'number' ? r.srcIp : ipText(r.srcIp)!;
      const e = em.get(ks);
      if (e) { e[2]++; e[3] += r.len; } else em.set(ks, [m, ipText(r.srcIp), 1, r.len, 0, 0]);
      const kd = typeof r.dstIp === 'number' ? r.dstIp : ipText(r.dstIp)!;
      const f = em.get(kd);
      if (f) { f[4]++; f[5] += r.len; } else em.set(kd, [m, ipText(r.dstIp), 0, 0, 1, r.len]);
      this.convAdd(r, r.srcIp, r.dstIp, sec, nsec);
    }
    if (r.srcPort !== null && r.dstPort !== null && r.ipProto !== null) {
      const p = Math.min(r.srcPort, r.dstPort);
      const kp = r.ipProto * 65536 + p, x = this.om.get(kp);
      if (x) { x[3]++; x[4] += r.len; } else this.om.set(kp, [m, r.ipProto, p, 1, r.len]);
    }
  }

  result(): Rollups {
    const flat = <V extends unknown[]>(mm: Map<number, Map<unknown, V>>, cmp: (a: V, b: V) => number): V[] => {
      const out: V[] = [];
      for (const x of mm.values()) for (const v of x.values()) out.push(v);
      return out.sort(cmp);
    };
    const byStr = (i: number) => (a: unknown[], b: unknown[]) => (a[0] as number) - (b[0] as number) || String(a[i]).localeCompare(String(b[i]));
    return {
      proto: flat(this.proto, byStr(1)),
      ep: flat(this.ep, byStr(1)),
      port: flat(this.port, (a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]),
      hier: flat(this.hier, byStr(1)),
      val: flat(this.vals, (a, b) => a[0] - b[0] || a[1] - b[1] || (a[2] < b[2] ? -1 : a[2] > b[2] ? 1 : 0)),
      sec: [...this.sec.values()].sort((a, b) => a[0] - b[0]),
      conv: this.convRows(),
    };
  }

  private convRows(): RollC[] {
    const all: ConvAcc[] = [...this.conv6.values()];
    for (const m of this.conv4.values()) for (const c of m.values()) all.push(c);
    all.sort((a, b) => ipCmp(a.lo, b.lo) || ipCmp(a.hi, b.hi));
    return all.map((c) => [ipText(c.lo)!, ipText(c.hi)!, c.nLh, c.bLh, c.nHl, c.bHl, c.fLh, c.fHl, nsText(c.s0, c.n0), nsText(c.s1, c.n1)]);
  }
}

const ownAddress = (a: number | Uint8Array): number | Uint8Array => (typeof a === 'number' ? a : a.slice());

function newConv(lo: number | Uint8Array, hi: number | Uint8Array, sec: number, nsec: number): ConvAcc {
  return { lo, hi, nLh: 0, bLh: 0, nHl: 0, bHl: 0, fLh: null, fHl: null, s0: sec, n0: nsec, s1: sec, n1: nsec };
}

/** Per capture: the batch's endpoint rows summed over their minutes (rollup_endpoint_total), in address order. */
export function endpointTotals(ep: readonly RollE[]): RollE[] {
  const m = new Map<string | null, RollE>();
  for (const e of ep) {
    const x = m.get(e[1]);
    if (x) { x[2] += e[2]; x[3] += e[3]; x[4] += e[4]; x[5] += e[5]; } else m.set(e[1], [0, e[1], e[2], e[3], e[4], e[5]]);
  }
  return [...m.values()].sort((a, b) => String(a[1]).localeCompare(String(b[1])));
}

/** Per capture and kind: the batch's value counts summed over its minutes (rollup_value_total). */
export function valueTotals(val: readonly RollV[]): RollV[] {
  const m = new Map<string, RollV>();
  for (const [, kind, value, n] of val) {
    const k = kind + '\0' + value, x = m.get(k);
    if (x) x[3] += n; else m.set(k, [0, kind, value, n]);
  }
  return [...m.values()].sort((a, b) => a[1] - b[1] || (a[2] < b[2] ? -1 : a[2] > b[2] ? 1 : 0));
}

const col = <T, K extends keyof T>(rows: T[], k: K): T[K][] => rows.map((r) => r[k]);

export class Store {
  private partitions = new Set<number>();

  constructor(readonly db: Db) {}

  async capture(id: number): Promise<CaptureRow | null> {
    const r = await this.db.query<CaptureRow>('SELECT * FROM captures WHERE id = $1', [id]);
    return r.rows[0] ? normCapture(r.rows[0]) : null;
  }

  async captures(): Promise<CaptureRow[]> {
    return (await this.db.query<CaptureRow>('SELECT * FROM captures ORDER BY id')).rows.map(normCapture);
  }

  /**
   * The capture a file (by sha256) is stored as, or a new one in state 'importing' — decided under a lock, so
   * two processes given the same file at once share one capture (their batches then land once each).
   */
  async claimCapture(c: { name: string; source: string; sha256: string; size: number | null; force: boolean }): Promise<{ capture: CaptureRow; created: boolean }> {
    return this.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [0x706b7463, c.sha256]);
      if (!c.force) {
        const r = await tx.query<CaptureRow>('SELECT * FROM captures WHERE sha256 = $1 ORDER BY id DESC LIMIT 1', [c.sha256]);
        if (r.rows[0]) return { capture: normCapture(r.rows[0]), created: false };
      }
      const r = await tx.query<CaptureRow>(
        `INSERT INTO captures (name, source, sha256, size_bytes, state) VALUES ($1, $2, $3, $4, 'importing') RETURNING *`,
        [c.name, c.source, c.sha256, c.size],
      );
      return { capture: normCapture(r.rows[0]), created: true };
    });
  }

  async createCapture(c: { name: string; source: string; sha256?: string | null; size?: number | null; state: CaptureState }): Promise<number> {
    const r = await this.db.query<{ id: string }>(
      'INSERT INTO captures (name, source, sha256, size_bytes, state) VALUES ($1, $2, $3, $4, $5) RETURNING id',
      [c.name, c.source, c.sha256 ?? null, c.size ?? null, c.state],
    );
    return Number(r.rows[0].id);
  }

  async setCaptureState(id: number, state: CaptureState, report?: Record<string, unknown>, linkTypes?: number[]): Promise<void> {
    await this.db.query(
      `UPDATE captures SET state = $2, report = COALESCE($3::jsonb, report), link_types = COALESCE($4::integer[], link_types), updated_at = now() WHERE id = $1`,
      [id, state, report ? JSON.stringify(report) : null, linkTypes ?? null],
    );
  }

  /** Sequence numbers of the batches already stored for a capture (to resume an interrupted import). */
  async storedBatches(captureId: number): Promise<Set<number>> {
    const r = await this.db.query<{ seq: string }>('SELECT seq FROM ingest_batches WHERE capture_id = $1', [captureId]);
    return new Set(r.rows.map((x) => Number(x.seq)));
  }

  /** Write a batch exactly once: 'duplicate' when (capture, seq) was already stored. */
  async writeBatch(b: Batch): Promise<'written' | 'duplicate'> {
    if (b.records.length === 0) return 'written';
    const e = new BatchEncoder(b.captureId);
    for (const r of b.records) e.add(r);
    return this.writeEncoded(b.captureId, b.seq, e.finish(), b.flows);
  }

  /** Write an encoded batch and its flow updates in one transaction that also records (capture, seq). */
  async writeEncoded(captureId: number, seq: number, e: EncodedBatch, flows: FlowUpdate[]): Promise<'written' | 'duplicate'> {
    try {
      return await this.writeOnce(captureId, seq, e, flows);
    } catch (err) {
      // a day partition this process remembered was dropped meanwhile (retention in another process): forget and retry
      if ((err as { code?: string }).code !== '23514' || !e.days.some((x) => this.partitions.has(x))) throw err;
      for (const x of e.days) this.partitions.delete(x);
      return this.writeOnce(captureId, seq, e, flows);
    }
  }

  private async writeOnce(captureId: number, seq: number, e: EncodedBatch, flows: FlowUpdate[]): Promise<'written' | 'duplicate'> {
    if (e.packets === 0) return 'written';
    const newDays = e.days.filter((x) => !this.partitions.has(x));
    const res = await this.db.transaction(async (tx) => {
      const ins = await tx.query(
        'INSERT INTO ingest_batches (capture_id, seq, first_frame, last_frame, packets) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING',
        [captureId, seq, e.firstFrame, e.lastFrame, e.packets],
      );
      if (ins.rowCount === 0) return 'duplicate' as const;
      for (const day of newDays) await ensurePartition(tx, day);
      await tx.copyBinary('packets', PACKET_COLUMNS, e.payload);
      const newFlows = flows.length ? await upsertFlows(tx, captureId, flows) : 0;
      if (flows.length) await upsertEndpointPorts(tx, flows);
      await upsertRollups(tx, captureId, e.rollups);
      if (e.anomalies.length) {
        const an = e.anomalies;
        await tx.query(
          'INSERT INTO anomalies (capture_id, frame, ts, name) SELECT $1, f, to_timestamp(t), n FROM unnest($2::bigint[], $3::float8[], $4::text[]) AS u(f, t, n)',
          [captureId, an.map((a) => a[0]), an.map((a) => a[1]), an.map((a) => a[2])],
        );
      }
      await tx.query(
        `UPDATE captures SET packets = packets + $2, bytes = bytes + $3, flows = flows + $6, first_ts = LEAST(first_ts, to_timestamp($4)),
           last_ts = GREATEST(last_ts, to_timestamp($5)), updated_at = now() WHERE id = $1`,
        [captureId, e.packets, e.bytes, e.firstTs, e.lastTs, newFlows],
      );
      return 'written' as const;
    });
    for (const d of newDays) this.partitions.add(d);
    return res;
  }

  /** Drop packet partitions (and rollup/anomaly rows) wholly older than `days` days. Returns the partitions dropped. */
  async applyRetention(days: number, now = Date.now() / 1000): Promise<string[]> {
    const cutoff = Math.floor((now - days * DAY) / DAY); // first day kept
    const dropped: string[] = [];
    for (const { name, day } of await packetPartitions(this.db)) {
      if (day < cutoff) {
        await this.db.query(`DROP TABLE IF EXISTS ${name}`); // name matched ^packets_p[0-9]{8}$ above
        this.partitions.delete(day);
        dropped.push(name);
      }
    }
    const since = [cutoff * DAY];
    await this.db.query('DELETE FROM rollup_protocol WHERE minute < to_timestamp($1)', since);
    await this.db.query('DELETE FROM rollup_endpoint WHERE minute < to_timestamp($1)', since);
    await this.db.query('DELETE FROM rollup_port WHERE minute < to_timestamp($1)', since);
    await this.db.query('DELETE FROM rollup_hierarchy WHERE minute < to_timestamp($1)', since);
    await this.db.query('DELETE FROM rollup_value WHERE minute < to_timestamp($1)', since);
    await this.db.query('DELETE FROM rollup_second WHERE second < $1', since);
    await this.db.query('DELETE FROM anomalies WHERE ts < to_timestamp($1)', since);
    // the per-capture totals of captures that lost packets: made again from what is left
    await this.db.transaction(async (tx) => {
      const cut = `SELECT id FROM captures WHERE first_ts < to_timestamp($1)`;
      await tx.query(`DELETE FROM rollup_value_total WHERE capture_id IN (${cut})`, since);
      await tx.query(
        `INSERT INTO rollup_value_total SELECT capture_id, kind, value, sum(count) FROM rollup_value WHERE capture_id IN (${cut}) GROUP BY 1, 2, 3`,
        since,
      );
      await tx.query(`DELETE FROM rollup_endpoint_total WHERE capture_id IN (${cut})`, since);
      await tx.query(
        `INSERT INTO rollup_endpoint_total SELECT capture_id, ip, sum(packets_sent), sum(bytes_sent), sum(packets_recv), sum(bytes_recv)
         FROM rollup_endpoint WHERE capture_id IN (${cut}) GROUP BY 1, 2`,
        since,
      );
      await tx.query(`DELETE FROM rollup_conv WHERE capture_id IN (${cut})`, since);
      await tx.query(`INSERT INTO rollup_conv ${CONV_FROM_PACKETS} AND capture_id IN (${cut}) GROUP BY 1, 2, 3`, since);
      await rebuildAllCaptures(tx);
    });
    return dropped;
  }

  /**
   * Remove a capture and everything stored for it, in one transaction; false when there is no such capture.
   * Packets are partitioned by day: only the partitions of the capture's days are visited (from first_ts/last_ts, a
   * day either side for rounding), each through its (capture_id, frame) index; a partition that holds no other
   * capture's packets is emptied with TRUNCATE instead of row by row (locking out writers, not readers, while it
   * checks). Other tables are deleted from by their capture_id indexes.
   */
  async deleteCapture(id: number): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const c = await tx.query<{ d0: string | null; d1: string | null }>(
        `SELECT floor(extract(epoch FROM first_ts) / ${DAY})::bigint AS d0, floor(extract(epoch FROM last_ts) / ${DAY})::bigint AS d1
         FROM captures WHERE id = $1 FOR UPDATE`,
        [id],
      );
      const row = c.rows[0];
      if (!row) return false;
      if (row.d0 === null || row.d1 === null) {
        await tx.query('DELETE FROM packets WHERE capture_id = $1', [id]); // no batch recorded a time: nothing to prune by
      } else {
        const d0 = Number(row.d0) - 1, d1 = Number(row.d1) + 1;
        for (const { name, day } of await packetPartitions(tx)) {
          if (day < d0 || day > d1) continue;
          await tx.query(`LOCK TABLE ${name} IN SHARE ROW EXCLUSIVE MODE`); // name matched ^packets_p[0-9]{8}$
          // min and max are read from the (capture_id, frame) index whatever the planner's statistics say
          const o = await tx.query<{ lo: string | null; hi: string | null }>(`SELECT min(capture_id) AS lo, max(capture_id) AS hi FROM ${name}`);
          const { lo, hi } = o.rows[0];
          if (lo === null || hi === null) continue;
          if (Number(lo) !== id || Number(hi) !== id) await tx.query(`DELETE FROM ${name} WHERE capture_id = $1`, [id]);
          else await tx.query(`TRUNCATE ${name}`);
        }
      }
      await forgetInAllCaptures(tx, id);
      for (const t of ROLLUP_TABLES) {
        await tx.query(`DELETE FROM ${t} WHERE capture_id = $1`, [id]);
      }
      await tx.query('DELETE FROM captures WHERE id = $1', [id]);
      return true;
    });
  }
}

/** The all-captures tables, in the order batches first write them (and deletion locks them: no deadlock). */
const ALL_TABLES = 'rollup_endpoint_port_all, rollup_value_all, rollup_conv_all';

/** Endpoints (proto, address, port) of the flows table, from both sides; append `WHERE …` inside via `where`. */
const endpointPortsOfFlows = (where: string): string => `SELECT ip_proto, ip, port, sum(ps) AS ps, sum(bs) AS bs, sum(pr) AS pr, sum(br) AS br FROM (
    SELECT ip_proto, client_ip AS ip, client_port AS port, packets_c2s AS ps, bytes_c2s AS bs, packets_s2c AS pr, bytes_s2c AS br FROM flows WHERE ${where}
    UNION ALL
    SELECT ip_proto, server_ip, server_port, packets_s2c, bytes_s2c, packets_c2s, bytes_c2s FROM flows WHERE ${where}) e
  WHERE ip IS NOT NULL AND port IS NOT NULL GROUP BY 1, 2, 3`;

/** rollup_conv_all's rows of the address pairs selected by `where` over rollup_conv (aliased c). */
const convAllOf = (where: string): string => `SELECT c.lo, c.hi, sum(c.packets_lh), sum(c.bytes_lh), sum(c.packets_hl), sum(c.bytes_hl),
    min(c.capture_id * 4294967296 + c.first_lh), min(c.capture_id * 4294967296 + c.first_hl), min(c.first_ns), max(c.last_ns)
  FROM rollup_conv c WHERE ${where} GROUP BY c.lo, c.hi`;

/** Take capture `id` out of the all-captures tables (before its own rows are deleted). */
async function forgetInAllCaptures(tx: Tx, id: number): Promise<void> {
  await tx.query(`LOCK TABLE ${ALL_TABLES} IN SHARE ROW EXCLUSIVE MODE`);
  // sums: subtracted
  await tx.query(
    `UPDATE rollup_endpoint_port_all a SET packets_sent = a.packets_sent - e.ps, bytes_sent = a.bytes_sent - e.bs,
       packets_recv = a.packets_recv - e.pr, bytes_recv = a.bytes_recv - e.br
     FROM (${endpointPortsOfFlows('capture_id = $1')}) e WHERE a.ip_proto = e.ip_proto AND a.ip = e.ip AND a.port = e.port`,
    [id],
  );
  await tx.query('DELETE FROM rollup_endpoint_port_all WHERE packets_sent = 0 AND packets_recv = 0');
  await tx.query(
    `UPDATE rollup_value_all a SET count = a.count - t.count FROM rollup_value_total t WHERE t.capture_id = $1 AND a.kind = t.kind AND a.value = t.value`,
    [id],
  );
  await tx.query('DELETE FROM rollup_value_all WHERE count = 0');
  // first/last (min/max) cannot be subtracted: the capture's address pairs are made again from the other captures
  await tx.query('DELETE FROM rollup_conv_all a USING rollup_conv c WHERE c.capture_id = $1 AND a.lo = c.lo AND a.hi = c.hi', [id]);
  await tx.query(
    `INSERT INTO rollup_conv_all ${convAllOf('c.capture_id <> $1 AND (c.lo, c.hi) IN (SELECT x.lo, x.hi FROM rollup_conv x WHERE x.capture_id = $1)')}`,
    [id],
  );
}

/** Make the all-captures tables again from the per-capture ones (after retention cut captures). */
async function rebuildAllCaptures(tx: Tx): Promise<void> {
  await tx.query(`LOCK TABLE ${ALL_TABLES} IN SHARE ROW EXCLUSIVE MODE`);
  await tx.query('DELETE FROM rollup_endpoint_port_all');
  await tx.query(`INSERT INTO rollup_endpoint_port_all ${endpointPortsOfFlows('TRUE')}`);
  await tx.query('DELETE FROM rollup_value_all');
  await tx.query('INSERT INTO rollup_value_all SELECT kind, value, sum(count) FROM rollup_value_total GROUP BY 1, 2');
  await tx.query('DELETE FROM rollup_conv_all');
  await tx.query(`INSERT INTO rollup_conv_all ${convAllOf('TRUE')}`);
}

/** Every table besides packets and captures that holds rows of a capture (by capture_id). */
export const ROLLUP_TABLES = ['flows', 'rollup_protocol', 'rollup_endpoint', 'rollup_port', 'rollup_hierarchy', 'rollup_value',
  'rollup_value_total', 'rollup_endpoint_total', 'rollup_second', 'rollup_conv', 'ingest_batches', 'anomalies'] as const;

/** rollup_conv's rows made from stored packets (append `AND …` and `GROUP BY 1, 2, 3`); the same sums as RollupAccumulator. */
export const CONV_FROM_PACKETS = `SELECT capture_id, least(src_ip, dst_ip), greatest(src_ip, dst_ip),
    count(*) FILTER (WHERE src_ip <= dst_ip), coalesce(sum(len) FILTER (WHERE src_ip <= dst_ip), 0),
    count(*) FILTER (WHERE src_ip > dst_ip), coalesce(sum(len) FILTER (WHERE src_ip > dst_ip), 0),
    min(frame) FILTER (WHERE src_ip <= dst_ip), min(frame) FILTER (WHERE src_ip > dst_ip), min(ts_ns), max(ts_ns)
  FROM packets WHERE src_ip IS NOT NULL AND dst_ip IS NOT NULL`;

/** The day partitions of `packets` (packets_pYYYYMMDD) and their day numbers (days since the epoch). */
async function packetPartitions(q: Tx): Promise<{ name: string; day: number }[]> {
  const r = await q.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
     WHERE p.relname = 'packets' AND c.relname ~ '^packets_p[0-9]{8}$'`,
  );
  return r.rows.map(({ name }) => {
    const d = name.slice(9);
    return { name, day: Date.UTC(+d.slice(0, 4), +d.slice(4, 6) - 1, +d.slice(6, 8)) / 1000 / DAY };
  });
}

function normCapture(r: CaptureRow): CaptureRow {
  return { ...r, id: Number(r.id), packets: Number(r.packets), bytes: Number(r.bytes), flows: Number(r.flows ?? 0), size_bytes: r.size_bytes === null ? null : Number(r.size_bytes) };
}

function dayName(day: number): [string, string, string] {
  const a = new Date(day * DAY * 1000), b = new Date((day + 1) * DAY * 1000);
  const iso = (x: Date) => x.toISOString().slice(0, 10);
  return [`packets_p${iso(a).replace(/-/g, '')}`, iso(a), iso(b)];
}

export async function ensurePartition(tx: Tx, day: number): Promise<void> {
  const [name, from, to] = dayName(day);
  // several writers may meet the same new day: one creates, the others wait and find it there
  await tx.query('SELECT pg_advisory_xact_lock($1, $2)', [0x706b7470, day]);
  await tx.query(`CREATE TABLE IF NOT EXISTS ${name} PARTITION OF packets FOR VALUES FROM ('${from} 00:00:00+00') TO ('${to} 00:00:00+00')`);
}

/**
 * TCP/UDP endpoints over all captures (rollup_endpoint_port_all) from the batch's flow deltas: the client's address
 * and port sent c2s and received s2c, the server's the other way round — the flows table's own sums, by endpoint.
 */
export function endpointPortDeltas(fl: readonly FlowUpdate[]): [proto: number, ip: string, port: number, ps: number, bs: number, pr: number, br: number][] {
  const m = new Map<string, [number, string, number, number, number, number, number]>();
  const add = (proto: number, ip: string | null, port: number | null, ps: number, bs: number, pr: number, br: number) => {
    if (ip === null || port === null || (ps === 0 && pr === 0)) return;
    const k = `${proto} ${ip} ${port}`, x = m.get(k);
    if (x) { x[3] += ps; x[4] += bs; x[5] += pr; x[6] += br; } else m.set(k, [proto, ip, port, ps, bs, pr, br]);
  };
  for (const f of fl) {
    add(f.ipProto, f.clientIp, f.clientPort, f.dPktsC2s, f.dBytesC2s, f.dPktsS2c, f.dBytesS2c);
    add(f.ipProto, f.serverIp, f.serverPort, f.dPktsS2c, f.dBytesS2c, f.dPktsC2s, f.dBytesC2s);
  }
  // one order for every writer (rows locked in the same order: no deadlock between concurrent batches)
  return [...m.values()].sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0) || a[2] - b[2]);
}

async function upsertEndpointPorts(tx: Tx, fl: readonly FlowUpdate[]): Promise<void> {
  const rows = endpointPortDeltas(fl);
  if (!rows.length) return;
  const c = (i: number) => rows.map((x) => x[i]);
  await tx.query(
    `INSERT INTO rollup_endpoint_port_all AS r (ip_proto, ip, port, packets_sent, bytes_sent, packets_recv, bytes_recv)
     SELECT pr, ip, po, a, b, c, d FROM unnest($1::smallint[], $2::inet[], $3::integer[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[]) AS u(pr, ip, po, a, b, c, d)
     ON CONFLICT (ip_proto, ip, port) DO UPDATE SET packets_sent = r.packets_sent + EXCLUDED.packets_sent, bytes_sent = r.bytes_sent + EXCLUDED.bytes_sent,
       packets_recv = r.packets_recv + EXCLUDED.packets_recv, bytes_recv = r.bytes_recv + EXCLUDED.bytes_recv`,
    [c(0), c(1), c(2), c(3), c(4), c(5), c(6)],
  );
}

/** Insert or update the batch's flows; returns how many are new (inserted rather than updated). */
async function upsertFlows(tx: Tx, captureId: number, fl: FlowUpdate[]): Promise<number> {
  const rows = [...fl].sort((a, b) => a.ipProto - b.ipProto || a.stream - b.stream);
  const r = await tx.query<{ n: string }>(
    `WITH up AS (
     INSERT INTO flows AS f (capture_id, ip_proto, stream, client_ip, server_ip, client_port, server_port, first_ts, last_ts,
       packets_c2s, packets_s2c, bytes_c2s, bytes_s2c, syn, syn_ack, fin, rst, tcp_state, app, app_by, server_name, last_frame)
     SELECT $1, u.p, u.s, u.ci, u.si, u.cp, u.sp, to_timestamp(u.ft), to_timestamp(u.lt), u.a, u.b, u.c, u.d, u.syn, u.sa, u.fin, u.rst, u.st, u.app, u.by, u.sn, u.lf
     FROM unnest($2::smallint[], $3::bigint[], $4::inet[], $5::inet[], $6::integer[], $7::integer[], $8::float8[], $9::float8[],
                 $10::bigint[], $11::bigint[], $12::bigint[], $13::bigint[], $14::boolean[], $15::boolean[], $16::boolean[], $17::boolean[],
                 $18::text[], $19::text[], $20::text[], $21::text[], $22::bigint[])
       AS u(p, s, ci, si, cp, sp, ft, lt, a, b, c, d, syn, sa, fin, rst, st, app, by, sn, lf)
     ON CONFLICT (capture_id, ip_proto, stream) DO UPDATE SET
       last_ts = GREATEST(f.last_ts, EXCLUDED.last_ts),
       packets_c2s = f.packets_c2s + EXCLUDED.packets_c2s, packets_s2c = f.packets_s2c + EXCLUDED.packets_s2c,
       bytes_c2s = f.bytes_c2s + EXCLUDED.bytes_c2s, bytes_s2c = f.bytes_s2c + EXCLUDED.bytes_s2c,
       syn = f.syn OR EXCLUDED.syn, syn_ack = f.syn_ack OR EXCLUDED.syn_ack, fin = f.fin OR EXCLUDED.fin, rst = f.rst OR EXCLUDED.rst,
       -- concurrent batches (and a resumed import) may commit out of order: state only moves forward, by frame number
       tcp_state = CASE WHEN EXCLUDED.last_frame > f.last_frame THEN COALESCE(EXCLUDED.tcp_state, f.tcp_state) ELSE COALESCE(f.tcp_state, EXCLUDED.tcp_state) END,
       app = CASE WHEN EXCLUDED.last_frame > f.last_frame THEN COALESCE(EXCLUDED.app, f.app) ELSE COALESCE(f.app, EXCLUDED.app) END,
       app_by = CASE WHEN EXCLUDED.last_frame > f.last_frame THEN COALESCE(EXCLUDED.app_by, f.app_by) ELSE COALESCE(f.app_by, EXCLUDED.app_by) END,
       server_name = CASE WHEN EXCLUDED.last_frame > f.last_frame THEN COALESCE(EXCLUDED.server_name, f.server_name) ELSE COALESCE(f.server_name, EXCLUDED.server_name) END,
       last_frame = GREATEST(f.last_frame, EXCLUDED.last_frame)
     RETURNING (xmax = 0) AS inserted)
     SELECT count(*) FILTER (WHERE inserted) AS n FROM up`,
    [captureId, col(rows, 'ipProto'), col(rows, 'stream'), col(rows, 'clientIp'), col(rows, 'serverIp'), col(rows, 'clientPort'),
      col(rows, 'serverPort'), col(rows, 'firstSec'), col(rows, 'lastSec'), col(rows, 'dPktsC2s'), col(rows, 'dPktsS2c'),
      col(rows, 'dBytesC2s'), col(rows, 'dBytesS2c'), col(rows, 'syn'), col(rows, 'synAck'), col(rows, 'fin'), col(rows, 'rst'),
      col(rows, 'tcpState'), col(rows, 'app'), col(rows, 'appBy'), col(rows, 'serverName'), col(rows, 'lastFrame')],
  );
  return Number(r.rows[0].n);
}

async function upsertRollups(tx: Tx, id: number, r: Rollups): Promise<void> {
  const c = <T extends unknown[]>(rows: T[], i: number) => rows.map((x) => x[i]);
  // per-minute packets and bytes by one text key: protocol (Protocol column) and protocols (frame.protocols)
  for (const [table, key, rows] of [['rollup_protocol', 'protocol', r.proto], ['rollup_hierarchy', 'protocols', r.hier]] as const) {
    if (!rows.length) continue;
    await tx.query(
      `INSERT INTO ${table} AS r (capture_id, minute, ${key}, packets, bytes)
       SELECT $1, to_timestamp(m), p, n, b FROM unnest($2::float8[], $3::text[], $4::bigint[], $5::bigint[]) AS u(m, p, n, b)
       ON CONFLICT (capture_id, minute, ${key}) DO UPDATE SET packets = r.packets + EXCLUDED.packets, bytes = r.bytes + EXCLUDED.bytes`,
      [id, c(rows, 0), c(rows, 1), c(rows, 2), c(rows, 3)],
    );
  }
  if (r.val.length) {
    await tx.query(
      `INSERT INTO rollup_value AS r (capture_id, minute, kind, value, count)
       SELECT $1, to_timestamp(m), k, v, n FROM unnest($2::float8[], $3::smallint[], $4::text[], $5::bigint[]) AS u(m, k, v, n)
       ON CONFLICT (capture_id, minute, kind, value) DO UPDATE SET count = r.count + EXCLUDED.count`,
      [id, c(r.val, 0), c(r.val, 1), c(r.val, 2), c(r.val, 3)],
    );
  }
  if (r.val.length) {
    const t = valueTotals(r.val);
    await tx.query(
      `INSERT INTO rollup_value_total AS r (capture_id, kind, value, count)
       SELECT $1, k, v, n FROM unnest($2::smallint[], $3::text[], $4::bigint[]) AS u(k, v, n)
       ON CONFLICT (kind, capture_id, value) DO UPDATE SET count = r.count + EXCLUDED.count`,
      [id, c(t, 1), c(t, 2), c(t, 3)],
    );
    await tx.query(
      `INSERT INTO rollup_value_all AS r (kind, value, count)
       SELECT k, v, n FROM unnest($1::smallint[], $2::text[], $3::bigint[]) AS u(k, v, n)
       ON CONFLICT (kind, value) DO UPDATE SET count = r.count + EXCLUDED.count`,
      [c(t, 1), c(t, 2), c(t, 3)],
    );
  }
  if (r.sec.length) {
    await tx.query(
      `INSERT INTO rollup_second AS r (capture_id, second, packets, bytes)
       SELECT $1, s, n, b FROM unnest($2::bigint[], $3::bigint[], $4::bigint[]) AS u(s, n, b)
       ON CONFLICT (capture_id, second) DO UPDATE SET packets = r.packets + EXCLUDED.packets, bytes = r.bytes + EXCLUDED.bytes`,
      [id, c(r.sec, 0), c(r.sec, 1), c(r.sec, 2)],
    );
  }
  if (r.conv.length) {
    await tx.query(
      `INSERT INTO rollup_conv AS r (capture_id, lo, hi, packets_lh, bytes_lh, packets_hl, bytes_hl, first_lh, first_hl, first_ns, last_ns)
       SELECT $1, lo, hi, nlh, blh, nhl, bhl, flh, fhl, f, l
         FROM unnest($2::inet[], $3::inet[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[])
           AS u(lo, hi, nlh, blh, nhl, bhl, flh, fhl, f, l)
       ON CONFLICT (capture_id, lo, hi) DO UPDATE SET packets_lh = r.packets_lh + EXCLUDED.packets_lh, bytes_lh = r.bytes_lh + EXCLUDED.bytes_lh,
         packets_hl = r.packets_hl + EXCLUDED.packets_hl, bytes_hl = r.bytes_hl + EXCLUDED.bytes_hl,
         first_lh = LEAST(r.first_lh, EXCLUDED.first_lh), first_hl = LEAST(r.first_hl, EXCLUDED.first_hl),
         first_ns = LEAST(r.first_ns, EXCLUDED.first_ns), last_ns = GREATEST(r.last_ns, EXCLUDED.last_ns)`,
      [id, ...Array.from({ length: 10 }, (_, i) => c(r.conv, i))],
    );
    // over all captures: the first frames as capture_id * 2^32 + frame (captures in id order, then frames)
    await tx.query(
      `INSERT INTO rollup_conv_all AS r (lo, hi, packets_lh, bytes_lh, packets_hl, bytes_hl, first_lh, first_hl, first_ns, last_ns)
       SELECT lo, hi, nlh, blh, nhl, bhl, $1::bigint * 4294967296 + flh, $1::bigint * 4294967296 + fhl, f, l
         FROM unnest($2::inet[], $3::inet[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[])
           AS u(lo, hi, nlh, blh, nhl, bhl, flh, fhl, f, l)
       ON CONFLICT (lo, hi) DO UPDATE SET packets_lh = r.packets_lh + EXCLUDED.packets_lh, bytes_lh = r.bytes_lh + EXCLUDED.bytes_lh,
         packets_hl = r.packets_hl + EXCLUDED.packets_hl, bytes_hl = r.bytes_hl + EXCLUDED.bytes_hl,
         first_lh = LEAST(r.first_lh, EXCLUDED.first_lh), first_hl = LEAST(r.first_hl, EXCLUDED.first_hl),
         first_ns = LEAST(r.first_ns, EXCLUDED.first_ns), last_ns = GREATEST(r.last_ns, EXCLUDED.last_ns)`,
      [id, ...Array.from({ length: 10 }, (_, i) => c(r.conv, i))],
    );
  }
  if (r.ep.length) {
    const t = endpointTotals(r.ep);
    await tx.query(
      `INSERT INTO rollup_endpoint_total AS r (capture_id, ip, packets_sent, bytes_sent, packets_recv, bytes_recv)
       SELECT $1, ip, ps, bs, pr, br FROM unnest($2::inet[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[]) AS u(ip, ps, bs, pr, br)
       ON CONFLICT (capture_id, ip) DO UPDATE SET packets_sent = r.packets_sent + EXCLUDED.packets_sent, bytes_sent = r.bytes_sent + EXCLUDED.bytes_sent,
         packets_recv = r.packets_recv + EXCLUDED.packets_recv, bytes_recv = r.bytes_recv + EXCLUDED.bytes_recv`,
      [id, c(t, 1), c(t, 2), c(t, 3), c(t, 4), c(t, 5)],
    );
    await tx.query(
      `INSERT INTO rollup_endpoint AS r (capture_id, minute, ip, packets_sent, bytes_sent, packets_recv, bytes_recv)
       SELECT $1, to_timestamp(m), ip, ps, bs, pr, br FROM unnest($2::float8[], $3::inet[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[]) AS u(m, ip, ps, bs, pr, br)
       ON CONFLICT (capture_id, minute, ip) DO UPDATE SET packets_sent = r.packets_sent + EXCLUDED.packets_sent, bytes_sent = r.bytes_sent + EXCLUDED.bytes_sent,
         packets_recv = r.packets_recv + EXCLUDED.packets_recv, bytes_recv = r.bytes_recv + EXCLUDED.bytes_recv`,
      [id, c(r.ep, 0), c(r.ep, 1), c(r.ep, 2), c(r.ep, 3), c(r.ep, 4), c(r.ep, 5)],
    );
  }
  if (r.port.length) {
    await tx.query(
      `INSERT INTO rollup_port AS r (capture_id, minute, ip_proto, port, packets, bytes)
       SELECT $1, to_timestamp(m), pr, po, n, b FROM unnest($2::float8[], $3::smallint[], $4::integer[], $5::bigint[], $6::bigint[]) AS u(m, pr, po, n, b)
       ON CONFLICT (capture_id, minute, ip_proto, port) DO UPDATE SET packets = r.packets + EXCLUDED.packets, bytes = r.bytes + EXCLUDED.bytes`,
      [id, c(r.port, 0), c(r.port, 1), c(r.port, 2), c(r.port, 3), c(r.port, 4)],
    );
  }
}
