/** SMTP golden decodes of real bytes (suri-smtp-to-comma-10.7.29.101_49898-178.63.41.150_25.pcap frames 4 and 5), Telnet, RIP. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Session } from '../../src/dissect/session.js';
import { fid } from '../../src/fields/catalog.js';
import { frame, sweep } from './helpers.js';

const S220 = '0008021c47ae20e52ab693f1080045000082d4d1000080066263b23f29960a071d650019c2ea6d3320c2090ad4125018faf0ae2e0000323230207475783331392e6c6f67696e7365727665722e63682045534d54502053656e646d61696c20382e31342e392f382e31322e31313b204d6f6e2c203239204a756c20323031392031393a30313a3436202b303230300d0a';
const EHLO = '20e52ab693f10008021c47ae08004500005229ca40008006cd9a0a071d65b23f2996c2ea0019090ad4126d33211c5018fa96c8ad000045484c4f203137332d36362d34362d3131322e776173682e66696f732e766572697a6f6e2e6e65740d0a';

test('SMTP server greeting and client command', () => {
  const s = new Session();
  let d = s.dissect(frame(S220, 1));
  assert.equal(d.protocol, 'SMTP');
  assert.equal(d.get(fid('smtp.response.code')), 220);
  assert.equal(d.info, 'S: 220 tux319.loginserver.ch ESMTP Sendmail 8.14.9/8.12.11; Mon, 29 Jul 2019 19:01:46 +0200');
  d = s.dissect(frame(EHLO, 2));
  assert.equal(d.protocol, 'SMTP');
  assert.equal(d.get(fid('smtp.req.command')), 'EHLO');
  assert.equal(d.info, 'C: EHLO 173-66-46-112.wash.fios.verizon.net');
  assert.equal(d.protocols, 'eth:ethertype:ip:tcp:smtp');
});

test('truncation sweep', () => sweep([S220, EHLO]));
