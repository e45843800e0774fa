/**
 * DNS over UDP and TCP, mDNS and LLMNR (same message format, same dns.* fields, as in Wireshark).
 * Names: compression pointers may only point backwards, loops and over-long names are refused.
 */
import { fid, gid } from '../fields/catalog.js';
import { DecodeError, Reader, utf8Text } from '../wire/reader.js';
import { ipv4 as fmt4, ipv6 as fmt6 } from '../fields/format.js';
import type { Protocol, StreamFraming } from './types.js';
import type { Dissection } from '../dissect/dissection.js';

const G_DNS = gid('dns');
const F = {
  dns: fid('dns'), mdns: fid('mdns'), llmnr: fid('llmnr'), id: fid('dns.id'), flags: fid('dns.flags'), response: fid('dns.flags.response'),
  opcode: fid('dns.flags.opcode'), aa: fid('dns.flags.authoritative'), tc: fid('dns.flags.truncated'), rd: fid('dns.flags.recdesired'),
  ra: fid('dns.flags.recavail'), rcode: fid('dns.flags.rcode'), qd: fid('dns.count.queries'), an: fid('dns.count.answers'),
  ns: fid('dns.count.auth_rr'), ar: fid('dns.count.add_rr'), qname: fid('dns.qry.name'), qnameLen: fid('dns.qry.name.len'),
  qtype: fid('dns.qry.type'), qclass: fid('dns.qry.class'), rname: fid('dns.resp.name'), rtype: fid('dns.resp.type'),
  rclass: fid('dns.resp.class'), ttl: fid('dns.resp.ttl'), rlen: fid('dns.resp.len'), a: fid('dns.a'), aaaa: fid('dns.aaaa'),
  cname: fid('dns.cname'), ptr: fid('dns.ptr.domain_name'), nsName: fid('dns.ns'), mx: fid('dns.mx.mail_exchange'), txt: fid('dns.txt'),
  srv: fid('dns.srv.target'), soa: fid('dns.soa.mname'),
};

export const TYPE_NAMES: Record<number, string> = {
  1: 'A', 2: 'NS', 5: 'CNAME', 6: 'SOA', 10: 'NULL', 12: 'PTR', 13: 'HINFO', 15: 'MX', 16: 'TXT', 17: 'RP', 18: 'AFSDB', 24: 'SIG', 25: 'KEY',
  28: 'AAAA', 29: 'LOC', 33: 'SRV', 35: 'NAPTR', 36: 'KX', 37: 'CERT', 39: 'DNAME', 41: 'OPT', 42: 'APL', 43: 'DS', 44: 'SSHFP', 45: 'IPSECKEY',
  46: 'RRSIG', 47: 'NSEC', 48: 'DNSKEY', 49: 'DHCID', 50: 'NSEC3', 51: 'NSEC3PARAM', 52: 'TLSA', 53: 'SMIMEA', 55: 'HIP', 59: 'CDS', 60: 'CDNSKEY',
  61: 'OPENPGPKEY', 62: 'CSYNC', 63: 'ZONEMD', 64: 'SVCB', 65: 'HTTPS', 99: 'SPF', 249: 'TKEY', 250: 'TSIG', 251: 'IXFR', 252: 'AXFR',
  255: 'ANY', 256: 'URI', 257: 'CAA', 32768: 'TA', 32769: 'DLV',
};
const RCODES: Record<number, string> = {
  0: 'No error', 1: 'Format error', 2: 'Server failure', 3: 'No such name', 4: 'Not implemented', 5: 'Refused', 6: 'Name exists',
  7: 'RRset exists', 8: 'RRset does not exist', 9: 'Not authoritative', 10: 'Name out of zone',
};
const OPCODES: Record<number, string> = { 0: 'Standard query', 1: 'Inverse query', 2: 'Server status request', 4: 'Zone change notification', 5: 'Dynamic update' };

const tn = (t: number): string => TYPE_NAMES[t] ?? `Unknown (${t})`;

/**
 * Read a domain name at `o` in the message that starts at `base`. Returns [text, bytes consumed in place].
 * Pointers must point strictly backwards from the label that holds them, which also rules out loops.
 */
export function readName(r: Reader, base: number, o: number): [string, number] {
  let name = '';
  let consumed = -1;
  let p = o;
  let labels = 0;
  let len = 0;
  let limit = p; // a pointer must point before the label that holds it
  for (;;) {
    const l = r.u8(p);
    if (l === 0) {
      if (consumed < 0) consumed = p + 1 - o;
      break;
    }
    const kind = l & 0xc0;
    if (kind === 0xc0) {
      const ptr = base + (((l & 0x3f) << 8) | r.u8(p + 1));
      if (consumed < 0) consumed = p + 2 - o;
      if (ptr >= limit) throw new DecodeError('malformed', p, 'dns name pointer does not point backwards');
      limit = ptr;
      p = ptr;
      continue;
    }
    if (kind !== 0) throw new DecodeError('malformed', p, 'dns label type');
    if (++labels > 127 || (len += l + 1) > 255) throw new DecodeError('malformed', p, 'dns name too long');
    r.need(p + 1, l, 'dns label');
    let lab = '';
    let high = false;
    for (let i = p + 1; i <= p + l; i++) {
      const c = r.buf[i];
      if (c >= 0x80) { high = true; break; }
      lab += c === 0x2e ? '\\.' : String.fromCharCode(c);
    }
    // internationalised labels sent as raw UTF-8 are shown as text, as Wireshark does
    if (high) lab = utf8Text(r.buf, p + 1, p + 1 + l).replace(/\./g, '\\.');
    name += name ? '.' + lab : lab;
    p += l + 1;
  }
  return [name || '<Root>', consumed];
}

/** A strict structural check: header counts sane, the question section parses and fits. Never throws. */
export function looksLikeDns(r: Reader, off: number): boolean {
  try {
    if (!r.has(off, 17)) return false;
    const flags = r.u16(off + 2);
    const qd = r.u16(off + 4), an = r.u16(off + 6), ns = r.u16(off + 8), ar = r.u16(off + 10);
    if (qd !== 1 || ((flags >> 11) & 15) > 5 || (flags & 0x0040) !== 0) return false;
    if (an > 64 || ns > 64 || ar > 64) return false;
    if (!(flags & 0x8000) && (an > 0 || ns > 0 || (flags & 15) !== 0)) return false;
    const [, used] = readName(r, off, off + 12);
    const t = r.u16(off + 12 + used), c = r.u16(off + 14 + used) & 0x7fff;
    if (!TYPE_NAMES[t] || (c !== 1 && c !== 3 && c !== 255 && c !== 254)) return false;
    if (!(flags & 0x8000) && an === 0 && ns === 0 && ar === 0 && off + 16 + used !== r.end) return false;
    return true;
  } catch {
    return false;
  }
}

function decodeMessage(r: Reader, off: number, d: Dissection, variant: 'dns' | 'mdns' | 'llmnr'): void {
  d.layer(variant, off, r.end, variant === 'dns' ? F.dns : variant === 'mdns' ? F.mdns : F.llmnr);
  d.protocol = variant === 'dns' ? 'DNS' : variant === 'mdns' ? 'MDNS' : 'LLMNR';
  const id = r.u16(off), flags = r.u16(off + 2);
  const qd = r.u16(off + 4), an = r.u16(off + 6), ns = r.u16(off + 8), ar = r.u16(off + 10);
  const resp = flags >> 15, opcode = (flags >> 11) & 15, rcode = flags & 15;
  // nobody reads the message (no dns.* field, no Info): the header was enough to name it
  if (!d.wantInfo && !d.wantsGroup(G_DNS)) return;
  d.add(F.id, id, off, 2);
  d.add(F.flags, flags, off + 2, 2);
  d.add(F.response, resp, off + 2, 2);
  d.add(F.opcode, opcode, off + 2, 2);
  if (resp) d.add(F.aa, (flags >> 10) & 1, off + 2, 2);
  d.add(F.tc, (flags >> 9) & 1, off + 2, 2);
  d.add(F.rd, (flags >> 8) & 1, off + 2, 2);
  if (resp) d.add(F.ra, (flags >> 7) & 1, off + 2, 2);
  if (resp) d.add(F.rcode, rcode, off + 2, 2);
  d.add(F.qd, qd, off + 4, 2);
  d.add(F.an, an, off + 6, 2);
  d.add(F.ns, ns, off + 8, 2);
  d.add(F.ar, ar, off + 10, 2);
  let info = `${OPCODES[opcode] ?? `Unknown operation (${opcode})`}${resp ? ' response' : ''} 0x${id.toString(16).padStart(4, '0')}`;
  if (resp && rcode) info += ` ${RCODES[rcode] ?? `Unknown error (${rcode})`}`;
  let o = off + 12;
  try {
    for (let i = 0; i < qd; i++) {
      const [name, used] = readName(r, off, o);
      const t = r.u16(o + used), c = r.u16(o + used + 2);
      d.add(F.qname, name, o, used);
      d.add(F.qnameLen, name === '<Root>' ? 0 : name.length, o, used);
      d.add(F.qtype, t, o + used, 2);
      d.add(F.qclass, c, o + used + 2, 2);
      if (d.wantInfo) info += ` ${tn(t)} ${name}`;
      o += used + 4;
    }
    const total = an + ns + ar;
    for (let i = 0; i < total; i++) {
      const [name, used] = readName(r, off, o);
      const t = r.u16(o + used), c = r.u16(o + used + 2), ttl = r.u32(o + used + 4), rl = r.u16(o + used + 8);
      const rd = o + used + 10;
      r.need(rd, rl, 'dns rdata');
      d.add(F.rname, name, o, used);
      d.add(F.rtype, t, o + used, 2);
      d.add(F.rclass, c, o + used + 2, 2);
      if (t !== 41) d.add(F.ttl, ttl, o + used + 4, 4);
      d.add(F.rlen, rl, o + used + 8, 2);
      let text = '';
      switch (t) {
        case 1:
          if (rl === 4) { const a = r.u32(rd); d.add(F.a, a, rd, 4); text = fmt4(a); }
          break;
        case 28:
          if (rl === 16) { const a = r.bytes(rd, 16); d.add(F.aaaa, a, rd, 16); text = fmt6(a); }
          break;
        case 5: case 12: case 2: case 39: {
          const [n] = readName(r, off, rd);
          d.add(t === 5 || t === 39 ? F.cname : t === 12 ? F.ptr : F.nsName, n, rd, rl);
          text = n;
          break;
        }
        case 15: {
          const [n] = readName(r, off, rd + 2);
          d.add(F.mx, n, rd + 2, rl - 2);
          text = `${r.u16(rd)} ${n}`;
          break;
        }
        case 33: {
          const [n] = readName(r, off, rd + 6);
          d.add(F.srv, n, rd + 6, rl - 6);
          text = `${r.u16(rd)} ${r.u16(rd + 2)} ${r.u16(rd + 4)} ${n}`;
          break;
        }
        case 6: {
          const [n] = readName(r, off, rd);
          d.add(F.soa, n, rd, rl);
          text = n;
          break;
        }
        case 16: {
          for (let p = rd; p < rd + rl;) {
            const l = r.u8(p);
            const s = r.latin1(p + 1, Math.min(l, rd + rl - p - 1));
            d.add(F.txt, s, p + 1, l);
            text = text ? `${text} ${s}` : s;
            p += l + 1;
          }
          break;
        }
      }
      if (d.wantInfo && i < an && t !== 41) info += ` ${tn(t)}${text ? ' ' + text : ''}`;
      o = rd + rl;
    }
  } catch (e) {
    d.info = info;
    throw e;
  }
  d.info = info;
}

/** DNS over TCP: two-byte length prefix (RFC 1035 4.2.2). */
const tcpFraming: StreamFraming = {
  pduLength(r, off) {
    if (!r.has(off, 2)) return 0;
    const n = r.u16(off);
    if (n < 12) return -1;
    return n + 2;
  },
  keep(_r, _off, total) {
    return total;
  },
};

export const dns: Protocol = {
  name: 'dns',
  bind: [{ table: 'udp.port', keys: [53] }, { table: 'tcp.port', keys: [53] }],
  heuristics: [{ table: 'udp', test: (r, off) => looksLikeDns(r, off) }],
  framing: tcpFraming,
  decode(r, off, d) {
    if (d.l4 === 6) {
      r.need(off, 2, 'dns length');
      decodeMessage(r, off + 2, d, 'dns');
      return;
    }
    decodeMessage(r, off, d, 'dns');
  },
};

export const mdns: Protocol = {
  name: 'mdns',
  bind: [{ table: 'udp.port', keys: [5353] }],
  decode(r, off, d) {
    decodeMessage(r, off, d, 'mdns');
  },
};

export const llmnr: Protocol = {
  name: 'llmnr',
  bind: [{ table: 'udp.port', keys: [5355] }],
  decode(r, off, d) {
    decodeMessage(r, off, d, 'llmnr');
  },
};
