/** Shared helpers of the store tests: the corpus and its tshark reference, an independent pcap walker, spawning pktlens, SQL checks. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import type { Db } from '../../src/store/db.js';
import { readCapture, CaptureError } from '../../src/wire/capture.js';
import { Session } from '../../src/dissect/session.js';
import { FlowTracker, type FlowUpdate } from '../../src/store/record.js';

/** dist/test/store/ → the repository root and ../shared/pcaps */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const BIN = fileURLToPath(new URL('../../../bin/pktlens.js', import.meta.url));
export const PCAPS = fileURLToPath(new URL('../../../../shared/pcaps/', import.meta.url));

/** Capture files of the shared corpus (everything that looks like a capture). */
export function corpusFiles(): string[] {
  return readdirSync(PCAPS).filter((f) => /\.(pcap|pcapng)(\.gz)?$/.test(f)).sort();
}

/** Frames tshark lists per file in EXPECTED.tsv.gz. */
export function tsharkFrameCounts(): Map<string, number> {
  const text = gunzipSync(readFileSync(PCAPS + 'EXPECTED.tsv.gz')).toString('utf8');
  const lines = text.split('\n');
  assert.match(lines[0], /^file\tframe\.number\t/, 'EXPECTED.tsv.gz header');
  const m = new Map<string, number>();
  for (let i = 1; i < lines.length; i++) {
    const l = lines[i];
    if (!l) continue;
    const f = l.slice(0, l.indexOf('\t'));
    m.set(f, (m.get(f) ?? 0) + 1);
  }
  return m;
}

/** MANIFEST.tsv rows by file name (column name → value). */
export function manifest(): Map<string, Record<string, string>> {
  const lines = readFileSync(PCAPS + 'MANIFEST.tsv', 'utf8').split('\n').filter(Boolean);
  const head = lines[0].split('\t');
  const m = new Map<string, Record<string, string>>();
  for (const l of lines.slice(1)) {
    const cells = l.split('\t');
    m.set(cells[0], Object.fromEntries(head.map((h, i) => [h, cells[i] ?? ''])));
  }
  return m;
}

export interface PcapWalk {
  /** whole records */
  packets: number;
  /** byte offset just after the last whole record */
  end: number;
  fileSize: number;
  /** sum of captured lengths and of original lengths */
  caplenSum: number;
  lenSum: number;
  /** md5 over the concatenated lowercase hex md5 of every record's data, in order (as SQL md5(string_agg(md5(data), '' ORDER BY frame))) */
  dataDigest: string;
  /** md5 over "frame:ts_ns," of every record (as the SQL digest of ts_ns) */
  tsDigest: string;
}

/**
 * Walk a classic pcap file on its own (independent of pktlens's reader): 24-byte header, 16-byte record headers.
 * Stops at the first record that is cut short or impossible (caplen above 262144), as tshark does.
 */
export function walkPcap(path: string): PcapWalk {
  const b = readFileSync(path);
  const magic = b.readUInt32BE(0);
  const le = magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1;
  assert.ok(le || magic === 0xa1b2c3d4 || magic === 0xa1b23c4d, `${path}: not a plain pcap`);
  const u16 = (o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
  const u32 = (o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const nanos = (le ? b.readUInt32LE(0) : magic) === 0xa1b23c4d;
  // format 2.0–2.2 wrote orig_len before incl_len
  const swap = u16(4) === 2 && u16(6) < 3;
  let p = 24, packets = 0, caplenSum = 0, lenSum = 0;
  const all = createHash('md5'), ts = createHash('md5');
  while (p + 16 <= b.length) {
    const incl = u32(p + (swap ? 12 : 8)), orig = u32(p + (swap ? 8 : 12));
    if (incl > 262144 || p + 16 + incl > b.length) break;
    packets++;
    const sec = u32(p), frac = u32(p + 4);
    const ns = BigInt(sec) * 1_000_000_000n + BigInt(nanos ? frac : frac * 1000);
    ts.update(`${packets}:${ns},`);
    all.update(createHash('md5').update(b.subarray(p + 16, p + 16 + incl)).digest('hex'));
    caplenSum += incl;
    lenSum += orig;
    p += 16 + incl;
  }
  return { packets, end: p, fileSize: b.length, caplenSum, lenSum, dataDigest: all.digest('hex'), tsDigest: ts.digest('hex') };
}

export interface DecodedFile {
  packets: number;
  /** per frame (index = frame - 1): Protocol, Info and frame.protocols columns */
  protocol: string[];
  info: string[];
  layers: string[];
  protocols: Map<string, number>;
  dataDigest: string;
  caplenSum: number;
  lenSum: number;
  damaged: CaptureError | null;
}

/** Decode a file in-process with a default Session (as `pktlens decode` does): the decoder's own view of it. */
export async function decodeFile(path: string): Promise<DecodedFile> {
  const s = new Session();
  const protocols = new Map<string, number>();
  const protocol: string[] = [], info: string[] = [], layers: string[] = [];
  const all = createHash('md5');
  let packets = 0, caplenSum = 0, lenSum = 0;
  let damaged: CaptureError | null = null;
  try {
    await readCapture(path, (f) => {
      const d = s.dissect(f);
      packets++;
      protocols.set(d.protocol, (protocols.get(d.protocol) ?? 0) + 1);
      protocol.push(d.protocol);
      info.push(d.info);
      layers.push(d.protocols);
      all.update(createHash('md5').update(f.data).digest('hex'));
      caplenSum += f.caplen;
      lenSum += f.len;
    });
  } catch (e) {
    if (!(e instanceof CaptureError) || e.kind !== 'damaged') throw e;
    damaged = e;
  }
  return { packets, protocols, protocol, info, layers, dataDigest: all.digest('hex'), caplenSum, lenSum, damaged };
}

/** The flows as the decoder ends with them: one FlowTracker over the whole file, taken once, by "ipProto/stream". */
export async function expectedFlows(file: string): Promise<Map<string, FlowUpdate>> {
  const s = new Session();
  const ft = new FlowTracker();
  try {
    await readCapture(file, (f) => ft.note(s.dissect(f)));
  } catch (e) {
    if (!(e instanceof CaptureError) || e.kind !== 'damaged') throw e;
  }
  return new Map(ft.take().map((f) => [`${f.ipProto}/${f.stream}`, f]));
}

/** Differences between a capture's flows rows and the decoder's flows (empty when equal). */
export async function flowDiffs(db: Db, captureId: number, want: Map<string, FlowUpdate>): Promise<string[]> {
  const got = await rows<Record<string, string | number | boolean | null>>(
    db,
    `SELECT ip_proto, stream, host(client_ip) AS client_ip, host(server_ip) AS server_ip, client_port, server_port, packets_c2s, packets_s2c, bytes_c2s, bytes_s2c,
            syn, syn_ack, fin, rst, tcp_state, app, app_by, server_name, extract(epoch FROM first_ts)::float8 AS first, extract(epoch FROM last_ts)::float8 AS last
     FROM flows WHERE capture_id = $1`,
    [captureId],
  );
  const diffs: string[] = [];
  if (got.length !== want.size) diffs.push(`${got.length} flow rows, the decoder has ${want.size} conversations`);
  for (const g of got) {
    const key = `${g.ip_proto}/${g.stream}`;
    const f = want.get(key);
    if (!f) { diffs.push(`${key}: not a conversation of the file`); continue; }
    const cmp: [string, unknown, unknown][] = [
      ['client_ip', g.client_ip, f.clientIp], ['server_ip', g.server_ip, f.serverIp], ['client_port', g.client_port, f.clientPort], ['server_port', g.server_port, f.serverPort],
      ['packets_c2s', Number(g.packets_c2s), f.dPktsC2s], ['packets_s2c', Number(g.packets_s2c), f.dPktsS2c],
      ['bytes_c2s', Number(g.bytes_c2s), f.dBytesC2s], ['bytes_s2c', Number(g.bytes_s2c), f.dBytesS2c],
      ['syn', g.syn, f.syn], ['syn_ack', g.syn_ack, f.synAck], ['fin', g.fin, f.fin], ['rst', g.rst, f.rst],
      ['tcp_state', g.tcp_state, f.tcpState], ['app', g.app, f.app], ['app_by', g.app_by, f.appBy], ['server_name', g.server_name, f.serverName],
    ];
    for (const [k, a, b] of cmp) if (a !== b) diffs.push(`${key} ${k}: stored ${JSON.stringify(a)}, decoder ${JSON.stringify(b)}`);
    if (Math.abs(Number(g.first) - f.firstSec) > 2e-6 || Math.abs(Number(g.last) - f.lastSec) > 2e-6) diffs.push(`${key}: first/last ${g.first}/${g.last} vs ${f.firstSec}/${f.lastSec}`);
  }
  return diffs;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
  ms: number;
}

export interface Running {
  pid: number;
  done: Promise<RunResult>;
  exited: () => boolean;
  /** what the child has written to stderr so far */
  stderr: () => string;
  kill9: () => void;
}

/** Start `node bin/pktlens.js ARGS` with stdout/stderr on pipes. */
export function startPktlens(args: string[], env: NodeJS.ProcessEnv, cwd?: string): Running {
  const t0 = performance.now();
  const p = spawn(process.execPath, [BIN, ...args], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', err = '', exited = false;
  p.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
  p.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
  const done = new Promise<RunResult>((resolve, reject) => {
    p.on('error', reject);
    p.on('close', (code, signal) => {
      exited = true;
      resolve({ code, signal, out, err, ms: performance.now() - t0 });
    });
  });
  return {
    pid: p.pid!,
    done,
    exited: () => exited || p.exitCode !== null || p.signalCode !== null,
    stderr: () => err,
    kill9: () => {
      if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    },
  };
}

export function runPktlens(args: string[], env: NodeJS.ProcessEnv, cwd?: string): Promise<RunResult> {
  return startPktlens(args, env, cwd).done;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function one<R = Record<string, unknown>>(db: Db, sql: string, params: unknown[] = []): Promise<R> {
  const r = await db.query<R>(sql, params);
  assert.equal(r.rows.length, 1, `one row expected from: ${sql}`);
  return r.rows[0];
}

export async function rows<R = Record<string, unknown>>(db: Db, sql: string, params: unknown[] = []): Promise<R[]> {
  return (await db.query<R>(sql, params)).rows;
}

/** Rows of `a EXCEPT ALL b` and of `b EXCEPT ALL a` (both empty when the two queries give the same multiset). */
export async function symmetricDifference(db: Db, a: string, b: string, params: unknown[] = []): Promise<{ onlyA: unknown[]; onlyB: unknown[] }> {
  const onlyA = await rows(db, `(${a}) EXCEPT ALL (${b}) LIMIT 20`, params);
  const onlyB = await rows(db, `(${b}) EXCEPT ALL (${a}) LIMIT 20`, params);
  return { onlyA, onlyB };
}

async function sameRows(db: Db, what: string, a: string, b: string, params: unknown[]): Promise<void> {
  const d = await symmetricDifference(db, a, b, params);
  assert.deepEqual(d, { onlyA: [], onlyB: [] }, `${what}: rollup rows (onlyA) and packet aggregates (onlyB) differ`);
}

/** minute of a packet, as the rollups bucket it (Unix seconds floored to the minute) */
const MINUTE = `to_timestamp((ts_ns / 60000000000) * 60)`;

/**
 * The per-minute rollups add up to the packets table exactly, for the captures selected by `where`
 * ($1 = an array of capture ids): by protocol, by endpoint (sent/received), by port; per minute and in total.
 */
export async function assertRollupsAddUp(db: Db, captureIds: number[]): Promise<void> {
  const p = [captureIds];
  const inCap = 'capture_id = ANY($1::bigint[])';
  // totals per capture
  await sameRows(
    db,
    'rollup_protocol totals',
    `SELECT capture_id, sum(packets)::bigint AS n, sum(bytes)::bigint AS b FROM rollup_protocol WHERE ${inCap} GROUP BY 1`,
    `SELECT capture_id, count(*)::bigint, sum(len)::bigint FROM packets WHERE ${inCap} GROUP BY 1`,
    p,
  );
  // per protocol
  await sameRows(
    db,
    'rollup_protocol per protocol',
    `SELECT capture_id, protocol, sum(packets)::bigint, sum(bytes)::bigint FROM rollup_protocol WHERE ${inCap} GROUP BY 1, 2`,
    `SELECT capture_id, protocol, count(*)::bigint, sum(len)::bigint FROM packets WHERE ${inCap} GROUP BY 1, 2`,
    p,
  );
  // per minute and protocol: the rows themselves
  await sameRows(
    db,
    'rollup_protocol per minute',
    `SELECT capture_id, minute, protocol, packets, bytes FROM rollup_protocol WHERE ${inCap}`,
    `SELECT capture_id, ${MINUTE}, protocol, count(*)::bigint, sum(len)::bigint FROM packets WHERE ${inCap} GROUP BY 1, 2, 3`,
    p,
  );
  // endpoints: sent = packets with that src_ip, received = packets with that dst_ip (both addresses known)
  await sameRows(
    db,
    'rollup_endpoint totals',
    `SELECT capture_id, sum(packets_sent)::bigint, sum(bytes_sent)::bigint, sum(packets_recv)::bigint, sum(bytes_recv)::bigint FROM rollup_endpoint WHERE ${inCap} GROUP BY 1`,
    `SELECT capture_id, count(*)::bigint, sum(len)::bigint, count(*)::bigint, sum(len)::bigint FROM packets
       WHERE ${inCap} AND src_ip IS NOT NULL AND dst_ip IS NOT NULL GROUP BY 1`,
    p,
  );
  await sameRows(
    db,
    'rollup_endpoint per minute and address',
    `SELECT capture_id, minute, ip, packets_sent, bytes_sent, packets_recv, bytes_recv FROM rollup_endpoint WHERE ${inCap}`,
    `SELECT capture_id, m, ip, sum(ps)::bigint, sum(bs)::bigint, sum(pr)::bigint, sum(br)::bigint FROM (
       SELECT capture_id, ${MINUTE} AS m, src_ip AS ip, 1 AS ps, len AS bs, 0 AS pr, 0 AS br FROM packets WHERE ${inCap} AND src_ip IS NOT NULL AND dst_ip IS NOT NULL
       UNION ALL
       SELECT capture_id, ${MINUTE}, dst_ip, 0, 0, 1, len FROM packets WHERE ${inCap} AND src_ip IS NOT NULL AND dst_ip IS NOT NULL
     ) x GROUP BY 1, 2, 3`,
    p,
  );
  // ports: the lower port of each packet with both ports and an IP protocol
  await sameRows(
    db,
    'rollup_port per minute',
    `SELECT capture_id, minute, ip_proto, port, packets, bytes FROM rollup_port WHERE ${inCap}`,
    `SELECT capture_id, ${MINUTE}, ip_proto, least(src_port, dst_port), count(*)::bigint, sum(len)::bigint FROM packets
       WHERE ${inCap} AND src_port IS NOT NULL AND dst_port IS NOT NULL AND ip_proto IS NOT NULL GROUP BY 1, 2, 3, 4`,
    p,
  );
  // per second (the I/O graph)
  await sameRows(
    db,
    'rollup_second',
    `SELECT capture_id, second, packets, bytes FROM rollup_second WHERE ${inCap}`,
    `SELECT capture_id, ts_ns / 1000000000, count(*)::bigint, sum(len)::bigint FROM packets WHERE ${inCap} GROUP BY 1, 2`,
    p,
  );
  // application values per capture: the per-minute rows summed
  await sameRows(
    db,
    'rollup_value_total',
    `SELECT capture_id, kind, value, count FROM rollup_value_total WHERE ${inCap}`,
    `SELECT capture_id, kind, value, sum(count)::bigint FROM rollup_value WHERE ${inCap} GROUP BY 1, 2, 3`,
    p,
  );
  await sameRows(
    db,
    'rollup_endpoint_total',
    `SELECT capture_id, ip, packets_sent, bytes_sent, packets_recv, bytes_recv FROM rollup_endpoint_total WHERE ${inCap}`,
    `SELECT capture_id, ip, sum(packets_sent)::bigint, sum(bytes_sent)::bigint, sum(packets_recv)::bigint, sum(bytes_recv)::bigint FROM rollup_endpoint WHERE ${inCap} GROUP BY 1, 2`,
    p,
  );
  // the flow count kept on the capture
  await sameRows(
    db,
    'captures.flows',
    `SELECT id, flows FROM captures WHERE id = ANY($1::bigint[])`,
    `SELECT c.id, (SELECT count(*) FROM flows f WHERE f.capture_id = c.id)::bigint FROM captures c WHERE c.id = ANY($1::bigint[])`,
    p,
  );
  // IP conversations per capture (address pairs, each way), written independently of the accumulator's code
  await sameRows(
    db,
    'rollup_conv',
    `SELECT capture_id, lo, hi, packets_lh, bytes_lh, packets_hl, bytes_hl, first_lh, first_hl, first_ns, last_ns FROM rollup_conv WHERE ${inCap}`,
    `SELECT capture_id, lo, hi, count(*) FILTER (WHERE fwd)::bigint, coalesce(sum(len) FILTER (WHERE fwd), 0)::bigint,
       count(*) FILTER (WHERE NOT fwd)::bigint, coalesce(sum(len) FILTER (WHERE NOT fwd), 0)::bigint,
       min(frame) FILTER (WHERE fwd), min(frame) FILTER (WHERE NOT fwd), min(ts_ns), max(ts_ns)
     FROM (SELECT capture_id, frame, len, ts_ns, src_ip <= dst_ip AS fwd, CASE WHEN src_ip <= dst_ip THEN src_ip ELSE dst_ip END AS lo,
             CASE WHEN src_ip <= dst_ip THEN dst_ip ELSE src_ip END AS hi FROM packets WHERE ${inCap} AND src_ip IS NOT NULL AND dst_ip IS NOT NULL) x
     GROUP BY 1, 2, 3`,
    p,
  );
  await assertAllCapturesAddUp(db);
}

/**
 * The all-captures tables equal their per-capture sources summed over every capture in the database (call on a
 * database no other test writes): values, IP conversations (first frames as capture_id * 2^32 + frame), and TCP/UDP
 * endpoints as the flows table gives them.
 */
export async function assertAllCapturesAddUp(db: Db): Promise<void> {
  await sameRows(db, 'rollup_value_all', 'SELECT kind, value, count FROM rollup_value_all',
    'SELECT kind, value, sum(count)::bigint FROM rollup_value_total GROUP BY 1, 2', []);
  await sameRows(db, 'rollup_conv_all',
    'SELECT lo, hi, packets_lh, bytes_lh, packets_hl, bytes_hl, first_lh, first_hl, first_ns, last_ns FROM rollup_conv_all',
    `SELECT lo, hi, sum(packets_lh)::bigint, sum(bytes_lh)::bigint, sum(packets_hl)::bigint, sum(bytes_hl)::bigint,
       min(capture_id * 4294967296 + first_lh), min(capture_id * 4294967296 + first_hl), min(first_ns), max(last_ns) FROM rollup_conv GROUP BY 1, 2`, []);
  await sameRows(db, 'rollup_endpoint_port_all',
    'SELECT ip_proto, ip, port, packets_sent, bytes_sent, packets_recv, bytes_recv FROM rollup_endpoint_port_all',
    `SELECT ip_proto, ip, port, sum(ps)::bigint, sum(bs)::bigint, sum(pr)::bigint, sum(br)::bigint FROM (
       SELECT ip_proto, client_ip AS ip, client_port AS port, packets_c2s AS ps, bytes_c2s AS bs, packets_s2c AS pr, bytes_s2c AS br FROM flows
       UNION ALL SELECT ip_proto, server_ip, server_port, packets_s2c, bytes_s2c, packets_c2s, bytes_c2s FROM flows) x
     GROUP BY 1, 2, 3`, []);
}

/** Frames of a capture: count, distinct, min, max, and the digests the pcap walker computes. */
export async function storedSummary(db: Db, captureId: number): Promise<{
  n: number; distinct: number; min: number | null; max: number | null; caplenSum: number; dataLenSum: number; lenSum: number; dataDigest: string; tsDigest: string;
}> {
  const r = await one<Record<string, string | null>>(
    db,
    `SELECT count(*) AS n, count(DISTINCT frame) AS distinct, min(frame) AS min, max(frame) AS max,
            coalesce(sum(caplen), 0) AS caplen, coalesce(sum(length(data)), 0) AS datalen, coalesce(sum(len), 0) AS len,
            md5(coalesce(string_agg(md5(data), '' ORDER BY frame), '')) AS digest,
            md5(coalesce(string_agg(frame || ':' || ts_ns || ',', '' ORDER BY frame), '')) AS tsdigest
     FROM packets WHERE capture_id = $1`,
    [captureId],
  );
  const num = (x: string | null) => (x === null ? null : Number(x));
  return {
    n: Number(r.n), distinct: Number(r.distinct), min: num(r.min), max: num(r.max), caplenSum: Number(r.caplen),
    dataLenSum: Number(r.datalen), lenSum: Number(r.len), dataDigest: r.digest!, tsDigest: r.tsdigest!,
  };
}
