/** PPPoE session stage (0x8864) carrying PPP; discovery stage (0x8863) is named only. */
import { fid } from '../fields/catalog.js';
import type { Protocol } from './types.js';

const F = { pppoes: fid('pppoes'), sid: fid('pppoes.session_id'), ppp: fid('ppp'), proto: fid('ppp.protocol') };

export const pppoes: Protocol = {
  name: 'pppoes',
  bind: [{ table: 'ethertype', keys: [0x8864] }],
  decode(r, off, d, s) {
    const len = r.u16(off + 4);
    d.layer('pppoes', off, off + 6, F.pppoes);
    d.add(F.sid, r.u16(off + 2), off + 2, 2);
    d.protocol = 'PPPoES';
    if (d.wantInfo) d.info = 'PPP session';
    const end = Math.min(r.end, off + 6 + len);
    s.call(ppp, r.sub(off + 6, end - off - 6, true), off + 6, d);
  },
};

export const ppp: Protocol = {
  name: 'ppp',
  decode(r, off, d, s) {
    let o = off;
    if (r.u8(o) === 0xff && r.u8(o + 1) === 0x03) o += 2; // HDLC address/control
    let proto = r.u8(o);
    let plen = 1;
    if ((proto & 1) === 0) { proto = r.u16(o); plen = 2; }
    d.layer('ppp', off, o + plen, F.ppp);
    d.add(F.proto, proto, o, plen);
    d.protocol = 'PPP';
    if (proto === 0x21) s.next('ethertype', 0x0800, r, o + plen, d);
    else if (proto === 0x57) s.next('ethertype', 0x86dd, r, o + plen, d);
    else s.next('ppp.protocol', proto, r, o + plen, d);
  },
};
