/**
 * Display filters (DESIGN.md §5): the checked expression both back ends consume. The parser
 * (`parse.ts`) turns text into this tree after typing every comparison against the field catalog;
 * `js.ts` compiles it to a predicate over a Dissection, `sql.ts` to a parameterized WHERE fragment.
 * Semantics are Wireshark 4's: a comparison on a field matches if ANY occurrence matches, and
 * `a != b` is `!(a == b)` (kind 'cmp' with op '!=' must be evaluated as not-any-equal).
 * Checked against tshark 4.0.17: `a != b` is false when the field is absent (`tcp.port != 80` never
 * matches a UDP packet), so it is "the field is present and no occurrence equals b".
 * A uint field compared with a negative literal (`ip.ttl < -1`) never matches in tshark except by `!=`
 * (present). `matches` is case-insensitive unless the pattern starts with (?-i): `flags` then lacks 'i'.
 * No kinds were added: tshark's `a === b` (all_eq) is parsed as `a && !(a < b || a > b)` and `a !== b` / `a ~= b`
 * (any_ne) as `a < b || a > b`; `ssl.*` and `bootp.*` resolve to the `tls.*` and `dhcp.*` catalog fields.
 * Byte strings order shorter-first, then byte by byte (Wireshark's order); strings byte by byte.
 */
import type { FieldDef } from '../fields/catalog.js';

/** A literal already converted to the field's type. */
export type Value =
  | { t: 'num'; v: number; ns?: bigint } // uint, int, float, time (seconds; `ns` exact nanoseconds for time fields), bool as 0/1
  | { t: 'str'; v: string } // string fields
  | { t: 'bytes'; v: Uint8Array } // bytes fields, MACs (6 bytes), `contains` on bytes
  | { t: 'ipv4'; v: number; bits: number } // address as uint32; bits < 32 is a CIDR network
  | { t: 'ipv6'; v: Uint8Array; bits: number }; // 16 bytes; bits < 128 is a CIDR network

export type CmpOp = '==' | '!=' | '>' | '<' | '>=' | '<=';

export type Expr =
  | { kind: 'and' | 'or'; left: Expr; right: Expr }
  | { kind: 'not'; expr: Expr }
  /** bare protocol or field name: at least one occurrence */
  | { kind: 'present'; field: FieldDef }
  /** field OP value; with a CIDR value, == means "in the network" */
  | { kind: 'cmp'; op: CmpOp; field: FieldDef; value: Value }
  /** field in {a b c..d}: any occurrence equals a member or lies in a range (inclusive) */
  | { kind: 'in'; field: FieldDef; members: Array<{ lo: Value; hi?: Value }> }
  /** field contains value (substring of a string, or sub-sequence of bytes; for a protocol field such as
   *  `frame` or `udp`, a sub-sequence of the layer's bytes) */
  | { kind: 'contains'; field: FieldDef; value: Value }
  /** field matches regex. `pattern` is a JavaScript RegExp source already translated from PCRE (see
   *  regex.ts); `flags` holds 'i' (case-insensitive: tshark 4.0's default, dropped by a leading (?-i)),
   *  's' and 'm'. Bytes fields are matched as Latin-1 text of their bytes. */
  | { kind: 'matches'; field: FieldDef; pattern: string; flags: string };

/** A filter that cannot be compiled; `position` is the 1-based column where the problem starts. */
export class FilterError extends Error {
  constructor(message: string, readonly position: number) {
    super(`1:${position}: ${message}`);
    this.name = 'FilterError';
  }
}

/** Limits on what a filter may be. */
export const MAX_FILTER_LENGTH = 4096;
export const MAX_FILTER_DEPTH = 64;
