/**
 * Bounds-checked view over a frame's bytes (Wireshark's tvbuff, in spirit).
 * Offsets are absolute within `buf`; `end` is the exclusive limit of this window.
 * A read past `end` throws the one `DecodeError`, which the dispatcher turns into a
 * truncated/malformed mark on the packet. Windows never copy.
 */
export class DecodeError extends Error {
  constructor(
    public readonly kind: 'truncated' | 'malformed',
    public readonly offset: number,
    public readonly what: string,
  ) {
    super(`${kind} ${what} at byte ${offset}`);
  }
}

export class Reader {
  constructor(
    public readonly buf: Uint8Array,
    public readonly start: number,
    public readonly end: number,
  ) {}

  static of(buf: Uint8Array): Reader {
    return new Reader(buf, 0, buf.length);
  }

  get length(): number {
    return this.end - this.start;
  }

  /** True when n bytes starting at o are inside the window. */
  has(o: number, n: number): boolean {
    return o >= this.start && o + n <= this.end;
  }

  /** Throw unless n bytes at o are inside the window (a negative n or an offset before the window is malformed). */
  need(o: number, n: number, what: string): void {
    if (n < 0 || o < this.start) throw new DecodeError('malformed', o, what);
    if (o + n > this.end) throw new DecodeError('truncated', Math.max(o, this.end), what);
  }

  u8(o: number): number {
    if (o >= this.end) throw new DecodeError('truncated', o, 'u8');
    return this.buf[o];
  }

  u16(o: number): number {
    if (o + 2 > this.end) throw new DecodeError('truncated', o, 'u16');
    const b = this.buf;
    return (b[o] << 8) | b[o + 1];
  }

  u16le(o: number): number {
    if (o + 2 > this.end) throw new DecodeError('truncated', o, 'u16');
    const b = this.buf;
    return b[o] | (b[o + 1] << 8);
  }

  u24(o: number): number {
    if (o + 3 > this.end) throw new DecodeError('truncated', o, 'u24');
    const b = this.buf;
    return (b[o] << 16) | (b[o + 1] << 8) | b[o + 2];
  }

  u32(o: number): number {
    if (o + 4 > this.end) throw new DecodeError('truncated', o, 'u32');
    const b = this.buf;
    return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
  }

  u32le(o: number): number {
    if (o + 4 > this.end) throw new DecodeError('truncated', o, 'u32');
    const b = this.buf;
    return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
  }

  /** A window of n bytes at o, no copy. */
  bytes(o: number, n: number): Uint8Array {
    if (n < 0 || o + n > this.end) throw new DecodeError('truncated', o, 'bytes');
    return this.buf.subarray(o, o + n);
  }

  /** A sub-reader over [o, o+n) clipped to this window's end when `clip` is set. */
  sub(o: number, n: number, clip = false): Reader {
    let e = o + n;
    if (e > this.end) {
      if (!clip) throw new DecodeError('truncated', o, 'window');
      e = this.end;
    }
    return new Reader(this.buf, o, e);
  }

  /** Latin-1 text of [o, o+n): packet text is untrusted bytes, never assumed UTF-8-valid. */
  latin1(o: number, n: number): string {
    if (o + n > this.end) throw new DecodeError('truncated', o, 'text');
    return latin1(this.buf, o, o + n);
  }

  /** Index of byte value v in [o, end), or -1. */
  indexOf(v: number, o: number): number {
    const b = this.buf;
    for (let i = o; i < this.end; i++) if (b[i] === v) return i;
    return -1;
  }
}

export function latin1(b: Uint8Array, s: number, e: number): string {
  let out = '';
  // chunk to avoid argument-length limits on apply
  for (let i = s; i < e; i += 4096) {
    out += String.fromCharCode.apply(null, b.subarray(i, Math.min(e, i + 4096)) as unknown as number[]);
  }
  return out;
}

/** UTF-8 text where valid, with replacement characters otherwise. */
const utf8 = new TextDecoder('utf-8', { fatal: false });
export function utf8Text(b: Uint8Array, s: number, e: number): string {
  return utf8.decode(b.subarray(s, e));
}
