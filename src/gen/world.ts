// The simulated network: a home/small-office LAN (one untagged subnet plus an IoT VLAN seen tagged on the trunk),
// its router, and the internet sites its hosts talk to. Everything is drawn from the seeded PRNG once, up front.

import { gzipSync } from 'node:zlib';
import { ascii } from './bytes.js';
import { ipv4, ipv6, linkLocal, mac, withEui64 } from './packets.js';
import type { Link, Net } from './packets.js';
import type { Rng } from './rng.js';
import { PROFILES, type ClientProfile } from './tls.js';

export const US = 1e3, MS = 1e6, S = 1e9;

export interface Stack {
  order: 'linux' | 'windows' | 'mac';
  mss: number;
  ws: number;
  synWin: number;
  /** Window field after the handshake (scaled by ws). */
  win: number;
  ts: boolean;
}

/** Anything that sends packets: a LAN host, the router, or an internet server (seen behind the router's MAC). */
export interface Node {
  mac: Uint8Array;
  /** TTL / hop limit as seen at the capture point. */
  ttl: number;
  ipId: number;
  tsOff: number;
  stack: Stack;
}

export type Kind = 'windows' | 'mac' | 'linux' | 'iphone' | 'android' | 'iot' | 'server';

export interface Lan {
  gw: Uint8Array;
  net: string;
  vlan?: number;
  prefix6?: Uint8Array;
}

export interface Host extends Node {
  name: string;
  kind: Kind;
  ip4: Uint8Array;
  ll6: Uint8Array;
  ip6?: Uint8Array;
  lan: Lan;
  profile: ClientProfile;
  ua: string;
  resolver: Uint8Array;
  edns?: number;
  nextPort: number;
  /** Device-type string for mDNS answers and DHCP vendor class. */
  model: string;
}

export interface Site {
  name: string;
  cname?: string[];
  a: string[];
  aaaa?: string[];
  /** Round-trip time in ms. */
  rtt: number;
  /** Arriving TTL. */
  ttl: number;
  server: string;
  kind: 'web' | 'api' | 'portal' | 'repo' | 'cdn';
  weight: number;
  h3?: boolean;
  tls12?: boolean;
  http?: boolean;
  noHttps?: boolean;
  iot?: boolean;
  hostile?: boolean;
}

const LINUX: Stack = { order: 'linux', mss: 1460, ws: 7, synWin: 64240, win: 502, ts: true };
const WINDOWS: Stack = { order: 'windows', mss: 1460, ws: 8, synWin: 64240, win: 1026, ts: false };
const MACOS: Stack = { order: 'mac', mss: 1460, ws: 6, synWin: 65535, win: 2058, ts: true };
const EMBEDDED: Stack = { order: 'linux', mss: 1460, ws: 2, synWin: 14600, win: 3650, ts: false };

export const SITES: Site[] = [
  { name: 'www.google.com', a: ['142.250.185.68'], aaaa: ['2a00:1450:4001:82b::2004'], rtt: 12, ttl: 118, server: 'gws', kind: 'web', weight: 8, h3: true },
  { name: 'www.youtube.com', cname: ['youtube-ui.l.google.com'], a: ['142.250.186.174', '172.217.16.206'], aaaa: ['2a00:1450:4001:80e::200e'], rtt: 13, ttl: 118, server: 'ESF', kind: 'web', weight: 5, h3: true },
  { name: 'i.ytimg.com', a: ['142.250.186.118'], aaaa: ['2a00:1450:4001:813::2016'], rtt: 13, ttl: 118, server: 'sffe', kind: 'cdn', weight: 3, h3: true },
  { name: 'fonts.gstatic.com', a: ['142.250.185.99'], aaaa: ['2a00:1450:4001:829::2003'], rtt: 12, ttl: 118, server: 'sffe', kind: 'cdn', weight: 2, h3: true },
  { name: 'github.com', a: ['140.82.121.3'], rtt: 28, ttl: 54, server: 'GitHub.com', kind: 'web', weight: 3 },
  { name: 'api.github.com', a: ['140.82.121.6'], rtt: 28, ttl: 54, server: 'GitHub.com', kind: 'api', weight: 2 },
  { name: 'en.wikipedia.org', cname: ['dyna.wikimedia.org'], a: ['185.15.59.224'], aaaa: ['2a02:ec80:300:ed1a::1'], rtt: 22, ttl: 56, server: 'ATS/9.2.3', kind: 'web', weight: 3 },
  { name: 'www.cloudflare.com', a: ['104.16.124.96', '104.16.123.96'], aaaa: ['2606:4700::6810:7c60'], rtt: 8, ttl: 58, server: 'cloudflare', kind: 'web', weight: 2, h3: true },
  { name: 'www.bbc.co.uk', cname: ['www.bbc.co.uk.pri.bbc.co.uk', 'uk.www.bbc.co.uk.pri.bbc.co.uk'], a: ['151.101.0.81', '151.101.64.81'], aaaa: ['2a04:4e42::81'], rtt: 15, ttl: 57, server: 'Belfrage', kind: 'web', weight: 2 },
  { name: 'www.microsoft.com', cname: ['www.microsoft.com-c-3.edgekey.net', 'www.microsoft.com-c-3.edgekey.net.globalredir.akadns.net', 'e13678.dscb.akamaiedge.net'], a: ['23.55.220.141'], aaaa: ['2a02:26f0:d8:5a9::356e'], rtt: 9, ttl: 58, server: 'AkamaiNetStorage', kind: 'web', weight: 2 },
  { name: 'login.microsoftonline.com', cname: ['ak.privatelink.msidentity.com', 'www.tm.ak.prd.aadg.trafficmanager.net'], a: ['20.190.159.0', '40.126.31.67'], rtt: 30, ttl: 112, server: 'Microsoft-IIS/10.0', kind: 'api', weight: 2, tls12: true },
  { name: 'outlook.office365.com', cname: ['ooc-g2.tm-4.office.com', 'outlook.ms-acdc.office.com', 'AMS-efz.ms-acdc.office.com'], a: ['52.97.201.226'], aaaa: ['2603:1026:c0b:1a::2'], rtt: 18, ttl: 113, server: 'Microsoft-HTTPAPI/2.0', kind: 'api', weight: 2 },
  { name: 'app.slack.com', a: ['3.120.82.183'], rtt: 25, ttl: 232, server: 'envoy', kind: 'api', weight: 1.5 },
  { name: 'www.amazon.com', cname: ['tp.47cf2c8c9-frontier.amazon.com', 'd3ag4hukkh62yn.cloudfront.net'], a: ['18.66.196.124'], aaaa: ['2600:9000:2250:3000:7:49a5:5fd4:b121'], rtt: 14, ttl: 246, server: 'Server', kind: 'web', weight: 2 },
  { name: 'cdn.jsdelivr.net', cname: ['jsdelivr.map.fastly.net'], a: ['151.101.1.229'], aaaa: ['2a04:4e42::485'], rtt: 14, ttl: 57, server: 'nginx', kind: 'cdn', weight: 1.5, h3: true },
  { name: 'www.reddit.com', cname: ['reddit.map.fastly.net'], a: ['151.101.1.140'], aaaa: ['2a04:4e42::396'], rtt: 15, ttl: 57, server: 'snooserv', kind: 'web', weight: 2, h3: true },
  { name: 'deb.debian.org', cname: ['debian.map.fastlydns.net'], a: ['151.101.134.132'], aaaa: ['2a04:4e42:1f::644'], rtt: 14, ttl: 57, server: 'Apache', kind: 'repo', weight: 1.5, http: true, noHttps: true },
  { name: 'connectivitycheck.gstatic.com', a: ['142.250.184.227'], aaaa: ['2a00:1450:4001:812::2003'], rtt: 12, ttl: 118, server: 'HTTP server (unknown)', kind: 'portal', weight: 1.2, http: true, noHttps: true },
  { name: 'captive.apple.com', cname: ['captive-cdn.origin-apple.com.akadns.net', 'captive.g.aaplimg.com'], a: ['17.253.53.207'], rtt: 11, ttl: 57, server: 'AppleHttpServer/2b4a3ad', kind: 'portal', weight: 1.2, http: true, noHttps: true },
  { name: 'www.msftconnecttest.com', cname: ['ncsi-geo.trafficmanager.net', 'www.msftncsi.com.edgesuite.net', 'a1961.g2.akamai.net'], a: ['2.21.20.154'], rtt: 10, ttl: 58, server: 'Microsoft-IIS/10.0', kind: 'portal', weight: 1.2, http: true, noHttps: true },
  { name: 'detectportal.firefox.com', cname: ['detectportal.prod.mozaws.net', 'prod.detectportal.prod.cloudops.mozgcp.net'], a: ['34.107.221.82'], aaaa: ['2600:1901:0:38d7::'], rtt: 13, ttl: 119, server: 'nginx', kind: 'portal', weight: 0.6, http: true, noHttps: true },
  { name: 'www.example.com', a: ['93.184.215.14'], aaaa: ['2606:2800:21f:cb07:6820:80ea:7010:9a4a'], rtt: 85, ttl: 52, server: 'ECAcc (nyd/D184)', kind: 'web', weight: 1, http: true },
  { name: 'api.weather.example.net', a: ['203.0.113.45'], rtt: 40, ttl: 50, server: 'nginx/1.24.0', kind: 'api', weight: 1, http: true, noHttps: true, iot: true },
  { name: 'iot-telemetry.example.org', a: ['198.51.100.23'], rtt: 45, ttl: 49, server: 'openresty', kind: 'api', weight: 1, tls12: true, iot: true },
];

export const HOSTILE_SITES: Site[] = [
  { name: '<img src=x onerror=alert(1)>.xss.example', a: ['198.51.100.66'], rtt: 30, ttl: 52, server: '<script>alert("server")</script>', kind: 'web', weight: 2, http: true, hostile: true },
  { name: '"><script>alert(document.domain)</script>.evil.example', cname: ['<iframe src=javascript:alert(2)>.cdn.example'], a: ['198.51.100.67'], rtt: 35, ttl: 51, server: 'nginx', kind: 'web', weight: 2, http: true, hostile: true },
  { name: "<svg onload=alert('sni')>.tls.example", a: ['198.51.100.68'], rtt: 20, ttl: 55, server: 'nginx', kind: 'web', weight: 2, h3: true, hostile: true },
  { name: 'javascript:alert(1)//.example', a: ['198.51.100.69'], rtt: 25, ttl: 54, server: 'nginx', kind: 'web', weight: 1, hostile: true, tls12: true },
];

export const HOSTILE_UA = `Mozilla/5.0 <script>alert("ua")</script> '"><img src=x onerror=alert(2)>`;
export const HOSTILE_PATH = '/search?q=<script>alert(1)</script>&x="onmouseover="alert(1)';

export const NTP_SERVERS = [
  { name: 'time.cloudflare.com', ip: '162.159.200.1', rtt: 8, ttl: 58, stratum: 3 },
  { name: '2.debian.pool.ntp.org', ip: '185.125.190.57', rtt: 21, ttl: 53, stratum: 2 },
  { name: 'time.windows.com', ip: '20.101.57.9', rtt: 19, ttl: 111, stratum: 3 },
  { name: 'time.apple.com', ip: '17.253.52.253', rtt: 11, ttl: 57, stratum: 1 },
];

export const UA = {
  chrome: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  edge: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.80',
  safari: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15',
  iphone: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1',
  firefox: 'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0',
  android: 'Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36',
  curl: 'curl/7.88.1',
  apt: 'Debian APT-HTTP/1.3 (2.6.1)',
  iot: 'ESP32HTTPClient',
};

const OUI: Record<Kind | 'router', string[]> = {
  windows: ['d4:81:d7', '18:66:da', '3c:6a:a7', 'a4:c3:f0', '54:e1:ad'],
  mac: ['a4:83:e7', 'f0:18:98', '3c:22:fb', 'bc:d0:74'],
  iphone: ['f0:99:b6', '28:cf:e9', '4c:57:ca'],
  android: ['e8:50:8b', 'f4:f5:d8', '3c:28:6d'],
  linux: ['8c:8d:28', 'dc:a6:32', '00:1b:21'],
  iot: ['3c:5a:b4', '94:9f:3e', 'bc:ad:28', '44:65:0d', '3c:52:82', '50:c7:bf', '44:61:32'],
  server: ['00:11:32'],
  router: ['24:5a:4c'],
};

/** The vendor prefix of each IoT model (Google, HP, Sonos, Hikvision, ecobee, Amazon, TP-Link). */
const IOT_OUI: Record<string, string> = {
  Chromecast: '3c:5a:b4', 'HP LaserJet M404': '3c:52:82', 'Sonos One': '94:9f:3e', 'Hikvision DS-2CD': 'bc:ad:28',
  ecobee3: '44:61:32', 'Echo Dot': '44:65:0d', HS110: '50:c7:bf',
};

export const DOMAIN = 'home.lan';

export class World {
  readonly router: Node & { ip4: Uint8Array; ip4Iot: Uint8Array; ll6: Uint8Array };
  readonly lan: Lan;
  readonly iot: Lan;
  readonly hosts: Host[] = [];
  readonly clients: Host[];
  readonly nas: Host;
  /** In hostile mode, the host whose name (DHCP, DNS, mDNS) carries markup. */
  readonly hostileHost?: Host;
  readonly sites: Site[];
  private readonly remotes = new Map<string, Node>();
  readonly bodies: { html: Uint8Array[]; js: Uint8Array[]; json: Uint8Array[]; css: Uint8Array[]; release: Uint8Array };
  private readonly gz = new Map<Uint8Array, Uint8Array>();

  constructor(readonly rng: Rng, readonly hostile: boolean) {
    const routerMac = this.mac('router');
    this.router = { mac: routerMac, ttl: 64, ipId: rng.int(65536), tsOff: rng.u32(), stack: LINUX,
      ip4: ipv4('192.168.1.1'), ip4Iot: ipv4('10.20.0.1'), ll6: linkLocal(routerMac) };
    this.lan = { gw: this.router.ip4, net: '192.168.1.', prefix6: ipv6('2a02:8108:1c40:5a00::') };
    this.iot = { gw: this.router.ip4Iot, net: '10.20.0.', vlan: 20 };
    this.sites = hostile ? [...SITES, ...HOSTILE_SITES] : SITES;

    const used = new Set<number>();
    const addr = (lan: Lan, fixed?: number) => {
      let n = fixed ?? 0;
      while (!fixed && (n === 0 || used.has(n + (lan.vlan ?? 0) * 1000))) n = rng.range(20, 199);
      used.add(n + (lan.vlan ?? 0) * 1000);
      return ipv4(lan.net + n);
    };
    const make = (kind: Kind, name: string, lan: Lan, model: string, fixed?: number): Host => {
      const m = this.mac(kind, IOT_OUI[model]);
      const win = kind === 'windows';
      const stack = win ? WINDOWS : kind === 'mac' || kind === 'iphone' ? MACOS : kind === 'iot' ? EMBEDDED : LINUX;
      const privacy = kind !== 'linux' && kind !== 'server' && kind !== 'iot';
      const ll6 = privacy ? withEui64(ipv6('fe80::'), rng.bytes(6)) : linkLocal(m);
      const v6 = lan.prefix6 && kind !== 'iot' && rng.chance(0.7);
      const ip6 = v6 ? (privacy ? withEui64(lan.prefix6!, rng.bytes(6)) : withEui64(lan.prefix6!, m)) : undefined;
      const profile = { windows: rng.chance(0.7) ? PROFILES.chrome : PROFILES.chromeOld, mac: PROFILES.safari,
        iphone: PROFILES.safari, android: PROFILES.chrome, linux: rng.chance(0.6) ? PROFILES.firefox : PROFILES.curl,
        iot: PROFILES.embedded, server: PROFILES.curl }[kind];
      const ua = { windows: rng.chance(0.7) ? UA.chrome : UA.edge, mac: UA.safari, iphone: UA.iphone, android: UA.android,
        linux: profile === PROFILES.curl ? UA.curl : UA.firefox, iot: UA.iot, server: UA.apt }[kind];
      const publicDns = kind === 'linux' && rng.chance(0.4);
      const h: Host = {
        name, kind, mac: m, ttl: win ? 128 : kind === 'iot' ? 255 : 64, ipId: rng.int(65536), tsOff: rng.u32(), stack,
        ip4: addr(lan, fixed), ll6, ip6, lan, profile, ua, model,
        resolver: publicDns ? ipv4(rng.pick(['1.1.1.1', '8.8.8.8', '9.9.9.9'])) : lan.gw,
        edns: kind === 'linux' || kind === 'server' || kind === 'mac' || kind === 'iphone' ? 1232 : undefined,
        nextPort: win ? rng.range(50000, 60000) : 0,
      };
      this.hosts.push(h);
      return h;
    };
    const tag = () => Array.from({ length: 7 }, () => rng.pick([...'ABCDEFGHJKLMNPQRSTUVWXYZ0123456789'])).join('');
    const people = rng.shuffle(['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy', 'mallory', 'niaj', 'olivia', 'peggy', 'rupert', 'sybil', 'trent', 'victor', 'walter']);
    this.nas = make('server', 'nas01', this.lan, 'DS920+', 10);
    for (let i = 0; i < 7; i++) make('windows', `DESKTOP-${tag()}`, this.lan, 'MSFT 5.0');
    for (let i = 0; i < 5; i++) make('mac', `${people.pop()}-${rng.pick(['MacBook-Pro', 'MacBook-Air', 'mbp'])}`, this.lan, 'MacBookPro18,3');
    for (let i = 0; i < 4; i++) make('iphone', `${people.pop()}s-iPhone`, this.lan, 'iPhone15,2');
    for (let i = 0; i < 3; i++) make('android', `Pixel-${rng.range(6, 8)}${rng.pick(['', 'a', '-Pro'])}`, this.lan, 'android-dhcp-14');
    for (let i = 0; i < 4; i++) make('linux', rng.pick(['dev-ws', 'build', 'thinkpad', 'raspberrypi']) + `-${rng.range(1, 40)}`, this.lan, 'udhcp 1.36.1');
    make('iot', 'Living-Room-TV', this.lan, 'Chromecast');
    make('iot', `HP${tag().slice(0, 6)}`, this.lan, 'HP LaserJet M404');
    make('iot', 'Sonos-Kitchen', this.lan, 'Sonos One');
    for (const [n, model] of [['cam-frontdoor', 'Hikvision DS-2CD'], ['cam-garage', 'Hikvision DS-2CD'], ['ecobee-hallway', 'ecobee3'],
      ['echo-dot', 'Echo Dot'], ['tplink-plug-1', 'HS110'], ['tplink-plug-2', 'HS110']] as const) make('iot', n, this.iot, model);
    if (hostile) {
      this.hostileHost = this.hosts[3]!;
      this.hostileHost.name = `<script>alert('dhcp')</script>`;
      this.hosts[2]!.ua = HOSTILE_UA;
    }
    this.clients = this.hosts.filter((h) => h.kind !== 'server');
    this.bodies = this.makeBodies();
  }

  private mac(kind: Kind | 'router', oui?: string): Uint8Array {
    const tail = Array.from({ length: 3 }, () => this.rng.int(256).toString(16).padStart(2, '0')).join(':');
    return mac(`${oui ?? this.rng.pick(OUI[kind])}:${tail}`);
  }

  /** The Node for an internet address (created on first use, so its IP ID counter and clock persist). */
  remote(addr: string, ttl: number, stack: Stack = LINUX): Node {
    let n = this.remotes.get(addr);
    if (!n) {
      n = { mac: this.router.mac, ttl, ipId: this.rng.int(65536), tsOff: this.rng.u32(), stack };
      this.remotes.set(addr, n);
    }
    return n;
  }

  siteStack(s: Site): Stack {
    if (s.ttl > 64 && s.ttl <= 128) return { ...WINDOWS, mss: 1440, ws: 8, win: 1024 };
    return { ...LINUX, mss: s.name.includes('google') || s.name.includes('ytimg') ? 1412 : 1460, ws: s.ttl > 128 ? 9 : 7, synWin: 65535, win: 501 };
  }

  pickClient(filter: (h: Host) => boolean = () => true): Host {
    const hs = this.clients.filter(filter);
    return this.rng.pick(hs.length ? hs : this.clients);
  }

  /** Another host on the same segment. */
  neighbour(h: Host): Host {
    const hs = this.hosts.filter((x) => x !== h && x.lan === h.lan);
    return this.rng.pick(hs);
  }

  ephemeralPort(h: Host): number {
    if (h.kind === 'windows') return (h.nextPort = h.nextPort >= 65535 ? 49152 : h.nextPort + 1);
    if (h.kind === 'linux' || h.kind === 'server' || h.kind === 'android') return this.rng.range(32768, 60999);
    return this.rng.range(49152, 65535);
  }

  gzip(body: Uint8Array): Uint8Array {
    let z = this.gz.get(body);
    if (!z) { z = gzipSync(body, { level: 6 }); this.gz.set(body, z); }
    return z;
  }

  private makeBodies() {
    const rng = this.rng;
    const words = ('network packet capture analysis protocol stream session traffic engineer window segment header ' +
      'payload latency bandwidth router switch firewall gateway resolver certificate handshake server client request ' +
      'response cache proxy tunnel frame socket address interface monitor dashboard filter export report summary').split(' ');
    const text = (n: number) => { const out: string[] = []; let len = 0; while (len < n) { const w = rng.pick(words); out.push(w); len += w.length + 1; } return out.join(' '); };
    const html = (n: number) => {
      let s = `<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>${text(30)}</title>\n<link rel="stylesheet" href="/static/site.css">\n</head>\n<body>\n`;
      while (s.length < n) s += `<div class="card"><h2>${text(24)}</h2>\n<p>${text(rng.range(200, 900))}</p>\n<a href="/articles/${rng.int(100000)}">read more</a></div>\n`;
      return ascii(`${s}<script src="/static/app.js"></script>\n</body>\n</html>\n`);
    };
    const js = (n: number) => {
      let s = '"use strict";\n';
      while (s.length < n) s += `function ${rng.pick(words)}_${rng.int(1000)}(a, b) { return a.${rng.pick(words)}(b, ${rng.int(100)}) || "${text(40)}"; }\n`;
      return ascii(s);
    };
    const json = (n: number) => {
      const items: string[] = [];
      let len = 0;
      while (len < n) { const it = JSON.stringify({ id: rng.int(1e6), name: text(20), tags: [rng.pick(words), rng.pick(words)], score: rng.int(1000) / 10, active: rng.chance(0.5) }); items.push(it); len += it.length + 1; }
      return ascii(JSON.stringify({ status: 'ok', count: items.length, items: items.map((i) => JSON.parse(i)) }));
    };
    const css = (n: number) => { let s = ''; while (s.length < n) s += `.${rng.pick(words)}-${rng.int(100)} { margin: ${rng.int(20)}px; color: #${rng.int(0xffffff).toString(16).padStart(6, '0')}; }\n`; return ascii(s); };
    // A Debian InRelease file: signed header, then one checksum line per index file.
    let release = '-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nOrigin: Debian\nLabel: Debian\nSuite: stable\nVersion: 12.5\n' +
      'Codename: bookworm\nDate: Sat, 10 Feb 2024 09:11:54 UTC\nArchitectures: all amd64 arm64 armel armhf i386 mips64el mipsel ppc64el s390x\n' +
      'Components: main contrib non-free-firmware non-free\nDescription: Debian 12.5 Released 10 February 2024\nSHA256:\n';
    const hexs = (n: number) => Array.from({ length: n }, () => rng.int(16).toString(16)).join('');
    for (const comp of ['main', 'contrib', 'non-free', 'non-free-firmware']) {
      for (const arch of ['amd64', 'arm64', 'armhf', 'i386', 'all']) {
        for (const f of ['Packages', 'Packages.gz', 'Packages.xz', 'Release']) release += ` ${hexs(64)} ${String(rng.int(9e7)).padStart(9)} ${comp}/binary-${arch}/${f}\n`;
      }
    }
    release += `-----BEGIN PGP SIGNATURE-----\n\n${Array.from({ length: 14 }, () => Buffer.from(rng.bytes(48)).toString('base64')).join('\n')}\n-----END PGP SIGNATURE-----\n`;
    return { html: [html(600), html(2500), html(12000), html(45000)], js: [js(8000), js(60000)], json: [json(150), json(2500), json(20000)], css: [css(6000)], release: ascii(release) };
  }
}

/** Link and network headers between two nodes, reused packet after packet (only the IPv4 ID changes). */
export class Path {
  private readonly links: [Link, Link];
  private readonly nets: [Net, Net];
  readonly v6: boolean;

  constructor(readonly a: Node, aIp: Uint8Array, readonly b: Node, bIp: Uint8Array, vlan?: number, df = true) {
    this.v6 = aIp.length === 16;
    this.links = [{ src: a.mac, dst: b.mac, vlan }, { src: b.mac, dst: a.mac, vlan }];
    this.nets = [{ src: aIp, dst: bIp, ttl: a.ttl, df }, { src: bIp, dst: aIp, ttl: b.ttl, df }];
  }

  /** Headers for a packet from a (`fromA`) or from b; advances the sender's IP ID. */
  dir(fromA: boolean): [Link, Net] {
    const node = fromA ? this.a : this.b, i = fromA ? 0 : 1;
    node.ipId = (node.ipId + 1) & 0xffff;
    this.nets[i].id = node.ipId;
    return [this.links[i], this.nets[i]];
  }
}


