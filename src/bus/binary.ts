/**
 * Binary bodies of the two ingestion hops, next to their JSON forms (messages.ts): the same messages without
 * base64, JSON text or per-frame objects on the wire.
 *
 *   Capture → Parser  POST /parse, content-type application/vnd.pktlens.frames  (a FrameBatch)
 *     header   'PKTF'  u32 version=1  u64 capture  u64 seq  u32 count                              28 bytes
 *     frame    u32 n  u32 flags (bit 0: has a timestamp)  u64 tsSec  u32 tsNsec  u32 caplen  u32 len
 *              u32 linktype  u32 iface                                                            36 bytes
 *              then caplen bytes of frame data; the frames fill the body exactly
 *
 *   Parser → Persistor  POST /store, content-type application/vnd.pktlens.packets  (a PacketBatch, encoded)
 *     header   'PKTP'  u32 version=1  u64 capture  u64 seq  u32 metaLength                       28 bytes
 *     meta     UTF-8 JSON {columns, anomalies: [[frame, name]…], flows: [FlowUpdate…]}
 *     payload  the packets' rows as the binary COPY payload the store writes (PACKET_COLUMNS order),
 *              to the end of the body
 *
 * Integers are big-endian. Decoding checks every length and bound and throws BadBody (a 400 with its message);
 * nothing of a body is used before the whole body is checked. Frames decoded here are windows into the body
 * (no copy): the body is not reused, and the dissector copies whatever it keeps.
 */
import type { Frame } from '../wire/capture.js';
import type { FlowUpdate } from '../store/record.js';
import type { FrameBatch } from './messages.js';

export const FRAMES_TYPE = 'application/vnd.pktlens.frames';
export const PACKETS_TYPE = 'application/vnd.pktlens.packets';

const FRAMES_MAGIC = 0x504b5446; // 'PKTF'
const PACKETS_MAGIC = 0x504b5450; // 'PKTP'
const VERSION = 1;
const HEADER = 28;
const FRAME_HEADER = 36;
/** largest frame accepted (the JSON form's 1,000,000 base64 characters hold 750,000 bytes) */
export const MAX_FRAME_BYTES = 1_000_000;
export const MAX_FRAMES = 100_000;
const MAX_META = 64 * 1024 * 1024;

/** A body that is not what its content type promises: answered 400 with the message. */
export class BadBody extends Error {}

function u64(dv: DataView, o: number): number {
  const hi = dv.getUint32(o), lo = dv.getUint32(o + 4);
  if (hi >= 0x200000) return -1; // beyond 2^53: not a safe integer
  return hi * 0x100000000 + lo;
}

function setU64(dv: DataView, o: number, v: number): void {
  const hi = Math.floor(v / 0x100000000);
  dv.setUint32(o, hi);
  dv.setUint32(o + 4, v - hi * 0x100000000);
}

function header(b: Uint8Array, magic: number, what: string): { dv: DataView; capture: number; seq: number; count: number } {
  if (b.length < HEADER) throw new BadBody(`${what} body: ${b.length} bytes, shorter than its ${HEADER}-byte header`);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (dv.getUint32(0) !== magic) throw new BadBody(`${what} body: wrong magic (not a pktlens ${what} body)`);
  const v = dv.getUint32(4);
  if (v !== VERSION) throw new BadBody(`${what} body: version ${v}, this service reads version ${VERSION}`);
  const capture = u64(dv, 8), seq = u64(dv, 16);
  if (capture < 1) throw new BadBody(`${what} body: capture must be an integer >= 1`);
  if (seq < 0) throw new BadBody(`${what} body: seq must be a safe integer`);
  return { dv, capture, seq, count: dv.getUint32(24) };
}

function putHeader(dv: DataView, magic: number, capture: number, seq: number, count: number): void {
  dv.setUint32(0, magic);
  dv.setUint32(4, VERSION);
  setU64(dv, 8, capture);
  setU64(dv, 16, seq);
  dv.setUint32(24, count);
}

export function encodeFramesBody(b: FrameBatch): Buffer<ArrayBuffer> {
  let size = HEADER;
  for (const f of b.frames) size += FRAME_HEADER + f.data.length;
  const out = Buffer.allocUnsafe(size);
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  putHeader(dv, FRAMES_MAGIC, b.capture, b.seq, b.frames.length);
  let o = HEADER;
  for (const f of b.frames) {
    dv.setUint32(o, f.num);
    dv.setUint32(o + 4, f.hasTs ? 1 : 0);
    // a sub-second field of a second or more (odd files) is carried into the seconds, as the store does
    setU64(dv, o + 8, f.tsSec + Math.floor(f.tsNsec / 1e9));
    dv.setUint32(o + 16, f.tsNsec % 1e9);
    dv.setUint32(o + 20, f.data.length);
    dv.setUint32(o + 24, f.len);
    dv.setUint32(o + 28, f.linktype);
    dv.setUint32(o + 32, f.iface);
    out.set(f.data, o + FRAME_HEADER);
    o += FRAME_HEADER + f.data.length;
  }
  return out;
}

/**
 * Builds a frames body as frames are read (their bytes copied once, straight into the body): a replay's batch is
 * then sent as it is, with no per-frame copies to collect.
 */
export class FramesBuilder {
  private buf: Buffer | null = null;
  private o = HEADER;
  count = 0;

  constructor(private readonly initial = 1 << 20) {}

  add(f: Frame): void {
    const n = f.data.length;
    let b = this.buf;
    if (!b || this.o + FRAME_HEADER + n > b.length) {
      let size = b ? b.length * 2 : this.initial;
      while (size < this.o + FRAME_HEADER + n) size *= 2;
      const nb = Buffer.allocUnsafe(size);
      if (b) b.copy(nb, 0, 0, this.o);
      this.buf = b = nb;
    }
    const o = this.o;
    b.writeUInt32BE(f.num, o);
    b.writeUInt32BE(f.hasTs ? 1 : 0, o + 4);
    const sec = f.tsSec + Math.floor(f.tsNsec / 1e9), hi = Math.floor(sec / 0x100000000);
    b.writeUInt32BE(hi, o + 8);
    b.writeUInt32BE(sec - hi * 0x100000000, o + 12);
    b.writeUInt32BE(f.tsNsec % 1e9, o + 16);
    b.writeUInt32BE(n, o + 20);
    b.writeUInt32BE(f.len, o + 24);
    b.writeUInt32BE(f.linktype, o + 28);
    b.writeUInt32BE(f.iface, o + 32);
    b.set(f.data, o + FRAME_HEADER);
    this.o = o + FRAME_HEADER + n;
    this.count++;
  }

  /** The batch of the frames added since the last finish, with its body; the builder starts a new body. */
  finish(capture: number, seq: number): FrameBatch {
    const b = this.buf ?? Buffer.allocUnsafe(HEADER);
    putHeader(new DataView(b.buffer, b.byteOffset, b.byteLength), FRAMES_MAGIC, capture, seq, this.count);
    const body = b.subarray(0, this.o);
    this.buf = null;
    this.o = HEADER;
    this.count = 0;
    return { ...decodeFramesBody(body), body };
  }
}

/** The batch of a frames body; its frames' data are windows into `body`. */
export function decodeFramesBody(body: Uint8Array): FrameBatch {
  const { dv, capture, seq, count } = header(body, FRAMES_MAGIC, 'frames');
  if (count > MAX_FRAMES) throw new BadBody(`frames body: ${count} frames, at most ${MAX_FRAMES} in a batch`);
  const frames: Frame[] = new Array(count);
  let o = HEADER;
  for (let i = 0; i < count; i++) {
    if (o + FRAME_HEADER > body.length) throw new BadBody(`frames body: cut short in the header of frame ${i + 1} of ${count} (byte ${o})`);
    const num = dv.getUint32(o), flags = dv.getUint32(o + 4), tsSec = u64(dv, o + 8), tsNsec = dv.getUint32(o + 16);
    const caplen = dv.getUint32(o + 20), len = dv.getUint32(o + 24);
    if (num < 1) throw new BadBody(`frames body: frame ${i + 1} has number 0 (frames are numbered from 1)`);
    if (flags > 1) throw new BadBody(`frames body: frame ${num}: unknown flags 0x${flags.toString(16)}`);
    if (tsSec < 0 || tsNsec >= 1e9) throw new BadBody(`frames body: frame ${num}: timestamp out of range`);
    if (caplen > MAX_FRAME_BYTES) throw new BadBody(`frames body: frame ${num}: ${caplen} bytes, at most ${MAX_FRAME_BYTES}`);
    const start = o + FRAME_HEADER;
    if (start + caplen > body.length) throw new BadBody(`frames body: frame ${num} cut short (${caplen} bytes announced, ${body.length - start} left)`);
    const hasTs = flags === 1;
    frames[i] = {
      num, tsSec: hasTs ? tsSec : 0, tsNsec: hasTs ? tsNsec : 0, hasTs, caplen, len: Math.max(len, caplen),
      linktype: dv.getUint32(o + 28), iface: dv.getUint32(o + 32), data: body.subarray(start, start + caplen),
    };
    o = start + caplen;
  }
  if (o !== body.length) throw new BadBody(`frames body: ${body.length - o} bytes after the last of ${count} frames`);
  return { capture, seq, frames };
}

/** What a packets body carries besides the COPY payload. */
export interface PacketsMeta {
  /** the payload's columns, in order (a Parser and a Persistor of different versions notice here) */
  columns: string[];
  /** [frame, name] for each anomaly of the batch's packets */
  anomalies: [number, string][];
  flows: FlowUpdate[];
}

export interface PacketsBody {
  capture: number;
  seq: number;
  meta: PacketsMeta;
  /** the binary COPY payload, a window into the body (unchecked here: see store/copy-check.ts) */
  payload: Uint8Array;
}

/** The body as two parts to send one after the other: header and meta, then the payload as it is (no copy). */
export function encodePacketsParts(capture: number, seq: number, meta: PacketsMeta, payload: Uint8Array): [Buffer, Uint8Array] {
  const m = JSON.stringify(meta);
  const head = Buffer.allocUnsafe(HEADER + Buffer.byteLength(m));
  const n = head.write(m, HEADER);
  putHeader(new DataView(head.buffer, head.byteOffset, head.byteLength), PACKETS_MAGIC, capture, seq, n);
  return [head, payload];
}

export function encodePacketsBody(capture: number, seq: number, meta: PacketsMeta, payload: Uint8Array): Buffer<ArrayBuffer> {
  return Buffer.concat(encodePacketsParts(capture, seq, meta, payload)) as Buffer<ArrayBuffer>;
}

/** Split a packets body and check its meta's shape; the payload is checked against the table by the Persistor. */
export function decodePacketsBody(body: Uint8Array): PacketsBody {
  const { capture, seq, count: metaLen } = header(body, PACKETS_MAGIC, 'packets');
  if (metaLen > MAX_META || HEADER + metaLen > body.length) throw new BadBody(`packets body: meta of ${metaLen} bytes announced, ${body.length - HEADER} left`);
  let meta: unknown;
  try {
    meta = JSON.parse(Buffer.from(body.buffer, body.byteOffset + HEADER, metaLen).toString('utf8'));
  } catch (e) {
    throw new BadBody(`packets body: meta is not JSON (${(e as Error).message})`);
  }
  checkMeta(meta);
  return { capture, seq, meta, payload: body.subarray(HEADER + metaLen) };
}

type Kind = 'int' | 'num' | 'bool' | 'str' | 'int?' | 'str?';
const FLOW: [keyof FlowUpdate, Kind][] = [
  ['ipProto', 'int'], ['stream', 'int'], ['clientIp', 'str?'], ['serverIp', 'str?'], ['clientPort', 'int'], ['serverPort', 'int'],
  ['firstSec', 'num'], ['lastSec', 'num'], ['dPktsC2s', 'int'], ['dPktsS2c', 'int'], ['dBytesC2s', 'int'], ['dBytesS2c', 'int'],
  ['syn', 'bool'], ['synAck', 'bool'], ['fin', 'bool'], ['rst', 'bool'], ['tcpState', 'str?'], ['app', 'str?'], ['appBy', 'str?'],
  ['serverName', 'str?'], ['lastFrame', 'int'],
];

function fits(v: unknown, k: Kind): boolean {
  switch (k) {
    case 'int': return Number.isSafeInteger(v);
    case 'num': return typeof v === 'number' && Number.isFinite(v);
    case 'bool': return typeof v === 'boolean';
    case 'str': return typeof v === 'string';
    case 'int?': return v === null || Number.isSafeInteger(v);
    case 'str?': return v === null || typeof v === 'string';
  }
}

function checkMeta(m: unknown): asserts m is PacketsMeta {
  const bad = (what: string): never => {
    throw new BadBody(`packets body: meta ${what}`);
  };
  if (typeof m !== 'object' || m === null || Array.isArray(m)) bad('must be an object');
  const o = m as Record<string, unknown>;
  if (!Array.isArray(o.columns) || !o.columns.every((c) => typeof c === 'string')) bad('.columns must be a list of names');
  if (!Array.isArray(o.anomalies)) bad('.anomalies must be a list');
  for (const a of o.anomalies as unknown[]) {
    if (!Array.isArray(a) || a.length !== 2 || !Number.isSafeInteger(a[0]) || typeof a[1] !== 'string' || a[1].length > 200) bad('.anomalies: each must be [frame, name]');
  }
  if (!Array.isArray(o.flows) || o.flows.length > 200_000) bad('.flows must be a list of at most 200000');
  for (const f of o.flows as unknown[]) {
    if (typeof f !== 'object' || f === null) bad('.flows: each must be an object');
    const r = f as Record<string, unknown>;
    for (const [k, kind] of FLOW) if (!fits(r[k], kind)) bad(`.flows: ${k} must be ${kind.startsWith('int') ? 'an integer' : kind.startsWith('str') ? 'a string' : kind === 'num' ? 'a number' : 'a boolean'}${kind.endsWith('?') ? ' or null' : ''}`);
    if ((r.stream as number) < 0) bad('.flows: stream must be >= 0');
  }
}
