// The SDK where real sites embed it, beyond one top-level page per tab: twice on one page (the script tag and a
// bundle of the npm package), in frames (same-origin, `srcdoc`, sandboxed without `allow-same-origin`), on pages
// of no web origin (`file:`, `data:`), and with storage cleared while the page is open. On each, what the
// collector stored is checked, and that nothing was thrown into the page (docs/sdk.md, "Frames, popups and
// other embeddings").
//
// The pages are served by the test (`context.route`) on the collector's origin, so that they may hold inline
// scripts (the collector's own pages run under a policy that forbids them). The collector's source accepts any
// origin, so that a frame of an opaque origin (which sends `Origin: null`) is stored too.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { root, startCollector, openPage, ready, waitForEvents, assertNoDuplicates, sleep, byAnon } from './helpers.mjs';

const tmp = mkdtempSync(join(tmpdir(), 'wayline-embedding-'));
const sources = join(tmp, 'sources.json');
writeFileSync(sources, JSON.stringify({ sources: [{ name: 'demo', writeKey: 'wk_demo', origins: ['*'] }] }));

const env = {};
before(async () => {
  env.collector = await startCollector({ sources });
  env.full = await startCollector({ sources, sdk: join(root, 'js', 'dist-full') });
  // Chromium keeps a page of an opaque origin (a sandboxed frame, `data:`, `file:`) from reaching a loopback
  // address (Local Network Access), which the collector is here and a real one is not.
  env.browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-features=LocalNetworkAccessChecks,BlockInsecurePrivateNetworkRequests,PrivateNetworkAccessSendPreflights',
    ],
  });
});
after(async () => {
  await env.browser.close();
  await env.collector.stop();
  await env.full.stop();
  rmSync(tmp, { recursive: true, force: true });
});

/** A context whose `/e/<name>` pages are `pages[name]` (HTML, on the collector's origin). */
async function site(pages) {
  const context = await env.browser.newContext();
  await context.route('**/e/*', (route) => {
    const name = new URL(route.request().url()).pathname.slice(3);
    route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: pages[name] ?? 'not found' });
  });
  return context;
}

const stub = (attrs = 'data-write-key="wk_demo"') => `<script src="/sdk/wayline-stub.js" ${attrs}></script>`;
const warnings = (log, code) => log.warnings.filter((w) => w.includes(`(${code})`));
const pageViews = (events, path) => events.filter((e) => e.type === 'page' && e.properties.path === path);

test('the script tag twice and a bundle of the npm package on one page: one SDK, one page view, every call delivered once', async () => {
  const context = await site({
    'double.html': `<!doctype html><html><head><title>Double</title>${stub()}${stub()}
<script type="module">
  import { wayline } from '/sdk/index.js';
  window.bundled = wayline;
  wayline.init({ writeKey: 'wk_demo', flushInterval: 500 });
  wayline.track('From Bundle');
  wayline.flush().then((ok) => { window.bundleFlushed = ok; });
</script></head><body><div data-wayline-event="Banner Clicked"><span id="banner">banner</span></div></body></html>`,
    'next.html': `<!doctype html><html><head><title>Next</title>${stub()}</head><body>next</body></html>`,
  });
  const { page, log } = await openPage(env.browser, context);
  await page.goto(env.collector.url + '/e/double.html');
  await ready(page);
  await page.waitForFunction(() => window.bundled && window.bundled.anonymousId());
  // A page that awaits the bundle's flush before it navigates is not kept waiting.
  await page.waitForFunction(() => window.bundleFlushed !== undefined, null, { timeout: 5000 });
  assert.equal(await page.evaluate(() => window.bundleFlushed), true);
  const anon = await page.evaluate(() => wayline.anonymousId());
  assert.equal(await page.evaluate(() => window.bundled.anonymousId()), anon);
  await page.click('#banner');
  await page.evaluate(() => window.bundled.track('Bundle Again'));
  assert.equal(await page.evaluate(() => wayline.flush()), true);
  // The next page takes over whatever a second SDK would have left in storage: nothing more may arrive.
  await page.goto(env.collector.url + '/e/next.html');
  await ready(page);
  await page.evaluate(() => wayline.flush());
  const events = (await waitForEvents(env.collector, (e) => pageViews(e, '/e/next.html').length >= 1)).filter(byAnon(anon));
  await sleep(500);
  assertNoDuplicates(assert, events);
  assert.equal(pageViews(events, '/e/double.html').length, 1, 'one page view');
  for (const name of ['From Bundle', 'Banner Clicked', 'Bundle Again']) {
    assert.equal(events.filter((e) => e.event === name).length, 1, name);
  }
  // The second `init` is said once; nothing else goes wrong.
  assert.equal(warnings(log, 'already_initialised').length, 1, log.warnings.join('\n'));
  assert.deepEqual(log.errors, []);
  await context.close();
});
