/** A one-line progress bar on a terminal (stderr); silent on a pipe. */
export class Progress {
  private last = 0;
  private shown = false;
  constructor(private readonly out: NodeJS.WriteStream = process.stderr) {}

  get enabled(): boolean {
    return this.out.isTTY === true;
  }

  update(p: { packets: number; sourceBytes: number; totalBytes: number | null; elapsed: number }, label = ''): void {
    if (!this.enabled) return;
    const now = performance.now();
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
    if (this.shown) this.out.write('\r\x1b[K');
    this.shown = false;
  }
}

export function fmtDuration(s: number): string {
  if (!isFinite(s)) return '?';
  const m = Math.floor(s / 60), sec = Math.floor(s % 60);
  return m >= 60 ? `${Math.floor(m / 60)}:${String(m % 60).padStart(2, '0')}:${String(sec).padStart(2, '0')}` : `${m}:${String(sec).padStart(2, '0')}`;
}
