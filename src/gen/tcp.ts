// A simulated TCP connection as seen from a capture point next to the client: packets the client sends appear at
// once, the server's answers one round trip later. Sequence and acknowledgement numbers, window scaling, SACK-permitted
// and timestamps (when both ends negotiate them) follow the real protocol; bulk data goes out in slow-start bursts
// and is acknowledged every second segment.

import { ACK, FIN, PSH, RST, SYN, tcp, tcpOptions } from './packets.js';
import type { Rng } from './rng.js';
import { MS, US, type Path } from './world.js';

export interface Pkt { t: number; f: Uint8Array }
/** A stream of packets in time order; returns the time of the last one. */
export type Flow = Generator<Pkt, number, undefined>;

export const EMPTY: Uint8Array = new Uint8Array(0);

export class Tcp {
  /** Next sequence number to send: [client, server]. */
  readonly nxt: [number, number];
  private win: [number, number];
  private readonly lastTs: [number, number] = [0, 0];
  private ts: boolean;
  /** Payload bytes in a full segment. */
  readonly mss: number;
  /** Nanoseconds between full segments at the bottleneck rate. */
  readonly gap: number;
  private cwnd = 10;

  constructor(private readonly rng: Rng, readonly path: Path, readonly cport: number, readonly sport: number,
    readonly rtt: number, mbps: number) {
    const cs = path.a.stack, ss = path.b.stack;
    this.ts = cs.ts && ss.ts;
    this.mss = Math.min(cs.mss, ss.mss) - (path.v6 ? 20 : 0) - (this.ts ? 12 : 0);
    this.gap = ((this.mss + 78) * 8 * 1e3) / mbps;
    this.nxt = [rng.u32(), rng.u32()];
    this.win = [cs.synWin, ss.synWin];
  }

  private between(lo: number, hi: number): number { return lo + (hi - lo) * this.rng.float(); }

  /** One segment. `seq`/`ack` default to the sender's next sequence number and everything the peer has sent. */
  seg(t: number, fromClient: boolean, flags: number, payload = EMPTY, seq?: number, ack?: number): Pkt {
    const i = fromClient ? 0 : 1, j = 1 - i;
    const node = fromClient ? this.path.a : this.path.b, st = node.stack;
    const tsval = (node.tsOff + Math.floor(t / MS)) >>> 0;
    let opts: Uint8Array | undefined;
    if (flags & SYN) {
      const useTs = fromClient ? st.ts : this.ts;
      opts = tcpOptions({ mss: st.mss - (this.path.v6 ? 20 : 0), sackPerm: true, wscale: st.ws, ts: useTs ? [tsval, fromClient ? 0 : this.lastTs[0]] : undefined }, st.order);
    } else if (this.ts && !(flags & RST)) {
      opts = tcpOptions({ ts: [tsval, this.lastTs[j]] });
    }
    this.lastTs[i] = tsval;
    const s = seq ?? this.nxt[i];
    const [link, net] = this.path.dir(fromClient);
    const f = tcp(link, net, {
      sport: fromClient ? this.cport : this.sport, dport: fromClient ? this.sport : this.cport,
      seq: s, ack: flags & ACK ? (ack ?? this.nxt[j]) : 0, flags, win: flags & RST ? 0 : this.win[i], opts,
    }, payload);
    if (seq === undefined) this.nxt[i] = (s + payload.length + (flags & (SYN | FIN) ? 1 : 0)) >>> 0;
    if (flags & SYN && !fromClient) this.win = [this.path.a.stack.win, st.win];
    return { t: Math.round(t), f };
  }

  /** Three-way handshake starting at `t`. */
  *connect(t: number): Flow {
    yield this.seg(t, true, SYN);
    t += this.rtt;
    yield this.seg(t, false, SYN | ACK);
    t += this.between(20 * US, 120 * US);
    yield this.seg(t, true, ACK);
    return t;
  }

  /**
   * Sends `data` as one application write. The receiver acknowledges every second segment; with `ackLast` the final
   * odd segment gets a (delayed) ACK too — leave it off when the receiver answers with data of its own right away.
   */
  *send(fromClient: boolean, data: Uint8Array, t: number, ackLast = true): Flow {
    const side = fromClient ? 0 : 1, seq0 = this.nxt[side];
    const ev: { t: number; off: number; len: number; ack: number }[] = [];
    let off = 0, segs = 0, start = t;
    while (off < data.length) {
      let firstAck = Infinity, st = start;
      for (let i = 0; i < this.cwnd && off < data.length; i++) {
        const len = Math.min(this.mss, data.length - off);
        ev.push({ t: st, off, len, ack: -1 });
        off += len;
        segs++;
        const last = off >= data.length;
        if (segs % 2 === 0 || (last && ackLast)) {
          const delay = segs % 2 === 0 ? this.between(15 * US, 90 * US) : this.between(1 * MS, 40 * MS);
          const at = fromClient ? st + this.rtt + delay / 4 : st + delay;
          ev.push({ t: at, off: 0, len: 0, ack: (seq0 + off) >>> 0 });
          firstAck = Math.min(firstAck, at);
        }
        st += (this.gap * len) / this.mss;
      }
      this.cwnd = Math.min(this.cwnd * 2, 320);
      if (off < data.length) start = Math.max(st, fromClient ? firstAck : firstAck + this.rtt);
    }
    ev.sort((a, b) => a.t - b.t || (a.ack < 0 ? -1 : 1));
    let end = t;
    for (const e of ev) {
      if (e.ack < 0) {
        const flags = ACK | (e.off + e.len === data.length ? PSH : 0);
        yield this.seg(e.t, fromClient, flags, data.subarray(e.off, e.off + e.len), (seq0 + e.off) >>> 0);
      } else {
        yield this.seg(e.t, !fromClient, ACK, EMPTY, undefined, e.ack);
      }
      end = e.t;
    }
    this.nxt[side] = (seq0 + data.length) >>> 0;
    return end;
  }

  /** Orderly release: FIN from one side, FIN from the other, last ACK. */
  *close(t: number, byClient: boolean): Flow {
    yield this.seg(t, byClient, FIN | ACK);
    t += byClient ? this.rtt + this.between(10 * US, 300 * US) : this.between(100 * US, 5000 * US);
    yield this.seg(t, !byClient, FIN | ACK);
    t += byClient ? this.between(20 * US, 90 * US) : this.rtt;
    yield this.seg(t, byClient, ACK);
    return t;
  }

  /** Abortive close. */
  *reset(t: number, byClient: boolean): Flow {
    yield this.seg(t, byClient, RST | ACK);
    return t;
  }
}
