/** DHCPv6 (udp 546/547): message type, transaction id, option types; relay messages walk their options too. */
import { fid } from '../fields/catalog.js';
import { hexBytes } from '../fields/format.js';
import type { Protocol } from './types.js';

const F = { dhcpv6: fid('dhcpv6'), msgtype: fid('dhcpv6.msgtype'), xid: fid('dhcpv6.xid'), opt: fid('dhcpv6.option.type'), duid: fid('dhcpv6.duid.bytes') };

const TYPES: Record<number, string> = {
  1: 'Solicit', 2: 'Advertise', 3: 'Request', 4: 'Confirm', 5: 'Renew', 6: 'Rebind', 7: 'Reply', 8: 'Release', 9: 'Decline',
  10: 'Reconfigure', 11: 'Information-request', 12: 'Relay-forw', 13: 'Relay-reply', 14: 'Leasequery', 15: 'Leasequery-reply',
  16: 'Leasequery-done', 17: 'Leasequery-data', 18: 'Reconfigure-request', 19: 'Reconfigure-reply', 20: 'DHCPv4-query',
  21: 'DHCPv4-response',
};

export const dhcpv6: Protocol = {
  name: 'dhcpv6',
  bind: [{ table: 'udp.port', keys: [546, 547] }],
  decode(r, off, d) {
    d.layer('dhcpv6', off, r.end, F.dhcpv6);
    d.protocol = 'DHCPv6';
    const t = r.u8(off);
    d.add(F.msgtype, t, off, 1);
    const name = TYPES[t] ?? `Unknown (${t})`;
    if (d.wantInfo) d.info = name;
    let o: number;
    if (t === 12 || t === 13) {
      r.need(off, 34, 'dhcpv6 relay header');
      o = off + 34;
    } else {
      const xid = r.u24(off + 1);
      d.add(F.xid, xid, off + 1, 3);
      if (d.wantInfo) d.info = `${name} XID: 0x${xid.toString(16).padStart(6, '0')}`;
      o = off + 4;
    }
    while (o + 4 <= r.end) {
      const ot = r.u16(o), ol = r.u16(o + 2);
      d.add(F.opt, ot, o, 2);
      r.need(o + 4, ol, 'dhcpv6 option');
      if (ot === 1 && ol > 0) {
        const duid = r.bytes(o + 4, ol);
        d.add(F.duid, duid, o + 4, ol);
        if (d.wantInfo) d.info += ` CID: ${hexBytes(duid)} `;
      }
      o += 4 + ol;
    }
    if (o < r.end) d.weird('dhcpv6_trailing_bytes');
  },
};
