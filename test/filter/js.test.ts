/** The JS predicate: Wireshark 4 semantics over dissections with several occurrences of a field. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFilter, toPredicate } from '../../src/filter/index.js';
import { Dissection } from '../../src/dissect/dissection.js';
import { fieldByName } from '../../src/fields/catalog.js';
import { parseIpv6, parseMac } from '../../src/filter/parse.js';

const ip4 = (s: string): number => s.split('.').reduce((a, x) => a * 256 + Number(x), 0);

/** A dissection holding these fields (in order; a 'none' field starts a layer at `layerAt` bytes into buf). */
function pkt(fields: Array<[string, unknown]>, opts: { buf?: Uint8Array; layerAt?: Record<string, number>; ts?: [number, number]; protocol?: string } = {}): Dissection {
  const d = new Dissection();
  d.reset();
  d.buf = opts.buf ?? new Uint8Array(0);
  d.caplen = d.len = d.buf.length;
  if (opts.ts) [d.tsSec, d.tsNsec] = opts.ts;
  d.hasTs = opts.ts !== undefined;
  d.protocol = opts.protocol ?? '';
  d.layer('frame', 0, d.buf.length, fieldByName('frame')!.id);
  for (const [name, v] of fields) {
    const f = fieldByName(name);
    assert.ok(f, name);
    if (f.type === 'none') d.layer(name, opts.layerAt?.[name] ?? 0, d.buf.length, f.id);
    else d.add(f.id, v, 0, 0);
  }
  return d;
}

function yes(d: Dissection, ...filters: string[]): void {
  for (const f of filters) assert.equal(toPredicate(parseFilter(f))(d), true, `${f} should match`);
}
function no(d: Dissection, ...filters: string[]): void {
  for (const f of filters) assert.equal(toPredicate(parseFilter(f))(d), false, `${f} should not match`);
}

test('a tunnelled packet: any occurrence matches; != means present and none equal', () => {
  // IPv4 in IPv4: outer 10.0.0.1 → 10.0.0.2, inner 192.168.1.1 → 192.168.1.2; recorded src, addr, dst, addr per header
  const d = pkt([
    ['ip', true], ['ip.src', ip4('10.0.0.1')], ['ip.addr', ip4('10.0.0.1')], ['ip.dst', ip4('10.0.0.2')], ['ip.addr', ip4('10.0.0.2')], ['ip.ttl', 64],
    ['ip', true], ['ip.src', ip4('192.168.1.1')], ['ip.addr', ip4('192.168.1.1')], ['ip.dst', ip4('192.168.1.2')], ['ip.addr', ip4('192.168.1.2')], ['ip.ttl', 3],
  ]);
  yes(d, 'ip.src == 192.168.1.1', 'ip.src == 10.0.0.1', 'ip.addr == 192.168.1.2', 'ip.ttl < 10', 'ip.ttl > 10', 'ip.src != 1.1.1.1', 'ip.addr == 192.168.0.0/16 && ip.addr == 10.0.0.0/8');
  no(d, 'ip.src != 192.168.1.1', 'ip.addr != 10.0.0.0/8', '!(ip.src == 192.168.1.1)', 'ip.ttl == 10', 'ip.ttl ne 64');
  // a field that is absent: comparisons are false, != included; not(...) is true
  no(d, 'tcp.port != 80', 'tcp.port == 80', 'tcp.port > 0', 'tcp.port in {0..65535}', 'tcp');
  yes(d, '!(tcp.port == 80)', 'not tcp', '!tcp.port');
});

test('several DNS answers; in with ranges applies to one occurrence at a time', () => {
  const d = pkt([['dns', true], ['dns.a', ip4('1.2.3.4')], ['dns.a', ip4('5.6.7.8')], ['dns.resp.ttl', 10], ['dns.resp.ttl', 3000]]);
  yes(d, 'dns.a == 5.6.7.8', 'dns.a in {9.9.9.9, 5.6.7.8}', 'dns.a in {5.0.0.0..5.255.255.255}', 'dns.a != 9.9.9.9', 'dns.a > 5.0.0.0', 'dns.a < 2.0.0.0');
  no(d, 'dns.a != 1.2.3.4', 'dns.a == 9.9.9.9');
  // neither 10 nor 3000 lies in 100..2000, although one is >= 100 and one is <= 2000
  no(d, 'dns.resp.ttl in {100..2000}', 'dns.resp.ttl in {11, 2999}');
  yes(d, 'dns.resp.ttl >= 100 && dns.resp.ttl <= 2000', 'dns.resp.ttl in {1..10}', 'dns.resp.ttl in {3000 4000}', 'dns.resp.ttl in {2000..3000}');
});

test('either-side fields: tcp.port and eth.addr', () => {
  const mac = (s: string): Uint8Array => parseMac(s)!;
  const d = pkt([
    ['eth', true], ['eth.dst', mac('ff:ff:ff:ff:ff:ff')], ['eth.addr', mac('ff:ff:ff:ff:ff:ff')], ['eth.src', mac('00:1d:60:b3:01:84')], ['eth.addr', mac('00:1d:60:b3:01:84')],
    ['tcp', true], ['tcp.srcport', 50000], ['tcp.port', 50000], ['tcp.dstport', 80], ['tcp.port', 80],
  ]);
  yes(d, 'tcp.port == 80', 'tcp.port == 50000', 'tcp.port in {80, 443}', 'tcp.port in {1..1024}', 'tcp.dstport != 443', 'tcp.srcport > 1024 and tcp.dstport < 1024');
  no(d, 'tcp.port != 80', 'tcp.port in {1000..2000}', 'tcp.dstport != 80');
  // === is present-and-all-equal, !== and ~= some-occurrence-differs
  yes(d, 'tcp.port ~= 80', 'tcp.port !== 50000', 'tcp.port any_ne 80', 'tcp.dstport === 80', 'tcp.dstport all_eq 80', 'tcp.port any_eq 80', 'eth.addr ~= ff:ff:ff:ff:ff:ff');
  no(d, 'tcp.port === 80', 'tcp.dstport ~= 80', 'udp.port === 80', 'udp.port ~= 80', 'tcp.port all_ne 80');
  for (const m of ['00:1d:60:b3:01:84', '00-1d-60-b3-01-84', '001d.60b3.0184', '001d60b30184', '00:1D:60:B3:01:84']) yes(d, `eth.addr == ${m}`, `eth.src == ${m}`);
  yes(d, 'eth.dst == ffff.ffff.ffff', 'eth.addr contains 60:b3', 'eth.src < 01:00:00:00:00:00', 'eth.addr in {01:02:03:04:05:06, ff:ff:ff:ff:ff:ff}');
  no(d, 'eth.src contains ff:ff', 'eth.dst == 00:1d:60:b3:01:84', 'eth.addr != ff:ff:ff:ff:ff:ff');
});

test('CIDR for IPv4 and prefixes for IPv6, ordering', () => {
  const d = pkt([['ip.src', ip4('10.1.2.3')], ['ipv6.src', parseIpv6('fe80::1')], ['ipv6.dst', parseIpv6('2001:db8::53')]]);
  yes(d, 'ip.src == 10.0.0.0/8', 'ip.src == 10.1.0.0/16', 'ip.src == 0.0.0.0/0', 'ip.src == 10.1.2.3/32', 'ip.src == 10.1.2.0/24', 'ip.src > 10.1.2.2', 'ip.src <= 10.1.2.3');
  no(d, 'ip.src == 10.1.3.0/24', 'ip.src == 11.0.0.0/8', 'ip.src != 10.0.0.0/8', 'ip.src > 10.1.2.3');
  yes(d, 'ipv6.src == fe80::/10', 'ipv6.src == fe80::1', 'ipv6.src == FE80:0:0:0:0:0:0:1', 'ipv6.dst == 2001:db8::/32', 'ipv6.dst != fe80::/10', 'ipv6.dst < fe80::', 'ipv6.src in {::1, fe80::/64}', 'ipv6.src == ::/0');
  no(d, 'ipv6.src == fe80::2', 'ipv6.dst == 2001:db9::/32', 'ipv6.src == ff00::/8');
});

test('booleans stored as numbers or as true/false; unsigned fields against negative literals', () => {
  for (const v of [1, true]) {
    const d = pkt([['tcp.flags.syn', v], ['tcp.flags.ack', v === true ? false : 0], ['ip.ttl', 64]]);
    yes(d, 'tcp.flags.syn', 'tcp.flags.syn == 1', 'tcp.flags.syn == True', 'tcp.flags.syn == 2', 'tcp.flags.syn > 0', 'tcp.flags.ack == 0', 'tcp.flags.ack == False', 'tcp.flags.ack != 1', 'tcp.flags.ack');
    no(d, 'tcp.flags.syn == 0', 'tcp.flags.ack == 1', 'tcp.flags.syn != 1');
    // tshark 4.0: ip.ttl against -1 compares false whatever the operator, except != (present)
    no(d, 'ip.ttl == -1', 'ip.ttl > -1', 'ip.ttl >= -1', 'ip.ttl < -1');
    yes(d, 'ip.ttl != -1');
  }
});

test('strings: equality is case-sensitive, ordering, contains, matches (case-insensitive unless (?-i))', () => {
  const d = pkt([['http', true], ['http.host', 'www.Wikipedia.org'], ['http.request.method', 'GET']]);
  yes(d, 'http.host == "www.Wikipedia.org"', 'http.host == www.Wikipedia.org', 'http.host contains "Wiki"', 'http.host > "www.A"', 'http.request.method in {"GET", "HEAD"}', 'http.host != "www.wikipedia.org"');
  no(d, 'http.host == "www.wikipedia.org"', 'http.host contains "wiki"', 'http.request.method < "A"');
  yes(d, 'http.host matches "wikipedia"', 'http.host matches "^WWW\\\\."', 'http.host matches "(?-i)Wiki"', 'http.host matches "\\\\.org$"', 'http.host matches "[[:upper:]]"');
  no(d, 'http.host matches "(?-i)wiki"', 'http.host matches "^wiki"', 'http.host matches "\\\\.com$"');
  // PCRE's $ also matches before a final newline
  yes(pkt([['http.host', 'a.org\n']]), 'http.host matches "org$"');
  no(pkt([['http.host', 'a.org\n']]), 'http.host matches "org\\\\z"');
});

test('matches works on bytes as tshark\'s PCRE2 (not UTF mode): . is one byte, case folding ASCII only', () => {
  const d = pkt([['dns.qry.name', '小佛.example'], ['udp.payload', Uint8Array.from([0x41, 0xe0, 0xff, 0x00])]]);
  yes(d, 'dns.qry.name matches "^小"', 'dns.qry.name matches "^...佛"', 'dns.qry.name matches "^[小]"', 'dns.qry.name matches "\\\\xe5"', 'dns.qry.name matches "^\\xe5"', 'dns.qry.name matches "EXAMPLE$"');
  no(d, 'dns.qry.name matches "^.佛"', 'dns.qry.name matches "^\\\\w"');
  yes(d, 'udp.payload matches "a\\\\xe0"', 'udp.payload matches "\\\\xff\\\\x00$"', 'udp.payload matches "[\\\\x80-\\\\xff]{2}"', 'udp.payload matches "\\xff"', 'udp.payload matches "\\xe0"');
  no(d, 'udp.payload matches "\\\\xc0"', 'udp.payload matches "(?-i)a"', 'udp.payload matches "[\\\\x80-\\\\xff]{3}"');
});

test('bytes fields and protocols searched by their bytes', () => {
  const buf = Uint8Array.from(Buffer.concat([Buffer.from('000102030405', 'hex'), Buffer.from('GET /index.html HTTP/1.1\r\n\r\n\xff', 'latin1')]));
  const d = pkt([['tcp', true], ['tcp.payload', buf.subarray(6)]], { buf, layerAt: { tcp: 6 } });
  yes(d, 'tcp.payload contains "GET"', 'tcp.payload contains 47:45:54', 'tcp.payload contains 474554', 'tcp.payload contains 0d.0a.0d.0a', 'tcp.payload contains "\\xff"', 'tcp.payload matches "^get /"', 'tcp.payload matches "\\\\xff$"');
  yes(d, 'frame contains 00:01:02', 'frame contains "HTTP/1.1"', 'tcp contains "GET"', 'frame matches "index\\\\.html"', 'tcp.payload > 47', 'tcp.payload == 47:45:54:20:2f:69:6e:64:65:78:2e:68:74:6d:6c:20:48:54:54:50:2f:31:2e:31:0d:0a:0d:0a:ff');
  // bytes order shorter first, then byte by byte (Wireshark)
  yes(d, 'tcp.payload > ff:ff', 'tcp.payload < 00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00');
    no(d, 'tcp contains 00:01', 'tcp.payload contains "POST"', 'tcp.payload matches "(?-i)^get"', 'udp contains "GET"', 'tcp.payload == 47');
});

test('time fields compare to the nanosecond; float fields; fields computed from the frame', () => {
  const d = pkt([['dns', true], ['radiotap.datarate', 5.5]], { ts: [1700000000, 123456789], protocol: 'DNS' });
  d.relTime = 1.000899;
  yes(d, 'frame.time_epoch == 1700000000.123456789', 'frame.time_epoch > 1700000000.123456788', 'frame.time_epoch < 1700000000.12345679', 'frame.time_epoch >= 1700000000');
  no(d, 'frame.time_epoch > 1700000000.123456789', 'frame.time_epoch == 1700000000.1234567');
  yes(d, 'frame.time_relative == 1.000899', 'frame.time_relative > 1', 'frame.time_relative <= 1.0009', 'frame.time_relative');
  no(d, 'frame.time_relative < 1.000899');
  yes(d, 'radiotap.datarate == 5.5', 'radiotap.datarate > 5', 'radiotap.datarate in {1..6}');
  no(d, 'radiotap.datarate != 5.5', 'radiotap.datarate >= 6');
  yes(d, 'frame.protocols == "dns"', 'frame.protocols contains "dns"', '_ws.col.Protocol == "DNS"');
  no(pkt([]), 'frame.time_epoch', 'frame.time_epoch > 0');
});
