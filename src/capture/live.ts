/**
 * Live capture through a libpcap tool: `tcpdump -U -w -` (or `dumpcap -w -`) writes a pcap/pcapng stream on its
 * standard output, which the same incremental reader as for files (CaptureParser) turns into frames; the tool's
 * standard error gives the start-up line, errors and the drop counters.
 *
 * - The BPF filter and the interface are separate argv entries (no shell); `--` ends tcpdump's options so a filter
 *   can never be read as one.
 * - Privileges: started as root, the tool runs as an unprivileged user (`tcpdump`, else `nobody`) holding only
 *   CAP_NET_RAW and CAP_NET_ADMIN (setpriv, ambient capabilities), with a parent-death signal so it cannot outlive
 *   this process even if it is SIGKILLed. Without setpriv, tcpdump drops to its `-Z` user by itself (Debian builds
 *   default to user tcpdump; writing to the inherited stdout pipe keeps working after the drop).
 * - Statistics: tcpdump answers SIGUSR1 with one line on stderr (`N packets captured, N packets received by filter,
 *   N packets dropped by kernel[, N packets dropped by interface]`) without touching the pcap stream; it is asked
 *   every statsIntervalMs. dumpcap prints its captured count by itself and its drop counts at exit only (it must
 *   never get SIGUSR1: that kills it). Both print final counts on SIGINT, which stop() sends.
 * - Memory is bounded: frames go to onFrame as they arrive; only a partial record and a few stderr lines are held.
 *   A slow onFrame fills the pipe, the tool blocks, the kernel ring fills and the kernel counts the drops.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { access, readFile, stat } from 'node:fs/promises';
import { constants as fsc } from 'node:fs';
import path from 'node:path';
import { CaptureParser, MAX_RECORD, type Frame } from '../wire/capture.js';
import { UsageError } from '../cli/errors.js';
import { listInterfaces } from './interfaces.js';

export { listInterfaces, type NetInterface } from './interfaces.js';
export type { Frame } from '../wire/capture.js';

export type LiveTool = 'tcpdump' | 'dumpcap';
export type LiveErrorCode = 'PKT_ERR_NO_TOOL' | 'PKT_ERR_PERMISSION' | 'PKT_ERR_NO_IFACE' | 'PKT_ERR_BPF' | 'PKT_ERR_TOOL';

export interface LiveOptions {
  /** interface name as the tool knows it (`lo`, `eth0`, `any`, …) */
  iface: string;
  /** capture filter (BPF / pcap-filter syntax) */
  bpf?: string;
  /** bytes kept of each packet (default 262144) */
  snaplen?: number;
  /** default: tcpdump if found, else dumpcap */
  tool?: LiveTool;
  /** aborting stops the capture like stop() (and rejects startLive if it has not started yet) */
  signal?: AbortSignal;
  /** kernel capture buffer (tcpdump -B, dumpcap -B); the tool's default (2 MiB) otherwise */
  bufferMiB?: number;
  /**
   * tcpdump --immediate-mode: each packet is handed over at once instead of in kernel blocks retired at least every
   * second (default false). Immediate mode switches libpcap to a ring of one snaplen-sized slot per packet (64 KiB
   * each with offloads, so ~32 packets in the default 2 MiB buffer): bursts are dropped unless bufferMiB is large.
   * Measured on lo, a burst of 2000 datagrams: 2000/2000 in block mode with 2 MiB; ~300 with 2 MiB and ~530 with
   * 32 MiB in immediate mode. dumpcap has no such switch (it hands packets over within 250 ms).
   */
  immediate?: boolean;
  /** put the interface in promiscuous mode (default true, as the tools do) */
  promisc?: boolean;
  /** how often tcpdump is asked for its counters (default 1000 ms; 0: only at exit) */
  statsIntervalMs?: number;
  /** where to look for the tools, PATH syntax (default $PATH, then /usr/sbin:/sbin:/usr/bin:/bin) */
  toolPath?: string;
  /** when running as root, run the tool as an unprivileged user with only the capture capabilities (default true) */
  dropPrivileges?: boolean;
  /** give up if the tool has neither started nor failed by then (default 15000 ms) */
  startTimeoutMs?: number;
}

export interface LiveStats {
  /** frames read from the tool's stream (and passed to onFrame) */
  received: number;
  /** captured bytes of those frames */
  bytes: number;
  /** frames the tool says it wrote (tcpdump "packets captured", dumpcap "Packets") */
  captured?: number;
  /**
   * packets the kernel filter accepted (tcpdump "received by filter", dumpcap "received"). On Linux `lo` tcpdump
   * counts each packet twice (outgoing and incoming copy; libpcap discards the outgoing one), so do not compare it
   * with `captured`.
   */
  seenByFilter?: number;
  /** packets the kernel (or the tool) had to drop: its buffer was full */
  kernelDropped: number;
  /** packets the interface (driver) dropped, when the tool reports it */
  ifDropped: number;
  /** when the tool last reported its counters (ms since the epoch); 0 before the first report */
  updatedAt: number;
}

export interface LiveResult {
  stats: LiveStats;
  /** 'stop': stop() was called; 'abort': the signal; 'tool-exit': the tool ended by itself; 'error': onFrame threw or the stream was damaged */
  stoppedBy: 'stop' | 'abort' | 'tool-exit' | 'error';
  exitCode: number | null;
  exitSignal: NodeJS.Signals | null;
  /** why the capture ended abnormally (a LiveCaptureError from the tool, the CaptureError or whatever onFrame threw) */
  error?: Error;
}

export interface LiveCapture {
  readonly tool: LiveTool;
  /** the argv that was run (for logs) */
  readonly command: readonly string[];
  readonly pid: number | undefined;
  /** a snapshot of the counters */
  readonly stats: LiveStats;
  /** link type of the stream (1 = Ethernet, also for Linux `lo`); undefined until the stream header arrived */
  readonly linktype: number | undefined;
  /**
   * Lets the frames that reached the kernel before the call arrive (tcpdump: ~1.1 s for libpcap's block timeout,
   * dumpcap ~0.35 s, immediate mode: until 50 ms pass without data; 2 s at most), then SIGINT: the tool flushes,
   * prints its final counters and exits (SIGKILL after 5 s). Resolves like `done`. Idempotent.
   */
  stop(): Promise<LiveResult>;
  /** resolves (never rejects) when the tool has exited and its output was read, with the final counters */
  readonly done: Promise<LiveResult>;
}

export class LiveCaptureError extends Error {
  override readonly name = 'LiveCaptureError';
  constructor(
    readonly code: LiveErrorCode,
    message: string,
    /** the tool's own message, when there is one */
    readonly toolMessage?: string,
  ) {
    super(message);
  }
}

const DEFAULT_SNAPLEN = MAX_RECORD;
/** stop(): frames still to come are awaited until none arrived for this long… */
const DRAIN_QUIET_MS = 50;
/** …but at least until the kernel has handed over every block that was open when stop() was called (libpcap's
 * block timeout: tcpdump 1000 ms, dumpcap 250 ms; nothing to wait for in immediate mode)… */
const DRAIN_MIN_MS = { tcpdump: 1100, dumpcap: 350, immediate: 0 } as const;
/** …and at most this long (traffic that never pauses). */
const DRAIN_MAX_MS = 2000;
const KILL_AFTER_MS = 5000;
const HEADER_WAIT_MS = 500;
const STDERR_LINES = 40;

// ---------------------------------------------------------------------------------------------------------------
// tool lookup

async function which(name: string, searchPath: string): Promise<string | undefined> {
  for (const dir of searchPath.split(path.delimiter)) {
    if (!dir) continue;
    const f = path.join(dir, name);
    try {
      await access(f, fsc.X_OK);
      if ((await stat(f)).isFile()) return f;
    } catch {
      // not here
    }
  }
  return undefined;
}

function defaultPath(): string {
  return [process.env.PATH ?? '', '/usr/sbin', '/sbin', '/usr/bin', '/bin'].join(path.delimiter);
}

const INSTALL: Record<LiveTool, string> = { tcpdump: 'apt-get install tcpdump', dumpcap: 'apt-get install tshark' };

async function findTool(wanted: LiveTool | undefined, searchPath: string): Promise<{ tool: LiveTool; file: string }> {
  const order: LiveTool[] = wanted ? [wanted] : ['tcpdump', 'dumpcap'];
  for (const tool of order) {
    const file = await which(tool, searchPath);
    if (file) return { tool, file };
  }
  const msg = wanted
    ? `${wanted} not found: install it (${INSTALL[wanted]})`
    : `tcpdump not found: install it (${INSTALL.tcpdump}) or dumpcap (${INSTALL.dumpcap})`;
  throw new LiveCaptureError('PKT_ERR_NO_TOOL', msg);
}

/** uid and gid of the first of `users` in /etc/passwd */
async function lookupUser(users: string[]): Promise<{ name: string; uid: number; gid: number } | undefined> {
  let text: string;
  try {
    text = await readFile('/etc/passwd', 'utf8');
  } catch {
    return undefined;
  }
  const rows = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length >= 4) rows.set(f[0], f);
  }
  for (const u of users) {
    const f = rows.get(u);
    if (f && /^\d+$/.test(f[2]) && /^\d+$/.test(f[3]) && f[2] !== '0') return { name: u, uid: Number(f[2]), gid: Number(f[3]) };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// argv

/** Interface names go to the tool as one argv entry; refuse what could be read as an option, a path or a remote source. */
export function checkIfaceName(name: string): void {
  // eslint-disable-next-line no-control-regex
  if (!name || name.length > 64 || name.startsWith('-') || /[\s/@\x00-\x1f\x7f]/.test(name)) {
    throw new LiveCaptureError('PKT_ERR_NO_IFACE', `invalid interface name ${JSON.stringify(name)}`);
  }
}

export function toolArgs(tool: LiveTool, o: Required<Pick<LiveOptions, 'iface' | 'snaplen' | 'immediate' | 'promisc'>> & Pick<LiveOptions, 'bpf' | 'bufferMiB'>): string[] {
  const bpf = o.bpf?.trim();
  if (tool === 'tcpdump') {
    const a = ['-U', '-w', '-', '-i', o.iface, '-s', String(o.snaplen)];
    if (o.bufferMiB !== undefined) a.push('-B', String(Math.max(1, Math.round(o.bufferMiB * 1024))));
    if (o.immediate) a.push('--immediate-mode');
    if (!o.promisc) a.push('-p');
    if (process.platform === 'linux') a.push('--time-stamp-precision=nano');
    if (bpf) a.push('--', bpf);
    return a;
  }
  const a = ['-i', o.iface, '-w', '-', '-s', String(o.snaplen)];
  if (o.bufferMiB !== undefined) a.push('-B', String(Math.max(1, Math.round(o.bufferMiB))));
  if (!o.promisc) a.push('-p');
  if (bpf) a.push('-f', bpf);
  return a;
}

// ---------------------------------------------------------------------------------------------------------------
// stderr: start-up line, counters, errors

const READY: Record<LiveTool, RegExp> = {
  tcpdump: /^tcpdump: listening on /,
  // dumpcap prints "Capturing on 'X'" before it opens the device; "File: -" comes once it has
  dumpcap: /^File: /,
};

/** Update `st` from one stderr line; true if the line carried counters. */
export function parseStatsLine(tool: LiveTool, line: string, st: LiveStats): boolean {
  let hit = false;
  if (tool === 'tcpdump') {
    // SIGUSR1: "tcpdump: 5 packets captured, 10 packets received by filter, 0 packets dropped by kernel"
    // exit: the same on separate lines without the prefix; "dropped by interface" only when non-zero
    const num = (re: RegExp): number | undefined => {
      const m = re.exec(line);
      return m ? Number(m[1]) : undefined;
    };
    const cap = num(/(\d+) packets? captured/);
    const rec = num(/(\d+) packets? received by filter/);
    const kd = num(/(\d+) packets? dropped by kernel/);
    const ifd = num(/(\d+) packets? dropped by interface/);
    if (cap !== undefined) { st.captured = cap; hit = true; }
    if (rec !== undefined) { st.seenByFilter = rec; hit = true; }
    if (kd !== undefined) { st.kernelDropped = kd; hit = true; }
    if (ifd !== undefined) { st.ifDropped = ifd; hit = true; }
  } else {
    // live: "Packets: 5 " (carriage-return updated); exit: "Packets captured: 5" and
    // "Packets received/dropped on interface 'Loopback: lo': 5/0 (pcap:0/dumpcap:0/flushed:0/ps_ifdrop:0) (100.0%)"
    let m = /^Packets(?: captured)?: (\d+)\s*$/.exec(line);
    if (m) { st.captured = Number(m[1]); hit = true; }
    m = /^Packets received\/dropped on interface .*: (\d+)\/(\d+) \(pcap:(\d+)\/dumpcap:(\d+)\/flushed:(\d+)\/ps_ifdrop:(\d+)\)/.exec(line);
    if (m) {
      st.seenByFilter = Number(m[1]);
      st.ifDropped = Number(m[6]);
      // pcap: kernel drops; dumpcap/flushed: dumpcap's own buffer; all lost before reaching us
      st.kernelDropped = Number(m[3]) + Number(m[4]) + Number(m[5]);
      hit = true;
    }
  }
  if (hit) st.updatedAt = Date.now();
  return hit;
}

function isNoise(tool: LiveTool, line: string): boolean {
  return (
    !line.trim() ||
    READY[tool].test(line) ||
    /^Capturing on /.test(line) ||
    /WARNING/.test(line) ||
    parseStatsLine(tool, line, { received: 0, bytes: 0, kernelDropped: 0, ifDropped: 0, updatedAt: 0 })
  );
}

/**
 * Turn what a tool printed before failing into one clear line. Exported for tests (fed with real messages).
 * `known`: interface names to list when the interface does not exist.
 */
export function classifyToolError(
  tool: LiveTool,
  stderr: string,
  ctx: { iface: string; bpf?: string; toolFile?: string; known?: string[]; exitCode?: number | null },
): LiveCaptureError {
  const lines = stderr.split(/\r\n|\r|\n/).filter((l) => !isNoise(tool, l));
  const main = lines.find((l) => l.startsWith(`${tool}: `) || l.startsWith('setpriv: ')) ?? lines[0];
  const all = lines.join('\n');
  const text = main ? main.replace(/^(tcpdump|dumpcap|setpriv): /, '') : '';
  const { iface } = ctx;
  const file = ctx.toolFile ?? tool;
  const bpf = ctx.bpf?.trim();
  const err = (code: LiveErrorCode, message: string): LiveCaptureError => new LiveCaptureError(code, message, text || undefined);

  if (main?.startsWith('setpriv: ')) {
    return err('PKT_ERR_TOOL', `could not start ${tool} as an unprivileged user: ${text} (or start it with dropPrivileges: false)`);
  }
  if (/don't have permission|do not have permission|Operation not permitted|Permission denied/i.test(all)) {
    return err('PKT_ERR_PERMISSION',
      `no permission to capture on ${iface}: run as root or give ${tool} the CAP_NET_RAW and CAP_NET_ADMIN capabilities (setcap cap_net_raw,cap_net_admin=eip ${file})`);
  }
  if (/No such device|There is no device named|doesn't exist|does not exist/i.test(all) && !/filter/i.test(text)) {
    const known = ctx.known?.length ? ` (known: ${ctx.known.join(', ')})` : '';
    return err('PKT_ERR_NO_IFACE', `no such interface: ${iface}${known}`);
  }
  if (/is not up|not up\b/i.test(all)) {
    return err('PKT_ERR_NO_IFACE', `interface ${iface} is not up (bring it up: ip link set ${iface} up)`);
  }
  if (bpf) {
    // dumpcap: 'Invalid capture filter "…" for interface …' then "That string isn't a valid capture filter (why)."
    if (/Invalid capture filter/.test(all)) {
      const why = /valid capture filter \((.*)\)\.?\s*$/m.exec(all)?.[1] ?? text;
      return err('PKT_ERR_BPF', `bad capture filter "${bpf}": ${why}`);
    }
    // tcpdump opens the device, then compiles the filter, then drops privileges and says "listening on". Device
    // errors are prefixed by the device name; filter errors are libpcap's bare message ("can't parse filter
    // expression: syntax error", "unknown host 'x'", "illegal port number 99999 > 65535", …).
    if (/can't parse filter expression/.test(text) ||
        (tool === 'tcpdump' && text && !text.startsWith(`${iface}: `) && !/\b(user|group|uid|gid|chroot|privilege|ownership|buffer|snaplen|precision)\b/i.test(text))) {
      return err('PKT_ERR_BPF', `bad capture filter "${bpf}": ${text}`);
    }
  }
  const why = text || (ctx.exitCode != null ? `exited with code ${ctx.exitCode}` : 'exited without a message');
  return err('PKT_ERR_TOOL', `${tool} failed: ${why}`);
}

// ---------------------------------------------------------------------------------------------------------------
// no orphans: whatever is still running when this process exits is killed (SIGKILL: nothing is left to read it)

const running = new Set<ChildProcess>();
let exitHooked = false;
function track(c: ChildProcess): void {
  running.add(c);
  if (!exitHooked) {
    exitHooked = true;
    process.on('exit', () => {
      for (const p of running) {
        try { p.kill('SIGKILL'); } catch { /* gone */ }
      }
    });
  }
}

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new DOMException('live capture aborted', 'AbortError');
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------------------------

/**
 * Start capturing. Resolves once the tool is capturing (its "listening on" line) and the stream header arrived;
 * rejects with LiveCaptureError (one clear line) if it cannot start. Frames arrive through onFrame: `f.data` is
 * valid only during the call, copy what you keep.
 */
export async function startLive(opts: LiveOptions, onFrame: (f: Frame) => void): Promise<LiveCapture> {
  const snaplen = opts.snaplen ?? DEFAULT_SNAPLEN;
  if (!Number.isInteger(snaplen) || snaplen < 1 || snaplen > MAX_RECORD) throw new UsageError(`snaplen must be an integer from 1 to ${MAX_RECORD}, got ${opts.snaplen}`);
  if (opts.bufferMiB !== undefined && !(opts.bufferMiB > 0 && opts.bufferMiB <= 4096)) throw new UsageError(`buffer size must be from 1 KiB to 4096 MiB, got ${opts.bufferMiB} MiB`);
  if (opts.bpf !== undefined && /[\0\n\r]/.test(opts.bpf)) throw new LiveCaptureError('PKT_ERR_BPF', `bad capture filter ${JSON.stringify(opts.bpf)}: control characters`);
  checkIfaceName(opts.iface);
  if (opts.signal?.aborted) throw abortError(opts.signal);

  const { tool, file } = await findTool(opts.tool, opts.toolPath ?? defaultPath());
  const args = toolArgs(tool, {
    iface: opts.iface, snaplen, immediate: opts.immediate ?? false, promisc: opts.promisc ?? true, bpf: opts.bpf, bufferMiB: opts.bufferMiB,
  });
  let cmd = file;
  let argv = args;
  if (opts.dropPrivileges !== false && process.geteuid?.() === 0) {
    const setpriv = await which('setpriv', defaultPath());
    const user = setpriv ? await lookupUser(tool === 'tcpdump' ? ['tcpdump', 'nobody'] : ['nobody']) : undefined;
    if (setpriv && user) {
      cmd = setpriv;
      argv = [
        `--reuid=${user.uid}`, `--regid=${user.gid}`, '--clear-groups',
        '--inh-caps=+net_raw,+net_admin', '--ambient-caps=+net_raw,+net_admin',
        '--pdeathsig=TERM', '--', file, ...args,
      ];
    }
    // else tcpdump drops to its -Z user itself; dumpcap stays root
  }

  const st: LiveStats = { received: 0, bytes: 0, kernelDropped: 0, ifDropped: 0, updatedAt: 0 };
  const parser = new CaptureParser((f) => {
    st.received++;
    st.bytes += f.caplen;
    onFrame(f);
  });

  const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  track(child);

  let ready = false;
  let started = false; // startLive settled
  let closed = false;
  let stopReason: LiveResult['stoppedBy'] | undefined;
  let failure: Error | undefined;
  let lastData = 0;
  let statsTimer: NodeJS.Timeout | undefined;
  let killTimer: NodeJS.Timeout | undefined;
  let startTimer: NodeJS.Timeout | undefined;
  let startError: Error | undefined;
  const tail: string[] = [];
  let partial = '';

  let resolveStart!: (c: LiveCapture) => void;
  let rejectStart!: (e: Error) => void;
  const startP = new Promise<LiveCapture>((res, rej) => { resolveStart = res; rejectStart = rej; });
  let resolveDone!: (r: LiveResult) => void;
  const done = new Promise<LiveResult>((r) => { resolveDone = r; });

  const signalTool = (sig: NodeJS.Signals): void => {
    if (closed || child.exitCode !== null || child.signalCode !== null) return;
    try { child.kill(sig); } catch { /* already gone */ }
  };

  const live: LiveCapture = {
    tool,
    command: [cmd, ...argv],
    pid: child.pid,
    get stats() { return { ...st }; },
    get linktype() { return parser.interfaces[0]?.linktype; },
    stop: () => requestStop('stop'),
    done,
  };

  function settleStart(e?: Error): void {
    if (started) return;
    started = true;
    clearTimeout(startTimer);
    startError = e;
    if (e) rejectStart(e);
    else resolveStart(live);
  }

  function maybeReady(): void {
    if (!ready || started) return;
    if (parser.format) settleStart();
  }

  async function requestStop(reason: LiveResult['stoppedBy']): Promise<LiveResult> {
    if (stopReason === undefined && !closed) {
      stopReason = reason;
      clearInterval(statsTimer);
      if (reason === 'stop' || reason === 'abort') {
        const t0 = performance.now();
        const min = tool === 'tcpdump' && opts.immediate ? DRAIN_MIN_MS.immediate : DRAIN_MIN_MS[tool];
        for (;;) {
          const now = performance.now();
          if (closed || now - t0 >= DRAIN_MAX_MS || (now - t0 >= min && now - lastData >= DRAIN_QUIET_MS)) break;
          await sleep(10);
        }
      }
      signalTool('SIGINT');
      killTimer = setTimeout(() => signalTool('SIGKILL'), KILL_AFTER_MS);
      killTimer.unref();
    }
    return done;
  }

  const onAbort = (): void => {
    if (!started) {
      settleStart(abortError(opts.signal!));
      stopReason ??= 'abort';
      signalTool('SIGINT');
    } else void requestStop('abort');
  };
  opts.signal?.addEventListener('abort', onAbort, { once: true });

  startTimer = setTimeout(() => {
    settleStart(new LiveCaptureError('PKT_ERR_TOOL', `${tool} did not start capturing on ${opts.iface} within ${(opts.startTimeoutMs ?? 15000) / 1000} s`));
    stopReason ??= 'error';
    signalTool('SIGKILL');
  }, opts.startTimeoutMs ?? 15000);

  child.stdout!.on('data', (chunk: Buffer) => {
    lastData = performance.now();
    if (failure) return; // keep draining so the tool is not blocked while it exits
    try {
      parser.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    } catch (e) {
      failure = e as Error;
      void requestStop('error');
      return;
    }
    maybeReady();
  });

  const onLine = (line: string): void => {
    if (!ready && READY[tool].test(line)) {
      ready = true;
      if (tool === 'tcpdump' && (opts.statsIntervalMs ?? 1000) > 0) {
        statsTimer = setInterval(() => signalTool('SIGUSR1'), opts.statsIntervalMs ?? 1000);
        statsTimer.unref();
      }
      maybeReady();
      // the header is flushed before the tool says it is listening; do not wait forever for it if it is not
      setTimeout(() => { if (!closed) settleStart(); }, HEADER_WAIT_MS).unref();
      return;
    }
    if (parseStatsLine(tool, line, st)) return;
    if (line.trim()) {
      tail.push(line.length > 500 ? line.slice(0, 500) : line);
      if (tail.length > STDERR_LINES) tail.shift();
    }
  };
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (s: string) => {
    partial += s;
    const parts = partial.split(/\r\n|\r|\n/);
    partial = parts.pop() ?? '';
    if (partial.length > 4096) partial = partial.slice(-4096);
    for (const l of parts) onLine(l);
    // dumpcap rewrites "\rPackets: N " in place: read it before the next update ends the line
    if (tool === 'dumpcap') parseStatsLine(tool, partial, st);
  });

  let spawnError: Error | undefined;
  child.on('error', (e: NodeJS.ErrnoException) => {
    // the process could not be started (or signalled): report it like a failed start
    if (child.pid === undefined) {
      spawnError = e.code === 'ENOENT'
        ? new LiveCaptureError('PKT_ERR_NO_TOOL', `${tool} not found: install it (${INSTALL[tool]})`)
        : new LiveCaptureError('PKT_ERR_TOOL', `cannot run ${cmd}: ${e.message}`);
      void finish(null, null);
    }
  });
  child.on('close', (code, sig) => void finish(code, sig));

  async function finish(code: number | null, sig: NodeJS.Signals | null): Promise<void> {
    if (closed) return;
    closed = true;
    running.delete(child);
    clearInterval(statsTimer);
    clearTimeout(killTimer);
    clearTimeout(startTimer);
    opts.signal?.removeEventListener('abort', onAbort);
    if (partial) { onLine(partial); partial = ''; }
    if (!failure && parser.format) {
      try { parser.finish(); } catch (e) { failure = e as Error; }
    }
    let error: Error | undefined = failure ?? startError;
    if (!started && (!ready || spawnError)) {
      let e = spawnError;
      if (!e) {
        const cls = classifyToolError(tool, tail.join('\n'), { iface: opts.iface, bpf: opts.bpf, toolFile: file, exitCode: code });
        if (cls.code === 'PKT_ERR_NO_IFACE' && cls.message.startsWith('no such')) {
          const known = (await listInterfaces().catch(() => [])).map((i) => i.name);
          e = classifyToolError(tool, tail.join('\n'), { iface: opts.iface, bpf: opts.bpf, toolFile: file, exitCode: code, known });
        } else e = cls;
      }
      error ??= e;
      settleStart(error);
    } else if (!stopReason && !error) {
      // ended by itself: the interface went away, the tool was killed, …
      const msg = tail.filter((l) => !isNoise(tool, l)).pop()?.replace(/^(tcpdump|dumpcap): /, '');
      error = new LiveCaptureError('PKT_ERR_TOOL', `${tool} stopped${msg ? `: ${msg}` : sig ? ` by ${sig}` : ` with code ${code}`}`, msg);
    }
    settleStart(error); // still pending: the tool said it was listening, then ended before the stream header
    resolveDone({
      stats: { ...st },
      stoppedBy: failure ? 'error' : stopReason ?? 'tool-exit',
      exitCode: code,
      exitSignal: sig,
      ...(error ? { error } : {}),
    });
  }

  return startP;
}
