import { ApiError, countPackets, packetPage, type PacketRow, type Scope } from '../api';

// The rows of a packet view by index (0 … total-1), fetched by keyset pages as the list scrolls.
//
// A keyset cursor only continues from where a page ended, so reaching row 1,500,000 of a 2M-row view by following
// cursors would take 1,500 requests. Within one capture, frame numbers rise with the row index, so a far jump is made
// with two requests instead: the frame F where row i should be is estimated by interpolating between rows already
// seen (index → frame anchors), then
//     /count   q = (FILTER) && frame.number <= F      → c, the exact index of the first row after F
//     /filter  q = (FILTER) && frame.number > F       → the rows at indices c, c+1, …
// which places rows at their exact indices; if c missed the wanted window, the estimate is refined (secant) and
// repeated. The page's own cursor continues that query, so scrolling on from a jump needs no more counts.
// Views over several whole captures without a filter or time range have an exact layout instead: row i is frame
// i - (packets of the captures before) + 1 of its capture, so a far jump is one page after the cursor "capture:frame"
// (`layout`, given only when the captures' packet counts add up to the view's total). Views over several captures
// with a filter or time range fall back to following cursors.
//
// Loading is one loop with at most one request (or one jump's pair) in flight: `ensure` only moves the wanted
// range, and the loop, when its request is back, asks for whatever the range lacks by then. A fast scroll therefore
// costs one request per round trip, not one per frame, and no answer is thrown away: every page lands at its exact
// indices even when the list has moved on (it also serves as an anchor and a cursor). Only `cancel` aborts.

interface Start {
  /** the query continuing from here: the scope's filter and-ed with `extra` */
  extra: string | null;
  after: string | null;
}

export const JUMP_CHAIN_LIMIT = 4;
/** Rows asked for by a page near the screen: about four screens, a small answer to parse. */
export const PAGE_ROWS = 200;
/** The API's page limit: used when following cursors towards rows far ahead. */
const MAX_PAGE_ROWS = 1000;
/** Beyond this many rows past the nearest cursor, a jump (two requests) beats following cursors. */
const JUMP_DISTANCE = 1000;
const MAX_ROWS_KEPT = 40_000;

function and(q: string | undefined, extra: string | null): string | undefined {
  const base = q?.trim();
  if (!extra) return base || undefined;
  return base ? `(${base}) && ${extra}` : extra;
}

const isAbort = (e: unknown): boolean => e instanceof DOMException && e.name === 'AbortError';

export class PacketWindow {
  readonly rows = new Map<number, PacketRow>();
  /** changes whenever rows arrive (for useSyncExternalStore) */
  version = 0;
  private listeners = new Set<() => void>();
  private starts = new Map<number, Start>([[0, { extra: null, after: null }]]);
  private anchors: [number, number][] = [];
  private ctl = new AbortController();
  /** the rows the list wants now; the loop reads it after every request */
  private want: [number, number] = [0, -1];
  private jumps = 0;
  private loop: Promise<void> | null = null;
  /** requests made (for tests and the status line) */
  requests = 0;

  constructor(
    readonly scope: Scope,
    public total: number,
    /** frame numbers rise with the index (one capture): far jumps by frame number are possible */
    public jumpable: boolean,
    /** an upper bound of the frame numbers (the capture's packet count) */
    public maxFrame: number,
    /** several whole captures, in row order, every frame stored: rows are at known places (see above) */
    public layout: readonly { capture: number; packets: number }[] | null = null,
  ) {}

  /** The cursor after which row i starts, from the layout (null: beyond it). */
  private layoutCursor(i: number): string | null {
    let before = 0;
    for (const part of this.layout ?? []) {
      if (i < before + part.packets) return `${part.capture}:${i - before}`;
      before += part.packets;
    }
    return null;
  }

  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };

  getVersion = (): number => this.version;

  private changed(): void {
    this.version++;
    for (const fn of this.listeners) fn();
  }

  /** Aborts what is in flight (the view was left or replaced); a later `ensure` starts afresh. */
  cancel(): void {
    this.ctl.abort();
    this.ctl = new AbortController();
    this.loop = null;
  }

  /**
   * Loads the rows [from, to] (clamped to the total). The newest range replaces older ones; the promise settles
   * when the loop has nothing left to load (or fails with the request that failed).
   */
  ensure(from: number, to: number): Promise<void> {
    this.want = [Math.max(0, from), to];
    this.jumps = 0;
    if (!this.loop) {
      const loop: Promise<void> = this.run(this.ctl.signal).finally(() => {
        if (this.loop === loop) this.loop = null;
      });
      this.loop = loop;
    }
    return this.loop;
  }

  private firstMissing(from: number, end: number): number {
    for (let i = from; i <= end; i++) if (!this.rows.has(i)) return i;
    return -1;
  }

  private async run(signal: AbortSignal): Promise<void> {
    // A guard against a loop that makes no progress (an API answering pages that do not cover the range).
    for (let idle = 0; idle < 200; ) {
      if (signal.aborted) throw new DOMException('cancelled', 'AbortError');
      const [from, to] = this.want;
      const end = Math.min(to, this.total - 1);
      const m = this.firstMissing(from, end);
      if (m < 0) break;
      const before = this.rows.size;
      // The nearest place at or before m where a query can continue.
      let best = -1;
      for (const k of this.starts.keys()) if (k <= m && k > best) best = k;
      const at = Math.max(0, Math.min(m, end + 21 - PAGE_ROWS));
      const exact = this.layout && m - best > JUMP_DISTANCE ? this.layoutCursor(at) : null;
      if (exact !== null) {
        // a far place in a view with a layout: one page from the cursor of that row
        const st: Start = { extra: null, after: exact };
        this.starts.set(at, st);
        await this.fetchFrom(at, st, PAGE_ROWS, signal);
      } else if (best >= 0 && (m - best <= JUMP_DISTANCE || !this.jumpable || this.jumps >= JUMP_CHAIN_LIMIT)) {
        // Near: a page reaching past `end`. Far (no jump possible): the largest page, to get there sooner.
        const limit = m - best > JUMP_DISTANCE ? MAX_PAGE_ROWS : Math.min(MAX_PAGE_ROWS, Math.max(PAGE_ROWS, end + 1 - best));
        await this.fetchFrom(best, this.starts.get(best)!, limit, signal);
      } else {
        this.jumps++;
        // A page that ends a little past `end` (scrolling up, the rows above the screen come with it).
        try {
          await this.jump(at, PAGE_ROWS, signal);
        } catch (e) {
          // An Analyzer whose filters cannot compare frame.number: follow cursors instead.
          if (e instanceof ApiError && !e.unreachable && e.status >= 400) this.jumpable = false;
          else throw e;
        }
      }
      if (this.rows.size > before) idle = 0;
      else idle++;
      if (this.rows.size > MAX_ROWS_KEPT * 1.25) this.evict();
    }
    this.evict();
  }

  private async fetchFrom(index: number, st: Start, limit: number, signal: AbortSignal): Promise<void> {
    this.requests++;
    const page = await packetPage({ ...this.scope, q: and(this.scope.q, st.extra) }, limit, st.after, signal);
    if (signal.aborted) return;
    this.place(index, page.packets);
    if (page.next && page.packets.length) this.starts.set(index + page.packets.length, { extra: st.extra, after: page.next });
    this.changed();
  }

  private estimateFrame(i: number): number {
    const pts: [number, number][] = [[0, 0], ...this.anchors, [this.total, Math.max(this.maxFrame, this.total) + 1]];
    let lo = pts[0]!;
    let hi = pts[pts.length - 1]!;
    for (const p of pts) {
      if (p[0] <= i && p[0] >= lo[0]) lo = p;
      if (p[0] > i && p[0] < hi[0]) hi = p;
    }
    if (hi[0] === lo[0]) return lo[1];
    return Math.max(0, Math.floor(lo[1] + ((i - lo[0]) * (hi[1] - lo[1])) / (hi[0] - lo[0])) - 1);
  }

  private async jump(i: number, limit: number, signal: AbortSignal): Promise<void> {
    const f = this.estimateFrame(i);
    const after = `frame.number > ${f}`;
    this.requests += 2;
    const [c, page] = await Promise.all([
      countPackets({ ...this.scope, q: and(this.scope.q, `frame.number <= ${f}`) }, signal),
      packetPage({ ...this.scope, q: and(this.scope.q, after) }, limit, null, signal),
    ]);
    if (signal.aborted) return;
    this.place(c, page.packets);
    if (page.packets.length === 0) this.anchors.push([c, f + 1]);
    if (page.next && page.packets.length) this.starts.set(c + page.packets.length, { extra: after, after: page.next });
    this.changed();
  }

  private place(index: number, rows: PacketRow[]): void {
    for (let k = 0; k < rows.length; k++) this.rows.set(index + k, rows[k]!);
    if (rows.length) {
      this.anchors.push([index, rows[0]!.frame], [index + rows.length - 1, rows[rows.length - 1]!.frame]);
      if (this.anchors.length > 400) this.anchors.splice(0, this.anchors.length - 400);
    }
  }

  /** Keeps the rows around the wanted range (and the cursors, which are small). */
  private evict(): void {
    if (this.rows.size <= MAX_ROWS_KEPT) return;
    const [from, to] = this.want;
    const keepLo = from - MAX_ROWS_KEPT / 4;
    const keepHi = to + MAX_ROWS_KEPT / 4;
    for (const k of this.rows.keys()) if (k < keepLo || k > keepHi) this.rows.delete(k);
  }

  /** Whether an error from `ensure` is only the window's own cancellation. */
  static isCancel(e: unknown): boolean {
    return isAbort(e);
  }
}
