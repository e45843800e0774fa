/** BSD loopback: DLT_NULL (0, host-order family) and DLT_LOOP (108, network-order family). */
import { fid } from '../fields/catalog.js';
import type { Protocol } from './types.js';
import type { Reader } from '../wire/reader.js';
import type { Dissection } from '../dissect/dissection.js';
import type { Session } from '../dissect/session.js';

const F = { null: fid('null'), family: fid('null.family') };

function family(fam: number, r: Reader, off: number, d: Dissection, s: Session): void {
  // AF_INET is 2 everywhere; AF_INET6 differs by OS (24 NetBSD/OpenBSD, 28 FreeBSD, 30 macOS, 10 Linux)
  if (fam === 2) s.next('ethertype', 0x0800, r, off, d);
  else if (fam === 24 || fam === 28 || fam === 30 || fam === 10) s.next('ethertype', 0x86dd, r, off, d);
  else if (fam > 1500) s.ethertype(fam, r, off, d); // some captures put an Ethertype here
  else {
    d.protocol = 'N/A';
    s.data(r, off, d);
  }
}

export const nullLoop: Protocol = {
  name: 'null',
  bind: [{ table: 'linktype', keys: [0] }],
  decode(r, off, d, s) {
    d.layer('null', off, off + 4, F.null);
    d.protocol = 'NULL';
    // host byte order of the capturing machine: a small value in either order tells which
    let fam = r.u32le(off);
    if (fam > 0xffff) fam = r.u32(off);
    d.add(F.family, fam, off, 4);
    if (fam > 0xffff) {
      d.protocol = 'N/A';
      s.data(r, off + 4, d);
      return;
    }
    family(fam, r, off + 4, d, s);
  },
};

export const loop: Protocol = {
  name: 'null.loop',
  bind: [{ table: 'linktype', keys: [108] }],
  decode(r, off, d, s) {
    d.layer('null', off, off + 4, F.null);
    d.protocol = 'NULL';
    const fam = r.u32(off);
    d.add(F.family, fam, off, 4);
    family(fam, r, off + 4, d, s);
  },
};
