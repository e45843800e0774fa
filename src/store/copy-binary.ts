/**
 * PostgreSQL binary COPY encoder: rows go to the server without text rendering or hex-encoded bytea.
 * Formats are PostgreSQL's binary send formats (int2/4/8, bool, text, bytea, timestamptz, inet, macaddr).
 */
const SIGNATURE = [0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00];
/** seconds from 1970-01-01 to PostgreSQL's epoch 2000-01-01 */
const PG_EPOCH = 946684800;
const enc = new TextEncoder();

export class CopyWriter {
  private buf: Uint8Array;
  private dv: DataView;
  pos = 0;
  rows = 0;

  /** `initial` is a size, or a buffer to reuse (a writer's previous payload, once written) */
  constructor(initial: number | Uint8Array = 1 << 20) {
    this.buf = typeof initial === 'number' ? new Uint8Array(initial) : new Uint8Array(initial.buffer, initial.byteOffset, initial.buffer.byteLength - initial.byteOffset);
    this.dv = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    this.buf.set(SIGNATURE, 0);
    this.dv.setInt32(11, 0); // flags
    this.dv.setInt32(15, 0); // header extension length
    this.pos = 19;
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let m = this.buf.length * 2;
    while (m < this.pos + n) m *= 2;
    const b = new Uint8Array(m);
    b.set(this.buf.subarray(0, this.pos));
    this.buf = b;
    this.dv = new DataView(b.buffer);
  }

  row(fields: number): this {
    this.room(2);
    this.dv.setInt16(this.pos, fields);
    this.pos += 2;
    this.rows++;
    return this;
  }

  null(): this {
    this.room(4);
    this.dv.setInt32(this.pos, -1);
    this.pos += 4;
    return this;
  }

  int2(v: number): this {
    this.room(6);
    this.dv.setInt32(this.pos, 2);
    this.dv.setInt16(this.pos + 4, v);
    this.pos += 6;
    return this;
  }

  int4(v: number): this {
    this.room(8);
    this.dv.setInt32(this.pos, 4);
    this.dv.setInt32(this.pos + 4, v);
    this.pos += 8;
    return this;
  }

  /** int8 from a safe integer */
  int8(v: number): this {
    this.room(12);
    this.dv.setInt32(this.pos, 8);
    const hi = Math.floor(v / 4294967296);
    this.dv.setInt32(this.pos + 4, hi);
    this.dv.setUint32(this.pos + 8, v - hi * 4294967296);
    this.pos += 12;
    return this;
  }

  int8big(v: bigint): this {
    this.room(12);
    this.dv.setInt32(this.pos, 8);
    this.dv.setBigInt64(this.pos + 4, v);
    this.pos += 12;
    return this;
  }

  bool(v: boolean): this {
    this.room(5);
    this.dv.setInt32(this.pos, 1);
    this.buf[this.pos + 4] = v ? 1 : 0;
    this.pos += 5;
    return this;
  }

  /** text as UTF-8; NUL cannot be stored in PostgreSQL text and is written as \x00 */
  text(s: string): this {
    const n = s.length;
    this.room(4 + n * 3);
    // ASCII (the common case) is copied by hand: no view object, no encoder call
    const b = this.buf, p = this.pos + 4;
    let i = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80 || c === 0) break;
      b[p + i] = c;
    }
    if (i === n) {
      this.dv.setInt32(this.pos, n);
      this.pos = p + n;
      return this;
    }
    if (s.indexOf('\0') >= 0) s = s.replace(/\0/g, '\\x00');
    this.room(4 + s.length * 3);
    const r = enc.encodeInto(s, this.buf.subarray(this.pos + 4));
    this.dv.setInt32(this.pos, r.written);
    this.pos += 4 + r.written;
    return this;
  }

  /** jsonb: format version 1, then the JSON text (which must hold no NUL) */
  jsonb(s: string): this {
    this.room(5 + s.length * 3);
    const at = this.pos;
    this.buf[at + 4] = 1;
    const r = enc.encodeInto(s, this.buf.subarray(at + 5));
    this.dv.setInt32(at, r.written + 1);
    this.pos = at + 5 + r.written;
    return this;
  }

  /** text[] (one dimension, no NULLs); elements hold no NUL */
  textArray(a: readonly string[]): this {
    const at = this.pos;
    this.room(24);
    const n = a.length;
    this.dv.setInt32(at + 4, n ? 1 : 0); // dimensions
    this.dv.setInt32(at + 8, 0); // no NULLs
    this.dv.setInt32(at + 12, 25); // element type: text
    this.pos = at + 16;
    if (n) {
      this.dv.setInt32(at + 16, n);
      this.dv.setInt32(at + 20, 1); // lower bound
      this.pos = at + 24;
      for (let i = 0; i < n; i++) this.text(a[i]);
    }
    this.dv.setInt32(at, this.pos - at - 4);
    return this;
  }

  bytes(b: Uint8Array): this {
    this.room(4 + b.length);
    this.dv.setInt32(this.pos, b.length);
    this.buf.set(b, this.pos + 4);
    this.pos += 4 + b.length;
    return this;
  }

  /** timestamptz from Unix seconds and nanoseconds (microsecond precision, as PostgreSQL keeps) */
  timestamptz(sec: number, nsec: number): this {
    return this.int8((sec - PG_EPOCH) * 1e6 + Math.floor(nsec / 1000));
  }

  macaddr(b: Uint8Array): this {
    this.room(10);
    this.dv.setInt32(this.pos, 6);
    this.buf.set(b.subarray(0, 6), this.pos + 4);
    this.pos += 10;
    return this;
  }

  inet4(n: number): this {
    this.room(12);
    this.dv.setInt32(this.pos, 8);
    const p = this.pos + 4;
    this.buf[p] = 2; // PGSQL_AF_INET
    this.buf[p + 1] = 32;
    this.buf[p + 2] = 0;
    this.buf[p + 3] = 4;
    this.dv.setUint32(p + 4, n >>> 0);
    this.pos += 12;
    return this;
  }

  inet6(b: Uint8Array): this {
    this.room(24);
    this.dv.setInt32(this.pos, 20);
    const p = this.pos + 4;
    this.buf[p] = 3; // PGSQL_AF_INET6
    this.buf[p + 1] = 128;
    this.buf[p + 2] = 0;
    this.buf[p + 3] = 16;
    this.buf.set(b.subarray(0, 16), p + 4);
    this.pos += 24;
    return this;
  }

  /** The finished payload (with the trailer). The writer must not be used afterwards. */
  finish(): Uint8Array {
    this.room(2);
    this.dv.setInt16(this.pos, -1);
    this.pos += 2;
    return this.buf.subarray(0, this.pos);
  }
}
