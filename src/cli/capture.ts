/**
 * `pktlens capture -r FILE | -i IFACE`: the Capture service as its own process, sending to the Parser over HTTP
 * (PKTLENS_PARSER_URL, default http://127.0.0.1:5001).
 */
import { existsSync } from 'node:fs';
import { HttpParser } from '../bus/http.js';
import { ENV, hostOf, urlOf } from '../services/config.js';
import { makeApp } from '../services/http.js';
import { replayFile, type ReplayReport } from '../services/capture.js';
import { serviceLogger, flushLogs } from '../services/log.js';
import { serviceMetrics } from '../services/metrics.js';
import { Progress } from './progress.js';
import { Args } from './args.js';
import { UsageError } from './errors.js';
import { CaptureError } from '../wire/capture.js';

export const CAPTURE_HELP = `usage: pktlens capture -r FILE [--name NAME] [--force] [--realtime | --speed X]
       pktlens capture -i IFACE [-f BPF] [--snaplen N] [--name NAME]
       pktlens capture --list-interfaces
  -r FILE            replay a pcap/pcapng (gzip ok) to the Parser as fast as the pipeline takes it, and exit
                     when all of it is stored (acknowledged)
  --realtime         replay at the captured pace; --speed X at X times that pace
  --force            store the file again though the same file (sha256) is stored
  -i IFACE           capture live on an interface (through tcpdump or dumpcap) until stopped (Ctrl-C)
  -f BPF             capture filter, e.g. "tcp port 443" (live)
  --snaplen N        bytes kept per packet (live; default 262144)
  --list-interfaces  the interfaces live capture can use
  --parser URL       the Parser (default PKTLENS_PARSER_URL or http://127.0.0.1:5001)
  --log-dir DIR      log folder (default ./logs; writes capture.log)
  --metrics-port N   serve /healthz, /readyz and /metrics on 127.0.0.1:N while capturing (or PKTLENS_CAPTURE_PORT)
PKTLENS_TOKEN is sent as a bearer token when set.`;

export async function captureMain(argv: string[]): Promise<number> {
  const a = new Args(argv, CAPTURE_HELP);
  let file: string | undefined, iface: string | undefined, bpf: string | undefined, snaplen: number | undefined, name: string | undefined;
  let metricsPort: number | undefined = process.env[ENV.capturePort] ? Number(process.env[ENV.capturePort]) : undefined;
  let speed: number | undefined, force = false, list = false, parserUrl: string | undefined, logDir: string | undefined;
  for (let o = a.next(); o !== null; o = a.next()) {
    if (o === '-r') file = a.value();
    else if (o === '-i') iface = a.value();
    else if (o === '-f') bpf = a.value();
    else if (o === '--snaplen' || o === '-s') snaplen = a.int(1, 262144);
    else if (o === '--name') name = a.value();
    else if (o === '--realtime') speed = 1;
    else if (o === '--speed') speed = a.num();
    else if (o === '--force') force = true;
    else if (o === '--list-interfaces' || o === '-D') list = true;
    else if (o === '--parser') parserUrl = a.value().replace(/\/+$/, '');
    else if (o === '--log-dir') logDir = a.value();
    else if (o === '--metrics-port') metricsPort = a.int(0, 65535);
    else a.unknown(o);
  }
  if (a.rest.length === 1 && !file && !iface && !list) file = a.rest[0];
  else if (a.rest.length) throw new UsageError(`unexpected argument "${a.rest[0]}"\n${CAPTURE_HELP}`);
  if (list) return listMain();
  if (!!file === !!iface) throw new UsageError(`give either -r FILE or -i IFACE\n${CAPTURE_HELP}`);
  const log = serviceLogger('capture', { dir: logDir });
  const metrics = serviceMetrics('capture');
  const parser = new HttpParser(parserUrl ?? urlOf('parser'), process.env[ENV.token]);
  const ac = new AbortController();
  let signals = 0;
  const onSig = (): void => {
    if (++signals > 1) process.exit(130);
    ac.abort();
  };
  process.on('SIGINT', onSig);
  process.on('SIGTERM', onSig);
  const app = metricsPort !== undefined ? makeApp({ service: 'capture', log, metrics }) : null;
  if (app) await app.listen({ host: hostOf(), port: metricsPort });
  try {
    if (file) {
      if (file !== '-' && !existsSync(file)) throw new UsageError(`${file}: no such file`);
      const bar = new Progress();
      let r: ReplayReport;
      try {
        r = await replayFile(parser, file, { name, force, speed, signal: ac.signal, log, metrics, onProgress: (p) => bar.update(p) });
      } catch (e) {
        if (e instanceof CaptureError) {
          process.stderr.write(`pktlens: ${file}: ${e.message}\n`);
          log.error({ file, err: e.message }, 'replay failed');
          return 2;
        }
        log.error({ file, err: (e as Error).message }, 'replay failed');
        throw e;
      } finally {
        bar.done();
      }
      const n = (x: number) => x.toLocaleString('en-US');
      if (r.alreadyStored) process.stdout.write(`${file}: already stored as capture #${r.capture} (${n(r.packets)} packets); use --force to store it again\n`);
      else {
        process.stdout.write(
          `${file}: ${r.interrupted ? 'interrupted after' : 'sent and stored'} ${n(r.packets)} packets as capture #${r.capture} "${r.name}" in ${r.elapsed.toFixed(1)} s` +
            ` (${n(Math.round(r.packets / Math.max(r.elapsed, 1e-9)))} packets/s)${r.duplicateBatches ? `; ${r.duplicateBatches} batches were stored already` : ''}` +
            `${r.resyncs ? `; replayed from the start ${r.resyncs} time(s) after the Parser restarted` : ''}\n`,
        );
        if (r.damage) process.stdout.write(`  ${r.damage.message}\n`);
      }
      return r.interrupted ? 130 : r.damage ? 2 : 0;
    }
    const { liveMain } = await import('./capture-live.js');
    return await liveMain({ iface: iface!, bpf, snaplen, name, parser, log, metrics, signal: ac.signal });
  } finally {
    process.off('SIGINT', onSig);
    process.off('SIGTERM', onSig);
    await app?.close();
    flushLogs();
  }
}

async function listMain(): Promise<number> {
  const { listInterfaces } = await import('../capture/live.js');
  for (const i of await listInterfaces()) {
    process.stdout.write(`${i.name}${i.loopback ? ' (loopback)' : ''}${i.up ? '' : ' (down)'}${i.addresses.length ? '  ' + i.addresses.join(' ') : ''}\n`);
  }
  return 0;
}
