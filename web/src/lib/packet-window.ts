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
// Views over several captures (ordered by capture, then frame) fall back to following cursors.

interface Start {
  /** the query continuing from here: the scope's filter and-ed with `extra` */
  extra: string | null;
  after: string | null;
}

export const JUMP_CHAIN_LIMIT = 4;
const MAX_ROWS_KEPT = 40_000;

function and(q: string | undefined, extra: string | null): string | undefined {
  const base = q?.trim();
  if (!extra) return base || undefined;
  return base ? `(${base}) && ${extra}` : extra;
}

export class PacketWindow {
  readonly rows = new Map<number, PacketRow>();
  private starts = new Map<number, Start>([[0, { extra: null, after: null }]]);
  private anchors: [number, number][] = [];
  private ctl: AbortController | null = null;
  /** requests made (for tests and the status line) */
  requests = 0;

  constructor(
    readonly scope: Scope,
    public total: number,
    /** frame numbers rise with the index (one capture): far jumps by frame number are possible */
    public jumpable: boolean,
    /** an upper bound of the frame numbers (the capture's packet count) */
    public maxFrame: number,
    private onChange: () => void,
  ) {}

  cancel(): void {
    this.ctl?.abort();
    this.ctl = null;
  }

  /** Loads the rows [from, to] (clamped to the total); a new call cancels the previous one. */
  async ensure(from: number, to: number): Promise<void> {
    this.cancel();
    const ctl = new AbortController();
    this.ctl = ctl;
    const signal = ctl.signal;
    const end = Math.min(to, this.total - 1);
    let jumps = 0;
    for (let guard = 0; guard < 200; guard++) {
      if (signal.aborted) return;
      let m = -1;
      for (let i = Math.max(0, from); i <= end; i++) {
        if (!this.rows.has(i)) {
          m = i;
          break;
        }
      }
      if (m < 0) break;
      // The nearest place at or before m where a query can continue.
      let best = -1;
      for (const k of this.starts.keys()) if (k <= m && k > best) best = k;
      if (best >= 0 && (m - best <= 1000 || !this.jumpable || jumps >= JUMP_CHAIN_LIMIT)) {
        const st = this.starts.get(best)!;
        const limit = Math.min(1000, Math.max(50, end + 1 - best));
        await this.fetchFrom(best, st, limit, signal);
      } else {
        jumps++;
        try {
          await this.jump(m, Math.min(1000, end + 1 - m + 20), signal);
        } catch (e) {
          // An Analyzer whose filters cannot compare frame.number: follow cursors instead.
          if (e instanceof ApiError && !e.unreachable && e.status >= 400) this.jumpable = false;
          else throw e;
        }
      }
    }
    this.evict(from, to);
  }

  private async fetchFrom(index: number, st: Start, limit: number, signal: AbortSignal): Promise<void> {
    this.requests++;
    const page = await packetPage({ ...this.scope, q: and(this.scope.q, st.extra) }, limit, st.after, signal);
    this.place(index, page.packets);
    if (page.next && page.packets.length) this.starts.set(index + page.packets.length, { extra: st.extra, after: page.next });
    this.onChange();
  }

  private estimateFrame(i: number): number {
    const pts: [number, number][] = [[0, 0], ...this.anchors, [this.total, Math.max(this.maxFrame, this.total) + 1]];
    pts.sort((a, b) => a[0] - b[0]);
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
    this.onChange();
  }

  private place(index: number, rows: PacketRow[]): void {
    rows.forEach((r, k) => this.rows.set(index + k, r));
    if (rows.length) {
      this.anchors.push([index, rows[0]!.frame], [index + rows.length - 1, rows[rows.length - 1]!.frame]);
      if (this.anchors.length > 400) this.anchors.splice(0, this.anchors.length - 400);
    }
  }

  private evict(from: number, to: number): void {
    if (this.rows.size <= MAX_ROWS_KEPT) return;
    const keepLo = from - MAX_ROWS_KEPT / 4;
    const keepHi = to + MAX_ROWS_KEPT / 4;
    for (const k of this.rows.keys()) if (k < keepLo || k > keepHi) this.rows.delete(k);
  }
}
