/** Linux cooked capture v1 (linktype 113) and v2 (276). */
import { fid } from '../fields/catalog.js';
import type { Protocol } from './types.js';
import type { Reader } from '../wire/reader.js';
import type { Dissection } from '../dissect/dissection.js';
import type { Session } from '../dissect/session.js';

const F = { sll: fid('sll'), pkttype: fid('sll.pkttype'), hatype: fid('sll.hatype'), halen: fid('sll.halen'), src: fid('sll.src.eth'), etype: fid('sll.etype'), ifindex: fid('sll.ifindex') };

function payload(proto: number, hatype: number, r: Reader, off: number, d: Dissection, s: Session): void {
  if (proto === 0x0004) { s.next('llc.dsap', -1, r, off, d); return; } // 802.2 LLC frames
  if (proto === 0x0001 && hatype !== 824) { s.data(r, off, d); return; } // Novell 802.3
  if (hatype === 824) { s.data(r, off, d); return; } // netlink
  s.ethertype(proto, r, off, d);
}

export const sll: Protocol = {
  name: 'sll',
  bind: [{ table: 'linktype', keys: [113] }],
  decode(r, off, d, s) {
    d.layer('sll', off, off + 16, F.sll);
    d.protocol = 'SLL';
    const pkttype = r.u16(off), hatype = r.u16(off + 2), halen = r.u16(off + 4);
    d.add(F.pkttype, pkttype, off, 2);
    d.add(F.hatype, hatype, off + 2, 2);
    d.add(F.halen, halen, off + 4, 2);
    if (halen === 6) d.add(F.src, r.bytes(off + 6, 6), off + 6, 6);
    const proto = r.u16(off + 14);
    d.add(F.etype, proto, off + 14, 2);
    payload(proto, hatype, r, off + 16, d, s);
  },
};

export const sll2: Protocol = {
  name: 'sll2',
  bind: [{ table: 'linktype', keys: [276] }],
  decode(r, off, d, s) {
    d.layer('sll', off, off + 20, F.sll);
    d.protocol = 'SLL';
    const proto = r.u16(off);
    const ifindex = r.u32(off + 4);
    const hatype = r.u16(off + 8);
    const pkttype = r.u8(off + 10);
    const halen = r.u8(off + 11);
    d.add(F.etype, proto, off, 2);
    d.add(F.ifindex, ifindex, off + 4, 4);
    d.add(F.hatype, hatype, off + 8, 2);
    d.add(F.pkttype, pkttype, off + 10, 1);
    d.add(F.halen, halen, off + 11, 1);
    if (halen === 6) d.add(F.src, r.bytes(off + 12, 6), off + 12, 6);
    payload(proto, hatype, r, off + 20, d, s);
  },
};
