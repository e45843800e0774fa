/** `pktlens ingest` as a script runs it (output on pipes), on both back ends. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { backendTest } from './backends.js';
import { PCAPS, runPktlens, tsharkFrameCounts, walkPcap, rows, type RunResult } from './util.js';

const GOOD = 'gopacket-test202.pcapng';
const CUSTOM_BLOCKS = 3; // tshark lists them as frames, pktlens skips them
const DAMAGED = 'suri-smtp-to-comma-10.7.29.101_49898-178.63.41.150_25.pcap';

const fmt = (n: number) => n.toLocaleString('en-US');
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function assertNoProgressBar(r: RunResult): void {
  for (const [name, s] of [['stdout', r.out], ['stderr', r.err]] as const) {
    assert.doesNotMatch(s, /\r|\x1b\[|ETA|MB\/s/, `${name} has progress-bar output on a pipe: ${JSON.stringify(s.slice(0, 300))}`);
  }
}

backendTest('pktlens ingest on a pipe: report, no progress bar, exit 2 on damage, "already stored" next time, --force', { timeout: 90_000 }, async (_t, env) => {
  const tshark = tsharkFrameCounts();
  const goodN = tshark.get(GOOD)! - CUSTOM_BLOCKS;
  const dmg = walkPcap(PCAPS + DAMAGED);
  assert.ok(dmg.end < dmg.fileSize);
  assert.equal(dmg.packets, tshark.get(DAMAGED));
  const args = (...a: string[]) => ['ingest', ...a, ...env.cliArgs()];

  // 1. a good file and a damaged one
  const r1 = await runPktlens(args(PCAPS + GOOD, PCAPS + DAMAGED), env.cliEnv(), env.tmp);
  assert.equal(r1.code, 2, `exit status 2 for a damaged capture\n${r1.err}`);
  assertNoProgressBar(r1);
  assert.match(r1.err, /storing into /);
  assert.match(r1.out, new RegExp(`${esc(GOOD)}: stored ${fmt(goodN)} packets as capture #(\\d+) "${esc(GOOD)}" in [\\d.]+ s \\([\\d,]+ packets/s\\)`));
  assert.match(r1.out, new RegExp(`${esc(DAMAGED)}: stored ${fmt(dmg.packets)} packets as capture #\\d+`));
  assert.match(r1.out, new RegExp(`\\n  cut short at byte ${dmg.end} after ${dmg.packets} packets`), 'the damage line says where');

  // the report's numbers are the stored ones
  const db = await env.open();
  const caps = await rows<{ id: string; name: string; packets: string; report: { malformed: number; skipped: Record<string, number> } }>(
    db, 'SELECT id, name, packets, report FROM captures ORDER BY id');
  assert.deepEqual(caps.map((c) => [c.name, Number(c.packets)]), [[GOOD, goodN], [DAMAGED, dmg.packets]]);
  const counts = await rows<{ capture_id: string; n: string; malformed: string }>(
    db, 'SELECT capture_id, count(*) AS n, count(*) FILTER (WHERE malformed) AS malformed FROM packets GROUP BY 1 ORDER BY 1');
  assert.deepEqual(counts.map((c) => Number(c.n)), [goodN, dmg.packets]);
  const lines = r1.out.split('\n');
  for (const [i, file] of [GOOD, DAMAGED].entries()) {
    const at = lines.findIndex((l) => l.startsWith(PCAPS + file + ': stored'));
    const m = /^ {2}malformed ([\d,]+), skipped (\d+)/.exec(lines[at + 1] ?? '');
    assert.ok(m, `malformed/skipped line after the report of ${file}: ${lines[at + 1]}`);
    assert.equal(Number(m[1].replace(/,/g, '')), Number(counts[i].malformed), `${file}: malformed as stored`);
    const skipped = Object.values(caps[i].report.skipped).reduce((a, b) => a + b, 0);
    assert.equal(Number(m[2]), skipped, `${file}: skipped as in the stored report`);
  }
  assert.ok(Number(lines.find((l) => l.startsWith('  malformed'))!.match(/skipped (\d+)/)![1]) >= CUSTOM_BLOCKS, 'the custom blocks are counted as skipped');
  assert.match(r1.out, new RegExp(`skipped \\d+ \\([^)]*\\b${CUSTOM_BLOCKS} custom block`), 'the custom blocks are named among the skipped');
  await db.close();

  // 2. the same command again: nothing to do, exit 0
  const r2 = await runPktlens(args(PCAPS + GOOD, PCAPS + DAMAGED), env.cliEnv(), env.tmp);
  assert.equal(r2.code, 0, r2.err);
  assertNoProgressBar(r2);
  assert.match(r2.out, new RegExp(`${esc(GOOD)}: already stored as capture #${caps[0].id} "${esc(GOOD)}" \\(${fmt(goodN)} packets\\)`));
  assert.match(r2.out, new RegExp(`${esc(DAMAGED)}: already stored as capture #${caps[1].id}`));
  assert.doesNotMatch(r2.out, /cut short/);

  // 3. --force stores it again under a new name
  const r3 = await runPktlens(args('--force', '--name', 'again', PCAPS + GOOD), env.cliEnv(), env.tmp);
  assert.equal(r3.code, 0, r3.err);
  assert.match(r3.out, new RegExp(`stored ${fmt(goodN)} packets as capture #\\d+ "again"`));

  // 4. not a capture: refused with the reason, exit 2, nothing stored; a missing file is a usage error
  const junk = join(env.tmp, 'notes.txt');
  writeFileSync(junk, 'these are not packets\n'.repeat(20));
  const r4 = await runPktlens(args(junk), env.cliEnv(), env.tmp);
  assert.equal(r4.code, 2, r4.out + r4.err);
  assert.match(r4.err, /not a capture file/);
  const r5 = await runPktlens(args(join(env.tmp, 'missing.pcap')), env.cliEnv(), env.tmp);
  assert.equal(r5.code, 2, r5.out + r5.err);
  assert.match(r5.err, /missing\.pcap/);

  const db2 = await env.open();
  const after = await rows<{ name: string; state: string; n: string }>(
    db2, 'SELECT c.name, c.state, (SELECT count(*) FROM packets p WHERE p.capture_id = c.id) AS n FROM captures c ORDER BY c.id');
  assert.deepEqual(after.filter((c) => c.state === 'complete').map((c) => [c.name, Number(c.n)]), [[GOOD, goodN], [DAMAGED, dmg.packets], ['again', goodN]]);
  assert.ok(after.filter((c) => c.state !== 'complete').every((c) => c.state === 'failed' && Number(c.n) === 0), `a refused file stores nothing: ${JSON.stringify(after)}`);
});
