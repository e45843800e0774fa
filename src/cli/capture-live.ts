/** The live half of `pktlens capture`: -i IFACE until Ctrl-C, with counters on a terminal. */
import type { ParserApi } from '../bus/messages.js';
import { captureLive } from '../services/capture.js';
import { LiveCaptureError } from '../capture/live.js';
import type { Logger } from '../services/log.js';
import type { ServiceMetrics } from '../services/metrics.js';

export async function liveMain(o: {
  iface: string; bpf?: string; snaplen?: number; name?: string; parser: ParserApi; log: Logger; metrics: ServiceMetrics; signal: AbortSignal;
}): Promise<number> {
  const tty = process.stderr.isTTY === true;
  let first = true;
  try {
    const r = await captureLive(o.parser, {
      ...o,
      onStats: (s) => {
        if (first) {
          first = false;
          process.stderr.write(`pktlens: capturing on ${s.iface}${o.bpf ? ` (filter "${o.bpf}")` : ''} as capture #${s.capture}; Ctrl-C stops\n`);
        }
        if (tty) process.stderr.write(`\r${s.packets.toLocaleString('en-US')} packets, ${s.stored.toLocaleString('en-US')} stored, dropped: ${s.dropped} here, ${s.kernelDropped} kernel, ${s.ifDropped} interface\x1b[K`);
      },
    });
    if (tty) process.stderr.write('\r\x1b[K');
    const n = (x: number) => x.toLocaleString('en-US');
    process.stdout.write(
      `${o.iface}: ${n(r.packets)} packets captured, ${n(r.stored)} stored as capture #${r.capture} in ${r.elapsed.toFixed(1)} s; ` +
        `dropped ${n(r.dropped)} (pipeline behind), ${n(r.kernelDropped)} (kernel), ${n(r.ifDropped)} (interface)\n`,
    );
    return 0;
  } catch (e) {
    if (e instanceof LiveCaptureError) {
      process.stderr.write(`pktlens: ${e.message}\n`);
      o.log.error({ code: e.code, err: e.message }, 'live capture failed');
      return 1;
    }
    throw e;
  }
}
