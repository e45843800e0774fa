/**
 * The dispatcher: frame → layers through the registry's tables, with the state that spans packets
 * (conversations, reassembly). Nothing escapes `dissect`: a read past the data marks the packet
 * truncated, anything else marks it malformed.
 */
import type { Frame } from '../wire/capture.js';
import { DecodeError, Reader } from '../wire/reader.js';
import { fid } from '../fields/catalog.js';
import { Dissection } from './dissection.js';
import { FlowTable, type FlowTableOptions } from '../flows/table.js';
import type { Protocol, TableName } from '../protocols/types.js';
import { registry, type Registry } from '../protocols/registry.js';
import { linktypeName } from '../protocols/linktypes.js';

const F = {
  frame: fid('frame'),
  number: fid('frame.number'),
  len: fid('frame.len'),
  caplen: fid('frame.cap_len'),
  iface: fid('frame.interface_id'),
  linkType: fid('frame.link_type'),
  data: fid('data'),
  dataData: fid('data.data'),
  dataLen: fid('data.len'),
  malformed: fid('_ws.malformed'),
  short: fid('_ws.short'),
  expert: fid('_ws.expert'),
};

export interface SessionOptions extends FlowTableOptions {
  /** build the Info column (default true) */
  info?: boolean;
  /** reassemble TCP PDUs and IP fragments (default true, as Wireshark) */
  reassemble?: boolean;
}

const MAX_DEPTH = 24;

export class Session {
  readonly reg: Registry;
  readonly flows: FlowTable;
  readonly reassemble: boolean;
  readonly d = new Dissection();
  depth = 0;
  private firstSec = -1;
  private readonly tables: Partial<Record<TableName, Map<number, Protocol>>> = {};
  private readonly heurUdp = registry.heuristics('udp');
  private readonly heurTcp = registry.heuristics('tcp');
  private firstNsec = 0;
  /** counters of what was odd, by anomaly name, over the whole session */
  readonly anomalyCounts = new Map<string, number>();
  malformedPackets = 0;
  /** the last non-DecodeError caught inside a decoder: a bug to fix, kept for the fuzzer's report */
  lastError = '';
  /** per-session scratch that protocol modules may keep (IP fragment tables and the like), by module name */
  readonly stash = new Map<string, unknown>();

  constructor(opts: SessionOptions = {}) {
    this.reg = registry;
    this.flows = new FlowTable(opts);
    this.reassemble = opts.reassemble ?? true;
    this.d.wantInfo = opts.info ?? true;
  }

  /** Decode one frame. The returned Dissection is reused by the next call. */
  dissect(f: Frame): Dissection {
    const d = this.d;
    d.reset();
    d.buf = f.data;
    d.num = f.num;
    d.tsSec = f.tsSec;
    d.tsNsec = f.tsNsec;
    d.hasTs = f.hasTs;
    d.caplen = f.caplen;
    d.len = f.len;
    d.linktype = f.linktype;
    d.iface = f.iface;
    if (f.hasTs) {
      if (this.firstSec < 0) { this.firstSec = f.tsSec; this.firstNsec = f.tsNsec; }
      d.relTime = f.tsSec - this.firstSec + (f.tsNsec - this.firstNsec) / 1e9;
    }
    d.layer('frame', 0, f.caplen, F.frame);
    d.add(F.number, f.num, -1, 0);
    d.add(F.len, f.len, -1, 0);
    d.add(F.caplen, f.caplen, -1, 0);
    d.add(F.iface, f.iface, -1, 0);
    d.add(F.linkType, f.linktype, -1, 0);
    const r = new Reader(f.data, 0, f.data.length);
    this.depth = 0;
    try {
      const p = this.reg.table('linktype').get(f.linktype);
      if (p) p.decode(r, 0, d, this);
      else {
        d.protocol = linktypeName(f.linktype);
        if (d.wantInfo) d.info = `Link type ${f.linktype} (${linktypeName(f.linktype)}) not decoded`;
        this.data(r, 0, d);
      }
    } catch (e) {
      this.fail(e, d);
    }
    return d;
  }

  /** Mark the packet after a decoder threw: truncated by capture, malformed, or a bug kept inside. */
  fail(e: unknown, d: Dissection): void {
    if (e instanceof DecodeError && e.kind === 'truncated' && d.caplen < d.len && e.offset >= d.caplen - 8) {
      d.short = true;
      d.add(F.short, true, -1, 0);
      d.weird('packet_cut_by_snaplen');
      if (d.wantInfo) d.info += '[Packet size limited during capture]'; // as tshark's Info (no separator)
    } else {
      d.malformed = true;
      this.malformedPackets++;
      d.add(F.malformed, true, -1, 0);
      const what = e instanceof DecodeError ? `${d.layerN ? d.layerName[d.layerN - 1] : 'frame'}_${e.kind}` : 'decoder_exception';
      if (!(e instanceof DecodeError)) this.lastError = (e as Error)?.stack ?? String(e);
      d.weird(what);
      d.add(F.expert, what, -1, 0);
      if (d.wantInfo) d.info += d.info ? ' [Malformed Packet]' : '[Malformed Packet]';
      if (!d.protocol) d.protocol = 'Malformed';
    }
    for (const a of d.anomalies) this.anomalyCounts.set(a, (this.anomalyCounts.get(a) ?? 0) + 1);
  }

  /** Hand the bytes at `off` to the protocol bound to `key` in `table`; plain data if none. Returns whether one was found. */
  next(table: TableName, key: number, r: Reader, off: number, d: Dissection): boolean {
    const p = (this.tables[table] ??= this.reg.table(table)).get(key);
    if (!p) {
      this.data(r, off, d);
      return false;
    }
    this.call(p, r, off, d);
    return true;
  }

  /** Dispatch on an EtherType after a link header: Wireshark lists an 'ethertype' pseudo-layer in frame.protocols. */
  ethertype(t: number, r: Reader, off: number, d: Dissection): void {
    d.marker('ethertype');
    const p = (this.tables.ethertype ??= this.reg.table('ethertype')).get(t);
    if (!p) {
      if (d.wantInfo && !d.info) d.info = `Ethernet II, type 0x${t.toString(16).padStart(4, '0')}`;
      this.data(r, off, d);
      return;
    }
    this.call(p, r, off, d);
  }

  call(p: Protocol, r: Reader, off: number, d: Dissection, pduLen?: number): void {
    if (++this.depth > MAX_DEPTH) {
      d.weird('too_many_layers');
      this.data(r, off, d);
      return;
    }
    p.decode(r, off, d, this, pduLen);
    this.depth--;
  }

  /** How the last pick() decided: 'port' or 'heuristic'. */
  pickedBy = '';

  /** The protocol for a UDP/TCP payload by port (lower first) then heuristics; null when none claims it. */
  pick(transport: 'udp' | 'tcp', r: Reader, off: number, d: Dissection, sport: number, dport: number): Protocol | null {
    const t = transport === 'udp' ? (this.tables['udp.port'] ??= this.reg.table('udp.port')) : (this.tables['tcp.port'] ??= this.reg.table('tcp.port'));
    const lo = sport < dport ? sport : dport;
    const hi = sport < dport ? dport : sport;
    let p = t.get(lo);
    this.pickedBy = 'port';
    if (p && this.portAccepts(p, transport, r, off, d)) return p;
    p = t.get(hi);
    if (p && this.portAccepts(p, transport, r, off, d)) return p;
    this.pickedBy = 'heuristic';
    const hs = transport === 'udp' ? this.heurUdp : this.heurTcp;
    for (let i = 0; i < hs.length; i++) {
      let ok = false;
      try {
        ok = hs[i].test(r, off, d);
      } catch {
        ok = false;
      }
      if (ok) return hs[i].proto;
    }
    return null;
  }

  /** Some port bindings are only taken when the payload also looks right (Wireshark's "try heuristic first" for weak ports). */
  private portAccepts(p: Protocol, transport: 'udp' | 'tcp', r: Reader, off: number, d: Dissection): boolean {
    const strict = this.reg.strictPorts.get(p);
    if (!strict) return true;
    try {
      return strict(r, off, d);
    } catch {
      return false;
    }
  }

  /** Undissected bytes: Wireshark's 'data' layer. */
  data(r: Reader, off: number, d: Dissection): void {
    const n = r.end - off;
    if (n <= 0) return;
    d.layer('data', off, r.end, F.data);
    if (d.wants(F.dataData)) d.add(F.dataData, r.buf.subarray(off, r.end), off, n);
    d.add(F.dataLen, n, off, n);
  }
}
