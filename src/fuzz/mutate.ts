/**
 * Packet mutation fuzzing over real frames: bit flips, byte overwrites with boundary values,
 * truncation, length-field corruption and splices. Used by `npm run fuzz` and a short test run.
 * A decoder bug shows up as a 'decoder_exception' anomaly (something other than a bounds-checked
 * DecodeError escaped a protocol module), a hang as a slow packet, a leak as growing memory.
 */
import { readCapture, CaptureError, type Frame } from '../wire/capture.js';
import { Session } from '../dissect/session.js';

export interface FuzzResult {
  packets: number;
  exceptions: { file: string; frame: number; hex: string; error: string }[];
  slowest: number;
  rssStartMB: number;
  rssEndMB: number;
  elapsed: number;
}

const INTERESTING = [0x00, 0x01, 0x02, 0x7f, 0x80, 0xfe, 0xff, 0x40, 0x20, 0x10, 0x08, 0x3f, 0xc0];

/** xorshift32: deterministic and fast. */
export function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x / 4294967296;
  };
}

export function mutate(src: Uint8Array, rand: () => number, pool: Uint8Array[]): Uint8Array {
  let b: Uint8Array = src.slice();
  const n = 1 + Math.floor(rand() * 4);
  for (let k = 0; k < n && b.length > 0; k++) {
    const at = Math.floor(rand() * b.length);
    switch (Math.floor(rand() * 7)) {
      case 0: b[at] ^= 1 << Math.floor(rand() * 8); break;
      case 1: b[at] = INTERESTING[Math.floor(rand() * INTERESTING.length)]; break;
      case 2: b = b.subarray(0, at); break;
      case 3: // 16-bit field set to boundary (lengths, counts, offsets)
        if (at + 1 < b.length) { const v = [0, 1, 0xffff, 0x7fff, 0x8000, b.length, b.length + 1][Math.floor(rand() * 7)]; b[at] = v >> 8; b[at + 1] = v & 255; }
        break;
      case 4: b[at] = Math.floor(rand() * 256); break;
      case 5: { // splice a piece of another packet
        const o = pool[Math.floor(rand() * pool.length)];
        if (o && o.length) {
          const from = Math.floor(rand() * o.length), len = Math.min(o.length - from, 1 + Math.floor(rand() * 64));
          const c = new Uint8Array(Math.max(b.length, at + len));
          c.set(b); c.set(o.subarray(from, from + len), at);
          b = c;
        }
        break;
      }
      case 6: { // DNS-style compression pointer loop / forward pointer
        if (at + 1 < b.length) { b[at] = 0xc0; b[at + 1] = Math.floor(rand() * Math.min(255, b.length)); }
        break;
      }
    }
  }
  return b;
}

/** Load up to `max` frames from captures (with their link types). */
export async function loadFrames(files: string[], max = 200_000): Promise<{ file: string; frames: { data: Uint8Array; linktype: number; len: number }[] }[]> {
  const out: { file: string; frames: { data: Uint8Array; linktype: number; len: number }[] }[] = [];
  let total = 0;
  for (const file of files) {
    const frames: { data: Uint8Array; linktype: number; len: number }[] = [];
    try {
      await readCapture(file, (f) => { if (total++ < max) frames.push({ data: f.data.slice(), linktype: f.linktype, len: f.len }); });
    } catch (e) {
      if (!(e instanceof CaptureError)) throw e;
    }
    out.push({ file, frames });
  }
  return out;
}

export function fuzz(corpus: Awaited<ReturnType<typeof loadFrames>>, count: number, seed = 1): FuzzResult {
  const rand = rng(seed);
  const all = corpus.flatMap((c) => c.frames.map((f) => ({ ...f, file: c.file })));
  if (all.length === 0) throw new Error('fuzz: no frames to mutate');
  const pool = all.map((f) => f.data);
  // a bounded flow table: fuzzing invents a new conversation with almost every packet
  let s = new Session({ maxFlows: 20_000 });
  const frame: Frame = { num: 0, tsSec: 1_700_000_000, tsNsec: 0, hasTs: true, caplen: 0, len: 0, linktype: 1, iface: 0, data: new Uint8Array(0) };
  const res: FuzzResult = { packets: 0, exceptions: [], slowest: 0, rssStartMB: process.memoryUsage().rss / 2 ** 20, rssEndMB: 0, elapsed: 0 };
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const src = all[Math.floor(rand() * all.length)];
    const data = mutate(src.data, rand, pool);
    frame.num = i + 1;
    frame.tsSec += 1;
    frame.data = data;
    frame.caplen = data.length;
    frame.len = rand() < 0.9 ? Math.max(data.length, src.len) : Math.floor(rand() * 70000);
    frame.linktype = rand() < 0.97 ? src.linktype : [0, 1, 101, 113, 127, 228, 229, 276, 108, 253][Math.floor(rand() * 10)];
    const a = performance.now();
    const d = s.dissect(frame);
    const dt = performance.now() - a;
    if (dt > res.slowest) res.slowest = dt;
    if (d.anomalies.includes('decoder_exception')) {
      if (res.exceptions.length < 50) res.exceptions.push({ file: src.file, frame: i + 1, hex: Buffer.from(data).toString('hex'), error: s.lastError });
    }
    res.packets++;
    if ((i & 0x3ffff) === 0x3ffff) s = new Session({ maxFlows: 20_000 }); // a fresh session now and then, like new captures
  }
  res.elapsed = (performance.now() - t0) / 1000;
  res.rssEndMB = process.memoryUsage().rss / 2 ** 20;
  return res;
}
