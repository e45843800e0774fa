/**
 * Display filter → predicate over one Dissection (decode -Y, live views). Wireshark 4 semantics: a test on
 * a field is true if ANY occurrence passes (ip.addr, tcp.port and eth.addr are recorded once per side;
 * tunnels and DNS answers give several occurrences); `a != b` is "present and no occurrence equals b".
 */
import type { CmpOp, Expr, Value } from './ast.js';
import type { Dissection } from '../dissect/dissection.js';
import type { FieldDef } from '../fields/catalog.js';

type Pred = (d: Dissection) => boolean;
type Test = (v: unknown) => boolean;

/** How to read a field's occurrences from a dissection. */
interface Access {
  has: Pred;
  /** true if `test` passes for some occurrence */
  some: (d: Dissection, test: Test) => boolean;
}

const NS = 1_000_000_000n;

function access(f: FieldDef, bytesOfLayer: boolean): Access {
  switch (f.name) {
    case 'frame.time_epoch':
      return { has: (d) => d.hasTs, some: (d, t) => d.hasTs && t(BigInt(d.tsSec) * NS + BigInt(d.tsNsec)) };
    case 'frame.time_relative':
      return { has: (d) => d.hasTs, some: (d, t) => d.hasTs && t(BigInt(Math.round(d.relTime * 1e9))) };
    case 'frame.protocols':
      return { has: () => true, some: (d, t) => t(d.protocols) };
    case '_ws.col.Protocol':
      return { has: () => true, some: (d, t) => t(d.protocol) };
    case '_ws.col.Info':
      return { has: () => true, some: (d, t) => t(d.info) };
  }
  const id = f.id;
  if (f.type === 'none') {
    // presence is the field in the tree, as in tshark (a layer whose header could not be read is listed in
    // frame.protocols but has no field)
    const has: Pred = (d) => d.has(id);
    if (!bytesOfLayer) return { has, some: (d, t) => has(d) && t(true) };
    // a protocol's value is its bytes from the layer's start to the end of the data it was handed (tshark:
    // `tcp contains "GET"` finds the payload, `ip contains 00:35` the UDP port): the end of the innermost IP
    // datagram for that layer and those inside it (Ethernet padding is not part of it), else the frame's end
    return {
      has,
      some: (d, t) => {
        if (!d.has(id)) return false;
        let lastIp = -1;
        for (let j = 0; j < d.layerN; j++) if (d.layerName[j] === 'ip' || d.layerName[j] === 'ipv6') lastIp = j;
        for (let i = 0; i < d.n; i++) {
          if (d.fidA[i] !== id) continue;
          const off = d.offA[i];
          if (off < 0) continue;
          const end = lastIp >= 0 && d.layA[i] >= lastIp && d.ipEnd > off ? Math.min(d.buf.length, d.ipEnd) : d.buf.length;
          if (t(d.buf.subarray(off, end))) return true;
        }
        return false;
      },
    };
  }
  return {
    has: (d) => d.has(id),
    some: (d, t) => {
      if (!d.has(id)) return false;
      const n = d.n, fa = d.fidA, vals = d.vals;
      for (let i = 0; i < n; i++) if (fa[i] === id && t(vals[i])) return true;
      return false;
    },
  };
}

function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'bigint') return Number(v);
  return NaN;
}

/** Byte strings order as in Wireshark: the shorter first, then byte by byte (tshark: `udp.payload < fe` is false). */
function cmpBytes(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  return 0;
}

/** Compare the first `bits` bits of two 16-byte addresses. */
function cmpPrefix(a: Uint8Array, b: Uint8Array, bits: number): number {
  for (let i = 0; i < 16 && bits > 0; i++, bits -= 8) {
    const m = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    const x = a[i] & m, y = b[i] & m;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

function ord(op: Exclude<CmpOp, '!='>, c: number): boolean {
  switch (op) {
    case '==': return c === 0;
    case '>': return c > 0;
    case '<': return c < 0;
    case '>=': return c >= 0;
    case '<=': return c <= 0;
  }
}

/*
 * `matches` runs on bytes, as tshark's PCRE2 (not in UTF mode): `.` is one byte, `\xff` the byte 0xff, and case
 * folding is ASCII only. Subjects and patterns are mapped so that a JS RegExp does the same: bytes below 0x80 stay
 * themselves, bytes from 0x80 become U+E080..U+E0FF (private use: no case folding), UTF-8 text becomes its bytes.
 */
const PUA = 0xe000;
const HIGH = /[\x80-\xff]/g;
const toPua = (c: string): string => String.fromCharCode(PUA + c.charCodeAt(0));
const utf8 = new TextEncoder();

function byteSubject(b: Uint8Array): string {
  const s = Buffer.from(b.buffer, b.byteOffset, b.length).toString('latin1');
  return s.replace(HIGH, toPua);
}

function textSubject(v: string): string {
  // eslint-disable-next-line no-control-regex
  return /[^\x00-\x7f]/.test(v) ? byteSubject(utf8.encode(v)) : v;
}

/** The translated pattern with byte semantics: non-ASCII characters as their UTF-8 bytes, \xHH/\uHHHH escapes as bytes. */
export function bytePattern(p: string): string {
  let out = '';
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === '\\') {
      const n = p[i + 1] ?? '';
      const hx = n === 'x' ? /^[0-9a-fA-F]{2}/.exec(p.slice(i + 2)) : n === 'u' ? /^[0-9a-fA-F]{4}/.exec(p.slice(i + 2)) : null;
      if (hx) {
        const cp = parseInt(hx[0], 16);
        if (cp < 0x80) out += p.slice(i, i + 2 + hx[0].length);
        else if (cp <= 0xff) out += `\\u${(PUA + cp).toString(16)}`; // \xHH is one byte
        else for (const b of utf8.encode(String.fromCharCode(cp))) out += `\\u${(PUA + b).toString(16)}`;
        i += 1 + hx[0].length;
        continue;
      }
      out += c + n;
      i++;
      continue;
    }
    const cp = c.charCodeAt(0);
    if (cp < 0x80) { out += c; continue; }
    const ch = cp >= 0xd800 && cp <= 0xdbff ? p.slice(i, i + 2) : c;
    for (const b of utf8.encode(ch)) out += `\\u${(PUA + b).toString(16)}`;
    i += ch.length - 1;
  }
  return out;
}

/** A test of one occurrence's value against a literal with an ordering operator (or ==). */
function compare(f: FieldDef, op: Exclude<CmpOp, '!='>, lit: Value): Test {
  if (f.type === 'time' && lit.t === 'num' && (f.name === 'frame.time_epoch' || f.name === 'frame.time_relative')) {
    const ns = lit.ns ?? BigInt(Math.round(lit.v * 1e9));
    return (v) => {
      const x = v as bigint;
      return ord(op, x === ns ? 0 : x < ns ? -1 : 1);
    };
  }
  switch (lit.t) {
    case 'num': {
      const b = lit.v;
      // tshark: an unsigned field against a negative literal never compares true
      if (f.type === 'uint' && b < 0) return () => false;
      if (f.type === 'bool') return (v) => { const a = num(v) ? 1 : 0; return ord(op, a === b ? 0 : a < b ? -1 : 1); };
      return (v) => { const a = num(v); return ord(op, a === b ? 0 : a < b ? -1 : 1); };
    }
    case 'str': {
      const b = lit.v;
      return (v) => { const a = v as string; return ord(op, a === b ? 0 : a < b ? -1 : 1); };
    }
    case 'bytes': {
      const b = lit.v;
      return (v) => v instanceof Uint8Array && ord(op, cmpBytes(v, b));
    }
    case 'ipv4': {
      const mask = lit.bits === 0 ? 0 : (0xffffffff << (32 - lit.bits)) >>> 0;
      const b = (lit.v & mask) >>> 0;
      return (v) => { const a = (num(v) & mask) >>> 0; return ord(op, a === b ? 0 : a < b ? -1 : 1); };
    }
    case 'ipv6': {
      const b = lit.v, bits = lit.bits;
      return (v) => v instanceof Uint8Array && ord(op, cmpPrefix(v, b, bits));
    }
  }
}

function indexOfBytes(hay: Uint8Array, needle: Uint8Array): boolean {
  if (needle.length === 0) return true;
  return Buffer.from(hay.buffer, hay.byteOffset, hay.length).indexOf(Buffer.from(needle.buffer, needle.byteOffset, needle.length)) >= 0;
}

function compile(e: Expr): Pred {
  switch (e.kind) {
    case 'and': {
      const a = compile(e.left), b = compile(e.right);
      return (d) => a(d) && b(d);
    }
    case 'or': {
      const a = compile(e.left), b = compile(e.right);
      return (d) => a(d) || b(d);
    }
    case 'not': {
      const a = compile(e.expr);
      return (d) => !a(d);
    }
    case 'present':
      return access(e.field, false).has;
    case 'cmp': {
      const acc = access(e.field, false);
      if (e.op === '!=') {
        const eq = compare(e.field, '==', e.value);
        return (d) => acc.has(d) && !acc.some(d, eq);
      }
      const t = compare(e.field, e.op, e.value);
      return (d) => acc.some(d, t);
    }
    case 'in': {
      const acc = access(e.field, false);
      const tests = e.members.map((m) => {
        if (!m.hi) return compare(e.field, '==', m.lo);
        const lo = compare(e.field, '>=', m.lo), hi = compare(e.field, '<=', m.hi);
        return (v: unknown) => lo(v) && hi(v);
      });
      const t: Test = (v) => {
        for (let i = 0; i < tests.length; i++) if (tests[i](v)) return true;
        return false;
      };
      return (d) => acc.some(d, t);
    }
    case 'contains': {
      const acc = access(e.field, true);
      const lit = e.value;
      if (e.field.type === 'string') {
        const s = lit.t === 'str' ? lit.v : lit.t === 'bytes' ? new TextDecoder().decode(lit.v) : '';
        return (d) => acc.some(d, (v) => typeof v === 'string' && v.includes(s));
      }
      const b = lit.t === 'bytes' ? lit.v : lit.t === 'str' ? new TextEncoder().encode(lit.v) : new Uint8Array(0);
      return (d) => acc.some(d, (v) => v instanceof Uint8Array && indexOfBytes(v, b));
    }
    case 'matches': {
      const acc = access(e.field, true);
      const re = new RegExp(bytePattern(e.pattern), e.flags.replace(/[gyu]/g, ''));
      return (d) => acc.some(d, (v) => (typeof v === 'string' ? re.test(textSubject(v)) : v instanceof Uint8Array ? re.test(byteSubject(v)) : false));
    }
  }
}

/** Compile a checked filter to a predicate over one dissection (decode -Y, live views). */
export function toPredicate(e: Expr): (d: Dissection) => boolean {
  return compile(e);
}
