/**
 * `pktlens open FILE...`: the one-process mode. Stores the files (embedded database unless DATABASE_URL), then
 * serves every service in this process and prints the dashboard's address.
 */
import { existsSync } from 'node:fs';
import { openDb } from '../store/db.js';
import { Store } from '../store/store.js';
import { ingestFile } from '../ingest/ingest.js';
import { Manager, ALL } from '../services/manager.js';
import { Progress } from './progress.js';
import { summary } from './ingest.js';
import { Args } from './args.js';
import { UsageError } from './errors.js';
import { announceLogin, waitForSignal } from './serve.js';
import { CaptureError } from '../wire/capture.js';

export const OPEN_HELP = `usage: pktlens open FILE... [--data DIR] [--host ADDR] [--port N] [--password PW] [--force]
  Stores the captures (pcap, pcapng, gzip) in the embedded database (./pktlens-data, or --data DIR; DATABASE_URL
  selects a PostgreSQL server), then serves the dashboard (default http://127.0.0.1:5000) and the other services
  in this process until Ctrl-C. A file stored before is not stored again (--force stores it again).
  --port N           the dashboard's port (default 5000, or PKTLENS_UI_PORT)
  --host ADDR        bind address (default 127.0.0.1); beyond loopback the dashboard requires a login
  --password PW      its password (else PKTLENS_PASSWORD; neither: one is generated and printed once)
  --no-serve         store and exit (like pktlens ingest)`;

export async function openMain(argv: string[]): Promise<number> {
  const a = new Args(argv, OPEN_HELP);
  let data: string | undefined, host: string | undefined, port: number | undefined, password: string | undefined, force = false, serve = true;
  for (let o = a.next(); o !== null; o = a.next()) {
    if (o === '--data') data = a.value();
    else if (o === '--host') host = a.value();
    else if (o === '--password') password = a.value();
    else if (o === '--port') port = a.int(0, 65535);
    else if (o === '--force') force = true;
    else if (o === '--no-serve') serve = false;
    else a.unknown(o);
  }
  const files = a.rest;
  if (password === '') throw new UsageError('--password: an empty password would let anyone in');
  if (!files.length) throw new UsageError(`no capture given\n${OPEN_HELP}`);
  for (const f of files) if (f !== '-' && !existsSync(f)) throw new UsageError(`${f}: no such file`);
  const db = await openDb({ dataDir: data, application: 'pktlens open' });
  const store = new Store(db);
  const ac = new AbortController();
  const onSig = (): void => ac.abort();
  process.on('SIGINT', onSig);
  process.on('SIGTERM', onSig);
  let code = 0;
  try {
    process.stderr.write(`pktlens: storing into ${db.description}\n`);
    for (const f of files) {
      const bar = new Progress();
      try {
        const r = await ingestFile(store, f, { force, signal: ac.signal, onProgress: (p) => bar.update(p) });
        bar.done();
        process.stdout.write(summary(r) + '\n');
        if (r.damage) code = 2;
        if (r.interrupted) {
          process.stderr.write('pktlens: interrupted; run the same command again to finish the import\n');
          await db.close();
          return 130;
        }
      } catch (e) {
        bar.done();
        if (!(e instanceof CaptureError)) throw e;
        process.stderr.write(`pktlens: ${f}: ${e.message}\n`);
        code = 2;
      }
    }
  } finally {
    process.off('SIGINT', onSig);
    process.off('SIGTERM', onSig);
  }
  if (!serve) {
    await db.close();
    return code;
  }
  const m = new Manager({ targets: ALL, host, password, db, ports: port !== undefined ? { ui: port } : undefined });
  try {
    await m.start();
  } catch (e) {
    await db.close();
    throw e;
  }
  process.stdout.write(`pktlens: dashboard at ${m.url('ui')}/  (Ctrl-C stops)\n`);
  announceLogin(m);
  const r = await waitForSignal(() => m.stop());
  await db.close();
  return code || r;
}
