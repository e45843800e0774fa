// Tests for the synthetic capture generator and the pcap/pcapng writers. Checks that need tshark skip when it is
// missing, except under CI=true, where a missing tshark is a failure.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test, type TestContext } from 'node:test';
import { generate } from '../src/gen/generate.js';
import * as P from '../src/gen/packets.js';
import { PcapngWriter, PcapWriter } from '../src/wire/pcap-writer.js';

const dir = mkdtempSync(join(tmpdir(), 'pktlens-gen-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A sink that keeps everything in memory. */
class MemorySink {
  readonly chunks: Uint8Array[] = [];
  write(b: Uint8Array): boolean { this.chunks.push(b); return true; }
  bytes(): Buffer { return Buffer.concat(this.chunks); }
}

async function generateToBuffer(packets: number, seed: number, format: 'pcap' | 'pcapng' = 'pcap', hostile = false): Promise<Buffer> {
  const sink = new MemorySink();
  await generate({ out: sink as unknown as NodeJS.WritableStream, packets, seed, format, hostile });
  return sink.bytes();
}

interface PcapRecord { sec: number; frac: number; incl: number; orig: number; data: Buffer }

/** Minimal independent little-endian pcap parser: header checks, then every record header. */
function parsePcap(buf: Buffer): { nanos: boolean; snaplen: number; linktype: number; records: PcapRecord[] } {
  assert.ok(buf.length >= 24, 'file shorter than a pcap header');
  const magic = buf.readUInt32LE(0);
  assert.ok(magic === 0xa1b23c4d || magic === 0xa1b2c3d4, `bad magic 0x${magic.toString(16)}`);
  assert.equal(buf.readUInt16LE(4), 2);
  assert.equal(buf.readUInt16LE(6), 4);
  const snaplen = buf.readUInt32LE(16), linktype = buf.readUInt32LE(20);
  const records: PcapRecord[] = [];
  let off = 24;
  while (off < buf.length) {
    assert.ok(off + 16 <= buf.length, `truncated record header at ${off}`);
    const sec = buf.readUInt32LE(off), frac = buf.readUInt32LE(off + 4), incl = buf.readUInt32LE(off + 8), orig = buf.readUInt32LE(off + 12);
    assert.ok(incl <= snaplen && incl <= orig, `record at ${off}: incl ${incl}, orig ${orig}, snaplen ${snaplen}`);
    assert.ok(off + 16 + incl <= buf.length, `truncated record body at ${off}`);
    records.push({ sec, frac, incl, orig, data: buf.subarray(off + 16, off + 16 + incl) });
    off += 16 + incl;
  }
  assert.equal(off, buf.length);
  return { nanos: magic === 0xa1b23c4d, snaplen, linktype, records };
}

const tsharkPresent = spawnSync('tshark', ['-v'], { stdio: 'ignore' }).error === undefined;

/** Runs tshark, or skips the test when it is absent (a failure under CI=true). Returns stdout. */
function tshark(t: TestContext, args: string[]): string | undefined {
  if (!tsharkPresent) {
    assert.notEqual(process.env.CI, 'true', 'tshark is required under CI=true');
    t.skip('tshark not installed');
    return undefined;
  }
  const r = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, `tshark ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

test('the generator is deterministic for a seed and differs across seeds', async () => {
  const a = await generateToBuffer(1500, 42);
  const b = await generateToBuffer(1500, 42);
  const c = await generateToBuffer(1500, 43);
  assert.ok(a.equals(b), 'same seed, same bytes');
  assert.ok(!a.equals(c), 'different seed, different bytes');
});

test('pcap output is well formed and holds exactly the requested packet count', async () => {
  for (const n of [0, 1, 7, 3000]) {
    const file = join(dir, `count-${n}.pcap`);
    const r = await generate({ out: file, packets: n, seed: 5 });
    const buf = readFileSync(file);
    assert.equal(r.bytes, buf.length);
    assert.equal(r.packets, n);
    const pcap = parsePcap(buf);
    assert.equal(pcap.nanos, true);
    assert.equal(pcap.linktype, 1);
    assert.equal(pcap.records.length, n);
    let last = -Infinity;
    for (const rec of pcap.records) {
      assert.ok(rec.frac < 1e9);
      const ts = rec.sec * 1e9 + rec.frac;
      assert.ok(ts >= last, 'timestamps never go backwards');
      last = ts;
      assert.ok(rec.incl >= 60 && rec.incl <= 1518, `frame length ${rec.incl}`);
    }
  }
});

test('the capture spans minutes, with mostly small packets', async () => {
  const { records } = parsePcap(await generateToBuffer(5000, 9));
  const first = records[0]!, last = records[records.length - 1]!;
  const span = last.sec - first.sec;
  assert.ok(span >= 120 && span <= 1200, `span ${span} s`);
  const avg = records.reduce((s, r) => s + r.incl, 0) / records.length;
  assert.ok(avg > 250 && avg < 750, `average frame ${avg}`);
});

test('PcapWriter: microsecond magic, snaplen cut, timestamp normalisation', async () => {
  const sink = new MemorySink();
  const w = new PcapWriter(sink, { nanos: false, snaplen: 64, linktype: 101 });
  w.writePacket(100, 999_999_999, new Uint8Array(100), 150);
  w.writePacket(100, 1_500_000_000, new Uint8Array(10));
  await w.end();
  const p = parsePcap(sink.bytes());
  assert.equal(p.nanos, false);
  assert.equal(p.linktype, 101);
  assert.deepEqual(p.records.map((r) => [r.sec, r.frac, r.incl, r.orig]), [[100, 999_999, 64, 150], [101, 500_000, 10, 10]]);
});

test('writers wait for drain when the sink pushes back', async () => {
  class SlowSink extends EventEmitter {
    writes = 0;
    write(): boolean { this.writes++; setImmediate(() => this.emit('drain')); return false; }
  }
  const sink = new SlowSink();
  const w = new PcapWriter(sink);
  const frame = new Uint8Array(1500);
  let waits = 0;
  for (let i = 0; i < 2000; i++) if (!w.writePacket(i, 0, frame)) { waits++; await w.flush(); }
  await w.end();
  assert.ok(waits >= 2, `waited ${waits} times`);
  assert.equal(w.bytes, 24 + 2000 * (16 + 1500));
  assert.equal(w.needsDrain, false);
});

test('PcapngWriter: one IDB per distinct interface, EPB timestamps in the interface resolution', async () => {
  const sink = new MemorySink();
  const w = new PcapngWriter(sink);
  const eth = w.addInterface(1);
  assert.equal(w.addInterface(1), eth);
  const raw = w.addInterface(101, 65535, false);
  assert.notEqual(raw, eth);
  w.writePacket(eth, 1715673600, 123_456_789, new Uint8Array(61));
  w.writePacket(raw, 1715673600, 123_456_789, new Uint8Array(20));
  await w.end();
  const buf = sink.bytes();
  const blocks: { type: number; body: Buffer }[] = [];
  for (let off = 0; off < buf.length;) {
    const type = buf.readUInt32LE(off), len = buf.readUInt32LE(off + 4);
    assert.equal(len % 4, 0);
    assert.equal(buf.readUInt32LE(off + len - 4), len, 'trailing block length');
    blocks.push({ type, body: buf.subarray(off + 8, off + len - 4) });
    off += len;
  }
  assert.deepEqual(blocks.map((b) => b.type), [0x0a0d0d0a, 1, 1, 6, 6]);
  const ts = (b: Buffer) => (BigInt(b.readUInt32LE(4)) << 32n) + BigInt(b.readUInt32LE(8));
  assert.equal(ts(blocks[3]!.body), 1715673600n * 1_000_000_000n + 123_456_789n);
  assert.equal(ts(blocks[4]!.body), 1715673600n * 1_000_000n + 123_456n);
  assert.equal(blocks[3]!.body.readUInt32LE(12), 61);
});

test('packet builders: checksums verify', () => {
  const link = { src: P.mac('02:00:00:00:00:01'), dst: P.mac('02:00:00:00:00:02') };
  const net = { src: P.ipv4('10.0.0.1'), dst: P.ipv4('10.0.0.2'), ttl: 64, id: 7, df: true };
  const f = P.udp(link, net, 1000, 2000, Uint8Array.of(1, 2, 3));
  assert.equal(f.length, 60, 'padded to the Ethernet minimum');
  assert.equal(P.fold(P.sum16(f, 14, 20)), 0, 'IPv4 header checksum');
  const udpLen = 11;
  const pseudo = P.sum16(net.src, 0, 4, P.sum16(net.dst, 0, 4, 17 + udpLen));
  assert.equal(P.fold(P.sum16(f, 34, udpLen, pseudo)), 0, 'UDP checksum with pseudo-header');
  assert.deepEqual([...P.ipv6('2001:db8::1')], [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
  assert.deepEqual([...P.tcpOptions({ mss: 1460, sackPerm: true, ts: [1, 0], wscale: 7 })],
    [2, 4, 5, 180, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7]);
});

test('tshark reads the pcapng output', async (t) => {
  const file = join(dir, 'gen.pcapng');
  await generate({ out: file, packets: 800, seed: 3, format: 'pcapng' });
  const out = tshark(t, ['-n', '-r', file, '-T', 'fields', '-e', 'frame.number']);
  if (out === undefined) return;
  assert.equal(out.trim().split('\n').length, 800);
});

test('tshark: checksums are valid and nothing is malformed', async (t) => {
  const file = join(dir, 'checks.pcap');
  await generate({ out: file, packets: 4000, seed: 11 });
  const bad = tshark(t, ['-n', '-r', file, '-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE',
    '-Y', 'ip.checksum.status==0 or tcp.checksum.status==0 or udp.checksum.status==0 or icmp.checksum.status==0 or icmpv6.checksum.status==0']);
  if (bad === undefined) return;
  assert.equal(bad, '');
  assert.equal(tshark(t, ['-n', '-r', file, '-Y', '_ws.malformed']), '');
});

test('tshark decrypts the QUIC Initial and finds every protocol of the mix', async (t) => {
  const file = join(dir, 'mix.pcap');
  await generate({ out: file, packets: 2000, seed: 1 });
  const sni = tshark(t, ['-n', '-r', file, '-Y', 'quic && tls.handshake.type == 1', '-T', 'fields', '-e', 'tls.handshake.extensions_server_name']);
  if (sni === undefined) return;
  assert.match(sni, /\w+\.\w+/);
  const protos = tshark(t, ['-n', '-r', file, '-T', 'fields', '-e', 'frame.protocols'])!;
  for (const p of ['arp', 'dhcp', 'dns', 'mdns', 'http', 'tls', 'quic', 'ssh', 'ntp', 'icmp', 'icmpv6', 'vlan', 'data']) {
    assert.match(protos, new RegExp(`(^|:)${p}(:|$)`, 'm'), `no ${p} in the capture`);
  }
  const versions = tshark(t, ['-n', '-r', file, '-Y', 'tls.handshake.type == 2', '-T', 'fields', '-e', 'tls.handshake.extensions.supported_version', '-e', 'tls.handshake.version'])!;
  assert.match(versions, /0x0304/, 'a TLS 1.3 ServerHello');
  assert.match(versions, /^\t0x0303$/m, 'a TLS 1.2 ServerHello');
});

test('hostile mode puts markup in names and headers', async () => {
  const buf = await generateToBuffer(4000, 2, 'pcap', true);
  const text = buf.toString('latin1');
  for (const s of ['<img src=x onerror=alert(1)>', '<script>alert(document.domain)</script>', "<svg onload=alert('sni')>"]) {
    assert.ok(text.includes(s), `missing ${s}`);
  }
  assert.ok(!(await generateToBuffer(4000, 2)).toString('latin1').includes('<script>'), 'no markup without --hostile');
});
