/** Test helpers: the services as separate processes on free ports, their /metrics, a private PostgreSQL server. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN } from '../store/util.js';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

export async function waitFor<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 30_000, everyMs = 100): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown = null;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export async function ready(url: string, timeoutMs = 30_000): Promise<void> {
  await waitFor(`${url}/readyz`, async () => (await fetch(`${url}/readyz`)).status === 200, timeoutMs);
}

/** One series of a Prometheus text page, summed over the label sets that contain `labels` (e.g. service="parser"). */
export async function metric(url: string, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name + '{') && !line.startsWith(name + ' ')) continue;
    if (labels && !line.includes(labels)) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

export type Svc = 'persistor' | 'parser' | 'analyzer' | 'ui';

export class Proc {
  child: ChildProcess | null = null;
  out = '';
  exited: Promise<number | null> = Promise.resolve(null);
  constructor(readonly args: string[], readonly env: NodeJS.ProcessEnv) {}
  start(): this {
    this.out = '';
    const c = spawn(process.execPath, [BIN, ...this.args], { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
    c.stdout!.on('data', (d) => (this.out += d));
    c.stderr!.on('data', (d) => (this.out += d));
    this.exited = new Promise((r) => c.on('exit', (code) => r(code)));
    this.child = c;
    return this;
  }
  async kill(sig: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) this.child.kill(sig);
    return this.exited;
  }
}

/** The four listening services as separate processes (`pktlens serve --target X`), on free ports. */
export class Stack {
  readonly dir = mkdtempSync(join(tmpdir(), 'pktlens-stack-'));
  readonly procs = new Map<Svc, Proc>();
  ports!: Record<Svc, number>;
  env!: NodeJS.ProcessEnv;

  constructor(readonly databaseUrl: string, private extraEnv: NodeJS.ProcessEnv = {}) {}

  url(s: Svc): string {
    return `http://127.0.0.1:${this.ports[s]}`;
  }

  async start(services: Svc[] = ['persistor', 'parser', 'analyzer', 'ui']): Promise<void> {
    this.ports = { persistor: await freePort(), parser: await freePort(), analyzer: await freePort(), ui: await freePort() };
    this.env = {
      ...process.env,
      DATABASE_URL: this.databaseUrl,
      PKTLENS_LOG_DIR: join(this.dir, 'logs'),
      PKTLENS_UI_PORT: String(this.ports.ui),
      PKTLENS_PARSER_PORT: String(this.ports.parser),
      PKTLENS_PERSISTOR_PORT: String(this.ports.persistor),
      PKTLENS_ANALYZER_PORT: String(this.ports.analyzer),
      ...this.extraEnv,
    };
    for (const s of services) await this.startOne(s);
  }

  async startOne(s: Svc): Promise<Proc> {
    const p = new Proc(['serve', '--target', s], this.env).start();
    this.procs.set(s, p);
    try {
      await ready(this.url(s));
    } catch (e) {
      throw new Error(`${s} did not become ready: ${(e as Error).message}\n${p.out}`);
    }
    return p;
  }

  /** `pktlens capture …` against this stack's Parser; resolves with its exit code and output */
  capture(args: string[], env: NodeJS.ProcessEnv = {}): Proc {
    return new Proc(['capture', ...args], { ...this.env, ...env }).start();
  }

  async stop(): Promise<void> {
    for (const p of [...this.procs.values()].reverse()) await p.kill('SIGTERM');
    this.procs.clear();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * A PostgreSQL server of the test's own (initdb in a temp folder, run as the postgres user since initdb refuses
 * root), so that the test can stop and start it. Null when the server binaries are not installed.
 */
export class PrivatePg {
  readonly dir = mkdtempSync(join(tmpdir(), 'pktlens-pg-'));
  port = 0;
  constructor(readonly bin: string) {}

  static find(): PrivatePg | null {
    const r = spawnSync('sh', ['-c', 'ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1'], { encoding: 'utf8' });
    const bin = r.stdout.trim();
    return bin ? new PrivatePg(bin) : null;
  }

  private run(args: string[]): void {
    const asPg = process.getuid?.() === 0;
    const cmd = asPg ? 'runuser' : args[0];
    const argv = asPg ? ['-u', 'postgres', '--', ...args] : args.slice(1);
    const r = spawnSync(cmd, argv, { encoding: 'utf8', cwd: '/' });
    if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr || r.stdout}`);
  }

  async init(): Promise<string> {
    chmodSync(this.dir, 0o777);
    const data = join(this.dir, 'data');
    this.run([`${this.bin}/initdb`, '-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
    this.port = await freePort();
    await this.start();
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  async start(): Promise<void> {
    this.run([`${this.bin}/pg_ctl`, '-D', join(this.dir, 'data'), '-w', '-l', join(this.dir, 'log'),
      '-o', `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off`, 'start']);
  }

  stop(mode: 'fast' | 'immediate' = 'immediate'): void {
    this.run([`${this.bin}/pg_ctl`, '-D', join(this.dir, 'data'), '-w', '-m', mode, 'stop']);
  }

  destroy(): void {
    try {
      this.stop();
    } catch {
      /* not running */
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
