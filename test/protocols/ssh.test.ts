/** SSH golden decodes of real bytes: zeek-single-conn.pcap frames 4 (server banner), 6 (client banner), 12 (GEX request). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Session } from '../../src/dissect/session.js';
import { fid } from '../../src/fields/catalog.js';
import { Reader } from '../../src/wire/reader.js';
import { ssh } from '../../src/protocols/ssh.js';
import { frame, sweep } from './helpers.js';

const SRV = '001451166e2200127feb3bc008004500004bd01040002c0671a6839f0e17c096baa90016c05ce707193efa553be7801805a8803d00000101080ac04ac93a31c3c4ad5353482d312e39392d4f70656e5353485f332e3970310aa058e0ae';
const CLI = '00127feb3bc0001451166e2208004500004c602140004006cd94c096baa9839f0e17c05c0016fa553be7e70719558018ffffd65f00000101080a31c3c4adc04ac93a5353482d322e302d4f70656e5353485f332e382e3170310a';
const GEXREQ = '00127feb3bc0001451166e2208004500004c603940004006cd7cc096baa9839f0e17c05c0016fa553e5fe7071bd58018ffffbdde00000101080a31c3c4aec04acad0000000140622000004000000040000002000000000000000';

test('SSH banners, then a binary packet', () => {
  const s = new Session();
  let d = s.dissect(frame(SRV, 1));
  assert.equal(d.protocol, 'SSH');
  assert.equal(d.get(fid('ssh.protocol')), 'SSH-1.99-OpenSSH_3.9p1');
  assert.equal(d.info, 'Server: Protocol (SSH-1.99-OpenSSH_3.9p1)');
  d = s.dissect(frame(CLI, 2));
  assert.equal(d.protocol, 'SSH');
  assert.equal(d.info, 'Client: Protocol (SSH-2.0-OpenSSH_3.8.1p1)');
  assert.equal(d.protocols, 'eth:ethertype:ip:tcp:ssh');
  d = s.dissect(frame(GEXREQ, 3));
  assert.equal(d.protocol, 'SSHv2');
  assert.equal(d.get(fid('ssh.packet_length')), 20);
  assert.equal(d.get(fid('ssh.message_code')), 34);
  assert.equal(d.info, 'Client: Diffie-Hellman Group Exchange Request');
});

test('SSH heuristic rejects other payloads', () => {
  const r = (t: string) => new Reader(Uint8Array.from(Buffer.from(t, 'latin1')), 0, t.length);
  const h = ssh.heuristics![0];
  const d = new Session().d;
  assert.ok(h.test(r('SSH-2.0-x\r\n'), 0, d));
  assert.equal(h.test(r('GET / HTTP/1.1\r\n'), 0, d), false);
  assert.equal(h.test(r('SSH'), 0, d), false);
  assert.equal(h.test(r('\x16\x03\x01\x00\x10'), 0, d), false);
});

test('truncation sweep', () => sweep([SRV, CLI, GEXREQ]));
