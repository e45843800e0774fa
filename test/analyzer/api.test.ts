/**
 * The Analyzer's query API over captures stored through ingest, on the PostgreSQL server and on PGlite:
 * every route answers with its documented shape, agrees with the stored rows, and pages without gaps.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { backendTest } from '../store/backends.js';
import { ROOT, PCAPS, rows } from '../store/util.js';
import { analyzerOn, filtersBuilt } from './helpers.js';

const SAMPLE = join(ROOT, 'samples', 'sample.pcap');
const HTTP_RST = join(PCAPS, 'pcpp-one_http_stream_rst.pcap');

backendTest('query API: packets, count, detail, flows, stream, stats, openapi', { timeout: 120_000 }, async (t, env) => {
  const db = await env.open();
  const { app, ids, get } = await analyzerOn(db, [SAMPLE, HTTP_RST]);
  try {
    const [sample, http] = ids;
    const total = Number((await rows<{ n: string }>(db, 'SELECT count(*) AS n FROM packets'))[0].n);

    // keyset pages cover every packet once, in (capture, frame) order
    let after: string | null = null, seen = 0, last = '';
    do {
      const r: any = await get(`/packets?limit=1000${after ? `&after=${after}` : ''}`);
      assert.equal(r.status, 200);
      for (const p of r.body.packets) {
        const k = `${String(p.capture_id).padStart(6, '0')}:${String(p.frame).padStart(9, '0')}`;
        assert.ok(k > last, 'pages in order');
        last = k;
        seen++;
      }
      after = r.body.next;
    } while (after);
    assert.equal(seen, total);
    // capture and time scope
    const one = await get(`/count?capture=${http}`);
    assert.deepEqual(one.body, { count: 10 });
    assert.deepEqual((await get(`/count?capture=${sample},${http}`)).body, { count: total });
    const ts = (await get(`/packets?capture=${http}&limit=10`)).body.packets.map((p: any) => p.ts);
    assert.deepEqual((await get(`/count?capture=${http}&from=${ts[3]}&to=${ts[7]}`)).body, { count: 4 });
    assert.equal((await get(`/count?from=yesterday`)).status, 400);
    assert.equal((await get(`/packets?limit=100000`)).status, 400);

    // protocol summary from rollups = a GROUP BY over packets
    const ps = (await get('/protocol_summary')).body;
    const want = await rows<{ protocol: string; n: string }>(db, 'SELECT protocol, count(*) AS n FROM packets GROUP BY 1');
    assert.equal(ps.length, want.length);
    for (const w of want) assert.equal(ps.find((x: any) => x.protocol === w.protocol).packets, Number(w.n));
    // … and the same answer by scan when the time bounds are not whole minutes
    const scan = (await get(`/protocol_summary?from=0.5`)).body;
    assert.deepEqual(scan, ps);

    // one packet decoded afresh: layers with offsets inside the frame, the bytes in hex
    const first = (await get(`/packets?capture=${http}&limit=1`)).body.packets[0];
    const d = await get(`/packets/${first.id}`);
    assert.equal(d.status, 200);
    assert.equal(d.body.packet.frame, 1);
    assert.equal(d.body.bytes.length, first.caplen * 2);
    const names = d.body.layers.map((l: any) => l.name);
    for (const n of ['frame', 'eth', 'ip', 'tcp']) assert.ok(names.includes(n), `${n} in ${names}`);
    const ipL = d.body.layers.find((l: any) => l.name === 'ip');
    const src = ipL.fields.find((f: any) => f.name === 'ip.src');
    assert.equal(src.value, first.src_ip);
    assert.equal(src.length, 4);
    // the field's bytes are the address
    assert.equal(d.body.bytes.slice(src.offset * 2, src.offset * 2 + 8), first.src_ip.split('.').map((x: string) => Number(x).toString(16).padStart(2, '0')).join(''));
    assert.equal((await get('/packets/999999999')).status, 404);
    assert.equal((await get('/packets/abc')).status, 400);

    // flows: sorted pages; one flow; its stream has the HTTP request and response
    const fl = (await get(`/flows?capture=${http}`)).body.flows;
    assert.equal(fl.length, 1);
    assert.equal(fl[0].packets_c2s + fl[0].packets_s2c, 10);
    assert.deepEqual((await get(`/flows/${fl[0].id}`)).body, fl[0]);
    const st = (await get(`/flows/${fl[0].id}/stream`)).body;
    const c2s = Buffer.concat(st.segments.filter((s: any) => s.dir === 0).map((s: any) => Buffer.from(s.data, 'base64'))).toString('latin1');
    const s2c = Buffer.concat(st.segments.filter((s: any) => s.dir === 1).map((s: any) => Buffer.from(s.data, 'base64'))).toString('latin1');
    assert.match(c2s, /^GET \//);
    assert.match(s2c, /^HTTP\/1\.[01] /);
    const byBytes = (await get(`/flows?capture=${sample}&sort=bytes&order=desc&limit=7`)).body;
    const allSorted: any[] = [...byBytes.flows];
    let next = byBytes.next;
    while (next) {
      const r = (await get(`/flows?capture=${sample}&sort=bytes&order=desc&limit=7&after=${next}`)).body;
      allSorted.push(...r.flows);
      next = r.next;
    }
    const nFlows = Number((await rows<{ n: string }>(db, 'SELECT count(*) AS n FROM flows WHERE capture_id = $1', [sample]))[0].n);
    assert.equal(allSorted.length, nFlows);
    assert.equal(new Set(allSorted.map((f) => f.id)).size, nFlows);
    for (let i = 1; i < allSorted.length; i++) {
      assert.ok(allSorted[i - 1].bytes_c2s + allSorted[i - 1].bytes_s2c >= allSorted[i].bytes_c2s + allSorted[i].bytes_s2c);
    }
    assert.equal((await get(`/flows?after=notacursor`)).status, 400);

    // exports read back by tshark: same frames
    const px = await get(`/export.pcap?capture=${http}`);
    assert.equal(px.status, 200);
    assert.match(String(px.headers['content-disposition']), /attachment/);
    const f1 = join(env.tmp, 'x.pcap');
    writeFileSync(f1, px.raw);
    const tsh = (f: string) => execFileSync('tshark', ['-n', '-r', f, '-T', 'fields', '-e', 'frame.time_epoch', '-e', 'frame.len', '-e', 'frame.cap_len', '-e', 'frame.protocols'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    assert.equal(tsh(f1), tsh(HTTP_RST));
    const png = await get(`/export.pcapng?capture=${sample}`);
    const f2 = join(env.tmp, 'x.pcapng');
    writeFileSync(f2, png.raw);
    assert.equal(tsh(f2), tsh(SAMPLE));
    const fx = await get(`/flows/${fl[0].id}/export.pcap`);
    writeFileSync(f1, fx.raw);
    assert.equal(tsh(f1), tsh(HTTP_RST));

    // statistics answer with their shapes
    const h = (await get('/stats/hierarchy')).body;
    assert.equal(h.packets, total);
    assert.equal((await get('/stats/io?interval=1')).body.buckets.reduce((a: number, b: any) => a + b.packets, 0), total);
    assert.equal((await get('/stats/io?interval=60')).body.buckets.reduce((a: number, b: any) => a + b.packets, 0), total);
    // summary tables (no q, whole minutes) and the scan of packets (from not on a minute) give the same answers
    for (const u of ['/stats/dns', '/stats/http', '/stats/tls', '/count', '/stats/hierarchy', '/stats/endpoints?type=ip', '/stats/conversations?type=tcp',
      '/stats/conversations?type=ip', '/stats/conversations?type=ipv6', '/stats/ports?type=tcp', '/stats/ports?type=udp', `/stats/io?interval=120`, `/stats/io?interval=1`,
      `/stats/io?interval=7`]) {
      // (not UDP: the flows table counts ICMP errors quoting a datagram in its flow, tshark and the scan do not)
      const sep = u.includes('?') ? '&' : '?';
      const fast = await get(`${u}${sep}capture=${sample}`), scan = await get(`${u}${sep}capture=${sample}&from=0.5`);
      assert.equal(fast.status, 200, u);
      if (u.includes('conversations')) {
        // the flows table keeps microseconds (timestamptz): times agree to 2 µs, the rest exactly
        // (conversations with equal bytes may come in another order)
        const key = (c: any) => `${c.a} ${c.a_port} ${c.b} ${c.b_port}`;
        for (const b of [scan.body, fast.body]) b.conversations.sort((x: any, y: any) => y.bytes - x.bytes || (key(x) < key(y) ? -1 : 1));
        const cut = (b: any) => b.conversations.map(({ start, duration, ...rest }: any) => rest);
        assert.deepEqual(cut(scan.body), cut(fast.body), `${u}: summary tables and scan agree`);
        fast.body.conversations.forEach((c: any, i: number) => {
          assert.ok(Math.abs(c.start - scan.body.conversations[i].start) <= 2e-6 && Math.abs(c.duration - scan.body.conversations[i].duration) <= 2e-6, u);
        });
      } else assert.deepEqual(scan.body, fast.body, `${u}: summary tables and scan agree`);
    }
    // over all captures (no capture given) the all-captures tables answer: the same as the scan over both captures,
    // and for TCP/UDP endpoints the same as the flows table of both captures named
    for (const u of ['/stats/conversations?type=ip', '/stats/conversations?type=ipv6', '/stats/dns', '/stats/http', '/stats/tls']) {
      const all = await get(u), scan = await get(`${u}${u.includes('?') ? '&' : '?'}from=0.5`);
      assert.equal(all.status, 200, u);
      assert.deepEqual(all.body, scan.body, `${u}: all-captures tables and scan agree`);
    }
    for (const u of ['/stats/endpoints?type=tcp', '/stats/endpoints?type=udp']) {
      const all = await get(`${u}&limit=5000`), named = await get(`${u}&limit=5000&capture=${sample},${http}`);
      assert.ok(all.body.endpoints.length > 0, u);
      assert.deepEqual(all.body, named.body, `${u}: all-captures table and the flows of both captures agree`);
    }
    // the flow count is the number of flows /flows lists
    let listed = 0;
    for (let after: string | null = null, i = 0; i < 100; i++) {
      const pg: any = (await get(`/flows?limit=1000${after ? `&after=${after}` : ''}`)).body;
      listed += pg.flows.length;
      after = pg.next;
      if (!after) break;
    }
    assert.ok(listed > 0);
    assert.deepEqual((await get('/flows/count')).body, { flows: listed });
    assert.deepEqual((await get(`/flows/count?q=${encodeURIComponent('dns')}`)).status, 200);
    const dns = (await get(`/stats/dns?capture=${sample}`)).body;
    assert.ok(dns.names.length > 0 && dns.types.length > 0 && dns.rcodes.length > 0);
    const tls = (await get(`/stats/tls?capture=${sample}`)).body;
    assert.ok(tls.server_names.length > 0 && tls.versions.length > 0);
    const hs = (await get(`/stats/http`)).body;
    assert.ok(hs.methods.some((m: any) => m.value === 'GET'));
    assert.equal((await get('/stats/anomalies')).status, 200);
    assert.equal((await get('/stats/conversations?type=foo')).status, 400);

    // fields, filter check, openapi
    const fields = (await get('/fields')).body;
    assert.ok(fields.some((f: any) => f.name === 'ip.src' && f.type === 'ipv4'));
    const api = (await get('/openapi.json')).body;
    for (const p of ['/packets', '/filter', '/count', '/filter/check', '/fields', '/packets/{id}', '/export.pcap', '/export.pcapng', '/flows', '/flows/{id}',
      '/flows/{id}/stream', '/flows/{id}/export.pcap', '/stats/hierarchy', '/stats/conversations', '/stats/endpoints', '/stats/io', '/stats/dns',
      '/stats/http', '/stats/tls', '/stats/anomalies', '/protocol_summary', '/captures']) assert.ok(api.paths[p], `${p} in /openapi.json`);

    const bad = await get('/filter?q=' + encodeURIComponent('ip.src == '));
    assert.equal(bad.status, 400);
    assert.equal(typeof bad.body.position, 'number');
    if (filtersBuilt) {
      assert.deepEqual((await get('/filter/check?q=tcp')).body, { ok: true });
      const n = Number((await rows<{ n: string }>(db, 'SELECT count(*) AS n FROM packets WHERE ip_proto = 6 AND stream IS NOT NULL'))[0].n);
      assert.deepEqual((await get('/count?q=tcp')).body, { count: n });
    } else t.diagnostic('display filters not built on this branch: q checked for errors only');
  } finally {
    await app.close();
  }
});
