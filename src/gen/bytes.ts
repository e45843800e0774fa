// A growable big-endian byte writer for building protocol messages, with back-patched length prefixes.

export class ByteWriter {
  private buf: Uint8Array;
  len = 0;

  constructor(capacity = 256) { this.buf = new Uint8Array(capacity); }

  /** Makes room for `n` more bytes and returns where they go (read `this.buf` only after calling it). */
  private room(n: number): number {
    const at = this.len;
    if (at + n > this.buf.length) {
      const next = new Uint8Array(Math.max(this.buf.length * 2, at + n));
      next.set(this.buf.subarray(0, at));
      this.buf = next;
    }
    this.len += n;
    return at;
  }

  u8(v: number): this { const p = this.room(1); this.buf[p] = v; return this; }
  u16(v: number): this { const p = this.room(2); this.buf[p] = v >>> 8; this.buf[p + 1] = v; return this; }
  u24(v: number): this { const p = this.room(3); this.buf[p] = v >>> 16; this.buf[p + 1] = v >>> 8; this.buf[p + 2] = v; return this; }
  u32(v: number): this {
    const p = this.room(4);
    this.buf[p] = v >>> 24; this.buf[p + 1] = v >>> 16; this.buf[p + 2] = v >>> 8; this.buf[p + 3] = v;
    return this;
  }
  bytes(b: Uint8Array): this { const p = this.room(b.length); this.buf.set(b, p); return this; }
  /** Latin-1: one byte per character (names in test data may hold any byte). */
  str(s: string): this {
    const p = this.room(s.length);
    for (let i = 0; i < s.length; i++) this.buf[p + i] = s.charCodeAt(i);
    return this;
  }
  zeros(n: number): this { const p = this.room(n); this.buf.fill(0, p, this.len); return this; }

  /** Starts a length-prefixed block of `size` bytes; close it with `close()`. */
  open(size: 1 | 2 | 3 | 4): number { this.room(size); return (this.len << 3) | size; }
  close(mark: number): this {
    const size = mark & 7, start = mark >>> 3, n = this.len - start;
    for (let i = 0; i < size; i++) this.buf[start - 1 - i] = n >>> (8 * i);
    return this;
  }
  /** QUIC variable-length integer (RFC 9000 §16), in the smallest encoding or in `size` bytes. */
  varint(v: number, size: 1 | 2 | 4 = v < 0x40 ? 1 : v < 0x4000 ? 2 : 4): this {
    if (v >= 0x40000000 || v >= 2 ** (8 * size - 2)) throw new RangeError('varint too large');
    if (size === 1) return this.u8(v);
    if (size === 2) return this.u16(0x4000 | v);
    return this.u32((0x80000000 | v) >>> 0);
  }

  /** A copy of what was written. */
  finish(): Uint8Array { return this.buf.slice(0, this.len); }
}

export function ascii(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return b;
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  n = 0;
  for (const p of parts) { out.set(p, n); n += p.length; }
  return out;
}
