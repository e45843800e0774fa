/** Raw IP link types: 101 (and 12/14 where used so) pick v4/v6 by version nibble; 228 is IPv4, 229 IPv6. */
import { fid } from '../fields/catalog.js';
import type { Protocol } from './types.js';

const F = { raw: fid('raw') };

export const raw: Protocol = {
  name: 'raw',
  bind: [{ table: 'linktype', keys: [101, 12, 14] }],
  decode(r, off, d, s) {
    d.layer('raw', off, r.end, F.raw);
    d.protocol = 'Raw';
    const v = r.u8(off) >> 4;
    if (v === 4) s.next('ethertype', 0x0800, r, off, d);
    else if (v === 6) s.next('ethertype', 0x86dd, r, off, d);
    else s.data(r, off, d);
  },
};

export const ipv4Link: Protocol = {
  name: 'ipv4-link',
  bind: [{ table: 'linktype', keys: [228] }],
  decode(r, off, d, s) {
    s.next('ethertype', 0x0800, r, off, d);
  },
};

export const ipv6Link: Protocol = {
  name: 'ipv6-link',
  bind: [{ table: 'linktype', keys: [229] }],
  decode(r, off, d, s) {
    s.next('ethertype', 0x86dd, r, off, d);
  },
};
