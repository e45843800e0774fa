/**
 * A packets COPY payload that came from elsewhere (the Parser's binary /store body), checked before it reaches the
 * database and turned into the EncodedBatch the store writes: every row and field is walked against the table's
 * own column types (read from the catalog, so a column added later is known without a change here), and what the
 * same transaction updates besides the packets — counts, time span, day partitions, rollups — is computed here
 * from the rows themselves, so it always agrees with what is stored.
 *
 * A payload that would make COPY fail (or land in another capture) is refused with a PayloadError naming the row,
 * the column and what was wrong; nothing is written.
 */
import { isUtf8 } from 'node:buffer';
import type { Tx } from './db.js';
import { RollupAccumulator, type EncodedBatch } from './store.js';

export class PayloadError extends Error {}

const SIGNATURE = [0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00];
const PG_EPOCH = 946684800;
const DAY = 86400;
/** timestamps accepted: 1970-01-01 up to 9999-12-31 (day partitions are named by date) */
const TS_MIN_US = -PG_EPOCH * 1e6, TS_MAX_US = (253402300800 - PG_EPOCH) * 1e6;

export interface ColumnType {
  name: string;
  /** format_type() of the column, e.g. 'bigint', 'timestamp with time zone' */
  type: string;
  notNull: boolean;
}

const typeCache = new WeakMap<object, Map<string, Promise<ColumnType[]>>>();

/** The types of `columns` of `table`, from the catalog (once per database handle). */
export function columnTypes(db: Tx, table: string, columns: readonly string[]): Promise<ColumnType[]> {
  let m = typeCache.get(db);
  if (!m) typeCache.set(db, (m = new Map()));
  const key = `${table}(${columns.join(',')})`;
  let p = m.get(key);
  if (!p) {
    p = db.query<{ name: string; type: string; notnull: boolean }>(
      `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS notnull FROM pg_attribute a
       WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped`,
      [table],
    ).then((r) => {
      const by = new Map(r.rows.map((x) => [x.name, x]));
      return columns.map((c) => {
        const x = by.get(c);
        if (!x) throw new Error(`${table} has no column ${c}`);
        return { name: c, type: x.type, notNull: x.notnull };
      });
    });
    p.catch(() => m!.delete(key));
    m.set(key, p);
  }
  return p;
}

/** fixed lengths of the binary send formats */
const FIXED: Record<string, number> = { smallint: 2, integer: 4, bigint: 8, boolean: 1, 'timestamp with time zone': 8, macaddr: 6, real: 4, 'double precision': 8, date: 4 };

/**
 * Check a packets payload for capture `captureId` and compute its EncodedBatch. `anomalies` are [frame, name]
 * pairs; each frame must be one of the batch's.
 */
export function checkPacketPayload(payload: Uint8Array, cols: ColumnType[], captureId: number, anomalies: [number, string][]): EncodedBatch {
  const at = (name: string): number => {
    const i = cols.findIndex((c) => c.name === name);
    if (i < 0) throw new Error(`packets payload: no ${name} column`);
    return i;
  };
  const iCap = at('capture_id'), iFrame = at('frame'), iTs = at('ts'), iTsNs = at('ts_ns'), iLen = at('len'), iProto = at('protocol');
  // text and small-integer columns the hierarchy and value rollups count (see RollupAccumulator.add)
  const TEXT_ROLL = ['protocols', 'dns_name', 'http_host', 'http_method', 'http_user_agent', 'tls_sni', 'tls_ja3', 'tls_ja4'] as const;
  const INT_ROLL = ['dns_type', 'dns_rcode', 'http_status'] as const;
  const textAt = new Map<number, (typeof TEXT_ROLL)[number]>(TEXT_ROLL.map((c) => [at(c), c]));
  const intAt = new Map<number, (typeof INT_ROLL)[number]>(INT_ROLL.map((c) => [at(c), c]));
  const iSrc = at('src_ip'), iDst = at('dst_ip'), iIpProto = at('ip_proto'), iSport = at('src_port'), iDport = at('dst_port');
  const ncol = cols.length;
  const fixed = cols.map((c) => FIXED[c.type] ?? -1);
  const kind = cols.map((c) => c.type);
  const b = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const end = b.length;
  let row = 0;
  const fail = (msg: string): never => {
    throw new PayloadError(`packets payload: ${msg}`);
  };
  if (end < 21 || SIGNATURE.some((x, i) => b[i] !== x)) fail('not a binary COPY payload (signature)');
  if (dv.getUint32(11) !== 0 || dv.getUint32(15) !== 0) fail('COPY header flags or extension not supported');

  const wanted = new Map<number, string[]>();
  for (const [f, name] of anomalies) {
    const l = wanted.get(f);
    if (l) l.push(name); else wanted.set(f, [name]);
  }
  const roll = new RollupAccumulator();
  const days = new Set<number>();
  const an: [number, number, string][] = [];
  let bytes = 0, firstFrame = 0, lastFrame = 0, firstTs = Infinity, lastTs = -Infinity;
  // the fields of the row being read that the rollups use
  const r = { frame: 0, tsSec: 0, tsNsec: 0, protocol: '', len: 0, srcIp: null as number | Uint8Array | null, dstIp: null as number | Uint8Array | null, srcPort: null as number | null, dstPort: null as number | null, ipProto: null as number | null,
    protocols: '', dns_name: null as string | null, http_host: null as string | null, http_method: null as string | null, http_user_agent: null as string | null,
    tls_sni: null as string | null, tls_ja3: null as string | null, tls_ja4: null as string | null,
    dns_type: null as number | null, dns_rcode: null as number | null, http_status: null as number | null,
    get dnsName() { return this.dns_name; }, get httpHost() { return this.http_host; }, get httpMethod() { return this.http_method; },
    get httpUserAgent() { return this.http_user_agent; }, get tlsSni() { return this.tls_sni; }, get tlsJa3() { return this.tls_ja3; },
    get tlsJa4() { return this.tls_ja4; }, get dnsType() { return this.dns_type; }, get dnsRcode() { return this.dns_rcode; },
    get httpStatus() { return this.http_status; } };
  let frame = 0;
  let o = 19;
  for (;;) {
    if (o + 2 > end) fail(`cut short before row ${row + 1}`);
    const nf = dv.getInt16(o);
    o += 2;
    if (nf === -1) break;
    row++;
    if (nf !== ncol) fail(`row ${row} has ${nf} fields, the packets table takes ${ncol} (${cols.map((c) => c.name).join(', ')})`);
    r.srcIp = r.dstIp = r.srcPort = r.dstPort = r.ipProto = null;
    r.protocols = '';
    r.dns_name = r.http_host = r.http_method = r.http_user_agent = r.tls_sni = r.tls_ja3 = r.tls_ja4 = null;
    r.dns_type = r.dns_rcode = r.http_status = null;
    for (let i = 0; i < ncol; i++) {
      if (o + 4 > end) fail(`row ${row} cut short at ${cols[i].name}`);
      const n = dv.getInt32(o);
      o += 4;
      if (n === -1) {
        if (cols[i].notNull) fail(`row ${row}: ${cols[i].name} is NULL`);
        continue;
      }
      if (n < 0 || o + n > end) fail(`row ${row}: ${cols[i].name} of ${n} bytes runs past the end`);
      if (fixed[i] >= 0 && n !== fixed[i]) fail(`row ${row}: ${cols[i].name} (${kind[i]}) has ${n} bytes, not ${fixed[i]}`);
      switch (kind[i]) {
        case 'text': {
          let ascii = true;
          for (let j = o, e = o + n; j < e; j++) {
            const c = b[j];
            if (c === 0) fail(`row ${row}: ${cols[i].name} contains a NUL byte`);
            if (c >= 0x80) ascii = false;
          }
          if (!ascii && !isUtf8(b.subarray(o, o + n))) fail(`row ${row}: ${cols[i].name} is not UTF-8`);
          break;
        }
        case 'inet': {
          const fam = b[o], bits = b[o + 1], nb = b[o + 3];
          const ok = b[o + 2] === 0 && ((fam === 2 && nb === 4 && n === 8 && bits <= 32) || (fam === 3 && nb === 16 && n === 20 && bits <= 128));
          if (!ok) fail(`row ${row}: ${cols[i].name} is not an inet value`);
          break;
        }
        case 'timestamp with time zone': {
          const us = dv.getInt32(o) * 4294967296 + dv.getUint32(o + 4);
          if (!(us >= TS_MIN_US && us < TS_MAX_US)) fail(`row ${row}: ${cols[i].name} out of range (1970 to 9999)`);
          break;
        }
      }
      if (i === iCap) {
        const v = dv.getInt32(o) * 4294967296 + dv.getUint32(o + 4);
        if (v !== captureId) fail(`row ${row}: capture_id ${v}, the batch is for capture ${captureId}`);
      } else if (i === iFrame) {
        frame = dv.getInt32(o) * 4294967296 + dv.getUint32(o + 4);
        if (!(frame >= 1 && Number.isSafeInteger(frame))) fail(`row ${row}: frame ${frame} (frames are numbered from 1)`);
      } else if (i === iTs) {
        const us = dv.getInt32(o) * 4294967296 + dv.getUint32(o + 4);
        days.add(Math.floor((Math.floor(us / 1e6) + PG_EPOCH) / DAY));
      } else if (i === iTsNs) {
        const ns = dv.getBigInt64(o);
        if (ns < 0n) fail(`row ${row}: ts_ns is negative`);
        r.tsSec = Number(ns / 1_000_000_000n);
        r.tsNsec = Number(ns % 1_000_000_000n);
      } else if (i === iLen) {
        r.len = dv.getInt32(o);
        if (r.len < 0) fail(`row ${row}: len is negative`);
      } else if (i === iProto) r.protocol = b.toString('utf8', o, o + n);
      else if (i === iSrc || i === iDst) {
        const v = n === 8 ? dv.getUint32(o + 4) : new Uint8Array(b.subarray(o + 4, o + 20));
        if (i === iSrc) r.srcIp = v; else r.dstIp = v;
      } else if (i === iIpProto) r.ipProto = dv.getInt16(o);
      else if (i === iSport) r.srcPort = dv.getInt32(o);
      else if (i === iDport) r.dstPort = dv.getInt32(o);
      else if (textAt.has(i)) r[textAt.get(i)!] = b.toString('utf8', o, o + n);
      else if (intAt.has(i)) r[intAt.get(i)!] = n === 2 ? dv.getInt16(o) : n === 4 ? dv.getInt32(o) : null;
      o += n;
    }
    if (row === 1) firstFrame = frame;
    lastFrame = frame;
    bytes += r.len;
    const t = r.tsSec + r.tsNsec / 1e9;
    if (t < firstTs) firstTs = t;
    if (t > lastTs) lastTs = t;
    const names = wanted.get(frame);
    if (names) {
      for (const a of names) an.push([frame, t, a]);
      wanted.delete(frame);
    }
    r.frame = frame;
    roll.add(r);
  }
  if (o !== end) fail(`${end - o} bytes after the trailer`);
  if (wanted.size) fail(`anomalies name frame ${wanted.keys().next().value}, which is not in the batch`);
  return {
    payload, packets: row, bytes, firstFrame, lastFrame, firstTs, lastTs,
    days: [...days].sort((a, b) => a - b), rollups: roll.result(), anomalies: an,
  };
}
