// Streaming pcap and pcapng writers (little-endian). Output is gathered into ~1 MB chunks and handed to the sink
// whole; a chunk is never reused after it was handed over, so a sink may keep a reference to it.
//
//   const w = new PcapWriter(fs.createWriteStream('out.pcap'), { linktype: 1 });
//   if (!w.writePacket(sec, nsec, frame)) await w.flush();   // false = the sink asked us to wait
//   await w.end();

/** What a writer needs from its output; a Node `Writable` (file, stdout, socket) fits. */
export interface ByteSink {
  write(chunk: Uint8Array): boolean;
  once?(event: string, listener: (...args: any[]) => void): unknown;
  removeListener?(event: string, listener: (...args: any[]) => void): unknown;
  end?(cb?: () => void): unknown;
}

export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LINUX_SLL = 113;
export const DEFAULT_SNAPLEN = 262144;

const CHUNK = 1 << 20;

abstract class ChunkedWriter {
  /** Bytes produced so far (handed to the sink or still buffered). */
  bytes = 0;
  /** Records written so far. */
  packets = 0;
  private chunk = Buffer.allocUnsafe(CHUNK);
  private pos = 0;
  /** Settles when the sink drains after it last asked us to wait; null when it has not asked. */
  private drained: Promise<void> | null = null;
  private failure: Error | null = null;
  private ended = false;

  constructor(protected readonly sink: ByteSink) {
    sink.once?.('error', (e: Error) => { this.failure = e; });
  }

  /** True while the sink has asked for a pause; `await flush()` before writing more. */
  get needsDrain(): boolean { return this.drained !== null; }

  /** Reserves `n` bytes in the current chunk and returns the chunk and offset to write them at. */
  protected reserve(n: number): [Buffer, number] {
    if (this.ended) throw new Error('writer already ended');
    if (this.failure) throw this.failure;
    if (this.pos + n > this.chunk.length) {
      this.push();
      if (n > this.chunk.length) this.chunk = Buffer.allocUnsafe(n);
    }
    const at = this.pos;
    this.pos += n;
    this.bytes += n;
    return [this.chunk, at];
  }

  private push(): void {
    if (this.pos === 0) return;
    const out = this.chunk.subarray(0, this.pos);
    this.chunk = Buffer.allocUnsafe(CHUNK);
    this.pos = 0;
    if (this.sink.write(out) || this.drained || !this.sink.once) return;
    const sink = this.sink;
    this.drained = new Promise<void>((resolve, reject) => {
      const done = () => { sink.removeListener?.('error', fail); resolve(); };
      const fail = (e: Error) => { sink.removeListener?.('drain', done); reject(e); };
      sink.once!('drain', done);
      sink.once!('error', fail);
    }).finally(() => { this.drained = null; });
    this.drained.catch(() => { /* surfaced by flush() */ });
  }

  /** Hands buffered bytes to the sink; resolves once the sink can take more (after 'drain' if it was full). */
  async flush(): Promise<void> {
    if (this.failure) throw this.failure;
    this.push();
    if (this.drained) await this.drained;
  }

  /** Flushes, then ends the sink (if it can be ended) and resolves when it has finished writing. */
  async end(): Promise<void> {
    await this.flush();
    if (this.ended) return;
    this.ended = true;
    const sink = this.sink;
    if (!sink.end) return;
    await new Promise<void>((resolve, reject) => {
      const onError = (e: Error) => reject(e);
      sink.once?.('error', onError);
      sink.end!(() => { sink.removeListener?.('error', onError); resolve(); });
    });
  }
}

/** Splits a timestamp into whole seconds and a nanosecond remainder in [0, 1e9). */
function normTs(sec: number, nsec: number): [number, number] {
  sec = Math.floor(sec);
  nsec = Math.floor(nsec);
  if (nsec >= 1e9 || nsec < 0) {
    sec += Math.floor(nsec / 1e9);
    nsec = ((nsec % 1e9) + 1e9) % 1e9;
  }
  return [sec, nsec];
}

export interface PcapOptions {
  linktype?: number;
  snaplen?: number;
  /** Nanosecond timestamps (magic 0xa1b23c4d, the default) or microseconds (0xa1b2c3d4). */
  nanos?: boolean;
}

/** Classic libpcap format. */
export class PcapWriter extends ChunkedWriter {
  readonly linktype: number;
  readonly snaplen: number;
  readonly nanos: boolean;

  constructor(sink: ByteSink, opts: PcapOptions = {}) {
    super(sink);
    this.linktype = opts.linktype ?? LINKTYPE_ETHERNET;
    this.snaplen = opts.snaplen ?? DEFAULT_SNAPLEN;
    this.nanos = opts.nanos ?? true;
    const [b, o] = this.reserve(24);
    b.writeUInt32LE(this.nanos ? 0xa1b23c4d : 0xa1b2c3d4, o);
    b.writeUInt16LE(2, o + 4);
    b.writeUInt16LE(4, o + 6);
    b.writeInt32LE(0, o + 8);          // thiszone
    b.writeUInt32LE(0, o + 12);        // sigfigs
    b.writeUInt32LE(this.snaplen, o + 16);
    b.writeUInt32LE(this.linktype, o + 20);
  }

  /** Appends one record; `data` longer than the snaplen is cut. Returns false when the caller should `await flush()`. */
  writePacket(tsSec: number, tsNsec: number, data: Uint8Array, origLen = data.length): boolean {
    const [sec, nsec] = normTs(tsSec, tsNsec);
    const incl = Math.min(data.length, this.snaplen);
    const [b, o] = this.reserve(16 + incl);
    b.writeUInt32LE(sec >>> 0, o);
    b.writeUInt32LE(this.nanos ? nsec : Math.floor(nsec / 1000), o + 4);
    b.writeUInt32LE(incl, o + 8);
    b.writeUInt32LE(Math.max(origLen, incl), o + 12);
    b.set(incl === data.length ? data : data.subarray(0, incl), o + 16);
    this.packets++;
    return !this.needsDrain;
  }
}

export interface PcapngInterfaceOptions {
  snaplen?: number;
  tsresolNanos?: boolean;
  name?: string;
}

/** pcapng: one Section Header Block, Interface Description Blocks as interfaces are added, Enhanced Packet Blocks. */
export class PcapngWriter extends ChunkedWriter {
  private readonly ifaces: { key: string; nanos: boolean; snaplen: number }[] = [];

  constructor(sink: ByteSink, opts: { application?: string } = {}) {
    super(sink);
    const app = Buffer.from(opts.application ?? 'pktlens');
    const optLen = 4 + pad4(app.length) + 4;
    const total = 28 + optLen;
    const [b, o] = this.reserve(total);
    b.writeUInt32LE(0x0a0d0d0a, o);
    b.writeUInt32LE(total, o + 4);
    b.writeUInt32LE(0x1a2b3c4d, o + 8);
    b.writeUInt16LE(1, o + 12);
    b.writeUInt16LE(0, o + 14);
    b.writeInt32LE(-1, o + 16);        // section length: unknown
    b.writeInt32LE(-1, o + 20);
    writeOption(b, o + 24, 4, app);    // shb_userappl
    b.writeUInt32LE(0, o + 24 + 4 + pad4(app.length)); // opt_endofopt
    b.writeUInt32LE(total, o + total - 4);
  }

  /**
   * Returns the interface id for this link type (and snaplen/resolution), writing an IDB the first time it is seen.
   * `tsresolNanos` (default true) sets if_tsresol to 9; otherwise timestamps are in microseconds (the pcapng default).
   */
  addInterface(linktype: number, snaplen = DEFAULT_SNAPLEN, tsresolNanos = true, name?: string): number {
    const key = `${linktype}/${snaplen}/${tsresolNanos}/${name ?? ''}`;
    const known = this.ifaces.findIndex((i) => i.key === key);
    if (known >= 0) return known;
    const nameBytes = name ? Buffer.from(name) : null;
    const optLen = (nameBytes ? 4 + pad4(nameBytes.length) : 0) + (tsresolNanos ? 8 : 0) + 4;
    const total = 20 + optLen;
    const [b, o] = this.reserve(total);
    b.writeUInt32LE(1, o);
    b.writeUInt32LE(total, o + 4);
    b.writeUInt16LE(linktype, o + 8);
    b.writeUInt16LE(0, o + 10);
    b.writeUInt32LE(snaplen, o + 12);
    let p = o + 16;
    if (nameBytes) p = writeOption(b, p, 2, nameBytes);                   // if_name
    if (tsresolNanos) p = writeOption(b, p, 9, Uint8Array.of(9));         // if_tsresol: 10^-9
    b.writeUInt32LE(0, p);
    b.writeUInt32LE(total, o + total - 4);
    this.ifaces.push({ key, nanos: tsresolNanos, snaplen });
    return this.ifaces.length - 1;
  }

  /** Appends an Enhanced Packet Block. Returns false when the caller should `await flush()`. */
  writePacket(iface: number, tsSec: number, tsNsec: number, data: Uint8Array, origLen = data.length): boolean {
    const ifc = this.ifaces[iface];
    if (!ifc) throw new RangeError(`unknown interface ${iface}`);
    const [sec, nsec] = normTs(tsSec, tsNsec);
    const incl = Math.min(data.length, ifc.snaplen);
    const total = 32 + pad4(incl);
    const [b, o] = this.reserve(total);
    // 64-bit count of ticks, split exactly without BigInt: 1e9 = 1953125 * 2^9 and sec * 1953125 < 2^53.
    let hi: number, lo: number;
    if (ifc.nanos) {
      const m = sec * 1953125;
      hi = Math.floor(m / 8388608);                 // m * 512 / 2^32
      lo = (m % 8388608) * 512 + nsec;
      if (lo >= 4294967296) { lo -= 4294967296; hi += 1; }
    } else {
      const v = sec * 1e6 + Math.floor(nsec / 1000);
      hi = Math.floor(v / 4294967296);
      lo = v % 4294967296;
    }
    b.writeUInt32LE(6, o);
    b.writeUInt32LE(total, o + 4);
    b.writeUInt32LE(iface, o + 8);
    b.writeUInt32LE(hi, o + 12);
    b.writeUInt32LE(lo, o + 16);
    b.writeUInt32LE(incl, o + 20);
    b.writeUInt32LE(Math.max(origLen, incl), o + 24);
    b.set(incl === data.length ? data : data.subarray(0, incl), o + 28);
    b.fill(0, o + 28 + incl, o + total - 4);
    b.writeUInt32LE(total, o + total - 4);
    this.packets++;
    return !this.needsDrain;
  }
}

function pad4(n: number): number { return (n + 3) & ~3; }

function writeOption(b: Buffer, p: number, code: number, value: Uint8Array): number {
  b.writeUInt16LE(code, p);
  b.writeUInt16LE(value.length, p + 2);
  b.set(value, p + 4);
  b.fill(0, p + 4 + value.length, p + 4 + pad4(value.length));
  return p + 4 + pad4(value.length);
}
