// Deterministic synthetic capture of a small LAN and its internet traffic. Sessions (see sessions.ts) start as a
// Poisson process; a heap interleaves their packets in time order; the writer streams them out, so memory stays
// bounded by the number of sessions in flight, whatever the packet count.

import { createWriteStream } from 'node:fs';
import { LINKTYPE_ETHERNET, PcapngWriter, PcapWriter } from '../wire/pcap-writer.js';
import { Rng } from './rng.js';
import * as s from './sessions.js';
import type { Flow, Pkt } from './tcp.js';
import { S, World } from './world.js';

export interface GenerateOptions {
  out: string | NodeJS.WritableStream;
  packets?: number;
  seed?: number;
  format?: 'pcap' | 'pcapng';
  /** Put HTML/script in DNS names, HTTP headers, TLS SNI, DHCP and mDNS names (for UI escaping tests). */
  hostile?: boolean;
}

type Starter = (c: s.Ctx, t: number) => Flow;

const web = (mode?: s.WebMode): Starter => (c, t) => s.web(c, t, mode);

/** Session kinds and how often each starts. */
const MIX: [Starter, number][] = [
  [web(), 28], [s.dnsOnly, 20], [s.arpSession, 10], [s.mdns, 6], [s.dhcpSession, 1.2], [s.ping, 3], [s.icmp6, 3],
  [s.ntpSession, 4], [s.ssh, 0.6], [s.dnsTcp, 0.7], [s.plainUdp, 6], [s.refused, 2],
];
const WEIGHTS = MIX.map(([, w]) => w);

/** The first sessions: one of everything, so even a small capture shows every protocol. */
const TOUR: Starter[] = [(c, t) => s.dhcpSession(c, t, true), s.arpSession, web('tls13'), (c, t) => s.dnsOnly(c, t, true),
  web('quic'), web('http'), (c, t) => s.mdns(c, t, true), web('tls12'), s.ntpSession, s.ping, (c, t) => s.icmp6(c, t, true), s.ssh,
  web('post'), s.dnsTcp, s.plainUdp, (c, t) => s.refused(c, t, true)];

interface Live { t: number; n: number; flow: Flow; pkt: Pkt; count: number }

/** Min-heap of live sessions keyed by the time of their next packet (ties: the older session first). */
class Heap {
  private readonly a: Live[] = [];
  get size(): number { return this.a.length; }
  peek(): Live | undefined { return this.a[0]; }
  private less(i: number, j: number): boolean {
    const x = this.a[i]!, y = this.a[j]!;
    return x.t < y.t || (x.t === y.t && x.n < y.n);
  }
  private swap(i: number, j: number): void { const t = this.a[i]!; this.a[i] = this.a[j]!; this.a[j] = t; }
  push(e: Live): void {
    const a = this.a;
    a.push(e);
    for (let i = a.length - 1; i > 0;) {
      const p = (i - 1) >> 1;
      if (!this.less(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }
  pop(): Live | undefined {
    const a = this.a, top = a[0];
    const last = a.pop();
    if (a.length && last) {
      a[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < a.length && this.less(l, m)) m = l;
        if (r < a.length && this.less(r, m)) m = r;
        if (m === i) break;
        this.swap(i, m);
        i = m;
      }
    }
    return top;
  }
}

/**
 * Yields the capture's packets in time order, without end; the caller takes as many as it wants. `total` is the
 * intended size: it sets the pace (a few minutes for small captures, up to 15 for huge ones) and caps downloads.
 */
export function* packets(seed: number, total: number, hostile = false): Generator<{ sec: number; nsec: number; data: Uint8Array }> {
  const rng = new Rng(seed);
  const world = new World(rng, hostile);
  const t0 = 1715673600 + rng.int(8 * 3600);          // a May 2024 working day
  const ctx = new s.Ctx(world, rng, t0, Math.min(5_000_000, Math.max(20_000, total * 120)));
  // Spread the capture over several minutes: start sessions at a rate that spends `total` packets in `duration`.
  const duration = Math.min(900, Math.max(180, total / 1500)) * S;
  const heap = new Heap();
  let started = 0, finished = 0, finishedPkts = 0, nextStart = rng.int(S / 2);
  let tour = 0;

  const start = (t: number) => {
    const starter = tour < TOUR.length ? TOUR[tour++]! : MIX[rng.weighted(WEIGHTS)]![0];
    const flow = starter(ctx, t);
    const first = flow.next();
    started++;
    if (!first.done) heap.push({ t: first.value.t, n: started, flow, pkt: first.value, count: 1 });
    const perSession = finished >= 20 ? finishedPkts / finished : 25;
    const gap = duration / Math.max(1, total / perSession);
    nextStart = t + (tour < TOUR.length ? rng.range(100e6, 900e6) : rng.exp(gap));
  };

  for (;;) {
    const top = heap.peek();
    if (!top || nextStart <= top.t) { start(nextStart); continue; }
    heap.pop();
    const t = top.t;
    yield { sec: t0 + Math.floor(t / S), nsec: t % S, data: top.pkt.f };
    const next = top.flow.next();
    if (next.done) { finished++; finishedPkts += top.count; continue; }
    if (next.value.t < t) throw new Error('generator bug: session went back in time');
    top.t = next.value.t;
    top.pkt = next.value;
    top.count++;
    heap.push(top);
  }
}

export async function generate(opts: GenerateOptions): Promise<{ packets: number; bytes: number }> {
  const total = opts.packets ?? 2000;
  if (!Number.isInteger(total) || total < 0) throw new RangeError(`packets must be a non-negative integer, got ${total}`);
  const file = typeof opts.out === 'string' ? createWriteStream(opts.out) : undefined;
  const sink = file ?? (opts.out as NodeJS.WritableStream);
  const writer = opts.format === 'pcapng' ? new PcapngWriter(sink) : new PcapWriter(sink, { linktype: LINKTYPE_ETHERNET });
  const iface = writer instanceof PcapngWriter ? writer.addInterface(LINKTYPE_ETHERNET, 262144, true, 'eth0') : 0;
  let n = 0;
  try {
    if (total > 0) {
      for (const p of packets(opts.seed ?? 1, total, opts.hostile)) {
        const ok = writer instanceof PcapngWriter ? writer.writePacket(iface, p.sec, p.nsec, p.data) : writer.writePacket(p.sec, p.nsec, p.data);
        if (!ok) await writer.flush();
        else if ((n & 0xffff) === 0xffff) await new Promise((r) => setImmediate(r)); // let sink errors (EPIPE) surface
        if (++n >= total) break;
      }
    }
    if (file) await writer.end();   // a stream we were given stays open: the caller owns it
    else await writer.flush();
  } catch (e) {
    file?.destroy();
    throw e;
  }
  return { packets: n, bytes: writer.bytes };
}
