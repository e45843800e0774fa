/** MPLS label stack (unicast 0x8847, multicast 0x8848); the payload is guessed from its first nibble, as Wireshark does. */
import { fid } from '../fields/catalog.js';
import type { Protocol } from './types.js';

const F = { mpls: fid('mpls'), label: fid('mpls.label'), exp: fid('mpls.exp'), bottom: fid('mpls.bottom'), ttl: fid('mpls.ttl') };

export const mpls: Protocol = {
  name: 'mpls',
  bind: [{ table: 'ethertype', keys: [0x8847, 0x8848] }],
  decode(r, off, d, s) {
    const start = off;
    d.layer('mpls', off, off, F.mpls);
    d.protocol = 'MPLS';
    for (let i = 0; i < 16; i++) {
      const w = r.u32(off);
      d.add(F.label, w >>> 12, off, 3);
      d.add(F.exp, (w >> 9) & 7, off + 2, 1);
      d.add(F.bottom, (w >> 8) & 1, off + 2, 1);
      d.add(F.ttl, w & 0xff, off + 3, 1);
      off += 4;
      if (w & 0x100) break;
    }
    d.layerEnd[d.layerN - 1] = off;
    if (d.wantInfo) d.info = 'MPLS Label Switched Packet';
    if (off - start >= 64) { d.weird('mpls_label_stack_too_deep'); s.data(r, off, d); return; }
    const v = r.has(off, 1) ? r.u8(off) >> 4 : -1;
    if (v === 4) s.next('ethertype', 0x0800, r, off, d);
    else if (v === 6) s.next('ethertype', 0x86dd, r, off, d);
    else if (v === 0) s.next('ethertype', 0x6558, r, off + 4, d); // pseudowire control word, then Ethernet
    else s.data(r, off, d);
  },
};
