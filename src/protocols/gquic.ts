/**
 * Google QUIC (Q0xx, before the IETF invariants): the public header only — flags, 64-bit connection ID
 * (printed little-endian as tshark does), version, packet number — and whether an unencrypted packet
 * carries the client's CHLO. Packets without a version are taken only on conversations already seen as gQUIC.
 */
import { fid } from '../fields/catalog.js';
import type { Protocol } from './types.js';
import type { Dissection } from '../dissect/dissection.js';
import type { Session } from '../dissect/session.js';
import type { Reader } from '../wire/reader.js';
import { knownUdpState } from './quic.js';

const F_GQUIC = fid('gquic');

function isQver(r: Reader, o: number): boolean {
  return r.has(o, 4) && r.u8(o) === 0x51 && r.u8(o + 1) === 0x30 && r.u8(o + 2) >= 0x30 && r.u8(o + 2) <= 0x39 &&
    r.u8(o + 3) >= 0x30 && r.u8(o + 3) <= 0x39;
}

function looksGquic(r: Reader, off: number, d: Dissection): boolean {
  if (!r.has(off, 2)) return false;
  const f = r.u8(off);
  if (f & 0x80) return false;
  if (f & 0x01) return (f & 0x08) !== 0 && isQver(r, off + 9);
  return knownUdpState(d, 'gquic') !== undefined;
}

export const gquic: Protocol = {
  name: 'gquic',
  heuristics: [{ table: 'udp', test: looksGquic }],
  decode(r, off, d, s) {
    d.layer('gquic', off, r.end, F_GQUIC);
    d.protocol = 'GQUIC';
    const flow = d.l4 === 17 ? d.flow : null;
    if (flow) (flow.state ??= {}).gquic = true;
    const f = r.u8(off);
    let o = off + 1;
    let cid = '';
    if (f & 0x08) {
      let v = 0n;
      for (let i = 7; i >= 0; i--) v = (v << 8n) | BigInt(r.u8(o + i));
      cid = v.toString();
      o += 8;
    }
    const hasVer = (f & 0x01) !== 0;
    if (hasVer) o += 4;
    const pnLen = [1, 2, 4, 6][(f >> 4) & 3];
    let pn = 0;
    for (let i = pnLen - 1; i >= 0; i--) pn = pn * 256 + r.u8(o + i);
    o += pnLen;
    if (!d.wantInfo) return;
    let chlo = false;
    if (hasVer) for (let i = o; i + 4 <= r.end && !chlo; i++) chlo = r.buf[i] === 0x43 && r.buf[i + 1] === 0x48 && r.buf[i + 2] === 0x4c && r.buf[i + 3] === 0x4f;
    d.info = `${chlo ? 'Client Hello' : 'Payload (Encrypted)'}, PKN: ${pn}${cid ? `, CID: ${cid}` : ''}`;
  },
};
