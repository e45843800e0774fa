/**
 * The Persistor: writes each batch of packet records and flow updates in one transaction with COPY, recording
 * (capture, seq) in the same transaction, then acknowledges. A batch seen twice is acknowledged and not written
 * twice (Store.writeBatch). A database that is down makes /store answer 503, and the Parser retries.
 */
import type { FastifyInstance } from 'fastify';
import type { Store } from '../store/store.js';
import { recordFromJson, type FlowUpdate, type PacketJson } from '../store/record.js';
import { Rejected, type Ack, type CloseRequest, type OpenRequest, type OpenResult, type PacketBatch, type PersistorApi } from '../bus/messages.js';
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
      this.log.info({ capture: c.capture.id, name: req.name, created: c.created, state: c.capture.state }, 'capture claimed');
      return { capture: c.capture.id, created: c.created, state: c.created ? 'importing' : c.capture.state, packets: c.capture.packets, streamBase: 0 };
    }
    const id = await s.createCapture({ name: req.name, source: req.source, size: req.size ?? null, state: req.live ? 'live' : 'importing' });
    this.log.info({ capture: id, name: req.name, live: req.live === true }, 'capture created');
    return { capture: id, created: true, state: req.live ? 'live' : 'importing', packets: 0, streamBase: 0 };
  }

  async store(b: PacketBatch): Promise<Ack> {
    const t0 = performance.now();
    this.m.batchesReceived.inc();
    this.m.packetsReceived.inc(b.packets.length);
    this.inflight++;
    this.m.queue.set(this.inflight);
    try {
      const result = await this.db.writeBatch({ captureId: b.capture, seq: b.seq, records: b.packets, flows: b.flows });
      if (result === 'duplicate') this.m.duplicates.inc();
      else {
        this.m.batchesSent.inc();
        this.m.packetsSent.inc(b.packets.length);
      }
      this.m.latency.observe((performance.now() - t0) / 1000);
      this.log.debug({ capture: b.capture, seq: b.seq, packets: b.packets.length, result, ms: Math.round(performance.now() - t0) }, 'batch');
      return { capture: b.capture, seq: b.seq, packets: b.packets.length, result };
    } catch (e) {
      this.m.errors.inc();
      this.log.error({ capture: b.capture, seq: b.seq, err: (e as Error).message }, 'insert failed');
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
  required: ['frame', 'tsSec', 'tsNsec', 'len', 'caplen', 'linktype', 'iface', 'protocol', 'summary', 'protocols', 'malformed', 'anomalies', 'data'],
  properties: {
    frame: { type: 'integer', minimum: 1 }, tsSec: { type: 'integer', minimum: 0 }, tsNsec: { type: 'integer', minimum: 0 },
    len: { type: 'integer', minimum: 0 }, caplen: { type: 'integer', minimum: 0 }, linktype: { type: 'integer' }, iface: { type: 'integer' },
    ethSrc: nullable('string'), ethDst: nullable('string'), vlan: nullable('integer'), srcIp: nullable('string'), dstIp: nullable('string'),
    ipProto: nullable('integer'), ttl: nullable('integer'), srcPort: nullable('integer'), dstPort: nullable('integer'), tcpFlags: nullable('integer'),
    stream: nullable('integer'), protocol: { type: 'string' }, summary: { type: 'string' }, protocols: { type: 'string' },
    dnsName: nullable('string'), dnsType: nullable('integer'), dnsRcode: nullable('integer'), httpMethod: nullable('string'), httpHost: nullable('string'),
    httpUri: nullable('string'), httpStatus: nullable('integer'), httpUserAgent: nullable('string'), tlsSni: nullable('string'), tlsJa3: nullable('string'),
    tlsJa4: nullable('string'), malformed: { type: 'boolean' }, anomalies: { type: 'array', items: { type: 'string' } }, data: { type: 'string' },
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
  app.post<{ Body: { capture: number; seq: number; packets: PacketJson[]; flows: FlowUpdate[] } }>(
    '/store',
    { bodyLimit: BODY_LIMIT, onRequest: guard, schema: { body: storeBody } },
    (req) => {
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
