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
  // The second `init` is said once; nothing else goes wrong. The second stub names the same write key: nothing to say.
  assert.equal(warnings(log, 'already_initialised').length, 1, log.warnings.join('\n'));
  assert.equal(warnings(log, 'duplicate_stub').length, 0, log.warnings.join('\n'));
  assert.deepEqual(log.errors, []);
  await context.close();
});

test('a second stub with another data-write-key: the first SDK runs the page, and one duplicate_stub warning says so', async () => {
  // A stub added once the SDK has loaded (a tag manager's, late).
  const addStub = (page, key) => page.evaluate((key) => new Promise((resolve) => {
    const s = document.createElement('script');
    s.src = '/sdk/wayline-stub.js';
    s.dataset.writeKey = key;
    s.onload = resolve;
    document.head.append(s);
  }), key);
  const context = await site({
    'keys.html': `<!doctype html><html><head><title>Keys</title>${stub()}${stub('data-write-key="wk_other"')}${stub('data-write-key="wk_third"')}</head><body>keys</body></html>`,
    'late.html': `<!doctype html><html><head><title>Late</title>${stub()}</head><body>late</body></html>`,
  });
  const { page, log } = await openPage(env.browser, context);
  for (const path of ['/e/keys.html', '/e/late.html']) {
    log.warnings.length = 0;
    await page.goto(env.collector.url + path);
    await ready(page);
    await addStub(page, 'wk_late');
    await addStub(page, 'wk_later');
    // The page's calls go to the first SDK, under its write key (the collector knows no other).
    const anon = await page.evaluate(() => {
      wayline.track('After Second Stub');
      return wayline.anonymousId();
    });
    assert.equal(await page.evaluate(() => wayline.flush()), true, path);
    const here = (e) => e.anonymousId === anon && e.event === 'After Second Stub' && e.context.page.path === path;
    const events = await waitForEvents(env.collector, (e) => e.some(here));
    await sleep(300);
    assert.equal(env.collector.events().filter(here).length, 1, path);
    assertNoDuplicates(assert, events);
    assert.equal(warnings(log, 'duplicate_stub').length, 1, `${path}: ${log.warnings.join('\n')}`);
    assert.equal(warnings(log, 'already_initialised').length, 0, log.warnings.join('\n'));
  }
  assert.deepEqual(log.errors, []);
  await context.close();
});

test('a same-origin frame with the SDK: its own page view, the parent\'s visitor and session; leaving the frame through its top edge is no exit intent', async () => {
  const config = JSON.stringify({
    campaigns: [{ id: 'leaving', trigger: { exitIntent: true }, timing: { frequency: 'always' }, action: { type: 'custom', payload: {} } }],
  });
  const init = `<script src="/sdk/wayline-stub.js"></script><script>
window.shown = [];
wayline.on('campaign:show', (c) => shown.push(c.campaign));
wayline.init({ writeKey: 'wk_demo', config: ${config} });
</script>`;
  const context = await site({
    'parent.html': `<!doctype html><html><head><title>Parent</title>${init}</head><body style="margin:0">
<div style="height:200px">top</div><iframe src="/e/child.html" style="width:400px;height:300px;border:0"></iframe></body></html>`,
    'child.html': `<!doctype html><html><head><title>Child</title>${init}</head><body style="margin:0;height:2000px">child</body></html>`,
  });
  const { page, log } = await openPage(env.browser, context);
  await page.goto(env.full.url + '/e/parent.html');
  await ready(page);
  const child = page.frames().find((f) => f.url().endsWith('/e/child.html'));
  await child.waitForFunction(() => window.wayline && window.wayline.loaded && wayline.explain('leaving') !== null);
  await page.waitForFunction(() => wayline.explain('leaving') !== null);
  const anon = await page.evaluate(() => wayline.anonymousId());
  assert.equal(await child.evaluate(() => wayline.anonymousId()), anon);
  // The pointer moves about in the frame, then up out of it onto the page around it.
  await page.mouse.move(100, 350);
  await sleep(200);
  await page.mouse.move(100, 260, { steps: 3 });
  await page.mouse.move(100, 120, { steps: 5 });
  await sleep(500);
  assert.deepEqual(await child.evaluate(() => window.shown), []);
  assert.deepEqual(await page.evaluate(() => window.shown), []);
  await child.evaluate(() => wayline.flush());
  await page.evaluate(() => wayline.flush());
  const events = (await waitForEvents(env.full, (e) => pageViews(e, '/e/child.html').length === 1 && pageViews(e, '/e/parent.html').length === 1))
    .filter(byAnon(anon));
  const [parentView] = pageViews(events, '/e/parent.html');
  const [childView] = pageViews(events, '/e/child.html');
  assert.equal(childView.properties.referrer, env.full.url + '/e/parent.html');
  assert.equal(childView.context.sessionId, parentView.context.sessionId, 'one session');
  assert.equal(childView.context.attribution.first.channel, 'direct', 'the parent is no referral');
  assert.deepEqual(log.errors, []);
  await context.close();
});

test('a srcdoc frame sends to its parent\'s origin', async () => {
  const context = await site({
    'host.html': `<!doctype html><html><head><title>Host</title></head><body>
<iframe srcdoc='<title>Inner</title><script src="/sdk/wayline-stub.js" data-write-key="wk_demo"></script>'></iframe></body></html>`,
  });
  const { page, log } = await openPage(env.browser, context);
  const batches = [];
  page.on('request', (r) => r.url().includes('/v1/batch') && batches.push(r.url()));
  await page.goto(env.collector.url + '/e/host.html');
  const frame = page.frames().find((f) => f.url() === 'about:srcdoc');
  await ready(frame);
  const anon = await frame.evaluate(() => wayline.anonymousId());
  assert.equal(await frame.evaluate(() => wayline.flush()), true);
  const [view] = (await waitForEvents(env.collector, (e) => e.some((x) => x.anonymousId === anon && x.type === 'page'))).filter(byAnon(anon));
  assert.equal(view.context.page.title, 'Inner');
  assert.deepEqual([...new Set(batches)], [env.collector.url + '/v1/batch']);
  assert.deepEqual(log.errors, []);
  await context.close();
});

test('a sandboxed frame without allow-same-origin: storage in memory, its own events sent, nothing thrown', async () => {
  const context = await site({
    'sandbox.html': `<!doctype html><html><head><title>Sandbox host</title></head><body>
<iframe sandbox="allow-scripts" src="/e/boxed.html"></iframe></body></html>`,
    'boxed.html': `<!doctype html><html><head><title>Boxed</title>${stub()}</head><body>boxed</body></html>`,
  });
  const { page, log } = await openPage(env.browser, context);
  await page.goto(env.collector.url + '/e/sandbox.html');
  const frame = page.frames().find((f) => f.url().endsWith('/e/boxed.html'));
  await ready(frame);
  const result = await frame.evaluate(async () => {
    wayline.identify('u-boxed', { plan: 'pro' });
    wayline.track('Boxed Clicked');
    return { flushed: await wayline.flush(), anon: wayline.anonymousId(), user: wayline.userId() };
  });
  assert.deepEqual(result.flushed, true);
  assert.equal(result.user, 'u-boxed');
  const events = (await waitForEvents(env.collector, (e) => e.some((x) => x.event === 'Boxed Clicked'))).filter(byAnon(result.anon));
  assert.deepEqual(events.map((e) => e.event || e.type).sort(), ['Boxed Clicked', 'identify', 'page']);
  assert.equal(warnings(log, 'storage_unavailable').length, 1);
  assert.deepEqual(log.errors, []);
  await context.close();
});

test('pages of no web origin (data:, file:): without an endpoint, one error says so and nothing is sent; with one, events go there', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wayline-file-'));
  const tag = (attrs) => `<script src="${env.collector.url}/sdk/wayline-stub.js" data-write-key="wk_demo" ${attrs}></script>`;
  for (const [name, url] of [
    ['data', (attrs) => 'data:text/html,' + encodeURIComponent(`<title>Data page</title>${tag(attrs)}`)],
    ['file', (attrs) => {
      const file = join(dir, `page-${attrs ? 'endpoint' : 'bare'}.html`);
      writeFileSync(file, `<title>File page</title>${tag(attrs)}`);
      return 'file://' + file;
    }],
  ]) {
    const bare = await openPage(env.browser);
    const sent = [];
    bare.page.on('request', (r) => r.url().includes('/v1/batch') && sent.push(r.url()));
    await bare.page.goto(url(''));
    await bare.page.waitForFunction(() => window.wayline && window.wayline.loaded);
    await sleep(1500);
    assert.deepEqual(sent, [], name);
    assert.equal(bare.log.errors.length, 1, `${name}: ${bare.log.errors.join('\n')}`);
    assert.match(bare.log.errors[0], /endpoint.*is required.*\(invalid_options\)/);
    await bare.context.close();

    const named = await openPage(env.browser);
    await named.page.goto(url(`data-endpoint="${env.collector.url}"`));
    await ready(named.page);
    const anon = await named.page.evaluate(async () => {
      wayline.track('Opaque Page Event');
      await wayline.flush();
      return wayline.anonymousId();
    });
    const events = (await waitForEvents(env.collector, (e) => e.some((x) => x.anonymousId === anon && x.event === 'Opaque Page Event'))).filter(byAnon(anon));
    assert.equal(events.filter((e) => e.type === 'page').length, 1, name);
    assert.deepEqual(named.log.errors, [], name);
    await named.context.close();
  }
  rmSync(dir, { recursive: true, force: true });
});

test('storage cleared while pages are open: the open tabs write what they hold again; no queued event is lost, the visitor stays the same', async () => {
  const context = await site({
    'a.html': `<!doctype html><html><head><title>A</title>${stub()}</head><body>a</body></html>`,
    'other.html': '<!doctype html><html><head><title>No SDK</title></head><body>other</body></html>',
  });
  // Nothing reaches the collector until the end: every event waits in the tabs' logs.
  await context.route('**/v1/batch', (route) => route.abort());
  const a = await openPage(env.browser, context);
  await a.page.goto(env.collector.url + '/e/a.html');
  await ready(a.page);
  const anon = await a.page.evaluate(() => {
    wayline.identify('u-cleared');
    for (let i = 0; i < 3; i++) wayline.track('Before Clear', { i });
    return wayline.anonymousId();
  });
  await a.page.waitForFunction(() => Object.keys(localStorage).some((k) => k.startsWith('wayline:wk_demo:queue:')));
  // Another page of the site clears storage (a logout that clears everything, say).
  const other = await openPage(env.browser, context);
  await other.page.goto(env.collector.url + '/e/other.html');
  await other.page.evaluate(() => localStorage.clear());
  await sleep(600);
  // A page opened now is the same visitor.
  const b = await openPage(env.browser, context);
  await b.page.goto(env.collector.url + '/e/a.html');
  await ready(b.page);
  assert.equal(await b.page.evaluate(() => wayline.anonymousId()), anon);
  assert.equal(await b.page.evaluate(() => wayline.userId()), 'u-cleared');
  await b.page.close();
  // A clears storage itself (no `storage` event in the page that clears), tracks nothing more and is closed.
  await a.page.evaluate(() => {
    wayline.track('Before Own Clear');
    return new Promise((r) => setTimeout(r, 600));
  });
  await a.page.evaluate(() => localStorage.clear());
  await a.page.close({ runBeforeUnload: true });
  // The next page sends what the closed ones left.
  await context.unroute('**/v1/batch');
  const c = await openPage(env.browser, context);
  await c.page.goto(env.collector.url + '/e/a.html');
  await ready(c.page);
  assert.equal(await c.page.evaluate(() => wayline.anonymousId()), anon);
  const events = (await waitForEvents(env.collector, (e) => e.filter((x) => x.anonymousId === anon && x.event === 'Before Own Clear').length === 1 &&
    e.filter((x) => x.anonymousId === anon && x.event === 'Before Clear').length === 3)).filter(byAnon(anon));
  assertNoDuplicates(assert, events);
  assert.equal(events.filter((e) => e.type === 'identify').length, 1);
  for (const tab of [a, other, c]) assert.deepEqual(tab.log.errors.filter((e) => !e.includes('net::ERR_FAILED')), []);
  await context.close();
});
