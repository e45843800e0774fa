/** Nothing escapes the dispatcher: every prefix of real packets, and mutated packets, decode without a decoder bug. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { Session } from '../src/dissect/session.js';
import { fuzz, loadFrames } from '../src/fuzz/mutate.js';
import type { Frame } from '../src/wire/capture.js';

const SHARED = new URL('../../../shared/pcaps/', import.meta.url).pathname;
const SAMPLE = new URL('../../samples/sample.pcap', import.meta.url).pathname;

function files(): string[] {
  const out: string[] = [];
  if (existsSync(SAMPLE)) out.push(SAMPLE);
  if (existsSync(SHARED)) for (const f of readdirSync(SHARED)) if (/\.(pcap|pcapng|gz)$/.test(f)) out.push(SHARED + f);
  return out;
}

test('truncation sweep: every prefix of real packets decodes', { timeout: 300_000 }, async () => {
  const corpus = await loadFrames(files());
  let checked = 0;
  for (const c of corpus) {
    const s = new Session();
    // the first 40 frames of each capture, and every 50th after, cover each protocol's opening messages
    c.frames.forEach((f, i) => {
      if (i >= 40 && i % 50 !== 0) return;
      for (let n = 0; n <= f.data.length; n++) {
        const fr: Frame = { num: i + 1, tsSec: 1, tsNsec: 0, hasTs: true, caplen: n, len: f.len, linktype: f.linktype, iface: 0, data: f.data.subarray(0, n) };
        const d = s.dissect(fr);
        assert.ok(!d.anomalies.includes('decoder_exception'), `${c.file} frame ${i + 1} cut to ${n} bytes: ${s.lastError}`);
        checked++;
      }
    });
  }
  assert.ok(checked > 10_000, `only ${checked} prefixes checked`);
});

test('mutation fuzzing (short run; npm run fuzz does a million)', { timeout: 300_000 }, async () => {
  const corpus = await loadFrames(files());
  const r = fuzz(corpus, 100_000, 7);
  assert.equal(r.packets, 100_000);
  assert.deepEqual(r.exceptions.map((e) => `${e.file}#${e.frame}: ${e.error.split('\n')[0]} ${e.hex.slice(0, 120)}`), []);
  assert.ok(r.slowest < 2000, `a packet took ${r.slowest} ms`);
});
