export type ProgressMode = 'auto' | 'bar' | 'lines' | 'none';
export const PROGRESS_MODES: readonly ProgressMode[] = ['auto', 'bar', 'lines', 'none'];

/**
 * Progress on stderr: a one-line bar on a terminal ("auto": silent on a pipe), or "lines" for scripts and logs —
 * one `progress packets=… written=… bytes=…/… elapsed=…` line whenever more packets are committed, and at most
 * one a second otherwise.
 */
export class Progress {
  private last = 0;
  private shown = false;
  private lastWritten = -1;
  constructor(
    private readonly mode: ProgressMode = 'auto',
    private readonly out: NodeJS.WriteStream = process.stderr,
  ) {}

  get enabled(): boolean {
    return this.mode === 'bar' || this.mode === 'lines' || (this.mode === 'auto' && this.out.isTTY === true);
  }

  update(p: { packets: number; written?: number; sourceBytes: number; totalBytes: number | null; elapsed: number }, label = ''): void {
    if (!this.enabled) return;
    const now = performance.now();
    if (this.mode === 'lines') {
      const w = p.written ?? -1;
      if (w === this.lastWritten && now - this.last < 1000) return;
      this.last = now;
      this.lastWritten = w;
      const written = p.written === undefined ? '' : ` written=${p.written}`;
      this.out.write(`${label}progress packets=${p.packets}${written} bytes=${p.sourceBytes}/${p.totalBytes ?? '?'} elapsed=${p.elapsed.toFixed(3)}\n`);
      return;
    }
    if (now - this.last < 100) return;
    this.last = now;
    const mbs = p.sourceBytes / 1e6 / Math.max(p.elapsed, 1e-3);
    let line = `${label}${p.packets.toLocaleString('en-US')} packets  ${mbs.toFixed(1)} MB/s`;
    if (p.totalBytes) {
      const frac = Math.min(1, p.sourceBytes / p.totalBytes);
      const w = 24, fill = Math.round(frac * w);
      const eta = frac > 0 ? (p.elapsed / frac) * (1 - frac) : 0;
      line = `[${'#'.repeat(fill)}${'.'.repeat(w - fill)}] ${(frac * 100).toFixed(0).padStart(3)}%  ${line}  ETA ${fmtDuration(eta)}`;
    }
    const cols = this.out.columns || 100;
    this.out.write(`\r${line.slice(0, cols - 1).padEnd(Math.min(cols - 1, line.length + 2))}`);
    this.shown = true;
  }

  done(): void {
    if (this.shown && this.mode !== 'lines') this.out.write('\r\x1b[K');
    this.shown = false;
  }
}

export function fmtDuration(s: number): string {
  if (!isFinite(s)) return '?';
  const m = Math.floor(s / 60), sec = Math.floor(s % 60);
  return m >= 60 ? `${Math.floor(m / 60)}:${String(m % 60).padStart(2, '0')}:${String(sec).padStart(2, '0')}` : `${m}:${String(sec).padStart(2, '0')}`;
}
