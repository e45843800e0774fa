/**
 * Conformance with tshark 4.0.17 over every capture in ../shared/pcaps (EXPECTED.tsv.gz holds tshark's
 * per-frame fields). Prints each group's agreement and fails under the bar the issue sets.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { readCapture, CaptureError } from '../../src/wire/capture.js';
import { Session } from '../../src/dissect/session.js';
import { extractor } from '../../src/fields/extract.js';
import { GROUPS, norm, sameTime } from './groups.js';

const DIR = new URL('../../../../shared/pcaps/', import.meta.url).pathname;
const required = process.env.CI === 'true';

test('decoder agrees with tshark on the shared captures', { timeout: 600_000 }, async (t) => {
  if (!existsSync(DIR + 'EXPECTED.tsv.gz')) {
    assert.ok(!required, `../shared/pcaps is missing at ${DIR}`);
    t.skip('../shared/pcaps not present');
    return;
  }
  const lines = gunzipSync(readFileSync(DIR + 'EXPECTED.tsv.gz')).toString('utf8').split('\n');
  const header = lines[0].split('\t');
  const fields = header.slice(2);
  const byFile = new Map<string, Map<string, string[]>>();
  for (const l of lines.slice(1)) {
    if (!l) continue;
    const c = l.split('\t');
    let m = byFile.get(c[0]);
    if (!m) byFile.set(c[0], (m = new Map()));
    m.set(c[1], c.slice(2));
  }
  const exs = fields.map((f) => {
    const e = extractor(f);
    assert.ok(e, `field ${f} is not in the catalog`);
    return e!;
  });
  const agree = new Map<string, number>(), total = new Map<string, number>();
  const bad = new Map<string, string[]>();
  const groupOf = new Map<string, string>();
  for (const [g, { fields: fs }] of Object.entries(GROUPS)) for (const f of fs) groupOf.set(f, g);
  for (const [file, frames] of byFile) {
    const s = new Session();
    const ours = new Map<string, string[]>();
    try {
      await readCapture(DIR + file, (fr) => {
        const d = s.dissect(fr);
        ours.set(String(fr.num), exs.map((e) => e(d, 'f', ',')));
      });
    } catch (e) {
      if (!(e instanceof CaptureError) || e.kind !== 'damaged') throw e;
    }
    for (const [num, ref] of frames) {
      const got = ours.get(num);
      fields.forEach((f, i) => {
        const g = groupOf.get(f);
        if (!g) return;
        const rv = norm(f, ref[i] ?? ''), ov = norm(f, got?.[i] ?? '');
        if (!rv && !ov) return;
        total.set(g, (total.get(g) ?? 0) + 1);
        const ok = f === 'frame.time_epoch' ? sameTime(rv, ov) : rv === ov;
        if (ok) agree.set(g, (agree.get(g) ?? 0) + 1);
        else {
          const l = bad.get(g) ?? [];
          if (l.length < 8) l.push(`${file}#${num} ${f}: tshark=${JSON.stringify(rv)} ours=${JSON.stringify(ov)}`);
          bad.set(g, l);
        }
      });
    }
  }
  const failures: string[] = [];
  for (const [g, { bar }] of Object.entries(GROUPS)) {
    const pct = (100 * (agree.get(g) ?? 0)) / Math.max(1, total.get(g) ?? 0);
    t.diagnostic(`${g}: ${pct.toFixed(2)}% of ${total.get(g)} cells (bar ${bar}%)`);
    console.log(`conformance ${g}: ${pct.toFixed(2)}% of ${total.get(g)} cells (bar ${bar}%)`);
    if (pct < bar) failures.push(`${g} ${pct.toFixed(2)}% < ${bar}%\n  ${(bad.get(g) ?? []).join('\n  ')}`);
  }
  assert.deepEqual(failures, []);
});
