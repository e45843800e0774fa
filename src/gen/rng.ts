// Small seeded PRNG (sfc32 seeded through splitmix32): fast, deterministic across platforms, good enough for test data.

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    let s = seed >>> 0;
    const mix = () => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = mix(); this.b = mix(); this.c = mix(); this.d = mix();
    for (let i = 0; i < 12; i++) this.u32();
  }

  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  float(): number { return this.u32() / 4294967296; }
  /** Integer in [0, n). */
  int(n: number): number { return Math.floor(this.float() * n); }
  /** Integer in [lo, hi]. */
  range(lo: number, hi: number): number { return lo + this.int(hi - lo + 1); }
  chance(p: number): boolean { return this.float() < p; }
  pick<T>(items: readonly T[]): T { return items[this.int(items.length)]!; }
  /** Exponentially distributed with the given mean. */
  exp(mean: number): number { return -Math.log(1 - this.float()) * mean; }
  /** Log-uniform in [lo, hi]: many small values, a few large ones. */
  logUniform(lo: number, hi: number): number { return Math.round(lo * Math.pow(hi / lo, this.float())); }
  /** Index chosen with probability proportional to its weight. */
  weighted(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) total += w;
    let x = this.float() * total;
    for (let i = 0; i < weights.length; i++) if ((x -= weights[i]!) < 0) return i;
    return weights.length - 1;
  }
  bytes(n: number): Uint8Array { return this.fill(new Uint8Array(n)); }
  fill(buf: Uint8Array): Uint8Array {
    let i = 0;
    for (; i + 4 <= buf.length; i += 4) {
      const v = this.u32();
      buf[i] = v; buf[i + 1] = v >>> 8; buf[i + 2] = v >>> 16; buf[i + 3] = v >>> 24;
    }
    for (; i < buf.length; i++) buf[i] = this.u32();
    return buf;
  }
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [items[i], items[j]] = [items[j]!, items[i]!];
    }
    return items;
  }
}
