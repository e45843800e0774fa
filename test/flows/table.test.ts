import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlowTable } from '../../src/flows/table.js';

test('conversations are bidirectional and numbered from 0 per transport in order of first appearance', () => {
  const t = new FlowTable();
  const a = t.lookup(4, 6, 0x0a000001, 0x0a000002, null, null, 40000, 443, 1);
  assert.equal(a.id, 0);
  assert.equal(t.dir, 0);
  const back = t.lookup(4, 6, 0x0a000002, 0x0a000001, null, null, 443, 40000, 2);
  assert.equal(back, a);
  assert.equal(t.dir, 1);
  const u = t.lookup(4, 17, 0x0a000001, 0x0a000002, null, null, 5353, 53, 3);
  assert.equal(u.id, 0, 'udp numbers separately from tcp');
  const b = t.lookup(4, 6, 0x0a000001, 0x0a000003, null, null, 40000, 443, 4);
  assert.equal(b.id, 1);
  assert.equal(a.cli4, 0x0a000001);
  assert.equal(a.srvPort, 443);
});

test('IPv6 keys compare all 16 bytes', () => {
  const t = new FlowTable();
  const x = new Uint8Array(16); x[0] = 0x20; x[15] = 1;
  const y = new Uint8Array(16); y[0] = 0x20; y[15] = 2;
  const z = new Uint8Array(16); z[0] = 0x20; z[14] = 1; z[15] = 2;
  const f1 = t.lookup(6, 17, 0, 0, x, y, 1000, 53, 1);
  const f2 = t.lookup(6, 17, 0, 0, x, z, 1000, 53, 1);
  assert.notEqual(f1, f2);
  assert.equal(t.lookup(6, 17, 0, 0, y, x, 53, 1000, 2), f1);
  assert.equal(t.dir, 1);
});

test('the table stays bounded: least recently seen conversations are evicted and counted', () => {
  const t = new FlowTable({ maxFlows: 5000 });
  for (let i = 0; i < 100_000; i++) t.lookup(4, 17, i, 1, null, null, 1000, 53, i / 100);
  assert.ok(t.size <= 5000, `size ${t.size}`);
  assert.ok(t.evicted >= 95_000 - 5000, `evicted ${t.evicted}`);
  // the most recent conversation is still there with its number
  const last = t.lookup(4, 17, 99_999, 1, null, null, 1000, 53, 1000);
  assert.equal(last.id, 99_999);
});

test('idle conversations expire', () => {
  const t = new FlowTable({ idleTimeout: 10 });
  t.lookup(4, 17, 1, 2, null, null, 1, 2, 0);
  for (let i = 0; i < 70_000; i++) t.lookup(4, 17, 100 + i, 2, null, null, 1, 2, 100);
  assert.ok(t.expired >= 1);
});
