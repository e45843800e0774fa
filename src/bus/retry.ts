/** Send until acknowledged: exponential backoff with full jitter, for ever unless the receiver refuses for good. */
import { Rejected, Resync } from './messages.js';
import type { Logger } from '../services/log.js';
import type { ServiceMetrics } from '../services/metrics.js';

export interface RetryOptions {
  what: string;
  log?: Logger;
  metrics?: ServiceMetrics;
  signal?: AbortSignal;
  /** first delay (ms, default 100), doubled each time up to maxDelay (default 5000) */
  baseDelay?: number;
  maxDelay?: number;
  /** give up after this many attempts (default: never) */
  attempts?: number;
}

export class Aborted extends Error {}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new Aborted('aborted'));
    const t = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, ms);
    const onAbort = (): void => { clearTimeout(t); reject(new Aborted('aborted')); };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export async function untilAcked<T>(send: () => Promise<T>, o: RetryOptions): Promise<T> {
  const base = o.baseDelay ?? 100, max = o.maxDelay ?? 5000;
  for (let attempt = 1; ; attempt++) {
    try {
      const r = await send();
      if (attempt > 1) o.log?.info({ what: o.what, attempts: attempt }, 'acknowledged after retries');
      return r;
    } catch (e) {
      if (e instanceof Rejected || e instanceof Resync || e instanceof Aborted || o.signal?.aborted) throw e;
      if (o.attempts !== undefined && attempt >= o.attempts) throw e;
      o.metrics?.retries.inc();
      const delay = Math.random() * Math.min(max, base * 2 ** Math.min(attempt - 1, 16));
      if (attempt === 1 || attempt % 10 === 0) o.log?.warn({ what: o.what, attempt, err: (e as Error).message }, 'send failed, retrying');
      await sleep(delay, o.signal);
    }
  }
}
