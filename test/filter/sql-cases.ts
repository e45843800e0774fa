/**
 * Display filters for the SQL back end's differential test, each as the text tshark reads and as the checked
 * expression built by hand (so that the SQL back end is tested without depending on the parser). Every operator and
 * every field type appears; values are chosen so that the shared captures have matches and non-matches.
 * Set members are separated by commas, as Wireshark 4 requires.
 */
import { fieldByName, fid, type FieldDef } from '../../src/fields/catalog.js';
import type { CmpOp, Expr, Value } from '../../src/filter/ast.js';
import { ip4Number, ip6Bytes, macBytes } from '../../src/store/record.js';
import type { Dissection } from '../../src/dissect/dissection.js';

function F(name: string): FieldDef {
  const f = fieldByName(name);
  if (!f) throw new Error(`no field ${name}`);
  return f;
}

export const num = (v: number): Value => ({ t: 'num', v });
export const str = (v: string): Value => ({ t: 'str', v });
export const bytes = (h: string): Value => ({ t: 'bytes', v: new Uint8Array(Buffer.from(h.replace(/:/g, ''), 'hex')) });
export const ip4 = (s: string): Value => {
  const [a, b] = s.split('/');
  return { t: 'ipv4', v: ip4Number(a), bits: b === undefined ? 32 : Number(b) };
};
export const ip6 = (s: string): Value => {
  const [a, b] = s.split('/');
  return { t: 'ipv6', v: ip6Bytes(a), bits: b === undefined ? 128 : Number(b) };
};
export const macv = (s: string): Value => ({ t: 'bytes', v: macBytes(s) });

export const has = (n: string): Expr => ({ kind: 'present', field: F(n) });
export const cmp = (n: string, op: CmpOp, value: Value): Expr => ({ kind: 'cmp', op, field: F(n), value });
export const inSet = (n: string, members: Array<Value | [Value, Value]>): Expr => ({
  kind: 'in', field: F(n), members: members.map((m) => (Array.isArray(m) ? { lo: m[0], hi: m[1] } : { lo: m })),
});
export const contains = (n: string, value: Value): Expr => ({ kind: 'contains', field: F(n), value });
/** pattern and flags as the parser hands them over: JavaScript source, case-insensitive ('i') as tshark 4.0 by default */
export const matches = (n: string, pattern: string, flags = 'i'): Expr => ({ kind: 'matches', field: F(n), pattern, flags });
export const and = (left: Expr, right: Expr): Expr => ({ kind: 'and', left, right });
export const or = (left: Expr, right: Expr): Expr => ({ kind: 'or', left, right });
export const not = (expr: Expr): Expr => ({ kind: 'not', expr });

export interface SqlCase {
  text: string;
  expr: Expr;
  /** for what tshark 4.0 cannot filter on (the _ws.col.* columns): the expected answer over the decode */
  ref?: (d: Dissection) => boolean;
}

/**
 * Where pktlens's decoder and tshark 4.0 disagree on the packet itself (not on the filter): on these captures the
 * SQL count is checked against the decode instead, with the same condition evaluated over the Dissection.
 */
export const DECODER_DIFFERS: Record<string, { files: string[]; why: string; ref: (d: Dissection) => boolean }> = {
  'tcp.analysis.retransmission': { files: ['arkime-wireshark-retrans.pcap'], why: 'fewer retransmissions flagged', ref: (d) => d.has(fid('tcp.analysis.retransmission')) },
  '_ws.malformed': { files: ['arkime-wireshark-retrans.pcap'], why: 'tshark finds 9 malformed packets', ref: (d) => d.has(fid('_ws.malformed')) },
  'frame.protocols matches ":tcp:(http|tls)$"': { files: ['arkime-wireshark-retrans.pcap'], why: 'layers listed differently', ref: (d) => /:tcp:(http|tls)$/.test(d.protocols) },
  'smb2.filename contains "."': { files: ['zeek-smb2readwrite.pcap'], why: 'Find responses not decoded', ref: (d) => (d.all(fid('smb2.filename')) as string[]).some((x) => x.includes('.')) },
  'data.data': { files: ['zeek-smb2readwrite.pcap'], why: 'no data layer where tshark has one', ref: (d) => d.has(fid('data.data')) },
  'quic.dcid': { files: ['zeek-quicv2-http3-443.pcap'], why: 'DCID on short-header packets', ref: (d) => d.has(fid('quic.dcid')) },
};

export const SQL_CASES: SqlCase[] = [
  // presence: protocols, fields, tunnels
  { text: 'tcp', expr: has('tcp') },
  { text: 'udp', expr: has('udp') },
  { text: 'dns', expr: has('dns') },
  { text: 'ipv6', expr: has('ipv6') },
  { text: 'arp', expr: has('arp') },
  { text: 'icmp || icmpv6', expr: or(has('icmp'), has('icmpv6')) },
  { text: 'vlan', expr: has('vlan') },
  { text: 'mpls', expr: has('mpls') },
  { text: 'gre || vxlan', expr: or(has('gre'), has('vxlan')) },
  { text: 'tls.handshake.extensions_server_name', expr: has('tls.handshake.extensions_server_name') },
  { text: 'dns.a', expr: has('dns.a') },
  { text: 'http.host', expr: has('http.host') },
  { text: 'ip.addr', expr: has('ip.addr') },
  { text: 'tcp.analysis.retransmission', expr: has('tcp.analysis.retransmission') },
  { text: 'frame', expr: has('frame') },
  // uint: == != < > <= >= in and ranges, ports as unions
  { text: 'tcp.port == 80', expr: cmp('tcp.port', '==', num(80)) },
  { text: 'tcp.port == 443', expr: cmp('tcp.port', '==', num(443)) },
  { text: 'udp.port == 53', expr: cmp('udp.port', '==', num(53)) },
  { text: 'udp.port != 53', expr: cmp('udp.port', '!=', num(53)) },
  { text: 'tcp.srcport > 1024', expr: cmp('tcp.srcport', '>', num(1024)) },
  { text: 'tcp.dstport <= 1024', expr: cmp('tcp.dstport', '<=', num(1024)) },
  { text: 'tcp.port in {22, 25, 80, 443, 445}', expr: inSet('tcp.port', [num(22), num(25), num(80), num(443), num(445)]) },
  { text: 'udp.port in {67..68, 123, 4789}', expr: inSet('udp.port', [[num(67), num(68)], num(123), num(4789)]) },
  { text: 'udp.dstport in {1..1023}', expr: inSet('udp.dstport', [[num(1), num(1023)]]) },
  { text: 'frame.len > 1000', expr: cmp('frame.len', '>', num(1000)) },
  { text: 'frame.len < 64', expr: cmp('frame.len', '<', num(64)) },
  { text: 'frame.cap_len < 100', expr: cmp('frame.cap_len', '<', num(100)) },
  { text: 'frame.number <= 10', expr: cmp('frame.number', '<=', num(10)) },
  { text: 'frame.number in {1, 3, 5..7}', expr: inSet('frame.number', [num(1), num(3), [num(5), num(7)]]) },
  { text: 'ip.ttl < 64', expr: cmp('ip.ttl', '<', num(64)) },
  { text: 'ip.ttl != 64', expr: cmp('ip.ttl', '!=', num(64)) },
  { text: 'ip.proto == 17', expr: cmp('ip.proto', '==', num(17)) },
  { text: 'ip.id >= 0x8000', expr: cmp('ip.id', '>=', num(0x8000)) },
  { text: 'tcp.len > 0', expr: cmp('tcp.len', '>', num(0)) },
  { text: 'tcp.stream == 1', expr: cmp('tcp.stream', '==', num(1)) },
  { text: 'udp.stream in {0, 2}', expr: inSet('udp.stream', [num(0), num(2)]) },
  { text: 'tcp.window_size_value >= 65535', expr: cmp('tcp.window_size_value', '>=', num(65535)) },
  { text: 'dns.qry.type == 28', expr: cmp('dns.qry.type', '==', num(28)) },
  { text: 'dns.resp.ttl > 300', expr: cmp('dns.resp.ttl', '>', num(300)) },
  { text: 'dns.count.answers >= 2', expr: cmp('dns.count.answers', '>=', num(2)) },
  { text: 'icmp.type == 8 || icmpv6.type == 128', expr: or(cmp('icmp.type', '==', num(8)), cmp('icmpv6.type', '==', num(128))) },
  { text: 'icmpv6.type in {133..136}', expr: inSet('icmpv6.type', [[num(133), num(136)]]) },
  { text: 'arp.opcode == 1', expr: cmp('arp.opcode', '==', num(1)) },
  { text: 'vlan.id > 0', expr: cmp('vlan.id', '>', num(0)) },
  { text: 'mpls.label != 0', expr: cmp('mpls.label', '!=', num(0)) },
  { text: 'tls.handshake.type == 1', expr: cmp('tls.handshake.type', '==', num(1)) },
  { text: 'tls.record.version == 0x0303', expr: cmp('tls.record.version', '==', num(0x0303)) },
  { text: 'http.response.code >= 300', expr: cmp('http.response.code', '>=', num(300)) },
  { text: 'dhcp.option.dhcp == 1', expr: cmp('dhcp.option.dhcp', '==', num(1)) },
  { text: 'ntp.stratum <= 2', expr: cmp('ntp.stratum', '<=', num(2)) },
  { text: 'smb2.cmd == 8', expr: cmp('smb2.cmd', '==', num(8)) },
  // int
  { text: 'radiotap.dbm_antsignal < -50', expr: cmp('radiotap.dbm_antsignal', '<', num(-50)) },
  { text: 'snmp.error_status == 0', expr: cmp('snmp.error_status', '==', num(0)) },
  // bool
  { text: 'tcp.flags.syn == 1', expr: cmp('tcp.flags.syn', '==', num(1)) },
  { text: 'tcp.flags.syn == 1 && tcp.flags.ack == 0', expr: and(cmp('tcp.flags.syn', '==', num(1)), cmp('tcp.flags.ack', '==', num(0))) },
  { text: 'tcp.flags.reset == 1 || tcp.flags.fin == 1', expr: or(cmp('tcp.flags.reset', '==', num(1)), cmp('tcp.flags.fin', '==', num(1))) },
  { text: 'ip.flags.df == 0', expr: cmp('ip.flags.df', '==', num(0)) },
  { text: 'dns.flags.response == 1', expr: cmp('dns.flags.response', '==', num(1)) },
  // time and float
  { text: 'frame.time_relative >= 1', expr: cmp('frame.time_relative', '>=', num(1)) },
  { text: 'frame.time_relative < 0.5', expr: cmp('frame.time_relative', '<', num(0.5)) },
  { text: 'frame.time_epoch < 1400000000', expr: cmp('frame.time_epoch', '<', num(1400000000)) },
  { text: 'frame.time_epoch >= 1600000000.5', expr: cmp('frame.time_epoch', '>=', num(1600000000.5)) },
  // ipv4: equality, CIDR, ordering, sets, unions
  { text: 'ip.addr == 10.0.0.0/8', expr: cmp('ip.addr', '==', ip4('10.0.0.0/8')) },
  { text: 'ip.addr == 192.168.0.0/16', expr: cmp('ip.addr', '==', ip4('192.168.0.0/16')) },
  { text: 'ip.src == 172.16.0.0/12', expr: cmp('ip.src', '==', ip4('172.16.0.0/12')) },
  { text: 'ip.dst == 255.255.255.255', expr: cmp('ip.dst', '==', ip4('255.255.255.255')) },
  { text: 'ip.addr != 192.168.0.0/16', expr: cmp('ip.addr', '!=', ip4('192.168.0.0/16')) },
  { text: 'ip.dst >= 224.0.0.0', expr: cmp('ip.dst', '>=', ip4('224.0.0.0')) },
  { text: 'ip.src < 100.0.0.0', expr: cmp('ip.src', '<', ip4('100.0.0.0')) },
  { text: 'ip.dst in {224.0.0.0/4, 255.255.255.255}', expr: inSet('ip.dst', [ip4('224.0.0.0/4'), ip4('255.255.255.255')]) },
  { text: 'dns.a == 0.0.0.0/1', expr: cmp('dns.a', '==', ip4('0.0.0.0/1')) },
  { text: 'arp.dst.proto_ipv4 == 0.0.0.0/0', expr: cmp('arp.dst.proto_ipv4', '==', ip4('0.0.0.0/0')) },
  // ipv6
  { text: 'ipv6.addr == fe80::/10', expr: cmp('ipv6.addr', '==', ip6('fe80::/10')) },
  { text: 'ipv6.dst == ff02::/16', expr: cmp('ipv6.dst', '==', ip6('ff02::/16')) },
  { text: 'ipv6.src == ::1', expr: cmp('ipv6.src', '==', ip6('::1')) },
  { text: 'ipv6.addr != ff02::1', expr: cmp('ipv6.addr', '!=', ip6('ff02::1')) },
  { text: 'ipv6.src > 2000::', expr: cmp('ipv6.src', '>', ip6('2000::')) },
  { text: 'ipv6.dst in {ff02::1, ff02::2, ff02::16}', expr: inSet('ipv6.dst', [ip6('ff02::1'), ip6('ff02::2'), ip6('ff02::16')]) },
  { text: 'dns.aaaa == 2000::/3', expr: cmp('dns.aaaa', '==', ip6('2000::/3')) },
  // mac
  { text: 'eth.addr == ff:ff:ff:ff:ff:ff', expr: cmp('eth.addr', '==', macv('ff:ff:ff:ff:ff:ff')) },
  { text: 'eth.dst != ff:ff:ff:ff:ff:ff', expr: cmp('eth.dst', '!=', macv('ff:ff:ff:ff:ff:ff')) },
  { text: 'eth.src > 80:00:00:00:00:00', expr: cmp('eth.src', '>', macv('80:00:00:00:00:00')) },
  { text: 'eth.dst in {ff:ff:ff:ff:ff:ff, 01:00:5e:00:00:fb, 33:33:00:00:00:01}', expr: inSet('eth.dst', [macv('ff:ff:ff:ff:ff:ff'), macv('01:00:5e:00:00:fb'), macv('33:33:00:00:00:01')]) },
  { text: 'dhcp.hw.mac_addr', expr: has('dhcp.hw.mac_addr') },
  // string: == != contains matches ordering, columns
  { text: '_ws.col.Protocol == "DNS"', expr: cmp('_ws.col.Protocol', '==', str('DNS')), ref: (d) => d.protocol === 'DNS' },
  { text: '_ws.col.Protocol == "TCP"', expr: cmp('_ws.col.Protocol', '==', str('TCP')), ref: (d) => d.protocol === 'TCP' },
  { text: '_ws.col.Protocol != "TCP"', expr: cmp('_ws.col.Protocol', '!=', str('TCP')), ref: (d) => d.protocol !== 'TCP' },
  { text: '_ws.col.Protocol in {"HTTP", "TLSv1.2", "TLSv1.3"}', expr: inSet('_ws.col.Protocol', [str('HTTP'), str('TLSv1.2'), str('TLSv1.3')]), ref: (d) => ['HTTP', 'TLSv1.2', 'TLSv1.3'].includes(d.protocol) },
  { text: '_ws.col.Protocol contains "TLS"', expr: contains('_ws.col.Protocol', str('TLS')), ref: (d) => d.protocol.includes('TLS') },
  { text: '_ws.col.Protocol < "M"', expr: cmp('_ws.col.Protocol', '<', str('M')), ref: (d) => d.protocol < 'M' },
  { text: '_ws.col.Info contains "Echo"', expr: contains('_ws.col.Info', str('Echo')), ref: (d) => d.info.includes('Echo') },
  { text: '_ws.col.Info matches "^Standard query 0x"', expr: matches('_ws.col.Info', '^Standard query 0x'), ref: (d) => /^Standard query 0x/i.test(d.info) },
  { text: 'frame.protocols contains "dns"', expr: contains('frame.protocols', str('dns')) },
  { text: 'frame.protocols matches ":tcp:(http|tls)$"', expr: matches('frame.protocols', ':tcp:(http|tls)$') },
  { text: 'dns.qry.name contains "google"', expr: contains('dns.qry.name', str('google')) },
  { text: 'dns.qry.name matches "\\\\.(com|org)$"', expr: matches('dns.qry.name', '\\.(com|org)$') },
  { text: 'dns.qry.name matches "WWW"', expr: matches('dns.qry.name', 'WWW', 'i') },
  { text: 'dns.qry.name == "www.google.com"', expr: cmp('dns.qry.name', '==', str('www.google.com')) },
  { text: 'dns.qry.name != "www.google.com"', expr: cmp('dns.qry.name', '!=', str('www.google.com')) },
  { text: 'dns.qry.name > "m"', expr: cmp('dns.qry.name', '>', str('m')) },
  { text: 'dns.cname contains "."', expr: contains('dns.cname', str('.')) },
  { text: 'http.request.method == "GET"', expr: cmp('http.request.method', '==', str('GET')) },
  { text: 'http.request.method in {"POST", "PUT", "HEAD"}', expr: inSet('http.request.method', [str('POST'), str('PUT'), str('HEAD')]) },
  { text: 'http.host contains "."', expr: contains('http.host', str('.')) },
  { text: 'http.user_agent matches "curl|mozilla"', expr: matches('http.user_agent', 'curl|mozilla', 'i') },
  { text: 'http.request.uri matches "^/$"', expr: matches('http.request.uri', '^/$') },
  { text: 'tls.handshake.extensions_server_name contains "com"', expr: contains('tls.handshake.extensions_server_name', str('com')) },
  { text: 'tls.handshake.extensions_server_name == "enabled.tls13.com"', expr: cmp('tls.handshake.extensions_server_name', '==', str('enabled.tls13.com')) },
  { text: 'tls.handshake.extensions_alpn_str == "h2"', expr: cmp('tls.handshake.extensions_alpn_str', '==', str('h2')) },
  { text: 'ssh.protocol contains "OpenSSH"', expr: contains('ssh.protocol', str('OpenSSH')) },
  { text: 'snmp.community == "public"', expr: cmp('snmp.community', '==', str('public')) },
  { text: 'smb2.filename contains "."', expr: contains('smb2.filename', str('.')) },
  // bytes
  { text: 'tcp.payload contains "HTTP/1.1"', expr: contains('tcp.payload', str('HTTP/1.1')) },
  { text: 'udp.payload contains 00:00:00:00', expr: contains('udp.payload', bytes('00:00:00:00')) },
  { text: 'data.data', expr: has('data.data') },
  { text: 'tcp.payload', expr: has('tcp.payload') },
  { text: 'quic.dcid', expr: has('quic.dcid') },
  { text: 'ntp.refid == 00:00:00:00', expr: cmp('ntp.refid', '==', bytes('00:00:00:00')) },
  { text: 'ntp.refid != 00:00:00:00', expr: cmp('ntp.refid', '!=', bytes('00:00:00:00')) },
  { text: 'udp.payload > 80', expr: cmp('udp.payload', '>', bytes('80')) }, // Wireshark: longer is greater
  { text: 'udp.payload <= 30:82:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00', expr: cmp('udp.payload', '<=', bytes('3082' + '00'.repeat(46))) },
  { text: 'udp.payload in {00:00:00..ff:ff:ff}', expr: inSet('udp.payload', [[bytes('000000'), bytes('ffffff')]]) },
  { text: 'tcp.payload matches "^GET /"', expr: matches('tcp.payload', '^GET /') },
  // logic
  { text: '!ip', expr: not(has('ip')) },
  { text: 'ip || ipv6', expr: or(has('ip'), has('ipv6')) },
  { text: '(tcp || udp) && !dns', expr: and(or(has('tcp'), has('udp')), not(has('dns'))) },
  { text: '!(tcp.port == 80) && tcp', expr: and(not(cmp('tcp.port', '==', num(80))), has('tcp')) },
  { text: 'ip.addr == 10.0.0.0/8 && !tcp.port in {80, 443}', expr: and(cmp('ip.addr', '==', ip4('10.0.0.0/8')), not(inSet('tcp.port', [num(80), num(443)]))) },
  { text: '_ws.malformed', expr: has('_ws.malformed') },
];

