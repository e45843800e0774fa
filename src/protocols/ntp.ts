/** NTP (udp 123): flags (leap, version, mode), stratum, poll, reference id; Info "NTP Version 4, client" as Wireshark. */
import { fid } from '../fields/catalog.js';
import type { Protocol } from './types.js';

const F = {
  ntp: fid('ntp'), flags: fid('ntp.flags'), li: fid('ntp.flags.li'), vn: fid('ntp.flags.vn'), mode: fid('ntp.flags.mode'),
  stratum: fid('ntp.stratum'), ppoll: fid('ntp.ppoll'), precision: fid('ntp.precision'), refid: fid('ntp.refid'),
};
const MODES = ['reserved', 'symmetric active', 'symmetric passive', 'client', 'server', 'broadcast', 'reserved for NTP control message', 'reserved for private use'];

export const ntp: Protocol = {
  name: 'ntp',
  bind: [{ table: 'udp.port', keys: [123] }],
  decode(r, off, d) {
    d.layer('ntp', off, r.end, F.ntp);
    d.protocol = 'NTP';
    const fl = r.u8(off);
    const vn = (fl >> 3) & 7, mode = fl & 7;
    if (d.wantInfo) d.info = `${vn >= 1 && vn <= 4 ? `NTP Version ${vn}` : 'reserved'}, ${MODES[mode]}`;
    d.add(F.flags, fl, off, 1);
    d.add(F.li, fl >> 6, off, 1);
    d.add(F.vn, vn, off, 1);
    d.add(F.mode, mode, off, 1);
    if (mode === 6 || mode === 7) return; // control / private messages have another layout
    d.add(F.stratum, r.u8(off + 1), off + 1, 1);
    d.add(F.ppoll, r.u8(off + 2), off + 2, 1);
    d.add(F.precision, r.u8(off + 3), off + 3, 1);
    d.add(F.refid, r.bytes(off + 12, 4), off + 12, 4);
    r.need(off, 48, 'ntp timestamps');
  },
};
