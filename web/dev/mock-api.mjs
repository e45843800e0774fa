#!/usr/bin/env node
// A tiny stand-in for the Analyzer (port 5003) while the real one is being written.
// Serves deterministic fake data in the shapes of /work/contract-api.md (DESIGN.md §6):
//   captures (list, upload, delete, live), packets/filter/count/fields, packet detail, flows, stats/*, export, /events
// Paths are served without the /api prefix, as the Analyzer does (the UI service / Vite proxy strips it).
//
//   node web/dev/mock-api.mjs                 # 127.0.0.1:5003
//   MOCK_PORT=5999 MOCK_DELAY_MS=600 node web/dev/mock-api.mjs
//   MOCK_EMPTY=1 node web/dev/mock-api.mjs    # no captures at all (empty state)
//   MOCK_BIG=2000000 node web/dev/mock-api.mjs  # plus a synthetic capture of 2M packets (scrolling)
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

// Per-capture rows (frame order). A synthetic huge capture (MOCK_BIG=N packets, generated on demand by frame number)
// exercises scrolling through millions of rows without holding them in memory.
const BIG = Number(process.env.MOCK_BIG ?? 0);
const store = new Map(); // capture id → { count, get(frame) → row }
for (const c of captures) {
  const rows = packets.filter((p) => p.capture_id === c.id);
  store.set(c.id, arrayStore(rows));
}
function arrayStore(rows) {
  return { rows, get count() { return rows.length; }, get: (frame) => rows[frame - 1] };
}
let nextPacketId = packets.length + 1;
let nextCaptureId = captures.length ? Math.max(...captures.map((c) => c.id)) + 1 : 1;
if (BIG > 0 && !EMPTY) {
  const id = nextCaptureId++;
  const startNs = epochNs('2024-07-01T00:00:00Z');
  const spec = { id };
  const cache = new Map();
  const get = (frame) => {
    if (frame < 1 || frame > BIG) return undefined;
    let row = cache.get(frame);
    if (!row) {
      row = makePacket(rng(frame * 2654435761), spec, frame, fmtTs(startNs + BigInt(frame) * 1_000_000n + BigInt(frame % 997)), 10_000_000 + frame);
      if (cache.size > 50_000) cache.clear();
      cache.set(frame, row);
    }
    return row;
  };
  store.set(id, { count: BIG, get, rows: null });
  captures.push({
    id, name: `synthetic-${BIG}.pcap`, source: 'file:/synthetic', state: 'complete', packets: BIG, bytes: BIG * 300,
    first_ts: isoMicro(startNs + 1_000_000n), last_ts: isoMicro(startNs + BigInt(BIG) * 1_000_000n), link_types: [1],
    report: { malformed: 0 }, created_at: isoMicro(startNs),
  });
}
function captureStats(c) {
  const s = store.get(c.id);
  if (!s.rows) return;
  c.packets = s.rows.length;
  c.bytes = s.rows.reduce((a, p) => a + p.len, 0);
  if (s.rows.length) {
    c.first_ts = isoMicro(BigInt(s.rows[0].ts.replace('.', '')));
    c.last_ts = isoMicro(BigInt(s.rows.at(-1).ts.replace('.', '')));
  }
}

// ---------------------------------------------------------------------------------------------------------------
// A small display-filter subset (enough to drive the UI): or/and/not, parentheses, comparisons, contains, in {…},
// bare protocol/field names. Errors carry a 1-based position like the real Analyzer's.

class FilterError extends Error {
  constructor(message, position) { super(message); this.position = position; }
}

const FIELD_DEFS = {
  'frame.number': ['uint', 'Frame number', (p) => p.frame],
  'frame.len': ['uint', 'Frame length', (p) => p.len],
  'frame.cap_len': ['uint', 'Captured length', (p) => p.caplen],
  'frame.time_epoch': ['time', 'Epoch time', (p) => Number(p.ts)],
  'eth.src': ['mac', 'Source', (p) => p.eth_src],
  'eth.dst': ['mac', 'Destination', (p) => p.eth_dst],
  'eth.addr': ['mac', 'Source or Destination Address', (p) => [p.eth_src, p.eth_dst]],
  'ip.src': ['ipv4', 'Source Address', (p) => v4(p.src_ip)],
  'ip.dst': ['ipv4', 'Destination Address', (p) => v4(p.dst_ip)],
  'ip.addr': ['ipv4', 'Source or Destination Address', (p) => [v4(p.src_ip), v4(p.dst_ip)]],
  'ip.proto': ['uint', 'Protocol', (p) => (v4(p.src_ip) ? p.ip_proto : null)],
  'ipv6.src': ['ipv6', 'Source Address', (p) => v6(p.src_ip)],
  'ipv6.dst': ['ipv6', 'Destination Address', (p) => v6(p.dst_ip)],
  'ipv6.addr': ['ipv6', 'Source or Destination Address', (p) => [v6(p.src_ip), v6(p.dst_ip)]],
  'tcp.srcport': ['uint', 'Source Port', (p) => (p.ip_proto === 6 ? p.src_port : null)],
  'tcp.dstport': ['uint', 'Destination Port', (p) => (p.ip_proto === 6 ? p.dst_port : null)],
  'tcp.port': ['uint', 'Source or Destination Port', (p) => (p.ip_proto === 6 ? [p.src_port, p.dst_port] : null)],
  'tcp.stream': ['uint', 'Stream index', (p) => (p.ip_proto === 6 ? p.stream : null)],
  'udp.srcport': ['uint', 'Source Port', (p) => (p.ip_proto === 17 ? p.src_port : null)],
  'udp.dstport': ['uint', 'Destination Port', (p) => (p.ip_proto === 17 ? p.dst_port : null)],
  'udp.port': ['uint', 'Source or Destination Port', (p) => (p.ip_proto === 17 ? [p.src_port, p.dst_port] : null)],
  'udp.stream': ['uint', 'Stream index', (p) => (p.ip_proto === 17 ? p.stream : null)],
  '_ws.col.info': ['string', 'Info', (p) => p.summary],
  '_ws.col.protocol': ['string', 'Protocol', (p) => p.protocol],
  'dns.qry.name': ['string', 'Name', (p) => (p.protocol === 'DNS' ? /\b(?:A|AAAA|HTTPS) (\S+)/.exec(p.summary)?.[1] ?? null : null)],
  'tls.handshake.extensions_server_name': ['string', 'Server Name', (p) => /SNI=([^)]+)/.exec(p.summary)?.[1] ?? null],
  'http.request.method': ['string', 'Request Method', (p) => (p.protocol === 'HTTP' ? /^(GET|POST|PUT|HEAD)\b/.exec(p.summary)?.[1] ?? null : null)],
};
const PROTOS = {
  frame: () => true, eth: (p) => p.eth_src !== null, ip: (p) => !!v4(p.src_ip), ipv6: (p) => !!v6(p.src_ip),
  tcp: (p) => p.ip_proto === 6, udp: (p) => p.ip_proto === 17, icmp: (p) => p.protocol === 'ICMP',
  icmpv6: (p) => p.protocol === 'ICMPv6', arp: (p) => p.protocol === 'ARP', dns: (p) => p.protocol === 'DNS',
  mdns: (p) => p.protocol === 'MDNS', http: (p) => p.protocol === 'HTTP', tls: (p) => p.protocol.startsWith('TLS'),
  quic: (p) => p.protocol === 'QUIC', ntp: (p) => p.protocol === 'NTP', dhcp: (p) => p.protocol === 'DHCP',
  ssh: (p) => p.protocol.startsWith('SSH'),
};
function v4(a) { return a && a.includes('.') ? a : null; }
function v6(a) { return a && a.includes(':') ? a : null; }

function lex(text) {
  const out = [];
  const re = /\s+|(\(|\)|\{|\}|==|!=|>=|<=|>|<|&&|\|\||!|\.\.)|("(?:[^"\\]|\\.)*")|([A-Za-z0-9_.:\/-]+)|(.)/gy;
  let m;
  while ((m = re.exec(text))) {
    const pos = m.index + 1;
    if (m[1]) out.push({ t: 'op', v: m[1], pos });
    else if (m[2]) out.push({ t: 'str', v: JSON.parse(m[2]), pos });
    else if (m[3]) out.push({ t: 'word', v: m[3], pos });
    else if (m[4]) throw new FilterError(`${pos}: unexpected character "${m[4]}"`, pos);
  }
  out.push({ t: 'end', v: '', pos: text.length + 1 });
  return out;
}
const CMP = { '==': 'eq', '!=': 'ne', '>': 'gt', '<': 'lt', '>=': 'ge', '<=': 'le', eq: 'eq', ne: 'ne', gt: 'gt', lt: 'lt', ge: 'ge', le: 'le' };

function parseFilter(text) {
  const toks = lex(text);
  let i = 0;
  const peek = () => toks[i];
  const isWord = (w) => peek().t === 'word' && peek().v.toLowerCase() === w;
  const isOp = (o) => peek().t === 'op' && peek().v === o;
  const fail = (what) => { const t = peek(); throw new FilterError(`${t.pos}: ${what}${t.t === 'end' ? ' at the end' : ` near "${t.v}"`}`, t.pos); };
  function or() {
    let l = and();
    while (isWord('or') || isOp('||')) { i++; l = { k: 'or', l, r: and() }; }
    return l;
  }
  function and() {
    let l = not();
    while (isWord('and') || isOp('&&')) { i++; l = { k: 'and', l, r: not() }; }
    return l;
  }
  function not() {
    if (isWord('not') || isOp('!')) { i++; return { k: 'not', e: not() }; }
    return primary();
  }
  function value() {
    const t = peek();
    if (t.t === 'word' || t.t === 'str') { i++; return t.v; }
    const prev = toks[i - 1];
    return fail(`expected a value after "${prev.v}"`);
  }
  function primary() {
    if (isOp('(')) {
      i++;
      const e = or();
      if (!isOp(')')) fail('expected ")"');
      i++;
      return e;
    }
    const t = peek();
    if (t.t !== 'word') fail('expected a field or protocol name');
    i++;
    const name = t.v.toLowerCase();
    const def = FIELD_DEFS[name];
    if (!def && !PROTOS[name]) throw new FilterError(`${t.pos}: "${t.v}" is neither a field nor a protocol`, t.pos);
    const op = peek();
    const cmp = op.t === 'op' ? CMP[op.v] : op.t === 'word' ? CMP[op.v.toLowerCase()] : undefined;
    if (cmp) {
      if (!def) throw new FilterError(`${op.pos}: "${t.v}" is a protocol and cannot be compared`, op.pos);
      i++;
      return { k: 'cmp', name, get: def[2], op: cmp, v: value() };
    }
    if (isWord('contains')) { i++; return { k: 'contains', get: def ? def[2] : () => null, v: value() }; }
    if (isWord('in')) {
      i++;
      if (!isOp('{')) fail('expected "{" after "in"');
      i++;
      const vals = [];
      while (!isOp('}')) {
        if (peek().t === 'end') fail('expected "}"');
        const a = value();
        if (isOp('..')) { i++; vals.push([a, value()]); } else vals.push([a, a]);
      }
      i++;
      return { k: 'in', name, get: def[2], vals };
    }
    return def ? { k: 'has', get: def[2] } : { k: 'proto', test: PROTOS[name] };
  }
  const e = or();
  if (peek().t !== 'end') fail('expected "and", "or" or the end');
  return e;
}

function ipNum(a) {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(a ?? '');
  return m ? ((+m[1] << 24) >>> 0) + (+m[2] << 16) + (+m[3] << 8) + +m[4] : null;
}
function cmpOne(x, op, v) {
  if (x === null || x === undefined) return false;
  if (typeof x === 'number') {
    const n = Number(v);
    if (!Number.isFinite(n)) return false;
    return { eq: x === n, ne: x !== n, gt: x > n, lt: x < n, ge: x >= n, le: x <= n }[op];
  }
  const cidr = /^([\d.]+)\/(\d+)$/.exec(v);
  if (cidr && ipNum(x) !== null) {
    const bits = Number(cidr[2]);
    const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
    const eq = ((ipNum(x) & mask) >>> 0) === ((ipNum(cidr[1]) & mask) >>> 0);
    return op === 'eq' ? eq : op === 'ne' ? !eq : false;
  }
  const a = String(x).toLowerCase(), b = String(v).toLowerCase();
  return { eq: a === b, ne: a !== b, gt: a > b, lt: a < b, ge: a >= b, le: a <= b }[op];
}
function evalFilter(e, p) {
  switch (e.k) {
    case 'or': return evalFilter(e.l, p) || evalFilter(e.r, p);
    case 'and': return evalFilter(e.l, p) && evalFilter(e.r, p);
    case 'not': return !evalFilter(e.e, p);
    case 'proto': return e.test(p);
    case 'has': { const x = e.get(p); return Array.isArray(x) ? x.some((y) => y != null) : x != null; }
    case 'contains': { const x = e.get(p); return (Array.isArray(x) ? x : [x]).some((y) => y != null && String(y).includes(e.v)); }
    case 'in': { const x = e.get(p); return (Array.isArray(x) ? x : [x]).some((y) => e.vals.some(([lo, hi]) => cmpOne(y, 'ge', lo) && cmpOne(y, 'le', hi))); }
    case 'cmp': {
      const x = e.get(p);
      const xs = Array.isArray(x) ? x : [x];
      // Wireshark 4: a != b is !(a == b)
      if (e.op === 'ne') return !xs.some((y) => cmpOne(y, 'eq', e.v));
      return xs.some((y) => cmpOne(y, e.op, e.v));
    }
  }
  return false;
}
/** frame.number bounds of the top-level conjunction (so a jump to frame F does not scan frames 1..F). */
function frameBounds(e, b = { min: 1, max: Infinity, only: true }) {
  if (!e) return b;
  if (e.k === 'and') { frameBounds(e.l, b); frameBounds(e.r, b); return b; }
  if (e.k === 'cmp' && e.name === 'frame.number' && /^\d+$/.test(e.v)) {
    const n = Number(e.v);
    if (e.op === 'gt') b.min = Math.max(b.min, n + 1);
    else if (e.op === 'ge') b.min = Math.max(b.min, n);
    else if (e.op === 'lt') b.max = Math.min(b.max, n - 1);
    else if (e.op === 'le') b.max = Math.min(b.max, n);
    else if (e.op === 'eq') { b.min = Math.max(b.min, n); b.max = Math.min(b.max, n); }
    else b.only = false;
    return b;
  }
  b.only = false;
  return b;
}

// ---------------------------------------------------------------------------------------------------------------
// Scope: capture ids, from/to, q

function timeParam(q, name) {
  const v = q.get(name);
  if (v === null || v === '') return null;
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v);
  const ms = Date.parse(v);
  if (Number.isNaN(ms)) throw new HttpError(400, `${name} must be epoch seconds or ISO 8601`);
  return ms / 1000;
}
function scopeOf(q) {
  const capS = q.get('capture');
  let caps = captures.map((c) => c.id);
  if (capS) {
    if (!/^\d+(,\d+)*$/.test(capS)) throw new HttpError(400, `capture must be ids, got "${capS}"`);
    caps = capS.split(',').map(Number);
    for (const id of caps) if (!store.has(id)) throw new HttpError(404, `no capture ${id}`);
  }
  caps.sort((a, b) => a - b);
  const from = timeParam(q, 'from'), to = timeParam(q, 'to');
  const text = q.get('q') ?? '';
  let ast = null;
  if (text.trim()) {
    try { ast = parseFilter(text); } catch (e) {
      if (e instanceof FilterError) throw Object.assign(new HttpError(400, e.message), { position: e.position });
      throw e;
    }
  }
  const test = (p) => (from === null || Number(p.ts) >= from) && (to === null || Number(p.ts) <= to) && (!ast || evalFilter(ast, p));
  return { caps, from, to, ast, test };
}
/** Rows of the scope in (capture, frame) order, starting after the cursor [capture, frame]. */
function* scan(scope, after = [0, 0]) {
  const b = frameBounds(scope.ast);
  for (const id of scope.caps) {
    if (id < after[0]) continue;
    const s = store.get(id);
    const start = Math.max(b.min, id === after[0] ? after[1] + 1 : 1);
    const end = Math.min(b.max, s.count);
    for (let f = start; f <= end; f++) {
      const p = s.get(f);
      if (p && scope.test(p)) yield p;
    }
  }
}
function count(scope) {
  const b = frameBounds(scope.ast);
  if (b.only && scope.from === null && scope.to === null) {
    return scope.caps.reduce((a, id) => a + Math.max(0, Math.min(b.max, store.get(id).count) - b.min + 1), 0);
  }
  let n = 0;
  for (const _ of scan(scope)) n++;
  return n;
}
const cursor = (p) => Buffer.from(`${p.capture_id}:${p.frame}`).toString('base64url');
function afterParam(q) {
  const v = q.get('after');
  if (v === null || v === '') return [0, 0];
  const m = /^(\d+):(\d+)$/.exec(Buffer.from(v, 'base64url').toString());
  if (!m) throw new HttpError(400, 'bad cursor');
  return [Number(m[1]), Number(m[2])];
}
function limitParam(q, max = 1000) {
  const v = q.get('limit') ?? '100';
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > max) throw new HttpError(400, `limit must be between 1 and ${max}`);
  return Number(v);
}
function page(q) {
  const scope = scopeOf(q);
  const limit = limitParam(q);
  const out = [];
  let more = false;
  for (const p of scan(scope, afterParam(q))) {
    if (out.length === limit) { more = true; break; }
    out.push(p);
  }
  return { packets: out, next: more ? cursor(out.at(-1)) : null };
}
function allRows(scope) {
  return [...scan(scope)];
}
function findPacket(id) {
  for (const s of store.values()) {
    if (!s.rows) { if (id > 10_000_000) return s.get(id - 10_000_000); continue; }
    const p = s.rows.find((r) => r.id === id);
    if (p) return p;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Frame bytes and the layer tree, synthesized from a row (the real Analyzer decodes the stored frame).

function macBytes(m) {
  const parts = /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(m ?? '') ? m.split(':').map((x) => parseInt(x, 16)) : [0, 0, 0, 0, 0, 0];
  return parts;
}
function frameOf(p) {
  const b = [];
  const layers = [];
  const f = (name, label, value, offset, length) => ({ name, label, value, offset, length });
  b.push(...macBytes(p.eth_dst), ...macBytes(p.eth_src));
  const isV4 = !!v4(p.src_ip), isV6 = !!v6(p.src_ip);
  const etype = p.protocol === 'ARP' ? 0x0806 : isV6 ? 0x86dd : 0x0800;
  b.push(etype >> 8, etype & 255);
  layers.push({ name: 'eth', offset: 0, length: 14, fields: [
    f('eth.dst', 'Destination', p.eth_dst, 0, 6), f('eth.src', 'Source', p.eth_src, 6, 6),
    f('eth.type', 'Type', `0x${etype.toString(16).padStart(4, '0')}`, 12, 2)] });
  let off = 14;
  if (isV4) {
    const ipb = [0x45, 0, (p.len - 14) >> 8, (p.len - 14) & 255, 0x12, 0x34, 0x40, 0, 64, p.ip_proto ?? 0, 0xbe, 0xef,
      ...p.src_ip.split('.').map(Number), ...p.dst_ip.split('.').map(Number)];
    b.push(...ipb);
    layers.push({ name: 'ip', offset: off, length: 20, fields: [
      f('ip.version', 'Version', 4, off, 1), f('ip.len', 'Total Length', p.len - 14, off + 2, 2),
      f('ip.id', 'Identification', '0x1234', off + 4, 2), f('ip.ttl', 'Time to Live', 64, off + 8, 1),
      f('ip.proto', 'Protocol', p.ip_proto, off + 9, 1), f('ip.checksum', 'Header Checksum', '0xbeef', off + 10, 2),
      f('ip.src', 'Source Address', p.src_ip, off + 12, 4), f('ip.dst', 'Destination Address', p.dst_ip, off + 16, 4)] });
    off += 20;
  } else if (isV6) {
    b.push(0x60, 0, 0, 0, 0, 0, p.ip_proto ?? 59, 64, ...new Array(32).fill(0).map((_, i) => (i * 7) & 255));
    layers.push({ name: 'ipv6', offset: off, length: 40, fields: [
      f('ipv6.nxt', 'Next Header', p.ip_proto, off + 6, 1), f('ipv6.hlim', 'Hop Limit', 64, off + 7, 1),
      f('ipv6.src', 'Source Address', p.src_ip, off + 8, 16), f('ipv6.dst', 'Destination Address', p.dst_ip, off + 24, 16)] });
    off += 40;
  }
  if (p.ip_proto === 6 && p.src_port !== null) {
    b.push(p.src_port >> 8, p.src_port & 255, p.dst_port >> 8, p.dst_port & 255, 0, 0, 0, 1, 0, 0, 0, 1, 0x50, 0x10, 0xff, 0xff, 0, 0, 0, 0);
    layers.push({ name: 'tcp', offset: off, length: 20, fields: [
      f('tcp.srcport', 'Source Port', p.src_port, off, 2), f('tcp.dstport', 'Destination Port', p.dst_port, off + 2, 2),
      f('tcp.seq_raw', 'Sequence Number (raw)', 1, off + 4, 4), f('tcp.ack_raw', 'Acknowledgment number (raw)', 1, off + 8, 4),
      f('tcp.flags', 'Flags', '0x010', off + 12, 2), f('tcp.window_size_value', 'Window', 65535, off + 14, 2),
      f('tcp.stream', 'Stream index', p.stream, -1, 0)] });
    off += 20;
  } else if (p.ip_proto === 17 && p.src_port !== null) {
    const ul = Math.max(8, p.len - off);
    b.push(p.src_port >> 8, p.src_port & 255, p.dst_port >> 8, p.dst_port & 255, ul >> 8, ul & 255, 0, 0);
    layers.push({ name: 'udp', offset: off, length: 8, fields: [
      f('udp.srcport', 'Source Port', p.src_port, off, 2), f('udp.dstport', 'Destination Port', p.dst_port, off + 2, 2),
      f('udp.length', 'Length', ul, off + 4, 2), f('udp.stream', 'Stream index', p.stream, -1, 0)] });
    off += 8;
  }
  const payload = Buffer.from(p.summary, 'utf8');
  const room = Math.max(0, p.len - off);
  for (let i = 0; i < room; i++) b.push(i < payload.length ? payload[i] : 0);
  const app = p.protocol.toLowerCase();
  if (room > 0 && !['tcp', 'udp'].includes(app)) {
    layers.push({ name: app, offset: off, length: room, fields: [
      f(`${app}.info`, 'Summary', p.summary, off, Math.min(room, payload.length) || room)] });
  }
  const bytes = Buffer.from(b.slice(0, Math.max(p.len, off)));
  return { bytes, layers };
}
function pcapOf(rows) {
  const head = Buffer.alloc(24);
  head.writeUInt32LE(0xa1b23c4d, 0); head.writeUInt16LE(2, 4); head.writeUInt16LE(4, 6);
  head.writeUInt32LE(262144, 16); head.writeUInt32LE(1, 20);
  const parts = [head];
  for (const p of rows) {
    const { bytes } = frameOf(p);
    const rec = Buffer.alloc(16);
    const [s, f] = p.ts.split('.');
    rec.writeUInt32LE(Number(s), 0); rec.writeUInt32LE(Number(f), 4);
    rec.writeUInt32LE(bytes.length, 8); rec.writeUInt32LE(bytes.length, 12);
    parts.push(rec, bytes);
  }
  return Buffer.concat(parts);
}

// ---------------------------------------------------------------------------------------------------------------
// Flows (conversations by capture, transport and stream)

function flowsOf(scope) {
  const m = new Map();
  for (const p of scan({ ...scope, ast: null, test: (r) => scopeTime(scope, r) })) {
    if (p.stream === null || (p.ip_proto !== 6 && p.ip_proto !== 17)) continue;
    const key = `${p.capture_id}/${p.ip_proto}/${p.stream}`;
    let fl = m.get(key);
    if (!fl) {
      fl = { id: p.capture_id * 100000 + p.ip_proto * 1000 + p.stream, capture_id: p.capture_id, ip_proto: p.ip_proto, stream: p.stream,
        client_ip: p.src_ip, server_ip: p.dst_ip, client_port: p.src_port, server_port: p.dst_port,
        first_ts: p.ts, last_ts: p.ts, duration: 0, packets_c2s: 0, packets_s2c: 0, bytes_c2s: 0, bytes_s2c: 0,
        tcp_state: p.ip_proto === 6 ? 'established' : null, app: null, app_by: null, server_name: null, _rows: [] };
      m.set(key, fl);
    }
    const c2s = p.src_ip === fl.client_ip && p.src_port === fl.client_port;
    if (c2s) { fl.packets_c2s++; fl.bytes_c2s += p.len; } else { fl.packets_s2c++; fl.bytes_s2c += p.len; }
    fl.last_ts = p.ts;
    fl.duration = Number((Number(p.ts) - Number(fl.first_ts)).toFixed(6));
    const proto = p.protocol;
    if (!fl.app && proto !== 'TCP' && proto !== 'UDP') { fl.app = proto; fl.app_by = 'port'; }
    const sni = /SNI=([^)]+)/.exec(p.summary)?.[1];
    if (sni) { fl.server_name = sni; fl.app_by = 'sni'; }
    if (/\bRST\b/.test(p.summary)) fl.tcp_state = 'reset';
    fl._rows.push(p);
  }
  let flows = [...m.values()];
  if (scope.ast) flows = flows.filter((fl) => fl._rows.some((p) => evalFilter(scope.ast, p)));
  return flows;
}
function scopeTime(scope, p) {
  return (scope.from === null || Number(p.ts) >= scope.from) && (scope.to === null || Number(p.ts) <= scope.to);
}
const publicFlow = ({ _rows, ...fl }) => fl;
function findFlow(id) {
  return flowsOf({ caps: captures.map((c) => c.id).filter((c) => store.get(c).rows), from: null, to: null, ast: null, test: () => true })
    .find((f) => f.id === id);
}

// ---------------------------------------------------------------------------------------------------------------
// Statistics

function hierarchy(rows) {
  const root = { children: new Map() };
  for (const p of rows) {
    const path = ['eth'];
    if (v4(p.src_ip)) path.push('ip'); else if (v6(p.src_ip)) path.push('ipv6');
    if (p.ip_proto === 6) path.push('tcp'); else if (p.ip_proto === 17) path.push('udp');
    const app = p.protocol.toLowerCase();
    if (!path.includes(app)) path.push(app);
    let node = root;
    for (const name of path) {
      let child = node.children.get(name);
      if (!child) { child = { protocol: name, packets: 0, bytes: 0, children: new Map() }; node.children.set(name, child); }
      child.packets++; child.bytes += p.len;
      node = child;
    }
  }
  const out = (n) => [...n.children.values()].sort((a, b) => b.packets - a.packets)
    .map((c) => ({ protocol: c.protocol, packets: c.packets, bytes: c.bytes, children: out(c) }));
  return out(root);
}
function conversations(rows, type) {
  const first = rows.length ? Number(rows[0].ts) : 0;
  const m = new Map();
  for (const p of rows) {
    let a, b, ap = null, bp = null;
    if (type === 'eth') { a = p.eth_src; b = p.eth_dst; }
    else if (type === 'ip' || type === 'ipv6') {
      const ok = type === 'ip' ? v4(p.src_ip) : v6(p.src_ip);
      if (!ok) continue;
      a = p.src_ip; b = p.dst_ip;
    } else {
      if (p.ip_proto !== (type === 'tcp' ? 6 : 17) || p.src_port === null) continue;
      a = p.src_ip; b = p.dst_ip; ap = p.src_port; bp = p.dst_port;
    }
    const fwd = `${a}|${ap}` <= `${b}|${bp}`;
    const key = fwd ? `${a}|${ap}|${b}|${bp}` : `${b}|${bp}|${a}|${ap}`;
    let c = m.get(key);
    if (!c) {
      c = fwd ? { a, b, a_port: ap, b_port: bp } : { a: b, b: a, a_port: bp, b_port: ap };
      Object.assign(c, { packets_ab: 0, bytes_ab: 0, packets_ba: 0, bytes_ba: 0, packets: 0, bytes: 0, start: Number(p.ts) - first, _last: Number(p.ts) });
      m.set(key, c);
    }
    if (c.a === a && c.a_port === ap) { c.packets_ab++; c.bytes_ab += p.len; } else { c.packets_ba++; c.bytes_ba += p.len; }
    c.packets++; c.bytes += p.len; c._last = Number(p.ts);
  }
  return [...m.values()].map(({ _last, ...c }) => ({ ...c, start: Number(c.start.toFixed(6)), duration: Number((_last - first - c.start).toFixed(6)) }))
    .sort((x, y) => y.bytes - x.bytes);
}
function endpoints(rows, type) {
  const m = new Map();
  const add = (address, port, dir, len) => {
    const key = `${address}|${port}`;
    let e = m.get(key);
    if (!e) { e = { address, port, packets: 0, bytes: 0, tx_packets: 0, tx_bytes: 0, rx_packets: 0, rx_bytes: 0 }; m.set(key, e); }
    e.packets++; e.bytes += len;
    if (dir === 'tx') { e.tx_packets++; e.tx_bytes += len; } else { e.rx_packets++; e.rx_bytes += len; }
  };
  for (const p of rows) {
    if (type === 'eth') { add(p.eth_src, null, 'tx', p.len); add(p.eth_dst, null, 'rx', p.len); continue; }
    if (type === 'ip' || type === 'ipv6') {
      if (!(type === 'ip' ? v4(p.src_ip) : v6(p.src_ip))) continue;
      add(p.src_ip, null, 'tx', p.len); add(p.dst_ip, null, 'rx', p.len); continue;
    }
    if (p.ip_proto !== (type === 'tcp' ? 6 : 17) || p.src_port === null) continue;
    add(p.src_ip, p.src_port, 'tx', p.len); add(p.dst_ip, p.dst_port, 'rx', p.len);
  }
  return [...m.values()].sort((a, b) => b.bytes - a.bytes);
}
function counted(values) {
  const m = new Map();
  for (const v of values) if (v != null) m.set(v, (m.get(v) ?? 0) + 1);
  return [...m.entries()].map(([value, count]) => ({ value: String(value), count })).sort((a, b) => b.count - a.count || a.value.localeCompare(b.value));
}
function io(rows, interval) {
  const m = new Map();
  for (const p of rows) {
    const t = Math.floor(Number(p.ts) / interval) * interval;
    const b = m.get(t) ?? { t, packets: 0, bytes: 0 };
    b.packets++; b.bytes += p.len;
    m.set(t, b);
  }
  return [...m.values()].sort((a, b) => a.t - b.t);
}
/** Statistics over the scope; a huge synthetic capture is sampled to its first 200k rows. */
function statRows(scope) {
  const out = [];
  for (const p of scan(scope)) { out.push(p); if (out.length >= 200_000) break; }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Server-sent events, uploads, live captures

const sse = new Set();
function emit(event, data) {
  const msg = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
  for (const res of sse) res.write(msg);
}
function newCapture(name, source, state) {
  const id = nextCaptureId++;
  const c = { id, name, source, state, packets: 0, bytes: 0, first_ts: null, last_ts: null, link_types: [1], report: {},
    created_at: new Date().toISOString() };
  captures.push(c);
  store.set(id, arrayStore([]));
  return c;
}
function addPackets(c, n, baseNs) {
  const s = store.get(c.id);
  const r = rng(c.id * 31 + s.rows.length);
  for (let k = 0; k < n; k++) {
    const frame = s.rows.length + 1;
    const ns = baseNs + BigInt(k) * 1_000_000n + BigInt(int(r, 0, 999_999));
    s.rows.push(makePacket(r, c, frame, fmtTs(ns), nextPacketId++));
  }
  captureStats(c);
}
function upload(req, res, name) {
  let size = 0;
  req.on('data', (d) => { size += d.length; if (size > 512 * 1024 * 1024) req.destroy(); });
  req.on('end', () => {
    const c = newCapture(name || 'upload.pcap', `upload:${name}`, 'importing');
    const total = Math.max(20, Math.min(4000, Math.floor(size / 120)));
    const steps = 8;
    let step = 0;
    const start = BigInt(Date.now() - 3_600_000) * 1_000_000n;
    const t = setInterval(() => {
      step++;
      addPackets(c, Math.ceil(total / steps), start + BigInt(step) * 1_000_000_000n);
      if (step >= steps) { c.state = 'complete'; clearInterval(t); }
      emit('progress', { capture: c.id, packets: c.packets, bytes: Math.min(size, Math.round((size * step) / steps)), bytes_total: size, state: c.state });
      if (c.state === 'complete') emit('capture', { id: c.id, state: c.state, packets: c.packets, bytes: c.bytes });
    }, 250);
    sendJson(res, 202, { id: c.id });
  });
}
const live = new Map(); // capture id → timer
function startLive(body) {
  const iface = body?.interface;
  if (typeof iface !== 'string' || !INTERFACES.some((i) => i.name === iface)) throw new HttpError(400, `unknown interface "${iface}"`);
  const c = newCapture(`live-${iface}`, `live:${iface}${body.filter ? ` (${body.filter})` : ''}`, 'live');
  let last = 0, lastT = Date.now();
  const timer = setInterval(() => {
    addPackets(c, 1 + Math.floor(Math.random() * 6), BigInt(Date.now()) * 1_000_000n);
  }, 200);
  const counters = setInterval(() => {
    const now = Date.now();
    emit('counters', { capture: c.id, packets: c.packets, bytes: c.bytes, pps: Math.round(((c.packets - last) * 1000) / (now - lastT)), drops: 0 });
    last = c.packets; lastT = now;
  }, 1000);
  live.set(c.id, () => { clearInterval(timer); clearInterval(counters); });
  return c.id;
}
const INTERFACES = [
  { name: 'lo', description: 'Loopback', addresses: ['127.0.0.1', '::1'], up: true, loopback: true },
  { name: 'eth0', description: 'Ethernet', addresses: ['192.168.1.23'], up: true, loopback: false },
  { name: 'wlan0', description: 'Wi-Fi', addresses: [], up: false, loopback: false },
];

// ---------------------------------------------------------------------------------------------------------------
// HTTP

class HttpError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

const FIELD_LIST = [
  ...Object.entries(FIELD_DEFS).map(([name, [type, label]]) => ({ name, type, label })),
  ...Object.keys(PROTOS).map((name) => ({ name, type: 'protocol', label: name.toUpperCase() })),
].sort((a, b) => a.name.localeCompare(b.name));

function route(method, url) {
  const q = url.searchParams;
  const path = url.pathname;
  let m;
  if (method === 'GET') {
    switch (path) {
      case '/healthz': case '/readyz': return { ok: true };
      case '/captures': return captures;
      case '/protocol_summary': {
        const mm = new Map();
        for (const p of statRows(scopeOf(q))) {
          const e = mm.get(p.protocol) ?? { protocol: p.protocol, packets: 0, bytes: 0 };
          e.packets++; e.bytes += p.len;
          mm.set(p.protocol, e);
        }
        return [...mm.values()].sort((a, b) => b.packets - a.packets || a.protocol.localeCompare(b.protocol));
      }
      case '/packets': case '/filter':
        if (q.get('q') === 'boom') throw new HttpError(500, 'simulated failure');
        return page(q);
      case '/count': return { count: count(scopeOf(q)) };
      case '/filter/check': scopeOf(new URLSearchParams({ q: q.get('q') ?? '' })); return { ok: true };
      case '/fields': return FIELD_LIST;
      case '/interfaces': return INTERFACES;
      case '/flows': {
        const sort = q.get('sort') ?? 'bytes';
        const order = q.get('order') === 'asc' ? 1 : -1;
        const key = { bytes: (f) => f.bytes_c2s + f.bytes_s2c, packets: (f) => f.packets_c2s + f.packets_s2c,
          first_ts: (f) => Number(f.first_ts), duration: (f) => f.duration }[sort];
        if (!key) throw new HttpError(400, `sort must be bytes, packets, first_ts or duration`);
        const flows = flowsOf(scopeOf(q)).map(publicFlow).sort((a, b) => (key(a) - key(b)) * order || a.id - b.id);
        const limit = limitParam(q);
        const after = q.get('after') ? Number(Buffer.from(q.get('after'), 'base64url').toString()) : 0;
        const slice = flows.slice(after, after + limit);
        return { flows: slice, next: after + limit < flows.length ? Buffer.from(String(after + limit)).toString('base64url') : null };
      }
      case '/stats/hierarchy': { const rows = statRows(scopeOf(q)); return { packets: rows.length, bytes: rows.reduce((a, p) => a + p.len, 0), tree: hierarchy(rows) }; }
      case '/stats/conversations': { const type = q.get('type') ?? 'ip'; return { type, conversations: conversations(statRows(scopeOf(q)), type).slice(0, 500) }; }
      case '/stats/endpoints': { const type = q.get('type') ?? 'ip'; return { type, endpoints: endpoints(statRows(scopeOf(q)), type).slice(0, 500) }; }
      case '/stats/ports': {
        const type = q.get('type');
        if (type !== 'tcp' && type !== 'udp') throw new HttpError(400, 'type must be tcp or udp');
        const m = new Map();
        for (const p of statRows(scopeOf(q))) {
          if (p.ip_proto !== (type === 'tcp' ? 6 : 17) || p.src_port == null || p.dst_port == null) continue;
          const port = Math.min(p.src_port, p.dst_port);
          const e = m.get(port) ?? { port, packets: 0, bytes: 0 };
          e.packets++; e.bytes += p.len;
          m.set(port, e);
        }
        return { type, ports: [...m.values()].sort((a, b) => b.packets - a.packets || a.port - b.port).slice(0, 500) };
      }
      case '/flows/count': return { flows: flowsOf(scopeOf(q)).length };
      case '/stats/io': {
        const interval = Number(q.get('interval') ?? 1);
        if (!(interval > 0)) throw new HttpError(400, 'interval must be > 0');
        return { interval, buckets: io(statRows(scopeOf(q)), interval) };
      }
      case '/stats/dns': {
        const rows = statRows(scopeOf(q)).filter((p) => p.protocol === 'DNS' || p.protocol === 'MDNS');
        return {
          names: counted(rows.map((p) => FIELD_DEFS['dns.qry.name'][2]({ ...p, protocol: 'DNS' }))),
          types: counted(rows.map((p) => /\b(A|AAAA|HTTPS|PTR)\b/.exec(p.summary)?.[1])),
          rcodes: counted(rows.filter((p) => p.summary.includes('response')).map(() => 'NoError')),
        };
      }
      case '/stats/http': {
        const rows = statRows(scopeOf(q)).filter((p) => p.protocol === 'HTTP');
        return {
          hosts: counted(rows.filter((p) => /^(GET|POST)/.test(p.summary)).map((p) => NAMES[(p.stream ?? 0) % NAMES.length])),
          methods: counted(rows.map((p) => /^(GET|POST|PUT|HEAD)\b/.exec(p.summary)?.[1])),
          status_codes: counted(rows.map((p) => /^HTTP\/1\.1 (\d+)/.exec(p.summary)?.[1])),
          user_agents: counted(rows.filter((p) => /^(GET|POST)/.test(p.summary)).map(() => 'curl/8.4.0')),
        };
      }
      case '/stats/tls': {
        const rows = statRows(scopeOf(q)).filter((p) => p.protocol.startsWith('TLS'));
        return {
          server_names: counted(rows.map((p) => /SNI=([^)]+)/.exec(p.summary)?.[1])),
          versions: counted(rows.map((p) => p.protocol)),
          ja3: counted(rows.filter((p) => p.summary.startsWith('Client Hello')).map(() => '771,4865-4866-4867,0-23-65281,29-23-24,0')),
          ja4: counted(rows.filter((p) => p.summary.startsWith('Client Hello')).map(() => 't13d1516h2_8daaf6152771_b0da82dd1658')),
        };
      }
      case '/stats/anomalies': {
        const mm = new Map();
        for (const p of statRows(scopeOf(q))) {
          const names = [];
          if (p.malformed) names.push('malformed_packet');
          if (/\bRST\b/.test(p.summary)) names.push('tcp_reset');
          for (const name of names) {
            const key = `${p.capture_id}/${name}`;
            const a = mm.get(key) ?? { name, count: 0, first_frame: p.frame, capture_id: p.capture_id };
            a.count++;
            mm.set(key, a);
          }
        }
        return { anomalies: [...mm.values()].sort((a, b) => b.count - a.count) };
      }
    }
    if ((m = /^\/packets\/(\d+)$/.exec(path))) {
      const p = findPacket(Number(m[1]));
      if (!p) throw new HttpError(404, `no packet ${m[1]}`);
      const { bytes, layers } = frameOf(p);
      const frameLayer = { name: 'frame', offset: 0, length: bytes.length, fields: [
        { name: 'frame.number', label: 'Frame Number', value: p.frame, offset: -1, length: 0 },
        { name: 'frame.time_epoch', label: 'Epoch Arrival Time', value: p.ts, offset: -1, length: 0 },
        { name: 'frame.len', label: 'Frame Length', value: p.len, offset: -1, length: 0 },
        { name: 'frame.cap_len', label: 'Capture Length', value: p.caplen, offset: -1, length: 0 }] };
      return { packet: p, layers: [frameLayer, ...layers], bytes: bytes.toString('hex') };
    }
    if ((m = /^\/flows\/(\d+)(\/stream)?$/.exec(path))) {
      const fl = findFlow(Number(m[1]));
      if (!fl) throw new HttpError(404, `no flow ${m[1]}`);
      if (!m[2]) return publicFlow(fl);
      return { flow: publicFlow(fl), segments: fl._rows.map((p) => ({
        dir: p.src_ip === fl.client_ip && p.src_port === fl.client_port ? 0 : 1, frame: p.frame, ts: p.ts,
        data: Buffer.from(`${p.summary}\r\n`).toString('base64') })) };
    }
  }
  throw new HttpError(404, `no route ${method} ${path}`);
}

function sendJson(res, status, body) {
  const json = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(json) });
  res.end(json);
}
function readJson(req) {
  return new Promise((resolve, reject) => {
    let s = '';
    req.on('data', (d) => (s += d));
    req.on('end', () => { try { resolve(s ? JSON.parse(s) : {}); } catch { reject(new HttpError(400, 'body is not JSON')); } });
  });
}

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://mock');
  const path = url.pathname;
  console.log(`${req.method} ${req.url}`);
  try {
    if (req.method === 'GET' && path === '/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
      res.write(': hello\n\n');
      sse.add(res);
      req.on('close', () => sse.delete(res));
      return;
    }
    let m;
    if (req.method === 'GET' && (path === '/export.pcap' || /^\/flows\/\d+\/export\.pcap$/.test(path))) {
      let rows;
      if (path === '/export.pcap') rows = allRows(scopeOf(url.searchParams));
      else {
        const fl = findFlow(Number(path.split('/')[2]));
        if (!fl) throw new HttpError(404, 'no such flow');
        rows = fl._rows;
      }
      const buf = pcapOf(rows);
      res.writeHead(200, { 'content-type': 'application/vnd.tcpdump.pcap', 'content-length': buf.length,
        'content-disposition': `attachment; filename="pktlens-export.pcap"` });
      res.end(buf);
      return;
    }
    if (req.method === 'POST' && path === '/captures') return upload(req, res, url.searchParams.get('name') ?? '');
    if (req.method === 'POST' && path === '/captures/live') return sendJson(res, 201, { id: startLive(await readJson(req)) });
    if (req.method === 'DELETE' && (m = /^\/captures\/live\/(\d+)$/.exec(path))) {
      const id = Number(m[1]);
      const stop = live.get(id);
      if (!stop) throw new HttpError(404, `no live capture ${id}`);
      stop(); live.delete(id);
      const c = captures.find((x) => x.id === id);
      if (c) { c.state = 'complete'; emit('capture', { id, state: c.state, packets: c.packets, bytes: c.bytes }); }
      res.writeHead(204); res.end();
      return;
    }
    if (req.method === 'DELETE' && (m = /^\/captures\/(\d+)$/.exec(path))) {
      const id = Number(m[1]);
      const i = captures.findIndex((c) => c.id === id);
      if (i < 0) throw new HttpError(404, `no capture ${id}`);
      live.get(id)?.(); live.delete(id);
      captures.splice(i, 1); store.delete(id);
      res.writeHead(204); res.end();
      return;
    }
    const body = route(req.method ?? 'GET', url);
    setTimeout(() => sendJson(res, 200, body), DELAY_MS);
  } catch (e) {
    const status = e instanceof HttpError ? e.status : 500;
    const body = { error: e instanceof Error ? e.message : String(e) };
    if (e && typeof e.position === 'number') body.position = e.position;
    setTimeout(() => sendJson(res, status, body), DELAY_MS);
  }
});
server.listen(PORT, HOST, () => {
  console.log(`mock analyzer on http://${HOST}:${PORT} (${captures.length} captures)`);
});
