/**
 * Prometheus metrics (prom-client): one registry per process, every series labelled by service, so one process or
 * five expose the same names. What every hop counts: batches and packets received, sent, retried, rejected and
 * dropped; its queue depth; how long a batch takes.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'pktlens_' });

const labelNames = ['service'] as const;
const c = (name: string, help: string) => new Counter({ name: `pktlens_${name}`, help, labelNames, registers: [registry] });

const all = {
  batchesReceived: c('batches_received_total', 'batches received'),
  packetsReceived: c('packets_received_total', 'packets (frames) received'),
  batchesSent: c('batches_sent_total', 'batches sent on and acknowledged'),
  packetsSent: c('packets_sent_total', 'packets sent on and acknowledged'),
  retries: c('retries_total', 'sends retried after a failure'),
  rejected: c('rejected_total', 'requests or batches refused (bad input, too big, unauthorized)'),
  dropped: c('dropped_total', 'packets dropped (live capture buffer full, kernel or tool drops)'),
  duplicates: c('duplicate_batches_total', 'batches received again and acknowledged without writing'),
  errors: c('errors_total', 'failures while handling a batch'),
  toolDrops: new Gauge({ name: 'pktlens_capture_tool_dropped', help: 'packets the kernel or the interface dropped, as the capture tool reports', labelNames: ['service', 'kind'] as const, registers: [registry] }),
  queue: new Gauge({ name: 'pktlens_queue_depth', help: 'batches waiting or in flight', labelNames, registers: [registry] }),
  latency: new Histogram({
    name: 'pktlens_batch_latency_seconds',
    help: 'time from receiving a batch to its acknowledgement',
    labelNames,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  }),
};

export type ServiceMetrics = {
  [K in Exclude<keyof typeof all, 'queue' | 'latency' | 'toolDrops'>]: { inc(n?: number): void; get(): number };
} & {
  toolDrops: { set(kind: 'kernel' | 'interface', n: number): void };
  queue: { set(n: number): void; inc(n?: number): void; dec(n?: number): void };
  latency: { observe(seconds: number): void };
};

/** The metrics of one service (counters also readable, for logs and tests). */
export function serviceMetrics(service: string): ServiceMetrics {
  const out: Record<string, unknown> = {};
  for (const [k, m] of Object.entries(all)) {
    if (k === 'toolDrops') out[k] = { set: (kind: string, n: number) => (m as Gauge).labels(service, kind).set(n) };
    else if (m instanceof Counter) {
      const child = m.labels(service);
      let n = 0;
      out[k] = { inc: (v = 1) => { n += v; child.inc(v); }, get: () => n };
    } else if (m instanceof Gauge) out[k] = m.labels(service);
    else out[k] = (m as Histogram).labels(service);
  }
  return out as ServiceMetrics;
}
