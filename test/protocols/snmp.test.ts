/** SNMP and NTP golden decodes of real bytes: zeek-snmpwalk-short.pcap frames 1-2, zeek-ntp.pcap frame 1. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Session } from '../../src/dissect/session.js';
import { fid } from '../../src/fields/catalog.js';
import { Reader } from '../../src/wire/reader.js';
import { oidText } from '../../src/protocols/snmp.js';
import { frame, sweep } from './helpers.js';

const GETNEXT = '04013aefd20104013af1f8010800450000448ba84000401180bd8a440ef08a440acb91cf00a100302e85302602010104067075626c6963a119020409584e45020100020100300b300906052b060102010500';
const RESP = '04013af1f80104013aefd2010800450000afb9a14000401152598a440acb8a440ef000a191cf009ba1f830819002010104067075626c6963a28182020409584e450201000201003074307206082b0601020101010004664c696e7578207562756e74752d3531326d622d73666f322d303120342e342e302d33312d67656e65726963202335307e31342e30342e312d5562756e747520534d5020576564204a756c2031332030313a30373a3332205554432032303136207838365f3634';
const NTP = '8875984997099cb6d009171d080045b8004c494d400040117f3dc0a82b7650d3346d007b007b003871a8230206ea00000bd90000063055c7d663e09ab55c12dcc914e09ab5540c60c23be09ab55413a64a3be09ab59607050baa';

test('SNMP get-next-request then get-response; udp.stream as Wireshark numbers it', () => {
  const s = new Session();
  let d = s.dissect(frame(GETNEXT, 1));
  assert.equal(d.protocol, 'SNMP');
  assert.equal(d.info, 'get-next-request 1.3.6.1.2.1');
  assert.equal(d.get(fid('snmp.community')), 'public');
  assert.equal(d.get(fid('snmp.version')), 1);
  assert.equal(d.get(fid('udp.stream')), 0);
  d = s.dissect(frame(RESP, 2));
  assert.equal(d.info, 'get-response 1.3.6.1.2.1.1.1.0');
  assert.equal(d.get(fid('snmp.name')), '1.3.6.1.2.1.1.1.0');
  assert.equal(d.protocols, 'eth:ethertype:ip:udp:snmp:snmp');
  assert.equal(d.get(fid('udp.stream')), 1);
});

test('OID text', () => {
  const r = new Reader(Uint8Array.from([0x2b, 6, 1, 0x82, 0x37, 0]), 0, 6);
  assert.equal(oidText(r, 0, 6), '1.3.6.1.311.0');
});

test('NTP client', () => {
  const d = new Session().dissect(frame(NTP));
  assert.equal(d.protocol, 'NTP');
  assert.match(d.info, /^NTP Version [34], (client|server)$/);
  assert.equal(d.protocols, 'eth:ethertype:ip:udp:ntp');
});

test('SNMP/NTP truncation sweep', () => sweep([GETNEXT, RESP, NTP]));

test('SNMP rejects a non-BER payload on port 161 as malformed, not a crash', () => {
  const b = Buffer.from(GETNEXT, 'hex');
  b[42] = 0x16; // not a SEQUENCE
  const d = new Session().dissect(frame(b.toString('hex')));
  assert.ok(d.malformed);
});
