/** `pktlens serve [--target LIST]`: run some or all services in this process until stopped. */
import { Manager, parseTargets, type Target } from '../services/manager.js';
import { Args } from './args.js';
import { UsageError } from './errors.js';

export const SERVE_HELP = `usage: pktlens serve [--target all|LIST] [options]
  --target LIST      services to run here: all (default: persistor, parser, analyzer, ui, talking in memory)
                     or a comma list of parser, persistor, analyzer, ui, db (db: the embedded database served
                     over the PostgreSQL protocol, default port 5433, for services in other processes)
  --host ADDR        bind address (default 127.0.0.1, or PKTLENS_HOST); beyond loopback (0.0.0.0, a LAN
                     address) the UI and the Analyzer require a login
  --password PW      the login password (else PKTLENS_PASSWORD; neither: one is generated and printed once)
  --port N           port of the service, when --target names one (else PKTLENS_<SERVICE>_PORT;
                     defaults: ui 5000, parser 5001, persistor 5002, analyzer 5003, db 5433)
  --data DIR         embedded database folder (default ./pktlens-data); DATABASE_URL selects a server instead
  --log-dir DIR      log folder (default ./logs: one <service>.log each)
Environment: DATABASE_URL, PKTLENS_TOKEN (bearer token for /parse and /store), PKTLENS_PASSWORD, PKTLENS_PARSER_URL,
PKTLENS_PERSISTOR_URL, PKTLENS_ANALYZER_URL (where services of other processes are).`;

export async function serveMain(argv: string[]): Promise<number> {
  const a = new Args(argv, SERVE_HELP);
  let targets: Target[] = parseTargets('all');
  let host: string | undefined, port: number | undefined, data: string | undefined, logDir: string | undefined, password: string | undefined;
  for (let o = a.next(); o !== null; o = a.next()) {
    if (o === '--target' || o === '-t') {
      try {
        targets = parseTargets(a.value());
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
    } else if (o === '--host') host = a.value();
    else if (o === '--password') password = a.value();
    else if (o === '--port') port = a.int(0, 65535);
    else if (o === '--data') data = a.value();
    else if (o === '--log-dir') logDir = a.value();
    else a.unknown(o);
  }
  if (a.rest.length) throw new UsageError(`unexpected argument "${a.rest[0]}"\n${SERVE_HELP}`);
  if (port !== undefined && targets.length !== 1) throw new UsageError('--port sets the port of one service: give one --target');
  if (password === '') throw new UsageError('--password: an empty password would let anyone in');
  const m = new Manager({ targets, host, password, dataDir: data, logDir, ports: port !== undefined ? { [targets[0]]: port } : undefined });
  await m.start();
  for (const s of m.summary()) process.stderr.write(`pktlens: ${s.name} ready at ${s.url}\n`);
  announceLogin(m);
  return waitForSignal(() => m.stop());
}

/** Say that a login is required and, once, the password generated for it (never written to the logs). */
export function announceLogin(m: Manager): void {
  if (!m.login) return;
  if (m.login.generated) process.stderr.write(`pktlens: listening on ${m.host}: login required; generated password: ${m.login.password}\n  (give --password or PKTLENS_PASSWORD to choose one)\n`);
  else process.stderr.write(`pktlens: listening on ${m.host}: login required (the password given at start)\n`);
}

/** Resolve with 0 after SIGINT/SIGTERM and a clean stop (a second signal exits at once). */
export function waitForSignal(stop: () => Promise<void>): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    const on = (sig: NodeJS.Signals): void => {
      if (stopping) process.exit(130);
      stopping = true;
      process.stderr.write(`pktlens: ${sig}, stopping\n`);
      stop().then(
        () => resolve(0),
        (e) => {
          process.stderr.write(`pktlens: stop failed: ${(e as Error).message}\n`);
          resolve(1);
        },
      );
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}
