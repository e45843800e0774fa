/** Whether the PostgreSQL test server answers; under CI=true a missing server fails the test instead of skipping it. */
import { spawnSync } from 'node:child_process';
import type { TestContext } from 'node:test';
import pg from 'pg';
import { ADMIN_URL } from '../store/backends.js';

export async function requireServer(t: TestContext): Promise<boolean> {
  const c = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 3000 });
  c.on('error', () => {});
  try {
    await c.connect();
    await c.end();
    return true;
  } catch (e) {
    if (process.env.CI === 'true') throw new Error(`PostgreSQL test server unreachable at ${ADMIN_URL}: ${(e as Error).message}`);
    t.skip(`PostgreSQL test server unreachable at ${ADMIN_URL}`);
    return false;
  }
}

/** Live-capture tests need tcpdump or dumpcap: false (skipped) when neither is installed, a failure under CI=true. */
export function requireCaptureTool(t: TestContext): boolean {
  if (spawnSync('sh', ['-c', 'command -v tcpdump || command -v dumpcap']).status === 0) return true;
  if (process.env.CI === 'true') throw new Error('tcpdump (or dumpcap) is not installed');
  t.skip('no tcpdump or dumpcap');
  return false;
}
