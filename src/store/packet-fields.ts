/**
 * What the packets table keeps of every catalog field, so that any display filter can be answered exactly in SQL
 * (src/filter/sql.ts reads this module to know where each field lives):
 *
 * - `fields jsonb`: every field occurrence of the packet, by catalog name; one occurrence is a scalar, several an
 *   array (jsonpath's lax `$."name"[*]` reads both). Values: numbers as numbers (uint, int, float, time; bool as 0/1;
 *   IPv4 as its uint32, so that ordering and CIDR are numeric ranges); IPv6 as 32 lower-case hex digits and MAC as 12
 *   (fixed width: text order is address order, a CIDR is a text range; `decode(x, 'hex')` gives the bytes); strings as
 *   strings; bytes as "@OFF+LEN" when they are the frame's own bytes at that offset (read from `data` by
 *   pktlens_bytes(data, ref)), else as hex (reassembled PDUs).
 *   A protocol (type 'none') holds its layers' bytes as "@OFF+LEN" (`tcp contains "GET"` searches them);
 *   frame.time_relative is in integer nanoseconds.
 * - `tags text[]` (GIN-indexed): the presence of every protocol/marker field (type 'none', e.g. `tcp`, `dns`,
 *   `tcp.analysis.retransmission`) as its name, and for the fields filters search most (addresses, ports, Protocol
 *   column, DNS query name, HTTP host, TLS SNI) one `name=value` per distinct value, in the text `decode -T fields`
 *   prints. Exact: a value longer than MAX_TAG_VALUE is left out of the tags (only the jsonb holds it).
 * - columns: frame.number, frame.len, frame.cap_len, frame.interface_id, frame.link_type, frame.time_epoch (ts_ns),
 *   frame.protocols, _ws.col.Protocol and _ws.col.Info are the packet's own columns and are not repeated.
 * - unions: ip.addr, ipv6.addr, eth.addr, tcp.port and udp.port are exactly their src and dst occurrences together
 *   (as every decoder adds them), so they are not stored: a filter on them reads the two halves.
 */
import { FIELDS, fid, type FieldDef } from '../fields/catalog.js';
import { ipv4, ipv6, mac } from '../fields/format.js';
import type { Dissection } from '../dissect/dissection.js';

/** The longest value written into a tag; longer ones are filtered through the jsonb only. */
export const MAX_TAG_VALUE = 200;

/** Fields answered from the packet's own columns (SQL column name and how it compares). */
export const COLUMN_FIELDS: Readonly<Record<string, { col: string; kind: 'num' | 'text' | 'epoch' }>> = {
  'frame.number': { col: 'frame', kind: 'num' },
  'frame.len': { col: 'len', kind: 'num' },
  'frame.cap_len': { col: 'caplen', kind: 'num' },
  'frame.interface_id': { col: 'iface', kind: 'num' },
  'frame.link_type': { col: 'linktype', kind: 'num' },
  'frame.time_epoch': { col: 'ts_ns', kind: 'epoch' },
  'frame.protocols': { col: 'protocols', kind: 'text' },
  '_ws.col.Protocol': { col: 'protocol', kind: 'text' },
  '_ws.col.Info': { col: 'summary', kind: 'text' },
};

/** Fields that are exactly the union of two others' occurrences. */
export const UNION_FIELDS: Readonly<Record<string, readonly [string, string]>> = {
  'ip.addr': ['ip.src', 'ip.dst'],
  'ipv6.addr': ['ipv6.src', 'ipv6.dst'],
  'eth.addr': ['eth.src', 'eth.dst'],
  'tcp.port': ['tcp.srcport', 'tcp.dstport'],
  'udp.port': ['udp.srcport', 'udp.dstport'],
};

/** Fields whose values are also tags (`name=value`). */
export const TAGGED_FIELDS: ReadonlySet<string> = new Set([
  'ip.src', 'ip.dst', 'ipv6.src', 'ipv6.dst', 'eth.src', 'eth.dst', 'tcp.srcport', 'tcp.dstport', 'udp.srcport', 'udp.dstport',
  'dns.qry.name', 'http.host', 'tls.handshake.extensions_server_name', '_ws.col.Protocol',
]);
/** Tagged fields whose presence is a tag too (their name), so that contains/matches on them start from the index. */
export const PRESENCE_TAGGED: ReadonlySet<string> = new Set(['dns.qry.name', 'http.host', 'tls.handshake.extensions_server_name']);

/** Where a field lives. */
export type Storage =
  | { kind: 'always' } // `frame`: every packet
  | { kind: 'column'; col: string; type: 'num' | 'text' | 'epoch' }
  | { kind: 'union'; parts: readonly [FieldDef, FieldDef] }
  | { kind: 'tag' } // presence only ('none' fields)
  | { kind: 'json'; tagged: boolean };

export function storageOf(f: FieldDef): Storage {
  if (f.name === 'frame') return { kind: 'always' };
  const c = COLUMN_FIELDS[f.name];
  if (c) return { kind: 'column', col: c.col, type: c.kind };
  const u = UNION_FIELDS[f.name];
  if (u) return { kind: 'union', parts: [FIELDS[fid(u[0])], FIELDS[fid(u[1])]] };
  if (f.type === 'none') return { kind: 'tag' };
  return { kind: 'json', tagged: TAGGED_FIELDS.has(f.name) };
}

/** The tag of a field's value, or null when the value is not tagged (too long, or not representable). */
export function tagOf(f: FieldDef, v: unknown): string | null {
  let s: string;
  switch (f.type) {
    case 'ipv4': s = ipv4(v as number); break;
    case 'ipv6': s = ipv6(v as Uint8Array); break;
    case 'mac': s = mac(v as Uint8Array); break;
    case 'string':
      s = v as string;
      if (s.length > MAX_TAG_VALUE || s.includes('\0') || !wellFormed(s)) return null;
      break;
    case 'uint': case 'int': s = String(v); break;
    default: return null;
  }
  return `${f.name}=${s}`;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
export function hex(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += HEX[b[i]];
  return s;
}

/** A string as the jsonb keeps it: NUL (which jsonb cannot hold) and lone surrogates become U+FFFD. */
export function jsonString(s: string): string {
  if (s.includes('\0')) s = s.replace(/\0/g, '\ufffd');
  return wellFormed(s) ? s : (s as unknown as { toWellFormed(): string }).toWellFormed();
}

/** No lone UTF-16 surrogates (String.prototype.isWellFormed, Node 20; not in the ES2022 typings). */
function wellFormed(s: string): boolean {
  return (s as unknown as { isWellFormed(): boolean }).isWellFormed();
}

// per field id: 0 not in the jsonb, 1 jsonb value, 2 presence tag
const NF = FIELDS.length;
const KIND = new Uint8Array(NF);
const TAG_VALUE = new Uint8Array(NF);
const TAG_PRESENT = new Uint8Array(NF);
const KEY: string[] = FIELDS.map((f) => JSON.stringify(f.name) + ':');
for (const f of FIELDS) {
  const s = storageOf(f);
  KIND[f.id] = s.kind === 'json' ? 1 : s.kind === 'tag' ? 2 : 0;
  if (s.kind === 'json' && s.tagged) TAG_VALUE[f.id] = 1;
  if (PRESENCE_TAGGED.has(f.name)) TAG_PRESENT[f.id] = 1;
  if (!/^[A-Za-z0-9_.-]+$/.test(f.name)) throw new Error(`field catalog: ${f.name} cannot be a jsonb key in filters`);
}
const F_PROTOCOL = FIELDS[fid('_ws.col.Protocol')];
const F_REL = JSON.stringify('frame.time_relative') + ':';

function jsonValue(f: FieldDef, v: unknown, d: Dissection): string | null {
  switch (f.type) {
    case 'uint': case 'int': case 'float': case 'time':
      if (typeof v === 'bigint') return v.toString();
      return Number.isFinite(v) ? String(v) : null;
    case 'bool': return v ? '1' : '0';
    case 'ipv4': return String((v as number) >>> 0);
    case 'ipv6': case 'mac': return `"${hex(v as Uint8Array)}"`;
    case 'string': return JSON.stringify(jsonString(v as string));
    case 'bytes': {
      const b = v as Uint8Array, f0 = d.buf;
      if (b.buffer === f0.buffer && b.byteOffset >= f0.byteOffset && b.byteOffset + b.length <= f0.byteOffset + f0.length) {
        return `"@${b.byteOffset - f0.byteOffset}+${b.length}"`;
      }
      return `"${hex(b)}"`;
    }
    default: return null;
  }
}

const stamp = new Int32Array(NF);
let gen = 0;

/** The `fields` jsonb text and the `tags` of a dissected frame (read while the frame's buffer is valid). */
export function packetFields(d: Dissection): { fields: string; tags: string[] } {
  if (++gen === 0x7fffffff) { stamp.fill(0); gen = 1; }
  const tags: string[] = [];
  let out = '{';
  const n = d.n, fidA = d.fidA, vals = d.vals;
  let lastIp = -2; // index of the innermost IP layer, found when a protocol first needs it
  for (let i = 0; i < n; i++) {
    const f = fidA[i];
    const k = KIND[f];
    if (k === 0 || stamp[f] === gen) continue;
    stamp[f] = gen;
    const def = FIELDS[f];
    if (k === 2) {
      // a protocol: present (tag); its value for `contains`/`matches` is its bytes from the layer's start to the
      // end of the innermost IP datagram for it and the layers inside (Ethernet padding excluded), else the frame's
      // end — as the JS predicate (src/filter/js.ts) and tshark take it
      tags.push(def.name);
      if (lastIp === -2) {
        lastIp = -1;
        for (let l = 0; l < d.layerN; l++) if (d.layerName[l] === 'ip' || d.layerName[l] === 'ipv6') lastIp = l;
      }
      let cnt = 0, body = '';
      for (let j = i; j < n; j++) {
        const off = d.offA[j];
        if (fidA[j] !== f || off < 0) continue;
        const end = lastIp >= 0 && d.layA[j] >= lastIp && d.ipEnd > off ? Math.min(d.buf.length, d.ipEnd) : d.buf.length;
        const ref = `"@${off}+${Math.max(0, end - off)}"`;
        body += cnt++ ? ',' + ref : ref;
      }
      if (cnt) out += (out.length > 1 ? ',' : '') + KEY[f] + (cnt > 1 ? `[${body}]` : body);
      continue;
    }
    if (TAG_PRESENT[f]) tags.push(def.name);
    // this field's occurrences, from its first one on
    let cnt = 0, body = '';
    for (let j = i; j < n; j++) {
      if (fidA[j] !== f) continue;
      const jv = jsonValue(def, vals[j], d);
      if (jv === null) continue;
      body += cnt++ ? ',' + jv : jv;
      if (TAG_VALUE[f]) {
        const t = tagOf(def, vals[j]);
        if (t !== null && !tags.includes(t)) tags.push(t);
      }
    }
    if (cnt === 0) continue;
    out += (out.length > 1 ? ',' : '') + KEY[f] + (cnt > 1 ? `[${body}]` : body);
  }
  if (d.hasTs) out += (out.length > 1 ? ',' : '') + F_REL + String(Math.round(d.relTime * 1e9));
  const pt = tagOf(F_PROTOCOL, d.protocol);
  if (pt !== null) tags.push(pt);
  return { fields: out + '}', tags };
}
