// `npm run bench:decode`: decoding throughput of pktlens against tshark and tcpdump on the same capture, in one run.
//
//   node dist/bench/decode.js [--packets N] [--seed N]      (defaults: 1,000,000 packets, seed 1)
//
// The capture comes from the project's generator and is cached in bench/out/ (gitignored) with a small manifest;
// it is regenerated when missing or when the manifest does not match. Each tool runs as a child process under
// GNU time (`/usr/bin/time -f '%e %M'`) for wall time and peak RSS; without it, wall time is measured here and peak
// RSS is reported for node children only. Results: a table on stdout and bench/out/decode.json.

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate } from '../src/gen/generate.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));   // dist/bench/ → project root
const OUT = join(ROOT, 'bench', 'out');
const GNU_TIME = '/usr/bin/time';
/** Bump when the generator's output changes, so cached captures are rebuilt. */
const GENERATOR_VERSION = 1;

interface Result {
  name: string;
  command: string;
  ok: boolean;
  seconds?: number;
  packetsPerSecond?: number;
  maxRssKb?: number;
  note?: string;
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isSafeInteger(v) || v <= 0) throw new Error(`${name} needs a positive integer`);
  return v;
}

async function capture(packets: number, seed: number): Promise<{ file: string; generated?: number }> {
  mkdirSync(OUT, { recursive: true });
  const file = join(OUT, `gen-${packets}-s${seed}.pcap`);
  const manifest = `${file}.json`;
  try {
    const m = JSON.parse(readFileSync(manifest, 'utf8')) as { version: number; packets: number; bytes: number };
    if (m.version === GENERATOR_VERSION && m.packets === packets && statSync(file).size === m.bytes) return { file };
  } catch { /* missing or stale: regenerate */ }
  process.stderr.write(`generating ${packets} packets (seed ${seed}) into ${file} ...\n`);
  const start = performance.now();
  const r = await generate({ out: file, packets, seed });
  const generated = (performance.now() - start) / 1000;
  writeFileSync(manifest, JSON.stringify({ version: GENERATOR_VERSION, packets: r.packets, bytes: r.bytes, seed }));
  process.stderr.write(`generated in ${generated.toFixed(1)} s (${Math.round(r.packets / generated)} packets/s)\n`);
  return { file, generated };
}

/** Runs a command with stdout discarded; returns wall seconds, peak RSS and the child's own stdout if wanted. */
function run(cmd: string[], keepStdout = false): Promise<{ code: number; seconds: number; maxRssKb?: number; stdout: string; stderr: string }> {
  const timeFile = join(tmpdir(), `pktlens-bench-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const gnuTime = existsSync(GNU_TIME);
  const isNode = cmd[0] === process.execPath;
  const argv = gnuTime ? [GNU_TIME, '-f', '%e %M', '-o', timeFile, ...cmd]
    : isNode ? [cmd[0]!, '--import', `data:text/javascript,import fs from "node:fs";process.on("exit",()=>fs.writeFileSync(${JSON.stringify(timeFile)},String(process.resourceUsage().maxRSS)))`, ...cmd.slice(1)]
    : cmd;
  return new Promise((resolve) => {
    const start = performance.now();
    const child = spawn(argv[0]!, argv.slice(1), { cwd: ROOT, stdio: ['ignore', keepStdout ? 'pipe' : 'ignore', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout?.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr?.on('data', (d: Buffer) => { if (stderr.length < 4000) stderr += d.toString(); });
    const finish = (code: number) => {
      let seconds = (performance.now() - start) / 1000, maxRssKb: number | undefined;
      try {
        const parts = readFileSync(timeFile, 'utf8').trim().split(/\s+/);
        if (gnuTime) {
          // GNU time may prepend "Command exited with non-zero status N"; the figures are on the last line.
          const [e, m] = parts.slice(-2).map(Number);
          if (Number.isFinite(e)) seconds = e!;
          if (Number.isFinite(m)) maxRssKb = m;
        } else maxRssKb = Number(parts[0]);
        rmSync(timeFile, { force: true });
      } catch { /* no figures: keep the wall clock */ }
      resolve({ code, seconds, maxRssKb, stdout, stderr });
    };
    child.on('error', (e) => { stderr += e.message; finish(127); });
    child.on('close', (code) => finish(code ?? 1));
  });
}

function onPath(tool: string): boolean {
  return (process.env.PATH ?? '').split(':').some((d) => d && existsSync(join(d, tool)));
}

async function main(): Promise<void> {
  const packets = arg('--packets', 1_000_000), seed = arg('--seed', 1);
  const { file, generated } = await capture(packets, seed);
  const fields = ['-T', 'fields', '-e', 'ip.src', '-e', 'ip.dst', '-e', '_ws.col.Protocol'];
  const runs: { name: string; cmd: string[]; available: boolean; core?: boolean }[] = [
    { name: 'pktlens decode', cmd: [process.execPath, join(ROOT, 'bin', 'pktlens.js'), 'decode', '-r', file, ...fields], available: true },
    { name: 'pktlens core', cmd: [process.execPath, join(ROOT, 'dist', 'bench', 'decode-core.js'), file], available: true, core: true },
    { name: 'tshark', cmd: ['tshark', '-n', '-r', file, ...fields], available: onPath('tshark') },
    { name: 'tcpdump', cmd: ['tcpdump', '-nr', file], available: onPath('tcpdump') },
  ];
  const results: Result[] = [];
  for (const r of runs) {
    const command = r.cmd.map((a) => (a === process.execPath ? 'node' : a.startsWith(ROOT) ? a.slice(ROOT.length) : a)).join(' ');
    if (!r.available) { results.push({ name: r.name, command, ok: false, note: 'not installed' }); continue; }
    process.stderr.write(`running ${r.name} ...\n`);
    const x = await run(r.cmd, r.core);
    const res: Result = { name: r.name, command, ok: x.code === 0, seconds: x.seconds, maxRssKb: x.maxRssKb };
    if (r.core && x.code === 3) { res.ok = false; res.note = 'core benchmark unavailable (src/dissect/run.js missing)'; delete res.seconds; }
    else if (x.code !== 0) res.note = `exit ${x.code}: ${x.stderr.trim().split('\n').slice(-2).join(' | ')}`;
    else if (r.core) {
      // The core pass times itself too, without process start-up and module loading.
      try { const j = JSON.parse(x.stdout.trim().split('\n').pop()!) as { seconds: number; packets: number }; res.note = `in-process ${j.seconds.toFixed(2)} s, ${j.packets} packets`; } catch { /* keep wall */ }
    }
    if (res.ok && res.seconds) res.packetsPerSecond = Math.round(packets / res.seconds);
    results.push(res);
  }

  const pps = (name: string) => results.find((r) => r.name === name && r.ok)?.packetsPerSecond;
  const ratio = (a?: number, b?: number) => (a && b ? Math.round((a / b) * 100) / 100 : null);
  const ratios = {
    'pktlens/tshark': ratio(pps('pktlens decode'), pps('tshark')),
    'pktlens/tcpdump': ratio(pps('pktlens decode'), pps('tcpdump')),
    'core/tshark': ratio(pps('pktlens core'), pps('tshark')),
    'core/tcpdump': ratio(pps('pktlens core'), pps('tcpdump')),
  };

  const size = statSync(file).size;
  console.log(`\ndecode benchmark: ${file.slice(ROOT.length)} — ${packets.toLocaleString('en-US')} packets, ${(size / 1e6).toFixed(0)} MB`);
  const rows = [['tool', 'wall s', 'packets/s', 'peak RSS MB', 'note'],
    ...results.map((r) => [r.name, r.seconds?.toFixed(2) ?? '-', r.packetsPerSecond?.toLocaleString('en-US') ?? '-',
      r.maxRssKb ? (r.maxRssKb / 1024).toFixed(0) : '-', r.ok ? r.note ?? '' : r.note ?? 'failed'])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  for (const row of rows) console.log(row.map((c, i) => (i === 1 || i === 2 || i === 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd());
  console.log('\nthroughput ratios (higher = pktlens faster):');
  for (const [k, v] of Object.entries(ratios)) console.log(`  ${k.padEnd(16)} ${v === null ? 'n/a' : `${v}x`}`);

  const report = { date: new Date().toISOString(), node: process.version, file: file.slice(ROOT.length), packets, bytes: size, seed,
    generatedSeconds: generated ?? null, timing: existsSync(GNU_TIME) ? 'gnu-time' : 'wall-clock', results, ratios };
  writeFileSync(join(OUT, 'decode.json'), `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nwrote ${join(OUT, 'decode.json').slice(ROOT.length)}`);
}

await main();
