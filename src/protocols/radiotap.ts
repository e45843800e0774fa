/**
 * Radiotap (linktype 127): header length, the present-flags bitmap chain (extended words, radiotap and vendor
 * namespaces), the fields we report with their alignment rules, then Wireshark's 'wlan_radio' pseudo-layer and
 * 802.11. The "FCS at end" flag strips the 4 trailing bytes before 802.11 is decoded.
 */
import { fid } from '../fields/catalog.js';
import type { Protocol } from './types.js';
import { decodeWlan } from './wlan.js';

const F = {
  radiotap: fid('radiotap'), len: fid('radiotap.length'), word: fid('radiotap.present.word'), antsignal: fid('radiotap.dbm_antsignal'),
  freq: fid('radiotap.channel.freq'), rate: fid('radiotap.datarate'), fcs: fid('radiotap.flags.fcs'), wlanRadio: fid('wlan_radio'),
};

/** [alignment, size] of radiotap fields 0..27 (radiotap.org defined fields). */
const FIELDS: [number, number][] = [
  [8, 8], [1, 1], [1, 1], [2, 4], [1, 2], [1, 1], [1, 1], [2, 2], [2, 2], [2, 2], [1, 1], [1, 1], [1, 1], [1, 1], [2, 2], [2, 2],
  [1, 1], [1, 1], [4, 8], [1, 3], [4, 8], [2, 12], [8, 12], [2, 12], [2, 12], [2, 6], [1, 1], [2, 4],
];

export const radiotap: Protocol = {
  name: 'radiotap',
  bind: [{ table: 'linktype', keys: [127] }],
  decode(r, off, d, s) {
    const hlen = r.u16le(off + 2);
    d.layer('radiotap', off, off + hlen, F.radiotap);
    d.protocol = 'Radiotap';
    d.add(F.len, hlen, off + 2, 2);
    const end = off + hlen;
    r.need(off, hlen, 'radiotap header');
    if (hlen < 8) { d.weird('bad_radiotap_length'); d.malformed = true; return; }
    // the chain of present words
    let w = off + 4;
    const words: number[] = [];
    for (;;) {
      const p = r.u32le(w);
      d.add(F.word, p, w, 4);
      words.push(p);
      w += 4;
      if (!(p & 0x80000000)) break;
      if (w + 4 > end) { d.weird('radiotap_present_overrun'); break; }
    }
    // walk the fields in order; namespace switches by bits 29 (radiotap) / 30 (vendor)
    let o = w;
    let fcs = false;
    let vendor = false;
    for (let i = 0; i < words.length && o <= end; i++) {
      const p = words[i];
      if (vendor) {
        // vendor namespace: its data is one block (OUI, sub-namespace, skip length), 2-byte aligned
        o = off + ((o - off + 1) & ~1);
        if (o + 6 > end) break;
        o += 6 + r.u16le(o + 4);
      } else {
        for (let b = 0; b < 28; b++) {
          if (!(p & (1 << b))) continue;
          const [al, sz] = FIELDS[b];
          o = off + ((o - off + al - 1) & ~(al - 1));
          if (o + sz > end) { b = 28; break; }
          if (b === 1 && r.u8(o) & 0x10) fcs = true;
          else if (b === 2) d.add(F.rate, r.u8(o) / 2, o, 1); // units of 500 kb/s
          else if (b === 3) d.add(F.freq, r.u16le(o), o, 2);
          else if (b === 5) d.add(F.antsignal, (r.u8(o) << 24) >> 24, o, 1);
          o += sz;
        }
        if (p & (1 << 28)) break; // TLVs follow: nothing more we use
      }
      if (p & (1 << 29)) vendor = false;
      else if (p & (1 << 30)) vendor = true;
    }
    if (fcs) d.add(F.fcs, 1, off, 0);
    d.layer('wlan_radio', -1, -1, F.wlanRadio);
    let e = r.end;
    if (fcs) e = Math.max(end, e - 4);
    decodeWlan(r.sub(end, e - end, true), end, d, s, fcs);
  },
};
