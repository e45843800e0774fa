/**
 * Capture management on the Analyzer: uploads, deletion, live captures, the interface list and the event stream.
 *
 * Where the work runs (one design for one process or five):
 * - An upload is decoded and stored by the ingest (src/ingest) in the Analyzer's own process, straight from the
 *   request body: the body is read as the database takes the batches (TCP backpressure, never the whole file in
 *   memory). The answer 202 {id} goes out once the capture's row exists; progress follows on /events.
 * - A live capture is run by the Analyzer as the Capture service would run it (captureLive: tcpdump/dumpcap →
 *   batches → the Parser). The Parser is reached in memory when this process runs one (`pktlens serve`,
 *   `pktlens open`), over HTTP at PKTLENS_PARSER_URL otherwise (five processes); the Manager decides, in one place.
 *   The capture tool therefore runs where the Analyzer runs, with its privileges.
 * - Events (src/services/events.ts) are published here: `progress` while an upload is stored, `capture` on each
 *   state change, `counters` every second per running live capture.
 *
 * Deleting a capture this process is still writing (an upload in progress, a running live capture) is refused
 * with 409: stop the live capture first (DELETE /captures/live/:id). A capture another process wrote to in the last
 * minute (state importing or live) is refused the same way; older ones are leftovers of a crash and can be deleted.
 */
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type {} from '@fastify/swagger'; // the summary keyword of route schemas
import type { Store } from '../store/store.js';
import { ingestFile, type IngestReport } from '../ingest/ingest.js';
import { CaptureParser, CaptureError, describe } from '../wire/capture.js';
import { gunzipSync, constants as zc } from 'node:zlib';
import { Rejected, type ParserApi } from '../bus/messages.js';
import { captureLive, type LiveReport } from './capture.js';
import { listInterfaces, LiveCaptureError } from '../capture/live.js';
import { EventHub } from './events.js';
import { serviceMetrics } from './metrics.js';
import { ENV, uploadMaxOf } from './config.js';
import type { Logger } from './log.js';

/** Content types an upload may carry (a browser sends a File's own type, often empty or one of these). */
export const UPLOAD_TYPES = [
  'application/octet-stream', 'application/vnd.tcpdump.pcap', 'application/x-pcap', 'application/x-pcapng',
  'application/pcap', 'application/pcapng', 'application/gzip', 'application/x-gzip',
];
/** bytes read before the upload is accepted: enough for any capture's header (and a gzip one's first block) */
const PROBE_BYTES = 64 * 1024;
/** progress events at most this often per upload */
const PROGRESS_MS = 250;
/** a live capture not running by then (Parser unreachable, tool hanging) is abandoned */
const LIVE_START_MS = 20_000;
/** how long stop() waits for uploads and live captures to finish storing what they have */
const STOP_WAIT_MS = 15_000;
/** an importing or live capture written to more recently than this by another process cannot be deleted */
const BUSY_ELSEWHERE_S = 60;

export interface CaptureControlDeps {
  store: Store;
  log: Logger;
  /** the Parser live captures send to (in memory or HTTP: the Manager decides) */
  parser: () => ParserApi;
  events?: EventHub;
  /** largest upload in bytes (default PKTLENS_UPLOAD_MAX, 2 GiB) */
  uploadMax?: number;
}

interface Upload {
  ac: AbortController;
  done: Promise<void>;
}

interface Live {
  id: number;
  iface: string;
  ac: AbortController;
  done: Promise<LiveReport | null>;
}

export interface LiveRequest {
  interface: string;
  filter?: string;
  snaplen?: number;
}

/** The uploads and live captures this process runs, and the event hub they publish to. */
export class CaptureControl {
  readonly events: EventHub;
  readonly uploadMax: number;
  private uploads = new Map<number, Upload>();
  private lives = new Map<number, Live>();
  private stopping = false;
  private captureMetrics = serviceMetrics('capture');

  constructor(private d: CaptureControlDeps) {
    this.events = d.events ?? new EventHub({ log: d.log });
    this.uploadMax = d.uploadMax ?? uploadMaxOf();
  }

  /** ids of the uploads in progress and running live captures */
  running(): { uploads: number[]; live: number[] } {
    return { uploads: [...this.uploads.keys()], live: [...this.lives.keys()] };
  }

  /**
   * Store an upload. Resolves with the capture id once its row exists (the ingest goes on; its end is published)
   * and `received`, which resolves once the whole body was read (or the ingest stopped reading it); rejects with
   * Rejected 400 when the body is not a capture (with the reader's reason), 413 when too large.
   */
  async upload(body: AsyncIterable<Uint8Array> & { destroy?: () => void }, o: { name: string; size: number | null }): Promise<{ id: number; received: Promise<void> }> {
    if (this.stopping) throw new Rejected('shutting down', 503);
    const max = this.uploadMax;
    if (o.size !== null && o.size > max) throw new Rejected(`capture too large: ${o.size} bytes, the limit is ${max} (${ENV.uploadMax})`, 413);
    const it = body[Symbol.asyncIterator]();
    const head: Uint8Array[] = [];
    let read = 0;
    let ended = false;
    while (read < PROBE_BYTES) {
      const r = await it.next().catch((e: Error) => {
        throw new Rejected(`the upload was cut off after ${read} bytes (${e.message})`, 400);
      });
      if (r.done) { ended = true; break; }
      head.push(r.value);
      read += r.value.length;
    }
    if (read > max) throw new Rejected(`capture too large: more than ${max} bytes (${ENV.uploadMax})`, 413);
    const why = notACapture(Buffer.concat(head), ended);
    if (why) throw new Rejected(why, 400);

    const ac = new AbortController();
    let tooBig = false;
    /** why the client's body ended early, if it did */
    let cutOff: string | null = null;
    let bodyRead!: () => void;
    const received = new Promise<void>((r) => (bodyRead = r));
    if (ended) bodyRead();
    const log = this.d.log;
    async function* all(): AsyncGenerator<Uint8Array> {
      yield* head;
      head.length = 0;
      for (;;) {
        let r: IteratorResult<Uint8Array>;
        try {
          r = await it.next();
        } catch (e) {
          cutOff = `the upload was cut off after ${read} bytes (${(e as Error).message})`;
          throw e;
        }
        if (r.done) {
          ended = true;
          bodyRead();
          return;
        }
        read += r.value.length;
        if (read > max) {
          tooBig = true;
          ac.abort();
          return;
        }
        yield r.value;
      }
    }
    const up: Upload = { ac, done: Promise.resolve() };
    let id = 0;
    let last = 0;
    const progress = (packets: number, bytes: number, state: string): void =>
      this.events.publish('progress', { capture: id, packets, bytes, bytes_total: o.size, state });
    let created!: (id: number) => void;
    const createdP = new Promise<number>((r) => (created = r));
    const ingest = ingestFile(this.d.store, Readable.from(all(), { objectMode: false }), {
      name: o.name,
      source: `upload ${o.name}`,
      size: o.size,
      signal: ac.signal,
      onCapture: (cid) => {
        id = cid;
        this.uploads.set(id, up);
        this.events.publish('capture', { id, state: 'importing', packets: 0, bytes: 0 });
        created(id);
      },
      onProgress: (p) => {
        const now = performance.now();
        if (now - last < PROGRESS_MS) return;
        last = now;
        progress(p.packets, p.sourceBytes, 'importing');
      },
    });
    up.done = ingest.then(
      async (r: IngestReport) => {
        if (r.interrupted) {
          const error = tooBig ? `capture too large: more than ${max} bytes (${ENV.uploadMax})` : 'interrupted: the Analyzer stopped';
          await this.d.store.setCaptureState(id, 'failed', { error, packets: r.packets }).catch(() => {});
          log.warn({ capture: id, name: o.name, error }, 'upload failed');
        } else if (cutOff) {
          // what came is stored (like a truncated file), but the capture is not what the client meant to send
          await this.d.store.setCaptureState(id, 'failed', { ...((await this.d.store.capture(id))?.report ?? {}), error: cutOff }).catch(() => {});
          log.warn({ capture: id, name: o.name, packets: r.packets, error: cutOff }, 'upload failed');
        } else log.info({ capture: id, name: o.name, packets: r.packets, damage: r.damage?.message ?? null, seconds: r.elapsed }, 'upload stored');
      },
      async (e: unknown) => {
        log.error({ capture: id, name: o.name, err: (e as Error).message }, 'upload failed');
        if (id) await this.d.store.setCaptureState(id, 'failed', { error: (e as Error).message }).catch(() => {});
      },
    ).finally(async () => {
      bodyRead(); // the answer ends first, then what is left of a body we stopped reading is cut off
      if (!ended) setTimeout(() => body.destroy?.(), 100).unref();
      this.uploads.delete(id);
      const row = id ? await this.d.store.capture(id).catch(() => null) : null;
      if (row) {
        progress(row.packets, read, row.state);
        this.events.publish('capture', { id, state: row.state, packets: row.packets, bytes: row.bytes });
      }
    });
    // the row exists, or the ingest failed before it did (database down): then that failure is the answer
    const id1 = await Promise.race([createdP, ingest.then(() => createdP)]);
    return { id: id1, received };
  }

  /** Start a live capture; resolves with its capture id once the tool is capturing. */
  async startLive(req: LiveRequest): Promise<number> {
    if (this.stopping) throw new Rejected('shutting down', 503);
    const known = await listInterfaces();
    if (req.interface !== 'any' && !known.some((i) => i.name === req.interface)) {
      throw new Rejected(`no interface "${req.interface}" (known: ${known.map((i) => i.name).join(', ') || 'none'}, any)`, 400);
    }
    const base = this.d.parser();
    let id: number | null = null;
    // the capture's id is known from the Parser's answer to open, before the tool starts
    const parser: ParserApi = {
      open: async (r) => {
        const x = await base.open(r);
        id = x.capture;
        return x;
      },
      parse: (b) => base.parse(b),
      close: (r) => base.close(r),
    };
    const ac = new AbortController();
    let started = false;
    let resolveStart!: (id: number) => void;
    const startP = new Promise<number>((r) => (resolveStart = r));
    let prev = { t: performance.now(), packets: 0 };
    const log = this.d.log;
    const done = captureLive(parser, {
      iface: req.interface, bpf: req.filter, snaplen: req.snaplen, name: `live ${req.interface}`, signal: ac.signal, log, metrics: this.captureMetrics,
      onStats: (s) => {
        if (!started) {
          started = true;
          this.lives.set(s.capture, live);
          live.id = s.capture;
          this.events.publish('capture', { id: s.capture, state: 'live', packets: 0, bytes: 0 });
          resolveStart(s.capture);
        }
        const now = performance.now();
        const dt = (now - prev.t) / 1000;
        const pps = dt > 0.05 ? Math.round(((s.packets - prev.packets) / dt) * 10) / 10 : 0;
        prev = { t: now, packets: s.packets };
        this.events.publish('counters', { capture: s.capture, packets: s.packets, bytes: s.bytes, pps, drops: s.dropped + s.kernelDropped + s.ifDropped });
      },
    });
    const live: Live = { id: 0, iface: req.interface, ac, done: done.catch(() => null) };
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ac.abort();
    }, LIVE_START_MS);
    try {
      return await Promise.race([startP, done.then(() => { throw new Error('the capture ended before it started'); })]);
    } catch (e) {
      ac.abort();
      // nothing was captured: the row the Parser made for it goes too
      if (id !== null) await this.d.store.deleteCapture(id).catch(() => {});
      if (e instanceof LiveCaptureError) {
        const status = e.code === 'PKT_ERR_NO_IFACE' || e.code === 'PKT_ERR_BPF' ? 400 : e.code === 'PKT_ERR_PERMISSION' ? 403 : e.code === 'PKT_ERR_NO_TOOL' ? 501 : 500;
        throw new Rejected(e.message, status);
      }
      if (timedOut) throw new Rejected(`the live capture did not start within ${LIVE_START_MS / 1000} s (is the Parser reachable?)`, 503);
      throw e;
    } finally {
      clearTimeout(timer);
      if (started) {
        void live.done.then(async (r) => {
          this.lives.delete(live.id);
          const row = await this.d.store.capture(live.id).catch(() => null);
          log.info({ capture: live.id, packets: r?.packets, stored: r?.stored }, 'live capture ended');
          if (row) this.events.publish('capture', { id: live.id, state: row.state, packets: row.packets, bytes: row.bytes });
        });
      }
    }
  }

  /** Stop a running live capture; resolves once everything it captured is stored. False: no such running capture. */
  async stopLive(id: number): Promise<boolean> {
    const l = this.lives.get(id);
    if (!l) return false;
    l.ac.abort();
    await l.done;
    this.lives.delete(id);
    return true;
  }

  /** Delete a capture and all it stored. */
  async remove(id: number): Promise<'deleted' | 'unknown'> {
    if (this.uploads.has(id)) throw new Rejected(`capture ${id} is still being imported: wait for it to finish`, 409);
    if (this.lives.has(id)) throw new Rejected(`capture ${id} is a running live capture: stop it first (DELETE /captures/live/${id})`, 409);
    const r = await this.d.store.db.query<{ state: string; age: number }>(
      'SELECT state, extract(epoch FROM now() - updated_at)::float8 AS age FROM captures WHERE id = $1',
      [id],
    );
    const row = r.rows[0];
    if (!row) return 'unknown';
    if ((row.state === 'importing' || row.state === 'live') && Number(row.age) < BUSY_ELSEWHERE_S) {
      throw new Rejected(`capture ${id} is being written by another process (state ${row.state}, updated ${Math.round(Number(row.age))} s ago)`, 409);
    }
    if (!(await this.d.store.deleteCapture(id))) return 'unknown';
    this.d.log.info({ capture: id }, 'capture deleted');
    this.events.publish('capture', { id, state: 'deleted', packets: 0, bytes: 0 });
    return 'deleted';
  }

  /** Stop every upload and live capture (what they stored stays), then end the event streams. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const u of this.uploads.values()) u.ac.abort();
    for (const l of this.lives.values()) l.ac.abort();
    const all = Promise.allSettled([...[...this.uploads.values()].map((u) => u.done), ...[...this.lives.values()].map((l) => l.done)]);
    // a live capture's last batches wait for the Parser; one in another process that is gone must not hold the stop
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([all, new Promise<void>((r) => (timer = setTimeout(r, STOP_WAIT_MS)))]);
    clearTimeout(timer);
    this.events.close();
  }
}

/**
 * Why these first bytes are not a capture (the reader's own words), or null when they start one. A gzip body is
 * judged by what its first block decompresses to. `ended`: the body has no more bytes.
 */
export function notACapture(head: Uint8Array, ended: boolean): string | null {
  let b = head;
  if (b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b) {
    try {
      b = gunzipSync(b, { finishFlush: zc.Z_SYNC_FLUSH });
    } catch (e) {
      return `not a capture file: gzip data that cannot be read (${(e as Error).message})`;
    }
    if (b.length === 0 && !ended) return null; // not enough compressed data yet to judge
  }
  const p = new CaptureParser(() => {});
  try {
    p.push(b);
    if (ended && b.length < 24) p.finish();
  } catch (e) {
    if (e instanceof CaptureError && e.kind === 'not-capture') return e.message;
    return null; // damage past the header: stored with its report
  }
  if (p.format === undefined && b.length === 0) return 'empty input: not a capture file';
  if (p.format === undefined && ended) return `not a capture file: ${describe(b)}`;
  return null;
}

const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 1 } } } as const;
const errorReply = { type: 'object', properties: { error: { type: 'string' }, code: { type: 'string' } } } as const;
const idReply = { type: 'object', required: ['id'], properties: { id: { type: 'integer' } } } as const;

/**
 * The routes: POST /captures (upload), DELETE /captures/:id, POST /captures/live, DELETE /captures/live/:id,
 * GET /interfaces, GET /events. Mounted by analyzerRoutes wherever the Analyzer's routes are.
 */
export function captureRoutes(parent: FastifyInstance, ctl: CaptureControl): void {
  // one plugin, registered in turn like any other (a schema collector such as @fastify/swagger registered before it sees these routes)
  void parent.register(async (app) => routes(app, ctl));
}

function routes(app: FastifyInstance, ctl: CaptureControl): void {
  // the upload route reads its body itself, as a stream: its own content-type parsers, kept to this plugin
  void app.register(async (up) => {
    // whatever the type says (a browser may send none, or text/plain), the body is judged by its bytes
    up.removeAllContentTypeParsers();
    up.addContentTypeParser(UPLOAD_TYPES, (req, payload, done) => done(null, payload));
    up.addContentTypeParser('*', (req, payload, done) => done(null, payload));
    up.post<{ Querystring: { name?: string } }>(
      '/captures',
      {
        schema: {
          summary: 'Upload a pcap or pcapng capture (gzip too) as the raw request body; stored in the background',
          querystring: { type: 'object', properties: { name: { type: 'string', minLength: 1, maxLength: 200 } } },
          response: { 202: idReply, 400: errorReply, 413: errorReply },
        },
      },
      async (req, reply) => {
        const cl = req.headers['content-length'];
        const size = cl !== undefined && /^\d+$/.test(cl) ? Number(cl) : null;
        const body = req.body as (AsyncIterable<Uint8Array> & { destroy?: () => void }) | undefined;
        if (!body || typeof (body as Partial<AsyncIterable<Uint8Array>>)[Symbol.asyncIterator] !== 'function') {
          throw new Rejected('empty input: not a capture file', 400);
        }
        const name = req.query.name ?? `upload ${new Date().toISOString().slice(0, 19).replace('T', ' ')}`;
        let up: { id: number; received: Promise<void> };
        try {
          up = await ctl.upload(body, { name, size });
        } catch (e) {
          // refused before reading it all: do not wait for the rest of the body
          if (e instanceof Rejected) reply.header('connection', 'close');
          throw e;
        }
        // 202 and the id go out now, but the response ends only once the body is read: a client whose response is
        // complete may stop sending the rest (fetch with a stream body does)
        reply.hijack();
        reply.raw.writeHead(202, { 'content-type': 'application/json; charset=utf-8' });
        reply.raw.write(JSON.stringify({ id: up.id }));
        void up.received.finally(() => reply.raw.end());
        return reply;
      },
    );
  });

  app.delete<{ Params: { id: number } }>(
    '/captures/:id',
    { schema: { summary: 'Delete a capture and everything stored for it', params: idParams, response: { 404: errorReply, 409: errorReply } } },
    async (req, reply) => {
      const r = await ctl.remove(req.params.id);
      if (r === 'unknown') return reply.code(404).send({ error: `no capture ${req.params.id}` });
      return reply.code(204).send();
    },
  );

  app.post<{ Body: LiveRequest }>(
    '/captures/live',
    {
      schema: {
        summary: 'Start a live capture on an interface (tcpdump or dumpcap), with an optional BPF capture filter',
        body: {
          type: 'object',
          required: ['interface'],
          additionalProperties: false,
          properties: {
            interface: { type: 'string', minLength: 1, maxLength: 64 },
            filter: { type: 'string', maxLength: 4096 },
            snaplen: { type: 'integer', minimum: 1, maximum: 262144 },
          },
        },
        response: { 201: idReply, 400: errorReply },
      },
    },
    async (req, reply) => reply.code(201).send({ id: await ctl.startLive({ ...req.body, filter: req.body.filter || undefined }) }),
  );

  app.delete<{ Params: { id: number } }>(
    '/captures/live/:id',
    { schema: { summary: 'Stop a live capture (answers once what it captured is stored)', params: idParams, response: { 404: errorReply } } },
    async (req, reply) => {
      if (!(await ctl.stopLive(req.params.id))) return reply.code(404).send({ error: `no running live capture ${req.params.id}` });
      return reply.code(204).send();
    },
  );

  app.get(
    '/interfaces',
    {
      schema: {
        summary: 'Network interfaces live capture can listen on',
        response: {
          200: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                name: { type: 'string' }, description: { type: 'string' }, addresses: { type: 'array', items: { type: 'string' } },
                up: { type: 'boolean' }, loopback: { type: 'boolean' },
              },
            },
          },
        },
      },
    },
    async () => (await listInterfaces()).map((i) => ({ name: i.name, description: i.description, addresses: i.addresses, up: i.up, loopback: i.loopback })),
  );

  const owner = {};
  app.get<{ Querystring: { capture?: string } }>(
    '/events',
    {
      schema: {
        summary: 'Server-sent events: progress, capture and counters (text/event-stream)',
        querystring: { type: 'object', properties: { capture: { type: 'string', pattern: '^[0-9]+(,[0-9]+)*$', maxLength: 400 } } },
      },
    },
    async (req, reply) => {
      const ids = req.query.capture ? req.query.capture.split(',').map(Number) : null;
      ctl.events.serve(req, reply, ids, owner);
      return reply;
    },
  );
  // open streams would keep the server from closing
  app.addHook('preClose', (done) => {
    ctl.events.endClients(owner);
    done();
  });
}
