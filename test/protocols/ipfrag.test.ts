import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FragmentTable } from '../../src/protocols/ipfrag.js';

const bytes = (n: number, v: number) => new Uint8Array(n).fill(v);

test('fragments in any order reassemble on the one that fills the last hole', () => {
  const t = new FragmentTable();
  assert.equal(t.add('a', 100, false, bytes(50, 3), 1), null);
  assert.equal(t.add('a', 0, true, bytes(60, 1), 2), null);
  const whole = t.add('a', 60, true, bytes(40, 2), 3);
  assert.ok(whole);
  assert.equal(whole!.length, 150);
  assert.deepEqual([whole![0], whole![59], whole![60], whole![99], whole![100], whole![149]], [1, 1, 2, 2, 3, 3]);
});

test('a fragment past the declared end (fuzzed or forged) does not break reassembly', () => {
  const t = new FragmentTable();
  t.add('k', 1000, true, bytes(100, 9), 1);
  t.add('k', 0, true, bytes(100, 1), 2);
  const whole = t.add('k', 100, false, bytes(50, 2), 3);
  assert.equal(whole?.length, 150);
});

test('duplicates are ignored and oversized datagrams refused', () => {
  const t = new FragmentTable();
  t.add('d', 0, true, bytes(8, 1), 1);
  t.add('d', 0, true, bytes(8, 1), 2);
  assert.equal(t.add('d', 8, false, bytes(8, 2), 3)?.length, 16);
  assert.equal(t.add('big', 65530, true, bytes(100, 0), 4), null);
  assert.equal(t.dropped, 1);
});
