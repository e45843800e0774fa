/** The HTTP side of the bus: clients of the Parser's and the Persistor's routes, speaking the JSON of messages.ts. */
import {
  Rejected, Resync, frameToJson,
  type Ack, type CloseRequest, type FrameBatch, type OpenRequest, type OpenResult, type PacketBatch, type ParserApi, type PersistorApi,
} from './messages.js';
import { recordToJson } from '../store/record.js';

/** how long one request may take (a Persistor waiting for its database retries inside it) */
const REQUEST_TIMEOUT_MS = 120_000;

export async function postJson<T>(url: string, body: unknown, token?: string): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      // a Buffer, not a string: fetch would scan a string body for lone surrogates (USVString)
      body: Buffer.from(JSON.stringify(body)),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (e) {
    const c = (e as { cause?: { code?: string } }).cause?.code;
    throw new Error(`${url}: ${c ?? (e as Error).message}`);
  }
  const text = await res.text();
  let j: Record<string, unknown> = {};
  try {
    j = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    /* not JSON: the status says enough */
  }
  if (res.ok) return j as T;
  const msg = `${url}: ${res.status} ${typeof j.error === 'string' ? j.error : text.slice(0, 200)}`;
  if (res.status === 409 && j.code === 'PKT_ERR_RESYNC') throw new Resync(msg);
  if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) throw new Rejected(msg, res.status);
  throw new Error(msg);
}

export class HttpParser implements ParserApi {
  constructor(readonly url: string, private token?: string) {}
  open(req: OpenRequest): Promise<OpenResult> {
    return postJson(`${this.url}/captures`, req, this.token);
  }
  parse(b: FrameBatch): Promise<Ack> {
    return postJson(`${this.url}/parse`, { capture: b.capture, seq: b.seq, frames: b.frames.map(frameToJson) }, this.token);
  }
  async close(req: CloseRequest): Promise<void> {
    await postJson(`${this.url}/captures/${req.capture}/close`, req, this.token);
  }
}

export class HttpPersistor implements PersistorApi {
  constructor(readonly url: string, private token?: string) {}
  open(req: OpenRequest): Promise<OpenResult> {
    return postJson(`${this.url}/captures`, req, this.token);
  }
  store(b: PacketBatch): Promise<Ack> {
    return postJson(`${this.url}/store`, { capture: b.capture, seq: b.seq, packets: b.packets.map(recordToJson), flows: b.flows }, this.token);
  }
  async close(req: CloseRequest): Promise<void> {
    await postJson(`${this.url}/captures/${req.capture}/close`, req, this.token);
  }
}
