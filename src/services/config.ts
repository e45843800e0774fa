/**
 * Where the services listen and how they find each other: one place for ports, addresses and environment names,
 * read by the services, `pktlens serve`, `run_all.sh`'s defaults and the compose file's test.
 */

export type ServiceName = 'capture' | 'parser' | 'persistor' | 'analyzer' | 'ui' | 'db';

/** Services that listen on a port (capture is a client only). */
export const DEFAULT_PORTS = { ui: 5000, parser: 5001, persistor: 5002, analyzer: 5003, db: 5433 } as const;
export type ListeningService = keyof typeof DEFAULT_PORTS;

/** Bind address unless told otherwise: loopback only. */
export const DEFAULT_HOST = '127.0.0.1';

/** Environment variables the services read (every one optional). */
export const ENV = {
  /** PostgreSQL server; without it the embedded database (PGlite) in PKTLENS_DATA is used */
  databaseUrl: 'DATABASE_URL',
  /** embedded database folder (default ./pktlens-data) */
  data: 'PKTLENS_DATA',
  /** bind address for every service of this process */
  host: 'PKTLENS_HOST',
  /** per-service port overrides */
  uiPort: 'PKTLENS_UI_PORT',
  parserPort: 'PKTLENS_PARSER_PORT',
  persistorPort: 'PKTLENS_PERSISTOR_PORT',
  analyzerPort: 'PKTLENS_ANALYZER_PORT',
  dbPort: 'PKTLENS_DB_PORT',
  /** where the other services are, when they run in another process (default http://127.0.0.1:<port>) */
  parserUrl: 'PKTLENS_PARSER_URL',
  persistorUrl: 'PKTLENS_PERSISTOR_URL',
  analyzerUrl: 'PKTLENS_ANALYZER_URL',
  /** bearer token required on /parse and /store when set */
  token: 'PKTLENS_TOKEN',
  /** the login password of the UI and the Analyzer when they listen beyond loopback (generated and printed if unset) */
  password: 'PKTLENS_PASSWORD',
  /** "off": no login even beyond loopback, for when something else guards the port (compose publishes on loopback) */
  login: 'PKTLENS_LOGIN',
  /** log folder (default ./logs) */
  logDir: 'PKTLENS_LOG_DIR',
  /** pino level (default info) */
  logLevel: 'PKTLENS_LOG_LEVEL',
  /** database connections per process; 1 for the embedded database's socket server (one backend for all) */
  dbPool: 'PKTLENS_DB_POOL',
  /** `pktlens capture`: serve /healthz, /readyz, /metrics on this port while capturing */
  capturePort: 'PKTLENS_CAPTURE_PORT',
  /** largest capture file the Analyzer accepts on POST /captures: bytes, or with K, M, G (binary) (default 2G) */
  uploadMax: 'PKTLENS_UPLOAD_MAX',
} as const;

const PORT_ENV: Record<ListeningService, string> = {
  ui: ENV.uiPort, parser: ENV.parserPort, persistor: ENV.persistorPort, analyzer: ENV.analyzerPort, db: ENV.dbPort,
};
const URL_ENV: Partial<Record<ListeningService, string>> = { parser: ENV.parserUrl, persistor: ENV.persistorUrl, analyzer: ENV.analyzerUrl };

export function portOf(s: ListeningService, env: NodeJS.ProcessEnv = process.env): number {
  const v = env[PORT_ENV[s]];
  if (v === undefined || v === '') return DEFAULT_PORTS[s];
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${PORT_ENV[s]}=${v} is not a port number`);
  return n;
}

/** The base URL another process uses to reach service `s`. */
export function urlOf(s: ListeningService, env: NodeJS.ProcessEnv = process.env): string {
  const k = URL_ENV[s];
  const v = k ? env[k] : undefined;
  if (v) return v.replace(/\/+$/, '');
  return `http://127.0.0.1:${portOf(s, env)}`;
}

export function hostOf(env: NodeJS.ProcessEnv = process.env): string {
  return env[ENV.host] || DEFAULT_HOST;
}

/** Batches close at this many frames or after this long, whichever comes first. */
export const BATCH_MAX_FRAMES = 1000;
export const BATCH_MAX_MS = 50;
/**
 * A file replayed as fast as the pipeline takes it (no time limit to keep) cuts larger batches: every batch costs
 * a request per hop and a transaction with its flow and rollup upserts, whatever its size. A replay resuming a
 * capture keeps the batch size its stored batches used (OpenResult.batchFrames).
 */
export const REPLAY_BATCH_FRAMES = 4096;
/** Unacknowledged batches a sender keeps in flight before it stops reading (backpressure). */
export const SEND_WINDOW = 8;
/** Largest request body accepted on /parse and /store. */
export const BODY_LIMIT = 64 * 1024 * 1024;

/** Largest upload (POST /captures on the Analyzer) unless PKTLENS_UPLOAD_MAX says otherwise. */
export const UPLOAD_MAX = 2 * 1024 ** 3;

export function uploadMaxOf(env: NodeJS.ProcessEnv = process.env): number {
  const v = env[ENV.uploadMax];
  if (v === undefined || v === '') return UPLOAD_MAX;
  const m = /^\s*(\d+)\s*([kmg]?)i?b?\s*$/i.exec(v);
  if (!m) throw new Error(`${ENV.uploadMax}=${v} is not a size (bytes, or a number with K, M or G)`);
  return Number(m[1]) * 1024 ** ' kmg'.indexOf((m[2] || ' ').toLowerCase());
}
