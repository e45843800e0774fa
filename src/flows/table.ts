/**
 * Bounded bidirectional conversation table with numeric keys (no per-packet string building).
 * Numbers streams per transport from 0 in order of first appearance, as Wireshark's tcp.stream /
 * udp.stream do. Idle flows are swept out, and when the table is full the least recently seen are
 * evicted; both are counted.
 */
import type { Protocol } from '../protocols/types.js';

const W = 10; // key words per slot: [ver<<8|proto, a0..a3, b0..b3, pa<<16|pb]

/** Per-direction TCP stream state (sequence tracking and PDU reassembly). */
export class TcpDir {
  /** sequence number expected next, -1 before the first segment */
  nextSeq = -1;
  /** initial sequence number (for relative numbers), -1 before known */
  isn = -1;
  /** bytes of the current PDU still to come; 0 = at a PDU boundary */
  remaining = 0;
  /** head bytes of the PDU being reassembled (or a header still too short to frame) */
  buf: Uint8Array | null = null;
  bufLen = 0;
  /** total length of the PDU being reassembled, -1 = not known yet (header incomplete) */
  total = -1;
  keep = 0;
  fin = false;
  /** window scale shift from this side's SYN: -1 not seen, -2 SYN without the option */
  wscale = -1;
  /**
   * A hole in the current PDU (a segment not captured, or not yet): bytes still missing (0 = none) and the time of
   * the newest segment. A PDU whose hole is not filled by out-of-order segments is counted out, never decoded.
   */
  holeLeft = 0;
  holeT = 0;
  /** protocol state that a decoder keeps per direction (e.g. HTTP request methods in flight) */
  seenSyn = false;
}

export class Flow {
  id: number; // stream number within its transport
  proto: number; // 6 TCP, 17 UDP, or other IP protocol
  /** true when endpoint A of the canonical key is the side that sent the first packet */
  aIsClient: boolean;
  firstSec: number;
  lastSec: number;
  /** packets and bytes client→server (0) and server→client (1) */
  pkts0 = 0;
  pkts1 = 0;
  bytes0 = 0;
  bytes1 = 0;
  app: Protocol | null = null;
  /** how app was decided: 'port' | 'heuristic' | 'sni' | 'host' | '' */
  appBy = '';
  appTried = false;
  /** protocol-specific state kept for the whole conversation (e.g. TLS version chosen) */
  state: Record<string, unknown> | null = null;
  tcp: [TcpDir, TcpDir] | null = null;
  synSeq = -1;
  /** endpoints: the client is the sender of the conversation's first packet (v6 addresses are copies) */
  ver = 4;
  cli4 = 0;
  srv4 = 0;
  cli6: Uint8Array | null = null;
  srv6: Uint8Array | null = null;
  cliPort = 0;
  srvPort = 0;
  synAck = false;
  rst = false;
  finMask = 0;
  serverName = '';

  count(dir: number, bytes: number): void {
    if (dir === 0) { this.pkts0++; this.bytes0 += bytes; } else { this.pkts1++; this.bytes1 += bytes; }
  }

  get packets(): number {
    return this.pkts0 + this.pkts1;
  }

  constructor(id: number, proto: number, aIsClient: boolean, sec: number) {
    this.id = id;
    this.proto = proto;
    this.aIsClient = aIsClient;
    this.firstSec = sec;
    this.lastSec = sec;
    if (proto === 6) this.tcp = [new TcpDir(), new TcpDir()];
  }
}

export interface FlowTableOptions {
  /** hard cap: beyond it the least recently seen conversations are evicted (default 24576, about 50 MB) */
  maxFlows?: number;
  /** seconds without a packet after which an open conversation is dropped (default 1 h; Wireshark never forgets) */
  idleTimeout?: number;
  /** the same for TCP conversations closed by FIN both ways or RST, and UDP ones on an ephemeral port (default 5 min) */
  shortTimeout?: number;
  /** first stream number (default 0; a live capture resumed by a new process goes on after the stored ones) */
  firstStream?: number;
}

export class FlowTable {
  readonly maxFlows: number;
  readonly idleTimeout: number;
  readonly shortTimeout: number;
  readonly firstStream: number;
  private cap: number;
  private mask: number;
  private keys: Uint32Array;
  private vals: (Flow | undefined)[];
  size = 0;
  evicted = 0;
  expired = 0;
  /** next stream number per IP protocol */
  private nextId = new Map<number, number>();
  private sinceSweep = 0;
  private readonly k = new Uint32Array(W);
  /** direction of the last lookup: 0 = client→server, 1 = server→client */
  dir = 0;
  private lastSlot = -1;
  private spareKeys: Uint32Array | null = null;
  private spareVals: (Flow | undefined)[] | null = null;

  constructor(opts: FlowTableOptions = {}) {
    this.maxFlows = opts.maxFlows ?? 24_576;
    this.idleTimeout = opts.idleTimeout ?? 3600;
    this.shortTimeout = opts.shortTimeout ?? 300;
    this.firstStream = opts.firstStream ?? 0;
    this.cap = 1024;
    this.mask = this.cap - 1;
    this.keys = new Uint32Array(this.cap * W);
    this.vals = new Array(this.cap);
  }

  /**
   * Find or create the conversation of the packet's 5-tuple. v6 addresses are 16-byte windows.
   * Sets `this.dir`. `isNew` callers can use `flow.pkts` being all zero.
   */
  lookup(ver: number, proto: number, s4: number, d4: number, s6: Uint8Array | null, d6: Uint8Array | null, sp: number, dp: number, sec: number): Flow {
    const k = this.k;
    // canonical order: compare (addr, port) of both ends
    let swap: boolean;
    if (ver === 4) {
      swap = s4 > d4 || (s4 === d4 && sp > dp);
    } else {
      let c = 0;
      for (let i = 0; i < 16 && c === 0; i++) c = s6![i] - d6![i];
      swap = c > 0 || (c === 0 && sp > dp);
    }
    k[0] = (ver << 8) | proto;
    if (ver === 4) {
      k[1] = swap ? d4 : s4;
      k[2] = k[3] = k[4] = 0;
      k[5] = swap ? s4 : d4;
      k[6] = k[7] = k[8] = 0;
    } else {
      const a = swap ? d6! : s6!, b = swap ? s6! : d6!;
      for (let i = 0; i < 4; i++) {
        k[1 + i] = ((a[4 * i] << 24) | (a[4 * i + 1] << 16) | (a[4 * i + 2] << 8) | a[4 * i + 3]) >>> 0;
        k[5 + i] = ((b[4 * i] << 24) | (b[4 * i + 1] << 16) | (b[4 * i + 2] << 8) | b[4 * i + 3]) >>> 0;
      }
    }
    k[9] = swap ? ((dp << 16) | sp) >>> 0 : ((sp << 16) | dp) >>> 0;
    let h = 0x811c9dc5;
    for (let i = 0; i < W; i++) h = Math.imul(h ^ k[i], 0x01000193) ^ (h >>> 15);
    h = Math.imul(h ^ (h >>> 13), 0x5bd1e995);
    h ^= h >>> 15;
    let slot = h & this.mask;
    const keys = this.keys;
    for (;;) {
      const f = this.vals[slot];
      if (f === undefined) break;
      const o = slot * W;
      if (keys[o] === k[0] && keys[o + 1] === k[1] && keys[o + 5] === k[5] && keys[o + 9] === k[9] &&
        keys[o + 2] === k[2] && keys[o + 3] === k[3] && keys[o + 4] === k[4] && keys[o + 6] === k[6] && keys[o + 7] === k[7] && keys[o + 8] === k[8]) {
        // A side of the key is the client iff (aIsClient) — packet is from A when !swap
        this.dir = (swap ? 1 : 0) ^ (f.aIsClient ? 0 : 1);
        this.lastSlot = slot;
        f.lastSec = sec;
        return f;
      }
      slot = (slot + 1) & this.mask;
    }
    // new flow: the sender of this first packet is the client
    const id = this.nextId.get(proto) ?? this.firstStream;
    this.nextId.set(proto, id + 1);
    const f = new Flow(id, proto, !swap, sec);
    f.ver = ver;
    f.cli4 = s4;
    f.srv4 = d4;
    if (ver === 6) { f.cli6 = s6!.slice(0, 16); f.srv6 = d6!.slice(0, 16); }
    f.cliPort = sp;
    f.srvPort = dp;
    keys.set(k, slot * W);
    this.vals[slot] = f;
    this.size++;
    this.dir = 0;
    this.lastSlot = slot;
    if (this.size * 2 > this.cap) this.rebuild(this.cap * 2, sec);
    else if (++this.sinceSweep >= 8192 || this.size > this.maxFlows) this.sweep(sec);
    return f;
  }

  /** Replace the conversation at the last looked-up key with a fresh one (TCP port reuse). */
  renew(old: Flow, sec: number, clientIsSender: boolean): Flow {
    const id = this.nextId.get(old.proto) ?? this.firstStream;
    this.nextId.set(old.proto, id + 1);
    // the slot holding `old` is the last one looked up (rebuilds only happen on insert, after which lastSlot is stale)
    for (let i = this.lastSlot; i >= 0 && i < this.cap; i = -1) {
      if (this.vals[i] === old) {
        // this.dir is relative to old's client; recompute for the new client
        const senderIsA = (this.dir ^ (old.aIsClient ? 0 : 1)) === 0;
        const f = new Flow(id, old.proto, clientIsSender ? senderIsA : !senderIsA, sec);
        // the sender of this packet is the new client: the old client when it went client→server
        const same = (this.dir === 0) === clientIsSender;
        f.ver = old.ver;
        f.cli4 = same ? old.cli4 : old.srv4;
        f.srv4 = same ? old.srv4 : old.cli4;
        f.cli6 = same ? old.cli6 : old.srv6;
        f.srv6 = same ? old.srv6 : old.cli6;
        f.cliPort = same ? old.cliPort : old.srvPort;
        f.srvPort = same ? old.srvPort : old.cliPort;
        this.vals[i] = f;
        this.dir = clientIsSender ? 0 : 1;
        return f;
      }
    }
    return old;
  }

  /**
   * How long a conversation may stay silent. Closed TCP conversations and UDP ones from an ephemeral port (DNS
   * lookups, QUIC) go after a few minutes, as Zeek's timeouts do; the rest lasts an hour. A new SYN after a close
   * starts a new stream anyway, so this changes Wireshark's numbering only for packets arriving long after.
   */
  private ttl(f: Flow): number {
    if (f.proto === 6) return f.rst || f.finMask === 3 ? this.shortTimeout : this.idleTimeout;
    if (f.proto === 17 && f.cliPort >= 1024 && f.srvPort >= 1024 === false && f.cliPort !== f.srvPort) return this.shortTimeout;
    return this.idleTimeout;
  }

  private sweep(now: number): void {
    this.sinceSweep = 0;
    if (this.size <= this.maxFlows) {
      // rebuild only when something is due to go
      let due = false;
      for (let i = 0; i < this.cap && !due; i++) {
        const f = this.vals[i];
        if (f !== undefined && now - f.lastSec > this.ttl(f)) due = true;
      }
      if (!due) return;
    }
    this.rebuild(this.cap, now);
  }

  private rebuild(newCap: number, now: number): void {
    const oldKeys = this.keys, oldVals = this.vals, oldCap = this.cap;
    let live: number[] = [];
    for (let i = 0; i < oldCap; i++) {
      const f = oldVals[i];
      if (f === undefined) continue;
      if (now - f.lastSec > this.ttl(f)) { this.expired++; continue; }
      live.push(i);
    }
    if (live.length > this.maxFlows) {
      // evict the least recently seen down to 75% of the cap, so the next eviction is far away (no O(n) per insert);
      // the cut-off time comes from a native numeric sort of the last-seen times
      const keep = Math.floor(this.maxFlows * 0.75);
      const t = new Float64Array(live.length);
      for (let i = 0; i < live.length; i++) t[i] = oldVals[live[i]]!.lastSec;
      t.sort();
      const cut = t[live.length - keep];
      const kept: number[] = [];
      for (const i of live) if (oldVals[i]!.lastSec > cut || (oldVals[i]!.lastSec === cut && kept.length < keep)) kept.push(i);
      this.evicted += live.length - kept.length;
      live = kept;
    }
    while (live.length * 2 > newCap) newCap *= 2;
    this.cap = newCap;
    this.mask = newCap - 1;
    // same size: rehash into the spare pair kept from the last rebuild instead of allocating ~10 MB again
    if (this.spareKeys && this.spareKeys.length === newCap * W) {
      this.keys = this.spareKeys;
      this.keys.fill(0);
      this.vals = this.spareVals!;
      this.vals.fill(undefined);
    } else {
      this.keys = new Uint32Array(newCap * W);
      this.vals = new Array(newCap);
    }
    this.size = live.length;
    this.lastSlot = -1;
    for (const i of live) {
      const o = i * W;
      let h = 0x811c9dc5;
      for (let j = 0; j < W; j++) h = Math.imul(h ^ oldKeys[o + j], 0x01000193) ^ (h >>> 15);
      h = Math.imul(h ^ (h >>> 13), 0x5bd1e995);
      h ^= h >>> 15;
      let slot = h & this.mask;
      while (this.vals[slot] !== undefined) slot = (slot + 1) & this.mask;
      this.keys.set(oldKeys.subarray(o, o + W), slot * W);
      this.vals[slot] = oldVals[i];
    }
    this.spareKeys = oldKeys;
    this.spareVals = oldVals;
  }

  *flows(): IterableIterator<Flow> {
    for (const f of this.vals) if (f !== undefined) yield f;
  }
}
