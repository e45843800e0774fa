/**
 * IP fragment reassembly shared by IPv4 and IPv6, bounded in datagrams and bytes.
 * A datagram completes on the fragment that fills its last hole, as in Wireshark.
 */
const MAX_DATAGRAM = 65535 + 8;
const MAX_PENDING = 4096;

interface Pending {
  parts: { off: number; data: Uint8Array }[];
  total: number; // -1 until the last fragment (MF=0) is seen
  have: number;
  firstFrame: number;
}

export class FragmentTable {
  private m = new Map<string, Pending>();
  dropped = 0;

  /** Add a fragment; returns the reassembled payload when the datagram is complete, else null. */
  add(key: string, off: number, more: boolean, data: Uint8Array, frame: number): Uint8Array | null {
    let p = this.m.get(key);
    if (!p) {
      if (this.m.size >= MAX_PENDING) {
        const oldest = this.m.keys().next().value as string;
        this.m.delete(oldest);
        this.dropped++;
      }
      p = { parts: [], total: -1, have: 0, firstFrame: frame };
      this.m.set(key, p);
    }
    if (off + data.length > MAX_DATAGRAM) {
      this.m.delete(key);
      this.dropped++;
      return null;
    }
    if (!more) p.total = off + data.length;
    // ignore exact duplicates (retransmitted fragments)
    if (!p.parts.some((q) => q.off === off && q.data.length === data.length)) {
      p.parts.push({ off, data: data.slice() });
      p.have += data.length;
    }
    if (p.total < 0 || p.have < p.total) return null;
    // check coverage
    p.parts.sort((a, b) => a.off - b.off);
    let at = 0;
    for (const q of p.parts) {
      if (at >= p.total) break;
      if (q.off > at) return null;
      at = Math.max(at, q.off + q.data.length);
    }
    if (at < p.total) return null;
    const out = new Uint8Array(p.total);
    // a fragment lying past the end that the last fragment declared contributes nothing
    for (const q of p.parts) if (q.off < p.total) out.set(q.data.subarray(0, Math.min(q.data.length, p.total - q.off)), q.off);
    this.m.delete(key);
    return out;
  }
}
