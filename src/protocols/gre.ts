/** GRE (RFC 2784/2890, and PPTP's enhanced GRE v1), Cisco MetaData, and VXLAN. */
import { fid } from '../fields/catalog.js';
import type { Protocol } from './types.js';

const F = { gre: fid('gre'), proto: fid('gre.proto'), key: fid('gre.key'), vxlan: fid('vxlan'), vni: fid('vxlan.vni'), cmd: fid('cmd') };

const GRE_PROTO: Record<number, string> = { 0x0800: 'IP', 0x86dd: 'IPv6', 0x6558: 'Transparent Ethernet bridging', 0x880b: 'PPP', 0x8909: 'Cisco MetaData', 0x2000: 'CDP', 0x8847: 'MPLS label switched packet' };

export const gre: Protocol = {
  name: 'gre',
  bind: [{ table: 'ip.proto', keys: [47] }],
  decode(r, off, d, s) {
    const fl = r.u16(off), proto = r.u16(off + 2);
    let o = off + 4;
    if (fl & 0x8000 || fl & 0x4000) o += 4; // checksum (+ offset) or routing present
    if (fl & 0x2000) { d.layer('gre', off, o + 4, F.gre); d.add(F.key, r.u32(o), o, 4); o += 4; }
    else d.layer('gre', off, o, F.gre);
    if (fl & 0x1000) o += 4; // sequence
    if ((fl & 7) === 1 && fl & 0x0080) o += 4; // v1 acknowledgment
    r.need(off, o - off, 'gre header');
    d.layerEnd[d.layerN - 1] = o;
    d.add(F.proto, proto, off + 2, 2);
    d.protocol = 'GRE';
    if (d.wantInfo) d.info = `Encapsulated ${GRE_PROTO[proto] ?? `0x${proto.toString(16).padStart(4, '0')}`}`;
    if (o >= r.end) return;
    if (proto === 0x880b) { s.next('ppp.protocol', -1, r, o, d); return; }
    s.next('ethertype', proto, r, o, d);
  },
};

export const cmd: Protocol = {
  name: 'cmd',
  bind: [{ table: 'ethertype', keys: [0x8909] }],
  decode(r, off, d, s) {
    d.layer('cmd', off, off + 8, F.cmd); // a shim: Wireshark leaves the Protocol column to its neighbours
    // after GRE the EtherType comes first (version, length, options, SGT follow); in Ethernet it comes last
    const inGre = d.layerN >= 2 && d.layerName[d.layerN - 2] === 'gre';
    const next = r.u16(inGre ? off : off + 6);
    s.next('ethertype', next, r, off + 8, d);
  },
};

export const vxlan: Protocol = {
  name: 'vxlan',
  bind: [{ table: 'udp.port', keys: [4789] }],
  decode(r, off, d, s) {
    d.layer('vxlan', off, off + 8, F.vxlan);
    const vni = r.u24(off + 4);
    d.add(F.vni, vni, off + 4, 3);
    d.protocol = 'VXLAN';
    s.next('ethertype', 0x6558, r, off + 8, d);
  },
};
