/**
 * Five processes: Parser, Persistor, Analyzer and UI each `pktlens serve --target X`, and `pktlens capture -r` per
 * file, against the PostgreSQL server. The database then holds exactly tshark's frames per capture, and
 * /protocol_summary (through the UI's /api too) adds up to them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { freshServerDatabase } from '../store/backends.js';
import { PCAPS, ROOT, tsharkFrameCounts } from '../store/util.js';
import { Stack, metric } from './stack.js';
import { requireServer } from './server.js';

const FILES = ['pcpp-example.pcap', 'zeek-tls-fragmented-handshake.pcap.gz', 'pcpp-sll.pcap', 'pcpp-many_interfaces-1.pcapng', 'tcpdump-various_gre.pcap', 'pcpp-ip4_fragments.pcap', 'arkime-80211http.pcap'];

test('five processes replay shared captures: stored = tshark frames, summaries add up', { timeout: 240_000 }, async (t) => {
  if (!(await requireServer(t))) return;
  const db = await freshServerDatabase();
  const stack = new Stack(db.url);
  const client = new pg.Client(db.url);
  try {
    await stack.start();
    const tshark = tsharkFrameCounts();
    for (const f of FILES) {
      const p = stack.capture(['-r', PCAPS + f, '--name', f]);
      const code = await p.exited;
      assert.equal(code, 0, `capture ${f} exit ${code}: ${p.out}`);
      assert.match(p.out, new RegExp(`sent and stored ${tshark.get(f)!.toLocaleString('en-US')} packets`), p.out);
    }
    await client.connect();
    const r = await client.query<{ name: string; n: string; d: string; lo: string; hi: string; state: string; packets: string }>(
      `SELECT c.name, c.state, c.packets, count(p.frame) AS n, count(DISTINCT p.frame) AS d, min(p.frame) AS lo, max(p.frame) AS hi
       FROM captures c LEFT JOIN packets p ON p.capture_id = c.id GROUP BY c.id ORDER BY c.id`,
    );
    assert.deepEqual(r.rows.map((x) => x.name), FILES);
    let total = 0;
    for (const x of r.rows) {
      const want = tshark.get(x.name)!;
      total += want;
      assert.equal(Number(x.n), want, `${x.name}: ${x.n} stored, tshark ${want}`);
      assert.equal(Number(x.d), want, `${x.name}: duplicate frames`);
      assert.equal(`${x.lo}..${x.hi}`, `1..${want}`, `${x.name}: frames are not 1..N`);
      assert.equal(x.state, 'complete');
      assert.equal(Number(x.packets), want, `${x.name}: captures.packets`);
    }
    for (const base of [stack.url('analyzer'), stack.url('ui') + '/api']) {
      const sum = (await (await fetch(`${base}/protocol_summary`)).json()) as { protocol: string; packets: number }[];
      assert.equal(sum.reduce((a, b) => a + b.packets, 0), total, `${base}/protocol_summary adds up to the stored packets`);
    }
    const caps = (await (await fetch(`${stack.url('ui')}/api/captures`)).json()) as { id: number; name: string }[];
    const one = caps.find((c) => c.name === 'pcpp-sll.pcap')!;
    const s1 = (await (await fetch(`${stack.url('analyzer')}/protocol_summary?capture=${one.id}`)).json()) as { packets: number }[];
    assert.equal(s1.reduce((a, b) => a + b.packets, 0), tshark.get('pcpp-sll.pcap'));
    // every hop counted what went through it
    assert.equal(await metric(stack.url('parser'), 'pktlens_packets_sent_total', 'service="parser"'), total);
    assert.equal(await metric(stack.url('persistor'), 'pktlens_packets_sent_total', 'service="persistor"'), total);
    // keyset pages walk one capture exactly
    let after: string | null = null, seen = 0;
    do {
      const page = (await (await fetch(`${stack.url('analyzer')}/packets?capture=${one.id}&limit=200${after ? `&after=${after}` : ''}`)).json()) as { packets: { frame: number }[]; next: string | null };
      for (const p of page.packets) assert.equal(p.frame, ++seen);
      after = page.next;
    } while (after);
    assert.equal(seen, tshark.get('pcpp-sll.pcap'));
    void ROOT;
  } finally {
    await client.end().catch(() => {});
    await stack.stop();
    await db.drop();
  }
});
