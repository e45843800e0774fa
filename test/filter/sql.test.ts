/**
 * Unit tests of the SQL back end: parameters only (no value in the SQL text), values that try to break out of SQL or
 * jsonpath stay values, a regular expression PostgreSQL cannot compile becomes a FilterError, and the packets'
 * fields/tags survive every way records travel (JSON between services, COPY, the INSERT fallback of the socket server).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toSql, sqlFilterError } from '../../src/filter/sql.js';
import { FilterError } from '../../src/filter/ast.js';
import { backendTest } from '../store/backends.js';
import { PCAPS } from '../store/util.js';
import { Store, BatchEncoder, PACKET_COLUMNS, ensurePartition } from '../../src/store/store.js';
import { insertFromCopyPayload } from '../../src/store/copy-insert.js';
import { recordFromJson, recordToJson, toRecord, type PacketRecord } from '../../src/store/record.js';
import { Session } from '../../src/dissect/session.js';
import { readCapture } from '../../src/wire/capture.js';
import { SQL_CASES, cmp, contains, matches, inSet, str, num, not, has } from './sql-cases.js';

/** Single-quoted literals toSql may write: jsonpath paths over catalog names and fixed function arguments. */
const ALLOWED_LITERAL = /^'(\$\."[A-Za-z0-9_.-]+"\[\*\]( \? \((?:[@ ()=<>&|]|\$[lhv]\d+)*\))?|\{\}|hex|UTF8|LATIN1|g|\\x00|\(\(\?:\.\.\)\*\?\)00|\\101)'$/;

function literals(sql: string): string[] {
  return sql.match(/'[^']*'/g) ?? [];
}

test('toSql: every value of every case is a parameter; the text holds only allowed literals', () => {
  for (const c of SQL_CASES) {
    const params: unknown[] = [];
    const sql = toSql(c.expr, params, 'p');
    for (const l of literals(sql)) assert.match(l, ALLOWED_LITERAL, `${c.text}: literal ${l} in ${sql}`);
    const placeholders = new Set([...sql.matchAll(/\$(\d+)::/g)].map((m) => Number(m[1])));
    assert.equal(placeholders.size, params.length, `${c.text}: ${params.length} parameters, ${placeholders.size} placeholders in ${sql}`);
    for (let i = 1; i <= params.length; i++) assert.ok(placeholders.has(i), `${c.text}: $${i} unused`);
  }
});

test('toSql: string values never reach the SQL text, whatever they hold', () => {
  const nasty = [`'; DROP TABLE packets; --`, `" || true || "`, `\\' OR 1=1 --`, '$1)--', `$$; SELECT 1; $$`, `") || @ == @ || ("`, 'a\u0000b'];
  for (const v of nasty) {
    for (const e of [cmp('dns.qry.name', '==', str(v)), cmp('http.user_agent', '==', str(v)), cmp('_ws.col.Info', '>', str(v)), contains('dns.qry.name', str(v)), matches('http.host', v), inSet('http.request.method', [str(v), str('GET')])]) {
      const params: unknown[] = [];
      const sql = toSql(e, params);
      assert.ok(!sql.includes(v), `value ${JSON.stringify(v)} inside ${sql}`);
      assert.ok(params.some((p) => (typeof p === 'string' && p.includes(v.replace(/\u0000/g, '\ufffd'))) || (Array.isArray(p) && p.some((x) => String(x).includes(v))) || (typeof p === 'string' && p.includes(JSON.stringify(v).slice(1, -1)))), `value ${JSON.stringify(v)} not among the parameters ${JSON.stringify(params)}`);
    }
  }
});

test('toSql: a bad alias is refused', () => {
  assert.throws(() => toSql(has('tcp'), [], 'p; DROP TABLE packets'), /alias/);
});

test('sqlFilterError: SQLSTATE 2201B is a FilterError, anything else is not', () => {
  assert.ok(sqlFilterError({ code: '2201B', message: 'invalid regular expression: parentheses () not balanced' }) instanceof FilterError);
  assert.equal(sqlFilterError({ code: '57014', message: 'canceling statement due to statement timeout' }), null);
  assert.equal(sqlFilterError(new Error('x')), null);
});

/** Records of a capture, as ingest builds them (copied: the decoder reuses its buffers). */
async function records(file: string): Promise<PacketRecord[]> {
  const s = new Session();
  const out: PacketRecord[] = [];
  await readCapture(file, (f) => {
    const r = toRecord(s.dissect(f));
    out.push({ ...r, data: r.data.slice() });
  });
  return out;
}

backendTest('injection attempts stay values; a regex PostgreSQL cannot compile gives a FilterError; != needs the field', { timeout: 180_000 }, async (_t, env) => {
  const db = await env.open();
  const store = new Store(db);
  const recs = await records(PCAPS + 'arkime-dns-wiresharkrepo.pcap');
  await store.writeBatch({ captureId: 1, seq: 0, records: recs, flows: [] });
  const count = async (e: Parameters<typeof toSql>[0]) => {
    const params: unknown[] = [];
    const r = await db.query<{ n: string }>(`SELECT count(*) AS n FROM packets p WHERE ${toSql(e, params)}`, params);
    return Number(r.rows[0].n);
  };
  for (const v of [`'; DROP TABLE packets; --`, `" || true || "`, `") || @ == @ || ("`, `\\`, `{"a":1}`]) {
    assert.equal(await count(cmp('dns.qry.name', '==', str(v))), 0);
    assert.equal(await count(cmp('dns.cname', '==', str(v))), 0);
    assert.equal(await count(contains('dns.qry.name', str(v))), 0);
    assert.equal(await count(inSet('dns.qry.name', [str(v)])), 0);
  }
  assert.equal(await count(has('frame')), recs.length, 'the table is still there, whole');
  // a known name matches through the tag and through the jsonb alike
  const name = recs.map((r) => JSON.parse(r.fields)['dns.qry.name']).find((x) => typeof x === 'string') as string;
  assert.ok(name, 'a DNS name in the capture');
  const byTag = await count(cmp('dns.qry.name', '==', str(name)));
  assert.ok(byTag > 0);
  assert.equal(await count(inSet('dns.qry.name', [str(name), str('no.such.name')])), byTag);
  assert.equal(await count(matches('dns.qry.name', `^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`)), byTag, 'the same packets by regex');
  // != : the field is there and no occurrence equals; packets without the field match neither
  const withName = await count(has('dns.qry.name'));
  assert.equal(await count(cmp('dns.qry.name', '!=', str(name))), withName - byTag);
  assert.equal(await count(cmp('tcp.port', '!=', num(53))), 0, 'no TCP in this capture: nothing is != 53');
  assert.equal(await count(not(cmp('tcp.port', '==', num(53)))), recs.length);
  // a regular expression PostgreSQL cannot compile: SQLSTATE 2201B, a FilterError for the API's 400
  const params: unknown[] = [];
  const sql = toSql(matches('dns.qry.name', 'a(b'), params);
  const err = await db.query(`SELECT count(*) FROM packets p WHERE ${sql}`, params).then(() => null, (e: unknown) => e);
  assert.ok(err, 'the query fails');
  const fe = sqlFilterError(err);
  assert.ok(fe instanceof FilterError, `FilterError from ${String(err)}`);
});

backendTest('fields and tags: JSON between services, binary COPY and the INSERT fallback store the same', { timeout: 180_000 }, async (_t, env) => {
  const db = await env.open();
  const recs = await records(PCAPS + 'tcpdump-vxlan.pcap');
  recs.push(...(await records(PCAPS + 'zeek-smb2readwrite.pcap')).map((r) => ({ ...r, frame: r.frame + 1000 })));
  // JSON round trip keeps both
  for (const r of recs) {
    const back = recordFromJson(JSON.parse(JSON.stringify(recordToJson(r))));
    assert.equal(back.fields, r.fields);
    assert.deepEqual(back.tags, r.tags);
  }
  const enc = (capture: number) => {
    const e = new BatchEncoder(capture);
    for (const r of recs) e.add(r);
    return e.finish();
  };
  const a = enc(1), b = enc(2);
  await db.transaction(async (tx) => {
    for (const d of a.days) await ensurePartition(tx, d);
    await tx.copyBinary('packets', PACKET_COLUMNS, a.payload);
    await insertFromCopyPayload(tx, 'packets', PACKET_COLUMNS, b.payload);
  });
  const rows = await db.query<{ capture_id: string; frame: string; fields: string; tags: string[] }>(
    'SELECT capture_id, frame, fields::text AS fields, tags FROM packets ORDER BY frame, capture_id',
  );
  assert.equal(rows.rows.length, recs.length * 2);
  for (let i = 0; i < rows.rows.length; i += 2) {
    const x = rows.rows[i], y = rows.rows[i + 1];
    assert.equal(x.frame, y.frame);
    assert.equal(x.fields, y.fields, `frame ${x.frame}: fields by COPY and by INSERT`);
    assert.deepEqual(x.tags, y.tags, `frame ${x.frame}: tags`);
    const r = recs.find((q) => q.frame === Number(x.frame))!;
    assert.deepEqual(JSON.parse(x.fields), JSON.parse(r.fields), `frame ${x.frame}: stored fields are the record's`);
    assert.deepEqual(x.tags, r.tags);
  }
});
