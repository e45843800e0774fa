/** tshark's count of frames matching each of many display filters, in one run per capture (`-z io,stat,0,F1,F2,…`). */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Frames matching each filter (same order), as `tshark -Y FILTER` would count them; with withCommas false, NaN for
 * filters holding a comma (each would cost a tshark run of its own). The first io,stat column is
 * `frame`, which must equal `total` when given: a check that the table was read right.
 */
export async function tsharkCounts(file: string, filters: string[], opts: { withCommas: boolean }): Promise<number[]> {
  // io,stat separates its filters with commas: a filter holding one (a set) gets its own `tshark -Y` run, or NaN
  const plain = filters.filter((f) => !f.includes(','));
  const counts = await ioStat(file, plain);
  const out: number[] = [];
  for (const f of filters) {
    if (!f.includes(',')) { out.push(counts[plain.indexOf(f)]); continue; }
    if (!opts.withCommas) { out.push(NaN); continue; }
    const { stdout } = await run('tshark', ['-n', '-r', file, '-Y', f, '-T', 'fields', '-e', 'frame.number'], { maxBuffer: 64 << 20 });
    out.push(stdout.split('\n').filter(Boolean).length);
  }
  return out;
}

async function ioStat(file: string, filters: string[]): Promise<number[]> {
  const { stdout } = await run('tshark', ['-n', '-q', '-r', file, '-z', `io,stat,0,frame,${filters.join(',')}`], { maxBuffer: 64 << 20 });
  const row = stdout.split('\n').find((l) => l.includes('<>'));
  if (!row) throw new Error(`tshark io,stat: no data row for ${file}:\n${stdout.slice(0, 2000)}`);
  const cells = row.split('|').map((c) => c.trim()).filter((c) => c !== '');
  // cells: interval, then Frames and Bytes per column
  const frames: number[] = [];
  for (let i = 1; i < cells.length; i += 2) frames.push(Number(cells[i]));
  if (frames.length !== filters.length + 1 || frames.some((n) => !Number.isInteger(n))) {
    throw new Error(`tshark io,stat: ${frames.length} columns for ${filters.length + 1} filters in ${file}: ${row}`);
  }
  return frames.slice(1);
}
