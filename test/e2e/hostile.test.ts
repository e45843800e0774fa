/**
 * Everything that came from a packet is untrusted (DESIGN §8). A capture from the generator's hostile mode carries
 * HTML and script in DNS names, HTTP Host and User-Agent headers, TLS and QUIC server names, DHCP and mDNS names.
 * Stored and shown on the Overview, the Packets list and a packet's detail, each string must appear as the exact
 * text, with no dialog, no injected element or inline handler, and a Content-Security-Policy that stops inline script
 * even if one got into the page.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { HOSTILE_SITES, HOSTILE_UA } from '../../src/gen/world.js';
import { NOT_YET_SERVED, assertClean, generated, launchBrowser, openPage, screenshot, startStack, waitForSelector, type OpenedPage } from './browser.js';

const [IMG, SCRIPT, SVG] = HOSTILE_SITES.map((s) => s.name) as [string, string, string];

/** What must not exist in the page: elements the payloads would create and inline event handlers anywhere. */
async function injected(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    for (const el of Array.from(document.querySelectorAll('*'))) {
      for (const a of Array.from(el.attributes)) if (/^on/i.test(a.name)) out.push(`<${el.localName} ${a.name}="${a.value}">`);
      if (el.localName === 'img' && el.getAttribute('src') === 'x') out.push('<img src=x>');
      if (el.localName === 'iframe' || el.localName === 'object' || el.localName === 'embed') out.push(`<${el.localName}>`);
      if (el.localName === 'b' && el.textContent === 'TV') out.push('<b>TV</b> from an mDNS name');
      for (const a of ['href', 'src', 'action', 'formaction']) if (/^\s*javascript:/i.test(el.getAttribute(a) ?? '')) out.push(`<${el.localName} ${a}=javascript:…>`);
    }
    for (const s of Array.from(document.scripts)) {
      const src = s.getAttribute('src');
      if (!src || new URL(src, location.href).origin !== location.origin) out.push(`<script${src ? ` src=${src}` : ''}>${(s.textContent ?? '').slice(0, 60)}`);
    }
    const w = window as unknown as Record<string, unknown>;
    if (w.__x !== undefined) out.push('window.__x set by an inline script');
    return out;
  });
}

async function assertSafe(p: OpenedPage, what: string): Promise<void> {
  assert.deepEqual(await injected(p.page), [], `${what}: injected markup`);
  assert.deepEqual(p.dialogs, [], `${what}: dialogs`);
}

/** The texts of cells matching `selector` (textContent: what the user reads, whatever markup it would have been). */
const texts = (page: Page, selector: string): Promise<string[]> =>
  page.$$eval(selector, (els) => els.map((e) => e.textContent ?? ''));

test('hostile capture: markup from packets is shown as text on the Overview, the Packets list and the detail; CSP blocks inline script', { timeout: 240_000 }, async (t) => {
  const browser = await launchBrowser(t);
  if (!browser) return;
  const capture = await generated({ packets: 3000, seed: 7, hostile: true });
  const stack = await startStack(t, { captures: [capture] }).catch(async (e) => {
    await browser.close();
    throw e;
  });
  if (!stack) return void (await browser.close());
  try {
    // the page's policy: scripts from this origin only, no inline script, no eval
    const res = await fetch(`${stack.url}/`);
    const csp = res.headers.get('content-security-policy') ?? '';
    const scriptSrc = /(?:^|;)\s*script-src ([^;]*)/.exec(csp)?.[1] ?? /(?:^|;)\s*default-src ([^;]*)/.exec(csp)?.[1];
    assert.equal(scriptSrc?.trim(), "'self'", `script-src of ${csp}`);
    assert.match(csp, /object-src 'none'/);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.doesNotMatch(await res.text(), /<script(?![^>]*\bsrc=)[^>]*>/, 'index.html has no inline script');

    // the packets the checks below look at, found through the API
    const all: { id: number; frame: number; protocol: string; summary: string }[] = [];
    for (let after: string | null = null; ;) {
      const page = (await (await fetch(`${stack.url}/api/packets?limit=1000${after ? `&after=${encodeURIComponent(after)}` : ''}`)).json()) as { packets: typeof all; next: string | null };
      all.push(...page.packets);
      if (!page.next) break;
      after = page.next;
    }
    assert.equal(all.length, 3000);
    const dnsRow = all.find((p) => p.protocol === 'DNS' && p.summary.includes(IMG));
    const sniRow = all.find((p) => p.summary.includes(`SNI=${IMG}`));
    assert.ok(dnsRow && sniRow, 'the hostile capture has a DNS query and a Client Hello for the <img> name');
    let uaPacket: number | null = null;
    for (const p of all.filter((x) => x.protocol === 'HTTP' && /^GET /.test(x.summary))) {
      const d = await (await fetch(`${stack.url}/api/packets/${p.id}`)).text();
      if (d.includes(JSON.stringify(HOSTILE_UA).slice(1, -1))) {
        uaPacket = p.id;
        break;
      }
    }
    assert.ok(uaPacket, 'an HTTP request with the hostile User-Agent');

    // Overview: the three names in the DNS, HTTP host and TLS server name tables, as text
    const ov = await openPage(browser, `${stack.url}/`);
    await waitForSelector(ov.page, '[data-testid=dns-names-row]');
    await waitForSelector(ov.page, '[data-testid=tls-names-row]');
    await waitForSelector(ov.page, '[data-testid=http-hosts-row]');
    const dnsNames = await texts(ov.page, '[data-testid=dns-names-row] td:first-child');
    for (const n of [IMG, SCRIPT, SVG]) assert.ok(dnsNames.includes(n), `DNS names shows ${n} as text: ${JSON.stringify(dnsNames)}`);
    const hosts = await texts(ov.page, '[data-testid=http-hosts-row] td:first-child');
    for (const n of [IMG, SCRIPT]) assert.ok(hosts.includes(n), `HTTP hosts shows ${n}: ${JSON.stringify(hosts)}`);
    const sni = await texts(ov.page, '[data-testid=tls-names-row] td:first-child');
    for (const n of [IMG, SCRIPT, SVG]) assert.ok(sni.includes(n), `TLS server names shows ${n}: ${JSON.stringify(sni)}`);
    await ov.page.waitForLoadState('networkidle');
    await screenshot(ov.page, 'hostile-overview', 'light');
    await assertSafe(ov, 'Overview');
    assertClean(ov, { allow: NOT_YET_SERVED });

    // a script injected into the page does not run: the policy forbids inline script
    const violations: string[] = [];
    ov.page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
    });
    const ran = await ov.page.evaluate(async () => {
      const s = document.createElement('script');
      s.textContent = 'window.__x = 1';
      document.body.append(s);
      const img = document.createElement('img');
      img.setAttribute('onerror', 'window.__x = 2');
      img.src = 'data:,x';
      document.body.append(img);
      await new Promise((r) => setTimeout(r, 300));
      const x = (window as unknown as { __x?: number }).__x;
      s.remove();
      img.remove();
      return x ?? null;
    });
    assert.equal(ran, null, 'an inline script (or handler) added to the page ran');
    assert.ok(violations.length >= 1, 'the browser reported the blocked inline script');
    await ov.context.close();

    // Packets: the rows of the hostile DNS query and Client Hello show their Info as text
    const pk = await openPage(browser, `${stack.url}/?page=packets`);
    await waitForSelector(pk.page, '[data-testid=packet-row]');
    for (const row of [dnsRow, sniRow]) {
      // scroll the virtual list until the row is rendered
      await pk.page.evaluate((frame) => {
        const sc = document.querySelector<HTMLElement>('[data-testid=packet-scroll]')!;
        const h = document.querySelector<HTMLElement>('[data-testid=packet-row]')!.getBoundingClientRect().height;
        sc.scrollTop = Math.max(0, (frame - 5) * h);
      }, row.frame);
      await pk.page.waitForFunction((want) => Array.from(document.querySelectorAll('[data-testid=packet-row]')).some((r) => (r.textContent ?? '').includes(want)), row.summary, { timeout: 15_000 });
    }
    await screenshot(pk.page, 'hostile-packets', 'light');
    await assertSafe(pk, 'Packets');

    // the detail of the HTTP request: Host and User-Agent as exact text; of the Client Hello: the server name
    for (const [id, field, want] of [[uaPacket, 'http.user_agent', HOSTILE_UA], [sniRow.id, 'tls.handshake.extensions_server_name', IMG]] as const) {
      await pk.page.goto(`${stack.url}/?page=packets&packet=${id}`);
      const sel = `[data-testid=packet-detail] [data-testid=tree-field][data-field="${field}"] .tree-value`;
      await waitForSelector(pk.page, sel);
      const values = await texts(pk.page, sel);
      assert.ok(values.some((v) => v.includes(want)), `${field} of packet ${id} shown as text: ${JSON.stringify(values)}`);
      await assertSafe(pk, `packet ${id} detail`);
    }
    const host = await texts(pk.page, '[data-testid=tree-field][data-field="tls.handshake.extensions_server_name"] .tree-value');
    assert.ok(host.length > 0);
    await pk.page.goto(`${stack.url}/?page=packets&packet=${uaPacket}`);
    await waitForSelector(pk.page, '[data-testid=tree-field][data-field="http.host"]');
    const httpHost = await texts(pk.page, '[data-testid=tree-field][data-field="http.host"] .tree-value');
    assert.ok(httpHost.some((v) => v.includes(IMG) || v.includes(SCRIPT)), `http.host as text: ${JSON.stringify(httpHost)}`);
    await pk.page.waitForLoadState('networkidle');
    await pk.page.locator('[data-testid=tree-field][data-field="http.user_agent"]').first().scrollIntoViewIfNeeded();
    await screenshot(pk.page, 'hostile-detail', 'light');
    await assertSafe(pk, 'detail');
    assertClean(pk, { allow: NOT_YET_SERVED });
    await pk.context.close();
  } finally {
    await browser.close();
    await stack.stop();
  }
});
