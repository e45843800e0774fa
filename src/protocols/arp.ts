/** ARP (and RARP opcodes) for Ethernet/IPv4. */
import { fid } from '../fields/catalog.js';
import { ipv4, mac } from '../fields/format.js';
import type { Protocol } from './types.js';

const F = {
  arp: fid('arp'), hw: fid('arp.hw.type'), pt: fid('arp.proto.type'), op: fid('arp.opcode'),
  sha: fid('arp.src.hw_mac'), spa: fid('arp.src.proto_ipv4'), tha: fid('arp.dst.hw_mac'), tpa: fid('arp.dst.proto_ipv4'),
};

export const arp: Protocol = {
  name: 'arp',
  bind: [{ table: 'ethertype', keys: [0x0806, 0x8035] }],
  decode(r, off, d) {
    const hw = r.u16(off), pt = r.u16(off + 2), hl = r.u8(off + 4), pl = r.u8(off + 5), op = r.u16(off + 6);
    const end = off + 8 + 2 * hl + 2 * pl;
    d.layer('arp', off, end, F.arp);
    d.protocol = 'ARP';
    d.add(F.hw, hw, off, 2);
    d.add(F.pt, pt, off + 2, 2);
    d.add(F.op, op, off + 6, 2);
    if (hl !== 6 || pl !== 4 || pt !== 0x0800) {
      r.need(off + 8, 2 * hl + 2 * pl, 'arp addresses');
      if (d.wantInfo) d.info = `ARP opcode ${op}`;
      return;
    }
    const sha = r.bytes(off + 8, 6), spa = r.u32(off + 14), tha = r.bytes(off + 18, 6), tpa = r.u32(off + 24);
    d.add(F.sha, sha, off + 8, 6);
    d.add(F.spa, spa, off + 14, 4);
    d.add(F.tha, tha, off + 18, 6);
    d.add(F.tpa, tpa, off + 24, 4);
    if (op === 3 || op === 4) d.protocol = 'RARP';
    if (!d.wantInfo) return;
    if (op === 1) {
      if (spa === tpa) d.info = `Gratuitous ARP for ${ipv4(spa)} (Request)`;
      else if (spa === 0) d.info = `Who has ${ipv4(tpa)}? (ARP Probe)`;
      else d.info = `Who has ${ipv4(tpa)}? Tell ${ipv4(spa)}`;
    } else if (op === 2) {
      d.info = spa === tpa ? `Gratuitous ARP for ${ipv4(spa)} (Reply)` : `${ipv4(spa)} is at ${mac(sha)}`;
    } else if (op === 3) d.info = `Who is ${mac(tha)}? Tell ${mac(sha)}`;
    else if (op === 4) d.info = `${mac(tha)} is at ${ipv4(tpa)}`;
    else d.info = `ARP opcode ${op}`;
  },
};
