// Typed client for the Analyzer API, which the UI service serves under /api (DESIGN.md §6).
// Everything these calls return came from packets or files: treat every string as untrusted text.

export type CaptureState = 'importing' | 'complete' | 'failed' | 'live';

export interface CaptureDamage {
  byte: number;
  packets: number;
  message: string;
}

export interface CaptureReport {
  malformed?: number;
  damage?: CaptureDamage | null;
  skipped?: Record<string, number>;
  [key: string]: unknown;
}

export interface Capture {
  id: number;
  name: string;
  source: string;
  state: CaptureState;
  packets: number;
  bytes: number;
  /** ISO 8601 */
  first_ts: string | null;
  last_ts: string | null;
  link_types: number[];
  report: CaptureReport;
  created_at: string;
  size_bytes?: number | null;
  sha256?: string | null;
  updated_at?: string | null;
}

export interface ProtocolCount {
  protocol: string;
  packets: number;
  bytes: number;
}

export interface PacketRow {
  id: number;
  capture_id: number;
  frame: number;
  /** Epoch seconds with 9 decimals, e.g. "1700000000.123456789" (a string: a double would lose the nanoseconds). */
  ts: string;
  len: number;
  caplen: number;
  src_ip: string | null;
  dst_ip: string | null;
  src_port: number | null;
  dst_port: number | null;
  eth_src: string | null;
  eth_dst: string | null;
  ip_proto: number | null;
  /** Wireshark's Protocol column */
  protocol: string;
  /** Wireshark's Info column */
  summary: string;
  stream: number | null;
  malformed: boolean;
}

export interface PacketPage {
  packets: PacketRow[];
  /** Opaque keyset cursor for the next page (`after`); null at the end. */
  next: string | null;
}

export const API_BASE = '/api';
export const MAX_PAGE_SIZE = 1000;

/** A failed call. `unreachable` means the Analyzer (or the UI service's proxy to it) could not be reached. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly path: string,
    readonly unreachable: boolean,
    /** a bad display filter: 1-based column of the error */
    readonly position: number | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function isAbort(e: unknown): boolean {
  return e instanceof DOMException && e.name === 'AbortError';
}

type Params = Record<string, string | number | null | undefined>;

function buildUrl(path: string, params: Params = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== null && v !== undefined && v !== '') q.set(k, String(v));
  }
  const qs = q.toString();
  return `${API_BASE}${path}${qs ? `?${qs}` : ''}`;
}

async function getJson(path: string, params: Params, signal?: AbortSignal): Promise<unknown> {
  const url = buildUrl(path, params);
  let res: Response;
  try {
    res = await fetch(url, { signal, headers: { accept: 'application/json' } });
  } catch (e) {
    if (isAbort(e)) throw e;
    throw new ApiError(e instanceof Error ? e.message : String(e), 0, url, true);
  }
  const text = await res.text();
  let body: unknown = undefined;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON (a proxy's HTML error page, say): handled below
  }
  if (!res.ok) {
    const message =
      isRecord(body) && typeof body.error === 'string' ? body.error : `HTTP ${res.status} ${res.statusText}`.trim();
    // 502/503/504 come from the UI service (or Vite's proxy) when the Analyzer itself is down.
    const position = isRecord(body) && typeof body.position === 'number' ? body.position : null;
    throw new ApiError(message, res.status, url, res.status === 502 || res.status === 503 || res.status === 504, position);
  }
  if (body === undefined) throw new ApiError('response is not JSON', res.status, url, false);
  return body;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// Shape checks at the edge: cheap, and a wrong shape becomes a clear error rather than a blank page.
function expectArray<T>(v: unknown, what: string): T[] {
  if (!Array.isArray(v)) throw new ApiError(`unexpected response for ${what}: not a list`, 200, what, false);
  return v as T[];
}

function expectPage(v: unknown, what: string): PacketPage {
  if (!isRecord(v) || !Array.isArray(v.packets) || !(v.next === null || typeof v.next === 'string')) {
    throw new ApiError(`unexpected response for ${what}: expected {packets, next}`, 200, what, false);
  }
  return { packets: v.packets as PacketRow[], next: v.next };
}

/** What every list endpoint narrows by (contract: `capture`, `from`, `to`, `q`). */
export interface Scope {
  /** capture ids; empty = all captures */
  captures: number[];
  /** epoch seconds (decimals allowed), as text */
  from?: string | null;
  to?: string | null;
  /** display filter */
  q?: string;
}

export function scopeParams(s: Scope, withQ = true): Params {
  return {
    capture: s.captures.length ? s.captures.join(',') : undefined,
    from: s.from ?? undefined,
    to: s.to ?? undefined,
    q: withQ && s.q && s.q.trim() ? s.q.trim() : undefined,
  };
}

export function apiUrl(path: string, params: Params = {}): string {
  return buildUrl(path, params);
}

export async function listCaptures(signal?: AbortSignal): Promise<Capture[]> {
  return expectArray<Capture>(await getJson('/captures', {}, signal), '/captures');
}

export async function protocolSummary(scope: Scope, signal?: AbortSignal): Promise<ProtocolCount[]> {
  return expectArray<ProtocolCount>(await getJson('/protocol_summary', scopeParams(scope), signal), '/protocol_summary');
}

/** One keyset page: /packets without a filter, /filter?q= with one. `extra` is and-ed to the filter (jump cursors). */
export async function packetPage(
  scope: Scope,
  limit: number,
  after: string | null,
  signal?: AbortSignal,
): Promise<PacketPage> {
  const params: Params = { ...scopeParams(scope), limit: Math.min(Math.max(1, Math.trunc(limit)), MAX_PAGE_SIZE), after };
  const path = params.q ? '/filter' : '/packets';
  return expectPage(await getJson(path, params, signal), path);
}

export async function countPackets(scope: Scope, signal?: AbortSignal): Promise<number> {
  const v = await getJson('/count', scopeParams(scope), signal);
  if (!isRecord(v) || typeof v.count !== 'number') throw new ApiError('unexpected response for /count', 200, '/count', false);
  return v.count;
}

export type FilterCheck = { ok: true } | { ok: false; error: string; position: number | null };

/** Validates a display filter: 400 {error, position} is an answer here, not a failure. */
export async function checkFilter(q: string, signal?: AbortSignal): Promise<FilterCheck> {
  try {
    await getJson('/filter/check', { q }, signal);
    return { ok: true };
  } catch (e) {
    if (e instanceof ApiError && e.status === 400) return { ok: false, error: e.message, position: e.position };
    throw e;
  }
}

export interface FieldInfo {
  name: string;
  type: string;
  label: string;
}

export async function listFields(signal?: AbortSignal): Promise<FieldInfo[]> {
  return expectArray<FieldInfo>(await getJson('/fields', {}, signal), '/fields');
}

export interface TreeField {
  name: string;
  label: string;
  value: unknown;
  /** byte position in the frame; -1 when it came from reassembled data */
  offset: number;
  length: number;
  fields?: TreeField[];
}

export interface TreeLayer {
  name: string;
  offset: number;
  length: number;
  fields: TreeField[];
}

export interface PacketDetail {
  packet: PacketRow;
  layers: TreeLayer[];
  /** the frame as hex */
  bytes: string;
}

export async function packetDetail(id: number, signal?: AbortSignal): Promise<PacketDetail> {
  const v = await getJson(`/packets/${id}`, {}, signal);
  if (!isRecord(v) || !isRecord(v.packet) || !Array.isArray(v.layers) || typeof v.bytes !== 'string') {
    throw new ApiError('unexpected response for /packets/:id', 200, '/packets/:id', false);
  }
  return v as unknown as PacketDetail;
}

export interface Flow {
  id: number;
  capture_id: number;
  ip_proto: number;
  stream: number | null;
  client_ip: string;
  server_ip: string;
  client_port: number | null;
  server_port: number | null;
  first_ts: string;
  last_ts: string;
  duration: number | string;
  packets_c2s: number;
  packets_s2c: number;
  bytes_c2s: number;
  bytes_s2c: number;
  tcp_state: string | null;
  app: string | null;
  app_by: string | null;
  server_name: string | null;
}

export interface FlowPage {
  flows: Flow[];
  next: string | null;
}

export type FlowSort = 'bytes' | 'packets' | 'first_ts' | 'duration';

export async function flowPage(
  scope: Scope,
  sort: FlowSort,
  order: 'asc' | 'desc',
  limit: number,
  after: string | null,
  signal?: AbortSignal,
): Promise<FlowPage> {
  const v = await getJson('/flows', { ...scopeParams(scope), sort, order, limit, after }, signal);
  if (!isRecord(v) || !Array.isArray(v.flows)) throw new ApiError('unexpected response for /flows', 200, '/flows', false);
  return { flows: v.flows as Flow[], next: typeof v.next === 'string' ? v.next : null };
}

/** How many flows are in scope. */
export async function flowCount(scope: Scope, signal?: AbortSignal): Promise<number> {
  const v = await getJson('/flows/count', scopeParams(scope), signal);
  if (!isRecord(v) || typeof v.flows !== 'number') throw new ApiError('unexpected response for /flows/count', 200, '/flows/count', false);
  return v.flows;
}

export interface StreamSegment {
  dir: 0 | 1;
  frame: number;
  ts: string;
  /** base64 */
  data: string;
}

export async function flowStream(id: number, signal?: AbortSignal): Promise<{ flow: Flow; segments: StreamSegment[] }> {
  const v = await getJson(`/flows/${id}/stream`, {}, signal);
  if (!isRecord(v) || !Array.isArray(v.segments)) throw new ApiError('unexpected response for stream', 200, 'stream', false);
  return v as unknown as { flow: Flow; segments: StreamSegment[] };
}

export interface HierarchyNode {
  protocol: string;
  packets: number;
  bytes: number;
  children?: HierarchyNode[];
}

export async function statsHierarchy(scope: Scope, signal?: AbortSignal): Promise<{ packets: number; bytes: number; tree: HierarchyNode[] }> {
  const v = await getJson('/stats/hierarchy', scopeParams(scope), signal);
  if (!isRecord(v) || !Array.isArray(v.tree)) throw new ApiError('unexpected response for hierarchy', 200, 'hierarchy', false);
  return v as unknown as { packets: number; bytes: number; tree: HierarchyNode[] };
}

export interface Conversation {
  a: string;
  b: string;
  a_port?: number | null;
  b_port?: number | null;
  packets_ab: number;
  bytes_ab: number;
  packets_ba: number;
  bytes_ba: number;
  packets: number;
  bytes: number;
  start: number;
  duration: number;
}

export async function statsConversations(scope: Scope, type: string, signal?: AbortSignal): Promise<Conversation[]> {
  const v = await getJson('/stats/conversations', { ...scopeParams(scope), type }, signal);
  if (!isRecord(v) || !Array.isArray(v.conversations)) throw new ApiError('unexpected response for conversations', 200, 'conv', false);
  return v.conversations as Conversation[];
}

export interface Endpoint {
  address: string;
  port?: number | null;
  packets: number;
  bytes: number;
  tx_packets: number;
  tx_bytes: number;
  rx_packets: number;
  rx_bytes: number;
}

export async function statsEndpoints(scope: Scope, type: string, signal?: AbortSignal): Promise<Endpoint[]> {
  const v = await getJson('/stats/endpoints', { ...scopeParams(scope), type }, signal);
  if (!isRecord(v) || !Array.isArray(v.endpoints)) throw new ApiError('unexpected response for endpoints', 200, 'endpoints', false);
  return v.endpoints as Endpoint[];
}

export interface PortCount {
  port: number;
  packets: number;
  bytes: number;
}

/** Service ports (each packet by its lower port), the busiest first. */
export async function statsPorts(scope: Scope, type: 'tcp' | 'udp', signal?: AbortSignal): Promise<PortCount[]> {
  const v = await getJson('/stats/ports', { ...scopeParams(scope), type }, signal);
  if (!isRecord(v) || !Array.isArray(v.ports)) throw new ApiError('unexpected response for /stats/ports', 200, 'ports', false);
  return v.ports as PortCount[];
}

export interface IoBucket {
  t: number;
  packets: number;
  bytes: number;
}

export async function statsIo(scope: Scope, interval: number, signal?: AbortSignal): Promise<{ interval: number; buckets: IoBucket[] }> {
  const v = await getJson('/stats/io', { ...scopeParams(scope), interval }, signal);
  if (!isRecord(v) || !Array.isArray(v.buckets)) throw new ApiError('unexpected response for /stats/io', 200, 'io', false);
  return v as unknown as { interval: number; buckets: IoBucket[] };
}

export interface ValueCount {
  value: string;
  count: number;
  name?: string;
}

export type StatLists = Record<string, ValueCount[]>;

export async function statsLists(kind: 'dns' | 'http' | 'tls', scope: Scope, signal?: AbortSignal): Promise<StatLists> {
  const v = await getJson(`/stats/${kind}`, scopeParams(scope), signal);
  if (!isRecord(v)) throw new ApiError(`unexpected response for /stats/${kind}`, 200, kind, false);
  const out: StatLists = {};
  for (const [k, list] of Object.entries(v)) if (Array.isArray(list)) out[k] = list as ValueCount[];
  return out;
}

export interface Anomaly {
  name: string;
  count: number;
  first_frame: number;
  capture_id: number;
}

export async function statsAnomalies(scope: Scope, signal?: AbortSignal): Promise<Anomaly[]> {
  const v = await getJson('/stats/anomalies', scopeParams(scope), signal);
  if (!isRecord(v) || !Array.isArray(v.anomalies)) throw new ApiError('unexpected response for anomalies', 200, 'anomalies', false);
  return v.anomalies as Anomaly[];
}

export interface NetInterface {
  name: string;
  description?: string;
  addresses?: string[];
  up?: boolean;
  loopback?: boolean;
}

export async function listInterfaces(signal?: AbortSignal): Promise<NetInterface[]> {
  return expectArray<NetInterface>(await getJson('/interfaces', {}, signal), '/interfaces');
}

async function send(method: string, path: string, body?: unknown): Promise<unknown> {
  const url = buildUrl(path);
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError(e instanceof Error ? e.message : String(e), 0, url, true);
  }
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!res.ok) {
    const message = isRecord(parsed) && typeof parsed.error === 'string' ? parsed.error : `HTTP ${res.status}`;
    throw new ApiError(message, res.status, url, res.status === 502 || res.status === 503 || res.status === 504);
  }
  return parsed;
}

export async function deleteCapture(id: number): Promise<void> {
  await send('DELETE', `/captures/${id}`);
}

export async function startLive(iface: string, filter: string): Promise<number> {
  const v = await send('POST', '/captures/live', { interface: iface, filter: filter.trim() || undefined });
  if (!isRecord(v) || typeof v.id !== 'number') throw new ApiError('unexpected response for live start', 200, 'live', false);
  return v.id;
}

export async function stopLive(id: number): Promise<void> {
  await send('DELETE', `/captures/live/${id}`);
}

/** Uploads a capture file with XHR (fetch has no upload progress). Resolves with the new capture's id. */
export function uploadCapture(
  file: File,
  onProgress: (sent: number, total: number) => void,
): { promise: Promise<number>; abort: () => void } {
  const xhr = new XMLHttpRequest();
  const url = buildUrl('/captures', { name: file.name });
  const promise = new Promise<number>((resolve, reject) => {
    xhr.open('POST', url);
    xhr.setRequestHeader('content-type', 'application/octet-stream');
    xhr.setRequestHeader('accept', 'application/json');
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.onerror = () => reject(new ApiError('upload failed (network)', 0, url, true));
    xhr.onabort = () => reject(new DOMException('aborted', 'AbortError'));
    xhr.onload = () => {
      let body: unknown;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = undefined;
      }
      if (xhr.status >= 200 && xhr.status < 300 && isRecord(body) && typeof body.id === 'number') resolve(body.id);
      else {
        const msg = isRecord(body) && typeof body.error === 'string' ? body.error : `HTTP ${xhr.status}`;
        reject(new ApiError(msg, xhr.status, url, xhr.status === 502 || xhr.status === 503 || xhr.status === 504));
      }
    };
    xhr.send(file);
  });
  return { promise, abort: () => xhr.abort() };
}
