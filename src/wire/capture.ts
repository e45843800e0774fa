/**
 * Streaming pcap / pcapng reader. One parser for files, standard input and live tool output:
 * bytes are pushed in chunks, whole records come out through a callback, memory stays constant.
 * Format is sniffed by magic (gzip is unwrapped transparently, by magic, not by name).
 */
import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';

/**
 * One captured record. The object and its `data` window are reused: `data` is valid only during the callback
 * that receives it (files are read into one recycled buffer). Copy what you keep.
 */
export interface Frame {
  num: number;
  tsSec: number;
  tsNsec: number;
  hasTs: boolean;
  caplen: number;
  len: number;
  linktype: number;
  iface: number;
  data: Uint8Array;
}

export interface InterfaceInfo {
  linktype: number;
  snaplen: number;
  name?: string;
}

export class CaptureError extends Error {
  /** what the reader had learned when it stopped (set by readCapture) */
  interfaces: InterfaceInfo[] = [];
  skipped: Record<string, number> = {};
  constructor(
    message: string,
    /** 'damaged': whole packets before byteOffset were delivered; 'not-capture': nothing was. */
    public readonly kind: 'damaged' | 'not-capture' | 'io',
    public readonly byteOffset = 0,
    public readonly packets = 0,
  ) {
    super(message);
  }
}

/**
 * Bytes read at a time from a file. Small enough that the event loop gets back to other I/O (the database writer's
 * round trips) every few milliseconds while records are decoded synchronously.
 */
const CHUNK = 1024 * 1024;

/** Largest record tshark accepts for ordinary link types (WTAP_MAX_PACKET_SIZE_STANDARD). */
export const MAX_RECORD = 262144;

type Format = 'pcap' | 'pcapng';

export class CaptureParser {
  readonly frame: Frame = {
    num: 0, tsSec: 0, tsNsec: 0, hasTs: true, caplen: 0, len: 0, linktype: 1, iface: 0, data: new Uint8Array(0),
  };
  format: Format | undefined;
  /** Bytes consumed from the start of the (decompressed) stream up to the last whole record. */
  offset = 0;
  packets = 0;
  /** Records that were skipped (pcapng custom/unknown blocks), by reason. */
  readonly skipped: Record<string, number> = {};
  interfaces: InterfaceInfo[] = [];
  private pend: Uint8Array | null = null;
  private le = true;
  private nanos = false;
  private kuznetzov = false;
  private swapLens = false;
  private linktype = 1;
  private snaplen = 0;
  private headerDone = false;
  // pcapng per-section state
  private ifTsDiv: number[] = []; // units per second (power of ten or two)
  private ifTsOff: number[] = [];
  private sectionStartIface = 0;

  constructor(private readonly onFrame: (f: Frame) => void) {}

  push(chunk: Uint8Array): void {
    let at = 0;
    if (this.pend) {
      // complete the record that straddles the chunk boundary by copying only its own bytes
      let p = this.pend;
      for (;;) {
        const need = this.headerDone ? this.recordLen(p) : 24;
        const want = need < 0 ? (this.format === 'pcap' ? (this.kuznetzov ? 24 : 16) : 12) : need;
        const take = Math.min(chunk.length - at, Math.max(0, want - p.length));
        if (take > 0) {
          const q = new Uint8Array(p.length + take);
          q.set(p, 0);
          q.set(chunk.subarray(at, at + take), p.length);
          p = q;
          at += take;
        }
        if (p.length < want) {
          if (at >= chunk.length) { this.pend = p; return; }
          continue;
        }
        if (need < 0 || !this.headerDone) {
          // header now complete: loop to learn the record length (or parse the file header)
          if (!this.headerDone) { const used = this.parse(p); p = p.subarray(used); if (!this.headerDone || p.length) { this.pend = p.length ? p.slice() : null; if (at >= chunk.length) return; if (!this.pend) break; continue; } break; }
          continue;
        }
        const used = this.parse(p);
        if (used !== p.length) { this.pend = p.subarray(used).slice(); if (at >= chunk.length) return; p = this.pend; continue; }
        break;
      }
      this.pend = null;
    }
    const buf = at ? chunk.subarray(at) : chunk;
    const used = this.parse(buf);
    if (used < buf.length) this.pend = buf.slice(used);
  }

  /** Length of the record (pcap) or block (pcapng) at the start of b, -1 if its header is incomplete. */
  private recordLen(b: Uint8Array): number {
    if (this.format === 'pcap') {
      const h = this.kuznetzov ? 24 : 16;
      if (b.length < h) return -1;
      const incl = this.rd32(b, this.swapLens ? 12 : 8);
      return incl > 0x4000000 ? h : h + incl; // impossible lengths are reported by parse()
    }
    if (b.length < 12) return -1;
    const typeBE = ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
    if (typeBE === 0x0a0d0d0a) {
      const bom = ((b[8] << 24) | (b[9] << 16) | (b[10] << 8) | b[11]) >>> 0;
      const le = bom === 0x4d3c2b1a;
      const t = le ? (b[4] | (b[5] << 8) | (b[6] << 16) | (b[7] << 24)) >>> 0 : ((b[4] << 24) | (b[5] << 16) | (b[6] << 8) | b[7]) >>> 0;
      return t < 12 || t > 0x4000000 ? 12 : t;
    }
    const t = this.rd32(b, 4);
    return t < 12 || t > 0x4000000 ? 12 : t;
  }

  /** Call at end of input: throws CaptureError if the stream ended inside a record. */
  finish(): void {
    const left = this.pend ? this.pend.length : 0;
    if (!this.headerDone) {
      if (left === 0 && this.offset === 0) throw new CaptureError('empty input: not a capture file', 'not-capture');
      throw new CaptureError(`not a capture file: ${describe(this.pend ?? new Uint8Array(0))}`, 'not-capture');
    }
    if (left > 0) {
      throw new CaptureError(`cut short at byte ${this.offset} after ${this.packets} packets`, 'damaged', this.offset, this.packets);
    }
  }

  private damaged(why: string): never {
    throw new CaptureError(`cut short at byte ${this.offset} after ${this.packets} packets (${why})`, 'damaged', this.offset, this.packets);
  }

  private parse(b: Uint8Array): number {
    let p = 0;
    if (!this.headerDone) {
      if (b.length < 4) return 0;
      const m = ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
      if (m === 0x0a0d0d0a) {
        this.format = 'pcapng';
        this.headerDone = true;
      } else if (m === 0xa1b2c3d4 || m === 0xa1b23c4d || m === 0xa1b2cd34 || m === 0xd4c3b2a1 || m === 0x4d3cb2a1 || m === 0x34cdb2a1) {
        if (b.length < 24) return 0;
        this.format = 'pcap';
        this.le = (m & 0xff) === 0xa1;
        const mm = this.le ? ((b[3] << 24) | (b[2] << 16) | (b[1] << 8) | b[0]) >>> 0 : m;
        this.nanos = mm === 0xa1b23c4d;
        this.kuznetzov = mm === 0xa1b2cd34;
        // before format 2.3 the record header had incl_len and orig_len the other way round
        this.swapLens = this.rd16(b, 4) === 2 && this.rd16(b, 6) < 3;
        this.snaplen = this.rd32(b, 16);
        this.linktype = this.rd32(b, 20) & 0xffff;
        this.interfaces = [{ linktype: this.linktype, snaplen: this.snaplen }];
        this.headerDone = true;
        p = 24;
        this.offset = 24;
      } else {
        throw new CaptureError(`not a capture file: ${describe(b)}`, 'not-capture');
      }
    }
    return this.format === 'pcap' ? this.parsePcap(b, p) : this.parseNg(b, p);
  }

  private rd32(b: Uint8Array, o: number): number {
    return this.le
      ? (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0
      : ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
  }

  private rd16(b: Uint8Array, o: number): number {
    return this.le ? b[o] | (b[o + 1] << 8) : (b[o] << 8) | b[o + 1];
  }

  private parsePcap(b: Uint8Array, p: number): number {
    const hdr = this.kuznetzov ? 24 : 16;
    const f = this.frame;
    const n = b.length;
    const le = this.le;
    const max = Math.max(MAX_RECORD, this.snaplen > MAX_RECORD && this.snaplen <= 0x4000000 ? this.snaplen : 0);
    while (p + hdr <= n) {
      let sec: number, frac: number, incl: number, orig: number;
      if (le) {
        sec = (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
        frac = (b[p + 4] | (b[p + 5] << 8) | (b[p + 6] << 16) | (b[p + 7] << 24)) >>> 0;
        incl = (b[p + 8] | (b[p + 9] << 8) | (b[p + 10] << 16) | (b[p + 11] << 24)) >>> 0;
        orig = (b[p + 12] | (b[p + 13] << 8) | (b[p + 14] << 16) | (b[p + 15] << 24)) >>> 0;
      } else {
        sec = this.rd32(b, p);
        frac = this.rd32(b, p + 4);
        incl = this.rd32(b, p + 8);
        orig = this.rd32(b, p + 12);
      }
      if (this.swapLens) { const t = incl; incl = orig; orig = t; }
      if (incl > max) this.damaged(`record ${this.packets + 1} claims ${incl} bytes, more than the maximum of ${max}`);
      if (p + hdr + incl > n) break;
      f.num = ++this.packets;
      f.tsSec = sec;
      f.tsNsec = this.nanos ? frac : frac * 1000;
      f.hasTs = true;
      f.caplen = incl;
      f.len = orig;
      f.linktype = this.linktype;
      f.iface = 0;
      f.data = b.subarray(p + hdr, p + hdr + incl);
      p += hdr + incl;
      this.offset += hdr + incl;
      this.onFrame(f);
    }
    return p;
  }

  private parseNg(b: Uint8Array, p: number): number {
    const n = b.length;
    while (p + 12 <= n) {
      // The section header decides byte order for what follows, so peek at it first.
      const typeBE = ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
      if (typeBE === 0x0a0d0d0a) {
        const bom = ((b[p + 8] << 24) | (b[p + 9] << 16) | (b[p + 10] << 8) | b[p + 11]) >>> 0;
        if (bom === 0x1a2b3c4d) this.le = false;
        else if (bom === 0x4d3c2b1a) this.le = true;
        else this.damaged('bad pcapng byte-order magic');
        this.sectionStartIface = this.interfaces.length;
      }
      const type = this.rd32(b, p);
      const tlen = this.rd32(b, p + 4);
      if (tlen < 12 || tlen % 4 !== 0 || tlen > 0x4000000) this.damaged(`pcapng block of impossible length ${tlen}`);
      if (p + tlen > n) break;
      const body = p + 8;
      const bend = p + tlen - 4;
      if (this.rd32(b, bend) !== tlen) this.damaged('pcapng block trailer does not match its length');
      switch (type) {
        case 0x0a0d0d0a:
          break;
        case 1: { // Interface Description Block
          const lt = this.rd16(b, body);
          const snap = this.rd32(b, body + 4);
          let div = 1e6;
          let off = 0;
          let name: string | undefined;
          for (let o = body + 8; o + 4 <= bend;) {
            const code = this.rd16(b, o);
            const olen = this.rd16(b, o + 2);
            if (code === 0) break;
            const v = o + 4;
            if (v + olen > bend) break;
            if (code === 9 && olen >= 1) {
              const r = b[v];
              div = r & 0x80 ? 2 ** (r & 0x7f) : 10 ** r;
            } else if (code === 14 && olen >= 8) {
              const hi = this.rd32(b, this.le ? v + 4 : v);
              const lo = this.rd32(b, this.le ? v : v + 4);
              off = hi * 4294967296 + lo;
              if (hi & 0x80000000) off -= 2 ** 64;
            } else if (code === 2) {
              name = new TextDecoder().decode(b.subarray(v, v + olen)).replace(/\0+$/, '');
            }
            o = v + ((olen + 3) & ~3);
          }
          this.interfaces.push({ linktype: lt, snaplen: snap, name });
          this.ifTsDiv.push(div);
          this.ifTsOff.push(off);
          break;
        }
        case 6: // Enhanced Packet Block
        case 2: { // obsolete Packet Block
          let ifc: number;
          if (type === 6) ifc = this.rd32(b, body);
          else ifc = this.rd16(b, body);
          const hi = this.rd32(b, body + 4);
          const lo = this.rd32(b, body + 8);
          const cap = this.rd32(b, body + 12);
          const orig = this.rd32(b, body + 16);
          const g = this.sectionStartIface + ifc;
          if (g >= this.interfaces.length) this.damaged(`packet on undeclared interface ${ifc}`);
          if (body + 20 + cap > bend) this.damaged('packet block data runs past its block');
          this.setTime(g, hi, lo);
          this.emit(b, body + 20, cap, orig, g, true);
          break;
        }
        case 3: { // Simple Packet Block: no timestamp, interface 0 of the section
          const orig = this.rd32(b, body);
          const g = this.sectionStartIface;
          if (g >= this.interfaces.length) this.damaged('simple packet block before any interface');
          const snap = this.interfaces[g].snaplen || 0x7fffffff;
          const cap = Math.min(orig, snap, bend - body - 4);
          this.frame.tsSec = 0;
          this.frame.tsNsec = 0;
          this.emit(b, body + 4, cap, orig, g, false);
          break;
        }
        default: {
          const why = type === 0x00000bad || type === 0x40000bad ? 'custom block' : type === 5 ? 'interface statistics' : type === 4 ? 'name resolution' : `block type 0x${type.toString(16)}`;
          this.skipped[why] = (this.skipped[why] ?? 0) + 1;
        }
      }
      p += tlen;
      this.offset += tlen;
    }
    return p;
  }

  private setTime(g: number, hi: number, lo: number): void {
    const div = this.ifTsDiv[g];
    const f = this.frame;
    if (div === 1e6) {
      const units = hi * 4294967296 + lo; // < 2^53 for any real date in microseconds
      const s = Math.floor(units / 1e6);
      f.tsSec = s + this.ifTsOff[g];
      f.tsNsec = (units - s * 1e6) * 1000;
    } else {
      const units = (BigInt(hi) << 32n) | BigInt(lo);
      const d = BigInt(div);
      const s = units / d;
      const rem = units - s * d;
      f.tsSec = Number(s) + this.ifTsOff[g];
      f.tsNsec = Number((rem * 1000000000n) / d);
    }
  }

  private emit(b: Uint8Array, o: number, cap: number, orig: number, g: number, hasTs: boolean): void {
    const f = this.frame;
    f.num = ++this.packets;
    f.hasTs = hasTs;
    f.caplen = cap;
    f.len = orig;
    f.linktype = this.interfaces[g].linktype;
    f.iface = g;
    f.data = b.subarray(o, o + cap);
    this.onFrame(f);
  }
}

/** Name what a non-capture file looks like, for a one-line error. */
export function describe(b: Uint8Array): string {
  if (b.length === 0) return 'the file is empty';
  const hex = Array.from(b.subarray(0, 4), (x) => x.toString(16).padStart(2, '0')).join(' ');
  const s = new TextDecoder().decode(b.subarray(0, 64));
  if (b[0] === 0x50 && b[1] === 0x4b) return 'found a ZIP archive';
  if (b[0] === 0x42 && b[1] === 0x5a && b[2] === 0x68) return 'found a bzip2 file (decompress it first)';
  if (b[0] === 0xfd && b[1] === 0x37 && b[2] === 0x7a) return 'found an xz file (decompress it first)';
  if (b[0] === 0x28 && b[1] === 0xb5 && b[2] === 0x2f && b[3] === 0xfd) return 'found a zstd file (decompress it first)';
  if (b[0] === 0x7f && b[1] === 0x45 && b[2] === 0x4c && b[3] === 0x46) return 'found an ELF executable';
  if (b[0] === 0x25 && b[1] === 0x50 && b[2] === 0x44 && b[3] === 0x46) return 'found a PDF document';
  if (s.startsWith('RIFF')) return 'found a RIFF (audio/video) file';
  if (/^\s*[{[]/.test(s)) return 'found JSON text';
  if (/^\s*</.test(s)) return 'found XML/HTML text';
  const printable = Array.from(b.subarray(0, Math.min(64, b.length))).every((c) => c === 9 || c === 10 || c === 13 || (c >= 32 && c < 127));
  if (printable) return `found text starting "${s.slice(0, 24).replace(/[\r\n\t]+/g, ' ')}"`;
  if (b.length < 4) return `found only ${b.length} byte(s)`;
  return `unknown magic ${hex} (expected pcap a1b2c3d4/a1b23c4d, pcapng 0a0d0d0a or gzip 1f8b)`;
}

export interface ReadResult {
  packets: number;
  bytes: number;
  format: Format | undefined;
  gzip: boolean;
  interfaces: InterfaceInfo[];
  skipped: Record<string, number>;
}

/**
 * Read a capture from a path ('-' = standard input) or a stream, calling onFrame for every whole record.
 * Rejects with CaptureError after delivering every whole record before any damage.
 */
/**
 * A regular, uncompressed file is read into one reused buffer: frames are windows into it that are valid only
 * during the callback (as documented on Frame), so no garbage is made per chunk and memory stays flat.
 * Returns null when the file is gzip-compressed (the streaming path handles that).
 */
async function readPlainFile(
  path: string,
  onFrame: (f: Frame) => void,
  opts: { signal?: AbortSignal; afterChunk?: (sourceBytes: number) => Promise<void> | void },
): Promise<ReadResult | null> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw new CaptureError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`, 'io');
  }
  const parser = new CaptureParser(onFrame);
  // two buffers: the next read runs while the current chunk is decoded
  const bufs = [new Uint8Array(CHUNK), new Uint8Array(CHUNK)];
  let sourceBytes = 0;
  const read = (b: Uint8Array): Promise<number> =>
    fh.read(b, 0, b.length, null).then(
      (r) => r.bytesRead,
      (e: Error) => { throw new CaptureError(`cannot read ${path}: ${e.message}`, 'io'); },
    );
  let pending: Promise<number> = read(bufs[0]);
  try {
    let cur = 0;
    for (;;) {
      const n = await pending;
      if (sourceBytes === 0 && n >= 2 && bufs[cur][0] === 0x1f && bufs[cur][1] === 0x8b) return null;
      if (n === 0 || opts.signal?.aborted) break;
      sourceBytes += n;
      pending = read(bufs[cur ^ 1]);
      parser.push(bufs[cur].subarray(0, n));
      cur ^= 1;
      if (opts.afterChunk) await opts.afterChunk(sourceBytes);
    }
    if (!opts.signal?.aborted) parser.finish();
  } catch (e) {
    if (e instanceof CaptureError) {
      e.interfaces = parser.interfaces;
      e.skipped = parser.skipped;
    }
    throw e;
  } finally {
    await pending.catch(() => 0); // a read may still be in flight when we stop early
    await fh.close();
  }
  return { packets: parser.packets, bytes: parser.offset, format: parser.format, gzip: false, interfaces: parser.interfaces, skipped: parser.skipped };
}

export async function readCapture(
  source: string | Readable,
  onFrame: (f: Frame) => void,
  opts: {
    signal?: AbortSignal;
    /** called after each chunk's records were delivered, with the bytes read so far from the source (before gunzip) */
    afterChunk?: (sourceBytes: number) => Promise<void> | void;
  } = {},
): Promise<ReadResult> {
  if (typeof source === 'string' && source !== '-') {
    const r = await readPlainFile(source, onFrame, opts);
    if (r) return r;
  }
  let input: Readable;
  if (typeof source === 'string') {
    input = source === '-' ? process.stdin : createReadStream(source, { highWaterMark: 1 << 20 });
  } else input = source;
  const parser = new CaptureParser(onFrame);
  let gz = false;
  let stream: AsyncIterable<Uint8Array> = input;
  // Sniff gzip by its first bytes.
  const it = input[Symbol.asyncIterator]();
  let first: IteratorResult<Uint8Array>;
  try {
    first = await it.next();
  } catch (e) {
    throw new CaptureError(`cannot read ${typeof source === 'string' ? source : 'input'}: ${(e as Error).message}`, 'io');
  }
  const head = first.done ? new Uint8Array(0) : (first.value as Uint8Array);
  let sourceBytes = 0;
  async function* rest(): AsyncGenerator<Uint8Array> {
    if (!first.done) { sourceBytes += head.length; yield head; }
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      sourceBytes += (r.value as Uint8Array).length;
      yield r.value as Uint8Array;
    }
  }
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
    gz = true;
    const gunzip = createGunzip({ chunkSize: 1 << 20 });
    const src = rest();
    (async () => {
      try {
        for await (const c of src) if (!gunzip.write(c)) await new Promise((r) => gunzip.once('drain', r));
        gunzip.end();
      } catch (e) {
        gunzip.destroy(e as Error);
      }
    })();
    stream = gunzip;
  } else stream = rest();
  try {
    for await (const chunk of stream) {
      if (opts.signal?.aborted) break;
      // a plain Uint8Array view: its subarray() is much cheaper than Buffer's, and it runs once per record
      parser.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      if (opts.afterChunk) await opts.afterChunk(sourceBytes);
    }
  } catch (e) {
    if (e instanceof CaptureError) {
      e.interfaces = parser.interfaces;
      e.skipped = parser.skipped;
      throw e;
    }
    // gzip data ended early or is corrupt: whatever whole records came out are kept.
    throw new CaptureError(`cut short at byte ${parser.offset} after ${parser.packets} packets (${(e as Error).message})`, 'damaged', parser.offset, parser.packets);
  } finally {
    if (typeof source === 'string' && source !== '-') input.destroy();
  }
  if (!opts.signal?.aborted) {
    try {
      parser.finish();
    } catch (e) {
      if (e instanceof CaptureError) { e.interfaces = parser.interfaces; e.skipped = parser.skipped; }
      throw e;
    }
  }
  return {
    packets: parser.packets,
    bytes: parser.offset,
    format: parser.format,
    gzip: gz,
    interfaces: parser.interfaces,
    skipped: parser.skipped,
  };
}
