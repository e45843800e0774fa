/**
 * Differential test of the SQL back end: shared captures ingested into PostgreSQL and PGlite; for every filter of
 * SQL_CASES (hand-built checked expressions, every operator and field type) the SQL count per capture must equal
 * tshark's count, and the JS predicate's over a fresh decode once that back end exists.
 */
import assert from 'node:assert/strict';
import { before } from 'node:test';
import { backendTest } from '../store/backends.js';
import { PCAPS } from '../store/util.js';
import { Store } from '../../src/store/store.js';
import { ingestFile } from '../../src/ingest/ingest.js';
import { toSql } from '../../src/filter/sql.js';
import { toPredicate } from '../../src/filter/js.js';
import { parseFilter } from '../../src/filter/parse.js';
import { FILTERS } from './filters.js';
import { Session } from '../../src/dissect/session.js';
import { readCapture, CaptureError } from '../../src/wire/capture.js';
import { DECODER_DIFFERS, SQL_CASES } from './sql-cases.js';
import { tsharkCounts } from './tshark-counts.js';

/** Small and varied: DNS, TLS 1.3, HTTP, MPLS, GRE, VXLAN, 802.11, SLL, ICMPv6, DHCP, NTP, SMB2, QUIC, pcapng. */
const FILES = [
  'arkime-dns-wiresharkrepo.pcap', 'arkime-curl-enabled-tls13.pcap', 'arkime-mpls-basic.pcap', 'arkime-80211http.pcap',
  'tcpdump-various_gre.pcap', 'tcpdump-vxlan.pcap', 'zeek-icmp6.pcap', 'zeek-dhcp.pcap', 'zeek-ntp.pcap',
  'zeek-wikipedia.pcap', 'zeek-smb2readwrite.pcap', 'pcpp-sll.pcap', 'pcpp-many_interfaces-1.pcapng', 'zeek-quicv2-http3-443.pcap',
];

/** how many of FILES the filters with sets (one tshark run each) are checked on */
const SET_FILES = 3;

/** per file, per case: tshark's count, or the decode's for cases with a `ref` (what tshark 4.0 cannot filter on) */
const expected = new Map<string, number[]>();
let js: Map<string, number[]> | null = null;
/** per file: the JS predicate's count for each of FILTERS (the filter language's own list, checked against tshark by tshark-diff.test.ts) */
const jsFilters = new Map<string, number[]>();

before(async () => {
  const tsharkCases = SQL_CASES.filter((c) => !c.ref);
  const refCases = SQL_CASES.filter((c) => c.ref);
  for (const f of FILES) {
    // sets need a tshark run each: checked on the first files only (NaN elsewhere, not compared)
    const ts = await tsharkCounts(PCAPS + f, tsharkCases.map((c) => c.text), { withCommas: FILES.indexOf(f) < SET_FILES });
    const ref = new Array<number>(refCases.length).fill(0);
    const differs = Object.entries(DECODER_DIFFERS).filter(([, x]) => x.files.includes(f));
    const dref = new Array<number>(differs.length).fill(0);
    const s = new Session();
    try {
      await readCapture(PCAPS + f, (fr) => {
        const d = s.dissect(fr);
        refCases.forEach((c, i) => { if (c.ref!(d)) ref[i]++; });
        differs.forEach(([, x], i) => { if (x.ref(d)) dref[i]++; });
      });
    } catch (e) {
      if (!(e instanceof CaptureError)) throw e;
    }
    expected.set(f, SQL_CASES.map((c) => {
      const k = differs.findIndex(([text]) => text === c.text);
      if (k >= 0) return dref[k];
      return c.ref ? ref[refCases.indexOf(c)] : ts[tsharkCases.indexOf(c)];
    }));
  }
  // the JS predicate, when the filter-language work has built it
  let preds: ((d: import('../../src/dissect/dissection.js').Dissection) => boolean)[] | null = null;
  try {
    preds = SQL_CASES.map((c) => toPredicate(c.expr));
  } catch {
    preds = null;
  }
  const fpreds = FILTERS.map((q) => toPredicate(parseFilter(q)));
  if (preds) {
    js = new Map();
    for (const f of FILES) {
      const counts = new Array<number>(preds.length).fill(0);
      const fc = new Array<number>(fpreds.length).fill(0);
      jsFilters.set(f, fc);
      const s = new Session();
      try {
        await readCapture(PCAPS + f, (fr) => {
          const d = s.dissect(fr);
          for (let i = 0; i < preds!.length; i++) if (preds![i](d)) counts[i]++;
          for (let i = 0; i < fpreds.length; i++) if (fpreds[i](d)) fc[i]++;
        });
      } catch (e) {
        if (!(e instanceof CaptureError)) throw e;
      }
      js.set(f, counts);
    }
  }
});

backendTest('display filters: the SQL count after ingest equals tshark -Y (and the JS predicate)', { timeout: 240_000 }, async (t, env) => {
  const db = await env.open();
  const store = new Store(db);
  const capture = new Map<number, string>();
  const t0 = performance.now();
  for (const f of FILES) {
    const r = await ingestFile(store, PCAPS + f);
    capture.set(r.captureId, f);
  }
  const t1 = performance.now();
  const wrong: string[] = [];
  let compared = 0;
  for (let i = 0; i < SQL_CASES.length; i++) {
    const c = SQL_CASES[i];
    const params: unknown[] = [];
    const where = toSql(c.expr, params, 'p');
    const r = await db.query<{ capture_id: string; n: string }>(`SELECT capture_id, count(*) AS n FROM packets p WHERE ${where} GROUP BY 1`, params);
    const got = new Map(r.rows.map((x) => [capture.get(Number(x.capture_id))!, Number(x.n)]));
    for (const f of FILES) {
      const sql = got.get(f) ?? 0;
      const ts = expected.get(f)![i];
      if (Number.isNaN(ts)) continue;
      compared++;
      if (sql !== ts) wrong.push(`${f}: ${c.text}: SQL ${sql}, ${c.ref || DECODER_DIFFERS[c.text]?.files.includes(f) ? 'decode' : 'tshark'} ${ts}`);
      const j = js?.get(f)?.[i];
      if (j !== undefined && j !== sql) wrong.push(`${f}: ${c.text}: SQL ${sql}, JS predicate ${j}`);
    }
  }
  // the filter language's list, parsed: SQL count = JS predicate count over a fresh decode
  let fcompared = 0;
  for (let i = 0; i < FILTERS.length; i++) {
    const params: unknown[] = [];
    const where = toSql(parseFilter(FILTERS[i]), params, 'p');
    const r = await db.query<{ capture_id: string; n: string }>(`SELECT capture_id, count(*) AS n FROM packets p WHERE ${where} GROUP BY 1`, params);
    const got = new Map(r.rows.map((x) => [capture.get(Number(x.capture_id))!, Number(x.n)]));
    for (const f of FILES) {
      const sql = got.get(f) ?? 0;
      const j = jsFilters.get(f)![i];
      fcompared++;
      if (sql !== j) wrong.push(`${f}: ${FILTERS[i]}: SQL ${sql}, JS predicate ${j}`);
    }
  }
  t.diagnostic(`${FILTERS.length} filters of filters.ts × ${FILES.length} captures: ${fcompared} SQL counts compared with the JS predicate`);
  t.diagnostic(`ingest ${Math.round(t1 - t0)} ms, ${SQL_CASES.length} queries ${Math.round(performance.now() - t1)} ms`);
  t.diagnostic(`${SQL_CASES.length} filters × ${FILES.length} captures on ${env.kind}: ${compared - wrong.length}/${compared} counts equal${js ? ' (tshark and JS)' : ' (tshark; JS predicate not built yet)'}`);
  assert.deepEqual(wrong, [], `${wrong.length} counts differ:\n${wrong.join('\n')}`);
});
