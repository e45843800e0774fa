/** `pktlens open FILE`: the one-process mode on the embedded database, end to end. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../store/util.js';
import { Proc, freePort, waitFor } from './stack.js';

test('pktlens open stores the sample, serves the dashboard and /api, stops on SIGINT', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pktlens-open-'));
  const ports = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const env: NodeJS.ProcessEnv = { ...process.env, PKTLENS_LOG_DIR: join(dir, 'logs'), PKTLENS_PARSER_PORT: String(ports[1]), PKTLENS_PERSISTOR_PORT: String(ports[2]), PKTLENS_ANALYZER_PORT: String(ports[3]) };
  delete env.DATABASE_URL;
  const p = new Proc(['open', join(ROOT, 'samples', 'sample.pcap'), '--data', join(dir, 'data'), '--port', String(ports[0])], env).start();
  try {
    const url = await waitFor('the dashboard address', async () => /dashboard at (http:\/\/\S+?)\/ /.exec(p.out)?.[1], 90_000);
    assert.match(p.out, /stored 2,000 packets as capture #1/);
    assert.equal(url, `http://127.0.0.1:${ports[0]}`);
    const sum = (await (await fetch(`${url}/api/protocol_summary`)).json()) as { packets: number }[];
    assert.equal(sum.reduce((a, b) => a + b.packets, 0), 2000);
    const page = await fetch(`${url}/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /pktlens/);
  } finally {
    p.child?.kill('SIGINT');
    assert.equal(await p.exited, 0, p.out);
    rmSync(dir, { recursive: true, force: true });
  }
});
