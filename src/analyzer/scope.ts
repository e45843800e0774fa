/**
 * What every list endpoint of the Analyzer shares: the scope `capture`, `from`, `to`, `q` (DESIGN.md §6), turned into
 * one boolean SQL expression over the packets table. Every value goes into `params`; the SQL text is fixed.
 *
 * - `capture`: an id or comma-separated ids
 * - `from` (inclusive), `to` (exclusive): epoch seconds (decimals allowed, to the nanosecond) or ISO 8601
 * - `q`: a display filter, compiled by src/filter (sqlWhere)
 */
import { sqlWhere } from '../filter/index.js';
import { Rejected } from '../bus/messages.js';

export interface ScopeQs {
  capture?: string;
  from?: string;
  to?: string;
  q?: string;
}

export interface Scope {
  captures: number[] | null;
  /** nanoseconds since the epoch, as decimal text (bigint parameters) */
  fromNs: string | null;
  toNs: string | null;
  q: string | null;
}

/** The JSON-schema properties of the scope, shared by every list route. */
export const scopeProps = {
  capture: { type: 'string', pattern: '^[0-9]{1,18}(,[0-9]{1,18}){0,99}$', description: 'capture id, or comma-separated ids' },
  from: { type: 'string', maxLength: 40, description: 'start (inclusive): epoch seconds (decimals allowed) or ISO 8601' },
  to: { type: 'string', maxLength: 40, description: 'end (exclusive): epoch seconds (decimals allowed) or ISO 8601' },
  q: { type: 'string', maxLength: 4096, description: 'display filter (Wireshark syntax)' },
} as const;

/** Nanosecond times are bigint: 9e9 s (year 2255) is the last that fits. */
const MAX_EPOCH = 9_000_000_000;

/** Epoch seconds ("1700000000", "1700000000.123456789") or ISO 8601 → nanoseconds as decimal text. */
export function parseTime(name: string, s: string): string {
  const m = /^(\d{1,11})(?:\.(\d{1,9}))?$/.exec(s.trim());
  if (m) {
    if (Number(m[1]) > MAX_EPOCH) throw new Rejected(`${name}: ${m[1]} is past the last time stored (${MAX_EPOCH} s, year 2255)`, 400);
    return (BigInt(m[1]) * 1_000_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'))).toString();
  }
  // ISO 8601: date with optional time and zone; Date.parse keeps milliseconds, the fraction below is added back
  const iso = /^(\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?)?)(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$/.exec(s.trim());
  if (iso) {
    const base = Date.parse(iso[1].replace(' ', 'T') + (iso[1].length > 10 ? (iso[3] ?? 'Z') : ''));
    if (!Number.isNaN(base) && base >= 0 && base <= MAX_EPOCH * 1000) return (BigInt(base) * 1_000_000n + BigInt((iso[2] ?? '').padEnd(9, '0'))).toString();
  }
  throw new Rejected(`${name}: "${s.slice(0, 40)}" is neither epoch seconds nor an ISO 8601 time`, 400);
}

export function parseScope(qs: ScopeQs): Scope {
  const captures = qs.capture ? [...new Set(qs.capture.split(',').map(Number))] : null;
  const fromNs = qs.from !== undefined && qs.from !== '' ? parseTime('from', qs.from) : null;
  const toNs = qs.to !== undefined && qs.to !== '' ? parseTime('to', qs.to) : null;
  const q = qs.q !== undefined && qs.q.trim() !== '' ? qs.q : null;
  return { captures, fromNs, toNs, q };
}

/** A parameter list that hands back `$n` for each value pushed. */
export class Params {
  readonly values: unknown[] = [];
  add(v: unknown): string {
    this.values.push(v);
    return `$${this.values.length}`;
  }
}

/**
 * The scope as a boolean SQL expression over packets aliased `a` (throws FilterError for a bad q). The time bounds
 * are given on `ts` too (to the second, widened) so that day partitions outside the range are pruned.
 */
export function scopeSql(s: Scope, p: Params, a = 'p', opts: { q?: boolean } = {}): string {
  const w: string[] = [];
  if (s.captures) w.push(s.captures.length === 1 ? `${a}.capture_id = ${p.add(s.captures[0])}` : `${a}.capture_id = ANY(${p.add(s.captures)}::bigint[])`);
  if (s.fromNs !== null) {
    const x = p.add(s.fromNs);
    w.push(`${a}.ts_ns >= ${x}::bigint`, `${a}.ts >= to_timestamp(${x}::bigint / 1000000000 - 1)`);
  }
  if (s.toNs !== null) {
    const x = p.add(s.toNs);
    w.push(`${a}.ts_ns < ${x}::bigint`, `${a}.ts < to_timestamp(${x}::bigint / 1000000000 + 1)`);
  }
  if (s.q !== null && opts.q !== false) w.push(`(${sqlWhere(s.q, p.values, a)})`);
  return w.length ? w.join(' AND ') : 'TRUE';
}

/** Whether the scope can be answered from per-minute rollups: no filter, and time bounds on whole minutes. */
export function minuteAligned(s: Scope): boolean {
  const ok = (ns: string | null) => ns === null || BigInt(ns) % 60_000_000_000n === 0n;
  return s.q === null && ok(s.fromNs) && ok(s.toNs);
}

/** Whether the scope can be answered from per-second rollups: no filter, and time bounds on whole seconds. */
export function secondAligned(s: Scope): boolean {
  const ok = (ns: string | null) => ns === null || BigInt(ns) % 1_000_000_000n === 0n;
  return s.q === null && ok(s.fromNs) && ok(s.toNs);
}

/** The scope over rollup_second aliased `a` (call only when secondAligned). */
export function secondSql(s: Scope, p: Params, a = 'r'): string {
  const w: string[] = [];
  if (s.captures) w.push(`${a}.capture_id = ANY(${p.add(s.captures)}::bigint[])`);
  if (s.fromNs !== null) w.push(`${a}.second >= ${p.add(s.fromNs)}::bigint / 1000000000`);
  if (s.toNs !== null) w.push(`${a}.second < ${p.add(s.toNs)}::bigint / 1000000000`);
  return w.length ? w.join(' AND ') : 'TRUE';
}

/** The scope over a per-minute rollup table aliased `a` (call only when minuteAligned). */
export function rollupSql(s: Scope, p: Params, a = 'r'): string {
  const w: string[] = [];
  if (s.captures) w.push(`${a}.capture_id = ANY(${p.add(s.captures)}::bigint[])`);
  if (s.fromNs !== null) w.push(`${a}.minute >= to_timestamp(${p.add(s.fromNs)}::bigint / 1000000000)`);
  if (s.toNs !== null) w.push(`${a}.minute < to_timestamp(${p.add(s.toNs)}::bigint / 1000000000)`);
  return w.length ? w.join(' AND ') : 'TRUE';
}

/** Whole-capture summaries (flows, conversation totals) answer only a scope without time bounds or filter. */
export function wholeCaptures(s: Scope): boolean {
  return s.q === null && s.fromNs === null && s.toNs === null;
}

export function captureSql(s: Scope, p: Params, a: string): string {
  return s.captures ? `${a}.capture_id = ANY(${p.add(s.captures)}::bigint[])` : 'TRUE';
}
