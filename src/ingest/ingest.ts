/**
 * Ingest a capture file into the store: stream → decode → records → batches written exactly once.
 * Batches are fixed runs of frames, so an interrupted import (Ctrl-C, kill -9, power) is finished by running
 * it again: the file is recognised by its sha256, decoded from the start, and only missing batches are written.
 */
import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { basename } from 'node:path';
import { readCapture, CaptureError, type ReadResult } from '../wire/capture.js';
import { Session } from '../dissect/session.js';
import { toRecord, FlowTracker, RECORD_FIELDS, type PacketRecord } from '../store/record.js';
import type { Store, CaptureRow } from '../store/store.js';

export const BATCH_FRAMES = 4096;
/** batches being written while the next ones are decoded */
const WINDOW = 2;

export interface IngestProgress {
  packets: number;
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

export async function ingestFile(store: Store, path: string, opts: IngestOptions = {}): Promise<IngestReport> {
  const t0 = performance.now();
  const isStdin = path === '-';
  const size = isStdin ? null : statSync(path).size;
  const sha = isStdin ? null : await sha256File(path);
  const name = opts.name ?? (isStdin ? 'stdin' : basename(path));
  let existing: CaptureRow | null = sha ? await store.findCaptureBySha(sha) : null;
  const base: Omit<IngestReport, 'captureId' | 'name' | 'alreadyStored' | 'resumed'> = {
    file: path, packets: 0, written: 0, bytes: 0, malformed: 0, anomalies: {}, skipped: {}, damage: null, interrupted: false, elapsed: 0, rate: 0,
  };
  if (existing && existing.state === 'complete' && !opts.force) {
    return { ...base, captureId: existing.id, name: existing.name, alreadyStored: true, resumed: false, packets: existing.packets, bytes: existing.bytes };
  }
  if (opts.force) existing = null;
  const resumed = existing !== null;
  const captureId = existing ? existing.id : await store.createCapture({ name, source: isStdin ? 'stdin' : path, sha256: sha, size, state: 'importing' });
  if (existing) await store.setCaptureState(existing.id, 'importing');
  const done = resumed ? await store.storedBatches(captureId) : new Set<number>();

  const B = opts.batchFrames ?? BATCH_FRAMES;
  const s = new Session();
  s.d.setWanted(RECORD_FIELDS);
  const flows = new FlowTracker();
  const report: IngestReport = { ...base, captureId, name: existing?.name ?? name, alreadyStored: false, resumed };
  let batch: PacketRecord[] = [];
  let seq = 0;
  const inflight: Promise<void>[] = [];
  let writeError: unknown = null;

  const flush = (): void => {
    if (batch.length === 0) return;
    const records = batch;
    batch = [];
    const mySeq = seq++;
    const fl = flows.take(); // always taken, so the next batch's deltas start from here
    if (done.has(mySeq)) return;
    const p = store.writeBatch({ captureId, seq: mySeq, records, flows: fl }).then(
      () => { report.written += records.length; },
      (e) => { writeError ??= e; },
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
        batch.push(rec);
        if (batch.length >= B) flush();
      },
      {
        signal: opts.signal,
        afterChunk: async (sourceBytes) => {
          if (writeError) throw writeError;
          while (inflight.length >= WINDOW) await Promise.race(inflight);
          if (writeError) throw writeError;
          opts.onProgress?.({ packets: report.packets, sourceBytes, totalBytes: size, elapsed: (performance.now() - t0) / 1000 });
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
