/**
 * Ingest a capture file into the store: stream → decode → records → batches written exactly once.
 * Batches are fixed runs of frames, so an interrupted import (Ctrl-C, kill -9, power) is finished by running
 * it again: the file is recognised by its sha256, decoded from the start, and only missing batches are written.
 */
import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { basename } from 'node:path';
import type { Readable } from 'node:stream';
import { readCapture, CaptureError, type ReadResult } from '../wire/capture.js';
import { Session } from '../dissect/session.js';
import { toRecord, FlowTracker, RECORD_FIELDS } from '../store/record.js';
import { BatchEncoder } from '../store/store.js';
import type { Store, CaptureRow } from '../store/store.js';

export const BATCH_FRAMES = 16384;
/** batches being written while the next ones are decoded */
const WINDOW = 3;

export interface IngestProgress {
  packets: number;
  /** packets of this run committed to the database so far (a resumed run counts only what it writes) */
  written: number;
  sourceBytes: number;
  totalBytes: number | null;
  elapsed: number;
}

export interface IngestOptions {
  name?: string;
  force?: boolean;
  signal?: AbortSignal;
  onProgress?: (p: IngestProgress) => void;
  batchFrames?: number;
  /** called once the capture's row exists (before any packet is stored) */
  onCapture?: (captureId: number) => void;
  /** a stream input (an upload): what `captures.source` records (default "stream") and its size when known */
  source?: string;
  size?: number | null;
}

export interface IngestReport {
  file: string;
  captureId: number;
  name: string;
  /** the file was stored before (same sha256) and nothing was done */
  alreadyStored: boolean;
  resumed: boolean;
  packets: number;
  /** packets written by this run (less than packets when resuming) */
  written: number;
  bytes: number;
  malformed: number;
  anomalies: Record<string, number>;
  skipped: Record<string, number>;
  damage: { byte: number; packets: number; message: string } | null;
  interrupted: boolean;
  elapsed: number;
  rate: number;
}

export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(path, { highWaterMark: 1 << 20 })) h.update(c as Buffer);
  return h.digest('hex');
}

/** The batch size an interrupted import used, from its stored batches (null when none is stored). */
async function storedBatchFrames(store: Store, captureId: number): Promise<number | null> {
  const r = await store.db.query<{ seq: string; first_frame: string; packets: number }>(
    'SELECT seq, first_frame, packets FROM ingest_batches WHERE capture_id = $1 ORDER BY seq DESC LIMIT 1',
    [captureId],
  );
  const b = r.rows[0];
  if (!b) return null;
  // batch k starts at frame k * B + 1; a lone batch 0 is either full or the whole file
  return Number(b.seq) > 0 ? (Number(b.first_frame) - 1) / Number(b.seq) : Number(b.packets);
}

/**
 * `path` is a file, '-' (standard input) or a stream (an upload). Files are known by their sha256 (stored once,
 * resumed after an interruption); standard input and streams are read once, as they come, into a new capture.
 */
export async function ingestFile(store: Store, path: string | Readable, opts: IngestOptions = {}): Promise<IngestReport> {
  const t0 = performance.now();
  const isStdin = typeof path !== 'string' || path === '-';
  const source = typeof path === 'string' ? (isStdin ? 'stdin' : path) : opts.source ?? 'stream';
  const size = isStdin ? opts.size ?? null : statSync(path as string).size;
  const sha = isStdin ? null : await sha256File(path as string);
  const name = opts.name ?? (isStdin ? source : basename(path as string));
  let existing: CaptureRow | null = null;
  let claimed: number | null = null;
  if (sha) {
    const c = await store.claimCapture({ name, source, sha256: sha, size, force: opts.force === true });
    if (c.created) claimed = c.capture.id;
    else existing = c.capture;
  }
  const base: Omit<IngestReport, 'captureId' | 'name' | 'alreadyStored' | 'resumed'> = {
    file: typeof path === 'string' ? path : source, packets: 0, written: 0, bytes: 0, malformed: 0, anomalies: {}, skipped: {}, damage: null, interrupted: false, elapsed: 0, rate: 0,
  };
  if (existing && existing.state === 'complete' && !opts.force) {
    return { ...base, captureId: existing.id, name: existing.name, alreadyStored: true, resumed: false, packets: existing.packets, bytes: existing.bytes };
  }
  const resumed = existing !== null;
  const captureId = existing ? existing.id : claimed ?? (await store.createCapture({ name, source, sha256: null, size, state: 'importing' }));
  if (existing) await store.setCaptureState(existing.id, 'importing');
  opts.onCapture?.(captureId);
  const done = resumed ? await store.storedBatches(captureId) : new Set<number>();

  // batches are known by seq: a resumed import must cut the file as the interrupted run did, whatever the size now
  const B = (resumed ? await storedBatchFrames(store, captureId) : null) ?? opts.batchFrames ?? BATCH_FRAMES;
  const s = new Session();
  s.d.setWanted(RECORD_FIELDS);
  const flows = new FlowTracker();
  const report: IngestReport = { ...base, captureId, name: existing?.name ?? name, alreadyStored: false, resumed };
  // COPY buffers are reused once their batch is written: no large allocation per batch
  const pool: Uint8Array[] = [];
  let enc = new BatchEncoder(captureId, pool.pop());
  let seq = 0;
  const inflight: Promise<void>[] = [];
  let writeError: unknown = null;

  let sourceBytes = 0;
  const progress = (): void =>
    opts.onProgress?.({ packets: report.packets, written: report.written, sourceBytes, totalBytes: size, elapsed: (performance.now() - t0) / 1000 });

  const flush = (): void => {
    if (enc.packets === 0) return;
    const e = enc.finish();
    const mySeq = seq++;
    const fl = flows.take(); // always taken, so the next batch's deltas start from here
    if (done.has(mySeq)) {
      enc = new BatchEncoder(captureId, e.payload);
      return;
    }
    enc = new BatchEncoder(captureId, pool.pop());
    const p = store.writeEncoded(captureId, mySeq, e, fl).then(
      (r) => {
        if (r === 'written') report.written += e.packets;
        pool.push(e.payload);
        progress();
      },
      (err) => { writeError ??= err; },
    );
    inflight.push(p);
    p.finally(() => inflight.splice(inflight.indexOf(p), 1));
  };

  let res: ReadResult | null = null;
  let linkTypes: number[] | undefined;
  try {
    res = await readCapture(
      path,
      (f) => {
        const d = s.dissect(f);
        const rec = toRecord(d);
        flows.note(d);
        report.packets++;
        report.bytes += f.len;
        if (rec.malformed) report.malformed++;
        for (const a of rec.anomalies) report.anomalies[a] = (report.anomalies[a] ?? 0) + 1;
        enc.add(rec);
        if (enc.packets >= B) flush();
      },
      {
        signal: opts.signal,
        afterChunk: async (read) => {
          sourceBytes = read;
          if (writeError) throw writeError;
          while (inflight.length >= WINDOW) await Promise.race(inflight);
          if (writeError) throw writeError;
          progress();
        },
      },
    );
  } catch (e) {
    if (e instanceof CaptureError && e.kind === 'damaged') {
      report.damage = { byte: e.byteOffset, packets: e.packets, message: e.message };
      linkTypes = [...new Set(e.interfaces.map((i) => i.linktype))];
      report.skipped = e.skipped;
    } else {
      await Promise.allSettled(inflight);
      await store.setCaptureState(captureId, resumed || report.written ? 'importing' : 'failed', { error: (e as Error).message }).catch(() => {});
      throw e;
    }
  }
  report.interrupted = opts.signal?.aborted === true;
  if (!report.interrupted) flush();
  await Promise.allSettled([...inflight]);
  while (inflight.length) await Promise.allSettled([...inflight]);
  if (writeError) throw writeError;
  report.elapsed = (performance.now() - t0) / 1000;
  report.rate = report.packets / Math.max(report.elapsed, 1e-9);
  if (res) {
    report.skipped = res.skipped;
    linkTypes = [...new Set(res.interfaces.map((i) => i.linktype))];
  }
  if (!report.interrupted) {
    await store.setCaptureState(
      captureId,
      'complete',
      {
        packets: report.packets,
        malformed: report.malformed,
        anomalies: report.anomalies,
        skipped: report.skipped,
        damage: report.damage,
        format: res?.format ?? null,
        gzip: res?.gzip ?? false,
        flowsEvicted: s.flows.evicted,
        flowsExpired: s.flows.expired,
      },
      linkTypes,
    );
  }
  return report;
}
