/** Ethernet II and IEEE 802.3 (length field → LLC). Linktype 1. */
import { fid } from '../fields/catalog.js';
import type { Protocol } from './types.js';

const F = { eth: fid('eth'), dst: fid('eth.dst'), src: fid('eth.src'), addr: fid('eth.addr'), type: fid('eth.type'), len: fid('eth.len') };

export const eth: Protocol = {
  name: 'eth',
  bind: [{ table: 'linktype', keys: [1] }, { table: 'ethertype', keys: [0x6558] }], // 0x6558: transparent Ethernet bridging (GRE, VXLAN)
  decode(r, off, d, s) {
    d.layer('eth', off, r.end, r.end - off >= 14 ? F.eth : -1); // tshark: a header cut short lists eth in frame.protocols, without the eth field
    d.protocol = 'Ethernet';
    const t = r.u16(off + 12);
    if (d.wants(F.dst) || d.wants(F.src) || d.wants(F.addr)) {
      const dst = r.bytes(off, 6);
      const src = r.bytes(off + 6, 6);
      d.add(F.dst, dst, off, 6);
      d.add(F.addr, dst, off, 6);
      d.add(F.src, src, off + 6, 6);
      d.add(F.addr, src, off + 6, 6);
    }
    if (t <= 1500) {
      d.add(F.len, t, off + 12, 2);
      const end = Math.min(r.end, off + 14 + t);
      s.next('llc.dsap', -1, r.sub(off + 14, end - off - 14, true), off + 14, d);
      return;
    }
    d.add(F.type, t, off + 12, 2);
    s.ethertype(t, r, off + 14, d);
  },
};
