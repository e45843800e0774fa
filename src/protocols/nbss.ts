/**
 * NetBIOS Session Service (tcp 139) and SMB direct TCP (445): the 4-byte header frames SMB messages, so
 * messages spanning segments are reassembled by tcp.ts. Session messages go on to SMB2 or SMB1.
 */
import { fid } from '../fields/catalog.js';
import type { Protocol } from './types.js';
import { smb2Decode } from './smb2.js';
import { smb1 } from './nbns.js';

const F = { nbss: fid('nbss'), type: fid('nbss.type'), len: fid('nbss.length') };
const TYPES: Record<number, string> = {
  0x00: 'Session message', 0x81: 'Session request', 0x82: 'Positive session response', 0x83: 'Negative session response',
  0x84: 'Retarget session response', 0x85: 'Session keep-alive',
};

export const nbss: Protocol = {
  name: 'nbss',
  bind: [{ table: 'tcp.port', keys: [139, 445] }],
  framing: {
    pduLength(r, off, d) {
      if (!r.has(off, 4)) return 0;
      const t = r.u8(off);
      if (!TYPES[t]) return -1;
      const direct = d.sport === 445 || d.dport === 445;
      const len = direct ? r.u24(off + 1) : ((r.u8(off + 1) & 1) << 16) | r.u16(off + 2);
      if (t === 0 && r.has(off + 4, 4)) {
        const m = r.u8(off + 4);
        if ((m !== 0xfe && m !== 0xff && m !== 0xfd) || r.u8(off + 5) !== 0x53 || r.u8(off + 6) !== 0x4d || r.u8(off + 7) !== 0x42) return -1;
      }
      return 4 + len;
    },
    keep: (_r, _off, total) => Math.min(total, 65536),
  },
  decode(r, off, d, s, pduLen) {
    const t = r.u8(off);
    if (!TYPES[t]) { s.data(r, off, d); return; } // continuation bytes of a message we did not see start
    const direct = d.sport === 445 || d.dport === 445;
    const len = direct ? r.u24(off + 1) : ((r.u8(off + 1) & 1) << 16) | r.u16(off + 2);
    d.layer('nbss', off, off + 4, F.nbss);
    d.add(F.type, t, off, 1);
    d.add(F.len, len, off + 1, 3);
    d.protocol = 'NBSS';
    if (d.wantInfo) d.info = TYPES[t];
    if (t !== 0 || len === 0) return;
    const b = off + 4;
    const m = r.u32(b);
    const total = pduLen !== undefined ? pduLen - 4 : len;
    if (m === 0xfe534d42) smb2Decode(r, b, d, s, total);
    else if (m === 0xff534d42) smb1(r, b, d, s);
    else s.data(r, b, d);
  },
};
