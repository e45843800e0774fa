/**
 * Display-filter lexer, parser and type checker (DESIGN.md §5). The grammar and the literal syntax are
 * tshark 4.0's, checked against tshark itself:
 *
 *   expr    := and ( ('or' | '||') and )*            'and' binds tighter than 'or'
 *   and     := unary ( ('and' | '&&') unary )*
 *   unary   := ('not' | '!') unary | '(' expr ')' | test
 *   test    := FIELD [ relop value | 'contains' value | 'matches' "regex" | 'in' '{' member (','? member)* '}' ]
 *   member  := value [ '..' value ]
 *
 * Keywords are lower case only (`AND`, `EQ` are errors in tshark too). A bare word on the right of a
 * string field is the string itself (`http.host == example.com`); `matches` wants a quoted string and is
 * case-insensitive unless the pattern starts with `(?-i)` (tshark 4.0 behaviour). Sets may be separated by
 * commas (tshark 4.0) or spaces (older Wireshark). Errors carry the 1-based column of the offending token.
 */
import { FilterError, MAX_FILTER_DEPTH, MAX_FILTER_LENGTH, type CmpOp, type Expr, type Value } from './ast.js';
import { closestFields, fieldByName, type FieldDef, type FieldType } from '../fields/catalog.js';
import { compileRegex } from './regex.js';

type TokKind = 'word' | 'str' | 'char' | 'op' | 'eof';
interface Tok {
  k: TokKind;
  /** word text, operator text, or the string's source text (for messages) */
  v: string;
  /** 0-based start and end in the filter text */
  pos: number;
  end: number;
  /** decoded bytes of a string or character constant */
  bytes?: Uint8Array;
  raw?: boolean;
}

const OPS = ['===', '!==', '==', '!=', '~=', '>=', '<=', '&&', '||', '..', '>', '<', '!', '&', '(', ')', '{', '}', ',', '[', ']', '#', '-', '+', '*', '/', '%', '^'];
const WORD = /[A-Za-z0-9_.:/-]/;
const REL: Record<string, CmpOp> = { '==': '==', eq: '==', any_eq: '==', '!=': '!=', ne: '!=', all_ne: '!=', '>': '>', gt: '>', '<': '<', lt: '<', '>=': '>=', ge: '>=', '<=': '<=', le: '<=' };
/** tshark 4.0's other two: `===` (all_eq: present and every occurrence equal) and `!==`/`~=` (any_ne: some occurrence differs) */
const ALL_EQ = new Set(['===', 'all_eq']);
const ANY_NE = new Set(['!==', '~=', 'any_ne']);
const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'contains', 'matches', 'eq', 'ne', 'gt', 'lt', 'ge', 'le', 'any_eq', 'all_ne', 'all_eq', 'any_ne', 'bitwise_and']);

const utf8 = new TextEncoder();
const utf8d = new TextDecoder();

function err(msg: string, pos0: number): never {
  throw new FilterError(msg, pos0 + 1);
}

function show(t: Tok): string {
  return t.k === 'eof' ? 'the end of the filter' : `"${t.v}"`;
}

/** Turn the filter text into tokens. */
function lex(s: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') { i++; continue; }
    if (c === '"' || (c === 'r' && s[i + 1] === '"') || (c === 'R' && s[i + 1] === '"')) {
      const raw = c !== '"';
      const start = i;
      i += raw ? 2 : 1;
      const bytes: number[] = [];
      let closed = false;
      while (i < s.length) {
        const ch = s[i];
        if (ch === '"') { closed = true; i++; break; }
        if (ch === '\\') {
          if (i + 1 >= s.length) break;
          if (raw) { bytes.push(0x5c); pushUtf8(bytes, s, i + 1); i += 1 + charLen(s, i + 1); continue; }
          i = escape(s, i, bytes);
          continue;
        }
        i += pushUtf8(bytes, s, i);
      }
      if (!closed) err('the string is not closed (missing ")', start);
      out.push({ k: 'str', v: s.slice(start, i), pos: start, end: i, bytes: Uint8Array.from(bytes), raw });
      continue;
    }
    if (c === "'") {
      const start = i;
      i++;
      const bytes: number[] = [];
      while (i < s.length && s[i] !== "'") {
        if (s[i] === '\\') i = escape(s, i, bytes);
        else i += pushUtf8(bytes, s, i);
      }
      if (i >= s.length) err("the character constant is not closed (missing ')", start);
      i++;
      const text = s.slice(start, i);
      if (bytes.length !== 1) err(`${text} is not a valid character constant (one character between single quotes)`, start);
      out.push({ k: 'char', v: text, pos: start, end: i, bytes: Uint8Array.from(bytes) });
      continue;
    }
    if (WORD.test(c) && !(c === '.' && s[i + 1] === '.') && !(c === '-' && !/[A-Za-z0-9_.:]/.test(s[i + 1] ?? ''))) {
      const start = i;
      i++;
      while (i < s.length && WORD.test(s[i]) && !(s[i] === '.' && s[i + 1] === '.')) i++;
      out.push({ k: 'word', v: s.slice(start, i), pos: start, end: i });
      continue;
    }
    const op = OPS.find((o) => s.startsWith(o, i));
    if (op) {
      out.push({ k: 'op', v: op, pos: i, end: i + op.length });
      i += op.length;
      continue;
    }
    err(`unexpected character "${String.fromCodePoint(s.codePointAt(i)!)}"`, i);
  }
  out.push({ k: 'eof', v: '', pos: s.length, end: s.length });
  return out;
}

function charLen(s: string, i: number): number {
  const cp = s.codePointAt(i)!;
  return cp > 0xffff ? 2 : 1;
}

function pushUtf8(out: number[], s: string, i: number): number {
  const n = charLen(s, i);
  for (const b of utf8.encode(s.slice(i, i + n))) out.push(b);
  return n;
}

/** One backslash escape of a quoted string or character constant, as Wireshark's scanner accepts them. */
function escape(s: string, i: number, out: number[]): number {
  const e = s[i + 1];
  const simple: Record<string, number> = { '\\': 0x5c, '"': 0x22, "'": 0x27, a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11 };
  if (e === undefined) err('a backslash at the end of the filter', i);
  if (e in simple) { out.push(simple[e]); return i + 2; }
  if (e === 'x') {
    const m = /^[0-9a-fA-F]{1,2}/.exec(s.slice(i + 2, i + 4));
    if (!m) err('\\x must be followed by one or two hex digits', i);
    out.push(parseInt(m[0], 16));
    return i + 2 + m[0].length;
  }
  if (e >= '0' && e <= '7') {
    const m = /^[0-7]{1,3}/.exec(s.slice(i + 1, i + 4))!;
    const v = parseInt(m[0], 8);
    if (v > 255) err(`\\${m[0]} is not a valid octal escape (at most \\377)`, i);
    out.push(v);
    return i + 1 + m[0].length;
  }
  if (e === 'u' || e === 'U') {
    const n = e === 'u' ? 4 : 8;
    const h = s.slice(i + 2, i + 2 + n);
    if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(h)) err(`\\${e} must be followed by ${n} hex digits`, i);
    const cp = parseInt(h, 16);
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) err(`\\${e}${h} is not a valid character`, i);
    for (const b of utf8.encode(String.fromCodePoint(cp))) out.push(b);
    return i + 2 + n;
  }
  return err(`\\${e} is not a valid character escape sequence`, i);
}

const WANTED: Record<FieldType, string> = {
  none: 'nothing: it is a protocol or marker that can only be tested for presence',
  uint: 'an unsigned integer',
  int: 'an integer',
  bool: 'a boolean: 1, 0, True or False',
  ipv4: 'an IPv4 address or CIDR',
  ipv6: 'an IPv6 address or prefix',
  mac: 'a MAC address such as 00:11:22:33:44:55',
  string: 'a string',
  bytes: 'a byte string such as aa:bb:cc, or a quoted string',
  time: 'a time in seconds',
  float: 'a number',
};

/** A protocol layer (Wireshark FT_PROTOCOL) rather than a marker: its bytes can be searched with contains/matches. */
export function isProtocolField(f: FieldDef): boolean {
  return f.type === 'none' && !f.name.includes('.');
}

class Parser {
  private i = 0;
  private depth = 0;
  constructor(private readonly toks: Tok[], private readonly text: string) {}

  private peek(): Tok {
    return this.toks[this.i];
  }
  private next(): Tok {
    return this.toks[this.i++];
  }
  private isWord(t: Tok, w: string): boolean {
    return t.k === 'word' && t.v === w;
  }
  private isOp(t: Tok, o: string): boolean {
    return t.k === 'op' && t.v === o;
  }

  parse(): Expr {
    const e = this.or();
    const t = this.peek();
    if (t.k !== 'eof') {
      if (this.isOp(t, ')')) err('")" without a matching "("', t.pos);
      err(`unexpected ${show(t)}; expected "and", "or" or the end of the filter`, t.pos);
    }
    return e;
  }

  private or(): Expr {
    let left = this.and();
    for (;;) {
      const t = this.peek();
      if (!(this.isWord(t, 'or') || this.isOp(t, '||'))) return left;
      this.next();
      if (this.peek().k === 'eof') err(`expected an expression after "${t.v}"`, t.pos);
      left = { kind: 'or', left, right: this.and() };
    }
  }

  private and(): Expr {
    let left = this.unary();
    for (;;) {
      const t = this.peek();
      if (!(this.isWord(t, 'and') || this.isOp(t, '&&'))) return left;
      this.next();
      if (this.peek().k === 'eof') err(`expected an expression after "${t.v}"`, t.pos);
      left = { kind: 'and', left, right: this.unary() };
    }
  }

  private enter(t: Tok): void {
    if (++this.depth > MAX_FILTER_DEPTH) err(`the filter is nested more than ${MAX_FILTER_DEPTH} levels deep`, t.pos);
  }

  private unary(): Expr {
    const t = this.peek();
    if (this.isWord(t, 'not') || this.isOp(t, '!')) {
      this.next();
      this.enter(t);
      if (this.peek().k === 'eof') err(`expected an expression after "${t.v}"`, t.pos);
      const e: Expr = { kind: 'not', expr: this.unary() };
      this.depth--;
      return e;
    }
    if (this.isOp(t, '(')) {
      this.next();
      this.enter(t);
      if (this.peek().k === 'eof') err('expected an expression after "("', t.pos);
      const e = this.or();
      const c = this.peek();
      if (!this.isOp(c, ')')) err(`expected ")" to close the "(" at column ${t.pos + 1}, found ${show(c)}`, c.pos);
      this.next();
      this.depth--;
      return e;
    }
    return this.test();
  }

  private field(t: Tok): FieldDef {
    if (t.k === 'eof') err('expected a field or protocol name, found the end of the filter', t.pos);
    if (t.k !== 'word' || KEYWORDS.has(t.v)) err(`expected a field or protocol name, found ${show(t)}`, t.pos);
    const f = lookupField(t.v);
    if (f) return f;
    if (!/[A-Za-z]/.test(t.v) || /^[0-9a-fA-F:.\-/]+$/.test(t.v) && /[0-9]/.test(t.v)) {
      err(`"${t.v}" is neither a field nor a protocol name (a value must follow a field and an operator)`, t.pos);
    }
    return err(`"${t.v}" is not a field; did you mean ${closestFields(t.v).join(', ')}?`, t.pos);
  }

  private test(): Expr {
    const ft = this.next();
    const field = this.field(ft);
    const t = this.peek();
    if (t.k === 'eof' || this.isWord(t, 'and') || this.isWord(t, 'or') || this.isOp(t, '&&') || this.isOp(t, '||') || this.isOp(t, ')')) {
      return { kind: 'present', field };
    }
    if (t.k === 'word' && t.v in REL || t.k === 'op' && t.v in REL) {
      this.next();
      const op = REL[t.v];
      this.noneCheck(field, ft, t.v);
      const vt = this.valueTok(t);
      const value = this.value(field, vt, op === '==' || op === '!=' ? 'eq' : 'order');
      return { kind: 'cmp', op, field, value };
    }
    if (this.isWord(t, 'contains')) {
      this.next();
      if (!(field.type === 'string' || field.type === 'bytes' || field.type === 'mac' || isProtocolField(field))) {
        err(`${field.name} (${typeName(field)}) cannot be used with "contains" (wanted a string, bytes or protocol field)`, ft.pos);
      }
      const vt = this.valueTok(t);
      return { kind: 'contains', field, value: this.value(field, vt, 'contains') };
    }
    if (this.isWord(t, 'matches')) {
      this.next();
      if (!(field.type === 'string' || field.type === 'bytes' || isProtocolField(field))) {
        err(`${field.name} (${typeName(field)}) cannot be used with "matches" (wanted a string, bytes or protocol field)`, ft.pos);
      }
      const vt = this.valueTok(t);
      if (vt.k !== 'str') err(`"matches" wants a regular expression in double quotes, found ${show(vt)}`, vt.pos);
      const src = regexSource(vt.bytes!);
      const body = vt.pos + (vt.raw ? 2 : 1);
      const { pattern, flags } = compileRegex(src, (m, at) => err(`regular expression: ${m}`, Math.min(body + Math.max(0, at), vt.end - 1)));
      return { kind: 'matches', field, pattern, flags };
    }
    if (this.isWord(t, 'in')) {
      this.next();
      this.noneCheck(field, ft, 'in');
      return this.set(field, t);
    }
    if ((t.k === 'op' || t.k === 'word') && (ALL_EQ.has(t.v) || ANY_NE.has(t.v))) {
      // no Expr kind of their own: "some occurrence differs" is "some is smaller or some is greater"
      this.next();
      this.noneCheck(field, ft, t.v);
      const value = this.value(field, this.valueTok(t), 'order');
      const anyNe: Expr = { kind: 'or', left: { kind: 'cmp', op: '<', field, value }, right: { kind: 'cmp', op: '>', field, value } };
      return ANY_NE.has(t.v) ? anyNe : { kind: 'and', left: { kind: 'present', field }, right: { kind: 'not', expr: anyNe } };
    }
    if (t.k === 'op' && t.v === '&') err('the bitwise "&" is not supported; compare the flag fields (tcp.flags.syn == 1)', t.pos);
    if (t.k === 'word' && KEYWORDS.has(t.v)) err(`"${t.v}" is not supported here; expected an operator after ${field.name}`, t.pos);
    return err(`unexpected ${show(t)} after ${field.name}; expected an operator (==, !=, >, <, >=, <=, contains, matches, in), "and", "or" or the end`, t.pos);
  }

  private noneCheck(field: FieldDef, ft: Tok, op: string): void {
    if (field.type === 'none') {
      err(`${field.name} is a ${isProtocolField(field) ? 'protocol' : 'marker without a value'}: test it alone for presence${isProtocolField(field) ? ' or with "contains"/"matches"' : ''}, not with "${op}"`, ft.pos);
    }
  }

  private valueTok(opTok: Tok): Tok {
    const t = this.next();
    if (t.k === 'eof') err(`expected a value after "${opTok.v}"`, opTok.pos);
    if (t.k === 'op' && t.v === '-') {
      const n = this.peek();
      if (n.k === 'word' && n.pos === t.end) { this.next(); return { k: 'word', v: '-' + n.v, pos: t.pos, end: n.end }; }
    }
    if (t.k === 'word' && KEYWORDS.has(t.v)) err(`expected a value after "${opTok.v}", found "${t.v}"`, t.pos);
    if (t.k === 'op') err(`expected a value after "${opTok.v}", found "${t.v}"`, t.pos);
    // tshark reads a known field name on the right as that field (a field-to-field comparison), not as a literal
    if (t.k === 'word' && lookupField(t.v) && !/^[0-9]/.test(t.v)) err(`comparing with another field (${t.v}) is not supported; compare with a value`, t.pos);
    return t;
  }

  private set(field: FieldDef, inTok: Tok): Expr {
    const open = this.next();
    if (!this.isOp(open, '{')) err(`expected "{" after "in", found ${show(open)}`, open.k === 'eof' ? inTok.pos : open.pos);
    const members: Array<{ lo: Value; hi?: Value }> = [];
    let sepTok: Tok = open;
    for (;;) {
      let t = this.peek();
      if (this.isOp(t, '}')) {
        if (members.length === 0) err('expected at least one value in the set', t.pos);
        if (this.isOp(sepTok, ',')) err('expected a value after ","', sepTok.pos);
        this.next();
        break;
      }
      if (t.k === 'eof') err(`expected "}" to close the set opened at column ${open.pos + 1}`, t.pos);
      const lt = this.valueTok(sepTok);
      const lo = this.value(field, lt, 'eq');
      t = this.peek();
      if (this.isOp(t, '..')) {
        this.next();
        const ht = this.valueTok(t);
        const hi = this.value(field, ht, 'order');
        if (lo.t === 'ipv4' && lo.bits < 32 || lo.t === 'ipv6' && lo.bits < 128) err('a range cannot start with a network (CIDR)', lt.pos);
        members.push({ lo, hi });
      } else members.push({ lo });
      if (members.length > 1024) err('a set may hold at most 1024 members', lt.pos);
      t = this.peek();
      if (this.isOp(t, ',')) { sepTok = this.next(); continue; }
      sepTok = lt;
    }
    return { kind: 'in', field, members };
  }

  /** Convert a literal token to the field's type; `use` says what it is for (contains takes any byte string). */
  value(field: FieldDef, t: Tok, use: 'eq' | 'order' | 'contains'): Value {
    const bad = (why = ''): never => err(`${t.v.length > 60 ? t.v.slice(0, 60) + '…' : t.v.startsWith('"') || t.k === 'char' ? t.v : `"${t.v}"`} is not valid for ${field.name} (wanted ${WANTED[field.type]})${why}`, t.pos);
    switch (field.type) {
      case 'uint':
      case 'int': {
        if (t.k === 'char') return { t: 'num', v: t.bytes![0] };
        if (t.k !== 'word') bad();
        const v = parseInteger(t.v);
        if (v === null) return bad();
        if (v === 'overflow') err(`"${t.v}" is too large a number`, t.pos);
        return { t: 'num', v };
      }
      case 'bool': {
        if (t.k === 'word') {
          if (t.v === 'True' || t.v === 'true') return { t: 'num', v: 1 };
          if (t.v === 'False' || t.v === 'false') return { t: 'num', v: 0 };
          const v = parseInteger(t.v);
          if (typeof v === 'number') return { t: 'num', v: v !== 0 ? 1 : 0 };
        }
        return bad();
      }
      case 'time':
      case 'float': {
        if (t.k !== 'word') bad();
        const m = /^(-?)(\d+)(?:\.(\d*))?$|^(-?)\.(\d+)$/.exec(t.v);
        if (field.type === 'float') {
          if (!/^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t.v) && parseInteger(t.v) === null) bad();
          const v = /^-?0[xXbB]|^-?0\d/.test(t.v) ? Number(parseInteger(t.v)) : Number(t.v);
          return { t: 'num', v };
        }
        if (!m) return bad();
        const neg = (m[1] ?? m[4]) === '-';
        const whole = m[2] ?? '0';
        const frac = ((m[3] ?? m[5] ?? '') + '000000000').slice(0, 9);
        let ns = BigInt(whole) * 1_000_000_000n + BigInt(frac);
        if (neg) ns = -ns;
        return { t: 'num', v: Number(t.v), ns };
      }
      case 'ipv4': {
        if (t.k !== 'word') bad();
        const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,3}))?$/.exec(t.v);
        if (!m) return bad();
        const o = m.slice(1, 5).map(Number);
        if (o.some((x) => x > 255)) bad();
        const bits = m[5] === undefined ? 32 : Number(m[5]);
        if (bits > 32) err(`a CIDR prefix for IPv4 is at most /32, not /${bits}`, t.pos);
        if (m[5] !== undefined && use === 'contains') bad();
        return { t: 'ipv4', v: ((o[0] << 24) | (o[1] << 16) | (o[2] << 8) | o[3]) >>> 0, bits };
      }
      case 'ipv6': {
        if (t.k !== 'word') bad();
        const [addr, pfx, extra] = t.v.split('/');
        if (extra !== undefined) bad();
        const v = parseIpv6(addr);
        if (!v) return bad();
        let bits = 128;
        if (pfx !== undefined) {
          if (!/^\d{1,3}$/.test(pfx)) bad();
          bits = Number(pfx);
          if (bits > 128) err(`an IPv6 prefix is at most /128, not /${bits}`, t.pos);
        }
        return { t: 'ipv6', v, bits };
      }
      case 'mac': {
        if (t.k !== 'word') bad(t.k === 'str' ? ' — write a MAC without quotes' : '');
        if (use === 'contains') {
          const b = parseBytes(t.v);
          if (!b) bad();
          return { t: 'bytes', v: b! };
        }
        const b = parseMac(t.v);
        if (!b) return bad();
        return { t: 'bytes', v: b };
      }
      case 'string': {
        if (t.k === 'str') return { t: 'str', v: utf8d.decode(t.bytes!) };
        if (t.k === 'word') return { t: 'str', v: t.v };
        return bad();
      }
      case 'bytes':
      case 'none': {
        if (t.k === 'str' || t.k === 'char') return { t: 'bytes', v: t.bytes! };
        const b = parseBytes(t.v);
        if (!b) return bad();
        return { t: 'bytes', v: b };
      }
    }
  }
}

/**
 * Names tshark 4.0 also accepts for catalog fields: the protocols renamed in Wireshark 3.0 (`ssl` → `tls`,
 * `bootp` → `dhcp`, with all their fields) and tshark's names of the IPv6 fragment header fields.
 */
const ALIASES: Record<string, string> = {
  'ipv6.fraghdr.offset': 'ipv6.fragment.offset',
  'ipv6.fraghdr.more': 'ipv6.fragment.more',
  'ipv6.fraghdr.ident': 'ipv6.fragment.id',
};

export function lookupField(name: string): FieldDef | undefined {
  const dot = name.indexOf('.');
  const proto = dot < 0 ? name : name.slice(0, dot);
  if (proto === 'ssl' || proto === 'bootp') return fieldByName((proto === 'ssl' ? 'tls' : 'dhcp') + name.slice(proto.length));
  return fieldByName(ALIASES[name] ?? name);
}

function typeName(f: FieldDef): string {
  const names: Record<FieldType, string> = { none: 'a marker', uint: 'unsigned integer', int: 'signed integer', bool: 'boolean', ipv4: 'IPv4 address', ipv6: 'IPv6 address', mac: 'MAC address', string: 'string', bytes: 'bytes', time: 'time', float: 'floating point number' };
  return names[f.type];
}

/** A pattern's text from the string's bytes; bytes that are not UTF-8 (from "\xff" escapes) become \xHH escapes. */
function regexSource(b: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(b);
  } catch {
    let s = '';
    for (const x of b) s += x < 0x80 ? String.fromCharCode(x) : `\\x${x.toString(16)}`;
    return s;
  }
}

/** Integer literal as tshark reads it: decimal, 0x hex, 0b binary, leading 0 octal, optional minus sign. */
export function parseInteger(s: string): number | null | 'overflow' {
  const m = /^(-?)(?:0[xX]([0-9a-fA-F]+)|0[bB]([01]+)|(0[0-7]*)|([1-9][0-9]*))$/.exec(s);
  if (!m) return null;
  let v: bigint;
  if (m[2] !== undefined) v = BigInt('0x' + m[2]);
  else if (m[3] !== undefined) v = BigInt('0b' + m[3]);
  else if (m[4] !== undefined) v = BigInt('0o' + (m[4].slice(1) || '0'));
  else v = BigInt(m[5]);
  if (v > 0xffffffffffffffffn) return 'overflow';
  return m[1] ? -Number(v) : Number(v);
}

/** IPv6 text (with an optional dotted IPv4 tail) to 16 bytes, or null. */
export function parseIpv6(s: string): Uint8Array | null {
  if (!/^[0-9a-fA-F:.]+$/.test(s) || s.length > 45) return null;
  let tail: number[] = [];
  let text = s;
  const v4 = /(?:^|:)(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (v4) {
    tail = v4.slice(1, 5).map(Number);
    if (tail.some((x) => x > 255)) return null;
    text = s.slice(0, s.length - v4[0].length + (v4[0].startsWith(':') ? 1 : 0));
    if (text === '') return null;
    if (text.endsWith(':') && !text.endsWith('::')) text = text.slice(0, -1);
  }
  if (text.includes('.')) return null;
  const want = v4 ? 6 : 8;
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const part = (h: string): number[] | null => {
    if (h === '') return [];
    const g = h.split(':');
    const out: number[] = [];
    for (const x of g) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(x)) return null;
      out.push(parseInt(x, 16));
    }
    return out;
  };
  const a = part(halves[0]);
  const b = halves.length === 2 ? part(halves[1]) : [];
  if (!a || !b) return null;
  let words: number[];
  if (halves.length === 2) {
    if (a.length + b.length > want - 1) return null;
    words = [...a, ...new Array<number>(want - a.length - b.length).fill(0), ...b];
  } else {
    if (a.length !== want) return null;
    words = a;
  }
  const out = new Uint8Array(16);
  words.forEach((w, i) => { out[2 * i] = w >> 8; out[2 * i + 1] = w & 255; });
  if (v4) out.set(tail, 12);
  return out;
}

/** MAC literal: six hex pairs with ':' or '-', three quads with '.', or twelve hex digits. */
export function parseMac(s: string): Uint8Array | null {
  let hex: string | null = null;
  if (/^[0-9a-fA-F]{1,2}([:-])[0-9a-fA-F]{1,2}(\1[0-9a-fA-F]{1,2}){4}$/.test(s)) hex = s.split(/[:-]/).map((x) => x.padStart(2, '0')).join('');
  else if (/^[0-9a-fA-F]{4}\.[0-9a-fA-F]{4}\.[0-9a-fA-F]{4}$/.test(s)) hex = s.replace(/\./g, '');
  else if (/^[0-9a-fA-F]{12}$/.test(s)) hex = s;
  if (hex === null) return null;
  return Uint8Array.from(hex.match(/../g)!.map((x) => parseInt(x, 16)));
}

/** Byte-string literal: hex pairs separated by ':', '-' or '.' (one separator throughout), or hex pairs run together. */
export function parseBytes(s: string): Uint8Array | null {
  let parts: string[];
  if (/^[0-9a-fA-F]{1,2}(?:([:.-])[0-9a-fA-F]{1,2}(?:\1[0-9a-fA-F]{1,2})*)?$/.test(s) && (s.length <= 2 || /[:.-]/.test(s))) parts = s.split(/[:.-]/);
  else if (/^(?:[0-9a-fA-F]{2})+$/.test(s)) parts = s.match(/../g)!;
  else return null;
  return Uint8Array.from(parts.map((x) => parseInt(x, 16)));
}

/** Parse and type-check a display filter. Throws FilterError naming the position and what was expected. */
export function parseFilter(text: string): Expr {
  if (typeof text !== 'string') throw new FilterError('the filter must be text', 1);
  if (text.length > MAX_FILTER_LENGTH) throw new FilterError(`the filter is longer than ${MAX_FILTER_LENGTH} characters`, MAX_FILTER_LENGTH + 1);
  const toks = lex(text);
  if (toks.length === 1) throw new FilterError('the filter is empty', 1);
  return new Parser(toks, text).parse();
}

/** Every field a checked filter reads (for Dissection.setWanted). */
export function filterFields(e: Expr, out: Set<FieldDef> = new Set()): Set<FieldDef> {
  const stack: Expr[] = [e];
  while (stack.length) {
    const x = stack.pop()!;
    switch (x.kind) {
      case 'and':
      case 'or': stack.push(x.left, x.right); break;
      case 'not': stack.push(x.expr); break;
      default: out.add(x.field);
    }
  }
  return out;
}
