/**
 * Packets out as pcap or pcapng, streamed: keyset pages of EXPORT_PAGE rows in (capture, frame) order are written as
 * they arrive and the next page is read only when the client has taken the previous one (backpressure), so memory
 * stays bounded whatever the size. Keyset pages rather than one server-side cursor: no transaction is held open
 * for the whole download (the embedded database runs every connection on one backend). Original timestamps
 * (nanoseconds), link types, captured and original lengths are kept.
 */
import { PassThrough } from 'node:stream';
import type { Db, Tx } from '../store/db.js';
import { PcapWriter, PcapngWriter } from '../wire/pcap-writer.js';
import { Rejected } from '../bus/messages.js';
import { withTimeout } from './run.js';
import { Params, scopeSql, type Scope } from './scope.js';
import type { StoredFrame } from './detail.js';

export const EXPORT_PAGE = 2000;

/** A page of stored frames after (capture, frame), with an extra SQL condition over packets aliased p. */
export async function framePage(tx: Tx, where: (p: Params) => string, after: [number, number] | null, limit: number): Promise<(StoredFrame & { capture: number })[]> {
  const p = new Params();
  const w = [where(p)];
  if (after) w.push(`(p.capture_id, p.frame) > (${p.add(after[0])}::bigint, ${p.add(after[1])}::bigint)`);
  const r = await tx.query<{ capture_id: string; frame: string; ts_ns: string; len: number; caplen: number; linktype: number; iface: number; data: Uint8Array }>(
    `SELECT p.capture_id, p.frame, p.ts_ns, p.len, p.caplen, p.linktype, p.iface, p.data FROM packets p
     WHERE ${w.join(' AND ')} ORDER BY p.capture_id, p.frame LIMIT ${p.add(limit)}`,
    p.values,
  );
  return r.rows.map((x) => ({
    capture: Number(x.capture_id), frame: Number(x.frame), tsNs: BigInt(x.ts_ns), len: x.len, caplen: x.caplen, linktype: x.linktype, iface: x.iface,
    data: x.data,
  }));
}

/** Link types of the packets a scope can reach, from the captures table (no scan). */
export async function linkTypes(db: Db, s: Scope): Promise<number[]> {
  const r = await db.query<{ lt: number }>(
    `SELECT DISTINCT unnest(link_types) AS lt FROM captures WHERE $1::bigint[] IS NULL OR id = ANY($1::bigint[]) ORDER BY 1`,
    [s.captures],
  );
  return r.rows.map((x) => Number(x.lt));
}

/**
 * Stream the packets matching `where` as a capture file. The first page is read before answering, so that a bad
 * filter or a timeout is a 4xx/503 and not a cut download. For pcap, every packet must have one link type.
 */
export async function exportStream(
  db: Db, format: 'pcap' | 'pcapng', where: (p: Params) => string, opts: { linktype?: number; timeoutMs?: number } = {},
): Promise<NodeJS.ReadableStream> {
  let page = await withTimeout(db, (tx) => framePage(tx, where, null, EXPORT_PAGE), opts.timeoutMs);
  const out = new PassThrough({ highWaterMark: 1 << 20 });
  let w: PcapWriter | PcapngWriter;
  if (format === 'pcap') {
    const lt = opts.linktype ?? page[0]?.linktype ?? 1;
    w = new PcapWriter(out, { linktype: lt, nanos: true });
  } else w = new PcapngWriter(out, { application: 'pktlens' });
  const ifaces = new Map<number, number>();
  // a client that goes away never drains: stop waiting for it then
  const closed = new Promise<'closed'>((resolve) => out.once('close', () => resolve('closed')));
  const flush = async (): Promise<boolean> => (await Promise.race([w.flush().then(() => 'ok' as const), closed])) === 'ok';
  void (async () => {
    try {
      for (;;) {
        for (const f of page) {
          const sec = Number(f.tsNs / 1_000_000_000n), nsec = Number(f.tsNs % 1_000_000_000n);
          let ok: boolean;
          if (w instanceof PcapWriter) {
            if (f.linktype !== w.linktype) throw new Rejected(`frame ${f.frame} of capture ${f.capture} has link type ${f.linktype}, not ${w.linktype}`, 400);
            ok = w.writePacket(sec, nsec, f.data, f.len);
          } else {
            let id = ifaces.get(f.linktype);
            if (id === undefined) ifaces.set(f.linktype, (id = w.addInterface(f.linktype)));
            ok = w.writePacket(id, sec, nsec, f.data, f.len);
          }
          if (!ok && !(await flush())) return;
        }
        if (page.length < EXPORT_PAGE) break;
        const last = page[page.length - 1];
        if (!(await flush()) || out.destroyed) return; // hand the page over; waits while the client is slow
        page = await withTimeout(db, (tx) => framePage(tx, where, [last.capture, last.frame], EXPORT_PAGE), opts.timeoutMs);
      }
      await w.end();
    } catch (e) {
      out.destroy(e as Error); // the client sees a cut download; the error is logged by the caller's stream handler
    }
  })();
  return out;
}

/** A scope's condition for exportStream. */
export const scopeWhere = (s: Scope) => (p: Params): string => scopeSql(s, p, 'p');
