/** IPv4: header, options, fragments (reassembled by default, as Wireshark does). Also IP-in-IP via ip.proto 4. */
import { fid } from '../fields/catalog.js';
import { DecodeError, Reader } from '../wire/reader.js';
import { ipv4 as fmt4 } from '../fields/format.js';
import type { Protocol } from './types.js';
import { IP_PROTO_NAMES } from './ipnames.js';
import { FragmentTable } from './ipfrag.js';
import type { Session } from '../dissect/session.js';

const F = {
  ip: fid('ip'), version: fid('ip.version'), hdrLen: fid('ip.hdr_len'), ds: fid('ip.dsfield'), dscp: fid('ip.dsfield.dscp'), len: fid('ip.len'), id: fid('ip.id'),
  flags: fid('ip.flags'), df: fid('ip.flags.df'), mf: fid('ip.flags.mf'), fragOff: fid('ip.frag_offset'), ttl: fid('ip.ttl'),
  proto: fid('ip.proto'), cksum: fid('ip.checksum'), src: fid('ip.src'), dst: fid('ip.dst'), addr: fid('ip.addr'),
  opt: fid('ip.opt.type'), fragment: fid('ip.fragment'),
};

function frags(s: Session): FragmentTable {
  let t = s.stash.get('ipv4.frag') as FragmentTable | undefined;
  if (!t) s.stash.set('ipv4.frag', (t = new FragmentTable()));
  return t;
}

export const ip: Protocol = {
  name: 'ip',
  bind: [{ table: 'ethertype', keys: [0x0800] }, { table: 'ip.proto', keys: [4] }, { table: 'ppp.protocol', keys: [0x21] }],
  decode(r, off, d, s) {
    const vihl = r.u8(off);
    const hl = (vihl & 15) * 4;
    if (vihl >> 4 !== 4) {
      d.layer('ip', off, r.end, F.ip);
      d.add(F.version, vihl >> 4, off, 1);
      d.protocol = 'IPv4';
      if (d.wantInfo) d.info = `Bogus IP version (${vihl >> 4})`;
      d.weird('bad_ip_version');
      d.malformed = true;
      return;
    }
    let tot = r.u16(off + 2);
    if (hl < 20) {
      d.layer('ip', off, off + 20, F.ip);
      d.protocol = 'IPv4';
      if (d.wantInfo) d.info = `Bogus IPv4 header length (${hl}, must be at least 20)`;
      d.weird('bad_ip_header_length');
      d.malformed = true;
      return;
    }
    r.need(off, hl, 'ipv4 header');
    if (tot === 0) tot = r.end - off; // TSO: length left to the NIC
    else if (tot < hl) {
      d.layer('ip', off, off + hl, F.ip);
      d.protocol = 'IPv4';
      d.weird('bad_ip_total_length');
      throw new DecodeError('malformed', off + 2, 'ip total length shorter than header');
    }
    const end = Math.min(r.end, off + tot);
    if (off + tot > r.end && d.caplen >= d.len) d.weird('ip_length_exceeds_frame');
    d.layer('ip', off, off + hl, F.ip);
    const fl = r.u16(off + 6);
    const proto = r.u8(off + 9);
    const src = r.u32(off + 12), dst = r.u32(off + 16);
    d.add(F.version, 4, off, 1);
    d.add(F.hdrLen, hl, off, 1);
    d.add(F.ds, r.u8(off + 1), off + 1, 1);
    d.add(F.dscp, r.u8(off + 1) >> 2, off + 1, 1);
    d.add(F.len, tot, off + 2, 2);
    d.add(F.id, r.u16(off + 4), off + 4, 2);
    d.add(F.flags, fl >> 13, off + 6, 1);
    d.add(F.df, (fl >> 14) & 1, off + 6, 1);
    d.add(F.mf, (fl >> 13) & 1, off + 6, 1);
    const fo = (fl & 0x1fff) * 8;
    d.add(F.fragOff, fo, off + 6, 2);
    d.add(F.ttl, r.u8(off + 8), off + 8, 1);
    d.add(F.proto, proto, off + 9, 1);
    d.add(F.cksum, r.u16(off + 10), off + 10, 2);
    d.add(F.src, src, off + 12, 4);
    d.add(F.addr, src, off + 12, 4);
    d.add(F.dst, dst, off + 16, 4);
    d.add(F.addr, dst, off + 16, 4);
    for (let o = off + 20; o < off + hl;) {
      const t = r.u8(o);
      d.add(F.opt, t, o, 1);
      if (t === 0) break;
      if (t === 1) { o++; continue; }
      const l = r.u8(o + 1);
      if (l < 2) { d.weird('bad_ip_option_length'); break; }
      o += l;
    }
    d.ipVer = 4;
    d.src4 = src;
    d.dst4 = dst;
    d.protocol = 'IPv4';
    const more = (fl & 0x2000) !== 0;
    if (more || fo > 0) {
      d.add(F.fragment, true, off, hl);
      const key = `${src},${dst},${r.u16(off + 4)},${proto}`;
      const whole = s.reassemble && end - off === tot ? frags(s).add(key, fo, more, r.buf.subarray(off + hl, end), d.num) : null;
      if (!whole) {
        d.fragment = true;
        if (d.wantInfo) d.info = `Fragmented IP protocol (proto=${IP_PROTO_NAMES[proto] ?? proto} ${proto}, off=${fo}, ID=${r.u16(off + 4).toString(16).padStart(4, '0')})`;
        s.data(r.sub(off + hl, end - off - hl, true), off + hl, d);
        return;
      }
      d.detached = true;
      d.ipEnd = whole.length;
      s.next('ip.proto', proto, new Reader(whole, 0, whole.length), 0, d);
      return;
    }
    if (d.wantInfo) d.info = `${fmt4(src)} → ${fmt4(dst)} ${IP_PROTO_NAMES[proto] ?? `proto ${proto}`}`;
    d.ipEnd = off + tot;
    s.next('ip.proto', proto, r.sub(off + hl, end - off - hl, true), off + hl, d);
  },
};
