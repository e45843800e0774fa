/** UDP: ports, length, conversation numbering (udp.stream), then the payload by port or heuristic. */
import { fid, gid } from '../fields/catalog.js';

const G_UDP = gid('udp');
import type { Protocol } from './types.js';

const F = {
  udp: fid('udp'), sport: fid('udp.srcport'), dport: fid('udp.dstport'), port: fid('udp.port'), len: fid('udp.length'),
  cksum: fid('udp.checksum'), stream: fid('udp.stream'), payload: fid('udp.payload'),
};

export const udp: Protocol = {
  name: 'udp',
  bind: [{ table: 'ip.proto', keys: [17] }],
  decode(r, off, d, s) {
    const sp = r.u16(off), dp = r.u16(off + 2), ulen = r.u16(off + 4);
    d.layer('udp', off, off + 8, F.udp);
    if (d.wantsGroup(G_UDP)) {
      d.add(F.sport, sp, off, 2);
      d.add(F.port, sp, off, 2);
      d.add(F.dport, dp, off + 2, 2);
      d.add(F.port, dp, off + 2, 2);
      d.add(F.len, ulen, off + 4, 2);
      d.add(F.cksum, r.u16(off + 6), off + 6, 2);
    }
    d.protocol = 'UDP';
    d.l4 = 17;
    d.sport = sp;
    d.dport = dp;
    let end = r.end;
    if (ulen < 8) {
      d.weird('bad_udp_length');
      end = off + 8;
    } else if (off + ulen < r.end) end = off + ulen; // trailing bytes are not UDP's
    else if (off + ulen > r.end && !d.short && d.caplen >= d.len) d.weird('udp_length_exceeds_ip_payload');
    if (d.ipVer) {
      const f = s.flows.lookup(d.ipVer, 17, d.src4, d.dst4, d.src6, d.dst6, sp, dp, d.tsSec + d.tsNsec * 1e-9);
      const dir = s.flows.dir;
      f.count(dir, d.len);
      d.stream = f.id;
      d.setFlow(f, dir);
      d.add(F.stream, f.id, -1, 0);
    }
    if (d.wantInfo) d.info = `${sp} → ${dp} Len=${ulen >= 8 ? ulen - 8 : 0}`;
    r.need(off, 8, 'udp header');
    const pr = end === r.end ? r : r.sub(off, end - off, true);
    if (end - (off + 8) <= 0) return;
    if (d.wants(F.payload)) d.add(F.payload, r.buf.subarray(off + 8, end), off + 8, end - off - 8);
    const p = s.pick('udp', pr, off + 8, d, sp, dp);
    if (!p) {
      s.data(pr, off + 8, d);
      return;
    }
    d.app = p.name;
    s.call(p, pr, off + 8, d);
  },
};
