/** The display-filter parser: grammar, literals per field type, and every error kind with its position. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFilter, FilterError, MAX_FILTER_DEPTH, MAX_FILTER_LENGTH, type Expr } from '../../src/filter/index.js';
import { parseIpv6, parseMac, parseBytes, parseInteger } from '../../src/filter/parse.js';

/** A compact text form of a checked tree, to compare shapes. */
function show(e: Expr): string {
  switch (e.kind) {
    case 'and':
    case 'or': return `(${show(e.left)} ${e.kind} ${show(e.right)})`;
    case 'not': return `!${show(e.expr)}`;
    case 'present': return e.field.name;
    case 'cmp': return `${e.field.name}${e.op}${val(e.value)}`;
    case 'in': return `${e.field.name} in {${e.members.map((m) => val(m.lo) + (m.hi ? '..' + val(m.hi) : '')).join(',')}}`;
    case 'contains': return `${e.field.name} contains ${val(e.value)}`;
    case 'matches': return `${e.field.name} ~ /${e.pattern}/${e.flags}`;
  }
}
function val(v: import('../../src/filter/index.js').Value): string {
  switch (v.t) {
    case 'num': return String(v.v);
    case 'str': return JSON.stringify(v.v);
    case 'bytes': return Buffer.from(v.v).toString('hex');
    case 'ipv4': return `${v.v >>> 24}.${(v.v >>> 16) & 255}.${(v.v >>> 8) & 255}.${v.v & 255}/${v.bits}`;
    case 'ipv6': return `${Buffer.from(v.v).toString('hex')}/${v.bits}`;
  }
}

function fails(text: string, position: number, message: RegExp): void {
  assert.throws(() => parseFilter(text), (e: unknown) => {
    assert.ok(e instanceof FilterError, `not a FilterError: ${String(e)}`);
    assert.equal(e.position, position, `position of ${JSON.stringify(text)}: ${e.message}`);
    assert.match(e.message, message);
    assert.ok(e.message.startsWith(`1:${position}: `), e.message);
    return true;
  }, `${JSON.stringify(text)} should fail`);
}

test('precedence: not > and > or; parentheses; both spellings of every operator', () => {
  assert.equal(show(parseFilter('tcp or udp and dns')), '(tcp or (udp and dns))');
  assert.equal(show(parseFilter('tcp || udp && dns')), '(tcp or (udp and dns))');
  assert.equal(show(parseFilter('not tcp and udp')), '(!tcp and udp)');
  assert.equal(show(parseFilter('!(tcp or udp)')), '!(tcp or udp)');
  assert.equal(show(parseFilter('(tcp or udp) and dns')), '((tcp or udp) and dns)');
  assert.equal(show(parseFilter('tcp and udp and dns')), '((tcp and udp) and dns)');
  const ops: Array<[string, string]> = [['==', 'eq'], ['!=', 'ne'], ['>', 'gt'], ['<', 'lt'], ['>=', 'ge'], ['<=', 'le']];
  for (const [sym, word] of ops) {
    assert.equal(show(parseFilter(`tcp.port ${sym} 80`)), `tcp.port${sym}80`);
    assert.equal(show(parseFilter(`tcp.port ${word} 80`)), `tcp.port${sym}80`);
  }
  assert.equal(show(parseFilter('tcp.port==80&&ip.ttl<=64')), '(tcp.port==80 and ip.ttl<=64)');
  assert.equal(show(parseFilter('tcp.port ~= 80')), '(tcp.port<80 or tcp.port>80)');
  assert.equal(show(parseFilter('tcp.port === 80')), '(tcp.port and !(tcp.port<80 or tcp.port>80))');
  assert.equal(show(parseFilter('tcp.port all_ne 80')), 'tcp.port!=80');
});

test('integers: decimal, hex, octal, binary, negative, character constants', () => {
  assert.equal(show(parseFilter('tcp.port == 0x50')), 'tcp.port==80');
  assert.equal(show(parseFilter('tcp.port == 0120')), 'tcp.port==80');
  assert.equal(show(parseFilter('tcp.port == 0b1010000')), 'tcp.port==80');
  assert.equal(show(parseFilter('radiotap.dbm_antsignal < -50')), 'radiotap.dbm_antsignal<-50');
  assert.equal(show(parseFilter("ip.proto == 'A'")), 'ip.proto==65');
  assert.equal(show(parseFilter("ip.proto == '\\x41'")), 'ip.proto==65');
  assert.equal(parseInteger('08'), null);
  assert.equal(parseInteger('1e2'), null);
  assert.equal(parseInteger('18446744073709551616'), 'overflow');
  fails('tcp.port == 80.5', 13, /"80\.5" is not valid for tcp\.port \(wanted an unsigned integer\)/);
  fails('tcp.port == "80"', 13, /"80" is not valid for tcp\.port/);
  fails('ip.ttl == 99999999999999999999', 11, /too large/);
});

test('booleans: 1/0, True/False (and lower case), any non-zero number is true', () => {
  assert.equal(show(parseFilter('tcp.flags.syn == True')), 'tcp.flags.syn==1');
  assert.equal(show(parseFilter('tcp.flags.syn == false')), 'tcp.flags.syn==0');
  assert.equal(show(parseFilter('tcp.flags.syn == 2')), 'tcp.flags.syn==1');
  assert.equal(show(parseFilter('tcp.flags.syn == 0x0')), 'tcp.flags.syn==0');
  fails('tcp.flags.syn == yes', 18, /wanted a boolean/);
});

test('IPv4 and CIDR, IPv6 and prefixes', () => {
  assert.equal(show(parseFilter('ip.addr == 10.1.2.3')), 'ip.addr==10.1.2.3/32');
  assert.equal(show(parseFilter('ip.addr == 10.0.0.0/8')), 'ip.addr==10.0.0.0/8');
  assert.equal(show(parseFilter('ip.src==192.168.0.0/16')), 'ip.src==192.168.0.0/16');
  fails('ip.src == 10.0.0.1/33', 11, /at most \/32/);
  fails('ip.src == 1.2.3.256', 11, /not valid for ip\.src \(wanted an IPv4 address or CIDR\)/);
  fails('ip.src == 10.0.0', 11, /wanted an IPv4 address/);
  fails('ip.src == "10.0.0.1"', 11, /wanted an IPv4 address/);
  fails('ip.addr == ::1', 12, /wanted an IPv4 address/);
  assert.equal(show(parseFilter('ipv6.addr == fe80::/10')), `ipv6.addr==fe80${'0'.repeat(28)}/10`);
  assert.equal(show(parseFilter('ipv6.addr == ::1')), `ipv6.addr==${'0'.repeat(31)}1/128`);
  assert.equal(Buffer.from(parseIpv6('::ffff:1.2.3.4')!).toString('hex'), '00000000000000000000ffff01020304');
  assert.equal(Buffer.from(parseIpv6('2001:DB8::8:800:200C:417A')!).toString('hex'), '20010db80000000000080800200c417a');
  assert.equal(Buffer.from(parseIpv6('1:2:3:4:5:6:7:8')!).toString('hex'), '00010002000300040005000600070008');
  assert.equal(parseIpv6('1:2:3:4:5:6:7:8:9'), null);
  assert.equal(parseIpv6('1::2::3'), null);
  assert.equal(parseIpv6('12345::'), null);
  assert.equal(parseIpv6(':::'), null);
  fails('ipv6.addr == fe80::/129', 14, /at most \/128/);
  fails('ipv6.src == 10.0.0.1', 13, /wanted an IPv6 address/);
});

test('MAC addresses in every spelling; bytes; strings with escapes and raw strings', () => {
  const ff = 'ffffffffffff';
  for (const m of ['ff:ff:ff:ff:ff:ff', 'ff-ff-ff-ff-ff-ff', 'ffff.ffff.ffff', 'ffffffffffff', 'FF:FF:FF:FF:FF:FF']) {
    assert.equal(show(parseFilter(`eth.addr == ${m}`)), `eth.addr==${ff}`, m);
  }
  assert.equal(Buffer.from(parseMac('0:1:2:3:4:5')!).toString('hex'), '000102030405');
  assert.equal(parseMac('ff:ff:ff'), null);
  assert.equal(parseMac('ff:ff-ff:ff:ff:ff'), null);
  fails('eth.dst == ff:ff:ff', 12, /wanted a MAC address/);
  fails('eth.dst == "ff:ff:ff:ff:ff:ff"', 12, /without quotes/);
  assert.equal(show(parseFilter('eth.dst contains ff:ff')), 'eth.dst contains ffff');
  assert.equal(Buffer.from(parseBytes('77:69:6b')!).toString('hex'), '77696b');
  assert.equal(Buffer.from(parseBytes('77.69.6b')!).toString('hex'), '77696b');
  assert.equal(Buffer.from(parseBytes('77696b69')!).toString('hex'), '77696b69');
  assert.equal(parseBytes('7769z'), null);
  assert.equal(show(parseFilter('udp.payload contains "wiki"')), 'udp.payload contains 77696b69');
  assert.equal(show(parseFilter('udp.payload contains "\\xff\\x00"')), 'udp.payload contains ff00');
  assert.equal(show(parseFilter('http.host == "a\\"b\\\\c\\n\\t\\101\\u00e9"')), `http.host==${JSON.stringify('a"b\\c\n\tAé')}`);
  assert.equal(show(parseFilter('http.host == example.com')), 'http.host=="example.com"');
  assert.equal(show(parseFilter('http.request.method contains 47')), 'http.request.method contains "47"');
  assert.equal(show(parseFilter('http.request.uri matches r"\\.html?$"')), 'http.request.uri ~ /\\.html?(?=\\n?$)/i');
  fails('http.host == "a\\.b"', 16, /\\\. is not a valid character escape/);
  fails('http.host == "abc', 14, /not closed/);
  fails("ip.proto == 'ab'", 13, /character constant/);
});

test('time literals are exact to the nanosecond; float fields take decimals', () => {
  const e = parseFilter('frame.time_epoch > 1700000000.123456789');
  assert.ok(e.kind === 'cmp' && e.value.t === 'num');
  assert.equal(e.value.ns, 1700000000123456789n);
  const r = parseFilter('frame.time_relative <= .5');
  assert.ok(r.kind === 'cmp' && r.value.t === 'num' && r.value.ns === 500000000n);
  assert.equal(show(parseFilter('radiotap.datarate > 5.5')), 'radiotap.datarate>5.5');
  fails('frame.time_epoch > "Jan 1, 2020"', 20, /wanted a time in seconds/);
});

test('sets: commas or spaces, ranges, any type', () => {
  assert.equal(show(parseFilter('tcp.port in {80, 443, 8000..8080}')), 'tcp.port in {80,443,8000..8080}');
  assert.equal(show(parseFilter('tcp.port in {80 443 8000..8080}')), 'tcp.port in {80,443,8000..8080}');
  assert.equal(show(parseFilter('tcp.port in {1 .. 1024}')), 'tcp.port in {1..1024}');
  assert.equal(show(parseFilter('ip.addr in {10.0.0.0/8, 192.168.1.1}')), 'ip.addr in {10.0.0.0/8,192.168.1.1/32}');
  assert.equal(show(parseFilter('http.request.method in {"GET", HEAD}')), 'http.request.method in {"GET","HEAD"}');
  fails('tcp.port in {}', 14, /at least one value/);
  fails('tcp.port in {80,}', 16, /expected a value after ","/);
  fails('tcp.port in {80', 16, /expected "}" to close the set opened at column 13/);
  fails('tcp.port in 80', 13, /expected "\{" after "in"/);
  fails('ip.addr in {10.0.0.0/8..10.0.0.9}', 13, /range cannot start with a network/);
});

test('bare names are presence; protocols can be searched with contains/matches, not compared', () => {
  assert.equal(show(parseFilter('tcp')), 'tcp');
  assert.equal(show(parseFilter('tcp.analysis.retransmission')), 'tcp.analysis.retransmission');
  assert.equal(show(parseFilter('frame contains "GET"')), 'frame contains 474554');
  assert.equal(show(parseFilter('ip contains 00:35')), 'ip contains 0035');
  fails('tcp == 1', 1, /tcp is a protocol: test it alone for presence/);
  fails('tcp.analysis.retransmission == 1', 1, /marker without a value/);
});

test('matches: case-insensitive by default as tshark 4.0, (?-i) and other leading flags, PCRE-only syntax', () => {
  assert.equal(show(parseFilter('http.host matches "^www"')), 'http.host ~ /^www/i');
  assert.equal(show(parseFilter('http.host matches "(?-i)^www"')), 'http.host ~ /^www/');
  assert.equal(show(parseFilter('http.host matches "(?i)^www"')), 'http.host ~ /^www/i');
  assert.equal(show(parseFilter('http.host matches "(?s-i)a.b"')), 'http.host ~ /a.b/s');
  assert.equal(show(parseFilter('http.host matches "[[:digit:][:upper:]]+"')), 'http.host ~ /[0-9A-Z]+/i');
  assert.equal(show(parseFilter('http.host matches "\\\\Aab\\\\z"')), 'http.host ~ /^ab$/i');
  assert.equal(show(parseFilter('http.host matches "(?P<x>a)(?P=x)"')), 'http.host ~ /(?<x>a)\\k<x>/i');
  assert.equal(show(parseFilter('http.host matches "[]a]"')), 'http.host ~ /[\\]a]/i');
  assert.equal(show(parseFilter('http.host matches "a{2,}b{1,3}"')), 'http.host ~ /a{2,}b{1,3}/i');
  fails('http.host matches wiki', 19, /wants a regular expression in double quotes/);
  fails('http.host matches "(a+)+"', 24, /nested repetition/);
  fails('http.host matches "(?:a*b?)*c"', 28, /nested repetition/);
  fails('http.host matches "a++"', 22, /possessive/);
  fails('http.host matches "(?>a)"', 20, /atomic groups/);
  fails('http.host matches "a(?i)b"', 21, /inline flags are only supported at the start/);
  fails('http.host matches "(ab"', 20, /"\(" without its "\)"/);
  fails('http.host matches "ab)"', 22, /"\)" without its "\("/);
  fails('http.host matches "\\\\p{L}"', 20, /escape \\p is not supported/);
  fails('tcp.port matches "80"', 1, /cannot be used with "matches"/);
});

test('tshark 4.0 aliases: ssl → tls, bootp → dhcp, ipv6.fraghdr.*', () => {
  assert.equal(show(parseFilter('ssl')), 'tls');
  assert.equal(show(parseFilter('ssl.handshake.type == 1')), 'tls.handshake.type==1');
  assert.equal(show(parseFilter('bootp.option.dhcp == 5')), 'dhcp.option.dhcp==5');
  assert.equal(show(parseFilter('ipv6.fraghdr.more == 1')), 'ipv6.fragment.more==1');
  fails('ssl.nonsense', 1, /"ssl\.nonsense" is not a field/);
});

test('errors name the position and what was expected', () => {
  fails('ip.addr == ', 9, /expected a value after "=="/);
  fails('tcp.port ==', 10, /expected a value after "=="/);
  fails('tcp.port == and', 13, /expected a value after "==", found "and"/);
  fails('tcp.prot == 1', 1, /"tcp\.prot" is not a field; did you mean tcp\.port/);
  fails('ip.src == abc', 11, /"abc" is not valid for ip\.src \(wanted an IPv4 address or CIDR\)/);
  fails('tcp.port contains 80', 1, /tcp\.port \(unsigned integer\) cannot be used with "contains"/);
  fails('tcp and', 5, /expected an expression after "and"/);
  fails('(tcp', 5, /expected "\)" to close the "\(" at column 1/);
  fails('tcp)', 4, /"\)" without a matching "\("/);
  fails('tcp.port == 80 80', 16, /unexpected "80"; expected "and", "or"/);
  fails('== 80', 1, /expected a field or protocol name, found "=="/);
  fails('tcp AND udp', 5, /unexpected "AND"/);
  fails('tcp.port EQ 80', 10, /unexpected "EQ" after tcp\.port; expected an operator/);
  fails('80', 1, /"80" is neither a field nor a protocol name/);
  fails('tcp.port == 80 or 443', 19, /"443" is neither a field nor a protocol name/);
  fails('tcp.port == 80 $ udp', 16, /unexpected character "\$"/);
  fails('tcp.flags & 0x02', 11, /bitwise "&" is not supported/);
  fails('ip.src == ip.dst', 11, /comparing with another field \(ip\.dst\) is not supported/);
  fails('', 1, /empty/);
  fails('   ', 1, /empty/);
});

test('limits: length and nesting depth, without overflowing the stack', () => {
  fails('tcp or '.repeat(700) + 'tcp', MAX_FILTER_LENGTH + 1, /longer than 4096/);
  const deep = (n: number): string => '('.repeat(n) + 'tcp' + ')'.repeat(n);
  assert.equal(show(parseFilter(deep(MAX_FILTER_DEPTH))), 'tcp');
  fails(deep(MAX_FILTER_DEPTH + 1), MAX_FILTER_DEPTH + 1, /nested more than 64 levels/);
  fails('!'.repeat(4000) + 'tcp', MAX_FILTER_DEPTH + 1, /nested more than 64 levels/);
  fails('not '.repeat(1000) + 'tcp', 4 * MAX_FILTER_DEPTH + 1, /nested more than 64 levels/);
  // long flat chains are fine (the depth is nesting, not length)
  assert.doesNotThrow(() => parseFilter(Array.from({ length: 500 }, (_, i) => `tcp.port == ${i}`).join(' || ').slice(0, 4000).replace(/ \|\| [^|]*$/, '')));
  fails('http.host matches "' + 'a'.repeat(1100) + '"', 20, /longer than 1024/);
});
