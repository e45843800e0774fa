/** Radiotap/802.11, netlink and the small UDP ones, golden decodes of real bytes: arkime-80211http.pcap frame 1,
 * pcpp-microsecs_big_endian.pcap frame 3, arkime-mpls-basic.pcap frame 44 (RSVP over MPLS), pcpp-many_interfaces-1.pcapng frame 1 (db-lsp-disc), ndpi-1kxun.pcap frame 632 (MNDP). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Session } from '../../src/dissect/session.js';
import { fid } from '../../src/fields/catalog.js';
import { frame, sweep } from './helpers.js';

const WLAN = '000024002f4000a0200800000000000028eb68280000000010169e09a000ba000000ba0008010201882593406b6ff8a9d01e90a3882593406b6f20b7aaaa0300000008004500003cf931400040066130ac0505710e1120d3c109005096740dd600000000a002ffff0d1b0000020405b40402080afffff4e7000000000103030638ac82fa';
const NETLINK = '0004033800000000000000000000000000000044001d00000000000000000000070000000000000500020000000a0002f46d048facd2000000080009000000040014000300000000000026ef0000181000000000';
const DBLSP = 'ffffffffffffa45e60f17d930800450000a4c6ce00004011f147c0a8018bffffffff445c445c0090ba037b22686f73745f696e74223a20343039343531343438332c202276657273696f6e223a205b312c20385d2c2022646973706c61796e616d65223a2022222c2022706f7274223a2031373530302c20226e616d65737061636573223a205b32303532343235372c203633393533393037322c203633393533393333372c203633393533393535355d7d';
const RSVP = '003096e6fc3900309605283888470001d1fe460000c405420000fe2e0d830a1f00010a220001940400001001a2c4fe0000ac000c01010a2200011100000a000c03010a010201000000000008050100007530000c0b010a1f00010000000a00240c0200000007010000067f000005449c4000461c40004998968000000000000005ea00540d0200000013010000080400000100000001060000014998968008000001000000000a000001000005dc02000008850000010002ee0086000001000004b0870000010002ee0088000001000004b005000000';
const MNDP = '3333000000014c5e0c9aec5486dd6000000000831101fe800000000000004e5e0cfffe9aec54ff020000000000000000000000000001162e162e00836a7d0004683f000100064c5e0c9aec54000500000007000f362e33352e312028737461626c6529000800084d696b726f54696b000a00047cf37f00000b0009334458592d4b484744000c000d4352533132352d3234472d3153000e000101000f0010fe800000000000004e5e0cfffe9aec540010000762726964676531';

test('radiotap + 802.11 data frame down to TCP; FCS stripped', () => {
  const d = new Session().dissect(frame(WLAN, 1, 127));
  assert.equal(d.protocols, 'radiotap:wlan_radio:wlan:llc:ip:tcp');
  assert.equal(d.protocol, 'TCP');
  assert.equal(d.get(fid('radiotap.length')), 36);
  assert.equal(d.get(fid('radiotap.channel.freq')), 2462);
  assert.equal(d.get(fid('radiotap.dbm_antsignal')), -70);
  assert.equal(d.get(fid('wlan.seq')), 2930);
  assert.equal(d.get(fid('wlan.fc.tods')), 1);
  assert.equal(Buffer.from(d.get(fid('wlan.bssid')) as Uint8Array).toString('hex'), '882593406b6f');
  assert.equal(d.get(fid('tcp.len')), 0); // the 4 FCS bytes are not TCP payload
});

test('plain 802.11 (linktype 105): same frame without radiotap and FCS', () => {
  const b = Buffer.from(WLAN, 'hex');
  const d = new Session().dissect(frame(b.subarray(36, b.length - 4).toString('hex'), 1, 105));
  assert.equal(d.protocols, 'wlan:llc:ip:tcp');
});

test('netlink route (big-endian host)', () => {
  const d = new Session().dissect(frame(NETLINK, 1, 253));
  assert.equal(d.protocols, 'netlink:netlink-route');
  assert.equal(d.protocol, 'Netlink route');
  assert.equal(d.get(fid('netlink.hatype')), 824);
});

test('db-lsp-disc and MNDP', () => {
  let d = new Session().dissect(frame(DBLSP));
  assert.equal(d.protocols, 'eth:ethertype:ip:udp:db-lsp-disc:json');
  assert.equal(d.protocol, 'DB-LSP-DISC/JSON');
  d = new Session().dissect(frame(MNDP));
  assert.equal(d.protocol, 'MNDP');
  assert.equal(d.info, '5678 → 5678 Len=123');
});

test('RSVP PATH message', () => {
  const d = new Session().dissect(frame(RSVP));
  assert.equal(d.protocols, 'eth:ethertype:mpls:ip:rsvp');
  assert.equal(d.info, 'PATH Message. SESSION: IPv4, Destination 10.34.0.1, Protocol 17, Port 10. SENDER TEMPLATE: IPv4, Sender 10.31.0.1, Port 10. ');
});

test('radiotap/netlink truncation sweep', () => {
  sweep([WLAN], 127);
  sweep([NETLINK], 253);
  sweep([DBLSP, MNDP, RSVP]);
});

test('a radiotap header with a runaway present chain is refused, not a crash', () => {
  const d = new Session().dissect(frame('000010009fffffffffffffffffffffff', 1, 127));
  assert.ok(d.anomalies.length > 0 || d.malformed);
});
