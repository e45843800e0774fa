/**
 * The Capture: reads frames (a file replayed, or a live interface) and sends them to the Parser in batches, keeping
 * a window of unacknowledged batches (when it is full, reading pauses: backpressure end to end, since the Parser
 * answers once a batch is stored).
 *
 * Replay cuts batches by frame count alone (REPLAY_BATCH_FRAMES, or the size the capture's stored batches used), so
 * that batch k is always the same frames: a retried batch, or a replay started again after the Parser lost its state,
 * is recognised and not stored twice. Paced replay (--realtime, --speed) cuts at BATCH_MAX_FRAMES and also closes a
 * batch once BATCH_MAX_MS of capture time (scaled) has passed since its first frame, which is as deterministic. Live capture closes batches at BATCH_MAX_FRAMES or BATCH_MAX_MS wall time.
 */
import { statSync } from 'node:fs';
import { basename } from 'node:path';
import { readCapture, CaptureError, type Frame, type ReadResult } from '../wire/capture.js';
import { sha256File } from '../ingest/ingest.js';
import { Resync, type Ack, type FrameBatch, type ParserApi } from '../bus/messages.js';
import { untilAcked, sleep } from '../bus/retry.js';
import { FramesBuilder } from '../bus/binary.js';
import { BATCH_MAX_FRAMES, BATCH_MAX_MS, REPLAY_BATCH_FRAMES, SEND_WINDOW } from './config.js';
import type { Logger } from './log.js';
import type { ServiceMetrics } from './metrics.js';

/** A frame that owns its bytes (the reader's window is copied). */
export function ownFrame(f: Frame): Frame {
  return { num: f.num, tsSec: f.tsSec, tsNsec: f.tsNsec, hasTs: f.hasTs, caplen: f.caplen, len: f.len, linktype: f.linktype, iface: f.iface, data: f.data.slice() };
}

/** Sends batches with at most `window` unacknowledged; remembers the first failure that must stop the sender. */
export class Sender {
  inflight = 0;
  acked = 0;
  ackedPackets = 0;
  duplicates = 0;
  fatal: unknown = null;
  private waiters: (() => void)[] = [];

  constructor(
    private parser: ParserApi,
    private o: { log: Logger; metrics: ServiceMetrics; signal?: AbortSignal; window?: number },
  ) {}

  send(b: FrameBatch, settled?: () => void): void {
    this.inflight++;
    this.o.metrics.queue.set(this.inflight);
    const t0 = performance.now();
    untilAcked(() => this.parser.parse(b), { what: `batch ${b.capture}/${b.seq}`, log: this.o.log, metrics: this.o.metrics, signal: this.o.signal })
      .then((a: Ack) => {
        this.acked++;
        this.ackedPackets += b.frames.length;
        if (a.result === 'duplicate') this.duplicates++;
        this.o.metrics.batchesSent.inc();
        this.o.metrics.packetsSent.inc(b.frames.length);
        this.o.metrics.latency.observe((performance.now() - t0) / 1000);
      })
      .catch((e: unknown) => {
        this.fatal ??= e;
      })
      .finally(() => {
        settled?.();
        this.inflight--;
        this.o.metrics.queue.set(this.inflight);
        const w = this.waiters;
        this.waiters = [];
        for (const f of w) f();
      });
  }

  /** Resolves when fewer than `n` batches are unacknowledged. */
  async below(n: number): Promise<void> {
    while (this.inflight >= n) await new Promise<void>((r) => this.waiters.push(r));
  }

  get window(): number {
    return this.o.window ?? SEND_WINDOW;
  }

  async drain(): Promise<void> {
    await this.below(1);
  }
}

export interface ReplayOptions {
  name?: string;
  force?: boolean;
  /** 1 = as captured; 2 = twice as fast; undefined = as fast as the pipeline takes it */
  speed?: number;
  signal?: AbortSignal;
  log: Logger;
  metrics: ServiceMetrics;
  onProgress?: (p: { packets: number; sourceBytes: number; totalBytes: number; elapsed: number }) => void;
}

export interface ReplayReport {
  capture: number;
  name: string;
  alreadyStored: boolean;
  packets: number;
  /** batches the Persistor already had (a resumed or repeated replay) */
  duplicateBatches: number;
  resyncs: number;
  damage: { byte: number; packets: number; message: string } | null;
  skipped: Record<string, number>;
  elapsed: number;
  interrupted: boolean;
}

/** Replay a capture file to the Parser; resolves when every batch is acknowledged (stored). */
export async function replayFile(parser: ParserApi, path: string, o: ReplayOptions): Promise<ReplayReport> {
  const t0 = performance.now();
  const size = statSync(path).size;
  const sha256 = await sha256File(path);
  const name = o.name ?? basename(path);
  const retry = { log: o.log, metrics: o.metrics, signal: o.signal };
  let resyncs = 0;
  for (;;) {
    const open = await untilAcked(() => parser.open({ name, source: path, sha256, size, force: o.force === true }), { what: 'open capture', ...retry });
    const report: ReplayReport = {
      capture: open.capture, name, alreadyStored: false, packets: 0, duplicateBatches: 0, resyncs, damage: null, skipped: {}, elapsed: 0, interrupted: false,
    };
    if (!open.created && open.state === 'complete' && !o.force) {
      o.log.info({ capture: open.capture, file: path }, 'already stored');
      return { ...report, alreadyStored: true, packets: open.packets };
    }
    o.log.info({ capture: open.capture, file: path, size, resumed: !open.created, speed: o.speed ?? 'max' }, 'replay started');
    const sender = new Sender(parser, retry);
    try {
      const res = await sendFile(sender, open.capture, path, size, o, report, t0, open.batchFrames ?? undefined);
      report.skipped = res?.skipped ?? report.skipped;
      report.duplicateBatches = sender.duplicates;
      report.elapsed = (performance.now() - t0) / 1000;
      report.interrupted = o.signal?.aborted === true;
      if (!report.interrupted) {
        const linkTypes = res ? [...new Set(res.interfaces.map((i) => i.linktype))] : undefined;
        await untilAcked(
          () => parser.close({ capture: open.capture, state: 'complete', linkTypes, report: { packets: report.packets, skipped: report.skipped, damage: report.damage, format: res?.format ?? null, gzip: res?.gzip ?? false, via: 'capture' } }),
          { what: 'close capture', ...retry },
        );
      }
      o.log.info({ capture: open.capture, packets: report.packets, seconds: report.elapsed, duplicateBatches: report.duplicateBatches, interrupted: report.interrupted }, 'replay finished');
      return report;
    } catch (e) {
      if (e instanceof Resync && resyncs < 20) {
        resyncs++;
        o.log.warn({ capture: open.capture, err: e.message }, 'the Parser lost its state: replaying from the start');
        await sender.drain();
        continue;
      }
      throw e;
    }
  }
}

async function sendFile(sender: Sender, capture: number, path: string, size: number, o: ReplayOptions, report: ReplayReport, t0: number, stored?: number): Promise<ReadResult | null> {
  let seq = 0;
  // frames go straight into the batch's binary body (one copy, sent as it is)
  const frames = new FramesBuilder();
  let batchStart = 0; // capture time (ns) of the batch's first frame, when paced
  const paced = o.speed !== undefined && o.speed > 0;
  // paced: batches as live capture cuts them; as fast as possible: larger ones (or what the stored batches used)
  const maxFrames = stored && stored > 0 && Number.isInteger(stored) ? stored : paced ? BATCH_MAX_FRAMES : REPLAY_BATCH_FRAMES;
  const spanNs = paced ? BATCH_MAX_MS * 1e6 * o.speed! : 0;
  // paced: wall time at which capture time `firstTs` is due
  let firstTs = -1;
  const wall0 = performance.now();
  const ready: FrameBatch[] = [];
  const flush = (): void => {
    if (!frames.count) return;
    o.metrics.packetsReceived.inc(frames.count);
    ready.push(frames.finish(capture, seq++));
  };
  const send = async (): Promise<void> => {
    while (ready.length) {
      const b = ready.shift()!;
      if (paced) {
        const f = b.frames[b.frames.length - 1];
        const due = wall0 + ((f.tsSec * 1e9 + f.tsNsec - firstTs) / 1e6) / o.speed!;
        const wait = due - performance.now();
        if (wait > 1) await sleep(wait, o.signal).catch(() => {});
      }
      await sender.below(sender.window);
      if (sender.fatal) throw sender.fatal;
      sender.send(b);
    }
  };
  let res: ReadResult | null = null;
  try {
    res = await readCapture(
      path,
      (f) => {
        report.packets++;
        if (paced) {
          const t = f.tsSec * 1e9 + f.tsNsec;
          if (firstTs < 0) firstTs = t;
          if (frames.count && t - batchStart >= spanNs) flush();
          if (!frames.count) batchStart = t;
        }
        frames.add(f);
        if (frames.count >= maxFrames) flush();
      },
      {
        signal: o.signal,
        afterChunk: async (sourceBytes) => {
          await send();
          o.onProgress?.({ packets: report.packets, sourceBytes, totalBytes: size, elapsed: (performance.now() - t0) / 1000 });
        },
      },
    );
  } catch (e) {
    if (!(e instanceof CaptureError && e.kind === 'damaged')) {
      await sender.drain();
      throw e;
    }
    report.damage = { byte: e.byteOffset, packets: e.packets, message: e.message };
    report.skipped = e.skipped;
    o.log.warn({ file: path, damage: e.message }, 'capture damaged: every whole packet before it is sent');
  }
  if (!o.signal?.aborted) {
    flush();
    await send();
  }
  await sender.drain();
  if (sender.fatal) throw sender.fatal;
  return res;
}

export interface LiveOptions {
  iface: string;
  bpf?: string;
  snaplen?: number;
  name?: string;
  signal: AbortSignal;
  log: Logger;
  metrics: ServiceMetrics;
  /** frames held while the pipeline is behind; beyond it frames are dropped and counted (default 200,000) */
  maxQueuedFrames?: number;
  /** called about every second, and once the capture is running */
  onStats?: (s: LiveReport) => void;
}

export interface LiveReport {
  capture: number;
  iface: string;
  packets: number;
  /** captured bytes of those packets */
  bytes: number;
  stored: number;
  /** dropped here because the pipeline was behind and the buffer was full */
  dropped: number;
  kernelDropped: number;
  ifDropped: number;
  queued: number;
  elapsed: number;
}

/**
 * Capture live on an interface until the signal: the tool's pcap stream is read like a file, frames are batched at
 * BATCH_MAX_FRAMES or BATCH_MAX_MS, batches wait in a bounded queue while the window is full (frames beyond the
 * bound are dropped and counted: the network cannot be paused). A Parser that restarts is given the capture again
 * (its stream numbers going on after the stored ones) and the unacknowledged batches are sent again.
 */
export async function captureLive(parser: ParserApi, o: LiveOptions): Promise<LiveReport> {
  const { startLive } = await import('../capture/live.js');
  const t0 = performance.now();
  const retry = { log: o.log, metrics: o.metrics, signal: o.signal };
  const name = o.name ?? `live ${o.iface}`;
  const open = await untilAcked(() => parser.open({ name, source: o.iface, live: true }), { what: 'open capture', ...retry });
  const capture = open.capture;
  const rep: LiveReport = { capture, iface: o.iface, packets: 0, bytes: 0, stored: 0, dropped: 0, kernelDropped: 0, ifDropped: 0, queued: 0, elapsed: 0 };
  const maxQueued = o.maxQueuedFrames ?? 200_000;
  const inflight = new Set<number>();
  let reopening: Promise<unknown> | null = null;
  const sendOnce = async (b: FrameBatch): Promise<Ack> => {
    try {
      return await parser.parse(b);
    } catch (e) {
      if (!(e instanceof Resync)) throw e;
      const from = Math.min(...inflight);
      reopening ??= untilAcked(() => parser.open({ name, source: o.iface, live: true, capture, fromSeq: from }), { what: 'reopen capture', ...retry })
        .then(() => o.log.warn({ capture, fromSeq: from }, 'the Parser restarted: capture reopened, unacknowledged batches sent again'))
        .finally(() => { reopening = null; });
      await reopening;
      throw new Error('resent after the Parser restarted');
    }
  };
  const liveParser: ParserApi = { open: (r) => parser.open(r), close: (r) => parser.close(r), parse: sendOnce };
  const sender = new Sender(liveParser, { ...retry, signal: undefined }); // batches in flight are finished after the stop
  let seq = 0;
  let frames: Frame[] = [];
  let timer: NodeJS.Timeout | null = null;
  const queue: FrameBatch[] = [];
  let queuedFrames = 0;
  let wake: (() => void) | null = null;
  const flush = (): void => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (!frames.length) return;
    queue.push({ capture, seq: seq++, frames });
    queuedFrames += frames.length;
    frames = [];
    wake?.();
  };
  const live = await startLive({ iface: o.iface, bpf: o.bpf, snaplen: o.snaplen, signal: o.signal }, (f) => {
    rep.packets++;
    o.metrics.packetsReceived.inc();
    if (queuedFrames + frames.length >= maxQueued) {
      rep.dropped++;
      o.metrics.dropped.inc();
      return;
    }
    frames.push(ownFrame(f));
    if (frames.length >= BATCH_MAX_FRAMES) flush();
    else if (!timer) timer = setTimeout(flush, BATCH_MAX_MS);
  });
  o.log.info({ capture, iface: o.iface, bpf: o.bpf ?? null, command: live.command.join(' ') }, 'live capture started');
  const stats = (): void => {
    const s = live.stats;
    rep.bytes = s.bytes;
    rep.kernelDropped = s.kernelDropped;
    rep.ifDropped = s.ifDropped;
    rep.stored = sender.ackedPackets;
    rep.queued = queuedFrames + frames.length;
    rep.elapsed = (performance.now() - t0) / 1000;
    o.metrics.toolDrops.set('kernel', s.kernelDropped);
    o.metrics.toolDrops.set('interface', s.ifDropped);
    o.onStats?.(rep);
  };
  stats();
  const tick = setInterval(stats, 1000);
  let ended = false;
  const result = live.done.then((r) => {
    ended = true;
    flush();
    wake?.();
    return r;
  });
  // the pump: queued batches into the window
  while (!ended || queue.length) {
    const b = queue.shift();
    if (!b) {
      await new Promise<void>((r) => (wake = r));
      wake = null;
      continue;
    }
    queuedFrames -= b.frames.length;
    await sender.below(sender.window);
    inflight.add(b.seq);
    sender.send(b, () => inflight.delete(b.seq));
  }
  const r = await result;
  await sender.drain();
  clearInterval(tick);
  stats();
  if (r.error && r.stoppedBy !== 'stop' && r.stoppedBy !== 'abort') o.log.error({ err: r.error.message }, 'capture tool failed');
  await untilAcked(
    () => parser.close({ capture, state: 'complete', report: { packets: rep.packets, dropped: rep.dropped, kernelDropped: rep.kernelDropped, ifDropped: rep.ifDropped, via: 'live', iface: o.iface, bpf: o.bpf ?? null, toolError: r.error?.message ?? null } }),
    { what: 'close capture', log: o.log, metrics: o.metrics },
  );
  o.log.info({ ...rep }, 'live capture stopped');
  if (sender.fatal) throw sender.fatal;
  if (r.error && r.stoppedBy === 'error') throw r.error;
  return rep;
}
