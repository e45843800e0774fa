/**
 * Live capture through tcpdump/dumpcap with real traffic, on loopback only (127.0.0.1).
 * Needs root (or a tool with CAP_NET_RAW); the capture tests are skipped, with the reason, when capture is impossible.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import http from 'node:http';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  startLive, listInterfaces, classifyToolError, parseStatsLine, LiveCaptureError,
  type LiveCapture, type LiveOptions, type LiveStats, type LiveTool, type Frame,
} from '../../src/capture/live.js';

const LIVE_JS = new URL('../../src/capture/live.js', import.meta.url).pathname;

function whichSync(name: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin` } });
  const p = r.stdout?.toString().trim();
  return r.status === 0 && p ? p : undefined;
}
const TCPDUMP = whichSync('tcpdump');
const DUMPCAP = whichSync('dumpcap');
const SETPRIV = whichSync('setpriv');
const ROOT = process.geteuid?.() === 0;
/** can we capture at all here? (tool present and allowed) */
const canCapture = await (async () => {
  if (!TCPDUMP && !DUMPCAP) return 'no tcpdump or dumpcap installed';
  try {
    const c = await startLive({ iface: 'lo', bpf: 'udp port 9' }, () => {});
    await c.stop();
    return true;
  } catch (e) {
    return `cannot capture on lo: ${(e as Error).message}`;
  }
})();
const skipLive = canCapture === true ? false : canCapture;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) return false;
    await sleep(10);
  }
  return true;
}

/** UDP payload of an Ethernet + IPv4 frame (what tcpdump gives for Linux `lo`), or undefined. */
function udpPayload(f: Frame, port: number): string | undefined {
  const d = f.data;
  if (f.linktype !== 1 || d.length < 14 + 20 + 8) return undefined;
  if (d[12] !== 0x08 || d[13] !== 0x00) return undefined; // IPv4
  const ihl = (d[14] & 0x0f) * 4;
  if (d[14 + 9] !== 17) return undefined; // UDP
  const u = 14 + ihl;
  if (((d[u + 2] << 8) | d[u + 3]) !== port) return undefined;
  return Buffer.from(d.subarray(u + 8)).toString('latin1');
}

/** a bound UDP socket on a free port (so datagrams to it are delivered, not answered with ICMP) */
async function udpSink(): Promise<{ sock: dgram.Socket; port: number; got: () => number }> {
  const sock = dgram.createSocket('udp4');
  let got = 0;
  sock.on('message', () => { got++; });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  return { sock, port: sock.address().port, got: () => got };
}

async function httpServer(): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer((_req, res) => res.end('hello from pktlens test\n'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, port: (server.address() as import('node:net').AddressInfo).port };
}

const SENT = 2000;
const seqText = (i: number) => `pktlens-seq-${String(i).padStart(6, '0')}`;

/** Send SENT numbered datagrams at a steady rate (about 1 per ms) plus a few HTTP requests; check what came back. */
async function roundTrip(extra: Partial<LiveOptions>): Promise<{ stats: LiveStats; seen: Map<number, number>; other: number; live: LiveCapture }> {
  const sink = await udpSink();
  const web = await httpServer();
  const seen = new Map<number, number>();
  let other = 0;
  const live = await startLive({ iface: 'lo', bpf: `udp port ${sink.port}`, bufferMiB: 16, ...extra }, (f) => {
    const p = udpPayload(f, sink.port);
    const m = p ? /^pktlens-seq-(\d{6})$/.exec(p) : null;
    if (!m) { other++; return; }
    const n = Number(m[1]);
    seen.set(n, (seen.get(n) ?? 0) + 1);
  });
  const tx = dgram.createSocket('udp4');
  try {
    assert.equal(live.linktype, 1, 'Linux lo captures as Ethernet (link type 1)');
    let i = 0;
    const sending = new Promise<void>((resolve, reject) => {
      const t = setInterval(() => {
        for (let k = 0; k < 5 && i < SENT; k++, i++) tx.send(seqText(i), sink.port, '127.0.0.1', (e) => { if (e) reject(e); });
        if (i >= SENT) { clearInterval(t); resolve(); }
      }, 5);
    });
    // traffic the filter must exclude
    for (let k = 0; k < 5; k++) {
      const body = await (await fetch(`http://127.0.0.1:${web.port}/k${k}`)).text();
      assert.match(body, /hello/);
    }
    await sending;
    await waitFor(() => sink.got() >= SENT, 5000);
    // no waiting for the capture: stop() itself lets what reached the kernel arrive
    const r = await live.stop();
    assert.equal(r.error, undefined, `capture ended with ${r.error?.message}`);
    assert.equal(r.stoppedBy, 'stop');
    return { stats: r.stats, seen, other, live };
  } finally {
    await live.stop();
    tx.close();
    sink.sock.close();
    web.server.close();
  }
}

function checkRoundTrip(stats: LiveStats, seen: Map<number, number>, other: number): void {
  const dup = [...seen].filter(([, c]) => c !== 1);
  assert.deepEqual(dup, [], 'a datagram was delivered more than once');
  assert.equal(other, 0, 'frames the filter excludes (HTTP) or unreadable frames were delivered');
  assert.equal(stats.received, seen.size);
  // the tool's own count must match what we read from its stream: nothing lost between the tool and us
  assert.equal(stats.captured, stats.received, 'tool captured count differs from frames read');
  if (stats.kernelDropped === 0 && stats.ifDropped === 0) {
    const missing = [];
    for (let i = 0; i < SENT; i++) if (!seen.has(i)) missing.push(i);
    assert.deepEqual(missing.slice(0, 10), [], `${missing.length} datagrams missing although the tool reports no drops`);
  } else {
    assert.ok(stats.received + stats.kernelDropped + stats.ifDropped >= SENT,
      `received ${stats.received} + dropped ${stats.kernelDropped}+${stats.ifDropped} < sent ${SENT}`);
  }
}

const tools: LiveTool[] = [...(TCPDUMP ? ['tcpdump' as const] : []), ...(DUMPCAP ? ['dumpcap' as const] : [])];

for (const tool of tools) {
  test(`${tool}: every numbered datagram exactly once, HTTP filtered out`, { skip: skipLive, timeout: 60000 }, async (t) => {
    const { stats, seen, other, live } = await roundTrip({ tool });
    assert.equal(live.tool, tool);
    checkRoundTrip(stats, seen, other);
    t.diagnostic(`${tool}: ${seen.size}/${SENT} received, tool captured ${stats.captured}, kernel dropped ${stats.kernelDropped}, if dropped ${stats.ifDropped}, seen by filter ${stats.seenByFilter}`);
  });
}

test('tcpdump --immediate-mode (16 MiB buffer): every numbered datagram exactly once', { skip: skipLive || (!TCPDUMP && 'no tcpdump'), timeout: 60000 }, async (t) => {
  const { stats, seen, other } = await roundTrip({ tool: 'tcpdump', immediate: true, bufferMiB: 16 });
  checkRoundTrip(stats, seen, other);
  t.diagnostic(`tcpdump immediate: ${seen.size}/${SENT} received, tool captured ${stats.captured}, kernel dropped ${stats.kernelDropped}`);
});

test('tcpdump: SIGUSR1 every 2 ms does not disturb the pcap stream', { skip: skipLive || (!TCPDUMP && 'no tcpdump'), timeout: 60000 }, async () => {
  const { stats, seen, other } = await roundTrip({ tool: 'tcpdump', statsIntervalMs: 2 });
  checkRoundTrip(stats, seen, other);
});

test('tcpdump: counters refresh while running (SIGUSR1), frames counted before stop', { skip: skipLive || (!TCPDUMP && 'no tcpdump'), timeout: 30000 }, async () => {
  const sink = await udpSink();
  const live = await startLive({ iface: 'lo', tool: 'tcpdump', bpf: `udp port ${sink.port}`, statsIntervalMs: 200 }, () => {});
  const tx = dgram.createSocket('udp4');
  try {
    assert.equal(live.stats.received, 0);
    for (let i = 0; i < 50; i++) tx.send(seqText(i), sink.port, '127.0.0.1');
    assert.ok(await waitFor(() => live.stats.received >= 50, 5000), `received only ${live.stats.received}`);
    // the tool's report comes back through SIGUSR1 while the capture keeps running
    assert.ok(await waitFor(() => (live.stats.captured ?? 0) >= 50, 5000), `tool reported ${live.stats.captured}`);
    const mid = live.stats;
    assert.ok(mid.updatedAt > 0 && mid.updatedAt <= Date.now());
    for (let i = 50; i < 80; i++) tx.send(seqText(i), sink.port, '127.0.0.1');
    assert.ok(await waitFor(() => live.stats.received >= 80 && (live.stats.captured ?? 0) >= 80, 5000), `counters did not grow: ${JSON.stringify(live.stats)}`);
    assert.ok(live.stats.updatedAt > mid.updatedAt);
    const r = await live.stop();
    assert.equal(r.stats.received, 80);
    assert.equal(r.stats.captured, 80);
    assert.equal(r.stats.kernelDropped, 0);
  } finally {
    await live.stop();
    tx.close();
    sink.sock.close();
  }
});

test('abort signal stops the capture; done resolves with the final counters', { skip: skipLive, timeout: 30000 }, async () => {
  const sink = await udpSink();
  const ac = new AbortController();
  const live = await startLive({ iface: 'lo', bpf: `udp port ${sink.port}`, signal: ac.signal }, () => {});
  const tx = dgram.createSocket('udp4');
  for (let i = 0; i < 10; i++) tx.send(seqText(i), sink.port, '127.0.0.1');
  await waitFor(() => live.stats.received >= 10, 5000);
  ac.abort();
  const r = await live.done;
  assert.equal(r.stoppedBy, 'abort');
  assert.equal(r.stats.received, 10);
  assert.equal(r.stats.captured, 10);
  assert.deepEqual(await live.stop(), r, 'stop after the end returns the same result');
  tx.close();
  sink.sock.close();
  // already aborted: never starts
  await assert.rejects(startLive({ iface: 'lo', signal: AbortSignal.abort() }, () => {}), { name: 'AbortError' });
});

test('errors: unknown interface, bad filter, bad name, missing tool', { skip: !TCPDUMP && !DUMPCAP && 'no tool', timeout: 30000 }, async () => {
  for (const tool of tools) {
    await assert.rejects(startLive({ iface: 'pktlensnx0', tool }, () => {}), (e: unknown) => {
      assert.ok(e instanceof LiveCaptureError);
      assert.equal(e.code, 'PKT_ERR_NO_IFACE');
      assert.match(e.message, /^no such interface: pktlensnx0 \(known: .*\blo\b.*\)$/);
      assert.ok(!e.message.includes('\n'), 'one line');
      return true;
    });
    await assert.rejects(startLive({ iface: 'lo', tool, bpf: 'udp port' }, () => {}), (e: unknown) => {
      assert.ok(e instanceof LiveCaptureError);
      assert.equal(e.code, 'PKT_ERR_BPF', e.message);
      assert.equal(e.message, `bad capture filter "udp port": can't parse filter expression: syntax error`);
      return true;
    });
    await assert.rejects(startLive({ iface: 'lo', tool, bpf: 'port 99999' }, () => {}), (e: unknown) => {
      assert.ok(e instanceof LiveCaptureError);
      assert.equal(e.code, 'PKT_ERR_BPF', e.message);
      assert.match(e.message, /^bad capture filter "port 99999": .*99999/);
      return true;
    });
  }
  // a filter can never become an option
  if (TCPDUMP) {
    await assert.rejects(startLive({ iface: 'lo', tool: 'tcpdump', bpf: '-r /etc/passwd' }, () => {}), { code: 'PKT_ERR_BPF' });
  }
  for (const bad of ['-D', '', 'a b', '../lo', 'TCP@127.0.0.1:9']) {
    await assert.rejects(startLive({ iface: bad }, () => {}), { code: 'PKT_ERR_NO_IFACE', message: `invalid interface name ${JSON.stringify(bad)}` });
  }
  await assert.rejects(startLive({ iface: 'lo', toolPath: '/nonexistent/pktlens' }, () => {}), {
    code: 'PKT_ERR_NO_TOOL',
    message: 'tcpdump not found: install it (apt-get install tcpdump) or dumpcap (apt-get install tshark)',
  });
  await assert.rejects(startLive({ iface: 'lo', tool: 'dumpcap', toolPath: '/nonexistent/pktlens' }, () => {}), {
    code: 'PKT_ERR_NO_TOOL', message: 'dumpcap not found: install it (apt-get install tshark)',
  });
  await assert.rejects(startLive({ iface: 'lo', snaplen: 0 }, () => {}), /snaplen/);
});

test('errors: no permission (tcpdump run as an unprivileged user)', { skip: (!TCPDUMP && 'no tcpdump') || (!(ROOT && SETPRIV) && 'needs root and setpriv'), timeout: 30000 }, async () => {
  // a "tcpdump" that runs the real one without any privilege, found through toolPath
  const dir = mkdtempSync(join(tmpdir(), 'pktlens-live-'));
  try {
    chmodSync(dir, 0o755);
    writeFileSync(join(dir, 'tcpdump'), [
      '#!/bin/sh',
      `if [ "$(id -u)" = 0 ]; then exec ${SETPRIV} --reuid=65534 --regid=65534 --clear-groups ${TCPDUMP} "$@"; fi`,
      `exec ${SETPRIV} --inh-caps=-all --ambient-caps=-all ${TCPDUMP} "$@"`,
      '',
    ].join('\n'));
    chmodSync(join(dir, 'tcpdump'), 0o755);
    await assert.rejects(startLive({ iface: 'lo', toolPath: dir, bpf: 'udp port 9' }, () => {}), (e: unknown) => {
      assert.ok(e instanceof LiveCaptureError);
      assert.equal(e.code, 'PKT_ERR_PERMISSION', e.message);
      assert.equal(e.message, `no permission to capture on lo: run as root or give tcpdump the CAP_NET_RAW and CAP_NET_ADMIN capabilities (setcap cap_net_raw,cap_net_admin=eip ${join(dir, 'tcpdump')})`);
      return true;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('classifier: the tools\' real messages become one clear line', () => {
  const c = (tool: LiveTool, stderr: string, bpf?: string) =>
    classifyToolError(tool, stderr, { iface: 'eth9', bpf, toolFile: `/usr/bin/${tool}`, known: ['lo', 'eth0'] });
  let e = c('tcpdump', "tcpdump: eth9: You don't have permission to perform this capture on that device\n(socket: Operation not permitted)\n");
  assert.equal(e.code, 'PKT_ERR_PERMISSION');
  assert.equal(e.message, 'no permission to capture on eth9: run as root or give tcpdump the CAP_NET_RAW and CAP_NET_ADMIN capabilities (setcap cap_net_raw,cap_net_admin=eip /usr/bin/tcpdump)');
  e = c('dumpcap', 'Capturing on \'eth9\'\ndumpcap: You do not have permission to capture on device "eth9".\n(socket: Operation not permitted)\nPlease check to make sure you have sufficient permissions.\n');
  assert.equal(e.code, 'PKT_ERR_PERMISSION');
  e = c('tcpdump', 'tcpdump: eth9: No such device exists\n(No such device exists)\n');
  assert.equal(e.code, 'PKT_ERR_NO_IFACE');
  assert.equal(e.message, 'no such interface: eth9 (known: lo, eth0)');
  e = c('dumpcap', 'Capturing on \'eth9\'\ndumpcap: There is no device named "eth9".\n(No such device exists)\n');
  assert.equal(e.message, 'no such interface: eth9 (known: lo, eth0)');
  e = c('tcpdump', 'tcpdump: eth9: That device is not up\n');
  assert.equal(e.code, 'PKT_ERR_NO_IFACE');
  assert.equal(e.message, 'interface eth9 is not up (bring it up: ip link set eth9 up)');
  e = c('tcpdump', "tcpdump: unknown host 'nosuchhost.invalid'\n", 'host nosuchhost.invalid');
  assert.equal(e.code, 'PKT_ERR_BPF');
  assert.equal(e.message, `bad capture filter "host nosuchhost.invalid": unknown host 'nosuchhost.invalid'`);
  e = c('tcpdump', "tcpdump: 'ip6' modifier applied to ip host\n", 'ip6 host 1.2.3.4');
  assert.equal(e.code, 'PKT_ERR_BPF');
  e = c('dumpcap', 'Capturing on \'eth9\'\ndumpcap: Invalid capture filter "udp port" for interface \'eth9\'.\n\nThat string isn\'t a valid capture filter (can\'t parse filter expression: syntax error).\nSee the User\'s Guide for a description of the capture filter syntax.\n', 'udp port');
  assert.equal(e.code, 'PKT_ERR_BPF');
  assert.equal(e.message, `bad capture filter "udp port": can't parse filter expression: syntax error`);
  e = c('tcpdump', "tcpdump: Couldn't find user 'tcpdump'\n", 'udp');
  assert.equal(e.code, 'PKT_ERR_TOOL');
  assert.equal(e.message, "tcpdump failed: Couldn't find user 'tcpdump'");
  e = c('tcpdump', 'setpriv: setresuid failed: Operation not permitted\n');
  assert.equal(e.code, 'PKT_ERR_TOOL');
  e = classifyToolError('tcpdump', '', { iface: 'eth9', exitCode: 3 });
  assert.equal(e.message, 'tcpdump failed: exited with code 3');
});

test('stats lines: tcpdump SIGUSR1 and exit formats, dumpcap formats', () => {
  const st: LiveStats = { received: 0, bytes: 0, kernelDropped: 0, ifDropped: 0, updatedAt: 0 };
  assert.ok(parseStatsLine('tcpdump', 'tcpdump: 5 packets captured, 10 packets received by filter, 3 packets dropped by kernel, 2 packets dropped by interface', st));
  assert.deepEqual([st.captured, st.seenByFilter, st.kernelDropped, st.ifDropped], [5, 10, 3, 2]);
  assert.ok(parseStatsLine('tcpdump', '1 packet captured', st));
  assert.ok(parseStatsLine('tcpdump', '7 packets dropped by kernel', st));
  assert.deepEqual([st.captured, st.kernelDropped], [1, 7]);
  assert.ok(!parseStatsLine('tcpdump', 'tcpdump: listening on lo, link-type EN10MB (Ethernet), snapshot length 262144 bytes', st));
  assert.ok(parseStatsLine('dumpcap', 'Packets: 42 ', st));
  assert.equal(st.captured, 42);
  assert.ok(parseStatsLine('dumpcap', "Packets received/dropped on interface 'Loopback: lo': 50/8 (pcap:5/dumpcap:2/flushed:1/ps_ifdrop:4) (86.2%)", st));
  assert.deepEqual([st.seenByFilter, st.kernelDropped, st.ifDropped], [50, 8, 4]);
});

test('listInterfaces: lo is there, loopback and up', async () => {
  const list = await listInterfaces();
  const lo = list.find((i) => i.name === 'lo');
  assert.ok(lo, `lo missing from ${list.map((i) => i.name).join(', ')}`);
  assert.equal(lo.loopback, true);
  assert.equal(lo.up, true);
  assert.ok(lo.index >= 1);
  assert.ok(lo.addresses.some((a) => a.startsWith('127.0.0.1/')), lo.addresses.join(' '));
  assert.ok(list.filter((i) => i.loopback).length >= 1);
  assert.equal(new Set(list.map((i) => i.name)).size, list.length);
});

const IP = whichSync('ip');
test('the interface disappears: done resolves with PKT_ERR_TOOL and the tool\'s reason', { skip: skipLive || (!(ROOT && IP) && 'needs root and ip'), timeout: 30000 }, async () => {
  // a veth pair of our own, deleted under the running capture
  const name = `pktl${process.pid % 100000}`;
  for (const tool of tools) {
    spawnSync(IP!, ['link', 'add', `${name}a`, 'type', 'veth', 'peer', 'name', `${name}b`], { stdio: 'inherit' });
    try {
      spawnSync(IP!, ['link', 'set', `${name}a`, 'up']);
      const live = await startLive({ iface: `${name}a`, tool }, () => {});
      spawnSync(IP!, ['link', 'del', `${name}a`]);
      const r = await Promise.race([live.done, sleep(10000).then(() => live.stop())]);
      assert.equal(r.stoppedBy, 'tool-exit', `${tool} did not end by itself`);
      assert.ok(r.error instanceof LiveCaptureError);
      assert.equal(r.error.code, 'PKT_ERR_TOOL');
      assert.match(r.error.message, new RegExp(`^${tool} stopped: .*(disappeared|no longer attached)`));
    } finally {
      spawnSync(IP!, ['link', 'del', `${name}a`], { stdio: 'ignore' });
    }
  }
});

test('onFrame throwing ends the capture with that error', { skip: skipLive, timeout: 30000 }, async () => {
  const sink = await udpSink();
  const tx = dgram.createSocket('udp4');
  const live = await startLive({ iface: 'lo', bpf: `udp port ${sink.port}` }, () => { throw new Error('consumer broke'); });
  try {
    tx.send('x', sink.port, '127.0.0.1');
    const r = await Promise.race([live.done, sleep(10000).then(() => live.stop())]);
    assert.equal(r.stoppedBy, 'error');
    assert.equal(r.error?.message, 'consumer broke');
  } finally {
    await live.stop();
    tx.close();
    sink.sock.close();
  }
});

test('no orphan: the tool dies with the process, even on SIGKILL', { skip: skipLive, timeout: 30000 }, async () => {
  const alive = (pid: number) => {
    try {
      const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return !/\) [ZX] /.test(s); // a zombie has exited (its new parent may not reap it)
    } catch {
      return false;
    }
  };
  for (const how of ['exit', 'SIGKILL'] as const) {
    if (how === 'SIGKILL' && !(ROOT && SETPRIV)) continue; // the parent-death signal comes with the privilege drop
    const script = `
      const { startLive } = await import(${JSON.stringify(LIVE_JS)});
      const c = await startLive({ iface: 'lo', bpf: 'udp port 9' }, () => {});
      process.stdout.write(String(c.pid) + '\\n');
      ${how === 'exit' ? 'process.exit(0);' : 'setInterval(() => {}, 1000);'}`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    assert.ok(await waitFor(() => out.includes('\n'), 15000), 'child did not start a capture');
    const pid = Number(out.trim());
    assert.ok(pid > 0);
    if (how === 'SIGKILL') {
      assert.ok(alive(pid), 'tool not running while its parent is');
      child.kill('SIGKILL');
    }
    assert.ok(await waitFor(() => !alive(pid), 5000), `tool ${pid} survived its parent (${how})`);
  }
});
