#!/usr/bin/env node
// A tiny stand-in for the Analyzer (port 5003) while the real one is being written.
// Serves deterministic fake data in exactly the shapes of DESIGN.md §6 / the dashboard issue:
//   GET /captures, /protocol_summary[?capture], /packets[?capture&limit&after], /filter[?capture&protocol&ip&port&limit&after]
// Paths are served without the /api prefix, as the Analyzer does (the UI service / Vite proxy strips it).
//
//   node web/dev/mock-api.mjs                 # 127.0.0.1:5003
//   MOCK_PORT=5999 MOCK_DELAY_MS=600 node web/dev/mock-api.mjs
//   MOCK_EMPTY=1 node web/dev/mock-api.mjs    # no captures at all (empty state)
//
// Some strings are deliberately hostile (`<img src=x onerror=alert(1)>` …): the UI must show them as text.

import http from 'node:http';

const PORT = Number(process.env.MOCK_PORT ?? 5003);
const HOST = process.env.MOCK_HOST ?? '127.0.0.1';
const DELAY_MS = Number(process.env.MOCK_DELAY_MS ?? 0);
const EMPTY = process.env.MOCK_EMPTY === '1';

// ---------------------------------------------------------------------------------------------------------------
// Deterministic generator (mulberry32)

function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const pick = (r, xs) => xs[Math.floor(r() * xs.length)];
const int = (r, lo, hi) => lo + Math.floor(r() * (hi - lo + 1));
const hex = (n, w) => n.toString(16).padStart(w, '0');

const HOSTS_V4 = ['192.168.1.23', '192.168.1.1', '192.168.1.54', '10.0.0.7', '93.184.216.34', '142.250.74.78',
  '1.1.1.1', '8.8.8.8', '151.101.1.69', '140.82.121.4'];
const HOSTS_V6 = ['fe80::1c2b:3aff:fe4d:5e6f', '2001:db8::1', '2a00:1450:4007:80c::200e', 'ff02::fb'];
const MACS = ['3c:22:fb:12:34:56', '00:1a:2b:3c:4d:5e', 'b8:27:eb:aa:bb:cc', 'f4:f5:d8:01:02:03'];
const NAMES = ['example.com', 'www.google.com', 'github.com', 'api.github.com', 'cdn.jsdelivr.net', 'printer.local',
  'wpad.lan', 'ocsp.digicert.com'];

// Wireshark-like rows. `kind` decides protocol, ports and Info text.
function makePacket(r, capture, frame, ts, id) {
  const kind = pick(r, ['tcp', 'tcp', 'tcp', 'tls', 'tls', 'tls', 'dns', 'dns', 'udp', 'http', 'quic', 'quic', 'arp',
    'icmp', 'mdns', 'ntp', 'dhcp', 'ssh', 'icmpv6', 'tcp-syn', 'tcp-rst', 'malformed', 'rare']);
  const client = pick(r, HOSTS_V4.slice(0, 4));
  const server = pick(r, HOSTS_V4.slice(4));
  const eport = int(r, 49152, 65535);
  const out = r() < 0.55;
  const row = {
    id, capture_id: capture.id, frame, ts, len: 60, caplen: 60,
    src_ip: null, dst_ip: null, src_port: null, dst_port: null,
    eth_src: pick(r, MACS), eth_dst: pick(r, MACS), ip_proto: null,
    protocol: 'TCP', summary: '', stream: null, malformed: false,
  };
  const tcp = (port, info, len) => {
    row.ip_proto = 6;
    row.src_ip = out ? client : server; row.dst_ip = out ? server : client;
    row.src_port = out ? eport : port; row.dst_port = out ? port : eport;
    row.stream = int(r, 0, 40);
    row.len = len;
    return `${row.src_port} → ${row.dst_port} ${info}`;
  };
  const udp = (port, len) => {
    row.ip_proto = 17;
    row.src_ip = out ? client : server; row.dst_ip = out ? server : client;
    row.src_port = out ? eport : port; row.dst_port = out ? port : eport;
    row.stream = int(r, 0, 25);
    row.len = len;
  };
  switch (kind) {
    case 'tcp': {
      const seq = int(r, 1, 90000), ack = int(r, 1, 90000), len = pick(r, [0, 0, 1448, 517, 31]);
      row.summary = tcp(pick(r, [443, 80, 22, 8080]), `[ACK] Seq=${seq} Ack=${ack} Win=${int(r, 200, 65535)} Len=${len}`, 54 + len);
      break;
    }
    case 'tcp-syn':
      row.summary = tcp(443, '[SYN] Seq=0 Win=64240 Len=0 MSS=1460 SACK_PERM TSval=3394871 TSecr=0 WS=128', 74);
      break;
    case 'tcp-rst':
      row.summary = tcp(80, '[RST, ACK] Seq=1 Ack=1 Win=0 Len=0', 54);
      break;
    case 'tls': {
      row.protocol = pick(r, ['TLSv1.3', 'TLSv1.3', 'TLSv1.2']);
      const info = pick(r, [`Client Hello (SNI=${pick(r, NAMES)})`, 'Server Hello, Change Cipher Spec, Application Data',
        'Application Data', 'Application Data', 'Encrypted Alert']);
      tcp(443, '', int(r, 66, 1514));
      row.summary = info;
      break;
    }
    case 'http': {
      row.protocol = 'HTTP';
      tcp(80, '', int(r, 180, 900));
      row.summary = out
        ? pick(r, ['GET / HTTP/1.1', 'GET /favicon.ico HTTP/1.1', 'POST /api/v1/login HTTP/1.1',
          'GET /search?q=<script>alert(1)</script> HTTP/1.1'])
        : pick(r, ['HTTP/1.1 200 OK  (text/html)', 'HTTP/1.1 304 Not Modified', 'HTTP/1.1 404 Not Found  (text/html)']);
      break;
    }
    case 'ssh':
      row.protocol = 'SSHv2';
      tcp(22, '', int(r, 90, 600));
      row.summary = pick(r, ['Client: Encrypted packet (len=36)', 'Server: Encrypted packet (len=52)',
        'Client: Protocol (SSH-2.0-OpenSSH_9.2p1 Debian-2)']);
      break;
    case 'dns': {
      row.protocol = 'DNS';
      udp(53, int(r, 70, 320));
      const tid = hex(int(r, 0, 0xffff), 4), name = pick(r, NAMES), qt = pick(r, ['A', 'AAAA', 'HTTPS']);
      row.summary = out ? `Standard query 0x${tid} ${qt} ${name}`
        : `Standard query response 0x${tid} ${qt} ${name} A ${pick(r, HOSTS_V4.slice(4))}`;
      break;
    }
    case 'mdns':
      row.protocol = 'MDNS';
      row.ip_proto = 17;
      row.src_ip = HOSTS_V6[0]; row.dst_ip = 'ff02::fb'; row.src_port = 5353; row.dst_port = 5353;
      row.eth_dst = '33:33:00:00:00:fb'; row.len = 120; row.stream = 90;
      row.summary = 'Standard query 0x0000 PTR _airplay._tcp.local, "QM" question';
      break;
    case 'quic':
      row.protocol = 'QUIC';
      udp(443, int(r, 80, 1392));
      row.summary = pick(r, ['Initial, DCID=8c2a47e1f3b0d9a1, PKN: 1, CRYPTO, PADDING', 'Protected Payload (KP0), DCID=8c2a47e1f3b0d9a1',
        'Handshake, SCID=a7f0, PKN: 0, ACK, CRYPTO']);
      break;
    case 'udp':
      row.protocol = 'UDP';
      udp(int(r, 1024, 40000), int(r, 60, 400));
      row.summary = `${row.src_port} → ${row.dst_port} Len=${row.len - 42}`;
      break;
    case 'ntp':
      row.protocol = 'NTP';
      udp(123, 90);
      row.summary = out ? 'NTP Version 4, client' : 'NTP Version 4, server';
      break;
    case 'dhcp':
      row.protocol = 'DHCP';
      row.ip_proto = 17; row.src_ip = '0.0.0.0'; row.dst_ip = '255.255.255.255'; row.src_port = 68; row.dst_port = 67;
      row.eth_dst = 'ff:ff:ff:ff:ff:ff'; row.len = 342; row.stream = 91;
      row.summary = `DHCP Discover - Transaction ID 0x${hex(int(r, 0, 0xffffffff), 8)}`;
      break;
    case 'arp': {
      row.protocol = 'ARP';
      const who = pick(r, HOSTS_V4.slice(0, 4));
      if (out) { row.eth_dst = 'ff:ff:ff:ff:ff:ff'; row.summary = `Who has ${who}? Tell 192.168.1.23`; }
      else row.summary = `${who} is at ${row.eth_src}`;
      row.len = 42;
      break;
    }
    case 'icmp':
      row.protocol = 'ICMP';
      row.ip_proto = 1; row.src_ip = out ? client : server; row.dst_ip = out ? server : client; row.len = 98;
      row.summary = `Echo (ping) ${out ? 'request' : 'reply  '}  id=0x0001, seq=${frame}/${frame << 8 & 0xffff}, ttl=${out ? 64 : 117}`;
      break;
    case 'icmpv6':
      row.protocol = 'ICMPv6';
      row.ip_proto = 58; row.src_ip = HOSTS_V6[0]; row.dst_ip = 'ff02::1:ff00:1'; row.len = 86;
      row.summary = 'Neighbor Solicitation for 2001:db8::1 from 3c:22:fb:12:34:56';
      break;
    case 'rare': {
      const [protocol, summary, proto, port] = pick(r, [
        ['LLMNR', 'Standard query 0x8f1c A wpad', 17, 5355],
        ['NBNS', 'Name query NB WPAD<00>', 17, 137],
        ['SSDP', 'M-SEARCH * HTTP/1.1', 17, 1900],
        ['DHCPv6', 'Solicit XID: 0x2f1a3c CID: 000100012c', 17, 547],
        ['IGMPv3', 'Membership Report / Join group 239.255.255.250 for any sources', 2, null],
        ['STP', 'Conf. Root = 32768/0/b8:27:eb:aa:bb:cc  Cost = 0  Port = 0x8001', null, null],
        ['SNMP', 'get-request 1.3.6.1.2.1.1.3.0', 17, 161],
        ['Syslog', 'LOCAL0.NOTICE: Nov 14 22:13:20 fw01 kernel: DROP IN=eth0', 17, 514],
      ]);
      row.protocol = protocol;
      row.summary = summary;
      row.len = int(r, 60, 220);
      if (proto === 17) udp(port, row.len);
      else if (proto === 2) { row.ip_proto = 2; row.src_ip = client; row.dst_ip = '224.0.0.22'; }
      else row.eth_dst = '01:80:c2:00:00:00';
      break;
    }
    case 'malformed':
      row.protocol = 'DNS';
      udp(53, 61);
      row.malformed = true;
      row.summary = 'Standard query 0xbeef[Malformed Packet]';
      break;
  }
  row.caplen = row.len;
  return row;
}

function epochNs(iso) {
  return BigInt(Date.parse(iso)) * 1_000_000n;
}
function fmtTs(ns) {
  const s = ns / 1_000_000_000n, f = ns % 1_000_000_000n;
  return `${s}.${f.toString().padStart(9, '0')}`;
}
function isoMicro(ns) {
  // PostgreSQL timestamptz keeps microseconds; the Analyzer is expected to send ISO 8601 like this.
  const ms = Number(ns / 1_000_000n);
  const micro = (ns / 1000n) % 1_000_000n;
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, `.${micro.toString().padStart(6, '0')}+00:00`);
}

const CAPTURE_SPECS = [
  { id: 1, name: 'office-lan-2023-11-14.pcapng', source: 'file:/captures/office-lan-2023-11-14.pcapng', state: 'complete',
    count: 2600, start: '2023-11-14T22:13:20.123Z', link_types: [1],
    report: { damage: null, skipped: {} } },
  { id: 2, name: 'customer-site-uplink.pcap.gz', source: 'file:/uploads/customer-site-uplink.pcap.gz', state: 'complete',
    count: 840, start: '2024-03-02T08:01:55.5Z', link_types: [1, 113],
    report: { malformed: 3, damage: { byte: 1048576, packets: 840, message: 'truncated packet record at byte 1048576 (file cut short?)' },
      skipped: { unsupported_linktype: 2 } } },
  { id: 3, name: 'sensor-eth0', source: 'live:eth0 (tcp or udp)', state: 'live',
    count: 420, start: '2024-06-01T12:00:00Z', link_types: [1], report: { dropped: 0 } },
  { id: 4, name: 'wifi-upload.pcapng', source: 'upload', state: 'importing',
    count: 150, start: '2024-06-01T12:30:10.25Z', link_types: [127, 105], report: {} },
  { id: 5, name: '<img src=x onerror=alert(1)>.pcap', source: '"><script>alert(2)</script>', state: 'failed',
    count: 12, start: '2024-05-20T09:00:00Z', link_types: [276],
    report: { damage: { byte: 24, packets: 12, message: 'bad magic <b onmouseover=alert(3)>0xdeadbeef</b>' } } },
];

const captures = [];
const packets = []; // all captures, ordered by (capture_id, frame) == by id
if (!EMPTY) {
  let id = 1;
  for (const spec of CAPTURE_SPECS) {
    const r = rng(spec.id * 7919);
    let ns = epochNs(spec.start) + BigInt(int(r, 0, 999)) * 1000n + BigInt(int(r, 0, 999));
    const rows = [];
    for (let frame = 1; frame <= spec.count; frame++) {
      rows.push(makePacket(r, spec, frame, fmtTs(ns), id++));
      ns += BigInt(int(r, 1, r() < 0.1 ? 900_000_000 : 20_000_000)) * (r() < 0.5 ? 1n : 3n) + BigInt(int(r, 0, 999));
    }
    if (spec.id === 1) {
      rows[6].summary = '<img src=x onerror=alert(1)>';
      rows[6].protocol = 'HTTP';
    }
    if (spec.id === 5) {
      rows[3].protocol = '<b>EVIL</b>';
      rows[3].summary = '<script>alert("info")</script> &amp; \u202Eevil';
      rows[4].eth_src = '<svg onload=alert(4)>';
    }
    packets.push(...rows);
    const first = rows[0] ? BigInt(rows[0].ts.replace('.', '')) : null;
    const last = rows.at(-1) ? BigInt(rows.at(-1).ts.replace('.', '')) : null;
    captures.push({
      id: spec.id, name: spec.name, source: spec.source, state: spec.state,
      packets: rows.length, bytes: rows.reduce((a, p) => a + p.len, 0),
      first_ts: first === null ? null : isoMicro(first), last_ts: last === null ? null : isoMicro(last),
      link_types: spec.link_types,
      report: { ...spec.report, malformed: rows.filter((p) => p.malformed).length },
      created_at: isoMicro(last ?? epochNs(spec.start)),
    });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// HTTP

class HttpError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

function captureParam(q) {
  const v = q.get('capture');
  if (v === null || v === '') return null;
  if (!/^\d+$/.test(v)) throw new HttpError(400, `capture must be a positive integer, got "${v}"`);
  const id = Number(v);
  if (!captures.some((c) => c.id === id)) throw new HttpError(404, `no capture ${id}`);
  return id;
}
function limitParam(q) {
  const v = q.get('limit') ?? '100';
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 1000) throw new HttpError(400, 'limit must be between 1 and 1000');
  return Number(v);
}
function afterParam(q) {
  const v = q.get('after');
  if (v === null || v === '') return 0;
  const m = /^c(\d+)$/.exec(Buffer.from(v, 'base64url').toString());
  if (!m) throw new HttpError(400, 'bad cursor');
  return Number(m[1]);
}
function page(rows, q) {
  const limit = limitParam(q), after = afterParam(q);
  const start = rows.findIndex((p) => p.id > after);
  const slice = start < 0 ? [] : rows.slice(start, start + limit);
  const more = start >= 0 && start + limit < rows.length;
  return { packets: slice, next: more ? Buffer.from(`c${slice.at(-1).id}`).toString('base64url') : null };
}

function route(url) {
  const q = url.searchParams;
  switch (url.pathname) {
    case '/healthz': return { ok: true };
    case '/captures': return captures;
    case '/protocol_summary': {
      const cap = captureParam(q);
      const m = new Map();
      for (const p of packets) {
        if (cap !== null && p.capture_id !== cap) continue;
        const e = m.get(p.protocol) ?? { protocol: p.protocol, packets: 0, bytes: 0 };
        e.packets++; e.bytes += p.len;
        m.set(p.protocol, e);
      }
      return [...m.values()].sort((a, b) => b.packets - a.packets || a.protocol.localeCompare(b.protocol));
    }
    case '/packets': {
      const cap = captureParam(q);
      return page(cap === null ? packets : packets.filter((p) => p.capture_id === cap), q);
    }
    case '/filter': {
      const cap = captureParam(q);
      const proto = q.get('protocol')?.toLowerCase() || null;
      const ip = q.get('ip') || null;
      const portS = q.get('port');
      let port = null;
      if (portS !== null && portS !== '') {
        if (!/^\d+$/.test(portS) || Number(portS) > 65535) throw new HttpError(400, `port must be 0..65535, got "${portS}"`);
        port = Number(portS);
      }
      if (q.get('q') === 'boom') throw new HttpError(500, 'simulated failure');
      return page(packets.filter((p) =>
        (cap === null || p.capture_id === cap) &&
        (proto === null || p.protocol.toLowerCase() === proto) &&
        (ip === null || p.src_ip === ip || p.dst_ip === ip) &&
        (port === null || p.src_port === port || p.dst_port === port)), q);
    }
    default: throw new HttpError(404, `no route ${url.pathname}`);
  }
}

const server = http.createServer((req, res) => {
  const send = (status, body) => {
    const json = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(json) });
    res.end(json);
  };
  const url = new URL(req.url ?? '/', 'http://mock');
  let status = 200, body;
  if (req.method !== 'GET') { status = 405; body = { error: 'method not allowed' }; }
  else {
    try { body = route(url); } catch (e) {
      status = e instanceof HttpError ? e.status : 500;
      body = { error: e instanceof Error ? e.message : String(e) };
    }
  }
  console.log(`${req.method} ${req.url} → ${status}`);
  setTimeout(() => send(status, body), DELAY_MS);
});
server.listen(PORT, HOST, () => {
  console.log(`mock analyzer on http://${HOST}:${PORT} (${captures.length} captures, ${packets.length} packets)`);
});
