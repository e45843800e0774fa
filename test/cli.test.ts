/** The pktlens command as a user runs it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = new URL('../../', import.meta.url).pathname;
const BIN = join(ROOT, 'bin/pktlens.js');
const SAMPLE = join(ROOT, 'samples/sample.pcap');
const SHARED = join(ROOT, '../shared/pcaps/');

function run(args: string[], input?: Buffer): { code: number | null; out: string; err: string } {
  const p = spawnSync(process.execPath, [BIN, ...args], { input, maxBuffer: 1 << 28 });
  return { code: p.status, out: p.stdout.toString(), err: p.stderr.toString() };
}

function hasTshark(): boolean {
  return spawnSync('tshark', ['--version']).status === 0;
}

test('--help and --version', () => {
  const h = run(['--help']);
  assert.equal(h.code, 0);
  assert.match(h.out, /usage: pktlens <command>/);
  assert.match(h.out, /decode/);
  const v = run(['--version']);
  assert.equal(v.code, 0);
  assert.match(v.out, /^pktlens \d+\.\d+\.\d+/);
  assert.equal(run(['nonsense']).code, 2);
});

test('the sample capture exists and decodes in every output format', () => {
  assert.ok(existsSync(SAMPLE), 'samples/sample.pcap is missing');
  const t = run(['decode', SAMPLE, '-c', '5']);
  assert.equal(t.code, 0, t.err);
  assert.equal(t.out.trim().split('\n').length, 5);
  const nd = run(['decode', '-r', SAMPLE, '-T', 'ndjson', '-c', '3']);
  const rows = nd.out.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(rows.length, 3);
  assert.equal(rows[0].frame, 1);
  assert.ok(rows[0].layers.eth);
  const js = JSON.parse(run(['decode', '-r', SAMPLE, '-T', 'json', '-c', '2']).out);
  assert.equal(js.length, 2);
});

test('-T fields matches tshark on the project sample, field by field', { timeout: 120_000 }, (t) => {
  if (!hasTshark()) {
    assert.notEqual(process.env.CI, 'true', 'tshark is required under CI');
    t.skip('tshark not installed');
    return;
  }
  const fields = ['frame.number', 'frame.time_epoch', 'frame.len', 'eth.src', 'eth.dst', 'ip.src', 'ip.dst', 'ipv6.src', 'ipv6.dst',
    'ip.proto', 'ip.ttl', 'tcp.srcport', 'tcp.dstport', 'tcp.flags', 'tcp.len', 'tcp.stream', 'udp.srcport', 'udp.dstport', 'udp.stream',
    'arp.opcode', 'icmp.type', 'icmpv6.type', 'dns.qry.name', 'dns.qry.type', 'dns.flags.rcode', 'http.host', 'http.request.method',
    'http.request.uri', 'http.response.code', 'tls.handshake.type', 'tls.handshake.extensions_server_name', 'tls.handshake.ja3',
    'quic.version', 'dhcp.option.dhcp', 'ntp.flags.mode', 'ssh.protocol', '_ws.col.Protocol'];
  const args = ['-T', 'fields', ...fields.flatMap((f) => ['-e', f])];
  const ours = run(['decode', '-r', SAMPLE, ...args]).out.split('\n');
  const ref = spawnSync('tshark', ['-n', '-r', SAMPLE, '-E', 'occurrence=f', ...args], { maxBuffer: 1 << 28 }).stdout.toString().split('\n');
  assert.equal(ours.length, ref.length, 'frame count');
  const bad: string[] = [];
  let cells = 0;
  for (let i = 0; i < ref.length; i++) {
    const a = ref[i].split('\t'), b = ours[i].split('\t');
    fields.forEach((f, j) => {
      let x = a[j] ?? '', y = b[j] ?? '';
      if (f === 'frame.time_epoch') { x = x.slice(0, 17); y = y.slice(0, 17); }
      if (!x && !y) return;
      cells++;
      if (x !== y) bad.push(`frame ${i + 1} ${f}: tshark=${JSON.stringify(x)} ours=${JSON.stringify(y)}`);
    });
  }
  const pct = (100 * (cells - bad.length)) / cells;
  t.diagnostic(`sample: ${pct.toFixed(2)}% of ${cells} cells agree with tshark`);
  assert.ok(pct >= 99.0, `${pct.toFixed(2)}% agreement\n${bad.slice(0, 20).join('\n')}`);
});

test('unknown field: exit 2 naming the closest fields', () => {
  const r = run(['decode', '-r', SAMPLE, '-T', 'fields', '-e', 'ip.scr']);
  assert.equal(r.code, 2);
  assert.match(r.err, /unknown field "ip\.scr".*ip\.src/);
  assert.equal(r.err.trim().split('\n').length, 1);
});

test('standard input, gzip and -c', () => {
  const b = readFileSync(SAMPLE);
  const a = run(['decode', '-r', '-', '-T', 'fields', '-e', 'frame.number', '-e', 'ip.src', '-c', '50'], b);
  const z = run(['decode', '-r', '-', '-T', 'fields', '-e', 'frame.number', '-e', 'ip.src', '-c', '50'], gzipSync(b));
  assert.equal(a.code, 0, a.err);
  assert.equal(a.out.trim().split('\n').length, 50);
  assert.equal(z.out, a.out);
});

test('a damaged capture: every whole packet, one line on stderr, exit 2', () => {
  const b = readFileSync(SAMPLE);
  const whole = run(['decode', '-r', SAMPLE, '-T', 'fields', '-e', 'frame.number']).out.trim().split('\n').length;
  const dir = mkdtempSync(join(tmpdir(), 'pktlens-'));
  const cut = join(dir, 'cut.pcap');
  writeFileSync(cut, b.subarray(0, b.length - 7));
  const r = run(['decode', '-r', cut, '-T', 'fields', '-e', 'frame.number']);
  assert.equal(r.code, 2);
  assert.equal(r.out.trim().split('\n').length, whole - 1);
  assert.match(r.err, new RegExp(`cut short at byte \\d+ after ${whole - 1} packets`));
  assert.equal(r.err.trim().split('\n').length, 1);
  const junk = join(dir, 'notes.txt');
  writeFileSync(junk, 'these are my notes, not a capture\n');
  const j = run(['decode', junk]);
  assert.equal(j.code, 2);
  assert.match(j.err, /not a capture file: found text/);
  assert.equal(j.err.trim().split('\n').length, 1);
});

test('the suricata truncated capture stops where tshark stops', (t) => {
  const f = join(SHARED, 'suri-http-mime-truncated.pcap');
  if (!existsSync(f)) { assert.notEqual(process.env.CI, 'true'); t.skip('no shared captures'); return; }
  const r = run(['decode', '-r', f, '-T', 'fields', '-e', 'frame.number']);
  assert.equal(r.code, 2);
  assert.equal(r.out.trim().split('\n').length, 2696);
  assert.match(r.err, /cut short at byte \d+ after 2696 packets/);
});
