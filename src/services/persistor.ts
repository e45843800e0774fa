/**
 * The Persistor: writes each batch of packet records and flow updates in one transaction with COPY, recording
 * (capture, seq) in the same transaction, then acknowledges. A batch seen twice is acknowledged and not written
 * twice (Store.writeBatch). A database that is down makes /store answer 503, and the Parser retries.
 */
import type { FastifyInstance } from 'fastify';
import { PACKET_COLUMNS, type EncodedBatch, type Store } from '../store/store.js';
import { recordFromJson, type FlowUpdate, type PacketJson } from '../store/record.js';
import { checkPacketPayload, columnTypes, PayloadError } from '../store/copy-check.js';
import { Rejected, type Ack, type CloseRequest, type OpenRequest, type OpenResult, type PacketBatch, type PersistorApi } from '../bus/messages.js';
import { BadBody, decodePacketsBody, PACKETS_TYPE, type PacketsBody } from '../bus/binary.js';
import type { Logger } from './log.js';
import type { ServiceMetrics } from './metrics.js';
import { BODY_LIMIT } from './config.js';
import { bearerGuard } from './http.js';
import { openSchema, closeSchema } from './parser.js';

export class PersistorService implements PersistorApi {
  inflight = 0;

  constructor(private db: Store, private log: Logger, private m: ServiceMetrics) {}

  async open(req: OpenRequest): Promise<OpenResult> {
    const s = this.db;
    if (req.capture !== undefined) {
      const row = await s.capture(req.capture);
      if (!row) throw new Rejected(`no capture ${req.capture}`, 404);
      const r = await s.db.query<{ n: string }>('SELECT coalesce(max(stream) + 1, 0) AS n FROM flows WHERE capture_id = $1', [row.id]);
      return { capture: row.id, created: false, state: row.state, packets: row.packets, streamBase: Number(r.rows[0].n) };
    }
    if (req.sha256) {
      const c = await s.claimCapture({ name: req.name, source: req.source, sha256: req.sha256, size: req.size ?? null, force: req.force === true });
      if (!c.created && c.capture.state !== 'complete') await s.setCaptureState(c.capture.id, 'importing');
      const batchFrames = c.created ? null : await this.storedBatchFrames(c.capture.id);
      this.log.info({ capture: c.capture.id, name: req.name, created: c.created, state: c.capture.state, batchFrames }, 'capture claimed');
      return { capture: c.capture.id, created: c.created, state: c.created ? 'importing' : c.capture.state, packets: c.capture.packets, streamBase: 0, batchFrames };
    }
    const id = await s.createCapture({ name: req.name, source: req.source, size: req.size ?? null, state: req.live ? 'live' : 'importing' });
    this.log.info({ capture: id, name: req.name, live: req.live === true }, 'capture created');
    return { capture: id, created: true, state: req.live ? 'live' : 'importing', packets: 0, streamBase: 0 };
  }

  /** The batch size of a capture's stored batches (batch k starts at frame k × size + 1), null when none is stored. */
  private async storedBatchFrames(id: number): Promise<number | null> {
    const r = await this.db.db.query<{ seq: string; first_frame: string; packets: number }>(
      'SELECT seq, first_frame, packets FROM ingest_batches WHERE capture_id = $1 ORDER BY seq DESC LIMIT 1', [id]);
    const b = r.rows[0];
    if (!b) return null;
    // a lone batch 0 is either full or the whole file: either way that size cuts the same batches
    return Number(b.seq) > 0 ? (Number(b.first_frame) - 1) / Number(b.seq) : Number(b.packets);
  }

  store(b: PacketBatch): Promise<Ack> {
    return this.write(b.capture, b.seq, b.packets.length, () => this.db.writeBatch({ captureId: b.capture, seq: b.seq, records: b.packets, flows: b.flows }));
  }

  /**
   * A batch as the binary /store body carries it: the packets' COPY payload, checked row by row against the table
   * (garbled → Rejected 400, nothing written), with its counts and rollups computed from the rows.
   */
  async storeEncoded(b: PacketsBody): Promise<Ack> {
    if (b.meta.columns.join(',') !== PACKET_COLUMNS.join(',')) {
      throw new Rejected(`packets body: columns (${b.meta.columns.join(', ')}) are not this Persistor's (${PACKET_COLUMNS.join(', ')}): Parser and Persistor versions differ`, 400);
    }
    const cols = await columnTypes(this.db.db, 'packets', PACKET_COLUMNS);
    let e: EncodedBatch;
    try {
      e = checkPacketPayload(b.payload, cols, b.capture, b.meta.anomalies);
    } catch (err) {
      if (!(err instanceof PayloadError)) throw err;
      throw new Rejected(err.message, 400);
    }
    return this.write(b.capture, b.seq, e.packets, () => this.db.writeEncoded(b.capture, b.seq, e, b.meta.flows));
  }

  private async write(capture: number, seq: number, packets: number, write: () => Promise<'written' | 'duplicate'>): Promise<Ack> {
    const t0 = performance.now();
    this.m.batchesReceived.inc();
    this.m.packetsReceived.inc(packets);
    this.inflight++;
    this.m.queue.set(this.inflight);
    try {
      const result = packets === 0 ? 'written' : await write();
      if (result === 'duplicate') this.m.duplicates.inc();
      else {
        this.m.batchesSent.inc();
        this.m.packetsSent.inc(packets);
      }
      this.m.latency.observe((performance.now() - t0) / 1000);
      this.log.debug({ capture, seq, packets, result, ms: Math.round(performance.now() - t0) }, 'batch');
      return { capture, seq, packets, result };
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      if (typeof code === 'string' && code.startsWith('22')) {
        // a data exception: the same batch would fail again, so the sender must not retry it (nothing was written)
        this.log.warn({ capture, seq, err: (e as Error).message }, 'batch refused by the database');
        throw new Rejected(`database refused the batch: ${(e as Error).message}`, 400);
      }
      this.m.errors.inc();
      this.log.error({ capture, seq, err: (e as Error).message }, 'insert failed');
      throw Object.assign(new Error(`database: ${(e as Error).message}`), { statusCode: 503 });
    } finally {
      this.inflight--;
      this.m.queue.set(this.inflight);
    }
  }

  async close(req: CloseRequest): Promise<void> {
    await this.db.setCaptureState(req.capture, req.state, req.report, req.linkTypes);
    const row = await this.db.capture(req.capture);
    this.log.info({ capture: req.capture, state: req.state, packets: row?.packets }, 'capture closed');
  }
}

const nullable = (t: string) => ({ type: [t, 'null'] });
const packetSchema = {
  type: 'object',
  required: ['frame', 'tsSec', 'tsNsec', 'len', 'caplen', 'linktype', 'iface', 'protocol', 'summary', 'protocols', 'malformed', 'anomalies', 'fields', 'tags', 'data'],
  properties: {
    frame: { type: 'integer', minimum: 1 }, tsSec: { type: 'integer', minimum: 0 }, tsNsec: { type: 'integer', minimum: 0 },
    len: { type: 'integer', minimum: 0 }, caplen: { type: 'integer', minimum: 0 }, linktype: { type: 'integer' }, iface: { type: 'integer' },
    ethSrc: nullable('string'), ethDst: nullable('string'), vlan: nullable('integer'), srcIp: nullable('string'), dstIp: nullable('string'),
    ipProto: nullable('integer'), ttl: nullable('integer'), srcPort: nullable('integer'), dstPort: nullable('integer'), tcpFlags: nullable('integer'),
    stream: nullable('integer'), protocol: { type: 'string' }, summary: { type: 'string' }, protocols: { type: 'string' },
    dnsName: nullable('string'), dnsType: nullable('integer'), dnsRcode: nullable('integer'), httpMethod: nullable('string'), httpHost: nullable('string'),
    httpUri: nullable('string'), httpStatus: nullable('integer'), httpUserAgent: nullable('string'), tlsSni: nullable('string'), tlsJa3: nullable('string'),
    tlsJa4: nullable('string'), malformed: { type: 'boolean' }, anomalies: { type: 'array', items: { type: 'string' } }, data: { type: 'string' },
    fields: { type: 'string', maxLength: 4_000_000 }, tags: { type: 'array', maxItems: 10_000, items: { type: 'string', maxLength: 1000 } },
  },
} as const;
const flowSchema = {
  type: 'object',
  required: ['ipProto', 'stream', 'firstSec', 'lastSec', 'dPktsC2s', 'dPktsS2c', 'dBytesC2s', 'dBytesS2c', 'lastFrame'],
  properties: {
    ipProto: { type: 'integer' }, stream: { type: 'integer', minimum: 0 }, clientIp: nullable('string'), serverIp: nullable('string'),
    clientPort: { type: 'integer' }, serverPort: { type: 'integer' }, firstSec: { type: 'number' }, lastSec: { type: 'number' },
    dPktsC2s: { type: 'integer' }, dPktsS2c: { type: 'integer' }, dBytesC2s: { type: 'integer' }, dBytesS2c: { type: 'integer' },
    syn: { type: 'boolean' }, synAck: { type: 'boolean' }, fin: { type: 'boolean' }, rst: { type: 'boolean' },
    tcpState: nullable('string'), app: nullable('string'), appBy: nullable('string'), serverName: nullable('string'), lastFrame: { type: 'integer' },
  },
} as const;
const storeBody = {
  type: 'object',
  required: ['capture', 'seq', 'packets', 'flows'],
  properties: {
    capture: { type: 'integer', minimum: 1 },
    seq: { type: 'integer', minimum: 0 },
    packets: { type: 'array', maxItems: 100_000, items: packetSchema },
    flows: { type: 'array', maxItems: 200_000, items: flowSchema },
  },
} as const;

export function persistorRoutes(app: FastifyInstance, svc: PersistorService, opts: { token?: string; metrics: ServiceMetrics }): void {
  const guard = bearerGuard(opts.token, opts.metrics);
  // the binary form (bus/binary.ts): the body as bytes, checked by the handler
  app.addContentTypeParser(PACKETS_TYPE, { parseAs: 'buffer', bodyLimit: BODY_LIMIT }, (req, body, done) => done(null, body));
  app.post<{ Body: { capture: number; seq: number; packets: PacketJson[]; flows: FlowUpdate[] } | Buffer }>(
    '/store',
    { bodyLimit: BODY_LIMIT, onRequest: guard, schema: { body: { content: { 'application/json': { schema: storeBody } } } } },
    (req) => {
      if (Buffer.isBuffer(req.body)) {
        let body: PacketsBody;
        try {
          body = decodePacketsBody(req.body);
        } catch (e) {
          if (e instanceof BadBody) throw new Rejected(e.message, 400);
          throw e;
        }
        return svc.storeEncoded(body);
      }
      if (req.mediaType !== 'application/json') throw new Rejected(`content-type ${req.mediaType}: send application/json or ${PACKETS_TYPE}`, 415);
      const b = req.body;
      let packets;
      try {
        packets = b.packets.map(recordFromJson);
      } catch (e) {
        throw new Rejected(`bad packet record: ${(e as Error).message}`, 400);
      }
      return svc.store({ capture: b.capture, seq: b.seq, packets, flows: b.flows });
    },
  );
  app.post<{ Body: OpenRequest }>('/captures', { onRequest: guard, schema: { body: openSchema } }, (req) => svc.open(req.body));
  app.post<{ Body: CloseRequest; Params: { id: string } }>('/captures/:id/close', { onRequest: guard, schema: { body: closeSchema } }, async (req) => {
    await svc.close({ ...req.body, capture: Number(req.params.id) });
    return { ok: true };
  });
}
