/**
 * For servers that cannot take COPY FROM STDIN (PGlite's socket server, which serves the embedded database to
 * other processes): the same binary COPY payload, decoded by column type into text arrays and written with one
 * parameterized INSERT … SELECT FROM unnest(…). Slower than COPY, the same rows.
 */
import type { Tx } from './db.js';

const PG_EPOCH_US = 946_684_800_000_000n; // 2000-01-01 in µs since 1970

type Dec = (v: DataView, o: number, n: number, b: Uint8Array) => string;
const hex = (b: Uint8Array, o: number, n: number, sep = ''): string => {
  let s = '';
  for (let i = 0; i < n; i++) s += (i && sep ? sep : '') + b[o + i].toString(16).padStart(2, '0');
  return s;
};
const td = new TextDecoder();

const DECODERS: Record<string, Dec> = {
  smallint: (v, o) => String(v.getInt16(o)),
  integer: (v, o) => String(v.getInt32(o)),
  bigint: (v, o) => String(v.getBigInt64(o)),
  boolean: (v, o) => (v.getUint8(o) ? 't' : 'f'),
  text: (v, o, n, b) => td.decode(b.subarray(o, o + n)),
  bytea: (v, o, n, b) => '\\x' + hex(b, o, n),
  'timestamp with time zone': (v, o) => {
    const us = v.getBigInt64(o) + PG_EPOCH_US;
    const ms = Number(us / 1000n), frac = Number(((us % 1_000_000n) + 1_000_000n) % 1_000_000n);
    return new Date(ms).toISOString().slice(0, 19) + '.' + String(frac).padStart(6, '0') + '+00';
  },
  macaddr: (v, o, n, b) => hex(b, o, 6, ':'),
  jsonb: (v, o, n, b) => td.decode(b.subarray(o + 1, o + n)), // version byte, then the text
  // one-dimensional text[] without NULLs (what the packets' tags are) as an array literal, cast back by the INSERT
  'text[]': (v, o) => {
    if (v.getInt32(o) === 0) return '{}';
    const count = v.getInt32(o + 12);
    let p = o + 20;
    const out: string[] = [];
    for (let i = 0; i < count; i++) {
      const len = v.getInt32(p);
      const s = td.decode(new Uint8Array(v.buffer, v.byteOffset + p + 4, len));
      out.push('"' + s.replace(/[\\"]/g, '\\$&') + '"');
      p += 4 + len;
    }
    return '{' + out.join(',') + '}';
  },
  inet: (v, o, n, b) => {
    const fam = b[o], bits = b[o + 1], len = b[o + 3];
    if (fam === 2) return `${b[o + 4]}.${b[o + 5]}.${b[o + 6]}.${b[o + 7]}/${bits}`;
    const parts: string[] = [];
    for (let i = 0; i < len; i += 2) parts.push(((b[o + 4 + i] << 8) | b[o + 5 + i]).toString(16));
    return `${parts.join(':')}/${bits}`;
  },
};

const typeCache = new Map<string, string[]>();

export async function insertFromCopyPayload(tx: Tx, table: string, columns: readonly string[], payload: Uint8Array): Promise<void> {
  const key = `${table}(${columns.join(',')})`;
  let types = typeCache.get(key);
  if (!types) {
    const r = await tx.query<{ name: string; type: string }>(
      `SELECT a.attname AS name, format_type(a.atttypid, NULL) AS type FROM pg_attribute a
       WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped`,
      [table],
    );
    const byName = new Map(r.rows.map((x) => [x.name, x.type]));
    types = columns.map((c) => {
      const t = byName.get(c);
      if (!t || !DECODERS[t]) throw new Error(`${table}.${c}: type ${t} cannot be written without COPY`);
      return t;
    });
    typeCache.set(key, types);
  }
  const cols: (string | null)[][] = columns.map(() => []);
  const v = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  let o = 19; // signature, flags, header extension
  for (;;) {
    const nf = v.getInt16(o);
    o += 2;
    if (nf === -1) break;
    for (let i = 0; i < nf; i++) {
      const n = v.getInt32(o);
      o += 4;
      if (n < 0) cols[i].push(null);
      else {
        cols[i].push(DECODERS[types[i]](v, o, n, payload));
        o += n;
      }
    }
  }
  const sel = columns.map((c, i) => `u.c${i}::${types![i]}`).join(', ');
  const un = columns.map((c, i) => `$${i + 1}::text[]`).join(', ');
  const names = columns.map((c, i) => `c${i}`).join(', ');
  await tx.query(`INSERT INTO ${table} (${columns.join(', ')}) SELECT ${sel} FROM unnest(${un}) AS u(${names})`, cols);
}
