/** ICMPv6: echo, neighbor discovery (RS/RA/NS/NA/redirect), MLD, and errors quoting the inner IPv6 header. */
import { fid } from '../fields/catalog.js';
import { ipv6 as fmt6, mac } from '../fields/format.js';
import type { Protocol } from './types.js';
import type { Reader } from '../wire/reader.js';
import type { Dissection } from '../dissect/dissection.js';

const F = {
  icmpv6: fid('icmpv6'), type: fid('icmpv6.type'), code: fid('icmpv6.code'), cksum: fid('icmpv6.checksum'),
  echoId: fid('icmpv6.echo.identifier'), echoSeq: fid('icmpv6.echo.sequence_number'),
  nsTarget: fid('icmpv6.nd.ns.target_address'), naTarget: fid('icmpv6.nd.na.target_address'),
  raHop: fid('icmpv6.nd.ra.cur_hop_limit'), raLife: fid('icmpv6.nd.ra.router_lifetime'),
  prefix: fid('icmpv6.opt.prefix'), linkaddr: fid('icmpv6.opt.linkaddr'), mld: fid('icmpv6.mld.multicast_address'), hlim: fid('ipv6.hlim'),
};

const TYPES: Record<number, string> = {
  1: 'Destination Unreachable', 2: 'Packet Too Big', 3: 'Time Exceeded', 4: 'Parameter Problem', 128: 'Echo (ping) request',
  129: 'Echo (ping) reply', 130: 'Multicast Listener Query', 131: 'Multicast Listener Report', 132: 'Multicast Listener Done',
  133: 'Router Solicitation', 134: 'Router Advertisement', 135: 'Neighbor Solicitation', 136: 'Neighbor Advertisement',
  137: 'Redirect', 143: 'Multicast Listener Report Message v2',
};
const UNREACH: Record<number, string> = {
  0: 'no route to destination', 1: 'communication with destination administratively prohibited', 2: 'beyond scope of source address',
  3: 'Address unreachable', 4: 'Port unreachable', 5: 'source address failed ingress/egress policy', 6: 'reject route to destination',
};

/** ND options; returns the source/target link-layer address if any. */
function options(r: Reader, o: number, d: Dissection): Uint8Array | null {
  let lla: Uint8Array | null = null;
  for (let guard = 0; o + 2 <= r.end && guard < 64; guard++) {
    const t = r.u8(o), l = r.u8(o + 1) * 8;
    if (l === 0) { d.weird('icmpv6_option_length_zero'); break; }
    if ((t === 1 || t === 2) && l === 8) {
      lla = r.bytes(o + 2, 6);
      d.add(F.linkaddr, lla, o + 2, 6);
    } else if (t === 3 && l === 32) d.add(F.prefix, r.bytes(o + 16, 16), o + 16, 16);
    o += l;
  }
  return lla;
}

export const icmpv6: Protocol = {
  name: 'icmpv6',
  bind: [{ table: 'ip.proto', keys: [58] }],
  decode(r, off, d, s) {
    const type = r.u8(off), code = r.u8(off + 1);
    d.layer('icmpv6', off, r.end, F.icmpv6);
    d.add(F.type, type, off, 1);
    d.add(F.code, code, off + 1, 1);
    d.add(F.cksum, r.u16(off + 2), off + 2, 2);
    d.protocol = 'ICMPv6';
    let info = TYPES[type] ?? `Unknown ICMPv6 type ${type}`;
    switch (type) {
      case 128:
      case 129: {
        const id = r.u16(off + 4), seq = r.u16(off + 6);
        d.add(F.echoId, id, off + 4, 2);
        d.add(F.echoSeq, seq, off + 6, 2);
        if (d.wantInfo) {
          const h = d.get(F.hlim);
          info += ` id=0x${id.toString(16).padStart(4, '0')}, seq=${seq}${h !== undefined ? `, hop limit=${h}` : ''}`;
        }
        d.info = info;
        s.data(r, off + 8, d);
        return;
      }
      case 133: {
        r.need(off, 8, 'rs');
        const lla = options(r, off + 8, d);
        if (d.wantInfo) d.info = info + (lla ? ` from ${mac(lla)}` : '');
        return;
      }
      case 134: {
        d.add(F.raHop, r.u8(off + 4), off + 4, 1);
        d.add(F.raLife, r.u16(off + 6), off + 6, 2);
        r.need(off, 16, 'ra');
        const lla = options(r, off + 16, d);
        if (d.wantInfo) d.info = info + (lla ? ` from ${mac(lla)}` : '');
        return;
      }
      case 135: {
        const t = r.bytes(off + 8, 16);
        d.add(F.nsTarget, t, off + 8, 16);
        const lla = options(r, off + 24, d);
        if (d.wantInfo) d.info = `${info} for ${fmt6(t)}${lla ? ` from ${mac(lla)}` : ''}`;
        return;
      }
      case 136: {
        const fl = r.u8(off + 4);
        const t = r.bytes(off + 8, 16);
        d.add(F.naTarget, t, off + 8, 16);
        const lla = options(r, off + 24, d);
        if (d.wantInfo) {
          const f = [fl & 0x80 ? 'rtr' : '', fl & 0x40 ? 'sol' : '', fl & 0x20 ? 'ovr' : ''].filter(Boolean).join(', ');
          d.info = `${info} ${fmt6(t)}${f ? ` (${f})` : ''}${lla ? ` is at ${mac(lla)}` : ''}`;
        }
        return;
      }
      case 130:
      case 131:
      case 132:
        d.add(F.mld, r.bytes(off + 8, 16), off + 8, 16);
        d.info = info;
        return;
      case 1:
      case 2:
      case 3:
      case 4: {
        if (type === 1) info += ` (${UNREACH[code] ?? `code ${code}`})`;
        if (type === 3) info += code === 0 ? ' (hop limit exceeded in transit)' : ' (fragment reassembly time exceeded)';
        r.need(off, 8, 'icmpv6 header');
        if (r.has(off + 8, 40)) {
          try {
            s.next('ethertype', 0x86dd, r, off + 8, d);
          } catch {
            d.weird('icmpv6_quoted_datagram_truncated');
          }
        }
        d.protocol = 'ICMPv6';
        d.info = info;
        return;
      }
      default:
        d.info = info;
    }
  },
};
