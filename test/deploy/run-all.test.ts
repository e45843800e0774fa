/**
 * run_all.sh end to end: the five services as separate processes on free ports, the sample replayed through
 * them into a fresh PostgreSQL database (and into the embedded database server), browsed through the UI's /api,
 * then stopped by a signal with nothing left running; a service that dies takes the stack down with a report.
 *
 * Processes the script started are recognised by their environment: each run gets its own PKTLENS_LOG_DIR, which
 * every child inherits, so other stacks running on this machine are never mistaken for ours.
 * The PostgreSQL server is PKTLENS_TEST_PG (default postgres://postgres@127.0.0.1:5432/postgres, used to create and
 * drop a database per test); unreachable, the server cases are skipped, except under CI=true where that fails.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, connect, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_PORTS, ENV } from '../../src/services/config.js';
import { freshServerDatabase } from '../store/backends.js';
import { requireServer } from '../services/server.js';

const ROOT = new URL('../../../', import.meta.url).pathname;
const SCRIPT = join(ROOT, 'run_all.sh');
const SAMPLE = 'samples/sample.pcap';
const STACK_TIMEOUT_MS = 180_000;
/** how long run_all.sh may take to stop everything after a signal */
const STOP_WITHIN_MS = 15_000;
const SERVICES = ['persistor', 'parser', 'analyzer', 'ui'] as const;

// ---------------------------------------------------------------------------------------------------------------
// helpers

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Distinct free TCP ports on 127.0.0.1 (held open together, so no two are the same), none of the defaults. */
async function freePorts(n: number): Promise<number[]> {
  const servers: Server[] = [];
  const out: number[] = [];
  const defaults = new Set<number>(Object.values(DEFAULT_PORTS));
  while (out.length < n) {
    const s = createServer();
    await new Promise<void>((res, rej) => s.once('error', rej).listen(0, '127.0.0.1', () => res()));
    servers.push(s);
    const p = (s.address() as { port: number }).port;
    if (!defaults.has(p)) out.push(p);
  }
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return out;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((res) => {
    const c = connect({ host: '127.0.0.1', port });
    c.once('connect', () => {
      c.destroy();
      res(true);
    });
    c.once('error', () => res(false));
  });
}

let expected: number | undefined;
/** The sample's packet count, as `pktlens decode` counts it (tshark agrees: see test/cli.test.ts). */
function samplePackets(): number {
  if (expected === undefined) {
    const p = spawnSync(process.execPath, [join(ROOT, 'bin/pktlens.js'), 'decode', '-r', join(ROOT, SAMPLE), '-T', 'fields', '-e', 'frame.number'], {
      maxBuffer: 1 << 26,
    });
    assert.equal(p.status, 0, p.stderr.toString());
    expected = p.stdout.toString().split('\n').filter((l) => l.trim()).length;
    assert.ok(expected > 0, 'the sample has packets');
  }
  return expected;
}

/** The environment run_all.sh starts from: ours without any pktlens setting, plus `extra`. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PKTLENS_') && k !== 'DATABASE_URL') env[k] = v;
  return { ...env, ...extra };
}

interface Proc {
  pid: number;
  cmd: string;
}

/** Every live process whose environment holds `entry` (e.g. PKTLENS_LOG_DIR=/tmp/…): what one run_all.sh started. */
function processesWith(entry: string): Proc[] {
  const out: Proc[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      const env = readFileSync(`/proc/${d}/environ`, 'latin1').split('\0');
      if (!env.includes(entry)) continue;
      const stat = readFileSync(`/proc/${d}/stat`, 'latin1');
      if (/\) Z /.test(stat)) continue; // a zombie holds nothing; its parent reaps it
      out.push({ pid: Number(d), cmd: readFileSync(`/proc/${d}/cmdline`, 'latin1').split('\0').join(' ').trim() });
    } catch {
      // gone, or not ours to read
    }
  }
  return out;
}

class RunAll {
  readonly child: ChildProcess;
  output = '';
  exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  readonly exited: Promise<void>;

  constructor(
    args: string[],
    env: NodeJS.ProcessEnv,
    readonly marker: string,
  ) {
    // its own process group, so that a failing test can still clean up everything under it
    this.child = spawn('./run_all.sh', args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    this.child.stdout!.setEncoding('utf8').on('data', (s: string) => (this.output += s));
    this.child.stderr!.setEncoding('utf8').on('data', (s: string) => (this.output += s));
    this.exited = new Promise((res) =>
      this.child.once('close', (code, signal) => {
        this.exit = { code, signal };
        res();
      }),
    );
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Poll `check` every 500 ms until it returns a value; fails early when run_all.sh exits. */
  async until<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    for (;;) {
      if (this.exit) assert.fail(`run_all.sh exited (${JSON.stringify(this.exit)}) while waiting for ${what}\n${this.output}`);
      try {
        const v = await check();
        if (v !== undefined) return v;
      } catch (e) {
        last = e;
      }
      if (Date.now() > deadline) assert.fail(`timed out waiting for ${what} (last: ${String((last as Error)?.message ?? last)})\n${this.output}`);
      await sleep(500);
    }
  }

  /** Send `sig` and wait for the exit; returns how long it took. */
  async stop(sig: NodeJS.Signals, withinMs: number): Promise<number> {
    const t0 = Date.now();
    this.child.kill(sig);
    const ok = await Promise.race([this.exited.then(() => true), sleep(withinMs).then(() => false)]);
    assert.ok(ok, `run_all.sh did not exit within ${withinMs / 1000} s of ${sig}\n${this.output}`);
    return Date.now() - t0;
  }

  /** Whatever happened: nothing of this run keeps running. */
  async cleanup(): Promise<void> {
    if (!this.exit) {
      try {
        process.kill(-this.pid, 'SIGKILL');
      } catch {
        // already gone
      }
      await Promise.race([this.exited, sleep(5000)]);
    }
    for (const p of processesWith(this.marker)) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
}

async function getJson(url: string): Promise<unknown> {
  const r = await fetch(url, { signal: AbortSignal.timeout(5000) });
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return r.json();
}

/** The rows of a list answer: the array itself, or the first array property of an object. */
function rows(v: unknown): Record<string, unknown>[] {
  if (Array.isArray(v)) return v as Record<string, unknown>[];
  if (v && typeof v === 'object') {
    for (const x of Object.values(v)) if (Array.isArray(x)) return x as Record<string, unknown>[];
  }
  throw new Error(`not a list: ${JSON.stringify(v).slice(0, 200)}`);
}

/** A fresh database on the server: its URL, and how to drop it. Null (test skipped) when there is no server. */
async function freshDatabase(t: TestContext): Promise<{ url: string; drop: () => Promise<void> } | null> {
  if (!(await requireServer(t))) return null;
  return freshServerDatabase();
}

interface Stack {
  run: RunAll;
  ports: Record<'ui' | 'parser' | 'persistor' | 'analyzer' | 'db', number>;
  logDir: string;
  tmp: string;
}

async function startStack(args: string[], databaseUrl: string | null): Promise<Stack> {
  const tmp = mkdtempSync(join(tmpdir(), 'pktlens-runall-'));
  const logDir = join(tmp, 'logs');
  const [ui, parser, persistor, analyzer, db] = await freePorts(5);
  const ports = { ui, parser, persistor, analyzer, db };
  const env = cleanEnv({
    [ENV.uiPort]: String(ui),
    [ENV.parserPort]: String(parser),
    [ENV.persistorPort]: String(persistor),
    [ENV.analyzerPort]: String(analyzer),
    [ENV.dbPort]: String(db),
    [ENV.logDir]: logDir,
    [ENV.data]: join(tmp, 'data'),
    ...(databaseUrl ? { [ENV.databaseUrl]: databaseUrl } : {}),
  });
  return { run: new RunAll(args, env, `${ENV.logDir}=${logDir}`), ports, logDir, tmp };
}

/** Replay the sample through the stack and check what the UI shows, the logs, and the processes. */
async function replayAndBrowse(s: Stack, embedded: boolean): Promise<void> {
  const want = samplePackets();
  const ui = `http://127.0.0.1:${s.ports.ui}`;
  const total = await s.run.until(`the UI to report ${want} packets`, STACK_TIMEOUT_MS, async () => {
    const sum = rows(await getJson(`${ui}/api/protocol_summary`)).reduce((n, r) => n + Number(r.packets), 0);
    return sum === want ? sum : undefined;
  });
  assert.equal(total, want);
  const caps = await s.run.until('/api/captures to show the capture complete', 30_000, async () => {
    const list = rows(await getJson(`${ui}/api/captures`));
    return list.length === 1 && (list[0].state ?? list[0].status) === 'complete' ? list : undefined;
  });
  if (caps[0].packets !== undefined) assert.equal(Number(caps[0].packets), want);

  // the replay ends; the stack stays up for browsing
  await s.run.until('run_all.sh to report the end of the replay', 30_000, async () => (/replay of .* finished/.test(s.run.output) ? true : undefined));
  assert.match(s.run.output, new RegExp(`http://127\\.0\\.0\\.1:${s.ports.ui}`), 'prints the UI address');
  for (const svc of SERVICES) assert.equal(await portOpen(s.ports[svc]), true, `${svc} still listens after the replay`);

  // every process: its output in <service>.out (the script's), its own <service>.log (the service's)
  const names = [...(embedded ? ['db'] : []), ...SERVICES, 'capture'];
  for (const n of names) assert.ok(existsSync(join(s.logDir, `${n}.out`)), `${n}.out in the log folder`);
  for (const n of [...SERVICES, 'capture']) {
    const f = join(s.logDir, `${n}.log`);
    assert.ok(existsSync(f) && statSync(f).size > 0, `${n} writes ${n}.log in PKTLENS_LOG_DIR (have: ${readdirSync(s.logDir).join(' ')})`);
  }

  // what runs now: the script and one process per service, each in the mode asked for
  const procs = processesWith(s.run.marker);
  const targets = (t: string): Proc[] => procs.filter((p) => new RegExp(`\\bserve --target ${t}\\b`).test(p.cmd));
  for (const t of [...(embedded ? ['db'] : []), ...SERVICES]) assert.equal(targets(t).length, 1, `one "serve --target ${t}" process: ${JSON.stringify(procs)}`);
  assert.ok(procs.some((p) => p.pid === s.run.pid), 'run_all.sh itself is found by the same marker');
}

async function assertNothingLeft(s: Stack): Promise<void> {
  // give the kernel a moment to tear down what was just killed
  let left = processesWith(s.run.marker);
  for (let i = 0; i < 10 && left.length; i++) {
    await sleep(200);
    left = processesWith(s.run.marker);
  }
  assert.deepEqual(left, [], `processes started by run_all.sh survive it:\n${left.map((p) => `${p.pid} ${p.cmd}`).join('\n')}`);
  for (const [svc, port] of Object.entries(s.ports)) assert.equal(await portOpen(port), false, `port ${port} (${svc}) still open`);
}

// ---------------------------------------------------------------------------------------------------------------

test('run_all.sh: executable bash, valid syntax, shellcheck-clean when shellcheck is installed', (t) => {
  accessSync(SCRIPT, constants.X_OK);
  assert.match(readFileSync(SCRIPT, 'utf8').split('\n')[0], /^#!\/(usr\/)?bin\/(env )?bash\b/, 'a bash shebang');
  const n = spawnSync('bash', ['-n', SCRIPT]);
  assert.equal(n.status, 0, n.stderr.toString());
  const sc = spawnSync('shellcheck', ['-x', SCRIPT]);
  if (sc.error) {
    t.diagnostic('shellcheck not installed: skipped that part');
    return;
  }
  assert.equal(sc.status, 0, sc.stdout.toString() + sc.stderr.toString());
});

test('run_all.sh: --help, and usage errors before anything starts', async () => {
  const marker = join(tmpdir(), `pktlens-runall-usage-${process.pid}`);
  const env = cleanEnv({ [ENV.logDir]: marker });
  const run = (args: string[]): { code: number | null; out: string } => {
    const p = spawnSync(SCRIPT, args, { cwd: ROOT, env, timeout: 20_000, stdio: ['ignore', 'pipe', 'pipe'] });
    return { code: p.status, out: p.stdout.toString() + p.stderr.toString() };
  };
  const h = run(['--help']);
  assert.equal(h.code, 0, h.out);
  for (const s of ['pcap FILE', 'live IFACE', '1) PCAP replay', '2) Live sniffing', 'DATABASE_URL']) assert.ok(h.out.includes(s), `--help mentions ${s}`);
  for (const args of [['pcap', 'no/such/file.pcap'], ['pcap'], ['live'], ['sideways'], ['live', 'eth0', 'tcp', 'port 80']]) {
    const r = run(args);
    assert.equal(r.code, 2, `${args.join(' ')} → exit 2\n${r.out}`);
    assert.match(r.out, /run_all\.sh: /, 'says what was wrong');
  }
  assert.equal(existsSync(marker), false, 'a usage error starts nothing (not even the log folder)');
});

test('run_all.sh: a port already taken is named before anything starts', { timeout: 60_000 }, async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'pktlens-runall-'));
  const blocker = createServer((c) => c.destroy());
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
  const taken = (blocker.address() as { port: number }).port;
  const [ui, parser, analyzer, db] = await freePorts(4);
  const logDir = join(tmp, 'logs');
  const env = cleanEnv({
    [ENV.uiPort]: String(ui),
    [ENV.parserPort]: String(parser),
    [ENV.persistorPort]: String(taken),
    [ENV.analyzerPort]: String(analyzer),
    [ENV.dbPort]: String(db),
    [ENV.logDir]: logDir,
    [ENV.databaseUrl]: 'postgresql://nobody@127.0.0.1:1/none',
  });
  try {
    const run = new RunAll(['pcap', SAMPLE], env, `${ENV.logDir}=${logDir}`);
    await Promise.race([run.exited, sleep(30_000)]);
    await run.cleanup();
    assert.ok(run.exit, `run_all.sh kept running\n${run.output}`);
    assert.equal(run.exit.code, 1, run.output);
    assert.match(run.output, new RegExp(`port ${taken} \\(persistor\\)`), run.output);
    assert.match(run.output, /PKTLENS_PERSISTOR_PORT/, 'says how to choose another port');
    assert.doesNotMatch(run.output, /started /, 'nothing was started');
  } finally {
    blocker.close();
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('run_all.sh pcap with PostgreSQL: replayed, browsable through the UI, Ctrl-C stops everything', { timeout: 300_000 }, async (t) => {
  const db = await freshDatabase(t);
  if (!db) return;
  const s = await startStack(['pcap', SAMPLE], db.url);
  try {
    await replayAndBrowse(s, false);
    assert.doesNotMatch(s.run.output, /started db\b/, 'no embedded database with DATABASE_URL');
    const ms = await s.run.stop('SIGINT', STOP_WITHIN_MS);
    t.diagnostic(`stopped in ${ms} ms`);
    assert.equal(s.run.exit!.code, 130, `exit status after SIGINT\n${s.run.output}`);
    // stopped in reverse order of the start
    const order = [...s.run.output.matchAll(/stopping (\w+) \(pid/g)].map((m) => m[1]);
    assert.deepEqual(order, ['ui', 'analyzer', 'parser', 'persistor'], `stop order\n${s.run.output}`);
    await assertNothingLeft(s);
  } finally {
    await s.run.cleanup();
    await db.drop();
    rmSync(s.tmp, { recursive: true, force: true });
  }
});

test('run_all.sh pcap without DATABASE_URL: the embedded database server on its own port; SIGTERM stops everything', { timeout: 300_000 }, async (t) => {
  const s = await startStack(['pcap', SAMPLE], null);
  try {
    await replayAndBrowse(s, true);
    assert.match(s.run.output, new RegExp(`postgresql://postgres@127\\.0\\.0\\.1:${s.ports.db}/postgres`), 'the others were told DATABASE_URL');
    assert.ok(readdirSync(join(s.tmp, 'data')).length > 0, 'the embedded database lives in PKTLENS_DATA');
    const ms = await s.run.stop('SIGTERM', STOP_WITHIN_MS);
    t.diagnostic(`stopped in ${ms} ms`);
    assert.equal(s.run.exit!.code, 143, `exit status after SIGTERM\n${s.run.output}`);
    const order = [...s.run.output.matchAll(/stopping (\w+) \(pid/g)].map((m) => m[1]);
    assert.deepEqual(order, ['ui', 'analyzer', 'parser', 'persistor', 'db'], `stop order\n${s.run.output}`);
    await assertNothingLeft(s);
  } finally {
    await s.run.cleanup();
    rmSync(s.tmp, { recursive: true, force: true });
  }
});

test('run_all.sh: a service that dies is reported with its log, and the rest is stopped', { timeout: 300_000 }, async (t) => {
  const db = await freshDatabase(t);
  if (!db) return;
  const s = await startStack(['pcap', SAMPLE], db.url);
  try {
    await s.run.until('the stack to be up', STACK_TIMEOUT_MS, async () => (/started capture/.test(s.run.output) ? true : undefined));
    const analyzer = processesWith(s.run.marker).find((p) => /\bserve --target analyzer\b/.test(p.cmd));
    assert.ok(analyzer, 'the analyzer process');
    process.kill(analyzer.pid, 'SIGKILL');
    await Promise.race([s.run.exited, sleep(STOP_WITHIN_MS)]);
    assert.ok(s.run.exit, `run_all.sh did not notice within ${STOP_WITHIN_MS / 1000} s\n${s.run.output}`);
    assert.equal(s.run.exit.code, 1, s.run.output);
    assert.match(s.run.output, new RegExp(`analyzer \\(pid ${analyzer.pid}\\) stopped unexpectedly: killed by signal 9`), s.run.output);
    assert.match(s.run.output, /last lines of .*analyzer\.(log|out)/, 'shows the tail of its log');
    await assertNothingLeft(s);
  } finally {
    await s.run.cleanup();
    await db.drop();
    rmSync(s.tmp, { recursive: true, force: true });
  }
});
