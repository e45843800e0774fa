import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync, readdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { Readable } from 'node:stream';
import { CaptureParser, CaptureError, readCapture, type Frame } from '../../src/wire/capture.js';
import { createHash } from 'node:crypto';

const SHARED = new URL('../../../../shared/pcaps/', import.meta.url).pathname;
const SAMPLE = new URL('../../../samples/sample.pcap', import.meta.url).pathname;

function digest(frames: Frame[] | string[]): string {
  return createHash('sha256').update(JSON.stringify(frames)).digest('hex');
}

function frameKey(f: Frame): string {
  return `${f.num} ${f.tsSec}.${f.tsNsec} ${f.hasTs} ${f.caplen} ${f.len} ${f.linktype} ${f.iface} ${createHash('md5').update(f.data).digest('hex')}`;
}

/** Feed `b` to a parser in chunks of the given sizes (cycled). */
function parseChunked(b: Uint8Array, sizes: number[]): { keys: string[]; err: CaptureError | null } {
  const keys: string[] = [];
  const p = new CaptureParser((f) => keys.push(frameKey(f)));
  let err: CaptureError | null = null;
  try {
    for (let at = 0, i = 0; at < b.length; i++) {
      const n = sizes[i % sizes.length];
      p.push(b.subarray(at, at + n));
      at += n;
    }
    p.finish();
  } catch (e) {
    if (!(e instanceof CaptureError)) throw e;
    err = e;
  }
  return { keys, err };
}

function captures(): string[] {
  const out: string[] = [];
  if (existsSync(SAMPLE)) out.push(SAMPLE);
  if (existsSync(SHARED)) for (const f of readdirSync(SHARED)) if (/\.(pcap|pcapng)$/.test(f)) out.push(SHARED + f);
  return out;
}

test('chunk boundaries never change what is read', () => {
  const files = captures();
  assert.ok(files.length > 0, 'no captures to test with');
  for (const f of files) {
    const b = readFileSync(f);
    const whole = parseChunked(b, [b.length]);
    for (const sizes of b.length < 200_000 ? [[1], [7, 13, 1], [4096], [65536, 3]] : [[4096], [65536, 3], [100, 1000, 10000]]) {
      const got = parseChunked(b, sizes);
      assert.equal(got.keys.length, whole.keys.length, `${f} with chunks ${sizes}`);
      assert.equal(digest(got.keys), digest(whole.keys), `${f} with chunks ${sizes}`);
      assert.equal(got.err?.message, whole.err?.message, `${f} error with chunks ${sizes}`);
    }
  }
});

test('a truncated capture keeps every whole packet and says where it stopped', async () => {
  const f = existsSync(SAMPLE) ? SAMPLE : captures()[0];
  const b = readFileSync(f);
  const whole = parseChunked(b, [b.length]);
  assert.equal(whole.err, null);
  // cut in the middle of the last record
  const cut = b.subarray(0, b.length - 5);
  const r = parseChunked(cut, [4096]);
  assert.equal(r.keys.length, whole.keys.length - 1);
  assert.ok(r.err);
  assert.equal(r.err!.kind, 'damaged');
  assert.equal(r.err!.packets, whole.keys.length - 1);
  assert.match(r.err!.message, new RegExp(`^cut short at byte ${r.err!.byteOffset} after ${whole.keys.length - 1} packets`));
});

test('a record claiming an impossible length stops the read with the packets before it', () => {
  const hdr = Buffer.alloc(24);
  hdr.writeUInt32LE(0xa1b2c3d4, 0); hdr.writeUInt16LE(2, 4); hdr.writeUInt16LE(4, 6); hdr.writeUInt32LE(65535, 16); hdr.writeUInt32LE(1, 20);
  const rec = (len: number, claim = len): Buffer => { const h = Buffer.alloc(16); h.writeUInt32LE(1, 0); h.writeUInt32LE(claim, 8); h.writeUInt32LE(len, 12); return Buffer.concat([h, Buffer.alloc(Math.min(len, 64))]); };
  const b = Buffer.concat([hdr, rec(60), rec(60), rec(60, 0xe9ffffff), Buffer.alloc(200)]);
  const r = parseChunked(b, [33]);
  assert.equal(r.keys.length, 2);
  assert.equal(r.err?.kind, 'damaged');
  assert.equal(r.err?.byteOffset, 24 + 2 * 76);
});

test('not a capture: one line naming what was found', () => {
  for (const [bytes, re] of [
    [Buffer.from('{"hello": 1}'), /JSON/],
    [Buffer.from('PK\x03\x04zipzipzip'), /ZIP/],
    [Buffer.from('hello world, this is text'), /text/],
    [Buffer.from([0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4]), /unknown magic de ad be ef/],
    [Buffer.alloc(0), /empty/],
  ] as const) {
    const r = parseChunked(bytes, [5]);
    assert.equal(r.keys.length, 0);
    assert.equal(r.err?.kind, 'not-capture');
    assert.match(r.err!.message, re);
    assert.ok(!r.err!.message.includes('\n'));
  }
});

test('gzip is recognised by magic and streams through', async () => {
  const f = existsSync(SAMPLE) ? SAMPLE : captures()[0];
  const b = readFileSync(f);
  const plain: string[] = [];
  await readCapture(Readable.from([b]), (fr) => plain.push(frameKey(fr)));
  const gz: string[] = [];
  const res = await readCapture(Readable.from([gzipSync(b).subarray(0, 10), gzipSync(b).subarray(10)]), (fr) => gz.push(frameKey(fr)));
  assert.equal(res.gzip, true);
  assert.deepEqual(gz, plain);
});
