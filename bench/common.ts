// Shared by the benchmarks (bench/decode.ts, bench/ingest.ts): the cached generated capture, child processes timed
// with GNU time, command-line integers, PATH lookup and the aligned table printer.

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate } from '../src/gen/generate.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));   // dist/bench/ → project root
export const OUT = join(ROOT, 'bench', 'out');
export const GNU_TIME = '/usr/bin/time';
/** Bump when the generator's output changes, so cached captures are rebuilt. */
export const GENERATOR_VERSION = 1;

/** A positive integer option `name N` from the command line, or the fallback. */
export function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isSafeInteger(v) || v <= 0) throw new Error(`${name} needs a positive integer`);
  return v;
}

/** The generated capture of `packets` packets, cached in bench/out/ with a manifest; `generated` is set when it was (re)built. */
export async function capture(packets: number, seed: number): Promise<{ file: string; generated?: number }> {
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

export interface RunResult {
  code: number;
  seconds: number;
  maxRssKb?: number;
  /** CPU seconds of the child in user and kernel mode (GNU time, or node children without it) */
  userSeconds?: number;
  systemSeconds?: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** environment of the child (default: this process's) */
  env?: NodeJS.ProcessEnv;
}

/** Runs a command with stdout discarded; returns wall seconds, peak RSS, CPU time and the child's own stdout if wanted. */
export function run(cmd: string[], keepStdout = false, opts: RunOptions = {}): Promise<RunResult> {
  const timeFile = join(tmpdir(), `pktlens-bench-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const gnuTime = existsSync(GNU_TIME);
  const isNode = cmd[0] === process.execPath;
  const argv = gnuTime ? [GNU_TIME, '-f', '%e %M %U %S', '-o', timeFile, ...cmd]
    : isNode ? [cmd[0]!, '--import', `data:text/javascript,import fs from "node:fs";process.on("exit",()=>{const u=process.resourceUsage();fs.writeFileSync(${JSON.stringify(timeFile)},[u.maxRSS,u.userCPUTime/1e6,u.systemCPUTime/1e6].join(" "))})`, ...cmd.slice(1)]
    : cmd;
  return new Promise((resolve) => {
    const start = performance.now();
    const child = spawn(argv[0]!, argv.slice(1), { cwd: ROOT, stdio: ['ignore', keepStdout ? 'pipe' : 'ignore', 'pipe'], env: opts.env ?? process.env });
    let stdout = '', stderr = '';
    child.stdout?.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr?.on('data', (d: Buffer) => { if (stderr.length < 4000) stderr += d.toString(); });
    const finish = (code: number) => {
      let seconds = (performance.now() - start) / 1000, maxRssKb: number | undefined, userSeconds: number | undefined, systemSeconds: number | undefined;
      try {
        const text = readFileSync(timeFile, 'utf8').trim();
        if (gnuTime) {
          // GNU time may prepend "Command exited with non-zero status N"; the figures are on the last line.
          const [e, m, u, s] = text.split('\n').pop()!.trim().split(/\s+/).map(Number);
          if (Number.isFinite(e)) seconds = e!;
          if (Number.isFinite(m)) maxRssKb = m;
          if (Number.isFinite(u)) userSeconds = u;
          if (Number.isFinite(s)) systemSeconds = s;
        } else {
          const [m, u, s] = text.split(/\s+/).map(Number);
          maxRssKb = m;
          if (Number.isFinite(u)) userSeconds = u;
          if (Number.isFinite(s)) systemSeconds = s;
        }
        rmSync(timeFile, { force: true });
      } catch { /* no figures: keep the wall clock */ }
      resolve({ code, seconds, maxRssKb, userSeconds, systemSeconds, stdout, stderr });
    };
    child.on('error', (e) => { stderr += e.message; finish(127); });
    child.on('close', (code) => finish(code ?? 1));
  });
}

export function onPath(tool: string): boolean {
  return (process.env.PATH ?? '').split(':').some((d) => d && existsSync(join(d, tool)));
}

/** Print rows (the first is the header) in aligned columns; the columns in `right` are right-aligned (numbers). */
export function printTable(rows: string[][], right: number[] = [1, 2, 3]): void {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  for (const row of rows) console.log(row.map((c, i) => (right.includes(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd());
}

/** A command line for reports: node for this node, paths relative to the project root. */
export function showCommand(cmd: string[]): string {
  return cmd.map((a) => (a === process.execPath ? 'node' : a.startsWith(ROOT) ? a.slice(ROOT.length) : a)).join(' ');
}
