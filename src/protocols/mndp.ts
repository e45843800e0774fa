/** MikroTik Neighbor Discovery (udp 5678): TLVs after a 4-byte header; Wireshark keeps UDP's Info. */
import { fid } from '../fields/catalog.js';
import type { Protocol } from './types.js';

const F = { mndp: fid('mndp'), mac: fid('mndp.mac'), identity: fid('mndp.identity'), version: fid('mndp.version'), platform: fid('mndp.platform') };

export const mndp: Protocol = {
  name: 'mndp',
  bind: [{ table: 'udp.port', keys: [5678] }],
  decode(r, off, d) {
    d.layer('mndp', off, r.end, F.mndp);
    d.protocol = 'MNDP';
    for (let o = off + 4; o + 4 <= r.end;) {
      const t = r.u16(o), l = r.u16(o + 2), v = o + 4;
      r.need(v, l, 'mndp tlv');
      if (t === 1 && l === 6) d.add(F.mac, r.bytes(v, 6), v, 6);
      else if (t === 5) d.add(F.identity, r.latin1(v, l), v, l);
      else if (t === 7) d.add(F.version, r.latin1(v, l), v, l);
      else if (t === 8) d.add(F.platform, r.latin1(v, l), v, l);
      o = v + l;
    }
  },
};
