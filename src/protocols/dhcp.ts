/**
 * DHCP / BOOTP (udp 67/68). Protocol column 'DHCP' when a message-type option (53) is present, else 'BOOTP',
 * as Wireshark. Options are walked with bounds checks; a truncated capture keeps what was decoded.
 */
import { fid } from '../fields/catalog.js';
import { mac as fmtMac } from '../fields/format.js';
import type { Protocol } from './types.js';

const F = {
  dhcp: fid('dhcp'), type: fid('dhcp.type'), hwType: fid('dhcp.hw.type'), hwLen: fid('dhcp.hw.len'), hops: fid('dhcp.hops'),
  id: fid('dhcp.id'), secs: fid('dhcp.secs'), flags: fid('dhcp.flags'), ciaddr: fid('dhcp.ip.client'), yiaddr: fid('dhcp.ip.your'),
  siaddr: fid('dhcp.ip.server'), giaddr: fid('dhcp.ip.relay'), chaddr: fid('dhcp.hw.mac_addr'), cookie: fid('dhcp.cookie'),
  opt: fid('dhcp.option.type'), msgType: fid('dhcp.option.dhcp'), hostname: fid('dhcp.option.hostname'),
  reqIp: fid('dhcp.option.requested_ip_address'), serverId: fid('dhcp.option.dhcp_server_id'), domain: fid('dhcp.option.domain_name'),
  vendor: fid('dhcp.option.vendor_class_id'), router: fid('dhcp.option.router'), mask: fid('dhcp.option.subnet_mask'),
  lease: fid('dhcp.option.ip_address_lease_time'), reqItem: fid('dhcp.option.request_list_item'), clientId: fid('dhcp.client_id'),
  end: fid('dhcp.option.end'),
};

export const DHCP_TYPES: Record<number, string> = {
  1: 'Discover', 2: 'Offer', 3: 'Request', 4: 'Decline', 5: 'ACK', 6: 'NAK', 7: 'Release', 8: 'Inform', 9: 'Force Renew',
  10: 'Lease query', 11: 'Lease Unassigned', 12: 'Lease Unknown', 13: 'Lease Active', 14: 'Bulk Lease Query', 15: 'Lease Query Done',
  16: 'Active LeaseQuery', 17: 'Lease Query Status', 18: 'TLS',
};

export const dhcp: Protocol = {
  name: 'dhcp',
  bind: [{ table: 'udp.port', keys: [67, 68] }],
  decode(r, off, d, s) {
    d.layer('dhcp', off, r.end, F.dhcp);
    d.protocol = 'BOOTP';
    const op = r.u8(off), htype = r.u8(off + 1), hlen = r.u8(off + 2), xid = r.u32(off + 4);
    d.add(F.type, op, off, 1);
    d.add(F.hwType, htype, off + 1, 1);
    d.add(F.hwLen, hlen, off + 2, 1);
    d.add(F.hops, r.u8(off + 3), off + 3, 1);
    d.add(F.id, xid, off + 4, 4);
    const xidText = d.wantInfo ? xid.toString(16) : '';
    const isEthMac = htype === 1 && hlen === 6;
    if (d.wantInfo) {
      if (op === 1) {
        const m = isEthMac && r.has(off + 28, 6) ? fmtMac(r.bytes(off + 28, 6)) : '';
        d.info = m ? `Boot Request from ${m} (${m})` : 'Boot Request';
      } else d.info = 'Boot Reply';
    }
    d.add(F.secs, r.u16(off + 8), off + 8, 2);
    d.add(F.flags, r.u16(off + 10), off + 10, 2);
    d.add(F.ciaddr, r.u32(off + 12), off + 12, 4);
    d.add(F.yiaddr, r.u32(off + 16), off + 16, 4);
    d.add(F.siaddr, r.u32(off + 20), off + 20, 4);
    d.add(F.giaddr, r.u32(off + 24), off + 24, 4);
    if (isEthMac) d.add(F.chaddr, r.bytes(off + 28, 6), off + 28, 6);
    r.need(off + 44, 192, 'bootp sname/file');
    const cookie = r.u32(off + 236);
    d.add(F.cookie, cookie, off + 236, 4);
    if (cookie !== 0x63825363) return;
    let vendor = '';
    let aruba = false;
    for (let o = off + 240; o < r.end;) {
      const t = r.u8(o);
      if (t === 0) { o++; continue; } // pad (Wireshark folds padding runs; they are not listed)
      if (t === 255) {
        d.add(F.opt, 0, o, 1); // tshark 4.0 prints the End option's type as 0
        d.add(F.end, 255, o, 1);
        break;
      }
      const l = r.u8(o + 1);
      const v = o + 2;
      d.add(F.opt, t, o, 1);
      r.need(v, l, 'dhcp option');
      switch (t) {
        case 53:
          if (l >= 1) {
            const m = r.u8(v);
            d.add(F.msgType, m, v, 1);
            d.protocol = 'DHCP';
            if (d.wantInfo) d.info = `DHCP ${(DHCP_TYPES[m] ?? 'Unknown').padEnd(8)} - Transaction ID 0x${xidText}`;
          }
          break;
        case 12: d.add(F.hostname, r.latin1(v, l), v, l); break;
        case 15: d.add(F.domain, r.latin1(v, l), v, l); break;
        case 60: vendor = r.latin1(v, l); d.add(F.vendor, vendor, v, l); break;
        case 50: if (l === 4) d.add(F.reqIp, r.u32(v), v, 4); break;
        case 54: if (l === 4) d.add(F.serverId, r.u32(v), v, 4); break;
        case 1: if (l === 4) d.add(F.mask, r.u32(v), v, 4); break;
        case 51: if (l === 4) d.add(F.lease, r.u32(v), v, 4); break;
        case 3: for (let i = 0; i + 4 <= l; i += 4) d.add(F.router, r.u32(v + i), v + i, 4); break;
        case 55: for (let i = 0; i < l; i++) d.add(F.reqItem, r.u8(v + i), v + i, 1); break;
        case 61:
          if (l === 7 && r.u8(v) === 1) { // hardware type + MAC, shown with the BOOTP header's fields
            d.add(F.hwType, 1, v, 1);
            d.add(F.chaddr, r.bytes(v + 1, 6), v + 1, 6);
          } else if (l > 0) d.add(F.clientId, r.bytes(v, l), v, l);
          break;
        case 43: aruba = true; break;
      }
      o = v + l;
    }
    // Wireshark hands option 43 of Aruba access points to a vendor sub-dissector that shows as a second 'dhcp' layer
    if (aruba && vendor.startsWith('ArubaAP')) d.layer('dhcp', off, r.end);
    void s;
  },
};
