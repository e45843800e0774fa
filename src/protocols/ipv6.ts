/** IPv6 with extension headers (hop-by-hop, routing, fragment, destination options, AH), fragments reassembled. */
import { fid } from '../fields/catalog.js';
import { Reader } from '../wire/reader.js';
import type { Protocol } from './types.js';
import { IP_PROTO_NAMES } from './ipnames.js';
import { FragmentTable } from './ipfrag.js';
import { ipv6 as fmt6 } from '../fields/format.js';
import type { Session } from '../dissect/session.js';

const F = {
  ipv6: fid('ipv6'), version: fid('ipv6.version'), tclass: fid('ipv6.tclass'), flow: fid('ipv6.flow'), plen: fid('ipv6.plen'),
  nxt: fid('ipv6.nxt'), hlim: fid('ipv6.hlim'), src: fid('ipv6.src'), dst: fid('ipv6.dst'), addr: fid('ipv6.addr'),
  hop: fid('ipv6.hopopts'), routing: fid('ipv6.routing'), rtype: fid('ipv6.routing.type'), frag: fid('ipv6.fraghdr'),
  fragOff: fid('ipv6.fragment.offset'), fragMore: fid('ipv6.fragment.more'), fragId: fid('ipv6.fragment.id'), dstopts: fid('ipv6.dstopts'),
  ah: fid('ah'), ahSpi: fid('ah.spi'),
};

function frags(s: Session): FragmentTable {
  let t = s.stash.get('ipv6.frag') as FragmentTable | undefined;
  if (!t) s.stash.set('ipv6.frag', (t = new FragmentTable()));
  return t;
}

export const ipv6: Protocol = {
  name: 'ipv6',
  bind: [{ table: 'ethertype', keys: [0x86dd] }, { table: 'ip.proto', keys: [41] }, { table: 'ppp.protocol', keys: [0x57] }],
  decode(r, off, d, s) {
    const w0 = r.u32(off);
    d.layer('ipv6', off, off + 40, F.ipv6);
    d.protocol = 'IPv6';
    if (w0 >>> 28 !== 6) {
      d.add(F.version, w0 >>> 28, off, 1);
      if (d.wantInfo) d.info = `Bogus IP version (${w0 >>> 28})`;
      d.weird('bad_ipv6_version');
      d.malformed = true;
      return;
    }
    const plen = r.u16(off + 4);
    let nxt = r.u8(off + 6);
    r.need(off, 40, 'ipv6 header');
    const src = r.bytes(off + 8, 16), dst = r.bytes(off + 24, 16);
    d.add(F.version, 6, off, 1);
    d.add(F.tclass, (w0 >>> 20) & 0xff, off, 2);
    d.add(F.flow, w0 & 0xfffff, off + 1, 3);
    d.add(F.plen, plen, off + 4, 2);
    d.add(F.nxt, nxt, off + 6, 1);
    d.add(F.hlim, r.u8(off + 7), off + 7, 1);
    d.add(F.src, src, off + 8, 16);
    d.add(F.addr, src, off + 8, 16);
    d.add(F.dst, dst, off + 24, 16);
    d.add(F.addr, dst, off + 24, 16);
    d.ipVer = 6;
    d.src6 = src;
    d.dst6 = dst;
    // jumbogram (plen 0 with hop-by-hop) or TSO: take what was captured
    const end = plen === 0 ? r.end : Math.min(r.end, off + 40 + plen);
    let o = off + 40;
    for (let guard = 0; guard < 16; guard++) {
      if (nxt === 0 || nxt === 43 || nxt === 60) {
        const n2 = r.u8(o), l = (r.u8(o + 1) + 1) * 8;
        const name = nxt === 0 ? 'ipv6.hopopts' : nxt === 43 ? 'ipv6.routing' : 'ipv6.dstopts';
        d.layer(name, o, o + l, nxt === 0 ? F.hop : nxt === 43 ? F.routing : F.dstopts);
        if (nxt === 43) d.add(F.rtype, r.u8(o + 2), o + 2, 1);
        r.need(o, l, name); // its next header is ipv6.hopopts.nxt & co in tshark, not another ipv6.nxt
        nxt = n2;
        o += l;
        continue;
      }
      if (nxt === 51) {
        const n2 = r.u8(o), l = (r.u8(o + 1) + 2) * 4;
        d.layer('ah', o, o + l, F.ah);
        d.add(F.ahSpi, r.u32(o + 4), o + 4, 4);
        r.need(o, l, 'ah');
        nxt = n2;
        o += l;
        continue;
      }
      if (nxt === 44) {
        const n2 = r.u8(o), fw = r.u16(o + 2), id = r.u32(o + 4);
        d.layer('ipv6.fraghdr', o, o + 8, F.frag);
        const fo = fw & 0xfff8, more = (fw & 1) === 1;
        d.add(F.fragOff, fo, o + 2, 2);
        d.add(F.fragMore, more ? 1 : 0, o + 2, 2);
        d.add(F.fragId, id, o + 4, 4);
        nxt = n2;
        o += 8;
        if (fo === 0 && !more) continue; // atomic fragment
        const key = `${fmt6(src)},${fmt6(dst)},${id}`;
        const whole = s.reassemble && plen !== 0 && end === off + 40 + plen ? frags(s).add(key, fo, more, r.buf.subarray(o, end), d.num) : null;
        if (!whole) {
          d.fragment = true;
          if (d.wantInfo) d.info = `IPv6 fragment (off=${fo} more=${more ? 'y' : 'n'} ident=0x${id.toString(16).padStart(8, '0')} nxt=${nxt})`;
          s.data(r.sub(o, end - o, true), o, d);
          return;
        }
        d.detached = true;
        d.ipEnd = whole.length;
        s.next('ip.proto', nxt, new Reader(whole, 0, whole.length), 0, d);
        return;
      }
      break;
    }
    if (nxt === 59) {
      if (d.wantInfo) d.info = 'IPv6 no next header';
      return;
    }
    if (d.wantInfo) d.info = `${fmt6(src)} → ${fmt6(dst)} ${IP_PROTO_NAMES[nxt] ?? `proto ${nxt}`}`;
    d.ipEnd = plen === 0 ? r.end : off + 40 + plen;
    s.next('ip.proto', nxt, r.sub(o, Math.max(0, end - o), true), o, d);
  },
};
