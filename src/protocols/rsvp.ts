/** RSVP (ip.proto 46): message type, and the SESSION / SENDER TEMPLATE summary Wireshark puts in Info. */
import { fid } from '../fields/catalog.js';
import { ipv4 as fmt4 } from '../fields/format.js';
import type { Protocol } from './types.js';

const F = {
  rsvp: fid('rsvp'), msg: fid('rsvp.msg'), sessIp: fid('rsvp.session.ip'), sessProto: fid('rsvp.session.proto'),
  sessPort: fid('rsvp.session.port'), sendIp: fid('rsvp.sender.ip'), sendPort: fid('rsvp.sender.port'),
};
const MSGS: Record<number, string> = {
  1: 'PATH Message. ', 2: 'RESV Message. ', 3: 'PATH ERROR Message. ', 4: 'RESV ERROR Message. ', 5: 'PATH TEAR Message. ',
  6: 'RESV TEAR Message. ', 7: 'RESV CONFIRM Message. ', 10: 'RESV TEAR CONFIRM Message. ', 12: 'BUNDLE Message. ', 13: 'ACK Message. ',
  15: 'SREFRESH Message. ', 20: 'HELLO Message. ', 21: 'NOTIFY Message. ',
};

export const rsvp: Protocol = {
  name: 'rsvp',
  bind: [{ table: 'ip.proto', keys: [46] }],
  decode(r, off, d) {
    d.layer('rsvp', off, r.end, F.rsvp);
    d.protocol = 'RSVP';
    const mt = r.u8(off + 1);
    d.add(F.msg, mt, off + 1, 1);
    let info = MSGS[mt] ?? `Unknown (${mt}). `;
    if (d.wantInfo) d.info = info;
    const end = Math.min(r.end, off + r.u16(off + 6));
    for (let o = off + 8; o + 4 <= end;) {
      const l = r.u16(o), cls = r.u8(o + 2), ct = r.u8(o + 3);
      if (l < 4) { d.weird('rsvp_bad_object_length'); break; }
      if (cls === 1 && ct === 1 && l >= 12) {
        const ip = r.u32(o + 4), pr = r.u8(o + 8), port = r.u16(o + 10);
        d.add(F.sessIp, ip, o + 4, 4);
        d.add(F.sessProto, pr, o + 8, 1);
        d.add(F.sessPort, port, o + 10, 2);
        info += `SESSION: IPv4, Destination ${fmt4(ip)}, Protocol ${pr}, Port ${port}. `;
      } else if (cls === 11 && ct === 1 && l >= 12) {
        const ip = r.u32(o + 4), port = r.u16(o + 10);
        d.add(F.sendIp, ip, o + 4, 4);
        d.add(F.sendPort, port, o + 10, 2);
        info += `SENDER TEMPLATE: IPv4, Sender ${fmt4(ip)}, Port ${port}. `;
      }
      o += l;
    }
    if (d.wantInfo) d.info = info;
  },
};
