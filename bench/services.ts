// `npm run bench:services`: five processes against one, in the same run, on the same capture and server.
//
//   node dist/bench/services.js [--packets N] [--seed N]      defaults: 500,000 packets, seed 1
//   PKTLENS_BENCH_SERVER  PostgreSQL server (default postgres://postgres@127.0.0.1:5432); databases are made and dropped
//
// a. `pktlens ingest FILE` (one process: decode → COPY) into a fresh database;
// b. `pktlens serve --target persistor`, `--target parser` (and analyzer, ui) as separate processes, then
//    `pktlens capture -r FILE`, timed from the capture's start to its exit (every batch acknowledged = stored),
//    into another fresh database. Both then hold the same packets (checked).
// Results on stdout and in bench/out/services.json.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { arg, capture, OUT, printTable, ROOT, run } from './common.js';
import { Stack } from '../test/services/stack.js';

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

async function main(): Promise<void> {
  const packets = arg('--packets', 500_000), seed = arg('--seed', 1);
  const { file } = await capture(packets, seed);
  const dbs = [`pktlens_bench_svc_${process.pid}_one`, `pktlens_bench_svc_${process.pid}_five`];
  const cleanup = async () => {
    for (const d of dbs) await admin(`DROP DATABASE IF EXISTS ${d} WITH (FORCE)`).catch(() => {});
  };
  process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));
  try {
    for (const d of dbs) await admin(`CREATE DATABASE ${d}`);
    const [oneUrl, fiveUrl] = dbs.map((d) => `${SERVER}/${d}`);
    process.stderr.write('running pktlens ingest (one process) ...\n');
    const one = await run([process.execPath, join(ROOT, 'bin', 'pktlens.js'), 'ingest', file], false, { env: { ...process.env, DATABASE_URL: oneUrl } });
    if (one.code !== 0) throw new Error(`ingest failed: ${one.stderr}`);
    process.stderr.write('running five processes (serve ×4 + capture -r) ...\n');
    const stack = new Stack(fiveUrl);
    let five;
    try {
      await stack.start();
      five = await run([process.execPath, join(ROOT, 'bin', 'pktlens.js'), 'capture', '-r', file], false, { env: stack.env });
    } finally {
      await stack.stop();
    }
    if (five.code !== 0) throw new Error(`capture failed: ${five.stderr}`);
    const [n1, n5] = [await count(oneUrl), await count(fiveUrl)];
    if (n1 !== packets || n5 !== packets) throw new Error(`stored ${n1} (one process) and ${n5} (five), expected ${packets}`);
    const pps1 = packets / one.seconds, pps5 = packets / five.seconds;
    console.log(`\nservices benchmark: ${file} — ${packets.toLocaleString('en-US')} packets; PostgreSQL at ${SERVER}`);
    printTable([
      ['pipeline', 'wall s', 'packets/s', 'peak RSS MB'],
      ['pktlens ingest (one process)', one.seconds.toFixed(2), Math.round(pps1).toLocaleString('en-US'), one.maxRssKb ? String(Math.round(one.maxRssKb / 1024)) : '-'],
      ['five processes (capture → parser → persistor)', five.seconds.toFixed(2), Math.round(pps5).toLocaleString('en-US'), five.maxRssKb ? `${Math.round(five.maxRssKb / 1024)} (capture)` : '-'],
    ]);
    const ratio = pps5 / pps1;
    console.log(`\nfive processes / one process  ${ratio.toFixed(3)}   target >= ${TARGET}: ${ratio >= TARGET ? 'met' : 'NOT met'}`);
    writeFileSync(join(OUT, 'services.json'), JSON.stringify({ file, packets, one: { seconds: one.seconds, pps: pps1 }, five: { seconds: five.seconds, pps: pps5 }, ratio }, null, 2));
  } finally {
    await cleanup();
  }
}

main().catch((e) => {
  console.error(`bench:services: ${(e as Error).message}`);
  process.exitCode = 1;
});
