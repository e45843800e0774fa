/** DHCP/BOOTP and DHCPv6 golden decodes of real bytes: zeek-dhcp.pcap frame 3 (Request), ndpi-1kxun.pcap frame 12 (DHCPv6 Information-request). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Session } from '../../src/dissect/session.js';
import { fid } from '../../src/fields/catalog.js';
import { frame, sweep } from './helpers.js';

const REQ = 'ffffffffffff90b11c99492908004500012b00010000401179c200000000ffffffff00440043011791de01010600000007c0000000000000000000000000000000000000000090b11c99492900000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000638253633501033604800206983204c0a8d3c20c0d62746573742e69732e636f6f6cff';
const V6 = '333300010002703eacf0f00786dd60056104002c1101fe80000000000000040655a8645325ddff02000000000000000000000001000202220223002c89680b27731d0001000e000100011db8e6fb703eacf0f0070006000400170018000800020000';

test('DHCP Request: header, options, columns', () => {
  const d = new Session().dissect(frame(REQ));
  assert.equal(d.protocols, 'eth:ethertype:ip:udp:dhcp');
  assert.equal(d.protocol, 'DHCP');
  assert.equal(d.info, 'DHCP Request  - Transaction ID 0x7c0');
  assert.equal(d.get(fid('dhcp.option.dhcp')), 3);
  assert.equal(d.get(fid('dhcp.id')), 0x7c0);
  assert.equal(d.get(fid('dhcp.option.hostname')), 'btest.is.cool');
  assert.equal(d.get(fid('dhcp.option.dhcp_server_id')), (128 << 24 | 2 << 16 | 6 << 8 | 152) >>> 0);
  assert.deepEqual(d.all(fid('dhcp.option.type')), [53, 54, 50, 12, 0]);
  assert.equal(Buffer.from(d.get(fid('dhcp.hw.mac_addr')) as Uint8Array).toString('hex'), '90b11c994929');
});

test('BOOTP without a message type option, cut by snaplen', () => {
  const b = Buffer.from(REQ, 'hex');
  b[42 + 240] = 0xff; // End right after the cookie: no option 53
  const full = frame(b.toString('hex'));
  const d = new Session().dissect({ ...full, data: full.data.subarray(0, 42 + 241) , caplen: 42 + 241 });
  assert.equal(d.protocol, 'BOOTP');
  assert.equal(d.info, 'Boot Request from 90:b1:1c:99:49:29 (90:b1:1c:99:49:29)');
  const cut = new Session().dissect({ ...full, data: full.data.subarray(0, 200), caplen: 200 });
  assert.equal(cut.protocol, 'BOOTP');
  assert.ok(cut.short);
});

test('DHCPv6 Information-request', () => {
  const d = new Session().dissect(frame(V6));
  assert.equal(d.protocol, 'DHCPv6');
  assert.equal(d.info, 'Information-request XID: 0x27731d CID: 000100011db8e6fb703eacf0f007 ');
  assert.deepEqual(d.all(fid('dhcpv6.option.type')), [1, 6, 8]);
});

test('DHCP truncation sweep', () => sweep([REQ, V6]));
