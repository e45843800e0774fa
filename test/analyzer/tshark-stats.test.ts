/**
 * Statistics agree with tshark 4.0's -z output on shared captures: the protocol hierarchy (`-z io,phs`),
 * conversations (`-z conv,TYPE`) and endpoints (`-z endpoints,TYPE`), exactly as tshark prints them (its byte
 * counts in conversations are printed with SI prefixes; ours are formatted the same way before comparing).
 * Each is asked twice: by capture only (the summary tables kept at ingest) and with time bounds that force the
 * scan of packets — both must agree with tshark.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { backendTest } from '../store/backends.js';
import { PCAPS } from '../store/util.js';
import { analyzerOn } from './helpers.js';

const FILES = ['pcpp-one_http_stream_rst.pcap', 'arkime-dns-wiresharkrepo.pcap', 'pcpp-example.pcap', 'tcpdump-dns_tcp.pcap', 'tcpdump-tcp-handshake-nano.pcap', 'zeek-5-pings.pcap'];
// hierarchies that differ from frame.protocols in tshark itself: reassembled PDUs listed as a 'tcp.segments' layer
// (pcpp-example); ICMP echo data, a part of the icmp tree in tshark (zeek-5-pings)
const NO_PHS = new Set(['pcpp-example.pcap', 'zeek-5-pings.pcap']);
// some files only on the server (PGlite is slower; the others cover it)
const SERVER_ONLY = new Set(['pcpp-example.pcap', 'tcpdump-dns_tcp.pcap', 'zeek-5-pings.pcap']);
// nanosecond timestamps: the whole-capture TCP/UDP answer comes from the flows table, whose times are timestamptz
// (microseconds), so conversation start times are compared to the microsecond there (and to the nanosecond by scan)
const NANO = new Set(['tcpdump-tcp-handshake-nano.pcap']);
/** Lines equal but for the start time (field 13), which may differ by up to 2 µs. */
function sameToTheMicrosecond(ours: string[], theirs: string[], what: string): void {
  const cut = (l: string) => l.split(' ').filter((_, i) => i !== 13).join(' ');
  assert.deepEqual(ours.map(cut), theirs.map(cut), what);
  const start = (l: string) => Number(l.split(' ')[13]);
  ours.forEach((l, i) => assert.ok(Math.abs(start(l) - start(theirs[i])) <= 2e-6, `${what}: ${l} vs ${theirs[i]}`));
}
const TYPES = ['eth', 'ip', 'ipv6', 'tcp', 'udp'] as const;

function tshark(file: string, z: string[]): string {
  return execFileSync('tshark', ['-n', '-q', '-r', file, ...z.flatMap((x) => ['-z', x])], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 26 });
}

/** tshark's format_size (SI prefixes, integer division), as in its conversation tables */
function formatSize(n: number): string {
  for (const [div, p] of [[1e15, 'P'], [1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']] as const) if (Math.floor(n / div) >= 10) return `${Math.floor(n / div)} ${p}B`;
  return `${n} bytes`;
}

/** Sections of tshark -q output by their title line. */
function sections(out: string): Map<string, string[]> {
  const m = new Map<string, string[]>();
  const lines = out.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!/^={10,}$/.test(lines[i]) || i + 1 >= lines.length || /^={10,}$/.test(lines[i + 1]) || !lines[i + 1]) continue;
    const title = lines[i + 1].trim();
    const body: string[] = [];
    for (let j = i + 2; j < lines.length && !/^={10,}$/.test(lines[j]); j++) body.push(lines[j]);
    m.set(title, body);
  }
  return m;
}

function phsLines(body: string[]): string[] {
  const out: string[] = [];
  const path: string[] = [];
  for (const l of body) {
    const m = /^( *)(\S+)\s+frames:(\d+) bytes:(\d+)$/.exec(l);
    if (!m) continue;
    const depth = m[1].length / 2;
    path.length = depth;
    path.push(m[2]);
    out.push(`${path.join(':')} ${m[3]} ${m[4]}`);
  }
  return out.sort();
}

function ourPhs(tree: any[], prefix = ''): string[] {
  return tree.flatMap((n) => [`${prefix}${n.protocol} ${n.packets} ${n.bytes}`, ...ourPhs(n.children, `${prefix}${n.protocol}:`)]).sort();
}

const splitAddr = (s: string, port: boolean): [string, string] => (port ? [s.slice(0, s.lastIndexOf(':')), s.slice(s.lastIndexOf(':') + 1)] : [s, '']);

function convLines(body: string[], port: boolean): string[] {
  const out: string[] = [];
  for (const l of body) {
    const m = /^(\S+)\s+<->\s+(\S+)\s+(\d+) (\d+ \w+)\s+(\d+) (\d+ \w+)\s+(\d+) (\d+ \w+)\s+([\d.]+)\s+([\d.]+)\s*$/.exec(l);
    if (!m) continue;
    const [a, ap] = splitAddr(m[1], port), [b, bp] = splitAddr(m[2], port);
    // <- is B→A, -> is A→B
    out.push([a, ap, b, bp, m[5], m[6], m[3], m[4], m[7], m[8], m[9], m[10]].join(' '));
  }
  return out.sort();
}

function ourConv(cs: any[], port: boolean): string[] {
  return cs.map((c) => [c.a, port ? c.a_port : '', c.b, port ? c.b_port : '', c.packets_ab, formatSize(c.bytes_ab), c.packets_ba, formatSize(c.bytes_ba),
    c.packets, formatSize(c.bytes), c.start.toFixed(9), c.duration.toFixed(4)].join(' ')).sort();
}

function endpointLines(body: string[], port: boolean): string[] {
  const out: string[] = [];
  for (const l of body) {
    const m = port ? /^(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$/.exec(l) : /^(\S+)\s+()(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$/.exec(l);
    if (m) out.push(m.slice(1).join(' '));
  }
  return out.sort();
}

function ourEndpoints(es: any[], port: boolean): string[] {
  return es.map((e) => [e.address, port ? e.port : '', e.packets, e.bytes, e.tx_packets, e.tx_bytes, e.rx_packets, e.rx_bytes].join(' ')).sort();
}

const TITLES: Record<string, [string, string]> = {
  eth: ['Ethernet Conversations', 'Ethernet Endpoints'], ip: ['IPv4 Conversations', 'IPv4 Endpoints'], ipv6: ['IPv6 Conversations', 'IPv6 Endpoints'],
  tcp: ['TCP Conversations', 'TCP Endpoints'], udp: ['UDP Conversations', 'UDP Endpoints'],
};

backendTest('statistics agree with tshark -z io,phs / conv / endpoints', { timeout: 120_000 }, async (t, env) => {
  const db = await env.open();
  const files = FILES.filter((f) => env.kind === 'postgres' || !SERVER_ONLY.has(f));
  const paths = files.map((f) => join(PCAPS, f));
  const { app, ids, get } = await analyzerOn(db, paths);
  try {
    for (let i = 0; i < files.length; i++) {
      const out = sections(tshark(paths[i], ['io,phs', ...TYPES.flatMap((x) => [`conv,${x}`, `endpoints,${x}`])]));
      for (const scope of [`capture=${ids[i]}`, `capture=${ids[i]}&from=1`]) {
        const what = `${files[i]} (${scope})`;
        const h = (await get(`/stats/hierarchy?${scope}`)).body;
        if (!NO_PHS.has(files[i])) assert.deepEqual(ourPhs(h.tree), phsLines(out.get('Protocol Hierarchy Statistics')!), `hierarchy of ${what}`);
        for (const type of TYPES) {
          const port = type === 'tcp' || type === 'udp';
          const c = await get(`/stats/conversations?type=${type}&limit=10000&${scope}`);
          assert.equal(c.status, 200);
          const ours = ourConv(c.body.conversations, port), theirs = convLines(out.get(TITLES[type][0])!, port);
          if (NANO.has(files[i]) && port && !scope.includes('from')) sameToTheMicrosecond(ours, theirs, `conv,${type} of ${what}`);
          else assert.deepEqual(ours, theirs, `conv,${type} of ${what}`);
          const e = await get(`/stats/endpoints?type=${type}&limit=10000&${scope}`);
          assert.deepEqual(ourEndpoints(e.body.endpoints, port), endpointLines(out.get(TITLES[type][1])!, port), `endpoints,${type} of ${what}`);
        }
      }
    }
  } finally {
    await app.close();
  }
});
