// `pktlens generate`: write a synthetic capture (see generate.ts) to a file or standard output.

import { generate } from './generate.js';

export const GENERATE_USAGE = `Usage: pktlens generate [-w OUT|-] [-c PACKETS] [--seed N] [--pcapng] [--hostile]

Writes a deterministic synthetic capture of LAN and internet traffic (ARP, DHCP, DNS, mDNS, HTTP, TLS 1.2/1.3,
QUIC, SSH, NTP, ICMP, ICMPv6, plain UDP).

  -w OUT        output file; "-" for standard output (the default when it is not a terminal)
  -c PACKETS    number of packets (default 2000)
  --seed N      PRNG seed (default 1); the same seed and count always give the same bytes
  --pcapng      write pcapng instead of pcap (nanosecond timestamps either way)
  --hostile     put HTML/script in DNS names, HTTP headers, TLS SNI, DHCP and mDNS names (UI escaping tests)
`;

class UsageError extends Error {}

interface Args { out?: string; packets: number; seed: number; pcapng: boolean; hostile: boolean; help: boolean }

function parse(argv: string[]): Args {
  const a: Args = { packets: 2000, seed: 1, pcapng: false, hostile: false, help: false };
  const int = (name: string, v: string | undefined, min: number) => {
    if (v === undefined || !/^\d+$/.test(v) || Number(v) < min || !Number.isSafeInteger(Number(v))) {
      throw new UsageError(`${name} needs an integer >= ${min}, got ${v === undefined ? 'nothing' : JSON.stringify(v)}`);
    }
    return Number(v);
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case '-w': case '--write': { const v = value(); if (!v) throw new UsageError('-w needs a file name or -'); a.out = v; break; }
      case '-c': case '--count': a.packets = int('-c', value(), 0); break;
      case '--seed': a.seed = int('--seed', value(), 0); break;
      case '--pcapng': a.pcapng = true; break;
      case '--hostile': a.hostile = true; break;
      case '-h': case '--help': a.help = true; break;
      default: throw new UsageError(`unknown option ${JSON.stringify(arg)}`);
    }
  }
  if (a.seed > 0xffffffff) throw new UsageError('--seed must fit in 32 bits');
  return a;
}

/** Runs `pktlens generate` with the arguments after the subcommand; returns the exit code. */
export async function generateMain(argv: string[]): Promise<number> {
  let args: Args;
  try {
    args = parse(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`pktlens generate: ${e.message}\n${GENERATE_USAGE}`);
    return 2;
  }
  if (args.help) { process.stdout.write(GENERATE_USAGE); return 0; }
  const toStdout = args.out === undefined || args.out === '-';
  if (toStdout && process.stdout.isTTY) {
    process.stderr.write('pktlens generate: refusing to write a binary capture to a terminal; use -w FILE, or -w - with a pipe\n');
    return 2;
  }
  const ignore = () => { /* reported by the writer */ };
  if (toStdout) process.stdout.on('error', ignore);
  const started = performance.now();
  try {
    const r = await generate({ out: toStdout ? process.stdout : args.out!, packets: args.packets, seed: args.seed,
      format: args.pcapng ? 'pcapng' : 'pcap', hostile: args.hostile });
    const secs = ((performance.now() - started) / 1000).toFixed(2);
    process.stderr.write(`pktlens generate: ${r.packets} packets, ${r.bytes} bytes (${args.pcapng ? 'pcapng' : 'pcap'}, seed ${args.seed}${args.hostile ? ', hostile' : ''}) to ${toStdout ? 'stdout' : args.out} in ${secs} s\n`);
    return 0;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (toStdout && err.code === 'EPIPE') return 0;   // the reader stopped early (| head, tshark -c): not an error
    process.stderr.write(`pktlens generate: ${err.message}\n`);
    return 1;
  } finally {
    if (toStdout) process.stdout.removeListener('error', ignore);
  }
}
