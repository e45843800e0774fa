// DNS message encoder (RFC 1035) with name compression; also used for mDNS. Names are dotted strings whose labels
// are taken byte for byte (Latin-1), so test data may put any byte except '.' in a label.

import { ByteWriter } from './bytes.js';

export const A = 1, NS = 2, CNAME = 5, SOA = 6, PTR = 12, TXT = 16, AAAA = 28, SRV = 33, OPT = 41, HTTPS = 65;
export const NOERROR = 0, SERVFAIL = 2, NXDOMAIN = 3;
export const IN = 1;

export type RData =
  | { type: typeof A | typeof AAAA; addr: Uint8Array }
  | { type: typeof CNAME | typeof PTR | typeof NS; target: string }
  | { type: typeof TXT; strings: string[] }
  | { type: typeof SRV; priority: number; weight: number; port: number; target: string }
  | { type: typeof SOA; mname: string; rname: string; serial: number; refresh: number; retry: number; expire: number; minimum: number };

export interface Question { name: string; type: number; cls?: number }
export type Record = { name: string; ttl: number; cls?: number } & RData;

export interface Message {
  id: number;
  /** Flags word: QR, opcode, AA, TC, RD, RA, AD, CD and rcode. */
  flags: number;
  qd?: Question[];
  an?: Record[];
  ns?: Record[];
  ar?: Record[];
  /** Adds an EDNS(0) OPT pseudo-record with this UDP payload size. */
  edns?: number;
}

export const QR = 0x8000, AA = 0x0400, TC = 0x0200, RD = 0x0100, RA = 0x0080, AD = 0x0020;

export function encode(m: Message, compress = true): Uint8Array {
  const w = new ByteWriter(512);
  const seen = new Map<string, number>();
  const name = (n: string) => {
    const labels = n === '' || n === '.' ? [] : n.replace(/\.$/, '').split('.');
    for (let i = 0; i < labels.length; i++) {
      const key = labels.slice(i).join('.').toLowerCase();
      const at = compress ? seen.get(key) : undefined;
      if (at !== undefined) { w.u16(0xc000 | at); return; }
      if (w.len < 0x4000) seen.set(key, w.len);
      const l = labels[i]!;
      if (l.length === 0 || l.length > 63) throw new Error(`bad DNS label length in ${JSON.stringify(n)}`);
      w.u8(l.length).str(l);
    }
    w.u8(0);
  };
  const rr = (r: Record) => {
    name(r.name);
    w.u16(r.type).u16(r.cls ?? IN).u32(r.ttl >>> 0);
    const len = w.open(2);
    switch (r.type) {
      case A: case AAAA: w.bytes(r.addr); break;
      case CNAME: case PTR: case NS: name(r.target); break;
      case TXT: for (const s of r.strings) w.u8(s.length).str(s); break;
      case SRV: w.u16(r.priority).u16(r.weight).u16(r.port); name(r.target); break;
      case SOA: name(r.mname); name(r.rname); w.u32(r.serial).u32(r.refresh).u32(r.retry).u32(r.expire).u32(r.minimum); break;
    }
    w.close(len);
  };
  const qd = m.qd ?? [], an = m.an ?? [], ns = m.ns ?? [], ar = m.ar ?? [];
  w.u16(m.id).u16(m.flags).u16(qd.length).u16(an.length).u16(ns.length).u16(ar.length + (m.edns ? 1 : 0));
  for (const q of qd) { name(q.name); w.u16(q.type).u16(q.cls ?? IN); }
  an.forEach(rr);
  ns.forEach(rr);
  ar.forEach(rr);
  if (m.edns) w.u8(0).u16(OPT).u16(m.edns).u32(0).u16(0);
  return w.finish();
}

/** The same message with a two-byte length prefix, as sent over TCP. */
export function withLength(msg: Uint8Array): Uint8Array {
  const out = new Uint8Array(msg.length + 2);
  out[0] = msg.length >> 8;
  out[1] = msg.length & 255;
  out.set(msg, 2);
  return out;
}

/** Reverse-lookup name for an address (in-addr.arpa or ip6.arpa). */
export function reverseName(addr: Uint8Array): string {
  if (addr.length === 4) return `${addr[3]}.${addr[2]}.${addr[1]}.${addr[0]}.in-addr.arpa`;
  const nibbles: string[] = [];
  for (let i = 15; i >= 0; i--) nibbles.push((addr[i]! & 15).toString(16), (addr[i]! >> 4).toString(16));
  return `${nibbles.join('.')}.ip6.arpa`;
}
