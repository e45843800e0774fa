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

/** The simple filter row; any field set sends the query to /filter instead of /packets. */
export interface PacketFilter {
  protocol?: string;
  ip?: string;
  port?: number;
}

export interface PacketQuery {
  capture?: number | null;
  limit: number;
  after?: string | null;
  filter?: PacketFilter;
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
    throw new ApiError(message, res.status, url, res.status === 502 || res.status === 503 || res.status === 504);
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

export function hasFilter(f: PacketFilter | undefined): boolean {
  return !!f && (!!f.protocol || !!f.ip || f.port !== undefined);
}

export async function listCaptures(signal?: AbortSignal): Promise<Capture[]> {
  return expectArray<Capture>(await getJson('/captures', {}, signal), '/captures');
}

export async function protocolSummary(capture: number | null, signal?: AbortSignal): Promise<ProtocolCount[]> {
  return expectArray<ProtocolCount>(await getJson('/protocol_summary', { capture }, signal), '/protocol_summary');
}

/** One page of packets: /packets, or /filter when any filter field is set. */
export async function packetPage(query: PacketQuery, signal?: AbortSignal): Promise<PacketPage> {
  const limit = Math.min(Math.max(1, Math.trunc(query.limit)), MAX_PAGE_SIZE);
  const base: Params = { capture: query.capture, limit, after: query.after };
  const f = query.filter;
  if (hasFilter(f)) {
    const params: Params = { capture: query.capture, protocol: f?.protocol, ip: f?.ip, port: f?.port, limit, after: query.after };
    return expectPage(await getJson('/filter', params, signal), '/filter');
  }
  return expectPage(await getJson('/packets', base, signal), '/packets');
}
