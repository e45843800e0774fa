/**
 * The module manager (Loki-style): services declare what they need, start in dependency order, report readiness,
 * and stop in reverse. `--target all` runs every service in this process; a list runs some. Whether a service
 * reaches another in memory or over HTTP is decided here, in one place: in memory when both run in this process.
 */
import type { FastifyInstance } from 'fastify';
import { openDb, PgliteDb, type Db } from '../store/db.js';
import { Store } from '../store/store.js';
import { HttpParser, HttpPersistor } from '../bus/http.js';
import type { PersistorApi } from '../bus/messages.js';
import { DEFAULT_PORTS, ENV, hostOf, portOf, urlOf, type ListeningService } from './config.js';
import { serviceLogger, flushLogs, type Logger } from './log.js';
import { serviceMetrics } from './metrics.js';
import { makeApp } from './http.js';
import { Login, isLoopback } from './auth.js';
import { ParserService, parserRoutes } from './parser.js';
import { PersistorService, persistorRoutes } from './persistor.js';
import { analyzerRoutes } from './analyzer.js';
import { CaptureControl } from './analyzer-captures.js';
import { uiRoutes } from './ui.js';
import { BODY_LIMIT } from './config.js';

export const SERVICES = ['db', 'persistor', 'parser', 'analyzer', 'ui'] as const;
export type Target = (typeof SERVICES)[number];
/** `all`: the five services' listening four (the Capture runs per file or interface: `pktlens capture`, `pktlens open`) */
export const ALL: Target[] = ['persistor', 'parser', 'analyzer', 'ui'];

export function parseTargets(s: string): Target[] {
  const out = new Set<Target>();
  for (const t of s.split(',').map((x) => x.trim()).filter(Boolean)) {
    if (t === 'all') ALL.forEach((x) => out.add(x));
    else if ((SERVICES as readonly string[]).includes(t)) out.add(t as Target);
    else throw new Error(`unknown target "${t}" (known: all, ${SERVICES.join(', ')})`);
  }
  if (!out.size) throw new Error('no target given');
  return SERVICES.filter((x) => out.has(x)); // dependency order
}

export interface ManagerOptions {
  targets: Target[];
  host?: string;
  /** port per service (default from the environment or DEFAULT_PORTS; 0 = any free port) */
  ports?: Partial<Record<ListeningService, number>>;
  dataDir?: string;
  databaseUrl?: string;
  logDir?: string | null;
  token?: string;
  /** login password of the UI and the Analyzer beyond loopback (else PKTLENS_PASSWORD, else generated) */
  password?: string;
  /** an already open database to use (tests, `pktlens open`) */
  db?: Db;
}

interface Running {
  name: Target;
  app?: FastifyInstance;
  url?: string;
  stop?: () => Promise<void>;
}

export class Manager {
  readonly host: string;
  private running: Running[] = [];
  private db: Db | null = null;
  private ownsDb = false;
  private persistor: PersistorService | null = null;
  /** the in-process Parser, when this process runs one */
  parser: ParserService | null = null;
  /** the Analyzer's uploads, live captures and events: one per process, shared by its mounts (:5003 and /api) */
  captures: CaptureControl | null = null;
  readonly logs = new Map<Target, Logger>();
  /** the login of this process's UI and Analyzer, when they listen beyond loopback (null on loopback) */
  readonly login: Login | null;
  /** PKTLENS_LOGIN=off: no login beyond loopback, said loudly at start */
  readonly loginOff: boolean;

  constructor(readonly o: ManagerOptions) {
    this.host = o.host ?? hostOf();
    this.loginOff = process.env[ENV.login] === 'off';
    const needed = (this.has('ui') || this.has('analyzer')) && !isLoopback(this.host);
    this.login = needed && !this.loginOff ? Login.resolve(o.password) : null;
  }

  port(s: ListeningService): number {
    return this.o.ports?.[s] ?? portOf(s);
  }

  log(t: Target): Logger {
    let l = this.logs.get(t);
    if (!l) this.logs.set(t, (l = serviceLogger(t === 'db' ? 'database' : t, { dir: this.o.logDir })));
    return l;
  }

  /** the database this process uses (opened once, shared by its services) */
  async database(): Promise<Db> {
    if (!this.db) {
      this.db = this.o.db ?? (await openDb({ url: this.o.databaseUrl, dataDir: this.o.dataDir ?? process.env[ENV.data], application: `pktlens ${this.o.targets.join(',')}` }));
      this.ownsDb = !this.o.db;
    }
    return this.db;
  }

  /** The base URL a running service listens on. */
  url(t: ListeningService): string | undefined {
    return this.running.find((r) => r.name === t)?.url;
  }

  has(t: Target): boolean {
    return this.o.targets.includes(t);
  }

  /** The Persistor as the Parser (or an in-process Capture) reaches it. */
  persistorApi(): PersistorApi {
    return this.persistor ?? new HttpPersistor(urlOf('persistor'), this.o.token ?? process.env[ENV.token]);
  }

  async start(): Promise<void> {
    try {
      for (const t of this.o.targets) await this.startOne(t);
    } catch (e) {
      await this.stop();
      throw e;
    }
  }

  private async listen(t: ListeningService, app: FastifyInstance): Promise<string> {
    await app.listen({ host: this.host, port: this.port(t) });
    const a = app.server.address();
    const port = typeof a === 'object' && a ? a.port : this.port(t);
    const url = `http://${this.host.includes(':') ? `[${this.host}]` : this.host}:${port}`;
    const guarded = t === 'ui' || t === 'analyzer';
    this.log(t).info({ url, login: guarded && this.login ? 'required' : 'none' }, `${t} listening`);
    if (guarded && this.loginOff && !isLoopback(this.host)) this.log(t).warn({ host: this.host }, `${ENV.login}=off: ${t} answers anyone who reaches ${this.host} without a login`);
    if ((t === 'parser' || t === 'persistor') && !isLoopback(this.host) && !(this.o.token ?? process.env[ENV.token])) {
      this.log(t).warn({ host: this.host }, `${t} listens on ${this.host} without ${ENV.token}: anyone who reaches it can store packets`);
    }
    return url;
  }

  private async startOne(t: Target): Promise<void> {
    const log = this.log(t);
    const metrics = serviceMetrics(t);
    const token = this.o.token ?? process.env[ENV.token];
    const dbReady = async (): Promise<boolean> => {
      await (await this.database()).query('SELECT 1');
      return true;
    };
    switch (t) {
      case 'db': {
        const db = await this.database();
        if (!(db instanceof PgliteDb)) throw new Error('--target db serves the embedded database; DATABASE_URL points at a server already');
        const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
        const server = new PGLiteSocketServer({ db: db.pg, host: this.host, port: this.port('db'), maxConnections: 256 });
        await server.start();
        const url = `postgresql://postgres@${this.host}:${this.port('db')}/postgres`;
        log.info({ url, data: db.description }, 'embedded database served over the PostgreSQL protocol');
        this.running.push({ name: t, url, stop: () => server.stop() });
        return;
      }
      case 'persistor': {
        const store = new Store(await this.database());
        const svc = new PersistorService(store, log, metrics);
        const app = makeApp({ service: t, log, metrics, ready: dbReady, bodyLimit: BODY_LIMIT });
        persistorRoutes(app, svc, { token, metrics });
        this.persistor = svc;
        this.running.push({ name: t, app, url: await this.listen(t, app) });
        return;
      }
      case 'parser': {
        const ac = new AbortController();
        const svc = new ParserService(this.persistorApi(), log, metrics, ac.signal);
        const app = makeApp({ service: t, log, metrics, bodyLimit: BODY_LIMIT });
        parserRoutes(app, svc, { token, metrics });
        this.parser = svc;
        this.running.push({ name: t, app, url: await this.listen(t, app), stop: async () => ac.abort() });
        return;
      }
      case 'analyzer': {
        const store = new Store(await this.database());
        const app = makeApp({ service: t, log, metrics, ready: dbReady, login: this.login });
        // live captures started here send to the Parser in memory when it runs in this process, else over HTTP
        const ctl = (this.captures = new CaptureControl({ store, log, parser: () => this.parser ?? new HttpParser(urlOf('parser'), token) }));
        analyzerRoutes(app, { store, log, captures: ctl });
        this.running.push({ name: t, app, url: await this.listen(t, app), stop: () => ctl.stop() });
        return;
      }
      case 'ui': {
        const app = makeApp({ service: t, log, metrics, login: this.login });
        if (this.has('analyzer')) {
          const store = new Store(await this.database());
          const alog = this.log('analyzer');
          await uiRoutes(app, { log, mountApi: (api) => analyzerRoutes(api, { store, log: alog, captures: this.captures ?? undefined }) });
        } else {
          // an Analyzer in another process that asks for a login gets the password as a bearer token
          const analyzerPassword = this.login?.password ?? (this.o.password || process.env[ENV.password]) ?? undefined;
          await uiRoutes(app, { log, analyzerUrl: urlOf('analyzer'), analyzerPassword });
        }
        this.running.push({ name: t, app, url: await this.listen(t, app) });
        return;
      }
    }
  }

  async stop(): Promise<void> {
    for (const r of [...this.running].reverse()) {
      try {
        if (r.stop) await r.stop(); // first: a Parser stops retrying, so closing does not wait on it
        if (r.app) await r.app.close();
      } catch (e) {
        this.log(r.name).warn({ err: (e as Error).message }, 'stop failed');
      }
      this.log(r.name).info(`${r.name} stopped`);
    }
    this.running = [];
    if (this.db && this.ownsDb) await this.db.close().catch(() => {});
    this.db = null;
    flushLogs();
  }

  /** name → URL of what is running */
  summary(): { name: Target; url?: string }[] {
    return this.running.map((r) => ({ name: r.name, url: r.url }));
  }
}

export { DEFAULT_PORTS };
