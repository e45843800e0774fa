// Traffic sessions: each is a generator of time-ordered packets that tells one small story (a page load over TLS,
// a DHCP lease, a ping...). The scheduler in generate.ts interleaves many of them.

import * as apps from './apps.js';
import { ascii, concat } from './bytes.js';
import * as dns from './dns.js';
import {
  ACK, BROADCAST_MAC, RST, SYN, ZERO_MAC, arp, icmp, icmpEcho, icmpv6Echo, icmpv6NeighborAdvert, icmpv6NeighborSolicit,
  icmpv6RouterAdvert, ip, ipv4, ipv6, multicastMac, solicitedNode, udp, type Link, type Net,
} from './packets.js';
import * as quic from './quic.js';
import type { Rng } from './rng.js';
import { EMPTY, Tcp, type Flow, type Pkt } from './tcp.js';
import * as tls from './tls.js';
import { DOMAIN, HOSTILE_PATH, HOSTILE_UA, MS, NTP_SERVERS, Path, S, US, type Host, type Node, type Site, type World } from './world.js';

export class Ctx {
  readonly pool: tls.RandomPool;
  private readonly addrs = new Map<string, Uint8Array>();
  private readonly chains = new Map<string, Uint8Array[]>();
  private readonly caCerts: Uint8Array[];

  /**
   * @param t0 Unix time (seconds) of relative time 0
   * @param maxBody cap on a single response body, so small captures are not one big download
   */
  constructor(readonly w: World, readonly rng: Rng, readonly t0: number, readonly maxBody: number) {
    this.pool = new tls.RandomPool(rng);
    const nb = (t0 - 400 * 86400) * 1000;
    this.caCerts = [
      tls.certificate(rng, { subject: 'Orchard ECC Server CA 1', issuerOrg: 'Orchard Trust Services', issuerCn: 'Orchard Root CA R2', ca: true, notBefore: nb, days: 1825 }),
      tls.certificate(rng, { subject: 'Lighthouse TLS ECC CA E5', issuerOrg: 'Lighthouse PKI', issuerCn: 'Lighthouse Root X2', ca: true, notBefore: nb, days: 1095 }),
    ];
  }

  addr(s: string): Uint8Array {
    let a = this.addrs.get(s);
    if (!a) { a = ip(s); this.addrs.set(s, a); }
    return a;
  }

  /** ns, scaled by a random factor in [0.8, 1.2]. */
  jit(ns: number): number { return ns * (0.8 + 0.4 * this.rng.float()); }

  /** A duration (ns) drawn uniformly from [lo, hi]. */
  between(lo: number, hi: number): number { return lo + (hi - lo) * this.rng.float(); }

  /** Unix milliseconds for relative time `t` (ns). */
  ms(t: number): number { return this.t0 * 1000 + t / MS; }

  chain(site: Site, atMs: number): Uint8Array[] {
    let c = this.chains.get(site.name);
    if (!c) {
      const ca = this.rng.int(2);
      const parent = site.name.split('.').slice(1).join('.');
      c = [tls.certificate(this.rng, {
        subject: site.name, names: parent.includes('.') ? [site.name, `*.${parent}`] : [site.name],
        issuerOrg: ca ? 'Lighthouse PKI' : 'Orchard Trust Services', issuerCn: ca ? 'Lighthouse TLS ECC CA E5' : 'Orchard ECC Server CA 1',
        notBefore: atMs - this.rng.range(5, 60) * 86400_000, days: 90, pkiHost: ca ? 'lighthouse-pki.example' : 'orchard-trust.example',
      }), this.caCerts[ca]!];
      this.chains.set(site.name, c);
    }
    return c;
  }

  /** UDP between two nodes as a packet at `t`. */
  udp(t: number, path: Path, fromA: boolean, sport: number, dport: number, payload: Uint8Array): Pkt {
    const [link, net] = path.dir(fromA);
    return { t: Math.round(t), f: udp(link, net, sport, dport, payload) };
  }

  resolverPath(h: Host): Path {
    const gw = h.resolver === h.lan.gw;
    const node = gw ? this.w.router : this.w.remote(h.resolver.join('.'), 58);
    return new Path(h, h.ip4, node, h.resolver, h.lan.vlan, false);
  }
}

const pkt = (t: number, f: Uint8Array): Pkt => ({ t: Math.round(t), f });
const hex = (rng: Rng, n: number) => Array.from(rng.bytes(n), (b) => b.toString(16).padStart(2, '0')).join('');

// ---------------------------------------------------------------------------------------------------------------
// DNS

function soa(zone: string): dns.Record {
  return zone === DOMAIN
    ? { name: zone, type: dns.SOA, ttl: 0, mname: `router.${DOMAIN}`, rname: `hostmaster.${DOMAIN}`, serial: 1715000000, refresh: 1200, retry: 180, expire: 1209600, minimum: 600 }
    : zone === ''
      ? { name: zone, type: dns.SOA, ttl: 86400, mname: 'a.root-servers.net', rname: 'nstld.verisign-grs.com', serial: 2024051400, refresh: 1800, retry: 900, expire: 604800, minimum: 86400 }
      : { name: zone, type: dns.SOA, ttl: 900, mname: `ns1.${zone}`, rname: `dns-admin.${zone}`, serial: 2024050101, refresh: 900, retry: 900, expire: 1800, minimum: 60 };
}

const zoneOf = (name: string) => name.split('.').slice(-2).join('.');

/** What a recursive resolver answers for `name`/`qtype` in this world. */
function answer(c: Ctx, name: string, qtype: number): { rcode: number; an: dns.Record[]; ns: dns.Record[] } {
  const { w, rng } = c;
  const site = w.sites.find((s) => s.name === name);
  const ntp = NTP_SERVERS.find((s) => s.name === name);
  if (site || ntp) {
    const an: dns.Record[] = [];
    let cur = name;
    for (const cn of site?.cname ?? []) { an.push({ name: cur, type: dns.CNAME, ttl: rng.range(30, 3600), target: cn }); cur = cn; }
    const list = !site ? (qtype === dns.A ? [ntp!.ip] : []) : qtype === dns.A ? site.a : qtype === dns.AAAA ? site.aaaa ?? [] : [];
    for (const a of list) an.push({ name: cur, type: qtype as typeof dns.A, ttl: rng.range(20, 300), addr: c.addr(a) });
    return { rcode: dns.NOERROR, an, ns: list.length ? [] : [soa(zoneOf(cur))] };
  }
  if (qtype === dns.PTR) {
    const h = w.hosts.find((x) => dns.reverseName(x.ip4) === name);
    if (h) return { rcode: dns.NOERROR, an: [{ name, type: dns.PTR, ttl: 0, target: `${h.name}.${DOMAIN}` }], ns: [] };
  }
  if (name.endsWith(`.${DOMAIN}`)) {
    const h = w.hosts.find((x) => `${x.name}.${DOMAIN}`.toLowerCase() === name.toLowerCase());
    if (h) {
      const addr = qtype === dns.A ? h.ip4 : qtype === dns.AAAA ? h.ip6 : undefined;
      return addr ? { rcode: dns.NOERROR, an: [{ name, type: qtype as typeof dns.A, ttl: 0, addr }], ns: [] } : { rcode: dns.NOERROR, an: [], ns: [soa(DOMAIN)] };
    }
    return { rcode: dns.NXDOMAIN, an: [], ns: [soa(DOMAIN)] };
  }
  return { rcode: dns.NXDOMAIN, an: [], ns: [soa('')] };
}

/** Queries (in parallel) and their answers from the host's resolver. */
function* lookup(c: Ctx, h: Host, qs: dns.Question[], t: number, cached = c.rng.chance(0.6)): Flow {
  const { rng } = c;
  const path = c.resolverPath(h);
  const local = h.resolver === h.lan.gw;
  const delay = cached ? c.jit((local ? 0.6 : 9) * MS) : c.between((local ? 12 : 9) * MS, 140 * MS);
  const sent = qs.map((q) => ({ q, id: rng.int(65536), port: c.w.ephemeralPort(h) }));
  let at = t;
  for (const s of sent) {
    yield c.udp(at, path, true, s.port, 53, dns.encode({ id: s.id, flags: dns.RD, qd: [s.q], edns: h.edns }));
    at += c.jit(70 * US);
  }
  at = Math.max(at, t + delay);
  for (const s of sent) {
    const r = answer(c, s.q.name, s.q.type);
    yield c.udp(at, path, false, 53, s.port, dns.encode({ id: s.id, flags: dns.QR | dns.RD | dns.RA | r.rcode, qd: [s.q], an: r.an, ns: r.ns, edns: h.edns }));
    at += c.jit(40 * US);
  }
  return at;
}

const NX_NAMES = [`wpad.${DOMAIN}`, `isatap.${DOMAIN}`, `intranet.${DOMAIN}`, `printer-3f.${DOMAIN}`, 'updates.vendor-cloud.invalid', 'telemetry.oldapp.invalid'];

/** Lookups that lead nowhere: prefetches, NXDOMAIN (`nx` forces one), reverse and local names. */
export function* dnsOnly(c: Ctx, t: number, nx = false): Flow {
  const { w, rng } = c;
  const h = w.pickClient((x) => x.kind !== 'iot');
  const v = nx ? 0.5 : rng.float();
  let qs: dns.Question[];
  if (v < 0.4) qs = [{ name: pickSite(c, h).name, type: dns.A }, ...(h.ip6 ? [{ name: pickSite(c, h).name, type: dns.AAAA }] : [])];
  else if (v < 0.6) qs = [{ name: rng.pick(NX_NAMES), type: dns.A }];
  else if (v < 0.7) {
    // Chrome's intranet redirect probe: random single-label names, qualified with the search domain.
    const label = Array.from({ length: rng.range(7, 15) }, () => String.fromCharCode(97 + rng.int(26))).join('');
    qs = [{ name: `${label}.${DOMAIN}`, type: dns.A }];
  } else if (v < 0.85) qs = [{ name: dns.reverseName(w.neighbour(h).ip4), type: dns.PTR }];
  else qs = [{ name: `${w.neighbour(h).name}.${DOMAIN}`, type: dns.A }];
  return yield* lookup(c, h, qs, t);
}

const TXT_VALUES = ['v=spf1 include:_spf.example.net include:mail.zendesk.com include:servers.mcsv.net ~all',
  'MS=ms58213741', 'apple-domain-verification=9Bd7xQ2kLmN4pR8s', 'docusign=05958488-4752-4ef2-95eb-aa7ba8a3bd0e',
  'atlassian-domain-verification=Z8Xq+3hTkR4v9/LmYcP2wQ1sN5bF7dG0aJeK6uHiOoBtCyDnEgIfMlVrWxSz', 'onetrust-domain-verification=de01ed21f2fa4d8781cbc3ffb89cf4ef',
  'facebook-domain-verification=22rm551cu4k0ab0bxsw536tlds4h95', 'webexdomainverification.8YX6G=6e6922db-e3e6-4a36-904e-a805c28087fa'];

/** A TXT answer too big for 512 bytes: the UDP reply is truncated (TC) and the client retries over TCP. */
export function* dnsTcp(c: Ctx, t: number): Flow {
  const { w, rng } = c;
  const h = w.pickClient((x) => (x.kind === 'linux' || x.kind === 'windows') && x.resolver === x.lan.gw);
  const name = rng.pick(['example.com', 'example.net', 'example.org']);
  const q: dns.Question = { name, type: dns.TXT };
  const path = c.resolverPath(h);
  const port = w.ephemeralPort(h), id = rng.int(65536);
  yield c.udp(t, path, true, port, 53, dns.encode({ id, flags: dns.RD, qd: [q] }));
  t += c.between(10 * MS, 60 * MS);
  yield c.udp(t, path, false, 53, port, dns.encode({ id, flags: dns.QR | dns.TC | dns.RD | dns.RA, qd: [q] }));
  const an: dns.Record[] = [];
  for (let i = 0, n = rng.range(14, 30); i < n; i++) {
    const v = rng.pick(TXT_VALUES);
    an.push({ name, type: dns.TXT, ttl: 3600, strings: [i % 3 ? v : `${v.slice(0, 40)}${hex(rng, 8)}`] });
  }
  const conn = new Tcp(rng, path, w.ephemeralPort(h), 53, c.jit(400 * US), 900);
  t = yield* conn.connect(t + c.jit(300 * US));
  const id2 = rng.int(65536);
  t = yield* conn.send(true, dns.withLength(dns.encode({ id: id2, flags: dns.RD | dns.AD, qd: [q], edns: 1232 })), t + c.jit(50 * US), false);
  t = yield* conn.send(false, dns.withLength(dns.encode({ id: id2, flags: dns.QR | dns.RD | dns.RA, qd: [q], an, edns: 1232 })), t + c.jit(2 * MS));
  return yield* conn.close(t + c.jit(200 * US), true);
}

// ---------------------------------------------------------------------------------------------------------------
// LAN housekeeping: ARP, DHCP, mDNS, ICMPv6 neighbour discovery

function lanLink(h: Host, dst: Uint8Array, src = h.mac): Link { return { src, dst, vlan: h.lan.vlan }; }

export function* arpSession(c: Ctx, t: number): Flow {
  const { w, rng } = c;
  const h = w.pickClient();
  const r = w.router, gw = h.lan.gw;
  const v = rng.float();
  if (v < 0.55) {          // host resolves its gateway
    yield pkt(t, arp(lanLink(h, BROADCAST_MAC), 1, h.mac, h.ip4, ZERO_MAC, gw));
    t += c.jit(300 * US);
    yield pkt(t, arp(lanLink(h, h.mac, r.mac), 2, r.mac, gw, h.mac, h.ip4));
  } else if (v < 0.8) {    // router refreshes its entry for the host (unicast, as Linux does)
    const broadcast = rng.chance(0.3);
    yield pkt(t, arp(lanLink(h, broadcast ? BROADCAST_MAC : h.mac, r.mac), 1, r.mac, gw, ZERO_MAC, h.ip4));
    t += c.jit(800 * US);
    yield pkt(t, arp(lanLink(h, r.mac), 2, h.mac, h.ip4, r.mac, gw));
  } else if (v < 0.95) {   // host looks for a neighbour (printer, NAS)
    const n = w.neighbour(h);
    yield pkt(t, arp(lanLink(h, BROADCAST_MAC), 1, h.mac, h.ip4, ZERO_MAC, n.ip4));
    t += c.jit(1.5 * MS);
    yield pkt(t, arp(lanLink(h, h.mac, n.mac), 2, n.mac, n.ip4, h.mac, h.ip4));
  } else {                 // gratuitous ARP
    yield pkt(t, arp(lanLink(h, BROADCAST_MAC), 1, h.mac, h.ip4, ZERO_MAC, h.ip4));
  }
  return t;
}

const PARAMS: Record<string, number[]> = {
  windows: [1, 3, 6, 15, 31, 33, 43, 44, 46, 47, 119, 121, 249, 252],
  mac: [1, 121, 3, 6, 15, 108, 114, 119, 252, 95, 44, 46],
  android: [1, 3, 6, 15, 26, 28, 51, 58, 59, 43, 114, 108],
  linux: [1, 28, 2, 3, 15, 6, 119, 12, 44, 47, 26, 121, 42],
};

/** A DHCP lease: DISCOVER/OFFER/REQUEST/ACK then the address probe, or (unless `full`) sometimes just a renewal. */
export function* dhcpSession(c: Ctx, t: number, full = false): Flow {
  const { w, rng } = c;
  const h = w.hostileHost && rng.chance(0.5) ? w.hostileHost : w.pickClient((x) => x.kind !== 'server');
  const r = w.router, gw = h.lan.gw;
  const xid = rng.u32();
  const kind = h.kind === 'iphone' ? 'mac' : h.kind === 'iot' ? 'linux' : h.kind;
  const common: [number, Uint8Array][] = [
    [61, Uint8Array.of(1, ...h.mac)], ...(kind === 'windows' ? [] : [[57, Uint8Array.of(5, 220)] as [number, Uint8Array]]),
    [12, ascii(h.name)], ...(h.kind === 'iphone' || h.kind === 'mac' ? [] : [[60, ascii(h.model)] as [number, Uint8Array]]),
    [55, Uint8Array.from(PARAMS[kind] ?? PARAMS.linux!)],
  ];
  const lease = rng.pick([3600, 43200, 86400]);
  const server: [number, Uint8Array][] = [[54, gw], [51, apps.u32opt(lease)], [58, apps.u32opt(lease / 2)],
    [59, apps.u32opt(lease * 0.875)], [1, ipv4('255.255.255.0')], [28, ipv4(`${h.lan.net}255`)], [3, gw], [6, gw], [15, ascii(DOMAIN)]];
  const bcast: Net = { src: ipv4('0.0.0.0'), dst: ipv4('255.255.255.255'), ttl: h.ttl === 255 ? 64 : h.ttl, id: 0 };
  const toHost: Net = { src: gw, dst: h.ip4, ttl: 64, id: r.ipId = (r.ipId + 1) & 0xffff };
  const secs = rng.int(4);
  if (!full && rng.chance(0.35)) {   // renewal: unicast REQUEST with ciaddr, ACK
    const path = new Path(h, h.ip4, r, gw, h.lan.vlan, false);
    yield c.udp(t, path, true, 68, 67, apps.dhcp({ op: 1, xid, chaddr: h.mac, ciaddr: h.ip4, options: [[53, apps.u8opt(apps.DHCPREQUEST)], ...common] }));
    t += c.jit(2 * MS);
    yield c.udp(t, path, false, 67, 68, apps.dhcp({ op: 2, xid, chaddr: h.mac, ciaddr: h.ip4, yiaddr: h.ip4, options: [[53, apps.u8opt(apps.DHCPACK)], ...server] }));
    return t;
  }
  const up = (type: number, extra: [number, Uint8Array][]) => pkt(t, udp(lanLink(h, BROADCAST_MAC), { ...bcast, id: rng.int(65536) }, 68, 67,
    apps.dhcp({ op: 1, xid, secs, chaddr: h.mac, options: [[53, apps.u8opt(type)], ...extra, ...common] })));
  const down = (type: number) => pkt(t, udp(lanLink(h, h.mac, r.mac), { ...toHost, id: r.ipId = (r.ipId + 1) & 0xffff }, 67, 68,
    apps.dhcp({ op: 2, xid, secs, chaddr: h.mac, yiaddr: h.ip4, siaddr: gw, options: [[53, apps.u8opt(type)], ...server] })));
  yield up(apps.DHCPDISCOVER, [[50, h.ip4]]);
  t += c.between(2 * MS, 30 * MS);
  yield down(apps.DHCPOFFER);
  t += c.between(1 * MS, 15 * MS);
  yield up(apps.DHCPREQUEST, [[50, h.ip4], [54, gw]]);
  t += c.between(1 * MS, 10 * MS);
  yield down(apps.DHCPACK);
  // RFC 5227 address probe, then an announcement.
  for (let i = 0; i < (h.kind === 'windows' ? 1 : 2); i++) {
    t += c.between(20 * MS, 300 * MS);
    yield pkt(t, arp(lanLink(h, BROADCAST_MAC), 1, h.mac, ipv4('0.0.0.0'), ZERO_MAC, h.ip4));
  }
  t += c.between(200 * MS, 600 * MS);
  yield pkt(t, arp(lanLink(h, BROADCAST_MAC), 1, h.mac, h.ip4, ZERO_MAC, h.ip4));
  return t;
}

const MDNS4 = ipv4('224.0.0.251'), MDNS6 = ipv6('ff02::fb');
const SERVICES: Record<string, { service: string; port: number; txt: (c: Ctx, h: Host) => string[] }> = {
  Chromecast: { service: '_googlecast._tcp.local', port: 8009, txt: (c, h) => [`id=${hex(c.rng, 16)}`, `cd=${hex(c.rng, 16).toUpperCase()}`, 'rm=', 've=05', 'md=Chromecast', 'ic=/setup/icon.png', `fn=${h.name.replace(/-/g, ' ')}`, 'ca=465413', 'st=0', 'bs=FA8FCA3E5D11', 'nf=1', 'rs='] },
  'HP LaserJet M404': { service: '_ipp._tcp.local', port: 631, txt: () => ['txtvers=1', 'qtotal=1', 'rp=ipp/print', 'ty=HP LaserJet Pro M404-M405', 'pdl=application/pdf,image/urf,image/jpeg', 'Color=F', 'Duplex=T', 'URF=CP1,IS1,MT1-2-8-9-10-11,OB10,PQ4,RS600,V1.4,W8,DM1'] },
  'Sonos One': { service: '_spotify-connect._tcp.local', port: 1400, txt: () => ['VERSION=1.0', 'CPath=/spotifyzc'] },
  'DS920+': { service: '_smb._tcp.local', port: 445, txt: () => [''] },
};

/** A service query and the answering announcement (or, unless `query`, sometimes an unsolicited announcement). */
export function* mdns(c: Ctx, t: number, query = false): Flow {
  const { w, rng } = c;
  const responder = rng.pick(w.hosts.filter((x) => SERVICES[x.model] && x.lan === w.lan));
  const svc = SERVICES[responder.model]!;
  const querier = w.pickClient((x) => (x.kind === 'mac' || x.kind === 'iphone' || x.kind === 'android') && x.lan === w.lan);
  const mlink = (from: Host, v6: boolean): Link => ({ src: from.mac, dst: multicastMac(v6 ? MDNS6 : MDNS4) });
  const mnet = (from: Host, v6: boolean): Net => ({ src: v6 ? from.ll6 : from.ip4, dst: v6 ? MDNS6 : MDNS4, ttl: 255, id: from.ipId = (from.ipId + 1) & 0xffff });
  const send = (at: number, from: Host, msg: Uint8Array, v6: boolean) => pkt(at, udp(mlink(from, v6), mnet(from, v6), 5353, 5353, msg));
  const inst = c.w.hostile && responder.model === 'Chromecast' ? '<b onmouseover=alert(1)>TV</b>' : responder.name;
  const instance = `${inst}.${svc.service}`, target = `${responder.name}.local`;
  const announcement = () => dns.encode({ id: 0, flags: dns.QR | dns.AA,
    an: [{ name: svc.service, type: dns.PTR, ttl: 4500, target: instance }],
    ar: [{ name: instance, type: dns.SRV, cls: 0x8001, ttl: 120, priority: 0, weight: 0, port: svc.port, target },
      { name: instance, type: dns.TXT, cls: 0x8001, ttl: 4500, strings: svc.txt(c, responder) },
      { name: target, type: dns.A, cls: 0x8001, ttl: 120, addr: responder.ip4 }] });
  if (query || rng.chance(0.7)) {
    const both = querier.kind !== 'android';
    const q = dns.encode({ id: 0, flags: 0, qd: [{ name: svc.service, type: dns.PTR, cls: rng.chance(0.3) ? 0x8001 : 1 }] });
    yield send(t, querier, q, false);
    if (both) yield send(t += c.jit(150 * US), querier, q, true);
    t += c.between(20 * MS, 120 * MS);
  }
  yield send(t, responder, announcement(), false);
  return t;
}

/** Router advertisement, duplicate address detection, or (always with `ping`) neighbour solicitation and an IPv6 ping. */
export function* icmp6(c: Ctx, t: number, ping = false): Flow {
  const { w, rng } = c;
  const h = w.pickClient((x) => !!x.ip6);
  const r = w.router;
  const v = ping ? 1 : rng.float();
  if (v < 0.2) {
    const all = ipv6('ff02::1');
    yield pkt(t, icmpv6RouterAdvert({ src: r.mac, dst: multicastMac(all) }, { src: r.ll6, dst: all, ttl: 255 },
      { lladdr: r.mac, mtu: 1500, prefix: w.lan.prefix6!, prefixLen: 64, lifetime: 1800, valid: 86400, preferred: 14400 }));
    return t;
  }
  if (v < 0.3 && h.ip6) {   // duplicate address detection for its address: from ::, no link-layer option
    const sn = solicitedNode(h.ip6);
    yield pkt(t, icmpv6NeighborSolicit({ src: h.mac, dst: multicastMac(sn) }, { src: new Uint8Array(16), dst: sn, ttl: 255 }, h.ip6));
    return t;
  }
  const sn = solicitedNode(r.ll6);
  yield pkt(t, icmpv6NeighborSolicit({ src: h.mac, dst: multicastMac(sn) }, { src: h.ll6, dst: sn, ttl: 255 }, r.ll6, h.mac));
  t += c.jit(400 * US);
  yield pkt(t, icmpv6NeighborAdvert({ src: r.mac, dst: h.mac }, { src: r.ll6, dst: h.ll6, ttl: 255 }, r.ll6, r.mac, 0xe0));
  if (!h.ip6) return t;
  const target = ipv6(rng.pick(['2001:4860:4860::8888', '2606:4700:4700::1111', '2a00:1450:4001:82b::2004']));
  const id = rng.int(65536), rtt = c.between(8 * MS, 30 * MS);
  const data = linuxPingData(c, t);
  for (let seq = 1, n = rng.range(2, 4); seq <= n; seq++) {
    t += seq === 1 ? c.jit(MS) : c.jit(S / 20) + S * 0.95;
    yield pkt(t, icmpv6Echo({ src: h.mac, dst: r.mac }, { src: h.ip6!, dst: target, ttl: 64 }, 128, id, seq, data));
    yield pkt(t + c.jit(rtt), icmpv6Echo({ src: r.mac, dst: h.mac }, { src: target, dst: h.ip6!, ttl: 118 }, 129, id, seq, data));
  }
  return t + rtt * 1.2;
}

// ---------------------------------------------------------------------------------------------------------------
// ICMP, NTP, plain UDP, refused TCP

function linuxPingData(c: Ctx, t: number): Uint8Array {
  const d = new Uint8Array(56);
  const ms = c.ms(t), sec = Math.floor(ms / 1000);
  new DataView(d.buffer).setUint32(0, sec, true);
  new DataView(d.buffer).setUint32(8, Math.floor((ms % 1000) * 1000), true);
  for (let i = 16; i < 56; i++) d[i] = i;
  return d;
}
const WINDOWS_PING = ascii('abcdefghijklmnopqrstuvwabcdefghi');

export function* ping(c: Ctx, t: number): Flow {
  const { w, rng } = c;
  const h = w.pickClient((x) => x.kind !== 'iot' && x.kind !== 'iphone' && x.kind !== 'android');
  const internet = rng.chance(0.6), nb = w.neighbour(h), gw = rng.chance(0.5);
  const target = internet ? ipv4(rng.pick(['8.8.8.8', '1.1.1.1', '9.9.9.9'])) : gw ? h.lan.gw : nb.ip4;
  const peer: Node = internet ? w.remote(target.join('.'), 57) : gw ? w.router : nb;
  const path = new Path(h, h.ip4, peer, target, h.lan.vlan, h.kind !== 'windows');
  const rtt = internet ? c.between(6 * MS, 30 * MS) : c.jit(500 * US);
  const win = h.kind === 'windows', id = win ? 1 : rng.int(65536), lost = rng.chance(0.08);
  let seq = win ? rng.range(10, 2000) : 1;
  for (let i = 0, n = rng.range(3, 5); i < n; i++, seq++) {
    const data = win ? WINDOWS_PING : linuxPingData(c, t);
    const [l1, n1] = path.dir(true);
    yield pkt(t, icmpEcho(l1, n1, 8, id, seq, data));
    if (!lost) { const [l2, n2] = path.dir(false); yield pkt(t + c.jit(rtt), icmpEcho(l2, n2, 0, id, seq, data)); }
    t += S + c.jit(200 * US);
  }
  return t;
}

export function* ntpSession(c: Ctx, t: number): Flow {
  const { w, rng } = c;
  const h = w.pickClient((x) => x.kind !== 'iphone');
  const server = h.kind === 'windows' ? NTP_SERVERS[2]! : h.kind === 'mac' ? NTP_SERVERS[3]! : rng.pick(NTP_SERVERS);
  if (rng.chance(0.3)) t = (yield* lookup(c, h, [{ name: server.name, type: dns.A }], t)) + c.jit(300 * US);
  const addr = c.addr(server.ip);
  const path = new Path(h, h.ip4, w.remote(server.ip, server.ttl), addr, h.lan.vlan, false);
  const sport = h.kind === 'windows' ? 123 : w.ephemeralPort(h);
  const rtt = c.jit(server.rtt * MS);
  const ts = (at: number): [number, number] => { const ms = c.ms(at); return [Math.floor(ms / 1000), Math.floor((ms % 1000) * 1e6)]; };
  const req = apps.ntp({ mode: 3, stratum: 0, poll: rng.pick([6, 10]), precision: -23, rootDelay: 0, rootDispersion: 0, refId: new Uint8Array(4), xmit: ts(t) });
  yield c.udp(t, path, true, sport, 123, req);
  const recv = t + rtt / 2, xmit = recv + c.jit(30 * US);
  t += rtt;
  const refId = server.stratum === 1 ? ascii('GPS\0') : ipv4(rng.pick(['10.21.8.11', '162.159.200.123', '194.58.204.20']));
  yield c.udp(t, path, false, 123, sport, apps.ntp({ mode: 4, stratum: server.stratum, poll: 6, precision: -25,
    rootDelay: rng.range(0x10, 0x400), rootDispersion: rng.range(0x10, 0x600), refId, ref: ts(t - c.between(10 * S, 900 * S)),
    orig: apps.ntpXmit(req), recv: ts(recv), xmit: ts(xmit) }));
  return t;
}

// Ports Wireshark has no dissector or heuristic for, so the traffic shows as plain UDP data.
const PLAIN_PORTS = [20000, 24000, 28000, 29000, 31000];
const PLAIN_CLIENT_PORTS = [41234, 43210, 45678, 49500, 50321, 52345, 54321, 56789, 58000, 60123];

/**
 * Application traffic on ports nobody dissects (a made-up game/sync protocol: "PX", message type, flags, sequence
 * number, opaque bytes — the fixed header keeps Wireshark's heuristics from claiming random bytes), datagrams both
 * ways; sometimes to a closed port, answered by an ICMP port unreachable.
 */
export function* plainUdp(c: Ctx, t: number): Flow {
  const { w, rng } = c;
  const h = w.pickClient();
  const sport = rng.pick(PLAIN_CLIENT_PORTS), dport = rng.pick(PLAIN_PORTS);
  let seq = rng.int(60000);
  const msg = (n: number) => {
    const d = new Uint8Array(n);
    d.set(c.pool.take(rng, n - 8), 8);
    d.set([0x50, 0x58, rng.range(1, 4), 0, 0, 0, ++seq >> 8, seq & 255]);
    return d;
  };
  if (rng.chance(0.15)) {
    const n = w.neighbour(h);
    const path = new Path(h, h.ip4, n, n.ip4, h.lan.vlan, false);
    const p = c.udp(t, path, true, sport, dport, msg(rng.range(20, 200)));
    yield p;
    const l3 = h.lan.vlan === undefined ? 14 : 18;   // the offending datagram, without Ethernet header or padding
    const original = p.f.subarray(l3, l3 + ((p.f[l3 + 2]! << 8) | p.f[l3 + 3]!));
    const [link, net] = path.dir(false);
    yield pkt(t + c.jit(200 * US), icmp(link, net, 3, 3, 0, original));
    return t;
  }
  const addr = `203.0.113.${rng.range(2, 250)}`;
  const path = new Path(h, h.ip4, w.remote(addr, 50), c.addr(addr), h.lan.vlan, false);
  for (let i = 0, n = rng.range(4, 30); i < n; i++) {
    const up = rng.chance(0.5);
    yield c.udp(t, path, up, up ? sport : dport, up ? dport : sport, msg(rng.logUniform(24, 1200)));
    t += c.between(5 * MS, 60 * MS);
  }
  return t;
}

/** TCP to a closed port (SYN, RST/ACK; always with `closed`) or to a silent host (SYN retransmissions). */
export function* refused(c: Ctx, t: number, closed = false): Flow {
  const { w, rng } = c;
  const h = w.pickClient((x) => x.kind !== 'iot');
  if (closed || rng.chance(0.6)) {
    const n = w.neighbour(h);
    const conn = new Tcp(rng, new Path(h, h.ip4, n, n.ip4, h.lan.vlan), w.ephemeralPort(h), rng.pick([22, 445, 3389, 8080, 8443, 5900]), c.jit(300 * US), 900);
    yield conn.seg(t, true, SYN);
    t += conn.rtt;
    yield conn.seg(t, false, RST | ACK, EMPTY, 0);
    return t;
  }
  const addr = `198.51.100.${rng.range(2, 250)}`;
  const conn = new Tcp(rng, new Path(h, h.ip4, w.remote(addr, 50), c.addr(addr), h.lan.vlan), w.ephemeralPort(h), rng.pick([443, 8443, 993, 5223]), 50 * MS, 50);
  const seq = conn.nxt[0];
  for (let i = 0, n = rng.range(2, 4), rto = S; i < n; i++, rto *= 2) { yield conn.seg(t, true, SYN, EMPTY, seq); t += rto + c.jit(MS); }
  return t;
}

// ---------------------------------------------------------------------------------------------------------------
// Web: DNS, then HTTP/1.1, TLS 1.2/1.3 over TCP, or QUIC

export type WebMode = 'http' | 'post' | 'tls12' | 'tls13' | 'quic';

function pickSite(c: Ctx, h: Host, filter: (s: Site) => boolean = () => true): Site {
  const sites = c.w.sites.filter((s) => (h.kind === 'iot') === !!s.iot && filter(s));
  const list = sites.length ? sites : c.w.sites;
  return list[c.rng.weighted(list.map((s) => s.weight * (s.hostile ? 3 : 1)))]!;
}

export function* web(c: Ctx, t: number, force?: WebMode): Flow {
  const { w, rng } = c;
  let h: Host, site: Site, mode: WebMode;
  const browser = (x: Host) => x.kind !== 'iot' && x.kind !== 'server';
  const chromeLike = (x: Host) => x.profile === tls.PROFILES.chrome || x.profile === tls.PROFILES.chromeOld;
  switch (force) {
    case 'tls13': h = w.pickClient(chromeLike); site = pickSite(c, h, (s) => !s.tls12 && !s.noHttps && !s.h3); break;
    case 'tls12': h = w.pickClient(chromeLike); site = pickSite(c, h, (s) => !!s.tls12); break;
    case 'quic': h = w.pickClient(chromeLike); site = pickSite(c, h, (s) => !!s.h3); break;
    case 'http': h = w.pickClient((x) => browser(x) && x.kind !== 'linux'); site = pickSite(c, h, (s) => !!s.http && s.kind === 'web'); break;
    case 'post': h = w.pickClient((x) => x.kind === 'iot'); site = pickSite(c, h, (s) => !!s.http); break;
    default: {
      h = rng.chance(0.12) ? w.pickClient((x) => x.kind === 'iot') : w.pickClient(browser);
      site = pickSite(c, h);
      if (site.http && (site.noHttps || rng.chance(0.3))) mode = site.kind === 'api' ? 'post' : 'http';
      else if (site.h3 && chromeLike(h) && rng.chance(0.4)) mode = 'quic';
      else mode = tls.offersTls13(h.profile) && !site.tls12 ? 'tls13' : 'tls12';
    }
  }
  mode = force ?? mode!;
  const v6 = !!h.ip6 && !!site.aaaa && rng.chance(0.6);
  if (force || rng.chance(0.65)) {
    const qs: dns.Question[] = [{ name: site.name, type: dns.A }];
    if (h.ip6) qs.push({ name: site.name, type: dns.AAAA });
    t = (yield* lookup(c, h, qs, t)) + c.jit(2 * MS);
  }
  const addr = v6 ? rng.pick(site.aaaa!) : rng.pick(site.a);
  const server = w.remote(addr, site.ttl, w.siteStack(site));
  const path = new Path(h, v6 ? h.ip6! : h.ip4, server, c.addr(addr), h.lan.vlan);
  const rtt = c.jit(site.rtt * MS);
  const mbps = rng.logUniform(20, 500);
  if (mode === 'quic') return yield* quicSession(c, h, site, path, rtt, mbps, t);
  const conn = new Tcp(rng, path, w.ephemeralPort(h), mode === 'http' || mode === 'post' ? 80 : 443, rtt, mbps);
  if (mode === 'http' || mode === 'post') return yield* httpSession(c, h, site, conn, t, mode === 'post');
  return yield* tlsSession(c, h, site, conn, t, mode === 'tls13');
}

/** Response body size: mostly small, a few large downloads, never above the capture's cap. */
function bodySize(c: Ctx, site: Site): number {
  const { rng } = c;
  const [lo, hi] = site.kind === 'api' ? [100, 4000] : site.kind === 'cdn' ? [500, 30000] : [300, 20000];
  const n = rng.chance(0.002) ? rng.logUniform(300_000, 3_000_000) : rng.logUniform(lo, hi);
  return Math.min(n, c.maxBody);
}

interface Exchange { req: Uint8Array; res: Uint8Array; close: boolean }

function httpExchange(c: Ctx, h: Host, site: Site, post: boolean, t: number, first: boolean): Exchange {
  const { w, rng } = c;
  const curl = h.ua === 'curl/7.88.1' || h.kind === 'iot' || site.kind === 'repo';
  const ua = site.hostile ? HOSTILE_UA : site.kind === 'repo' ? 'Debian APT-HTTP/1.3 (2.6.1)' : h.ua;
  let method = 'GET', path = '/', reqBody = EMPTY, reqType = '', status = 200, type = 'text/html; charset=utf-8';
  let body: Uint8Array = EMPTY, compressible = true, location = '';
  switch (site.kind) {
    case 'portal': {
      const p = ({ 'connectivitycheck.gstatic.com': ['/generate_204', 204, '', ''], 'captive.apple.com': ['/hotspot-detect.html', 200, 'text/html', '<HTML><HEAD><TITLE>Success</TITLE></HEAD><BODY>Success</BODY></HTML>'],
        'www.msftconnecttest.com': ['/connecttest.txt', 200, 'text/plain', 'Microsoft Connect Test'],
        'detectportal.firefox.com': ['/canonical.html', 200, 'text/html', '<meta http-equiv="refresh" content="0;url=https://support.mozilla.org/kb/captive-portal"/>'] } as Record<string, [string, number, string, string]>)[site.name]!;
      [path, status, type] = p;
      body = ascii(p[3]);
      compressible = false;
      break;
    }
    case 'repo': {
      if (rng.chance(0.4)) { path = '/debian/dists/bookworm/InRelease'; type = 'text/plain'; body = w.bodies.release; }
      else {
        path = `/debian/pool/main/${rng.pick(['c/curl/curl_7.88.1-10+deb12u5_amd64.deb', 'o/openssl/libssl3_3.0.13-1~deb12u1_amd64.deb', 'p/python3.11/python3.11-minimal_3.11.2-6+deb12u2_amd64.deb'])}`;
        type = 'application/vnd.debian.binary-package';
        body = c.pool.take(rng, bodySize(c, { ...site, kind: 'cdn' }));
        compressible = false;
      }
      break;
    }
    case 'api': {
      method = post ? 'POST' : 'GET';
      path = post ? `/v1/devices/${hex(rng, 6)}/telemetry` : '/v1/forecast?lat=52.52&lon=13.41';
      if (post) {
        reqBody = ascii(JSON.stringify({ device: h.name, fw: '2.4.1', ts: Math.floor(c.ms(t) / 1000), temp_c: 18 + rng.int(80) / 10, humidity: 30 + rng.int(40), rssi: -40 - rng.int(45) }));
        reqType = 'application/json';
        status = rng.chance(0.8) ? 201 : 200;
        body = ascii(`{"status":"ok","id":"${hex(rng, 12)}"}`);
      } else body = rng.pick(w.bodies.json);
      type = 'application/json';
      break;
    }
    default: {
      const v = rng.float();
      if (site.hostile && rng.chance(0.5)) path = HOSTILE_PATH;
      else if (first || v < 0.3) path = rng.pick(['/', '/index.html', '/news/', `/articles/${rng.int(100000)}`]);
      else if (v < 0.5) { path = '/static/app.js'; type = 'application/javascript'; body = rng.pick(w.bodies.js); }
      else if (v < 0.6) { path = '/static/site.css'; type = 'text/css'; body = w.bodies.css[0]!; }
      else if (v < 0.75) { path = `/api/v1/items?page=${rng.range(1, 9)}`; type = 'application/json'; body = rng.pick(w.bodies.json); }
      else { path = `/downloads/${rng.pick(['setup', 'update', 'data'])}-${rng.range(1, 9)}.${rng.range(0, 20)}.bin`; type = 'application/octet-stream'; body = c.pool.take(rng, bodySize(c, site)); compressible = false; }
      if (body.length === 0) body = rng.pick(w.bodies.html);
      const r = rng.float();
      if (r < 0.05) { status = 404; body = ascii('<html><head><title>404 Not Found</title></head><body><center><h1>404 Not Found</h1></center></body></html>\n'); type = 'text/html'; }
      else if (r < 0.09) { status = 301; location = `https://${site.name}${path}`; body = ascii('<html><head><title>301 Moved Permanently</title></head><body>Moved</body></html>\n'); type = 'text/html'; }
      else if (r < 0.14) { status = 304; body = EMPTY; }
    }
  }
  const headers: [string, string | number][] = [['Host', site.name]];
  if (curl) headers.push(['User-Agent', ua], ['Accept', post ? 'application/json' : '*/*']);
  else headers.push(['Connection', 'keep-alive'], ['User-Agent', ua],
    ['Accept', type.startsWith('text/html') ? 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8' : '*/*'],
    ['Accept-Encoding', 'gzip, deflate'], ['Accept-Language', 'en-US,en;q=0.9']);
  if (status === 304) headers.push(['If-None-Match', `"${hex(rng, 8)}"`]);
  if (reqType) headers.push(['Content-Type', reqType], ['Content-Length', reqBody.length]);
  const req = concat([apps.httpHead(`${method} ${path} HTTP/1.1`, headers), reqBody]);

  const close = rng.chance(0.25);
  const reason = { 200: 'OK', 201: 'Created', 204: 'No Content', 301: 'Moved Permanently', 304: 'Not Modified', 404: 'Not Found' }[status];
  const rh: [string, string | number][] = [['Date', apps.httpDate(c.ms(t))], ['Server', site.server]];
  let payload = body;
  if (status !== 204 && status !== 304) {
    rh.push(['Content-Type', type]);
    if (compressible && !curl && body.length > 1000 && rng.chance(0.6)) { payload = w.gzip(body); rh.push(['Content-Encoding', 'gzip']); }
    if (type.startsWith('text/html') && status === 200 && rng.chance(0.25)) { payload = apps.chunked(payload, 8192); rh.push(['Transfer-Encoding', 'chunked']); }
    else rh.push(['Content-Length', payload.length]);
  }
  if (location) rh.push(['Location', location]);
  if (status === 200) rh.push(['Cache-Control', rng.pick(['max-age=3600', 'no-cache', 'private, max-age=0', 'public, max-age=31536000'])], ['ETag', `"${hex(rng, 8)}"`]);
  rh.push(['Connection', close ? 'close' : 'keep-alive']);
  return { req, res: concat([apps.httpHead(`HTTP/1.1 ${status} ${reason}`, rh), payload]), close };
}

function* httpSession(c: Ctx, h: Host, site: Site, conn: Tcp, t: number, post: boolean): Flow {
  const { rng } = c;
  t = yield* conn.connect(t);
  const n = site.kind === 'portal' || post ? 1 : rng.range(1, 3);
  for (let i = 0; i < n; i++) {
    const x = httpExchange(c, h, site, post, t, i === 0);
    t = yield* conn.send(true, x.req, t + c.jit(300 * US), false);
    t = yield* conn.send(false, x.res, t + conn.rtt + rng.logUniform(300, 40000) * US, !x.close);
    if (x.close) return yield* conn.close(t + c.jit(80 * US), false);
    t += rng.logUniform(3, 400) * MS;
  }
  if (rng.chance(0.08)) return yield* conn.reset(t, true);
  return yield* conn.close(t, true);
}

/** Concatenated encrypted application-data records carrying `total` plaintext bytes. */
function appData(c: Ctx, total: number, tls13: boolean, maxRecord = 16384): Uint8Array {
  const parts: Uint8Array[] = [];
  for (let left = total; left > 0; left -= maxRecord) parts.push(tls.encryptedRecord(c.rng, c.pool, tls.CT_APPDATA, Math.min(left, maxRecord), tls13));
  return concat(parts);
}

function* tlsSession(c: Ctx, h: Host, site: Site, conn: Tcp, t: number, v13: boolean): Flow {
  const { rng } = c;
  const p = h.profile;
  t = yield* conn.connect(t);
  const { msg, sessionId } = tls.clientHello(rng, p, { sni: site.name });
  t = yield* conn.send(true, tls.record(tls.CT_HANDSHAKE, p.recordVersion, msg), t + c.jit(250 * US), false);
  const serverTime = () => conn.rtt + rng.logUniform(300, 15000) * US;
  const alpn = p.alpn?.[0];
  const h2 = alpn === 'h2';
  let request = (h2 ? 24 + 60 : 0) + rng.range(120, 600);    // client preface + SETTINGS for h2, then the request
  if (v13) {
    const cipher = rng.pick([0x1301, 0x1301, 0x1302, 0x1303]);
    const flight = concat([tls.record(tls.CT_HANDSHAKE, tls.TLS12, tls.serverHello(rng, { version: tls.TLS13, cipher, sessionId })),
      tls.CHANGE_CIPHER_SPEC, appData(c, rng.range(2200, 4800), true)]);
    t = yield* conn.send(false, flight, t + serverTime(), false);
    const fin = concat([tls.CHANGE_CIPHER_SPEC, tls.encryptedRecord(rng, c.pool, tls.CT_HANDSHAKE, 36, true), appData(c, request, true)]);
    t = yield* conn.send(true, fin, t + c.jit(1.5 * MS), false);
  } else {
    const cipher = p.ciphers.includes(0xcca9) && rng.chance(0.3) ? 0xcca9 : 0xc02b;
    const sh = tls.serverHello(rng, { version: tls.TLS12, cipher, sessionId, alpn, ems: p.exts.includes('ems'), ticket: p.exts.includes('ticket'), downgrade: tls.offersTls13(p) });
    t = yield* conn.send(false, tls.record(tls.CT_HANDSHAKE, tls.TLS12, concat([sh, tls.serverFlight12(rng, c.chain(site, c.ms(t)))])), t + serverTime(), false);
    const kx = concat([tls.record(tls.CT_HANDSHAKE, tls.TLS12, tls.clientKeyExchange(rng)), tls.CHANGE_CIPHER_SPEC, tls.encryptedRecord(rng, c.pool, tls.CT_HANDSHAKE, 16, false)]);
    t = yield* conn.send(true, kx, t + c.jit(2 * MS), false);
    const ticket = p.exts.includes('ticket') ? [tls.record(tls.CT_HANDSHAKE, tls.TLS12, tls.newSessionTicket12(rng))] : [];
    t = yield* conn.send(false, concat([...ticket, tls.CHANGE_CIPHER_SPEC, tls.encryptedRecord(rng, c.pool, tls.CT_HANDSHAKE, 16, false)]), t + conn.rtt + c.jit(300 * US), false);
    t = yield* conn.send(true, appData(c, request, false), t + c.jit(200 * US), false);
  }
  for (let i = 0, n = rng.range(1, 3); i < n; i++) {
    const size = bodySize(c, site) + rng.range(60, 400);
    const tickets = v13 && i === 0 ? concat([appData(c, rng.range(180, 260), true), appData(c, rng.range(180, 260), true)]) : EMPTY;
    const resp = concat([tickets, appData(c, size, v13, rng.chance(0.5) ? 16384 : 4096)]);
    t = yield* conn.send(false, resp, t + serverTime(), i === n - 1);
    if (i < n - 1) {
      t += rng.logUniform(2, 800) * MS;
      request = rng.range(60, 400);
      t = yield* conn.send(true, appData(c, request, v13), t, false);
    }
  }
  t += rng.logUniform(50, 3000) * MS;
  const v = rng.float();
  if (v < 0.06) return yield* conn.reset(t, true);
  if (v < 0.12) return t;   // still open when the capture ends
  const byClient = v < 0.8;
  t = yield* conn.send(byClient, tls.encryptedRecord(rng, c.pool, tls.CT_ALERT, 2, v13), t, false);
  return yield* conn.close(t + c.jit(100 * US), byClient);
}

function* quicSession(c: Ctx, h: Host, site: Site, path: Path, rtt: number, mbps: number, t: number): Flow {
  const { w, rng } = c;
  const port = w.ephemeralPort(h);
  const dcid = rng.bytes(8), scid = new Uint8Array(0), scidServer = rng.bytes(8);
  const keys = quic.initialKeys(dcid);
  const up = (at: number, d: Uint8Array) => c.udp(at, path, true, port, 443, d);
  const down = (at: number, d: Uint8Array) => c.udp(at, path, false, 443, port, d);
  const { msg } = tls.clientHello(rng, tls.PROFILES.chromeQuic, { sni: site.name, quicParams: quic.transportParams(rng, { scid }) });
  yield up(t, quic.initialPacket(keys.client, { dcid, scid, pn: 0 }, quic.cryptoFrame(0, msg), 1250));
  t += rtt + c.between(300 * US, 3000 * US);
  const sh = tls.serverHello(rng, { version: tls.TLS13, cipher: 0x1301, sessionId: new Uint8Array(0) });
  const sInit = quic.initialPacket(keys.server, { dcid: scid, scid: scidServer, pn: 0 }, concat([quic.ackFrame(0, rng.range(0, 40)), quic.cryptoFrame(0, sh)]));
  const hsOverhead = 1 + 4 + 1 + scid.length + 1 + scidServer.length + 2;
  const gap = (1300 * 8 * 1e3) / mbps;
  yield down(t, concat([sInit, quic.handshakePacket(rng, { dcid: scid, scid: scidServer }, 1232 - sInit.length - hsOverhead)]));
  let left = rng.range(1500, 4000);
  for (; left > 0; left -= 1232 - hsOverhead) yield down(t += gap, quic.handshakePacket(rng, { dcid: scid, scid: scidServer }, Math.min(left, 1232 - hsOverhead)));
  t += c.jit(1.5 * MS);
  const cHs = quic.handshakePacket(rng, { dcid: scidServer, scid }, rng.range(56, 80));
  yield up(t, concat([quic.initialPacket(keys.client, { dcid: scidServer, scid, pn: 1 }, quic.ackFrame(0, rng.range(0, 30)), 1250 - cHs.length), cHs]));
  const short = (at: number, fromClient: boolean, n: number) => (fromClient ? up : down)(at, quic.shortPacket(rng, fromClient ? scidServer : scid, c.pool.take(rng, n)));
  for (let r = 0, n = rng.range(1, 3); r < n; r++) {
    yield short(t += c.jit(200 * US), true, rng.range(40, 400));
    t += rtt + rng.logUniform(300, 20000) * US;
    let bytes = bodySize(c, site) + rng.range(100, 400), k = 0;
    while (bytes > 0) {
      const len = Math.max(Math.min(bytes, 1232), 24);
      yield short(t, false, len);
      bytes -= len;
      const next = t + (gap * len) / 1232;
      if (++k % 2 === 0 || bytes <= 0) yield short(t = Math.min(next, t + c.jit(40 * US)), true, rng.range(24, 40));
      t = Math.max(t, next);
    }
    t += rng.logUniform(5, 1500) * MS;
  }
  if (rng.chance(0.5)) yield short(t, true, rng.range(30, 60));   // CONNECTION_CLOSE
  return t;
}

// ---------------------------------------------------------------------------------------------------------------
// SSH

export function* ssh(c: Ctx, t: number): Flow {
  const { w, rng } = c;
  const h = w.pickClient((x) => x.kind === 'linux' || x.kind === 'mac' || x.kind === 'windows');
  const toNas = h.lan === w.lan && rng.chance(0.6);
  const addr = '140.82.121.4';
  const server: Node = toNas ? w.nas : w.remote(addr, 54);
  const path = new Path(h, h.ip4, server, toNas ? w.nas.ip4 : c.addr(addr), h.lan.vlan);
  const rtt = toNas ? c.jit(350 * US) : c.jit(28 * MS);
  if (!toNas) t = (yield* lookup(c, h, [{ name: 'github.com', type: dns.A }], t)) + c.jit(MS);
  const conn = new Tcp(rng, path, w.ephemeralPort(h), 22, rtt, toNas ? 900 : 150);
  t = yield* conn.connect(t);
  const clientBanner = h.kind === 'windows' ? 'SSH-2.0-OpenSSH_for_Windows_9.5\r\n' : h.kind === 'mac' ? 'SSH-2.0-OpenSSH_9.6\r\n' : 'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n';
  const serverBanner = toNas ? 'SSH-2.0-OpenSSH_8.4p1 Debian-5+deb11u3\r\n' : 'SSH-2.0-babeld-4b2e7a1f\r\n';
  t = yield* conn.send(true, ascii(clientBanner), t + c.jit(100 * US), false);
  t = yield* conn.send(false, ascii(serverBanner), t + rtt / 2, false);
  t = yield* conn.send(true, apps.sshKexInit(rng, true), t + c.jit(200 * US), false);
  t = yield* conn.send(false, apps.sshKexInit(rng, false), t + rtt / 2 + c.jit(200 * US), false);
  t = yield* conn.send(true, apps.sshKexEcdhInit(rng), t + c.jit(400 * US), false);
  t = yield* conn.send(false, apps.sshKexEcdhReply(rng, rng.bytes(32)), t + rtt + c.jit(1.5 * MS), false);
  t = yield* conn.send(true, apps.sshNewKeys(rng), t + c.jit(300 * US), false);
  const enc = (n: number) => apps.sshEncrypted(n, (k) => c.pool.take(rng, k));
  const bulk = (n: number) => { const parts: Uint8Array[] = []; for (; n > 0; n -= 32768) parts.push(enc(Math.min(n, 32768) + 13)); return concat(parts); };
  // service request, user authentication, channel open, pty and shell requests
  for (const [fromClient, n] of [[true, 18], [false, 48], [true, 400], [false, 380], [true, 700], [false, 12], [true, 40], [false, 30], [true, 120], [false, 900]] as const) {
    t = yield* conn.send(fromClient, enc(n), t + (fromClient ? c.jit(500 * US) : rtt + c.jit(2 * MS)), false);
  }
  if (rng.chance(toNas ? 0.1 : 0.5)) {  // git fetch / scp: bulk download
    t = yield* conn.send(false, bulk(Math.min(rng.logUniform(5_000, 500_000), c.maxBody)), t + rtt, true);
  } else {                           // interactive: keystrokes echoed, some command output
    for (let i = 0, n = rng.range(8, 60); i < n; i++) {
      t += rng.logUniform(60, 900) * MS;
      t = yield* conn.send(true, enc(9), t, false);
      t = yield* conn.send(false, rng.chance(0.1) ? bulk(rng.range(200, 6000)) : enc(9), t + rtt + c.jit(200 * US), true);
    }
  }
  t = yield* conn.send(true, enc(32), t + rng.logUniform(100, 3000) * MS, false);
  return yield* conn.close(t + c.jit(500 * US), true);
}
