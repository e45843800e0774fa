/**
 * Every capture of ../shared/pcaps ingested with ingestFile(), on both back ends: the stored packets are the frames
 * tshark counts, numbered 1..N; protocols as the decoder counts them; raw bytes as in the file; rollups and flows add
 * up to the packets table; damaged files keep every whole packet and say where they stopped.
 */
import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import { backendTest } from './backends.js';
import { corpusFiles, tsharkFrameCounts, manifest, walkPcap, decodeFile, assertRollupsAddUp, rows, one, expectedFlows, flowDiffs, PCAPS } from './util.js';
import { Store } from '../../src/store/store.js';
import { ingestFile, type IngestReport } from '../../src/ingest/ingest.js';

/** pcapng Custom Blocks: tshark 4.0 lists them as frames, pktlens skips them (documented); the only difference. */
const CUSTOM_BLOCK_FRAMES: Record<string, number> = { 'gopacket-test202.pcapng': 3 };
/** Files that end in damage (cut short, impossible record length). */
const DAMAGED = ['ndpi-fuzz-2021-10-13.pcap', 'suri-http-mime-truncated.pcap', 'suri-smtp-to-comma-10.7.29.101_49898-178.63.41.150_25.pcap'];

backendTest('every shared capture is stored exactly: frames, protocols, bytes, rollups, flows, damage', { timeout: 150_000 }, async (t, env) => {
  const files = corpusFiles();
  const tshark = tsharkFrameCounts();
  const man = manifest();
  assert.ok(files.length >= 40, `the shared corpus is there (${files.length} captures in ${PCAPS})`);
  for (const f of files) assert.ok(tshark.has(f), `${f} has rows in EXPECTED.tsv.gz`);
  for (const f of DAMAGED) assert.ok(files.includes(f), `damaged capture ${f} is in the corpus`);
  // the damaged list is the manifest's: files tshark itself reports an error for
  assert.deepEqual(files.filter((f) => /tshark error/.test(man.get(f)?.notes ?? '')), DAMAGED, 'damaged files = MANIFEST "tshark error" notes');

  const db = await env.open();
  const store = new Store(db);
  const reports = new Map<string, IngestReport>();
  const t0 = performance.now();
  for (const f of files) reports.set(f, await ingestFile(store, PCAPS + f));
  const ingestMs = performance.now() - t0;
  const total = [...reports.values()].reduce((a, r) => a + r.packets, 0);
  t.diagnostic(`${env.kind}: ${files.length} captures, ${total} packets ingested in ${(ingestMs / 1000).toFixed(1)} s`);

  // one query per table for all captures
  const byCapture = new Map(
    (await rows<Record<string, string>>(db, `SELECT capture_id, count(*) AS n, count(DISTINCT frame) AS d, min(frame) AS lo, max(frame) AS hi,
        sum(len) AS len, sum(caplen) AS caplen, sum(length(data)) AS datalen,
        count(*) FILTER (WHERE ts_ns / 1000 <> floor(extract(epoch FROM ts) * 1000000)) AS badts,
        md5(string_agg(md5(data), '' ORDER BY frame)) AS digest
      FROM packets GROUP BY capture_id`)).map((r) => [Number(r.capture_id), r]),
  );
  const protoRows = await rows<{ capture_id: string; protocol: string; n: string }>(db, 'SELECT capture_id, protocol, count(*) AS n FROM packets GROUP BY 1, 2');
  const captures = new Map((await store.captures()).map((c) => [c.id, c]));
  assert.equal(captures.size, files.length, 'one capture per file');

  const problems: string[] = [];
  const same = (a: unknown, b: unknown) => isDeepStrictEqual(a, b);
  const check = (ok: boolean, msg: string) => { if (!ok) problems.push(msg); };
  for (const f of files) {
    const r = reports.get(f)!;
    const c = captures.get(r.captureId)!;
    const s = byCapture.get(r.captureId);
    const n = Number(s?.n ?? 0);
    const skipped = CUSTOM_BLOCK_FRAMES[f] ?? 0;
    const expected = tshark.get(f)! - skipped;
    check(n === expected, `${f}: ${n} packets stored, tshark counts ${tshark.get(f)}${skipped ? ` - ${skipped} custom blocks` : ''} = ${expected}`);
    check(Number(s?.d) === n && Number(s?.lo) === 1 && Number(s?.hi) === n, `${f}: frames are not 1..${n} (distinct ${s?.d}, min ${s?.lo}, max ${s?.hi})`);
    check(r.packets === n && c.packets === n, `${f}: report says ${r.packets}, captures.packets ${c.packets}, table ${n}`);
    check(c.state === 'complete', `${f}: capture state ${c.state}`);
    check(Number(s?.len) === c.bytes, `${f}: captures.bytes ${c.bytes} != sum(len) ${s?.len}`);
    check(Number(s?.caplen) === Number(s?.datalen), `${f}: sum(caplen) ${s?.caplen} != sum(length(data)) ${s?.datalen}`);
    check(Number(s?.badts) === 0, `${f}: ${s?.badts} packets whose ts and ts_ns disagree`);
    // skipped also counts pcapng blocks that are not packets (name resolution, interface statistics): only custom blocks are frames to tshark
    check((r.skipped['custom block'] ?? 0) === skipped, `${f}: report skipped ${JSON.stringify(r.skipped)}, expected ${skipped} custom block(s)`);
    check(same(c.report.skipped, r.skipped), `${f}: stored report.skipped ${JSON.stringify(c.report.skipped)} != ${JSON.stringify(r.skipped)}`);
    const malformed = Number((await one<{ n: string }>(db, 'SELECT count(*) AS n FROM packets WHERE capture_id = $1 AND malformed', [r.captureId])).n);
    check(malformed === r.malformed && c.report.malformed === r.malformed, `${f}: malformed: table ${malformed}, report ${r.malformed}, stored ${c.report.malformed}`);

    // the decoder's own view of the same file
    const dec = await decodeFile(PCAPS + f);
    check(dec.packets === n, `${f}: the decoder reads ${dec.packets} packets, ${n} stored`);
    const stored = new Map(protoRows.filter((x) => Number(x.capture_id) === r.captureId).map((x) => [x.protocol, Number(x.n)]));
    const want = [...dec.protocols].sort(), got = [...stored].sort();
    check(JSON.stringify(want) === JSON.stringify(got), `${f}: protocol counts: decoder ${JSON.stringify(want)} stored ${JSON.stringify(got)}`);
    // the columns as the decoder shows them: Protocol, Info (summary) and frame.protocols, frame by frame
    const cols = await rows<{ frame: string; protocol: string; summary: string; protocols: string }>(
      db, 'SELECT frame, protocol, summary, protocols FROM packets WHERE capture_id = $1 ORDER BY frame', [r.captureId]);
    let colDiffs = 0;
    for (const x of cols) {
      const i = Number(x.frame) - 1;
      for (const [k, want] of [['protocol', dec.protocol[i]], ['summary', dec.info[i]], ['protocols', dec.layers[i]]] as const) {
        if (x[k] !== want && colDiffs++ < 3) problems.push(`${f} frame ${x.frame}: ${k} stored ${JSON.stringify(x[k])}, decoder ${JSON.stringify(want)}`);
      }
    }
    check(colDiffs === 0, `${f}: ${colDiffs} column value(s) differ from the decoder's`);
    // flows: counters, TCP state, application and server name as the decoder ends with them
    const fd = await flowDiffs(db, r.captureId, await expectedFlows(PCAPS + f));
    check(fd.length === 0, `${f}: ${fd.length} flow difference(s): ${fd.slice(0, 3).join('; ')}`);
    check(dec.dataDigest === s?.digest && dec.caplenSum === Number(s?.caplen) && dec.lenSum === Number(s?.len), `${f}: stored frame bytes differ from the file's records`);

    // damage
    if (DAMAGED.includes(f)) {
      const w = walkPcap(PCAPS + f);
      const dmg = c.report.damage as { byte: number; packets: number; message: string } | null;
      check(w.end < w.fileSize, `${f}: the walker sees damage (end ${w.end} < size ${w.fileSize})`);
      check(w.packets === n, `${f}: ${w.packets} whole records in the file, ${n} stored`);
      check(dmg !== null && dmg.byte === w.end && dmg.packets === w.packets,
        `${f}: report.damage ${JSON.stringify(dmg)}, expected byte ${w.end} packets ${w.packets}`);
      check(dmg !== null && dmg.message.includes(String(w.end)) && dmg.message.includes(String(w.packets)), `${f}: damage message says where: ${dmg?.message}`);
      check(same(r.damage, dmg), `${f}: returned ${JSON.stringify(r.damage)} and stored damage ${JSON.stringify(dmg)} differ`);
    } else {
      check(c.report.damage === null && r.damage === null, `${f}: unexpected damage ${JSON.stringify(c.report.damage)}`);
    }
  }
  assert.deepEqual(problems, [], `${problems.length} problem(s)`);

  // rollups add up to the packets table for every capture
  await assertRollupsAddUp(db, [...captures.keys()]);

  // flows: the packets each flow counts are the packets that carry its stream number
  const flowDiff = await rows(
    db,
    `WITH f AS (SELECT capture_id, ip_proto, stream, packets_c2s + packets_s2c AS n, bytes_c2s + bytes_s2c AS b FROM flows WHERE ip_proto IN (6, 17)),
          p AS (SELECT capture_id, ip_proto, stream, count(*) AS n, sum(len) AS b FROM packets WHERE stream IS NOT NULL GROUP BY 1, 2, 3)
     SELECT coalesce(f.capture_id, p.capture_id) AS capture_id, coalesce(f.ip_proto, p.ip_proto) AS ip_proto, coalesce(f.stream, p.stream) AS stream,
            f.n AS flow_packets, p.n AS packets, f.b AS flow_bytes, p.b AS bytes
     FROM f FULL JOIN p USING (capture_id, ip_proto, stream)
     WHERE f.n IS DISTINCT FROM p.n OR f.b IS DISTINCT FROM p.b
     ORDER BY 1, 2, 3 LIMIT 50`,
  );
  const name = new Map([...reports].map(([f, r]) => [r.captureId, f]));
  assert.deepEqual(flowDiff.map((x) => ({ file: name.get(Number(x.capture_id)), ...x })), [], 'flows.packets/bytes = packets carrying the stream');
  const tot = await one<Record<string, string>>(
    db,
    `SELECT (SELECT sum(packets_c2s + packets_s2c) FROM flows WHERE ip_proto IN (6, 17)) AS f, (SELECT count(*) FROM packets WHERE stream IS NOT NULL) AS p`,
  );
  assert.equal(Number(tot.f), Number(tot.p), 'sum of TCP/UDP flow packets = packets with a stream');
  assert.ok(Number(tot.p) > 10_000, 'most of the corpus is TCP/UDP');

  // the custom-block exception, by name: pktlens stores tshark's frames minus the 3 custom blocks, and says so
  const g = reports.get('gopacket-test202.pcapng')!;
  assert.equal(tshark.get('gopacket-test202.pcapng'), 11);
  assert.equal(g.packets, 8);
  assert.equal(g.skipped['custom block'], 3, `skipped ${JSON.stringify(g.skipped)}`);
});
