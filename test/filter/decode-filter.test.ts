/** `pktlens decode -Y FILTER` as a user runs it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = new URL('../../../', import.meta.url).pathname;
const BIN = join(ROOT, 'bin/pktlens.js');
const SAMPLE = join(ROOT, 'samples/sample.pcap');

function run(args: string[]): { code: number | null; out: string; err: string } {
  const p = spawnSync(process.execPath, [BIN, ...args], { maxBuffer: 1 << 28 });
  return { code: p.status, out: p.stdout.toString(), err: p.stderr.toString() };
}

test('a bad filter is a usage error (exit 2) that shows where', () => {
  const r = run(['decode', SAMPLE, '-Y', 'ip.addr == ']);
  assert.equal(r.code, 2);
  assert.equal(r.out, '');
  assert.equal(r.err, 'pktlens: -Y: 1:9: expected a value after "=="\n    ip.addr == \n            ^\n');
  const u = run(['decode', SAMPLE, '-Y', 'tcp.prot == 1']);
  assert.equal(u.code, 2);
  assert.match(u.err, /^pktlens: -Y: 1:1: "tcp\.prot" is not a field; did you mean tcp\.port/);
  const t = run(['decode', SAMPLE, '-Y', 'ip.src == abc']);
  assert.equal(t.code, 2);
  assert.match(t.err, /1:11: "abc" is not valid for ip\.src \(wanted an IPv4 address or CIDR\)/);
  assert.equal(run(['decode', SAMPLE, '-Y']).code, 2);
});

test('-Y keeps the matching packets in every output format; -c counts kept packets; an empty filter keeps all', () => {
  const all = run(['decode', SAMPLE, '-T', 'fields', '-e', 'frame.number', '-e', 'tcp.port', '-E', 'occurrence=a']);
  assert.equal(all.code, 0, all.err);
  const rows = all.out.trim().split('\n').map((l) => l.split('\t'));
  const want = rows.filter(([, p]) => (p ?? '').split(',').includes('443')).map(([n]) => n);
  assert.ok(want.length > 10 && want.length < rows.length);
  const got = run(['decode', SAMPLE, '-Y', 'tcp.port == 443', '-T', 'fields', '-e', 'frame.number']);
  assert.equal(got.code, 0, got.err);
  assert.deepEqual(got.out.trim().split('\n'), want);
  const text = run(['decode', SAMPLE, '-Y', 'tcp.port == 443']);
  assert.equal(text.out.trim().split('\n').length, want.length);
  assert.match(text.out.split('\n')[0], new RegExp(`^\\s*${want[0]} `));
  const nd = run(['decode', SAMPLE, '-Y', 'tcp.port == 443', '-T', 'ndjson', '-c', '3']);
  assert.deepEqual(nd.out.trim().split('\n').map((l) => String(JSON.parse(l).frame)), want.slice(0, 3));
  const none = run(['decode', SAMPLE, '-Y', 'tcp.port == 443 && !tcp', '-T', 'fields', '-e', 'frame.number']);
  assert.equal(none.code, 0);
  assert.equal(none.out, '');
  const empty = run(['decode', SAMPLE, '-Y', ' ', '-T', 'fields', '-e', 'frame.number']);
  assert.equal(empty.out.trim().split('\n').length, rows.length);
});

test('recording only the fields the filter and the output need gives the same packets as recording all', () => {
  for (const f of ['dns.qry.name contains "a" || tls.handshake.extensions_server_name', 'tcp.flags.syn == 1 && !(ip.addr == 10.0.0.0/8)', 'frame contains "HTTP"', 'udp.port in {53, 123, 5353} and not dns.flags.response == 1']) {
    const lean = run(['decode', SAMPLE, '-Y', f, '-T', 'fields', '-e', 'frame.number']);
    const full = run(['decode', SAMPLE, '-Y', f, '-T', 'fields', '-e', 'frame.number', '-e', '_ws.col.Info']);
    assert.equal(lean.code, 0, lean.err);
    const a = lean.out.trim().split('\n');
    assert.ok(a.length > 0 && a[0] !== '', f);
    assert.deepEqual(a, full.out.trim().split('\n').map((l) => l.split('\t')[0]), f);
  }
});
