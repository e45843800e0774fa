// Frame builders: Ethernet II (optionally 802.1Q-tagged) carrying ARP, IPv4 or IPv6 with ICMP, ICMPv6, UDP or TCP.
// Each builder allocates the whole frame once and fills in every length and checksum (IPv4 header, ICMP, and the
// UDP/TCP/ICMPv6 checksums over the pseudo-header). Frames shorter than 60 bytes are zero-padded as on the wire.
// An address's family is its length: 4 bytes is IPv4, 16 bytes is IPv6.

export const ETH_IPV4 = 0x0800, ETH_ARP = 0x0806, ETH_VLAN = 0x8100, ETH_IPV6 = 0x86dd;
export const IP_ICMP = 1, IP_TCP = 6, IP_UDP = 17, IP_ICMPV6 = 58;
export const FIN = 0x01, SYN = 0x02, RST = 0x04, PSH = 0x08, ACK = 0x10, URG = 0x20, ECE = 0x40, CWR = 0x80;

const MIN_FRAME = 60;

export interface Link {
  src: Uint8Array;
  dst: Uint8Array;
  /** 802.1Q VLAN id; absent = untagged. */
  vlan?: number;
  pcp?: number;
}

export interface Net {
  src: Uint8Array;
  dst: Uint8Array;
  /** TTL (IPv4) or hop limit (IPv6). */
  ttl: number;
  /** IPv4 identification. */
  id?: number;
  /** IPv4 don't-fragment flag. */
  df?: boolean;
  /** DSCP/ECN byte (IPv4 TOS, IPv6 traffic class). */
  tos?: number;
  /** IPv6 flow label. */
  flow?: number;
}

export interface TcpHeader {
  sport: number;
  dport: number;
  seq: number;
  ack: number;
  flags: number;
  win: number;
  /** Encoded options, padded to a multiple of 4 (see `tcpOptions`). */
  opts?: Uint8Array;
  urp?: number;
}

// ---- addresses ----

export function mac(s: string): Uint8Array {
  const parts = s.split(/[:-]/);
  if (parts.length !== 6) throw new Error(`bad MAC ${s}`);
  return Uint8Array.from(parts, (p) => parseInt(p, 16));
}

export function ipv4(s: string): Uint8Array {
  const parts = s.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !(p >= 0 && p <= 255))) throw new Error(`bad IPv4 ${s}`);
  return Uint8Array.from(parts);
}

export function ipv6(s: string): Uint8Array {
  const [head, tail] = s.includes('::') ? s.split('::') : [s, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  if (groups.length !== 8) throw new Error(`bad IPv6 ${s}`);
  const out = new Uint8Array(16);
  groups.forEach((g, i) => { const v = parseInt(g, 16); out[2 * i] = v >> 8; out[2 * i + 1] = v & 255; });
  return out;
}

/** Parses either family. */
export function ip(s: string): Uint8Array { return s.includes(':') ? ipv6(s) : ipv4(s); }

export function formatIp(a: Uint8Array): string {
  if (a.length === 4) return a.join('.');
  const g: string[] = [];
  for (let i = 0; i < 16; i += 2) g.push(((a[i]! << 8) | a[i + 1]!).toString(16));
  return g.join(':');
}

/** fe80::/64 link-local address from a MAC (modified EUI-64). */
export function linkLocal(m: Uint8Array): Uint8Array {
  return withEui64(ipv6('fe80::'), m);
}

/** Replaces the low 64 bits of `prefix` with the modified EUI-64 of `m`. */
export function withEui64(prefix: Uint8Array, m: Uint8Array): Uint8Array {
  const a = prefix.slice(0, 16);
  a.set([m[0]! ^ 2, m[1]!, m[2]!, 0xff, 0xfe, m[3]!, m[4]!, m[5]!], 8);
  return a;
}

/** Solicited-node multicast address ff02::1:ffXX:XXXX for an IPv6 address. */
export function solicitedNode(a: Uint8Array): Uint8Array {
  const s = ipv6('ff02::1:ff00:0');
  s.set(a.subarray(13, 16), 13);
  return s;
}

/** Ethernet multicast MAC for an IPv4 (01:00:5e + low 23 bits) or IPv6 (33:33 + low 32 bits) group. */
export function multicastMac(group: Uint8Array): Uint8Array {
  if (group.length === 4) return Uint8Array.of(0x01, 0x00, 0x5e, group[1]! & 0x7f, group[2]!, group[3]!);
  return Uint8Array.of(0x33, 0x33, group[12]!, group[13]!, group[14]!, group[15]!);
}

export const BROADCAST_MAC = Uint8Array.of(255, 255, 255, 255, 255, 255);
export const ZERO_MAC = new Uint8Array(6);

// ---- checksums ----

/** Adds bytes to a running one's-complement sum (not yet folded). `len` may be odd. */
export function sum16(b: Uint8Array, off: number, len: number, acc = 0): number {
  const end = off + (len & ~1);
  let i = off;
  for (; i < end; i += 2) acc += (b[i]! << 8) | b[i + 1]!;
  if (len & 1) acc += b[i]! << 8;
  return acc;
}

/** Folds a sum and returns its complement, the value stored in a checksum field. */
export function fold(acc: number): number {
  while (acc > 0xffff) acc = (acc & 0xffff) + Math.floor(acc / 65536);
  return ~acc & 0xffff;
}

function pseudoSum(net: Net, proto: number, len: number): number {
  return sum16(net.src, 0, net.src.length, sum16(net.dst, 0, net.dst.length, proto + len));
}

// ---- framing ----

function put16(b: Uint8Array, o: number, v: number): void { b[o] = v >>> 8; b[o + 1] = v; }
function put32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24; b[o + 1] = v >>> 16; b[o + 2] = v >>> 8; b[o + 3] = v;
}

/** Allocates a frame for `bodyLen` bytes after the link header and writes that header; returns [frame, body offset]. */
function linkFrame(link: Link, etherType: number, bodyLen: number): [Uint8Array, number] {
  const hdr = link.vlan === undefined ? 14 : 18;
  const f = new Uint8Array(Math.max(MIN_FRAME, hdr + bodyLen));
  f.set(link.dst, 0);
  f.set(link.src, 6);
  if (link.vlan !== undefined) {
    put16(f, 12, ETH_VLAN);
    put16(f, 14, ((link.pcp ?? 0) << 13) | (link.vlan & 0xfff));
  }
  put16(f, hdr - 2, etherType);
  return [f, hdr];
}

/** Writes the IP header for a payload of `payloadLen` bytes; returns [frame, payload offset]. */
function ipFrame(link: Link, net: Net, proto: number, payloadLen: number): [Uint8Array, number] {
  if (net.src.length === 4) {
    const [f, o] = linkFrame(link, ETH_IPV4, 20 + payloadLen);
    f[o] = 0x45;
    f[o + 1] = net.tos ?? 0;
    put16(f, o + 2, 20 + payloadLen);
    put16(f, o + 4, (net.id ?? 0) & 0xffff);
    f[o + 6] = net.df ? 0x40 : 0;
    f[o + 8] = net.ttl;
    f[o + 9] = proto;
    f.set(net.src, o + 12);
    f.set(net.dst, o + 16);
    put16(f, o + 10, fold(sum16(f, o, 20)));
    return [f, o + 20];
  }
  const [f, o] = linkFrame(link, ETH_IPV6, 40 + payloadLen);
  const tc = net.tos ?? 0, flow = net.flow ?? 0;
  put32(f, o, ((6 << 28) | (tc << 20) | (flow & 0xfffff)) >>> 0);
  put16(f, o + 4, payloadLen);
  f[o + 6] = proto;
  f[o + 7] = net.ttl;
  f.set(net.src, o + 8);
  f.set(net.dst, o + 24);
  return [f, o + 40];
}

/** Any Ethernet payload. */
export function ethernet(link: Link, etherType: number, payload: Uint8Array): Uint8Array {
  const [f, o] = linkFrame(link, etherType, payload.length);
  f.set(payload, o);
  return f;
}

/** ARP for IPv4 over Ethernet: op 1 = request (who-has), 2 = reply (is-at). */
export function arp(link: Link, op: 1 | 2, sha: Uint8Array, spa: Uint8Array, tha: Uint8Array, tpa: Uint8Array): Uint8Array {
  const [f, o] = linkFrame(link, ETH_ARP, 28);
  f.set([0, 1, 8, 0, 6, 4, 0, op], o);
  f.set(sha, o + 8);
  f.set(spa, o + 14);
  f.set(tha, o + 18);
  f.set(tpa, o + 24);
  return f;
}

/** An IP packet with an arbitrary payload (no transport checksum is computed). */
export function ipPacket(link: Link, net: Net, proto: number, payload: Uint8Array): Uint8Array {
  const [f, o] = ipFrame(link, net, proto, payload.length);
  f.set(payload, o);
  return f;
}

export function udp(link: Link, net: Net, sport: number, dport: number, payload: Uint8Array): Uint8Array {
  const len = 8 + payload.length;
  const [f, o] = ipFrame(link, net, IP_UDP, len);
  put16(f, o, sport);
  put16(f, o + 2, dport);
  put16(f, o + 4, len);
  f.set(payload, o + 8);
  put16(f, o + 6, fold(sum16(f, o, len, pseudoSum(net, IP_UDP, len))) || 0xffff);
  return f;
}

export function tcp(link: Link, net: Net, h: TcpHeader, payload: Uint8Array = EMPTY): Uint8Array {
  const optLen = h.opts?.length ?? 0;
  if (optLen & 3 || optLen > 40) throw new Error('TCP options must be padded to 4 bytes, at most 40');
  const hl = 20 + optLen, len = hl + payload.length;
  const [f, o] = ipFrame(link, net, IP_TCP, len);
  put16(f, o, h.sport);
  put16(f, o + 2, h.dport);
  put32(f, o + 4, h.seq >>> 0);
  put32(f, o + 8, h.ack >>> 0);
  f[o + 12] = (hl / 4) << 4;
  f[o + 13] = h.flags;
  put16(f, o + 14, h.win);
  put16(f, o + 18, h.urp ?? 0);
  if (h.opts) f.set(h.opts, o + 20);
  f.set(payload, o + hl);
  put16(f, o + 16, fold(sum16(f, o, len, pseudoSum(net, IP_TCP, len))));
  return f;
}

/** ICMP (IPv4) message: type, code, 4 bytes of "rest of header" and data. */
export function icmp(link: Link, net: Net, type: number, code: number, rest: number, data: Uint8Array): Uint8Array {
  const len = 8 + data.length;
  const [f, o] = ipFrame(link, net, IP_ICMP, len);
  f[o] = type;
  f[o + 1] = code;
  put32(f, o + 4, rest >>> 0);
  f.set(data, o + 8);
  put16(f, o + 2, fold(sum16(f, o, len)));
  return f;
}

/** ICMP echo request (type 8) or reply (type 0). */
export function icmpEcho(link: Link, net: Net, type: 8 | 0, id: number, seq: number, data: Uint8Array): Uint8Array {
  return icmp(link, net, type, 0, ((id & 0xffff) << 16) | (seq & 0xffff), data);
}

/** ICMPv6 message; `body` is everything after type, code and checksum. */
export function icmpv6(link: Link, net: Net, type: number, code: number, body: Uint8Array): Uint8Array {
  const len = 4 + body.length;
  const [f, o] = ipFrame(link, net, IP_ICMPV6, len);
  f[o] = type;
  f[o + 1] = code;
  f.set(body, o + 4);
  put16(f, o + 2, fold(sum16(f, o, len, pseudoSum(net, IP_ICMPV6, len))));
  return f;
}

/** ICMPv6 echo request (128) or reply (129). */
export function icmpv6Echo(link: Link, net: Net, type: 128 | 129, id: number, seq: number, data: Uint8Array): Uint8Array {
  const body = new Uint8Array(4 + data.length);
  put16(body, 0, id);
  put16(body, 2, seq);
  body.set(data, 4);
  return icmpv6(link, net, type, 0, body);
}

/** Neighbor solicitation (135) for `target`, with the source link-layer address option (omit it for DAD). */
export function icmpv6NeighborSolicit(link: Link, net: Net, target: Uint8Array, srcLladdr?: Uint8Array): Uint8Array {
  const body = new Uint8Array(20 + (srcLladdr ? 8 : 0));
  body.set(target, 4);
  if (srcLladdr) body.set([1, 1, ...srcLladdr], 20);
  return icmpv6(link, net, 135, 0, body);
}

/** Neighbor advertisement (136); flags: 0x80 router, 0x40 solicited, 0x20 override. */
export function icmpv6NeighborAdvert(link: Link, net: Net, target: Uint8Array, tgtLladdr: Uint8Array, flags: number): Uint8Array {
  const body = new Uint8Array(28);
  body[0] = flags;
  body.set(target, 4);
  body.set([2, 1, ...tgtLladdr], 20);
  return icmpv6(link, net, 136, 0, body);
}

/** Router advertisement (134) with source link-layer address, MTU and one prefix-information option. */
export function icmpv6RouterAdvert(link: Link, net: Net, o: { lladdr: Uint8Array; mtu: number; prefix: Uint8Array;
  prefixLen: number; lifetime: number; valid: number; preferred: number }): Uint8Array {
  const body = new Uint8Array(12 + 8 + 8 + 32);
  body[0] = 64;                      // cur hop limit
  body[1] = 0;                       // M/O flags
  put16(body, 2, o.lifetime);
  body.set([1, 1, ...o.lladdr], 12);
  body.set([5, 1, 0, 0], 20);
  put32(body, 24, o.mtu);
  body.set([3, 4, o.prefixLen, 0xc0], 28); // on-link, autonomous
  put32(body, 32, o.valid);
  put32(body, 36, o.preferred);
  body.set(o.prefix.subarray(0, 16), 44);
  return icmpv6(link, net, 134, 0, body);
}

export interface TcpOptionSet {
  mss?: number;
  sackPerm?: boolean;
  /** [TSval, TSecr] */
  ts?: [number, number];
  wscale?: number;
}

/**
 * Encodes TCP options in the order a given stack uses: 'linux' (MSS, SACK_PERM, TS, NOP, WS), 'windows'
 * (MSS, NOP, WS, NOP, NOP, SACK_PERM) or 'mac' (MSS, NOP, WS, NOP, NOP, TS, SACK_PERM, EOL). On non-SYN segments
 * pass only `ts` to get NOP, NOP, TS.
 */
export function tcpOptions(o: TcpOptionSet, order: 'linux' | 'windows' | 'mac' = 'linux'): Uint8Array {
  const out: number[] = [];
  const mss = () => { if (o.mss !== undefined) out.push(2, 4, o.mss >> 8, o.mss & 255); };
  const sack = () => { if (o.sackPerm) out.push(4, 2); };
  const ws = () => { if (o.wscale !== undefined) out.push(3, 3, o.wscale); };
  const ts = () => {
    if (!o.ts) return;
    const [v, e] = o.ts;
    out.push(8, 10, v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255, e >>> 24, (e >>> 16) & 255, (e >>> 8) & 255, e & 255);
  };
  const isSyn = o.mss !== undefined || o.sackPerm || o.wscale !== undefined;
  if (!isSyn) { if (o.ts) { out.push(1, 1); ts(); } }
  else if (order === 'linux') {
    mss();
    if (o.sackPerm && o.ts) { sack(); ts(); } else { if (o.ts) out.push(1, 1); ts(); if (o.sackPerm) out.push(1, 1), sack(); }
    if (o.wscale !== undefined) { out.push(1); ws(); }
  } else if (order === 'windows') {
    mss();
    if (o.wscale !== undefined) { out.push(1); ws(); }
    if (o.ts) { out.push(1, 1); ts(); }
    if (o.sackPerm) { out.push(1, 1); sack(); }
  } else {
    mss();
    if (o.wscale !== undefined) { out.push(1); ws(); }
    if (o.ts) { out.push(1, 1); ts(); }
    sack();
  }
  while (out.length & 3) out.push(0);
  return Uint8Array.from(out);
}

const EMPTY: Uint8Array = new Uint8Array(0);
