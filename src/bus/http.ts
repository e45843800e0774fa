/**
 * The HTTP side of the bus: clients of the Parser's and the Persistor's routes. Batches travel in the binary forms
 * of binary.ts; a receiver that does not know them (415) gets the JSON of messages.ts from then on.
 */
import http from 'node:http';
import {
  Rejected, Resync, frameToJson,
  type Ack, type CloseRequest, type FrameBatch, type OpenRequest, type OpenResult, type PacketBatch, type ParserApi, type PersistorApi,
} from './messages.js';
import { recordToJson } from '../store/record.js';
import { BatchEncoder, PACKET_COLUMNS } from '../store/store.js';
import { encodeFramesBody, encodePacketsParts, FRAMES_TYPE, PACKETS_TYPE } from './binary.js';

/** how long one request may take (a Persistor waiting for its database retries inside it) */
const REQUEST_TIMEOUT_MS = 120_000;

export function postJson<T>(url: string, body: unknown, token?: string): Promise<T> {
  return post<T>(url, Buffer.from(JSON.stringify(body)), 'application/json', token);
}

/** one keep-alive connection pool per process for every hop (node:http writes Buffer bodies as they are) */
const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });

/** POST a body (one buffer, or several sent one after the other) and parse the JSON answer; errors as the bus knows them. */
export async function post<T>(url: string, body: Uint8Array | Uint8Array[], type: string, token?: string): Promise<T> {
  const chunks = Array.isArray(body) ? body : [body];
  let length = 0;
  for (const c of chunks) length += c.length;
  const u = new URL(url);
  const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = http.request(
      { agent, method: 'POST', hostname: u.hostname.replace(/^\[|\]$/g, ''), port: u.port || 80, path: u.pathname + u.search,
        headers: { 'content-type': type, 'content-length': length, ...(token ? { authorization: `Bearer ${token}` } : {}) } },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (d: Buffer) => parts.push(d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(parts).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    req.on('error', (e: Error & { code?: string }) => reject(new Error(`${url}: ${e.code ?? e.message}`)));
    for (let i = 0; i < chunks.length - 1; i++) req.write(chunks[i]);
    req.end(chunks[chunks.length - 1]);
  });
  let j: Record<string, unknown> = {};
  try {
    j = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    /* not JSON: the status says enough */
  }
  if (status >= 200 && status < 300) return j as T;
  const msg = `${url}: ${status} ${typeof j.error === 'string' ? j.error : text.slice(0, 200)}`;
  if (status === 409 && j.code === 'PKT_ERR_RESYNC') throw new Resync(msg);
  if (status >= 400 && status < 500 && status !== 408 && status !== 429) throw new Rejected(msg, status);
  throw new Error(msg);
}

/** Send the binary form while the receiver takes it; on 415 (a receiver without it) the JSON form, from then on. */
async function binaryOrJson<T>(c: { binary: boolean; readonly type: string }, url: string, binary: () => Uint8Array | Uint8Array[], json: () => unknown, token?: string): Promise<T> {
  if (c.binary) {
    try {
      return await post<T>(url, binary(), c.type, token);
    } catch (e) {
      if (!(e instanceof Rejected && e.status === 415)) throw e;
      c.binary = false;
    }
  }
  return postJson<T>(url, json(), token);
}

export class HttpParser implements ParserApi {
  readonly type = FRAMES_TYPE;
  /** `binary: false` sends the JSON form only */
  constructor(readonly url: string, private token?: string, public binary = true) {}
  open(req: OpenRequest): Promise<OpenResult> {
    return postJson(`${this.url}/captures`, req, this.token);
  }
  parse(b: FrameBatch): Promise<Ack> {
    return binaryOrJson(this, `${this.url}/parse`, () => b.body ?? encodeFramesBody(b), () => ({ capture: b.capture, seq: b.seq, frames: b.frames.map(frameToJson) }), this.token);
  }
  async close(req: CloseRequest): Promise<void> {
    await postJson(`${this.url}/captures/${req.capture}/close`, req, this.token);
  }
}

export class HttpPersistor implements PersistorApi {
  readonly type = PACKETS_TYPE;
  /** `binary: false` sends the JSON form only */
  constructor(readonly url: string, private token?: string, public binary = true) {}
  open(req: OpenRequest): Promise<OpenResult> {
    return postJson(`${this.url}/captures`, req, this.token);
  }
  store(b: PacketBatch): Promise<Ack> {
    const binary = (): Uint8Array[] => {
      const anomalies: [number, string][] = [];
      for (const r of b.packets) for (const a of r.anomalies) anomalies.push([r.frame, a]);
      // sized for the batch (the encoder's default megabyte per batch made work for the collector)
      let size = 64;
      for (const r of b.packets) size += r.data.length + 512;
      const e = new BatchEncoder(b.capture, Buffer.allocUnsafe(size));
      for (const r of b.packets) e.add(r);
      return encodePacketsParts(b.capture, b.seq, { columns: [...PACKET_COLUMNS], anomalies, flows: b.flows }, e.finish().payload);
    };
    return binaryOrJson(this, `${this.url}/store`, binary, () => ({ capture: b.capture, seq: b.seq, packets: b.packets.map(recordToJson), flows: b.flows }), this.token);
  }
  async close(req: CloseRequest): Promise<void> {
    await postJson(`${this.url}/captures/${req.capture}/close`, req, this.token);
  }
}
