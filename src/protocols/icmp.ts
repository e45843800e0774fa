/** ICMP: echo, errors that quote the offending IP header (decoded, columns kept as ICMP's), and the rest named. */
import { fid } from '../fields/catalog.js';
import type { Protocol } from './types.js';

const F = { icmp: fid('icmp'), type: fid('icmp.type'), code: fid('icmp.code'), cksum: fid('icmp.checksum'), ident: fid('icmp.ident'), seq: fid('icmp.seq'), ttl: fid('ip.ttl') };

const TYPES: Record<number, string> = {
  0: 'Echo (ping) reply', 3: 'Destination unreachable', 4: 'Source quench (flow control)', 5: 'Redirect', 8: 'Echo (ping) request',
  9: 'Router advertisement', 10: 'Router solicitation', 11: 'Time-to-live exceeded', 12: 'Parameter problem', 13: 'Timestamp request',
  14: 'Timestamp reply', 17: 'Address mask request', 18: 'Address mask reply',
};
const UNREACH: Record<number, string> = {
  0: 'Network unreachable', 1: 'Host unreachable', 2: 'Protocol unreachable', 3: 'Port unreachable', 4: 'Fragmentation needed',
  5: 'Source route failed', 6: 'Destination network unknown', 7: 'Destination host unknown', 9: 'Network administratively prohibited',
  10: 'Host administratively prohibited', 13: 'Communication administratively filtered',
};

export const icmp: Protocol = {
  name: 'icmp',
  bind: [{ table: 'ip.proto', keys: [1] }],
  decode(r, off, d, s) {
    const type = r.u8(off), code = r.u8(off + 1);
    d.layer('icmp', off, r.end, F.icmp);
    d.add(F.type, type, off, 1);
    d.add(F.code, code, off + 1, 1);
    d.add(F.cksum, r.u16(off + 2), off + 2, 2);
    d.protocol = 'ICMP';
    let info = TYPES[type] ?? `Unknown ICMP (obsolete or malformed?) type ${type}`;
    if (type === 0 || type === 8 || type === 13 || type === 14) {
      const id = r.u16(off + 4), seq = r.u16(off + 6);
      d.add(F.ident, id, off + 4, 2);
      d.add(F.seq, seq, off + 6, 2);
      if (d.wantInfo) {
        const ttl = d.get(F.ttl);
        info += `${type === 0 ? '    ' : '  '}id=0x${id.toString(16).padStart(4, '0')}, seq=${seq}/${((seq & 0xff) << 8) | (seq >> 8)}${ttl !== undefined ? `, ttl=${ttl}` : ''}`;
      }
      d.info = info;
      s.data(r, off + 8, d);
      return;
    }
    if (type === 3 || type === 4 || type === 5 || type === 11 || type === 12) {
      if (type === 3) info += ` (${UNREACH[code] ?? `code ${code}`})`;
      if (type === 11) info += code === 0 ? ' (Time to live exceeded in transit)' : ' (Fragment reassembly time exceeded)';
      // the quoted datagram is decoded, but the columns stay ICMP's (Wireshark marks it an error packet)
      r.need(off, 8, 'icmp header');
      if (r.has(off + 8, 20)) {
        try {
          s.next('ethertype', 0x0800, r, off + 8, d);
        } catch {
          d.weird('icmp_quoted_datagram_truncated');
        }
      }
      d.protocol = 'ICMP';
      d.info = info;
      return;
    }
    d.info = info;
    if (r.end > off + 8) s.data(r, off + 8, d);
  },
};
