/**
 * What travels between the services (DESIGN.md §2), in memory and as JSON:
 *   Capture → Parser     FrameBatch  {capture, seq, frames:[{n, ts, caplen, len, linktype, iface, data}]}
 *   Parser → Persistor   PacketBatch {capture, seq, packets:[…records], flows:[…updates]}
 * and the capture's life: open (claim or create the captures row) and close (final state and import report).
 */
import type { Frame } from '../wire/capture.js';
import type { PacketRecord, PacketJson, FlowUpdate } from '../store/record.js';

/** A frame as it travels: `data` owned by the message (never a reused window). */
export type WireFrame = Frame;

export interface FrameBatch {
  capture: number;
  seq: number;
  frames: WireFrame[];
  /** the batch's binary body (bus/binary.ts), when the sender built it as it read (the frames are windows into it) */
  body?: Uint8Array;
}

export interface PacketBatch {
  capture: number;
  seq: number;
  packets: PacketRecord[];
  flows: FlowUpdate[];
}

export interface OpenRequest {
  name: string;
  /** file path or interface */
  source: string;
  sha256?: string | null;
  size?: number | null;
  live?: boolean;
  /** store the file again though the same sha256 is stored */
  force?: boolean;
  /** reopen this capture (a live capture going on after the Parser restarted) */
  capture?: number;
  /** the first batch the sender will send after this open (default 0) */
  fromSeq?: number;
}

export interface OpenResult {
  capture: number;
  /** a new captures row (false: the file was stored, or partly stored, before) */
  created: boolean;
  state: string;
  /** packets already stored for it */
  packets: number;
  /** first free stream number (a reopened live capture numbers its new conversations from here) */
  streamBase: number;
  /** frames per batch of the batches already stored (a resumed replay must cut the same batches); absent when none */
  batchFrames?: number | null;
}

export interface CloseRequest {
  capture: number;
  state: 'complete' | 'failed';
  report: Record<string, unknown>;
  linkTypes?: number[];
}

export interface Ack {
  capture: number;
  seq: number;
  packets: number;
  /** written now, or already stored before (a retry or a replay) */
  result: 'written' | 'duplicate';
}

export interface ParserApi {
  open(req: OpenRequest): Promise<OpenResult>;
  parse(b: FrameBatch): Promise<Ack>;
  close(req: CloseRequest): Promise<void>;
}

export interface PersistorApi {
  open(req: OpenRequest): Promise<OpenResult>;
  store(b: PacketBatch): Promise<Ack>;
  close(req: CloseRequest): Promise<void>;
}

/** A failure the sender must not retry as is (bad input, unauthorized, too big). */
export class Rejected extends Error {
  constructor(message: string, readonly status: number) {
    super(message);
  }
}

/**
 * The receiver lost the capture's state (the Parser restarted): the sender must open the capture again and send it
 * from its first batch; batches already stored are acknowledged as duplicates, so nothing is written twice.
 */
export class Resync extends Error {
  readonly code = 'PKT_ERR_RESYNC';
}

// ---- JSON forms -------------------------------------------------------------------------------------------------

export interface FrameJson {
  n: number;
  /** seconds since the epoch with nine decimals, as text (a double cannot hold nanoseconds) */
  ts: string;
  caplen: number;
  len: number;
  linktype: number;
  iface: number;
  data: string;
}

export function frameToJson(f: Frame): FrameJson {
  // a capture's sub-second field may hold a second or more (damaged or odd files): carried into the seconds, as the store does
  return {
    n: f.num,
    ts: f.hasTs ? `${f.tsSec + Math.floor(f.tsNsec / 1e9)}.${String(f.tsNsec % 1e9).padStart(9, '0')}` : '',
    caplen: f.caplen,
    len: f.len,
    linktype: f.linktype,
    iface: f.iface,
    data: Buffer.from(f.data.buffer, f.data.byteOffset, f.data.byteLength).toString('base64'),
  };
}

const TS = /^(\d{1,12})(?:\.(\d{1,9}))?$/;

/** Parse a timestamp given as "sec[.frac]" text or a number; null when absent or not one. */
export function parseTs(ts: unknown): [number, number] | null {
  if (typeof ts === 'number' && Number.isFinite(ts) && ts >= 0) {
    const sec = Math.floor(ts);
    return [sec, Math.round((ts - sec) * 1e9)];
  }
  if (typeof ts !== 'string' || ts === '') return null;
  const m = TS.exec(ts);
  if (!m) return null;
  return [Number(m[1]), m[2] ? Number(m[2].padEnd(9, '0')) : 0];
}

export function frameFromJson(j: FrameJson): Frame {
  const data = new Uint8Array(Buffer.from(j.data, 'base64'));
  const ts = parseTs(j.ts);
  return {
    num: j.n,
    tsSec: ts ? ts[0] : 0,
    tsNsec: ts ? ts[1] : 0,
    hasTs: ts !== null,
    caplen: data.length,
    len: Math.max(j.len ?? data.length, data.length),
    linktype: j.linktype ?? 1,
    iface: j.iface ?? 0,
    data,
  };
}

export type { PacketJson };
