// `npm run bench:queries [-- --packets N --requests R --naive-runs K --only REGEX --in-process]`: the Analyzer's query API over the PostgreSQL
// server filled by bench/fill.ts (default 10M generated packets through ingest), each endpoint loaded by autocannon
// with 8 concurrent connections for R requests (default 200), p50/p95 latency from every response's time. In the
// same run, the naive SQL for the same answer (a full scan with GROUP BY, OFFSET paging) is timed K times (default
// 3, 8 at once would only queue on 2 cores) through the same pool; the table prints both and their ratio.
// The Analyzer runs as its own process (`pktlens serve --target analyzer`, as deployed), so the load generator's
// work is not in its event loop; `--in-process` serves the routes inside the benchmark's process instead.
// Targets (issue 5, 2 cores): /protocol_summary and /stats/* over all data ≤ 100 ms p95; any /packets page ≤ 50 ms
// p95; first /filter page on an indexed field ≤ 200 ms p95.

import autocannon from 'autocannon';
import Fastify from 'fastify';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { arg, OUT, printTable, ROOT } from './common.js';
import { ensureBenchDb } from './fill.js';
import { PgDb } from '../src/store/db.js';
import { Store } from '../src/store/store.js';
import { analyzerRoutes } from '../src/services/analyzer.js';
import { serviceLogger } from '../src/services/log.js';
import { parseFilter } from '../src/filter/index.js';

const packets = arg('--packets', 10_000_000);
const requests = arg('--requests', 200);
const naiveRuns = arg('--naive-runs', 3);
const CONNECTIONS = 8;
const IN_PROCESS = process.argv.includes('--in-process');
/** `--only REGEX`: the endpoints whose name matches (re-measuring a few) */
const ONLY = (() => {
  const i = process.argv.indexOf('--only');
  return i >= 0 && process.argv[i + 1] ? new RegExp(process.argv[i + 1]!) : null;
})();

const freePort = (): Promise<number> => new Promise((resolve, reject) => {
  const srv = createServer();
  srv.on('error', reject);
  srv.listen(0, '127.0.0.1', () => {
    const port = (srv.address() as { port: number }).port;
    srv.close(() => resolve(port));
  });
});

/** `pktlens serve --target analyzer` on the bench database; resolves when /readyz answers 200. */
async function startAnalyzer(url: string): Promise<{ base: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'pktlens.js'), 'serve', '--target', 'analyzer', '--port', String(port)], {
    env: { ...process.env, DATABASE_URL: url, PKTLENS_QUERY_TIMEOUT_MS: '30000', PKTLENS_LOG_DIR: join(OUT, 'logs') },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`the Analyzer exited (${child.exitCode})`);
    try {
      if ((await fetch(`${base}/readyz`)).status === 200) return { base, child };
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  throw new Error('the Analyzer did not become ready in 30 s');
}

const pct = (xs: number[], p: number): number => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};

async function load(base: string, paths: string[]): Promise<{ p50: number; p95: number; errors: number; status: Set<number> }> {
  const times: number[] = [];
  const status = new Set<number>();
  let errors = 0;
  await new Promise<void>((resolve, reject) => {
    const inst = autocannon({
      url: base,
      connections: CONNECTIONS,
      amount: requests,
      timeout: 60,
      requests: paths.map((p) => ({ method: 'GET', path: p })),
    }, (err) => (err ? reject(err) : resolve()));
    inst.on('response', (_c: unknown, code: number, _bytes: number, ms: number) => {
      times.push(ms);
      status.add(code);
      if (code >= 400) errors++;
    });
  });
  return { p50: pct(times, 50), p95: pct(times, 95), errors, status };
}

async function naive(db: PgDb, sql: string, params: unknown[] = []): Promise<{ p50: number; p95: number }> {
  const times: number[] = [];
  for (let i = 0; i < naiveRuns; i++) {
    const t0 = performance.now();
    await db.query(sql, params);
    times.push(performance.now() - t0);
  }
  return { p50: pct(times, 50), p95: pct(times, 95) };
}

async function main(): Promise<void> {
  const bench = await ensureBenchDb(packets);
  const db = new PgDb(bench.url, { max: CONNECTIONS, application: 'pktlens bench queries' });
  let base: string, stop: () => Promise<void>;
  if (IN_PROCESS) {
    const app = Fastify({ ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allowUnionTypes: true } } });
    analyzerRoutes(app, { store: new Store(db), log: serviceLogger('bench-analyzer', { dir: null, terminal: false, level: 'silent' }), queryTimeoutMs: 30_000 });
    base = await app.listen({ port: 0, host: '127.0.0.1' });
    stop = () => app.close();
  } else {
    const a = await startAnalyzer(bench.url);
    base = a.base;
    stop = async () => {
      a.child.kill('SIGTERM');
      await new Promise((r) => a.child.once('exit', r));
    };
  }

  const one = async <T>(sql: string, p: unknown[] = []) => (await db.query<T>(sql, p)).rows[0]!;
  const total = Number((await one<{ n: string }>('SELECT sum(packets) AS n FROM captures')).n);
  const last = bench.captureIds[bench.captureIds.length - 1]!;
  const perCapture = Number((await one<{ n: string }>('SELECT packets AS n FROM captures WHERE id = $1', [last])).n);
  // pages anywhere in the data: 40 cursors spread over every capture
  const cursors = Array.from({ length: 40 }, (_, i) => `${bench.captureIds[i % bench.captureIds.length]}:${Math.floor(((i * 7919) % 40) / 40 * perCapture)}`);
  const busyIp = (await one<{ ip: string }>(`SELECT host(ip) AS ip FROM rollup_endpoint WHERE capture_id = $1 GROUP BY ip ORDER BY sum(packets_recv) LIMIT 1 OFFSET 5`, [last])).ip;
  // a mid-frequency value of each indexed application field (the 6th most frequent in the last capture)
  const valueOf = async (kind: number) => (await one<{ value: string }>(`SELECT value FROM rollup_value_total WHERE capture_id = $1 AND kind = $2 ORDER BY count DESC, value LIMIT 1 OFFSET 5`, [last, kind]))?.value;
  const [dnsName, httpHost, sni] = [await valueOf(1), await valueOf(4), await valueOf(8)];
  const filtersBuilt = (() => { try { parseFilter('tcp'); return true; } catch { return false; } })();

  const offsetOf = (c: string) => { const [cap, fr] = c.split(':').map(Number); return (bench.captureIds.indexOf(cap!) * perCapture) + fr!; };
  type Case = { name: string; paths: string[]; naive: [string, unknown[]] | null; target: number };
  const cases: Case[] = [
    { name: '/protocol_summary', paths: ['/protocol_summary'], naive: ['SELECT protocol, count(*), sum(len) FROM packets GROUP BY 1 ORDER BY 2 DESC', []], target: 100 },
    { name: '/packets (any page)', paths: cursors.map((c) => `/packets?limit=100&after=${c}`),
      naive: ['SELECT id, capture_id, frame, ts_ns, len, src_ip, dst_ip, protocol, summary FROM packets ORDER BY capture_id, frame OFFSET $1 LIMIT 100', [offsetOf(cursors[17]!)]], target: 50 },
    { name: '/filter?ip= (first page)', paths: [`/filter?ip=${busyIp}&limit=100`],
      naive: ['SELECT id, capture_id, frame FROM packets WHERE src_ip = $1 OR dst_ip = $1 ORDER BY capture_id, frame LIMIT 100', [busyIp]], target: 200 },
    ...(filtersBuilt ? [{ name: '/filter?q=ip.addr (first page)', paths: [`/filter?q=${encodeURIComponent(`ip.addr == ${busyIp}`)}&limit=100`], naive: null, target: 200 }] : []),
    ...(filtersBuilt ? [
      [`ip.src == ${busyIp}`, `SELECT id FROM packets WHERE src_ip = $1 ORDER BY capture_id, frame LIMIT 100`, [busyIp]],
      ['tcp.port == 8080', `SELECT id FROM packets WHERE ip_proto = 6 AND (src_port = 8080 OR dst_port = 8080) ORDER BY capture_id, frame LIMIT 100`, []],
      ['_ws.col.Protocol == "ICMP"', `SELECT id FROM packets WHERE protocol = 'ICMP' ORDER BY capture_id, frame LIMIT 100`, []],
      ...(dnsName ? [[`dns.qry.name == "${dnsName}"`, `SELECT id FROM packets WHERE dns_name = $1 ORDER BY capture_id, frame LIMIT 100`, [dnsName]]] : []),
      ...(httpHost ? [[`http.host == "${httpHost}"`, `SELECT id FROM packets WHERE http_host = $1 ORDER BY capture_id, frame LIMIT 100`, [httpHost]]] : []),
      ...(sni ? [[`tls.handshake.extensions_server_name == "${sni}"`, `SELECT id FROM packets WHERE tls_sni = $1 ORDER BY capture_id, frame LIMIT 100`, [sni]]] : []),
    ].map(([f, sql, params]) => ({ name: `/filter?q=${f} (first page)`, paths: [`/filter?q=${encodeURIComponent(f as string)}&limit=100`], naive: [sql, params] as [string, unknown[]], target: 200 })) : []),
    { name: '/count', paths: ['/count'], naive: ['SELECT count(*) FROM packets', []], target: 100 },
    { name: '/stats/hierarchy', paths: ['/stats/hierarchy'], naive: ['SELECT protocols, count(*), sum(len) FROM packets GROUP BY 1', []], target: 100 },
    { name: '/stats/conversations?type=tcp', paths: ['/stats/conversations?type=tcp&limit=100'],
      naive: ['SELECT capture_id, stream, count(*), sum(len) FROM packets WHERE ip_proto = 6 AND stream IS NOT NULL GROUP BY 1, 2 ORDER BY 4 DESC LIMIT 100', []], target: 100 },
    { name: '/stats/endpoints?type=ip', paths: ['/stats/endpoints?type=ip&limit=100'],
      naive: [`SELECT a, sum(n) FROM (SELECT src_ip a, count(*) n FROM packets WHERE family(src_ip) = 4 GROUP BY 1 UNION ALL SELECT dst_ip, count(*) FROM packets WHERE family(dst_ip) = 4 GROUP BY 1) x GROUP BY 1 ORDER BY 2 DESC LIMIT 100`, []], target: 100 },
    { name: '/stats/conversations?type=ip', paths: ['/stats/conversations?type=ip&limit=100'],
      naive: ['SELECT least(src_ip, dst_ip), greatest(src_ip, dst_ip), count(*), sum(len) FROM packets WHERE family(src_ip) = 4 GROUP BY 1, 2 ORDER BY 4 DESC LIMIT 100', []], target: 100 },
    { name: '/stats/endpoints?type=tcp', paths: ['/stats/endpoints?type=tcp&limit=100'],
      naive: [`SELECT a, p, sum(n) FROM (SELECT src_ip a, src_port p, count(*) n FROM packets WHERE ip_proto = 6 GROUP BY 1, 2 UNION ALL SELECT dst_ip, dst_port, count(*) FROM packets WHERE ip_proto = 6 GROUP BY 1, 2) x GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 100`, []], target: 100 },
    { name: '/stats/ports?type=tcp', paths: ['/stats/ports?type=tcp&limit=100'],
      naive: ['SELECT least(src_port, dst_port), count(*), sum(len) FROM packets WHERE ip_proto = 6 GROUP BY 1 ORDER BY 2 DESC LIMIT 100', []], target: 100 },
    { name: '/stats/io?interval=1', paths: ['/stats/io?interval=1'], naive: ['SELECT ts_ns / 1000000000, count(*), sum(len) FROM packets GROUP BY 1 ORDER BY 1', []], target: 100 },
    { name: '/stats/io?interval=60', paths: ['/stats/io?interval=60'], naive: ['SELECT ts_ns / 60000000000, count(*), sum(len) FROM packets GROUP BY 1 ORDER BY 1', []], target: 100 },
    { name: '/stats/dns', paths: ['/stats/dns'], naive: ['SELECT dns_name, count(*) FROM packets WHERE dns_name IS NOT NULL GROUP BY 1 ORDER BY 2 DESC LIMIT 100', []], target: 100 },
    { name: '/stats/http', paths: ['/stats/http'], naive: ['SELECT http_host, count(*) FROM packets WHERE http_host IS NOT NULL GROUP BY 1 ORDER BY 2 DESC LIMIT 100', []], target: 100 },
    { name: '/stats/tls', paths: ['/stats/tls'], naive: ['SELECT tls_sni, count(*) FROM packets WHERE tls_sni IS NOT NULL GROUP BY 1 ORDER BY 2 DESC LIMIT 100', []], target: 100 },
    { name: '/stats/anomalies', paths: ['/stats/anomalies'], naive: ['SELECT name, count(*) FROM anomalies GROUP BY 1', []], target: 100 },
    { name: '/flows/count', paths: ['/flows/count'], naive: ['SELECT count(DISTINCT (capture_id, ip_proto, stream)) FROM packets WHERE stream IS NOT NULL', []], target: 100 },
    { name: '/flows (by bytes)', paths: ['/flows?sort=bytes&order=desc&limit=100'],
      naive: ['SELECT capture_id, ip_proto, stream, sum(len) FROM packets WHERE stream IS NOT NULL GROUP BY 1, 2, 3 ORDER BY 4 DESC LIMIT 100', []], target: 100 },
  ];

  const rows: string[][] = [['endpoint', 'p50 ms', 'p95 ms', 'target', 'ok', 'naive p50', 'naive p95', 'naive/api p95', 'errors']];
  const results: Record<string, unknown>[] = [];
  for (const c of cases) {
    if (ONLY && !ONLY.test(c.name)) continue;
    process.stderr.write(`${c.name} ...\n`);
    const r = await load(base, c.paths);
    const n = c.naive ? await naive(db, c.naive[0], c.naive[1]) : null;
    rows.push([c.name, r.p50.toFixed(1), r.p95.toFixed(1), `≤ ${c.target}`, r.p95 <= c.target && r.errors === 0 ? 'yes' : 'NO',
      n ? n.p50.toFixed(0) : '-', n ? n.p95.toFixed(0) : '-', n ? (n.p95 / r.p95).toFixed(1) + '×' : '-', r.errors ? `${r.errors} (${[...r.status].join(',')})` : '0']);
    results.push({ name: c.name, ...r, status: [...r.status], naive: n, target: c.target });
  }
  console.log(`pktlens query API over ${total.toLocaleString('en')} packets in ${bench.captureIds.length} captures (PostgreSQL ${bench.url.replace(/\/\/[^@]*@/, '//')}), `
    + `${requests} requests per endpoint from ${CONNECTIONS} connections (autocannon; Analyzer ${IN_PROCESS ? 'in this process' : 'in its own process'}); naive SQL ${naiveRuns} runs each${bench.reused ? '' : `; filled in ${bench.fillSeconds.toFixed(0)} s`}`);
  printTable(rows, [1, 2, 5, 6, 7]);
  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, 'queries.json'), JSON.stringify({ packets: total, captures: bench.captureIds.length, requests, connections: CONNECTIONS, results }, null, 2));
  await stop();
  await db.close();
}

main().catch((e) => {
  process.stderr.write(`bench:queries failed: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
