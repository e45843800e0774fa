/** `pktlens ingest FILE... [--name NAME] [--data DIR] [--force] [--retention 30d]` — store captures in PostgreSQL. */
import { existsSync } from 'node:fs';
import { openDb } from '../store/db.js';
import { Store } from '../store/store.js';
import { ingestFile, type IngestReport } from '../ingest/ingest.js';
import { Progress, PROGRESS_MODES, type ProgressMode } from './progress.js';
import { UsageError } from './errors.js';
import { CaptureError } from '../wire/capture.js';

export const INGEST_HELP = `usage: pktlens ingest FILE... [options]
  --name NAME        capture name (default: the file's name; one file only)
  --data DIR         embedded database folder (default ./pktlens-data); DATABASE_URL selects a PostgreSQL server instead
  --force            store a file again even if the same file (sha256) is already stored
  --retention AGE    after ingesting, drop stored packets whose capture time is older than AGE (e.g. 30d, 12h),
                     whole day partitions at a time — an old file is dropped too
  --progress MODE    auto (a bar on a terminal, nothing on a pipe), bar, lines (one line per committed batch,
                     for scripts and logs) or none
A file already stored is reported and skipped; an interrupted import is finished by running the same command again.`;

export function parseAge(s: string): number {
  const m = /^(\d+(?:\.\d+)?)([smhdw])$/.exec(s);
  if (!m) throw new UsageError(`--retention wants an age like 30d, 12h or 2w, not "${s}"`);
  return (Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400, w: 604800 }[m[2] as 's']) / 86400;
}

export async function ingestMain(argv: string[]): Promise<number> {
  const files: string[] = [];
  let name: string | undefined, data: string | undefined, force = false, retention: number | null = null;
  let progress: ProgressMode = 'auto';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = (): string => {
      if (i + 1 >= argv.length) throw new UsageError(`option ${a} needs a value`);
      return argv[++i];
    };
    if (a === '--name') name = val();
    else if (a === '--data') data = val();
    else if (a === '--force') force = true;
    else if (a === '--retention') retention = parseAge(val());
    else if (a === '--progress') {
      const m = val();
      if (!PROGRESS_MODES.includes(m as ProgressMode)) throw new UsageError(`--progress wants one of ${PROGRESS_MODES.join(', ')}, not "${m}"`);
      progress = m as ProgressMode;
    }
    else if (a.startsWith('-') && a !== '-') throw new UsageError(`unknown option ${a}\n${INGEST_HELP}`);
    else files.push(a);
  }
  if (!files.length) throw new UsageError(`no capture given\n${INGEST_HELP}`);
  for (const f of files) {
    if (f !== '-' && !existsSync(f)) throw new UsageError(`${f}: no such file`);
  }
  if (name && files.length > 1) throw new UsageError('--name names one capture; give one file');
  const db = await openDb({ dataDir: data, application: 'pktlens ingest' });
  const store = new Store(db);
  const ac = new AbortController();
  const onSig = (): void => {
    if (ac.signal.aborted) process.exit(130);
    ac.abort();
  };
  process.on('SIGINT', onSig);
  process.on('SIGTERM', onSig);
  let code = 0;
  try {
    process.stderr.write(`pktlens: storing into ${db.description}\n`);
    for (const f of files) {
      const bar = new Progress(progress);
      let r: IngestReport;
      try {
        r = await ingestFile(store, f, { name, force, signal: ac.signal, onProgress: (p) => bar.update(p) });
      } catch (e) {
        bar.done();
        if (e instanceof CaptureError) {
          process.stderr.write(`pktlens: ${f}: ${e.message}\n`);
          code = Math.max(code, 2);
          continue;
        }
        throw e;
      } finally {
        bar.done();
      }
      process.stdout.write(summary(r) + '\n');
      if (r.damage) code = Math.max(code, 2);
      if (r.interrupted) {
        process.stderr.write('pktlens: interrupted; run the same command again to finish the import\n');
        code = 130;
        break;
      }
    }
    if (retention !== null && !ac.signal.aborted) {
      const dropped = await store.applyRetention(retention);
      process.stdout.write(`retention ${retention} days: dropped ${dropped.length} partition(s)${dropped.length ? ` (${dropped.join(', ')})` : ''}\n`);
    }
  } finally {
    process.off('SIGINT', onSig);
    process.off('SIGTERM', onSig);
    await db.close();
  }
  return code;
}

export function summary(r: IngestReport): string {
  const n = (x: number) => x.toLocaleString('en-US');
  if (r.alreadyStored) return `${r.file}: already stored as capture #${r.captureId} "${r.name}" (${n(r.packets)} packets); use --force to store it again`;
  const lines = [
    `${r.file}: ${r.interrupted ? 'interrupted after' : 'stored'} ${n(r.packets)} packets as capture #${r.captureId} "${r.name}"` +
      `${r.resumed ? ` (resumed: ${n(r.written)} written now)` : ''} in ${r.elapsed.toFixed(1)} s (${n(Math.round(r.rate))} packets/s)`,
    `  malformed ${n(r.malformed)}, skipped ${Object.values(r.skipped).reduce((a, b) => a + b, 0)}` +
      `${Object.keys(r.skipped).length ? ` (${Object.entries(r.skipped).map(([k, v]) => `${v} ${k}`).join(', ')})` : ''}` +
      `${Object.keys(r.anomalies).length ? `; anomalies: ${Object.entries(r.anomalies).sort((a, b) => b[1] - a[1]).slice(0, 6).map(([k, v]) => `${k} ${v}`).join(', ')}` : ''}`,
  ];
  if (r.damage) lines.push(`  ${r.damage.message}`);
  return lines.join('\n');
}
