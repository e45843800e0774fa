/**
 * What a protocol module is. One file per protocol in src/protocols/, listed once in registry.ts.
 * A child protocol binds itself to a table of its parent ('ethertype', 'ip.proto', 'udp.port', …);
 * the parent never names its children.
 */
import type { Reader } from '../wire/reader.js';
import type { Dissection } from '../dissect/dissection.js';
import type { Session } from '../dissect/session.js';

export type TableName =
  | 'linktype'
  | 'ethertype'
  | 'llc.dsap'
  | 'llc.pid'
  | 'ppp.protocol'
  | 'ip.proto'
  | 'udp.port'
  | 'tcp.port'
  | 'null.family';

export interface Binding {
  table: TableName;
  keys: number[];
  /** take the port only when this protocol's heuristic for the transport also accepts the payload */
  strict?: boolean;
}

export interface Heuristic {
  table: 'udp' | 'tcp';
  /** Cheap check on the payload [off, r.end). Must never throw: say "not mine" with false. */
  test(r: Reader, off: number, d: Dissection): boolean;
}

/** PDU framing for protocols carried over TCP, so segments can be reassembled (Wireshark's tcp_dissect_pdus). */
export interface StreamFraming {
  /**
   * Given stream bytes at the start of a PDU in [off, r.end): the PDU's total length (may run past r.end),
   * 0 when more bytes are needed to tell, -1 when this is not a PDU start of this protocol.
   */
  pduLength(r: Reader, off: number, d: Dissection): number;
  /** How many leading bytes of a PDU the decoder needs (the rest is counted, not kept). */
  keep(r: Reader, off: number, total: number): number;
}

export interface Protocol {
  /** Wireshark's abbreviation */
  name: string;
  bind?: Binding[];
  heuristics?: Heuristic[];
  /** Present for protocols that run over TCP with messages that can span segments. */
  framing?: StreamFraming;
  /**
   * Decode the layer starting at `off` (its window ends at r.end). Read only through `r`.
   * `pduLen` is the PDU's true length when it was reassembled or cut by the capture (>= r.end - off).
   * Hand the rest on with `s.next(…)`. Throwing DecodeError marks the packet truncated/malformed.
   */
  decode(r: Reader, off: number, d: Dissection, s: Session, pduLen?: number): void;
}
