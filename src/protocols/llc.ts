/** IEEE 802.2 LLC and SNAP: 802.3 frames, 802.11 data, STP, CDP and IP over SNAP. */
import { fid } from '../fields/catalog.js';
import type { Protocol } from './types.js';

const F = {
  llc: fid('llc'), dsap: fid('llc.dsap'), ssap: fid('llc.ssap'), ctl: fid('llc.control'), oui: fid('llc.oui'), pid: fid('llc.pid'),
  stp: fid('stp'), cdp: fid('cdp'), dtp: fid('dtp'),
};

export const llc: Protocol = {
  name: 'llc',
  // key -1: "whatever follows an 802.3 length field"
  bind: [{ table: 'llc.dsap', keys: [-1] }],
  decode(r, off, d, s) {
    const dsap = r.u8(off);
    const ssap = r.u8(off + 1);
    let ctl = r.u8(off + 2);
    let h = 3;
    if ((ctl & 3) !== 3) { ctl = r.u16(off + 2); h = 4; } // I or S format: 2-byte control
    d.layer('llc', off, off + h, F.llc);
    d.add(F.dsap, dsap, off, 1);
    d.add(F.ssap, ssap, off + 1, 1);
    d.add(F.ctl, ctl, off + 2, h - 2);
    d.protocol = 'LLC';
    if (dsap === 0xaa && ssap === 0xaa) {
      const oui = r.u24(off + 3);
      const pid = r.u16(off + 6);
      d.add(F.oui, oui, off + 3, 3);
      d.add(F.pid, pid, off + 6, 2);
      d.layerEnd[d.layerN - 1] = off + 8;
      if (oui === 0 || oui === 0xf8) { s.next('ethertype', pid, r, off + 8, d); return; }
      if (oui === 0x00000c) { // Cisco
        if (pid === 0x2000) return cisco(d, r, off + 8, 'cdp', F.cdp, 'CDP', 'Cisco Discovery Protocol');
        if (pid === 0x2004) return cisco(d, r, off + 8, 'dtp', F.dtp, 'DTP', 'Dynamic Trunking Protocol');
        if (pid === 0x010b) return stp(d, r, off + 8);
      }
      s.data(r, off + 8, d);
      return;
    }
    if (dsap === 0x42) return stp(d, r, off + h);
    if (d.wantInfo) d.info = `S, func=${ctl & 3}; DSAP 0x${dsap.toString(16).padStart(2, '0')} SSAP 0x${ssap.toString(16).padStart(2, '0')}`;
    s.data(r, off + h, d);
  },
};

function cisco(d: import('../dissect/dissection.js').Dissection, r: import('../wire/reader.js').Reader, off: number, name: string, f: number, col: string, info: string): void {
  d.layer(name, off, r.end, f);
  d.protocol = col;
  if (d.wantInfo) d.info = info;
}

function stp(d: import('../dissect/dissection.js').Dissection, r: import('../wire/reader.js').Reader, off: number): void {
  d.layer('stp', off, r.end, F.stp);
  d.protocol = 'STP';
  const ver = r.u8(off + 2);
  const type = r.u8(off + 3);
  if (type === 0x80) { if (d.wantInfo) d.info = 'Topology Change Notification'; return; }
  // Wireshark names RSTP and MSTP BPDUs "STP" in the Protocol column too
  if (d.wantInfo && r.has(off, 35)) {
    const rootPrio = r.u16(off + 5), rootMac = r.bytes(off + 7, 6), cost = r.u32(off + 13);
    const port = r.u16(off + 25);
    const m = Array.from(rootMac, (x) => x.toString(16).padStart(2, '0')).join(':');
    d.info = `Conf. ${(r.u8(off + 4) & 0x80) ? 'TC + ' : ''}Root = ${rootPrio & 0xf000}/${rootPrio & 0xfff}/${m}  Cost = ${cost}  Port = 0x${port.toString(16).padStart(4, '0')}`;
  }
}

/** CDP carried directly by GRE (protocol type 0x2000). */
export const cdpGre: Protocol = {
  name: 'cdp',
  bind: [{ table: 'ethertype', keys: [0x2000] }],
  decode(r, off, d) {
    cisco(d, r, off, 'cdp', F.cdp, 'CDP', 'Cisco Discovery Protocol');
  },
};
