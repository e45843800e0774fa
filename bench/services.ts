// `npm run bench:services`: five processes against one, in the same run, on the same capture and server.
//
//   node dist/bench/services.js [--packets N] [--seed N] [--repeat N] [--profile DIR]   defaults: 500,000 packets, seed 1, 1 round
//   --repeat N      N rounds (the order of the two runs alternating), each round's rates and ratio, and the median ratio
//   --profile DIR   the five processes write CPU profiles (bench/cpu-prof.ts) to DIR
//   PKTLENS_BENCH_SERVER  PostgreSQL server (default postgres://postgres@127.0.0.1:5432); databases are made and dropped
//
// a. `pktlens ingest FILE` (one process: decode → COPY) into a fresh database;
// b. `pktlens serve --target persistor`, `--target parser` (and analyzer, ui) as separate processes, then
//    `pktlens capture -r FILE`, timed from the capture's start to its exit (every batch acknowledged = stored),
//    into another fresh database. Both then hold the same packets (checked).
// Results on stdout and in bench/out/services.json.

import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { arg, capture, OUT, printTable, ROOT, run } from './common.js';
import { Stack, metric } from '../test/services/stack.js';

const SERVER = (process.env.PKTLENS_BENCH_SERVER ?? 'postgres://postgres@127.0.0.1:5432').replace(/\/+$/, '');
const TARGET = 0.5;

async function admin(sql: string): Promise<void> {
  const c = new pg.Client(`${SERVER}/test`);
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

async function count(url: string): Promise<number> {
  const c = new pg.Client(url);
  await c.connect();
  try {
    return Number((await c.query<{ n: string }>('SELECT count(*) AS n FROM packets')).rows[0].n);
  } finally {
    await c.end();
  }
}

/** CPU seconds (user + system) of each PostgreSQL server process, by pid (empty when /proc cannot tell). */
function postgresCpu(): Map<string, number> {
  const out = new Map<string, number>();
  try {
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
        if (!st.includes('(postgres)')) continue;
        const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
        out.set(pid, (Number(f[11]) + Number(f[12])) / 100);
      } catch { /* gone */ }
    }
  } catch { /* no /proc */ }
  return out;
}

/** CPU seconds the server processes alive now used since `before` (new backends from 0; ended ones are missed). */
function postgresCpuSince(before: Map<string, number>): number {
  let s = 0;
  for (const [pid, v] of postgresCpu()) s += v - (before.get(pid) ?? 0);
  return s;
}

interface Round {
  one: { seconds: number; pps: number; cpu: number; rssMb: number | null };
  five: { seconds: number; pps: number; cpu: Record<string, number> };
  ratio: number;
}

async function main(): Promise<void> {
  const packets = arg('--packets', 500_000), seed = arg('--seed', 1), repeat = arg('--repeat', 1);
  const { file } = await capture(packets, seed);
  const dbs = [`pktlens_bench_svc_${process.pid}_one`, `pktlens_bench_svc_${process.pid}_five`];
  const cleanup = async () => {
    for (const d of dbs) await admin(`DROP DATABASE IF EXISTS ${d} WITH (FORCE)`).catch(() => {});
  };
  process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));
  const pi = process.argv.indexOf('--profile');
  const prof = pi > 0 ? resolve(process.argv[pi + 1]!) : null;
  const [oneUrl, fiveUrl] = dbs.map((d) => `${SERVER}/${d}`);
  const runOne = async () => {
    process.stderr.write('running pktlens ingest (one process) ...\n');
    const one = await run([process.execPath, join(ROOT, 'bin', 'pktlens.js'), 'ingest', file], false, { env: { ...process.env, DATABASE_URL: oneUrl } });
    if (one.code !== 0) throw new Error(`ingest failed: ${one.stderr}`);
    return one;
  };
  const runFive = async () => {
    process.stderr.write('running five processes (serve ×4 + capture -r) ...\n');
    const stack = new Stack(fiveUrl, prof ? { NODE_OPTIONS: `--import=${join(ROOT, 'dist', 'bench', 'cpu-prof.js')}`, PKTLENS_CPU_PROF_DIR: prof } : {});
    try {
      await stack.start();
      const pg0 = postgresCpu();
      const five = await run([process.execPath, join(ROOT, 'bin', 'pktlens.js'), 'capture', '-r', file], false, { env: stack.env });
      if (five.code !== 0) throw new Error(`capture failed: ${five.stderr}`);
      const cpu = {
        capture: (five.userSeconds ?? NaN) + (five.systemSeconds ?? NaN),
        parser: await metric(stack.url('parser'), 'pktlens_process_cpu_seconds_total'),
        persistor: await metric(stack.url('persistor'), 'pktlens_process_cpu_seconds_total'),
        postgres: postgresCpuSince(pg0),
      };
      return { five, cpu };
    } finally {
      await stack.stop();
    }
  };
  const rounds: Round[] = [];
  try {
    for (let i = 0; i < repeat; i++) {
      await cleanup();
      for (const d of dbs) await admin(`CREATE DATABASE ${d}`);
      // odd rounds run the five processes first, so that a machine getting busier or quieter favours neither
      let one, five;
      if (i % 2 === 0) {
        one = await runOne();
        five = await runFive();
      } else {
        five = await runFive();
        one = await runOne();
      }
      const [n1, n5] = [await count(oneUrl), await count(fiveUrl)];
      if (n1 !== packets || n5 !== packets) throw new Error(`stored ${n1} (one process) and ${n5} (five), expected ${packets}`);
      const pps1 = packets / one.seconds, pps5 = packets / five.five.seconds;
      rounds.push({
        one: { seconds: one.seconds, pps: pps1, cpu: (one.userSeconds ?? NaN) + (one.systemSeconds ?? NaN), rssMb: one.maxRssKb ? Math.round(one.maxRssKb / 1024) : null },
        five: { seconds: five.five.seconds, pps: pps5, cpu: five.cpu },
        ratio: pps5 / pps1,
      });
    }
    console.log(`\nservices benchmark: ${file} — ${packets.toLocaleString('en-US')} packets; PostgreSQL at ${SERVER}`);
    printTable([
      ['round', 'one process s', 'packets/s', 'five processes s', 'packets/s', 'five/one', 'CPU s: ingest | capture parser persistor postgres*'],
      ...rounds.map((r, i) => [
        String(i + 1), r.one.seconds.toFixed(2), Math.round(r.one.pps).toLocaleString('en-US'), r.five.seconds.toFixed(2), Math.round(r.five.pps).toLocaleString('en-US'),
        r.ratio.toFixed(3), `${r.one.cpu.toFixed(1)} | ${Object.values(r.five.cpu).map((v) => v.toFixed(1)).join(' ')}`,
      ]),
    ], [1, 2, 3, 4, 5]);
    console.log('* postgres: the server processes alive at the end of the run, other work on the server included');
    const sorted = rounds.map((r) => r.ratio).sort((a, b) => a - b);
    const median = sorted.length % 2 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
    console.log(`\nfive processes / one process  ${rounds.length > 1 ? `median ${median.toFixed(3)} of ${rounds.length} rounds (${sorted[0]!.toFixed(3)}..${sorted[sorted.length - 1]!.toFixed(3)})` : median.toFixed(3)}   target >= ${TARGET}: ${median >= TARGET ? 'met' : 'NOT met'}`);
    writeFileSync(join(OUT, 'services.json'), JSON.stringify({ file, packets, rounds, ratio: median }, null, 2));
  } finally {
    await cleanup();
  }
}

main().catch((e) => {
  console.error(`bench:services: ${(e as Error).message}`);
  process.exitCode = 1;
});
