// `npm run bench:decode`: decoding throughput of pktlens against tshark and tcpdump on the same capture, in one run.
//
//   node dist/bench/decode.js [--packets N] [--seed N]      (defaults: 1,000,000 packets, seed 1)
//
// The capture comes from the project's generator and is cached in bench/out/ (gitignored) with a small manifest;
// it is regenerated when missing or when the manifest does not match. Each tool runs as a child process under
// GNU time (`/usr/bin/time -f '%e %M %U %S'`) for wall time and peak RSS; without it, wall time is measured here and peak
// RSS is reported for node children only. Results: a table on stdout and bench/out/decode.json.

import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { arg, capture, GNU_TIME, onPath, OUT, printTable, ROOT, run, showCommand } from './common.js';

interface Result {
  name: string;
  command: string;
  ok: boolean;
  seconds?: number;
  packetsPerSecond?: number;
  maxRssKb?: number;
  note?: string;
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
    const command = showCommand(r.cmd);
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
  printTable(rows);
  console.log('\nthroughput ratios (higher = pktlens faster):');
  for (const [k, v] of Object.entries(ratios)) console.log(`  ${k.padEnd(16)} ${v === null ? 'n/a' : `${v}x`}`);

  const report = { date: new Date().toISOString(), node: process.version, file: file.slice(ROOT.length), packets, bytes: size, seed,
    generatedSeconds: generated ?? null, timing: existsSync(GNU_TIME) ? 'gnu-time' : 'wall-clock', results, ratios };
  writeFileSync(join(OUT, 'decode.json'), `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nwrote ${join(OUT, 'decode.json').slice(ROOT.length)}`);
}

await main();
