/**
 * Linux netlink captures (linktype 253): the SLL-like cooked header (hatype 824, family in the protocol field),
 * then nlmsghdr records. Header fields are in the capturing host's byte order: the order whose first length
 * fits the frame is taken. Family 0 (route) is listed as 'netlink-route', Protocol "Netlink route".
 */
import { fid } from '../fields/catalog.js';
import type { Protocol } from './types.js';

const F = {
  netlink: fid('netlink'), route: fid('netlink-route'), hatype: fid('netlink.hatype'), family: fid('netlink.family'),
  len: fid('netlink.hdr_len'), type: fid('netlink.hdr_type'), flags: fid('netlink.hdr_flags'), seq: fid('netlink.hdr_seq'), pid: fid('netlink.hdr_pid'),
};
const FAMILIES: Record<number, string> = {
  0: 'Netlink route', 4: 'Netlink sock diag', 9: 'Netlink audit', 12: 'Netlink netfilter', 16: 'Netlink generic', 15: 'Netlink uevent',
};

export const netlink: Protocol = {
  name: 'netlink',
  bind: [{ table: 'linktype', keys: [253] }],
  decode(r, off, d) {
    d.layer('netlink', off, off + 16, F.netlink);
    d.protocol = 'Netlink';
    const hatype = r.u16(off + 2), family = r.u16(off + 14);
    d.add(F.hatype, hatype, off + 2, 2);
    d.add(F.family, family, off + 14, 2);
    if (hatype !== 824) d.weird('netlink_bad_hatype');
    let o = off + 16;
    if (o >= r.end) return;
    if (family === 0) d.layer('netlink-route', o, r.end, F.route);
    d.protocol = FAMILIES[family] ?? 'Netlink';
    if (d.wantInfo) d.info = '';
    const left = r.end - o;
    const le = r.u32le(o);
    const little = le >= 16 && le <= left;
    const u32 = little ? (p: number) => r.u32le(p) : (p: number) => r.u32(p);
    const u16 = little ? (p: number) => r.u16le(p) : (p: number) => r.u16(p);
    for (let n = 0; o + 16 <= r.end && n < 1024; n++) {
      const len = u32(o);
      d.add(F.len, len, o, 4);
      d.add(F.type, u16(o + 4), o + 4, 2);
      d.add(F.flags, u16(o + 6), o + 6, 2);
      d.add(F.seq, u32(o + 8), o + 8, 4);
      d.add(F.pid, u32(o + 12), o + 12, 4);
      if (len < 16) { d.weird('netlink_bad_length'); break; }
      o += (len + 3) & ~3;
    }
  },
};
