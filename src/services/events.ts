/**
 * The Analyzer's live events, in one place: uploads, imports and live captures publish here; `GET /events` clients
 * receive them as server-sent events (text/event-stream).
 *
 * - Events: `progress` {capture, packets, bytes, bytes_total, state} while a capture is imported; `capture`
 *   {id, state, packets, bytes} when a capture's state changes (importing, live, complete, failed, deleted);
 *   `counters` {capture, packets, bytes, pps, drops} every second while a live capture runs.
 * - A client may ask for some captures only (`?capture=1,2`).
 * - Each event is serialized once and written to every client's socket. What a client has not read yet stays in its
 *   socket's buffer: past `maxBuffered` bytes the client is dropped (disconnected and counted), so a slow or stalled
 *   client never holds more than that much memory. A comment line every `keepAliveMs` keeps proxies from closing
 *   idle streams (and finds dead peers).
 * - close() ends every stream, so the HTTP server can stop (an open stream would otherwise keep it waiting).
 */
import type { ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from './log.js';

export type EventName = 'progress' | 'capture' | 'counters';

export interface ProgressEvent {
  capture: number;
  packets: number;
  /** bytes of the upload (or file) read so far, as sent (compressed when gzip) */
  bytes: number;
  bytes_total: number | null;
  state: string;
}
export interface CaptureEvent {
  id: number;
  state: string;
  packets: number;
  bytes: number;
}
export interface CountersEvent {
  capture: number;
  packets: number;
  bytes: number;
  pps: number;
  /** every drop: the pipeline's, the kernel's and the interface's */
  drops: number;
}
export type EventData = { progress: ProgressEvent; capture: CaptureEvent; counters: CountersEvent };

interface Client {
  res: ServerResponse;
  /** the captures this client wants; null: all */
  captures: Set<number> | null;
  /** who served it (endClients ends one server's clients) */
  owner: object | null;
}

export interface HubOptions {
  /** bytes a client may have unread before it is dropped (default 256 KiB) */
  maxBuffered?: number;
  /** comment line interval (default 15 s) */
  keepAliveMs?: number;
  log?: Logger;
}

export class EventHub {
  private clients = new Set<Client>();
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  /** clients dropped for reading too slowly */
  dropped = 0;
  /** events published */
  published = 0;
  readonly maxBuffered: number;
  readonly keepAliveMs: number;

  constructor(private o: HubOptions = {}) {
    this.maxBuffered = o.maxBuffered ?? 256 * 1024;
    this.keepAliveMs = o.keepAliveMs ?? 15_000;
  }

  /** clients connected now */
  get size(): number {
    return this.clients.size;
  }

  publish<E extends EventName>(event: E, data: EventData[E]): void {
    if (this.closed) return;
    this.published++;
    if (!this.clients.size) return;
    const capture = event === 'capture' ? (data as CaptureEvent).id : (data as ProgressEvent | CountersEvent).capture;
    const text = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const c of this.clients) if (!c.captures || c.captures.has(capture)) this.write(c, text);
  }

  /** Serve one SSE client on this request until it goes away or the hub closes. */
  serve(_req: FastifyRequest, reply: FastifyReply, captures: number[] | null, owner: object | null = null): void {
    if (this.closed) {
      void reply.code(503).send({ error: 'shutting down' });
      return;
    }
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.socket?.setNoDelay(true);
    const c: Client = { res, captures: captures && captures.length ? new Set(captures) : null, owner };
    this.clients.add(c);
    const gone = (): void => {
      this.clients.delete(c);
      if (!this.clients.size) this.stopTimer();
    };
    res.on('close', gone); // the client went away (or the stream was ended)
    // reconnect after 2 s if the stream breaks; a first comment so the client sees the stream open at once
    this.write(c, 'retry: 2000\n: connected\n\n');
    if (!this.timer) {
      this.timer = setInterval(() => { for (const x of this.clients) this.write(x, ': keep-alive\n\n'); }, this.keepAliveMs);
      this.timer.unref();
    }
  }

  private write(c: Client, text: string): void {
    const res = c.res;
    if (res.destroyed || res.writableEnded) {
      this.clients.delete(c);
      return;
    }
    if (res.writableLength + text.length > this.maxBuffered) {
      this.dropped++;
      this.o.log?.warn({ buffered: res.writableLength, limit: this.maxBuffered }, 'events client too slow: dropped');
      this.clients.delete(c);
      res.destroy();
      return;
    }
    res.write(text);
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** End the streams of one owner (a server about to close), or all. */
  endClients(owner?: object): void {
    for (const c of [...this.clients]) {
      if (owner && c.owner !== owner) continue;
      this.clients.delete(c);
      c.res.end();
      // a client that does not read would keep the connection (and the server) open: cut it after a moment
      setTimeout(() => c.res.destroy(), 1000).unref();
    }
    if (!this.clients.size) this.stopTimer();
  }

  /** End every stream; later publications are ignored and new clients refused. */
  close(): void {
    this.closed = true;
    this.endClients();
  }
}
