// `npm run bench:ingest`: storing speed of `pktlens ingest` against PostgreSQL's own COPY of the same rows, in one run.
//
//   node dist/bench/ingest.js [--packets N] [--seed N] [--pglite-packets N] [--no-pglite] [--profile]
//     defaults: 1,000,000 packets, seed 1, PGlite on a 200,000-packet capture
//     --profile  runs the PostgreSQL ingest under `node --cpu-prof` (kept in bench/out/profile-PID/) and prints where
//                the main thread's time went; the profiler slows the run down, so its figures are labelled
//   PKTLENS_BENCH_SERVER  the PostgreSQL server (default postgres://postgres@127.0.0.1:5432, a superuser on this host:
//                         the COPY reference reads a file server-side); databases are created and dropped on it
//
// Measured, on the cached generated capture of bench/out/ (see bench/common.ts):
//   a. `pktlens ingest FILE` (child process, GNU time) into a fresh database with the schema as it is (all its indexes),
//      while the database backends' CPU and states are sampled (pg_stat_activity + /proc);
//   b. PostgreSQL's own COPY of exactly the rows pktlens writes: the capture is decoded here (Session + toRecord) and
//      encoded with encodePackets into one binary COPY file, then `COPY packets (…) FROM '/tmp/…' WITH (FORMAT binary)`
//      is timed server-side into a fresh database with the same schema and daily partitions, and again into one
//      whose packets table has no indexes;
//   c. `pktlens decode -r FILE -T fields -e frame.number` alone (decode-only reference);
//   d. `pktlens ingest FILE --data DIR` into PGlite, on a smaller capture (--pglite-packets).
// Results: a table and the issue's ratios on stdout, bench/out/ingest.json. Databases and temp files are removed at the
// end, also on failure or Ctrl-C.

import { execFileSync } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { arg, capture, GNU_TIME, OUT, printTable, ROOT, run, showCommand, type RunResult } from './common.js';
import { openDb } from '../src/store/db.js';
import { encodePackets, ensurePartition, PACKET_COLUMNS } from '../src/store/store.js';
import { RECORD_FIELDS, toRecord, type PacketRecord } from '../src/store/record.js';
import { BATCH_FRAMES, sha256File } from '../src/ingest/ingest.js';
import { Session } from '../src/dissect/session.js';
import { readCapture } from '../src/wire/capture.js';

const SERVER = (process.env.PKTLENS_BENCH_SERVER ?? 'postgres://postgres@127.0.0.1:5432').replace(/\/+$/, '');
const ADMIN_DB = 'test';
const PKTLENS = join(ROOT, 'bin', 'pktlens.js');
/** the original five-service design (scapy, one HTTP request per packet, one INSERT per row), measured in the issue */
const ORIGINAL_PPS = 265;
const TARGETS = { copyRatio: 0.7, packetsPerSecond: 100_000, vsOriginal: 300 };
const DAY = 86400;
/** binary COPY header: signature (11), flags (4), header extension length (4) */
const COPY_HEADER = 19;
const COPY_SIGNATURE = [0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00];

interface Result {
  name: string;
  command: string;
  ok: boolean;
  packets: number;
  seconds?: number;
  packetsPerSecond?: number;
  maxRssKb?: number;
  /** CPU seconds (user + system) of the measured process: the node child, or the database backend for COPY */
  cpuSeconds?: number;
  note?: string;
  [k: string]: unknown;
}

const flag = (name: string) => process.argv.includes(name);
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const dbUrl = (db: string) => `${SERVER}/${db}`;

let clkTck = 100;
try { clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100; } catch { /* Linux default */ }

/** user + system CPU seconds of a process on this host (postgres backends included: we read /proc), or undefined */
function procCpu(pid: number): number | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' '); // f[0] is field 3 (state): utime is field 14, stime 15
    return (Number(f[11]) + Number(f[12])) / clkTck;
  } catch {
    return undefined;
  }
}

/** busy CPU seconds of the whole machine, all cores (from /proc/stat) */
function machineBusy(): number | undefined {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal
    return (f[0]! + f[1]! + f[2]! + f[5]! + f[6]! + (f[7] ?? 0)) / clkTck;
  } catch {
    return undefined;
  }
}

/**
 * Measures what the rest of the machine did during a step: call the returned function with the CPU seconds the step
 * itself accounts for (its child, its database backends); it returns the other processes' CPU in cores (CPU s / wall s),
 * this process's own share excluded. A busy machine (another ingest, a test run) makes every figure of the step too low.
 */
function otherLoad(): (accounted: number) => number | null {
  const m0 = machineBusy(), s0 = process.cpuUsage(), t0 = performance.now();
  return (accounted) => {
    const m1 = machineBusy();
    if (m0 === undefined || m1 === undefined) return null;
    const self = process.cpuUsage(s0);
    const wall = (performance.now() - t0) / 1000;
    return Math.max(0, Math.round(((m1 - m0 - accounted - (self.user + self.system) / 1e6) / wall) * 100) / 100);
  };
}

/**
 * Samples pg_stat_activity every `ms` while an ingest runs: the CPU of the benchmark database's backends (from /proc,
 * the last value seen per backend), what they are doing (on CPU, waiting on the client, on I/O or locks, idle in a
 * transaction, idle), and how busy the rest of the server is (other databases, WAL writer, checkpointer).
 */
class ServerSampler {
  private readonly cpu = new Map<number, number>();
  private readonly aux = new Map<string, { first: number; last: number }>();
  private readonly states: Record<string, number> = {};
  samples = 0;
  private onCpu = 0;
  private anyActive = 0;
  private otherActive = 0;
  private running = false;
  private loop: Promise<void> | null = null;
  private procReadable = true;

  constructor(private readonly client: pg.Client, private readonly datname: string, private readonly ms = 100) {}

  start(): void {
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        await this.tick().catch(() => {});
        await new Promise((r) => setTimeout(r, this.ms));
      }
    })();
  }

  private async tick(): Promise<void> {
    const r = await this.client.query<{ pid: number; datname: string | null; state: string | null; wait_event_type: string | null; wait_event: string | null; backend_type: string }>(
      'SELECT pid, datname, state, wait_event_type, wait_event, backend_type FROM pg_stat_activity WHERE pid <> pg_backend_pid()',
    );
    this.samples++;
    let cpu = false, active = false;
    for (const b of r.rows) {
      if (b.datname === this.datname && b.backend_type === 'client backend') {
        const c = procCpu(b.pid);
        if (c === undefined) this.procReadable = false;
        else this.cpu.set(b.pid, c);
        let k = b.state ?? 'unknown';
        if (b.state === 'active') {
          active = true;
          if (b.wait_event_type === null) { cpu = true; k = 'active: on CPU'; } else k = `active: waiting ${b.wait_event_type}:${b.wait_event}`;
        }
        this.states[k] = (this.states[k] ?? 0) + 1;
      } else if (b.datname === null && ['walwriter', 'checkpointer', 'background writer'].includes(b.backend_type)) {
        const c = procCpu(b.pid);
        if (c === undefined) continue;
        const a = this.aux.get(b.backend_type);
        if (a) a.last = c; else this.aux.set(b.backend_type, { first: c, last: c });
      } else if (b.state === 'active' && b.backend_type === 'client backend') this.otherActive++;
    }
    if (cpu) this.onCpu++;
    if (active) this.anyActive++;
  }

  async stop() {
    this.running = false;
    await this.loop;
    const n = Math.max(this.samples, 1);
    const backendSamples = Object.values(this.states).reduce((a, b) => a + b, 0) || 1;
    const pct = (x: number, d: number) => Math.round((x / d) * 1000) / 10;
    return {
      samples: this.samples,
      intervalMs: this.ms,
      backends: this.cpu.size,
      backendCpuSeconds: this.procReadable && this.cpu.size ? Math.round([...this.cpu.values()].reduce((a, b) => a + b, 0) * 100) / 100 : null,
      percentSamplesBackendOnCpu: pct(this.onCpu, n),
      percentSamplesBackendActive: pct(this.anyActive, n),
      backendStatesPercent: Object.fromEntries(Object.entries(this.states).sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, pct(v, backendSamples)])),
      auxCpuSeconds: Object.fromEntries([...this.aux].map(([k, v]) => [k, Math.round((v.last - v.first) * 100) / 100])),
      otherDatabasesActiveBackendsMean: Math.round((this.otherActive / n) * 100) / 100,
    };
  }
}

/**
 * Decode the capture here exactly as `pktlens ingest` does (Session with RECORD_FIELDS, toRecord, batches of BATCH_FRAMES
 * encoded with encodePackets) and write the batches as ONE binary COPY stream: the header once, the rows, the trailer.
 */
async function prerender(file: string, out: string, captureId: number) {
  const fd = openSync(out, 'w', 0o644);
  const s = new Session();
  s.d.setWanted(RECORD_FIELDS);
  const days = new Set<number>();
  let batch: PacketRecord[] = [];
  let rows = 0, bytes = 0, headerDone = false, writeMs = 0;
  const write = (b: Uint8Array) => {
    const t = performance.now();
    let off = 0;
    while (off < b.length) off += writeSync(fd, b, off, b.length - off);
    bytes += b.length;
    writeMs += performance.now() - t;
  };
  const flush = () => {
    if (!batch.length) return;
    const p = encodePackets(captureId, batch);
    if (!COPY_SIGNATURE.every((c, i) => p[i] === c) || new DataView(p.buffer, p.byteOffset + 15, 4).getInt32(0) !== 0
      || p[p.length - 2] !== 0xff || p[p.length - 1] !== 0xff) {
      throw new Error('encodePackets no longer returns a plain binary COPY payload (19-byte header, 0xffff trailer)');
    }
    write(p.subarray(headerDone ? COPY_HEADER : 0, p.length - 2));
    headerDone = true;
    rows += batch.length;
    batch = [];
  };
  const t0 = performance.now();
  try {
    await readCapture(file, (f) => {
      const d = s.dissect(f);
      const r = toRecord(d);
      // byte fields (frame data, MACs, IPv6 addresses) are windows valid while the frame is: copy them, the batch outlives it
      const o = r as unknown as Record<string, unknown>;
      for (const k in o) if (o[k] instanceof Uint8Array) o[k] = (o[k] as Uint8Array).slice();
      days.add(Math.floor((r.tsSec + r.tsNsec / 1e9) / DAY));
      batch.push(r);
      if (batch.length >= BATCH_FRAMES) flush();
    });
    flush();
    if (headerDone) write(new Uint8Array([0xff, 0xff]));
    else write(encodePackets(captureId, []));
  } finally {
    closeSync(fd);
  }
  chmodSync(out, 0o644);
  const seconds = (performance.now() - t0) / 1000;
  return { rows, bytes, days: [...days].sort((a, b) => a - b), seconds, writeSeconds: writeMs / 1000 };
}

/** An order-independent checksum of the packets table's stored columns (id excepted): the COPY reference must hold the same rows. */
async function rowsChecksum(c: pg.Client): Promise<string> {
  const q = await c.query<{ h: string }>(`SELECT sum(hashtextextended(row(${PACKET_COLUMNS.join(', ')})::text, 0)) AS h FROM packets`);
  return String(q.rows[0]!.h);
}

/** Main-thread time of a .cpuprofile by category and by function (self time). */
function summarizeProfile(path: string) {
  type Node = { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] };
  const p = JSON.parse(readFileSync(path, 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[] };
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) self.set(p.samples[i]!, (self.get(p.samples[i]!) ?? 0) + (p.timeDeltas[i] ?? 0));
  const total = [...self.values()].reduce((a, b) => a + b, 0) || 1;
  const category = (n: Node): string => {
    const { functionName: fn, url } = n.callFrame;
    if (fn === '(idle)') return 'idle (waiting: database, I/O)';
    if (fn === '(garbage collector)') return 'garbage collector';
    if (fn === '(program)') return 'program (V8/native, unattributed)';
    const m = /\/(src\/[a-z]+)\//.exec(url);
    if (m) return m[1]!;
    if (url.includes('node_modules/pg')) return 'pg driver (pg, pg-protocol, pg-copy-streams)';
    if (url.includes('node_modules/')) return `node_modules/${url.split('node_modules/')[1]!.split('/')[0]}`;
    if (url.startsWith('node:') || url === '') return 'node internals (streams, fs, buffers)';
    return url;
  };
  const cats = new Map<string, number>(), fns = new Map<string, number>();
  for (const [id, us] of self) {
    const n = byId.get(id)!;
    const c = category(n);
    cats.set(c, (cats.get(c) ?? 0) + us);
    const u = n.callFrame.url.replace(/^file:\/\//, '').replace(ROOT, '');
    const k = `${n.callFrame.functionName || '(anonymous)'} ${u ? `${u}:${n.callFrame.lineNumber + 1}` : ''}`.trim();
    fns.set(k, (fns.get(k) ?? 0) + us);
  }
  const top = (m: Map<string, number>, k: number) => [...m].sort((a, b) => b[1] - a[1]).slice(0, k)
    .map(([name, us]) => ({ name, seconds: Math.round(us / 1e4) / 100, percent: Math.round((us / total) * 1000) / 10 }));
  return { file: path.slice(ROOT.length), seconds: Math.round(total / 1e4) / 100, categories: top(cats, 20), functions: top(fns, 25) };
}

async function main(): Promise<number> {
  const packets = arg('--packets', 1_000_000), seed = arg('--seed', 1), pglitePackets = arg('--pglite-packets', 200_000);
  const withPglite = !flag('--no-pglite'), profile = flag('--profile');
  const { file, generated } = await capture(packets, seed);
  const small = withPglite ? (pglitePackets === packets ? { file } : await capture(pglitePackets, seed)) : null;

  const tag = `pktlens_bench_${process.pid}`;
  const dbs = { ingest: tag, copy: `${tag}_copy`, noidx: `${tag}_noidx` };
  const tmp = `/tmp/pktlens-bench-${process.pid}`;
  const copyFile = join(tmp, 'packets.copy');
  const profDir = join(OUT, `profile-${process.pid}`);

  const admin = new pg.Client({ connectionString: dbUrl(ADMIN_DB), application_name: 'pktlens bench' });
  await admin.connect();
  let cleaned = false;
  const cleanup = async () => {
    if (cleaned) return;
    cleaned = true;
    for (const d of Object.values(dbs)) {
      await admin.query(`DROP DATABASE IF EXISTS ${d} WITH (FORCE)`).catch((e: Error) => process.stderr.write(`cannot drop ${d}: ${e.message}\n`));
    }
    await admin.end().catch(() => {});
    rmSync(tmp, { recursive: true, force: true });
  };
  const onSignal = (sig: NodeJS.Signals) => {
    process.stderr.write(`\n${sig}: cleaning up ...\n`);
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const results: Result[] = [];
  let ingestChecksum: string | null = null;
  const extra: Record<string, unknown> = {};
  const fromRun = (name: string, cmd: string[], n: number, x: RunResult): Result => {
    const r: Result = { name, command: showCommand(cmd), ok: x.code === 0, packets: n, seconds: x.seconds, maxRssKb: x.maxRssKb };
    if (x.userSeconds !== undefined && x.systemSeconds !== undefined) r.cpuSeconds = Math.round((x.userSeconds + x.systemSeconds) * 100) / 100;
    if (x.code !== 0) r.note = `exit ${x.code}: ${x.stderr.trim().split('\n').slice(-2).join(' | ')}`;
    else r.packetsPerSecond = Math.round(n / x.seconds);
    return r;
  };
  const checkpoint = () => admin.query('CHECKPOINT');
  const createDb = async (d: string) => {
    await admin.query(`DROP DATABASE IF EXISTS ${d} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${d}`);
  };
  const dropDb = (d: string) => admin.query(`DROP DATABASE IF EXISTS ${d} WITH (FORCE)`);

  try {
    mkdirSync(tmp, { recursive: true });
    chmodSync(tmp, 0o755); // the server process reads the COPY file
    const settings = await admin.query<{ name: string; setting: string; unit: string | null }>(
      `SELECT name, setting, unit FROM pg_settings WHERE name IN ('server_version', 'shared_buffers', 'max_wal_size', 'synchronous_commit', 'fsync', 'wal_level', 'wal_compression', 'full_page_writes', 'checkpoint_timeout', 'max_worker_processes')`,
    );
    extra.server = Object.fromEntries(settings.rows.map((r) => [r.name, r.unit ? `${r.setting} ${r.unit}` : r.setting]));

    // c. decode alone, first: it also brings the capture into the page cache for everyone after it
    {
      const cmd = [process.execPath, PKTLENS, 'decode', '-r', file, '-T', 'fields', '-e', 'frame.number'];
      process.stderr.write('running pktlens decode ...\n');
      const load = otherLoad();
      const r = fromRun('pktlens decode (decode only)', cmd, packets, await run(cmd));
      r.otherCpuCores = load(r.cpuSeconds ?? 0);
      results.push(r);
    }

    // a. pktlens ingest into the server, schema as it is
    {
      await createDb(dbs.ingest);
      await checkpoint();
      const nodeArgs = profile ? ['--cpu-prof', '--cpu-prof-dir', profDir] : [];
      const cmd = [process.execPath, ...nodeArgs, PKTLENS, 'ingest', file];
      const env = { ...process.env, DATABASE_URL: dbUrl(dbs.ingest) };
      process.stderr.write(`running pktlens ingest into ${dbs.ingest}${profile ? ' (profiled)' : ''} ...\n`);
      const sampler = new ServerSampler(admin, dbs.ingest);
      const load = otherLoad();
      sampler.start();
      const x = await run(cmd, true, { env });
      const server = await sampler.stop();
      const r = fromRun(`pktlens ingest (PostgreSQL)${profile ? ' [--cpu-prof]' : ''}`, cmd, packets, x);
      r.otherCpuCores = load((r.cpuSeconds ?? 0) + (server.backendCpuSeconds ?? 0));
      r.command = `DATABASE_URL=${dbUrl(dbs.ingest)} ${r.command}`;
      r.server = server;
      const self = /in ([\d.]+) s \(([\d,]+) packets\/s\)/.exec(x.stdout);
      if (self) r.selfReported = { seconds: Number(self[1]), packetsPerSecond: Number(self[2]!.replace(/,/g, '')) };
      if (r.ok) {
        const c = new pg.Client({ connectionString: dbUrl(dbs.ingest) });
        await c.connect();
        try {
          const q = await c.query<{ n: string; lo: string | null; hi: string | null; parts: string }>(
            `SELECT count(*) AS n, min(frame) AS lo, max(frame) AS hi,
               (SELECT count(*) FROM pg_inherits WHERE inhparent = 'packets'::regclass) AS parts FROM packets`);
          const idx = await c.query<{ name: string; def: string }>(
            `SELECT c.relname AS name, pg_get_indexdef(i.indexrelid) AS def FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = 'packets'::regclass ORDER BY 1`);
          const stored = Number(q.rows[0]!.n);
          r.stored = stored;
          ingestChecksum = await rowsChecksum(c);
          extra.partitions = Number(q.rows[0]!.parts);
          extra.packetIndexes = idx.rows.map((i) => i.def.replace(/ ON ONLY public\.| ON public\./, ' ON '));
          if (stored !== packets || Number(q.rows[0]!.lo) !== 1 || Number(q.rows[0]!.hi) !== packets) {
            r.ok = false;
            r.note = `stored ${stored} packets (frames ${q.rows[0]!.lo}..${q.rows[0]!.hi}), expected ${packets}`;
          }
        } finally {
          await c.end();
        }
      }
      if (r.ok) {
        const cpu = r.cpuSeconds !== undefined ? `node CPU ${r.cpuSeconds.toFixed(1)} s` : '';
        const be = server.backendCpuSeconds !== null ? `backends CPU ${server.backendCpuSeconds.toFixed(1)} s` : '';
        r.note = [cpu, be, self ? `self-reported ${self[1]} s` : ''].filter(Boolean).join(', ');
      }
      results.push(r);
      await dropDb(dbs.ingest);
      if (profile && existsSync(profDir)) {
        const f = readdirSync(profDir).filter((n) => n.endsWith('.cpuprofile')).map((n) => join(profDir, n)).sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
        if (f) extra.profile = summarizeProfile(f);
      }
    }

    // sha256 of the file: part of every ingest's time (the file is recognised by it)
    {
      const t = performance.now();
      await sha256File(file);
      extra.sha256Seconds = Math.round((performance.now() - t) / 10) / 100;
    }

    // b. PostgreSQL's own COPY of the same rows
    process.stderr.write(`pre-rendering the rows pktlens writes into ${copyFile} ...\n`);
    const pre = await prerender(file, copyFile, 1);
    extra.prerender = {
      file: copyFile, rows: pre.rows, bytes: pre.bytes, days: pre.days.length,
      seconds: Math.round(pre.seconds * 100) / 100, writeSeconds: Math.round(pre.writeSeconds * 100) / 100,
    };
    if (pre.rows !== packets) throw new Error(`pre-rendered ${pre.rows} rows, expected ${packets}`);
    const copySql = `COPY packets (${PACKET_COLUMNS.join(', ')}) FROM '${copyFile}' WITH (FORMAT binary)`;
    for (const [d, name, dropIndexes] of [[dbs.copy, 'PostgreSQL COPY (same table, same indexes)', false], [dbs.noidx, 'PostgreSQL COPY (same table, no indexes)', true]] as const) {
      await createDb(d);
      const db = await openDb({ url: dbUrl(d), application: 'pktlens bench' }); // migrations: the same schema
      try {
        if (dropIndexes) {
          const idx = await db.query<{ name: string }>(`SELECT indexrelid::regclass::text AS name FROM pg_index WHERE indrelid = 'packets'::regclass`);
          for (const { name: i } of idx.rows) await db.query(`DROP INDEX ${i}`);
        }
        for (const day of pre.days) await db.transaction((tx) => ensurePartition(tx, day));
      } finally {
        await db.close();
      }
      await checkpoint();
      const c = new pg.Client({ connectionString: dbUrl(d), application_name: 'pktlens bench copy' });
      await c.connect();
      process.stderr.write(`running ${name} into ${d} ...\n`);
      try {
        const pid = Number((await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid);
        const cpu0 = procCpu(pid);
        const load = otherLoad();
        const t = performance.now();
        const q = await c.query(copySql);
        const seconds = (performance.now() - t) / 1000;
        const cpu1 = procCpu(pid);
        const r: Result = { name, command: `psql ${d} -c "COPY packets (<${PACKET_COLUMNS.length} columns>) FROM '${copyFile}' WITH (FORMAT binary)"`,
          ok: q.rowCount === packets, packets, seconds: Math.round(seconds * 100) / 100, packetsPerSecond: Math.round(packets / seconds) };
        if (cpu0 !== undefined && cpu1 !== undefined) r.cpuSeconds = Math.round((cpu1 - cpu0) * 100) / 100;
        r.otherCpuCores = load(r.cpuSeconds ?? 0);
        r.note = r.ok ? `server-side, one statement${r.cpuSeconds !== undefined ? `; backend CPU ${r.cpuSeconds.toFixed(1)} s` : ''}` : `COPY stored ${q.rowCount} rows, expected ${packets}`;
        if (r.ok && ingestChecksum !== null) {
          r.sameRowsAsIngest = (await rowsChecksum(c)) === ingestChecksum;
          r.note += r.sameRowsAsIngest ? '; rows = ingest\'s (checksum)' : '; rows DIFFER from what pktlens ingest stored';
        }
        results.push(r);
      } finally {
        await c.end();
      }
      await dropDb(d);
    }
    rmSync(copyFile, { force: true });

    // d. PGlite
    if (small) {
      const dir = join(tmp, 'pglite');
      const cmd = [process.execPath, PKTLENS, 'ingest', small.file, '--data', dir];
      const env = { ...process.env };
      delete env.DATABASE_URL;
      process.stderr.write(`running pktlens ingest into PGlite (${fmt(pglitePackets)} packets) ...\n`);
      const load = otherLoad();
      const x = await run(cmd, true, { env });
      const r = fromRun(`pktlens ingest (PGlite, ${fmt(pglitePackets)} packets)`, cmd, pglitePackets, x);
      r.otherCpuCores = load(r.cpuSeconds ?? 0);
      const self = /in ([\d.]+) s \(([\d,]+) packets\/s\)/.exec(x.stdout);
      if (self) r.selfReported = { seconds: Number(self[1]), packetsPerSecond: Number(self[2]!.replace(/,/g, '')) };
      if (r.ok) r.note = `smaller capture; wall includes creating the data folder${self ? `; self-reported ${self[1]} s (${self[2]} packets/s)` : ''}`;
      results.push(r);
      rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await cleanup();
  }

  // report
  const get = (prefix: string) => results.find((r) => r.name.startsWith(prefix) && r.ok)?.packetsPerSecond;
  const ingest = get('pktlens ingest (PostgreSQL)'), copyIdx = get('PostgreSQL COPY (same table, same'), copyNo = get('PostgreSQL COPY (same table, no');
  const decode = get('pktlens decode'), pglite = get('pktlens ingest (PGlite');
  const ratio = (a?: number, b?: number) => (a && b ? Math.round((a / b) * 1000) / 1000 : null);
  const ratios = {
    'ingest/COPY (same table, same indexes)': ratio(ingest, copyIdx),
    'ingest packets/s': ingest ?? null,
    [`ingest/original design (${ORIGINAL_PPS} packets/s)`]: ratio(ingest, ORIGINAL_PPS),
    'COPY no indexes/with indexes': ratio(copyNo, copyIdx),
    'ingest/decode only': ratio(ingest, decode),
    'PGlite ingest/server ingest': ratio(pglite, ingest),
  };
  const targets: Record<string, { target: string; met: boolean | null }> = {
    'ingest/COPY (same table, same indexes)': { target: `>= ${TARGETS.copyRatio}`, met: ratios['ingest/COPY (same table, same indexes)'] === null ? null : ratios['ingest/COPY (same table, same indexes)']! >= TARGETS.copyRatio },
    'ingest packets/s': { target: `>= ${fmt(TARGETS.packetsPerSecond)}`, met: ingest === undefined ? null : ingest >= TARGETS.packetsPerSecond },
    [`ingest/original design (${ORIGINAL_PPS} packets/s)`]: { target: `>= ${TARGETS.vsOriginal}x`, met: ingest === undefined ? null : ingest / ORIGINAL_PPS >= TARGETS.vsOriginal },
  };

  const size = statSync(file).size;
  console.log(`\ningest benchmark: ${file.slice(ROOT.length)} — ${packets.toLocaleString('en-US')} packets, ${(size / 1e6).toFixed(0)} MB; PostgreSQL ${String((extra.server as Record<string, string>).server_version)} at ${SERVER}`);
  const rows = [['tool', 'wall s', 'packets/s', 'peak RSS MB', 'CPU s', 'note'],
    ...results.map((r) => [r.name, r.seconds?.toFixed(2) ?? '-', r.packetsPerSecond?.toLocaleString('en-US') ?? '-',
      r.maxRssKb ? (r.maxRssKb / 1024).toFixed(0) : '-', r.cpuSeconds?.toFixed(1) ?? '-', r.ok ? r.note ?? '' : r.note ?? 'failed'])];
  printTable(rows, [1, 2, 3, 4]);
  const busy = results.filter((r) => typeof r.otherCpuCores === 'number' && r.otherCpuCores > 0.15);
  if (busy.length) {
    console.log(`\nWARNING: the machine was not quiet — other processes used ${busy.map((r) => `${String(r.otherCpuCores)} cores during "${r.name}"`).join(', ')}`
      + ` (of ${availableParallelism()}); those figures are too low. Run again on an idle machine.`);
  }
  if (extra.packetIndexes) console.log(`\npackets indexes (schema as-is): ${(extra.packetIndexes as string[]).map((d) => d.replace(/^CREATE INDEX /, '')).join('; ')}`);
  const pre = extra.prerender as { rows: number; bytes: number; seconds: number } | undefined;
  if (pre) console.log(`COPY file: ${fmt(pre.rows)} rows, ${(pre.bytes / 1e6).toFixed(0)} MB, pre-rendered in ${pre.seconds.toFixed(1)} s (preparation, not a reference figure)`);
  if (extra.sha256Seconds !== undefined) console.log(`sha256 of the capture (part of ingest's time): ${String(extra.sha256Seconds)} s`);
  const ing = results.find((r) => r.name.startsWith('pktlens ingest (PostgreSQL)'));
  const sv = ing?.server as Awaited<ReturnType<ServerSampler['stop']>> | undefined;
  if (ing?.ok && sv) {
    console.log(`\nwhere the ingest's time goes (wall ${ing.seconds?.toFixed(1)} s):`);
    if (ing.cpuSeconds !== undefined) console.log(`  node process CPU (user+sys, all threads)  ${ing.cpuSeconds.toFixed(1)} s  (${Math.round((ing.cpuSeconds / ing.seconds!) * 100)}% of wall)`);
    if (sv.backendCpuSeconds !== null) console.log(`  postgres backends CPU (${sv.backends} connections)    ${sv.backendCpuSeconds.toFixed(1)} s  (${Math.round((sv.backendCpuSeconds / ing.seconds!) * 100)}% of wall)`);
    console.log(`  auxiliary processes CPU: ${Object.entries(sv.auxCpuSeconds).map(([k, v]) => `${k} ${v} s`).join(', ') || 'n/a'}`);
    console.log(`  samples (${sv.samples} every ${sv.intervalMs} ms): a backend on CPU in ${sv.percentSamplesBackendOnCpu}%, a backend active in ${sv.percentSamplesBackendActive}%; other databases' active backends on average ${sv.otherDatabasesActiveBackendsMean}`);
    console.log(`  backend states: ${Object.entries(sv.backendStatesPercent).map(([k, v]) => `${k} ${v}%`).join(', ')}`);
  }
  const prof = extra.profile as ReturnType<typeof summarizeProfile> | undefined;
  if (prof) {
    console.log(`\nmain-thread profile of the ingest (${prof.file}, ${prof.seconds} s sampled):`);
    for (const c of prof.categories.slice(0, 12)) console.log(`  ${c.percent.toFixed(1).padStart(5)}%  ${c.seconds.toFixed(2).padStart(6)} s  ${c.name}`);
    console.log('  top functions (self time):');
    for (const f of prof.functions.slice(0, 15)) console.log(`  ${f.percent.toFixed(1).padStart(5)}%  ${f.seconds.toFixed(2).padStart(6)} s  ${f.name}`);
  }
  console.log('\nratios (the issue\'s targets):');
  for (const [k, v] of Object.entries(ratios)) {
    const t = targets[k];
    const shown = v === null ? 'n/a' : k === 'ingest packets/s' ? fmt(v) : k.startsWith('ingest/original') ? `${Math.round(v)}x` : `${v}`;
    console.log(`  ${k.padEnd(42)} ${shown.padStart(9)}${t ? `   target ${t.target}: ${t.met === null ? 'n/a' : t.met ? 'met' : 'NOT met'}` : ''}`);
  }

  const report = { date: new Date().toISOString(), node: process.version, file: file.slice(ROOT.length), packets, bytes: size, seed,
    generatedSeconds: generated ?? null, timing: existsSync(GNU_TIME) ? 'gnu-time' : 'wall-clock', batchFrames: BATCH_FRAMES,
    pglitePackets: small ? pglitePackets : null, profiled: profile, ...extra, results, ratios, targets };
  writeFileSync(join(OUT, 'ingest.json'), `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nwrote ${join(OUT, 'ingest.json').slice(ROOT.length)}`);
  return results.every((r) => r.ok) ? 0 : 1;
}

process.exitCode = await main();
