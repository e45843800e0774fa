/**
 * One pino logger per service: JSON lines in `<logDir>/<service>.log`, and readable lines on the terminal when
 * stderr is one (pino-pretty), so five processes or one write the same files.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';
import { ENV } from './config.js';

export type { Logger };

export interface LogOptions {
  /** folder of the log files (default PKTLENS_LOG_DIR or ./logs); null: no file */
  dir?: string | null;
  /** also write readable lines to stderr (default: when stderr is a terminal) */
  terminal?: boolean;
  level?: string;
}

const loggers = new Map<string, Logger>();

export function serviceLogger(service: string, opts: LogOptions = {}): Logger {
  const dir = opts.dir === undefined ? process.env[ENV.logDir] || 'logs' : opts.dir;
  const key = `${service}\0${dir}`;
  const known = loggers.get(key);
  if (known) return known;
  const level = opts.level ?? (process.env[ENV.logLevel] || 'info');
  const streams: pino.StreamEntry[] = [];
  if (dir !== null) {
    mkdirSync(dir, { recursive: true });
    streams.push({ level: level as pino.Level, stream: pino.destination({ dest: join(dir, `${service}.log`), mkdir: true, sync: true }) });
  }
  if (opts.terminal ?? process.stderr.isTTY === true) {
    streams.push({ level: level as pino.Level, stream: pretty({ destination: 2, colorize: process.stderr.isTTY === true, sync: true, ignore: 'pid,hostname' }) });
  }
  const log = pino({ level, base: { service }, timestamp: pino.stdTimeFunctions.isoTime }, pino.multistream(streams));
  loggers.set(key, log);
  return log;
}

/** Flush every logger's file before the process exits. */
export function flushLogs(): void {
  for (const l of loggers.values()) {
    try {
      l.flush();
    } catch {
      /* a stream already closed */
    }
  }
}
