/**
 * The Parser: decodes the frames of each capture in order (TCP reassembly and stream numbers depend on it), turns
 * them into packet records and flow updates, and sends them on to the Persistor until acknowledged. A batch is
 * answered only once it is stored, so the Capture's window of unacknowledged batches is end-to-end backpressure.
 *
 * Batches may arrive out of order or twice (the Capture retries): each is decoded once, in seq order, and a repeat
 * gets the first one's answer. A Parser that restarted has no state for a capture: it answers Resync, and the
 * Capture opens the capture again and sends it from the start (the Persistor acknowledges what it already has).
 */
import type { FastifyInstance } from 'fastify';
import { Session } from '../dissect/session.js';
import type { Frame } from '../wire/capture.js';
import { FlowTracker, toRecord, RECORD_FIELDS, type PacketRecord } from '../store/record.js';
import { toJson } from '../cli/decode.js';
import {
  Rejected, Resync, frameFromJson,
  type Ack, type CloseRequest, type FrameBatch, type FrameJson, type OpenRequest, type OpenResult, type ParserApi, type PersistorApi,
} from '../bus/messages.js';
import { untilAcked } from '../bus/retry.js';
import { BadBody, decodeFramesBody, FRAMES_TYPE } from '../bus/binary.js';
import type { Logger } from './log.js';
import type { ServiceMetrics } from './metrics.js';
import { BODY_LIMIT } from './config.js';
import { bearerGuard } from './http.js';

/** batches of one capture the Parser holds at once, waiting for their turn (beyond it: refuse, the sender retries) */
const MAX_AHEAD = 64;
/** answers kept for repeats of batches already passed on */
const KEEP_RESULTS = 256;

interface CaptureSession {
  s: Session;
  flows: FlowTracker;
  /** the next seq to decode */
  next: number;
  turns: Map<number, () => void>;
  results: Map<number, Promise<Ack>>;
  packets: number;
  malformed: number;
  anomalies: Record<string, number>;
}

export class ParserService implements ParserApi {
  private caps = new Map<number, CaptureSession>();

  constructor(private persistor: PersistorApi, private log: Logger, private m: ServiceMetrics, private signal?: AbortSignal) {}

  get queueDepth(): number {
    let n = 0;
    for (const c of this.caps.values()) n += c.turns.size;
    return n;
  }

  async open(req: OpenRequest): Promise<OpenResult> {
    const r = await untilAcked(() => this.persistor.open(req), { what: 'open capture', log: this.log, metrics: this.m, signal: this.signal });
    const s = new Session({ firstStream: req.capture !== undefined && req.live ? r.streamBase : 0 });
    s.d.setWanted(RECORD_FIELDS);
    this.caps.set(r.capture, { s, flows: new FlowTracker(), next: req.fromSeq ?? 0, turns: new Map(), results: new Map(), packets: 0, malformed: 0, anomalies: {} });
    this.log.info({ capture: r.capture, name: req.name, source: req.source, created: r.created, state: r.state }, 'capture opened');
    return r;
  }

  async parse(b: FrameBatch): Promise<Ack> {
    const c = this.caps.get(b.capture);
    if (!c) throw new Resync(`capture ${b.capture} is not open here (the Parser restarted?): open it again and send it from the start`);
    this.m.batchesReceived.inc();
    this.m.packetsReceived.inc(b.frames.length);
    const known = c.results.get(b.seq);
    if (known) {
      this.m.duplicates.inc();
      return known;
    }
    if (b.seq < c.next) {
      // passed on long ago and forgotten: it was acknowledged, or the sender would not have gone that far
      this.m.duplicates.inc();
      return Promise.resolve({ capture: b.capture, seq: b.seq, packets: b.frames.length, result: 'duplicate' });
    }
    if (b.seq - c.next > MAX_AHEAD) {
      this.m.rejected.inc();
      throw new Error(`batch ${b.seq} is too far ahead of ${c.next}: send earlier batches first`);
    }
    const p = this.handle(c, b);
    c.results.set(b.seq, p);
    for (const k of c.results.keys()) {
      if (c.results.size <= KEEP_RESULTS) break;
      c.results.delete(k);
    }
    return p;
  }

  private async handle(c: CaptureSession, b: FrameBatch): Promise<Ack> {
    const t0 = performance.now();
    if (b.seq !== c.next) {
      this.m.queue.inc();
      await new Promise<void>((resolve) => c.turns.set(b.seq, resolve));
      this.m.queue.dec();
    }
    let packets: PacketRecord[];
    try {
      packets = this.decode(c, b);
    } finally {
      c.next = b.seq + 1;
      const wake = c.turns.get(c.next);
      if (wake) {
        c.turns.delete(c.next);
        wake();
      }
    }
    const flows = c.flows.take();
    const ack = await untilAcked(() => this.persistor.store({ capture: b.capture, seq: b.seq, packets, flows }), {
      what: `store batch ${b.capture}/${b.seq}`, log: this.log, metrics: this.m, signal: this.signal,
    });
    this.m.batchesSent.inc();
    this.m.packetsSent.inc(packets.length);
    this.m.latency.observe((performance.now() - t0) / 1000);
    this.log.debug({ capture: b.capture, seq: b.seq, packets: packets.length, result: ack.result }, 'batch stored');
    return ack;
  }

  private decode(c: CaptureSession, b: FrameBatch): PacketRecord[] {
    const out: PacketRecord[] = new Array(b.frames.length);
    for (let i = 0; i < b.frames.length; i++) {
      const d = c.s.dissect(b.frames[i]);
      const r = toRecord(d);
      c.flows.note(d);
      c.packets++;
      if (r.malformed) c.malformed++;
      for (const a of r.anomalies) c.anomalies[a] = (c.anomalies[a] ?? 0) + 1;
      out[i] = r;
    }
    return out;
  }

  async close(req: CloseRequest): Promise<void> {
    const c = this.caps.get(req.capture);
    const report = c
      ? { ...req.report, malformed: c.malformed, anomalies: c.anomalies, flowsEvicted: c.s.flows.evicted, flowsExpired: c.s.flows.expired }
      : req.report;
    await untilAcked(() => this.persistor.close({ ...req, report }), { what: 'close capture', log: this.log, metrics: this.m, signal: this.signal });
    this.caps.delete(req.capture);
    this.log.info({ capture: req.capture, state: req.state, packets: c?.packets }, 'capture closed');
  }

  /** The original design's one packet per request: decode it alone and answer with its dissection. */
  dissectOne(f: Frame): Record<string, unknown> {
    return toJson(new Session().dissect(f));
  }
}

const frameSchema = {
  type: 'object',
  required: ['n', 'data'],
  properties: {
    n: { type: 'integer', minimum: 1 },
    ts: { type: ['string', 'number'] },
    caplen: { type: 'integer', minimum: 0 },
    len: { type: 'integer', minimum: 0 },
    linktype: { type: 'integer', minimum: 0, maximum: 0xffffffff },
    iface: { type: 'integer', minimum: 0 },
    data: { type: 'string', maxLength: 1_000_000, contentEncoding: 'base64' },
  },
} as const;

const parseBody = {
  type: 'object',
  description: 'a batch {capture, seq, frames} from the Capture, or one frame {data, ts?, linktype?} to dissect and return',
  properties: {
    capture: { type: 'integer', minimum: 1 },
    seq: { type: 'integer', minimum: 0 },
    frames: { type: 'array', maxItems: 100_000, items: frameSchema },
    data: { type: 'string', maxLength: 1_000_000 },
    ts: { type: ['string', 'number'] },
    linktype: { type: 'integer', minimum: 0, maximum: 0xffffffff },
  },
  anyOf: [{ required: ['capture', 'seq', 'frames'] }, { required: ['data'] }],
} as const;

export const openSchema = {
  type: 'object',
  required: ['name', 'source'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 1000 },
    source: { type: 'string', maxLength: 4096 },
    sha256: { type: ['string', 'null'], pattern: '^[0-9a-f]{64}$' },
    size: { type: ['integer', 'null'], minimum: 0 },
    live: { type: 'boolean' },
    force: { type: 'boolean' },
    capture: { type: 'integer', minimum: 1 },
    fromSeq: { type: 'integer', minimum: 0 },
  },
  additionalProperties: false,
} as const;

export const closeSchema = {
  type: 'object',
  required: ['capture', 'state', 'report'],
  properties: {
    capture: { type: 'integer', minimum: 1 },
    state: { enum: ['complete', 'failed'] },
    report: { type: 'object' },
    linkTypes: { type: 'array', maxItems: 1000, items: { type: 'integer', minimum: 0 } },
  },
} as const;

/**
 * Strict base64: decoding skips foreign characters, so bytes fewer than the text promises mean it was not base64.
 * Checked on the decoded bytes (no second pass over the text).
 */
function base64Matches(text: string, decoded: Uint8Array): boolean {
  const pad = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  return text.length % 4 === 0 && decoded.length === (text.length / 4) * 3 - pad;
}

export function parserRoutes(app: FastifyInstance, svc: ParserService, opts: { token?: string; metrics: ServiceMetrics }): void {
  const guard = bearerGuard(opts.token, opts.metrics);
  // the binary form of a batch (bus/binary.ts): the body as bytes, checked by the handler
  app.addContentTypeParser(FRAMES_TYPE, { parseAs: 'buffer', bodyLimit: BODY_LIMIT }, (req, body, done) => done(null, body));
  app.post<{ Body: { capture?: number; seq?: number; frames?: FrameJson[]; data?: string; ts?: string | number; linktype?: number } | Buffer }>(
    '/parse',
    { bodyLimit: BODY_LIMIT, onRequest: guard, schema: { body: { content: { 'application/json': { schema: parseBody } } } } },
    async (req, reply) => {
      if (Buffer.isBuffer(req.body)) {
        let batch: FrameBatch;
        try {
          batch = decodeFramesBody(req.body);
        } catch (e) {
          if (e instanceof BadBody) throw new Rejected(e.message, 400);
          throw e;
        }
        return svc.parse(batch);
      }
      if (req.mediaType !== 'application/json') throw new Rejected(`content-type ${req.mediaType}: send application/json or ${FRAMES_TYPE}`, 415);
      const b = req.body;
      if (!b.frames) {
        const f = frameFromJson({ n: 1, ts: b.ts === undefined ? '' : String(b.ts), caplen: 0, len: 0, linktype: b.linktype ?? 1, iface: 0, data: b.data! });
        if (!base64Matches(b.data!, f.data)) throw new Rejected('data must be base64', 400);
        return svc.dissectOne(f);
      }
      const frames = b.frames.map(frameFromJson);
      for (let i = 0; i < frames.length; i++) {
        if (!base64Matches(b.frames[i].data, frames[i].data)) {
          opts.metrics.rejected.inc();
          return reply.code(400).send({ error: `frame ${b.frames[i].n}: data must be base64` });
        }
      }
      return svc.parse({ capture: b.capture!, seq: b.seq!, frames });
    },
  );
  app.post<{ Body: OpenRequest }>('/captures', { onRequest: guard, schema: { body: openSchema } }, (req) => svc.open(req.body));
  app.post<{ Body: CloseRequest; Params: { id: string } }>('/captures/:id/close', { onRequest: guard, schema: { body: closeSchema } }, async (req) => {
    await svc.close({ ...req.body, capture: Number(req.params.id) });
    return { ok: true };
  });
}
