/** `npm run fuzz [-- COUNT]`: mutate real packets (shared captures + the sample) and decode them. */
import { readdirSync, existsSync } from 'node:fs';
import { fuzz, loadFrames } from '../src/fuzz/mutate.js';

const count = Number(process.argv[2] ?? 1_000_000);
const shared = new URL('../../../shared/pcaps/', import.meta.url).pathname;
const sample = new URL('../../samples/sample.pcap', import.meta.url).pathname;
const files = [
  ...(existsSync(sample) ? [sample] : []),
  ...(existsSync(shared) ? readdirSync(shared).filter((f) => /\.(pcap|pcapng|gz)$/.test(f)).map((f) => shared + f) : []),
];
const corpus = await loadFrames(files);
console.log(`fuzz: ${corpus.reduce((a, c) => a + c.frames.length, 0)} seed frames from ${files.length} captures, ${count} mutations`);
const r = fuzz(corpus, count, Number(process.env.SEED ?? 1));
console.log(`fuzz: ${r.packets} packets in ${r.elapsed.toFixed(1)} s (${Math.round(r.packets / r.elapsed)} pps), slowest ${r.slowest.toFixed(1)} ms, RSS ${r.rssStartMB.toFixed(0)} → ${r.rssEndMB.toFixed(0)} MB, decoder exceptions ${r.exceptions.length}`);
for (const e of r.exceptions.slice(0, 10)) console.log(`  ${e.file} #${e.frame}: ${e.error.split('\n').slice(0, 3).join(' | ')}\n    ${e.hex.slice(0, 200)}`);
process.exitCode = r.exceptions.length || r.slowest > 1000 ? 1 : 0;
