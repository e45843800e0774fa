/** IEEE 802.1Q VLAN tags (0x8100, and 0x9100 as Wireshark treats it) and the 802.1ad QinQ service tag (0x88a8). */
import { fid } from '../fields/catalog.js';
import type { Protocol } from './types.js';
import type { Reader } from '../wire/reader.js';
import type { Dissection } from '../dissect/dissection.js';
import type { Session } from '../dissect/session.js';

const F = {
  vlan: fid('vlan'), id: fid('vlan.id'), prio: fid('vlan.priority'), dei: fid('vlan.dei'), etype: fid('vlan.etype'), len: fid('eth.len'),
  ad: fid('ieee8021ad'), adId: fid('ieee8021ad.id'), adPrio: fid('ieee8021ad.priority'),
};

function tag(r: Reader, off: number, d: Dissection, s: Session, ad: boolean): void {
  d.layer(ad ? 'ieee8021ad' : 'vlan', off, off + 4, ad ? F.ad : F.vlan);
  const tci = r.u16(off);
  const t = r.u16(off + 2);
  d.add(ad ? F.adPrio : F.prio, tci >> 13, off, 2);
  if (!ad) d.add(F.dei, (tci >> 12) & 1, off, 2);
  d.add(ad ? F.adId : F.id, tci & 0xfff, off, 2);
  d.protocol = ad ? '802.1ad' : '802.1Q';
  if (d.wantInfo) d.info = ad ? `802.1ad, ID: ${tci & 0xfff}` : `PRI: ${tci >> 13}  DEI: ${(tci >> 12) & 1}  ID: ${tci & 0xfff}`;
  if (t <= 1500) {
    d.add(F.len, t, off + 2, 2);
    s.next('llc.dsap', -1, r.sub(off + 4, Math.min(t, r.end - off - 4), true), off + 4, d);
    return;
  }
  d.add(F.etype, t, off + 2, 2);
  s.ethertype(t, r, off + 4, d);
}

export const vlan: Protocol = {
  name: 'vlan',
  bind: [{ table: 'ethertype', keys: [0x8100, 0x9100, 0x9200] }],
  decode(r, off, d, s) {
    tag(r, off, d, s, false);
  },
};

export const ieee8021ad: Protocol = {
  name: 'ieee8021ad',
  bind: [{ table: 'ethertype', keys: [0x88a8] }],
  decode(r, off, d, s) {
    tag(r, off, d, s, true);
  },
};
