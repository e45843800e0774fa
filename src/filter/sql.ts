/**
 * The SQL back end of display filters: a checked expression → a boolean SQL expression over the packets table.
 * Where each field lives is src/store/packet-fields.ts's business (columns, the `fields` jsonb, the GIN-indexed
 * `tags`, src/dst unions). Every value is pushed to `params` and referenced as $n with an explicit cast; the SQL
 * text holds only column names, catalog field names (checked to be [A-Za-z0-9_.-]) and operators.
 *
 * Semantics are Wireshark 4's: a comparison matches if any occurrence matches; `a != b` is `a && !(a == b)` (as
 * tshark 4.0 counts: a packet without the field matches neither `a == b` nor `a != b`); a bare name is presence. Equality on addresses, ports, the Protocol column, dns.qry.name, http.host and the TLS SNI (and bare
 * protocol names) is a `tags && $n::text[]` test the GIN index answers; everything else reads the jsonb with
 * jsonpath (`jsonb_path_exists(fields, '$."name"[*] ? (@ > $v)', $n::jsonb)`, numbers and codepoint-ordered
 * strings), or the occurrences one by one for contains/matches/bytes.
 * `matches` runs the parser's pattern (PCRE translated to JavaScript, src/filter/regex.ts) translated once more to a
 * PostgreSQL regular expression (toAre); one PostgreSQL cannot compile fails the query with SQLSTATE 2201B, which
 * sqlFilterError() turns into a FilterError for a 400 answer.
 */
import { FilterError, type CmpOp, type Expr, type Value } from './ast.js';
import { parseFilter } from './parse.js';
import type { FieldDef } from '../fields/catalog.js';
import { ipv4, ipv6, mac } from '../fields/format.js';
import { PRESENCE_TAGGED as PRESENCE_TAGGED_NAMES, hex, jsonString, storageOf, tagOf } from '../store/packet-fields.js';

/**
 * Compile a checked filter to a boolean SQL expression over the packets table aliased `alias`.
 * Every value is pushed to `params` and referenced as $n; the SQL text never contains a value.
 */
export function toSql(e: Expr, params: unknown[], alias = 'p'): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(alias)) throw new Error(`toSql: bad table alias ${JSON.stringify(alias)}`);
  return new Compiler(params, alias).expr(e);
}

/** Convenience for routes: '' or undefined gives 'TRUE'; otherwise parse + toSql. Throws FilterError. */
export function sqlWhere(q: string | undefined, params: unknown[], alias = 'p'): string {
  if (q === undefined || q.trim() === '') return 'TRUE';
  return toSql(parseFilter(q), params, alias);
}

/**
 * A database error caused by the filter's own content (a regular expression PostgreSQL cannot compile, SQLSTATE
 * 2201B), as a FilterError the API answers with 400; null for any other error (a 500, or 503 when the database is down).
 */
export function sqlFilterError(err: unknown): FilterError | null {
  const e = err as { code?: unknown; message?: unknown } | null;
  if (e && e.code === '2201B') return new FilterError(`bad regular expression: ${String(e.message ?? '')}`, 1);
  return null;
}

type JsonVal = number | string;

class Compiler {
  constructor(private readonly params: unknown[], private readonly a: string) {}

  private p(v: unknown, cast: string): string {
    // PostgreSQL text cannot hold NUL: it stands for U+FFFD, as in the stored strings (never a failing query)
    this.params.push(cast === 'text' && typeof v === 'string' ? jsonString(v) : v);
    return `$${this.params.length}::${cast}`;
  }

  expr(e: Expr): string {
    switch (e.kind) {
      case 'and': return `(${this.expr(e.left)} AND ${this.expr(e.right)})`;
      case 'or': return `(${this.expr(e.left)} OR ${this.expr(e.right)})`;
      case 'not': return `(NOT ${this.expr(e.expr)})`;
      case 'present': return this.present(e.field);
      case 'cmp':
        // Wireshark 4 (tshark 4.0 counts so): the field is there and no occurrence equals the value
        if (e.op === '!=') return `(${this.present(e.field)} AND NOT ${this.cmp(e.field, '==', e.value)})`;
        return this.cmp(e.field, e.op, e.value);
      case 'in': return this.in(e.field, e.members);
      case 'contains': return this.contains(e.field, e.value);
      case 'matches': return this.matches(e.field, e.pattern, e.flags);
    }
  }

  private present(f: FieldDef): string {
    const s = storageOf(f);
    switch (s.kind) {
      case 'always': case 'column': return 'TRUE';
      case 'union': return `(${this.present(s.parts[0])} OR ${this.present(s.parts[1])})`;
      case 'tag': return `${this.a}.tags @> ${this.p([f.name], 'text[]')}`;
      case 'json':
        if (PRESENCE_TAGGED_NAMES.has(f.name)) return `${this.a}.tags @> ${this.p([f.name], 'text[]')}`;
        return `${this.a}.fields ? ${this.p(f.name, 'text')}`;
    }
  }

  /** `field OP value` for one occurrence-any comparison (op is never '!=' here). */
  private cmp(f: FieldDef, op: Exclude<CmpOp, '!='>, v: Value): string {
    return this.anyOf(f, [{ lo: v }], op);
  }

  private in(f: FieldDef, members: Array<{ lo: Value; hi?: Value }>): string {
    if (members.length === 0) return 'FALSE';
    return this.anyOf(f, members, '==');
  }

  /**
   * Any occurrence of f satisfies one of the members: with op '==', equal to lo (or inside lo's CIDR network), or
   * within lo..hi when hi is given; with another op, `occurrence op lo`.
   */
  private anyOf(f: FieldDef, members: Array<{ lo: Value; hi?: Value }>, op: Exclude<CmpOp, '!='>): string {
    const s = storageOf(f);
    switch (s.kind) {
      case 'always': return 'FALSE'; // `frame` has no value to compare
      case 'tag': return 'FALSE'; // a protocol has no value; the parser should not let this through
      case 'union': return `(${this.anyOf(s.parts[0], members, op)} OR ${this.anyOf(s.parts[1], members, op)})`;
      case 'column': return this.columnAnyOf(s.col, s.type, members, op);
      case 'json': {
        // equality on a tagged field: the GIN index answers, exactly
        if (s.tagged && op === '==' && members.every((m) => m.hi === undefined && !isNetwork(m.lo))) {
          const tags = members.map((m) => tagOf(f, tagValue(f, m.lo)));
          if (tags.every((t): t is string => t !== null)) {
            return tags.length === 1 ? `${this.a}.tags @> ${this.p(tags, 'text[]')}` : `${this.a}.tags && ${this.p(tags, 'text[]')}`;
          }
        }
        if (f.type === 'bytes' || (f.type === 'string' && members.some((m) => m.lo.t === 'bytes'))) {
          return this.bytesAnyOf(f, members, op);
        }
        return this.jsonpathAnyOf(f, members, op);
      }
    }
  }

  /** jsonpath over the field's occurrences: one filter expression, every value a jsonpath variable from one parameter. */
  private jsonpathAnyOf(f: FieldDef, members: Array<{ lo: Value; hi?: Value }>, op: Exclude<CmpOp, '!='>): string {
    const vars: Record<string, JsonVal> = {};
    const conds: string[] = [];
    members.forEach((m, i) => {
      const [lo, hi] = jsonRange(f, m.lo);
      if (m.hi !== undefined) {
        vars[`l${i}`] = lo;
        vars[`h${i}`] = jsonRange(f, m.hi)[1];
        conds.push(`(@ >= $l${i} && @ <= $h${i})`);
      } else if (op === '==' && lo !== hi) {
        vars[`l${i}`] = lo;
        vars[`h${i}`] = hi;
        conds.push(`(@ >= $l${i} && @ <= $h${i})`);
      } else {
        // a network compared with < > <= >=: its first address below, its last above (Wireshark compares the address)
        vars[`v${i}`] = op === '>' || op === '<=' ? hi : lo;
        conds.push(`@ ${op} $v${i}`);
      }
    });
    const path = `$${keyPath(f)}[*] ? (${conds.join(' || ')})`;
    return `jsonb_path_exists(${this.a}.fields, '${path}', ${this.p(JSON.stringify(vars), 'jsonb')})`;
  }

  /** The occurrences as rows (jsonb), for tests jsonpath cannot do. */
  private occurrences(f: FieldDef): string {
    return `jsonb_path_query(${this.a}.fields, '$${keyPath(f)}[*]')`;
  }

  /** A protocol's occurrence (o.x, "@OFF+LEN" of its layer's bytes) as bytea. */
  private layerBytes(): string {
    return `pktlens_bytes(${this.a}.data, o.x #>> '{}')`;
  }

  /** One occurrence (o.x, jsonb) as bytea. */
  private occBytes(f: FieldDef): string {
    if (f.type === 'bytes') return `pktlens_bytes(${this.a}.data, o.x #>> '{}')`;
    if (f.type === 'mac' || f.type === 'ipv6') return `decode(o.x #>> '{}', 'hex')`;
    return `convert_to(o.x #>> '{}', 'UTF8')`;
  }

  /** Bytes order as Wireshark's: the shorter sequence is smaller, equal lengths compare byte by byte. */
  private bytesAnyOf(f: FieldDef, members: Array<{ lo: Value; hi?: Value }>, op: Exclude<CmpOp, '!='>): string {
    const x = this.occBytes(f);
    const key = `ROW(length(${x}), ${x})`;
    const val = (v: Value): string => {
      const b = toBytes(v);
      return `ROW(${this.p(b.length, 'integer')}, ${this.p(b, 'bytea')})`;
    };
    const conds = members.map((m) => {
      if (m.hi !== undefined) return `(${key} >= ${val(m.lo)} AND ${key} <= ${val(m.hi)})`;
      return op === '==' ? `${x} = ${this.p(toBytes(m.lo), 'bytea')}` : `${key} ${op} ${val(m.lo)}`;
    });
    return `EXISTS (SELECT 1 FROM ${this.occurrences(f)} AS o(x) WHERE ${conds.join(' OR ')})`;
  }

  private columnAnyOf(col: string, type: 'num' | 'text' | 'epoch', members: Array<{ lo: Value; hi?: Value }>, op: Exclude<CmpOp, '!='>): string {
    const c = `${this.a}.${col}`;
    const conds = members.map((m) => {
      if (type === 'text') {
        const lo = this.p(textOf(m.lo), 'text');
        if (m.hi !== undefined) return `(${c} COLLATE "C" >= ${lo} AND ${c} COLLATE "C" <= ${this.p(textOf(m.hi), 'text')})`;
        return op === '==' ? `${c} = ${lo}` : `${c} COLLATE "C" ${sqlOp(op)} ${lo}`;
      }
      // frame.time_epoch: the stored nanoseconds against the literal's exact nanoseconds
      const x = c;
      const val = (v: Value) => (type === 'epoch' ? this.p(String(nsOf(v)), 'numeric') : this.p(String(numOf(v)), 'numeric'));
      if (m.hi !== undefined) return `(${x} >= ${val(m.lo)} AND ${x} <= ${val(m.hi)})`;
      return `${x} ${sqlOp(op)} ${val(m.lo)}`;
    });
    return conds.length === 1 ? conds[0] : `(${conds.join(' OR ')})`;
  }

  private contains(f: FieldDef, v: Value): string {
    const s = storageOf(f);
    switch (s.kind) {
      case 'always': return `position(${this.p(toBytes(v), 'bytea')} IN ${this.a}.data) > 0`;
      case 'tag':
        return `EXISTS (SELECT 1 FROM ${this.occurrences(f)} AS o(x) WHERE position(${this.p(toBytes(v), 'bytea')} IN ${this.layerBytes()}) > 0)`;
      case 'union': return `(${this.contains(s.parts[0], v)} OR ${this.contains(s.parts[1], v)})`;
      case 'column':
        if (s.type !== 'text') return 'FALSE';
        return `strpos(${this.a}.${s.col}, ${this.p(v.t === 'bytes' ? new TextDecoder().decode(v.v) : textOf(v), 'text')}) > 0`;
      case 'json': {
        const pre = PRESENCE_TAGGED_NAMES.has(f.name) ? `${this.present(f)} AND ` : '';
        if (f.type === 'string') {
          const text = v.t === 'bytes' ? new TextDecoder().decode(v.v) : textOf(v);
          return `(${pre}EXISTS (SELECT 1 FROM ${this.occurrences(f)} AS o(x) WHERE strpos(o.x #>> '{}', ${this.p(text, 'text')}) > 0))`;
        }
        return `(${pre}EXISTS (SELECT 1 FROM ${this.occurrences(f)} AS o(x) WHERE position(${this.p(toBytes(v), 'bytea')} IN ${this.occBytes(f)}) > 0))`;
      }
    }
  }

  private matches(f: FieldDef, pattern: string, flags: string): string {
    const op = '~';
    const re = this.p(toAre(pattern, flags), 'text');
    const s = storageOf(f);
    switch (s.kind) {
      case 'always': return `${latin1(`${this.a}.data`)} ${op} ${re}`;
      case 'tag':
        return `EXISTS (SELECT 1 FROM ${this.occurrences(f)} AS o(x) WHERE ${latin1(this.layerBytes())} ${op} ${re})`;
      case 'union': return `(${this.matches(s.parts[0], pattern, flags)} OR ${this.matches(s.parts[1], pattern, flags)})`;
      case 'column':
        return s.type === 'text' ? `${this.a}.${s.col} ${op} ${re}` : `${this.a}.${s.col}::text ${op} ${re}`;
      case 'json': {
        const pre = PRESENCE_TAGGED_NAMES.has(f.name) ? `${this.present(f)} AND ` : '';
        const x = f.type === 'bytes' ? latin1(this.occBytes(f)) : `(o.x #>> '{}')`;
        return `(${pre}EXISTS (SELECT 1 FROM ${this.occurrences(f)} AS o(x) WHERE ${x} ${op} ${re}))`;
      }
    }
  }
}

/** Bytes as Latin-1 text for `matches` (NUL, which PostgreSQL text cannot hold, reads as U+0001). */
function latin1(bytea: string): string {
  return `convert_from(CASE WHEN position('\\x00'::bytea IN ${bytea}) = 0 THEN ${bytea} ELSE decode(regexp_replace(encode(${bytea}, 'hex'), '((?:..)*?)00', '\\101', 'g'), 'hex') END, 'LATIN1')`;
}

/**
 * The parser's JavaScript RegExp source and flags (src/filter/regex.ts) as a PostgreSQL advanced regular expression:
 * the flags become embedded options (i or c; s and m as PostgreSQL's newline modes), `\b`/`\B` become `\y`/`\Y`,
 * `\xHH` becomes `\u00HH` (PostgreSQL's \x would read every hex digit that follows), named groups lose their name.
 * What PostgreSQL still cannot compile fails the query with SQLSTATE 2201B (sqlFilterError → 400).
 */
export function toAre(pattern: string, flags: string): string {
  const s = flags.includes('s'), m = flags.includes('m');
  // JS: '.' stops at newlines unless s; ^ $ at lines only with m. PostgreSQL: p = '.' stops, ^$ whole string;
  // n = '.' stops, ^$ at lines; w = '.' crosses, ^$ at lines; s (default) = '.' crosses, ^$ whole string
  const mode = s ? (m ? 'w' : 's') : m ? 'n' : 'p';
  let out = `(?${flags.includes('i') ? 'i' : 'c'}${mode})`;
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\' && i + 1 < pattern.length) {
      const n = pattern[i + 1];
      if (!inClass && n === 'b') { out += '\\y'; i++; continue; }
      if (!inClass && n === 'B') { out += '\\Y'; i++; continue; }
      if (n === 'x' && /^[0-9A-Fa-f]{2}$/.test(pattern.slice(i + 2, i + 4))) { out += '\\u00' + pattern.slice(i + 2, i + 4); i += 3; continue; }
      if (n === '/') { out += '/'; i++; continue; }
      out += c + n;
      i++;
      continue;
    }
    if (inClass) { if (c === ']') inClass = false; out += c; continue; }
    if (c === '[') { inClass = true; out += c; if (pattern[i + 1] === '^') { out += '^'; i++; } if (pattern[i + 1] === ']') { out += '\\]'; i++; } continue; }
    if (c === '(' && pattern.startsWith('(?<', i) && !pattern.startsWith('(?<=', i) && !pattern.startsWith('(?<!', i)) {
      const end = pattern.indexOf('>', i);
      if (end > 0) { out += '('; i = end; continue; }
    }
    out += c;
  }
  return out;
}

function keyPath(f: FieldDef): string {
  // storageOf checked every catalog name against [A-Za-z0-9_.-]: safe inside a quoted jsonpath key and an SQL literal
  return `."${f.name}"`;
}

function sqlOp(op: Exclude<CmpOp, '!='>): string {
  return op === '==' ? '=' : op;
}

function isNetwork(v: Value): boolean {
  return (v.t === 'ipv4' && v.bits < 32) || (v.t === 'ipv6' && v.bits < 128);
}

/** The value as the dissection holds it for the field's type (what tagOf reads). */
function tagValue(f: FieldDef, v: Value): unknown {
  switch (v.t) {
    case 'num': return v.v;
    case 'str': return v.v;
    case 'ipv4': return v.v;
    case 'ipv6': return v.v;
    case 'bytes': return f.type === 'string' ? Buffer.from(v.v).toString('latin1') : v.v;
  }
}

/** A value as the jsonb holds it for this field, as [first, last] (equal unless it is a CIDR network). */
function jsonRange(f: FieldDef, v: Value): [JsonVal, JsonVal] {
  switch (v.t) {
    case 'num': {
      // frame.time_relative is kept in nanoseconds
      const x = f.type === 'time' ? Number(nsOf(v)) : v.v;
      return [x, x];
    }
    case 'str': { const s = jsonString(v.v); return [s, s]; }
    case 'bytes': { const h = hex(v.v); return [h, h]; }
    case 'ipv4': {
      const size = 2 ** (32 - Math.max(0, Math.min(32, v.bits)));
      const lo = Math.floor((v.v >>> 0) / size) * size;
      return [lo, lo + size - 1];
    }
    case 'ipv6': {
      const bits = Math.max(0, Math.min(128, v.bits));
      const lo = new Uint8Array(16), hi = new Uint8Array(16);
      for (let i = 0; i < 16; i++) {
        const keep = Math.max(0, Math.min(8, bits - i * 8));
        const mask = keep === 0 ? 0 : (0xff << (8 - keep)) & 0xff;
        lo[i] = v.v[i] & mask;
        hi[i] = (v.v[i] & mask) | (~mask & 0xff);
      }
      return [hex(lo), hex(hi)];
    }
  }
}

function toBytes(v: Value): Buffer {
  switch (v.t) {
    case 'bytes': return Buffer.from(v.v);
    case 'str': return Buffer.from(v.v, 'utf8');
    case 'num': return Buffer.from([v.v & 255]);
    case 'ipv4': return Buffer.from([v.v >>> 24, (v.v >>> 16) & 255, (v.v >>> 8) & 255, v.v & 255]);
    case 'ipv6': return Buffer.from(v.v);
  }
}

function textOf(v: Value): string {
  switch (v.t) {
    case 'str': return v.v;
    case 'num': return String(v.v);
    case 'bytes': return v.v.length === 6 ? mac(v.v) : Buffer.from(v.v).toString('utf8');
    case 'ipv4': return ipv4(v.v);
    case 'ipv6': return ipv6(v.v);
  }
}

/** A time literal in integer nanoseconds (exact when the parser gave `ns`). */
function nsOf(v: Value): bigint {
  if (v.t === 'num') return v.ns ?? BigInt(Math.round(v.v * 1e9));
  throw new FilterError(`a time is expected, not ${v.t}`, 1);
}

function numOf(v: Value): number {
  if (v.t === 'num' || v.t === 'ipv4') return v.v;
  throw new FilterError(`a number is expected, not ${v.t}`, 1);
}
