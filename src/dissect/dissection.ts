/**
 * One packet's decode: layers, field occurrences (with byte offsets for the tree and hex view),
 * the Protocol and Info columns, and anomalies. Built to be reused packet after packet:
 * the hot path writes into preallocated arrays and allocates little.
 */
import { FIELDS, FIELD_GROUP, GROUP_COUNT, fid } from '../fields/catalog.js';
import { Reader } from '../wire/reader.js';
import type { Flow } from '../flows/table.js';

const NF = FIELDS.length;
const F_FRAME = fid('frame');

export class Dissection {
  // frame
  buf: Uint8Array = new Uint8Array(0);
  num = 0;
  tsSec = 0;
  tsNsec = 0;
  hasTs = true;
  caplen = 0;
  len = 0;
  linktype = 1;
  iface = 0;
  /** seconds since the session's first timestamped frame */
  relTime = 0;

  // field occurrences
  n = 0;
  fidA = new Int32Array(256);
  offA = new Int32Array(256);
  lenA = new Int32Array(256);
  /** index into layers of the layer each occurrence belongs to */
  layA = new Int16Array(256);
  vals: unknown[] = new Array(256);
  private first = new Int32Array(NF);
  private stamp = new Int32Array(NF);
  private gen = 0;

  // layers (protocols), in order; frame.protocols is their names joined by ':'
  layerN = 0;
  layerName: string[] = [];
  layerOff = new Int32Array(64);
  layerEnd = new Int32Array(64);

  // columns
  protocol = '';
  info = '';
  /** Set false by callers that never read Info, so decoders can skip building it. */
  wantInfo = true;

  // what decoders learned, for flows and upper layers (innermost network layer so far)
  ipVer = 0;
  src4 = 0;
  dst4 = 0;
  src6: Uint8Array | null = null;
  dst6: Uint8Array | null = null;
  l4 = -1;
  /** end of the innermost IP payload as its header declares it (may lie past the captured bytes); -1 if none */
  ipEnd = -1;
  sport = 0;
  dport = 0;
  /** stream/flow number of the innermost TCP/UDP conversation, -1 if none */
  stream = -1;
  /** that conversation, and this packet's direction in it (0 client→server, 1 server→client) */
  flow: Flow | null = null;
  dir = 0;
  /** every conversation this frame belongs to, outermost first (tunnels have several) */
  flowList: Flow[] = [];
  flowN = 0;
  /** application protocol name decided for the flow ('' if none) */
  app = '';
  /** set by IPv4/IPv6 when this frame is a non-first fragment or otherwise has no L4 header */
  fragment = false;

  /** while true, decoders read reassembled bytes that are not the frame's: occurrences get offset -1 */
  detached = false;

  // problems
  malformed = false;
  short = false;
  anomalies: string[] = [];

  reset(): void {
    this.n = 0;
    this.gen++;
    if (this.gen === 0x7fffffff) {
      this.stamp.fill(0);
      this.gen = 1;
    }
    this.layerN = 0;
    this.protocol = '';
    this.info = '';
    this.ipVer = 0;
    this.l4 = -1;
    this.ipEnd = -1;
    this.sport = this.dport = 0;
    this.stream = -1;
    this.flow = null;
    this.dir = 0;
    this.flowN = 0;
    this.app = '';
    this.src6 = this.dst6 = null;
    this.fragment = false;
    this.detached = false;
    this.malformed = false;
    this.short = false;
    if (this.anomalies.length) this.anomalies = [];
  }

  /** Start a protocol layer: records it for frame.protocols and adds its presence field. */
  layer(name: string, off: number, end: number, field = -1): number {
    const i = this.layerN++;
    if (i >= this.layerOff.length) {
      const o = new Int32Array(i * 2); o.set(this.layerOff); this.layerOff = o;
      const e = new Int32Array(i * 2); e.set(this.layerEnd); this.layerEnd = e;
    }
    this.layerName[i] = name;
    this.layerOff[i] = off;
    this.layerEnd[i] = end;
    if (field >= 0) this.add(field, true, off, end - off);
    return i;
  }

  /** Name-only layer in frame.protocols (Wireshark's 'ethertype' pseudo-layer and the like). */
  marker(name: string): void {
    this.layer(name, -1, -1);
  }

  /**
   * Record only these fields (by id), as tshark primes only the fields a command references.
   * null = record everything (the tree, JSON, filters over any field). Info-building reads some fields,
   * so callers that want Info should keep everything.
   */
  setWanted(ids: number[] | null): void {
    if (ids === null) { this.mask = null; this.groups = null; return; }
    this.mask = new Uint8Array(NF);
    this.groups = new Uint8Array(GROUP_COUNT());
    for (const id of ids) {
      this.mask[id] = 1;
      this.groups[FIELD_GROUP[id]] = 1;
    }
  }
  private mask: Uint8Array | null = null;
  private groups: Uint8Array | null = null;

  /** Whether any field of a protocol's group (catalog gid) is recorded: decoders skip their field adds when not. */
  wantsGroup(g: number): boolean {
    return this.groups === null || this.groups[g] === 1;
  }

  wantsAny(ids: number[]): boolean {
    if (this.mask === null) return true;
    for (const f of ids) if (this.mask[f] === 1) return true;
    return false;
  }

  /** Whether add(f, …) would record anything: lets hot paths skip building values nobody reads. */
  wants(f: number): boolean {
    return this.mask === null || this.mask[f] === 1;
  }

  add(f: number, v: unknown, off: number, len: number): void {
    if (this.mask !== null && this.mask[f] === 0) return;
    const i = this.n;
    if (i === this.fidA.length) this.grow();
    this.fidA[i] = f;
    this.vals[i] = v;
    this.offA[i] = this.detached ? -1 : off;
    this.lenA[i] = len;
    this.layA[i] = this.layerN - 1;
    if (this.stamp[f] !== this.gen) {
      this.stamp[f] = this.gen;
      this.first[f] = i;
    }
    this.n = i + 1;
  }

  private grow(): void {
    const m = this.fidA.length * 2;
    const g = <T extends Int32Array | Int16Array>(a: T, C: new (n: number) => T): T => {
      const b = new C(m);
      b.set(a);
      return b;
    };
    this.fidA = g(this.fidA, Int32Array);
    this.offA = g(this.offA, Int32Array);
    this.lenA = g(this.lenA, Int32Array);
    this.layA = g(this.layA, Int16Array);
    this.vals.length = m;
  }

  has(f: number): boolean {
    return this.stamp[f] === this.gen;
  }

  /** First occurrence's value, or undefined. */
  get(f: number): unknown {
    return this.stamp[f] === this.gen ? this.vals[this.first[f]] : undefined;
  }

  /** All occurrences' values. */
  all(f: number): unknown[] {
    const out: unknown[] = [];
    if (this.stamp[f] !== this.gen) return out;
    for (let i = this.first[f]; i < this.n; i++) if (this.fidA[i] === f) out.push(this.vals[i]);
    return out;
  }

  /** Set (replace) the first occurrence's value, e.g. tcp.stream learned late. */
  set(f: number, v: unknown): void {
    if (this.stamp[f] === this.gen) this.vals[this.first[f]] = v;
  }

  /** frame.protocols as tshark prints it (layer 0, 'frame', is not listed) */
  get protocols(): string {
    let s = '';
    for (let i = 1; i < this.layerN; i++) s += (i > 1 ? ':' : '') + this.layerName[i];
    return s;
  }

  hasLayer(name: string): boolean {
    for (let i = 0; i < this.layerN; i++) if (this.layerName[i] === name) return true;
    return false;
  }

  /** Called by transports when they assign the frame to a conversation. */
  setFlow(f: Flow, dir: number): void {
    this.flow = f;
    this.dir = dir;
    this.flowList[this.flowN++] = f;
  }

  weird(name: string): void {
    this.anomalies.push(name);
  }

  reader(): Reader {
    return new Reader(this.buf, 0, this.buf.length);
  }
}

export { F_FRAME };
