/** The browser harness itself: a generated capture stored on the server, the dashboard loads in both themes, clean. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { NOT_YET_SERVED, assertClean, waitForSelector, generated, launchBrowser, openPage, screenshot, startStack, THEMES } from './browser.js';

test('browser harness: stack on a fresh database, dashboard loads clean in light and dark', { timeout: 180_000 }, async (t) => {
  const browser = await launchBrowser(t);
  if (!browser) return;
  const stack = await startStack(t, { captures: [await generated({ packets: 300, seed: 3 })] }).catch(async (e) => {
    await browser.close();
    throw e;
  });
  if (!stack) return void (await browser.close());
  try {
    assert.match(stack.ingested[0]!, /stored 300 packets/);
    const api = (await (await fetch(`${stack.url}/api/protocol_summary`)).json()) as { packets: number }[];
    assert.equal(api.reduce((a, r) => a + r.packets, 0), 300);
    for (const theme of THEMES) {
      const p = await openPage(browser, `${stack.url}/`, { theme, waitUntil: 'networkidle' });
      // the page has the data: the Overview's packet total
      await waitForSelector(p.page, '[data-testid=total-packets][data-value="300"]');
      assert.equal(await p.page.evaluate(() => document.documentElement.dataset.theme), theme);
      const file = await screenshot(p.page, 'harness', theme);
      assert.ok(existsSync(file));
      assertClean(p, { allow: NOT_YET_SERVED });
      await p.context.close();
    }
  } finally {
    await browser.close();
    await stack.stop();
  }
});
