// A real deployment: the site on one origin (http://localhost:A, served here by Node's http module) and the
// collector on another (http://127.0.0.1:B), with a sources file listing the site's origin. The site's pages load
// the stub from the collector under a Content-Security-Policy of the site's own that names the collector, as
// docs/sdk.md and docs/collector.md tell a new user to set it up. Everything is checked against what the
// collector stored.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, existsSync, statSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, extname, normalize } from 'node:path';
import {
  root, startCollector, startProxy, launch, openPage, ready, waitForEvents, assertNoDuplicates, sleep, byAnon,
} from './helpers.mjs';

// The site's config, as its owner writes it (the collector compiles it for `GET /v1/config`).
const shopConfig = {
  segments: { buyer: 'count("Order Completed") >= 1' },
  journeys: {
    lifecycle: [
      { stage: 'browsing', rule: 'count("Page Viewed") >= 1' },
      { stage: 'customer', rule: 'count("Order Completed") >= 1' },
    ],
  },
  campaigns: [
    {
      id: 'thanks', trigger: { segmentEnter: 'buyer' }, timing: { frequency: 'once' },
      action: { type: 'reward', reward: 'coupon', code: 'THANKS5', title: 'Thank you!', text: '5% off your next order.' },
    },
  ],
};

/** A static site on `http://localhost:PORT`: `pages` maps a path to `{ body, type }` (or a function of the request
 *  returning one); `dir`, if set, serves the rest from files. Each answer carries the site's `csp`, if any. */
async function startSite({ csp } = {}) {
  const site = { pages: new Map(), dir: null, csp, requests: [] };
  const server = createServer((req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    site.requests.push(path);
    let page = site.pages.get(path);
    if (typeof page === 'function') page = page(req);
    const headers = { 'Cache-Control': 'no-cache' };
    if (site.csp) headers['Content-Security-Policy'] = site.csp;
    if (!page && site.dir) {
      const file = normalize(join(site.dir, path.endsWith('/') ? path + 'index.html' : path));
      if (file.startsWith(site.dir) && existsSync(file) && statSync(file).isFile()) {
        const types = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css' };
        page = { body: readFileSync(file), type: types[extname(file)] || 'application/octet-stream' };
      }
    }
    if (!page) {
      res.writeHead(404, headers).end('not found');
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Type': page.type || 'text/html; charset=utf-8' }).end(page.body);
  });
  const port = await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
  site.origin = `http://localhost:${port}`;
  site.stop = () => new Promise((r) => server.close(r));
  return site;
}

/** The site's policy: its own scripts and the collector's, the collector as the only place to connect to. */
const policy = (collector) =>
  `default-src 'self'; script-src 'self' ${collector} 'wasm-unsafe-eval'; connect-src 'self' ${collector}; ` +
  `style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'`;

/** The page a newcomer writes from the docs: the stub from the collector, with the write key, the endpoint and
 *  (optionally) the config URL, then the site's own script. */
function stubPage(collector, { writeKey = 'wk_shop', config = false, attrs = '', script = '/site.js' } = {}) {
  const cfg = config ? ` data-config="${collector}/v1/config?writeKey=${writeKey}"` : '';
  return {
    body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title><link rel="icon" href="data:,">
<script src="${collector}/sdk/wayline-stub.js" data-write-key="${writeKey}" data-endpoint="${collector}"${cfg}${attrs}></script>
<script src="${script}"></script>
</head><body><h1>Shop</h1><a href="/next.html" id="next">Next</a></body></html>`,
  };
}

// The site's script: records what the SDK tells the page (registered through the stub's queue).
const siteScript = {
  type: 'text/javascript',
  body: `window.notices = [];
wayline.on('config', (r) => (window.configResult = r));
wayline.on('ready', () => (window.readyAnon = String(wayline.anonymousId())));
for (const name of ['warning', 'segment:enter', 'stage:change', 'campaign:show'])
  wayline.on(name, (p) => window.notices.push({ name, ...p }));
`,
};

const tmp = mkdtempSync(join(tmpdir(), 'wayline-xorigin-'));
let site, stranger, neighbour, collector, segCollector, browser;

before(async () => {
  site = await startSite();
  neighbour = await startSite(); // listed for another source, not the shop's
  stranger = await startSite(); // listed nowhere
  writeFileSync(join(tmp, 'shop-config.json'), JSON.stringify(shopConfig));
  writeFileSync(
    join(tmp, 'sources.json'),
    JSON.stringify({
      sources: [
        { name: 'shop', writeKey: 'wk_shop', readKey: 'rk_shop', origins: [site.origin], config: 'shop-config.json' },
        { name: 'blog', writeKey: 'wk_blog', origins: [neighbour.origin] },
      ],
    }),
  );
  const sources = join(tmp, 'sources.json');
  collector = await startCollector({ sources });
  segCollector = await startCollector({ sources, sdk: join(root, 'js', 'dist-segments') });
  browser = await launch();
});

after(async () => {
  await browser.close();
  await collector.stop();
  await segCollector.stop();
  await Promise.all([site.stop(), neighbour.stop(), stranger.stop()]);
  rmSync(tmp, { recursive: true, force: true });
});

/** Serves `pages` (path → page) on `s` under the site's CSP naming `coll`. */
function serve(s, coll, pages) {
  s.csp = policy(coll);
  s.pages.clear();
  s.pages.set('/site.js', siteScript);
  for (const [path, page] of Object.entries(pages)) s.pages.set(path, page);
}

const violations = (log) => log.console.filter((m) => /Content Security Policy|Refused to/.test(m));

test('cross-origin: the stub loads from the collector under the site CSP; batches are stored once', async () => {
  serve(site, collector.url, { '/shop.html': stubPage(collector.url, { attrs: ' data-flush-at="2"' }) });
  const { page, log, context } = await openPage(browser);
  const batches = [];
  page.on('request', (r) => {
    if (r.url().startsWith(collector.url + '/v1/batch')) batches.push({ method: r.method(), type: r.headers()['content-type'] });
  });
  const response = await page.goto(site.origin + '/shop.html');
  assert.match(response.headers()['content-security-policy'], /connect-src 'self' http:\/\/127\.0\.0\.1:\d+/);
  await ready(page);
  const anon = await page.evaluate(() => wayline.anonymousId());
  assert.equal(await page.evaluate(() => window.readyAnon), anon, 'a ready listener reads the visitor\'s id');
  await page.evaluate(() => wayline.track('Order Completed', { revenue: 42, currency: 'EUR' }));
  assert.equal(await page.evaluate(() => wayline.flush()), true);
  const mine = (e) => e.filter(byAnon(anon));
  const events = mine(await waitForEvents(collector, (e) => mine(e).length >= 2));
  await sleep(300);
  assert.equal(mine(collector.events()).length, 2);
  assertNoDuplicates(assert, events);
  assert.deepEqual(events.map((e) => e.type), ['page', 'track']);
  assert.equal(events[0].context.page.url, site.origin + '/shop.html');
  assert.deepEqual(events[1].properties, { revenue: 42, currency: 'EUR' });
  assert.ok(batches.length >= 1);
  for (const b of batches) assert.deepEqual(b, { method: 'POST', type: 'text/plain' });
  assert.deepEqual(log.errors, []);
  assert.deepEqual(violations(log), []);
  assert.deepEqual(await page.evaluate(() => window.notices), []);
  await context.close();
});

test('cross-origin: events queued when the page is left go out on the exit path and are stored once', async () => {
  // Nothing is sent while the page is open (flushAt and flushInterval far off): only the exit path delivers.
  const attrs = ' data-flush-at="100" data-flush-interval="600000"';
  serve(site, collector.url, { '/exit.html': stubPage(collector.url, { attrs }), '/next.html': { body: '<!doctype html><title>next</title><link rel="icon" href="data:,">' } });
  const { page, log, context } = await openPage(browser);
  // Which exit path was taken: beacons are noted in sessionStorage (Playwright does not see them).
  await context.addInitScript(() => {
    const send = navigator.sendBeacon;
    navigator.sendBeacon = function (url, body) {
      const ok = send.call(this, url, body);
      sessionStorage.setItem('beacons', (sessionStorage.getItem('beacons') || '') + url + ' ' + ok + '\n');
      return ok;
    };
  });
  await page.goto(site.origin + '/exit.html');
  await ready(page);
  const anon = await page.evaluate(() => wayline.anonymousId());
  await page.evaluate(() => { for (let i = 0; i < 5; i++) wayline.track('Leaving ' + i); });
  await sleep(300);
  assert.equal(collector.events().filter(byAnon(anon)).length, 0, 'nothing sent before the page is left');
  await page.click('#next');
  await page.waitForURL(/next\.html/);
  const mine = (e) => e.filter(byAnon(anon));
  // The page view, the five events and the engaged time the exit records.
  const events = mine(await waitForEvents(collector, (e) => mine(e).length >= 7));
  assertNoDuplicates(assert, events);
  assert.deepEqual(events.map((e) => e.event || e.type),
    ['page', 'Leaving 0', 'Leaving 1', 'Leaving 2', 'Leaving 3', 'Leaving 4', 'Page Engagement']);
  const beacons = (await page.evaluate(() => sessionStorage.getItem('beacons'))).trim().split('\n');
  assert.deepEqual(beacons, [collector.url + '/v1/batch true'], 'one beacon to the collector when the page was left');
  // The next page on the site sends the beaconed events again (a beacon is not confirmed): stored once.
  await page.goto(site.origin + '/exit.html');
  await ready(page);
  assert.equal(await page.evaluate(() => wayline.flush()), true);
  await sleep(300);
  const after = mine(collector.events());
  assertNoDuplicates(assert, after);
  assert.equal(after.filter((e) => e.event && e.event.startsWith('Leaving')).length, 5);
  assert.deepEqual(log.errors, []);
  assert.deepEqual(violations(log), []);
  await context.close();
});

/** The config requests the page made and the collector's statuses, as the browser saw them. */
function watchConfig(page, coll) {
  const seen = [];
  page.on('request', (r) => {
    if (r.url().startsWith(coll + '/v1/config')) seen.push({ method: r.method(), inm: r.headers()['if-none-match'] || null });
  });
  const statuses = [];
  page.on('response', (r) => { if (r.url().startsWith(coll + '/v1/config')) statuses.push(r.status()); });
  return { seen, statuses };
}

const storedConfig = (page) => page.evaluate(() => localStorage.getItem('wayline:wk_shop:config'));

test('cross-origin config from data-config: fetched, cached with its ETag, revalidated (304) on the next load', async () => {
  // Through `wayline proxy` (forwarding everything), whose log shows the collector's own statuses: the browser
  // reports a revalidation the HTTP cache made as the cached 200.
  const proxy = await startProxy(segCollector.url);
  const coll = proxy.url;
  serve(site, coll, { '/config.html': stubPage(coll, { config: true }) });
  const { page, log, context } = await openPage(browser);
  const answered = async () => (await proxy.log()).filter((e) => e.path === '/v1/config').map((e) => e.upstream_status);
  // The stub's early request asks for the compiled format this release reads.
  const asked = [];
  page.on('request', (r) => { if (r.url().includes('/v1/config')) asked.push(new URL(r.url()).search); });
  await page.goto(site.origin + '/config.html');
  await ready(page);
  await page.waitForFunction(() => window.configResult && window.configResult.source === 'network');
  const stored = await storedConfig(page);
  assert.ok(stored, 'stored for the next start');
  const [etag, url] = stored.split('\n');
  assert.match(etag, /^"[0-9a-f]{32}"$/, 'the ETag was read cross-origin and stored with the config');
  assert.equal(url, `${coll}/v1/config?writeKey=wk_shop`);
  assert.deepEqual(await answered(), [200]);
  assert.deepEqual(asked, ['?writeKey=wk_shop&format=3']);

  await page.reload();
  await ready(page);
  await page.waitForFunction(() => window.configResult && window.configResult.source === 'cache');
  await sleep(500);
  // The stub's early request (`cache: 'no-cache'`) is revalidated by the browser's HTTP cache: the collector
  // answers 304, and the SDK keeps the config it holds.
  assert.deepEqual(await answered(), [200, 304]);
  assert.equal(await storedConfig(page), stored);
  assert.deepEqual(await page.evaluate(() => wayline.segments()), []);
  assert.equal(await page.evaluate(() => wayline.stage('lifecycle')), 'browsing');
  assert.deepEqual(log.errors, []);
  assert.deepEqual(violations(log), []);
  assert.deepEqual((await page.evaluate(() => window.notices)).filter((n) => n.name === 'warning'), []);
  await context.close();
  await proxy.stop();
});

test('cross-origin config from init: the SDK revalidates with If-None-Match (a preflighted request), 304', async () => {
  const coll = segCollector.url;
  const init = {
    type: 'text/javascript',
    body: `wayline.init({ writeKey: 'wk_shop', endpoint: ${JSON.stringify(coll)}, config: ${JSON.stringify(coll + '/v1/config?writeKey=wk_shop')} });`,
  };
  serve(site, coll, {
    '/init.html': stubPage(coll, { writeKey: '', script: '/site.js"></script><script src="/init.js' }),
    '/init.js': init,
  });
  const { page, log, context } = await openPage(browser);
  const { seen, statuses } = watchConfig(page, coll);
  await page.goto(site.origin + '/init.html');
  await ready(page);
  await page.waitForFunction(() => window.configResult && window.configResult.source === 'network');
  const [etag] = (await storedConfig(page)).split('\n');
  assert.match(etag, /^"[0-9a-f]{32}"$/);
  await page.reload();
  await ready(page);
  await page.waitForFunction(() => window.configResult && window.configResult.source === 'cache');
  await sleep(500);
  const gets = seen.filter((r) => r.method === 'GET');
  assert.deepEqual(gets, [{ method: 'GET', inm: null }, { method: 'GET', inm: etag }]);
  assert.deepEqual(statuses.filter((s) => s !== 204), [200, 304]);
  assert.deepEqual(log.errors, []);
  assert.deepEqual(violations(log), []);
  assert.deepEqual((await page.evaluate(() => window.notices)).filter((n) => n.name === 'warning'), []);
  await context.close();
});

// An origin taken out of the sources file while its pages hold the config: the SDK's revalidation (If-None-Match,
// preflighted) must reach the collector, whose 403 the page reads, rather than die at the preflight as a network
// error that says nothing of why.
test('cross-origin: a page whose origin no source lists any more revalidates its stored config and reads the 403', async () => {
  const coll = segCollector.url;
  const init = {
    type: 'text/javascript',
    body: `wayline.init({ writeKey: 'wk_shop', endpoint: ${JSON.stringify(coll)}, config: ${JSON.stringify(coll + '/v1/config?writeKey=wk_shop')} });`,
  };
  const pages = {
    '/init.html': stubPage(coll, { writeKey: '', script: '/site.js"></script><script src="/init.js' }),
    '/init.js': init,
    '/blank.html': { body: '<!doctype html><title>blank</title><link rel="icon" href="data:,">' },
  };
  // The config as a page of the listed origin stored it.
  serve(site, coll, pages);
  let { page, context } = await openPage(browser);
  await page.goto(site.origin + '/init.html');
  await ready(page);
  await page.waitForFunction(() => window.configResult && window.configResult.source === 'network');
  const stored = await storedConfig(page);
  await context.close();
  // The same store on an origin listed nowhere (as once listed, then removed).
  serve(stranger, coll, pages);
  let log;
  ({ page, log, context } = await openPage(browser));
  const { seen, statuses } = watchConfig(page, coll);
  await page.goto(stranger.origin + '/blank.html');
  await page.evaluate((v) => localStorage.setItem('wayline:wk_shop:config', v), stored);
  await page.goto(stranger.origin + '/init.html');
  await ready(page);
  await page.waitForFunction(() => window.configResult && window.configResult.source === 'cache');
  await page.waitForFunction(() => window.notices.some((n) => n.code === 'config_unavailable'));
  const notice = (await page.evaluate(() => window.notices)).find((n) => n.code === 'config_unavailable');
  assert.match(notice.message, new RegExp(`\\(status 403\\); the stored config stays in use\\norigin "${stranger.origin}" may not send events with this write key`));
  assert.deepEqual(seen.filter((r) => r.method === 'GET'), [{ method: 'GET', inm: stored.split('\n')[0] }]);
  assert.ok(statuses.includes(403), statuses.join(', '));
  assert.deepEqual(log.errors.filter((m) => !/status of 403/.test(m)), []);
  await context.close();
});

test('cross-origin 429 and 503 with Retry-After: the SDK reads the header and waits that long before retrying', async () => {
  const proxy = await startProxy(collector.url);
  const coll = proxy.url;
  serve(site, coll, { '/retry.html': stubPage(coll, { attrs: ' data-flush-at="1"' }) });
  const { page, log, context } = await openPage(browser);
  const ingest = async () => (await proxy.log()).filter((e) => e.path === '/v1/batch');
  // The first batch (the page view) is answered 429 with Retry-After: 3.
  await proxy.setFaults({ mode: 'status', status: 429, retryAfter: 3, count: 1 });
  await page.goto(site.origin + '/retry.html');
  await ready(page);
  const anon = await page.evaluate(() => wayline.anonymousId());
  const mine = (e) => e.filter(byAnon(anon));
  await waitForEvents(collector, (e) => mine(e).length >= 1, 15000);
  let sent = await ingest();
  assert.equal(sent[0].outcome, 'status:429');
  assert.equal(sent[1].outcome, 'forwarded');
  assert.ok(sent[1].at_ms - sent[0].at_ms >= 2950, `retried after ${sent[1].at_ms - sent[0].at_ms} ms, not 3 s`);

  // Then a 503 with Retry-After: 4.
  await proxy.clearLog();
  await proxy.setFaults({ mode: 'status', status: 503, retryAfter: 4, count: 1 });
  await page.evaluate(() => wayline.track('After 503'));
  await waitForEvents(collector, (e) => mine(e).some((x) => x.event === 'After 503'), 15000);
  sent = await ingest();
  assert.equal(sent[0].outcome, 'status:503');
  assert.equal(sent[1].outcome, 'forwarded');
  assert.ok(sent[1].at_ms - sent[0].at_ms >= 3950, `retried after ${sent[1].at_ms - sent[0].at_ms} ms, not 4 s`);
  assertNoDuplicates(assert, mine(collector.events()));
  assert.deepEqual(mine(collector.events()).map((e) => e.event || e.type), ['page', 'After 503']);
  // The failed answers are logged by the browser as failed loads; nothing else.
  assert.deepEqual(log.errors.filter((m) => !/status of (429|503)/.test(m)), []);
  assert.deepEqual(violations(log), []);
  await context.close();
  await proxy.stop();
});

test("cross-origin: the collector's own 503 (storage unavailable) exposes Retry-After to the page; events wait and are stored once", async () => {
  serve(site, collector.url, { '/locked.html': stubPage(collector.url, { attrs: ' data-flush-at="1"' }) });
  const { page, log, context } = await openPage(browser);
  await page.goto(site.origin + '/locked.html');
  await ready(page);
  const anon = await page.evaluate(() => wayline.anonymousId());
  const mine = (e) => e.filter(byAnon(anon));
  await waitForEvents(collector, (e) => mine(e).length >= 1);
  // Another process holds SQLite's write lock: the collector's writes give up after its busy timeout (5 s).
  const lock = spawn('sqlite3', [collector.db], { stdio: ['pipe', 'ignore', 'inherit'] });
  lock.stdin.write('BEGIN EXCLUSIVE;\nSELECT 1;\n');
  await sleep(300);
  const answer = await page.evaluate(async (url) => {
    const body = JSON.stringify({ writeKey: 'wk_shop', batch: [{ type: 'track', event: 'Direct', anonymousId: 'direct-1', messageId: 'direct-1' }] });
    const r = await fetch(url + '/v1/batch', { method: 'POST', body, headers: { 'Content-Type': 'text/plain' } });
    return { status: r.status, retryAfter: r.headers.get('Retry-After'), code: (await r.json()).error.code };
  }, collector.url);
  assert.deepEqual(answer, { status: 503, retryAfter: '1', code: 'storage_unavailable' });
  await page.evaluate(() => wayline.track('While Locked'));
  await sleep(1000);
  lock.stdin.end('COMMIT;\n');
  await new Promise((r) => lock.once('exit', r));
  const events = mine(await waitForEvents(collector, (e) => mine(e).some((x) => x.event === 'While Locked'), 30000));
  assertNoDuplicates(assert, events);
  assert.deepEqual(events.map((e) => e.event || e.type), ['page', 'While Locked']);
  assert.deepEqual(log.errors.filter((m) => !/status of 503/.test(m)), []);
  await context.close();
});

// A page whose origin the shop's source does not list: one listed for another source (the blog's), and one listed
// nowhere. The SDK loads from the collector (its files are public), the collector refuses the page's batches and
// config with a 403 the page can read, and the SDK says so in its warnings, drops the refused events (counted in
// `droppedRejected`), and throws nothing into the page.
for (const [who, origin] of [['for another source', () => neighbour], ['nowhere', () => stranger]]) {
  test(`cross-origin: a page on an origin listed ${who} is refused (403), reported as warnings, the page unaffected`, async () => {
    const s = origin();
    const coll = segCollector.url;
    serve(s, coll, { '/shop.html': stubPage(coll, { config: true, attrs: ' data-flush-at="1"' }) });
    const { page, log, context } = await openPage(browser);
    const statuses = [];
    page.on('response', (r) => { if (r.url().startsWith(coll + '/v1/')) statuses.push(`${new URL(r.url()).pathname} ${r.status()}`); });
    await page.goto(s.origin + '/shop.html');
    await ready(page);
    await page.evaluate(() => wayline.track('Refused'));
    const flushed = await page.evaluate(() => wayline.flush());
    assert.equal(typeof flushed, 'boolean');
    await page.waitForFunction(() => window.notices.some((n) => n.code === 'batch_rejected'));
    const notices = await page.evaluate(() => window.notices);
    // The collector's own code and message, which say why.
    assert.match(notices.find((n) => n.code === 'batch_rejected').message,
      new RegExp(`status 403 \\(origin_not_allowed: origin "${s.origin}" may not send events with this write key\\); its events were dropped`));
    // The config's refusal may come before the site's script (a second request, on the page's origin) has added
    // its listeners, which do not hear earlier warnings; the console always has it.
    const configRefusal = async () => (await page.evaluate(() => window.notices))
      .find((n) => n.code === 'config_unavailable')?.message ?? log.warnings.find((w) => w.endsWith('(config_unavailable)'));
    let refused = await configRefusal();
    for (const given = Date.now() + 10000; !refused && Date.now() < given; refused = await configRefusal()) await sleep(100);
    assert.match(refused ?? '', new RegExp(`origin "${s.origin}" may not send events with this write key`));
    assert.ok((await page.evaluate(() => wayline.debugState().droppedRejected)) >= 1);
    assert.ok(statuses.includes('/v1/batch 403'), statuses.join(', '));
    assert.ok(statuses.includes('/v1/config 403'), statuses.join(', '));
    // Nothing of the page's was stored.
    await sleep(300);
    assert.deepEqual(segCollector.events().filter((e) => e.context?.page?.url?.startsWith(s.origin)), []);
    // The browser logs the refused loads; no CORS error, no CSP violation, nothing thrown.
    assert.deepEqual(log.errors.filter((m) => !/status of 403/.test(m)), []);
    assert.deepEqual(violations(log), []);
    await context.close();
  });
}

test('cross-origin: segments, journeys and a campaign run on the config from the collector; their events are stored', async () => {
  const coll = segCollector.url;
  serve(site, coll, { '/seg.html': stubPage(coll, { config: true, attrs: ' data-flush-at="1"' }) });
  const { page, log, context } = await openPage(browser);
  await page.goto(site.origin + '/seg.html');
  await ready(page);
  await page.waitForFunction(() => window.configResult && window.configResult.source === 'network');
  const anon = await page.evaluate(() => wayline.anonymousId());
  assert.equal(await page.evaluate(() => wayline.stage('lifecycle')), 'browsing');
  await page.evaluate(() => wayline.track('Order Completed', { revenue: 42 }));
  await page.waitForFunction(() => window.notices.some((n) => n.name === 'campaign:show'));
  assert.deepEqual(await page.evaluate(() => wayline.segments()), ['buyer']);
  assert.equal(await page.evaluate(() => wayline.stage('lifecycle')), 'customer');
  // The first stage change (to `browsing`, as the config came into use) may come before the site's script (a
  // second request, on the page's origin) has added its listeners, which do not hear earlier events; the stored
  // `Journey Stage Changed` events below have it either way.
  const notices = (await page.evaluate(() => window.notices)).filter((n) => !(n.name === 'stage:change' && n.to === 'browsing'));
  assert.deepEqual(notices.map((n) => n.name), ['segment:enter', 'stage:change', 'campaign:show']);
  assert.deepEqual(notices[1], { name: 'stage:change', journey: 'lifecycle', from: 'browsing', to: 'customer', at: notices[1].at });
  // The prompt is on screen, styled under the site's `style-src 'self'`.
  await page.waitForFunction(() => [...document.querySelectorAll('*')].some((e) => e.shadowRoot && /THANKS5/.test(e.shadowRoot.textContent)));
  const mine = (e) => e.filter(byAnon(anon));
  const names = (e) => mine(e).map((x) => x.event || x.type);
  const events = mine(await waitForEvents(segCollector, (e) => names(e).includes('Campaign Shown')));
  assertNoDuplicates(assert, events);
  for (const name of ['page', 'Order Completed', 'Segment Entered', 'Journey Stage Changed', 'Campaign Shown']) {
    assert.ok(names(events).includes(name), `${name} stored: ${names(events)}`);
  }
  assert.equal(events.find((e) => e.event === 'Segment Entered').properties.segment, 'buyer');
  assert.deepEqual(events.filter((e) => e.event === 'Journey Stage Changed').map((e) => e.properties.to), ['browsing', 'customer']);
  assert.equal(events.find((e) => e.event === 'Campaign Shown').properties.campaign, 'thanks');
  // The shop's report counts the visitor in the segment.
  const report = await (await fetch(segCollector.url + '/v1/reports', {
    headers: { Authorization: 'Basic ' + Buffer.from('rk_shop:').toString('base64') },
  })).json();
  assert.ok(report.segments.find((x) => x.segment === 'buyer').members >= 1, JSON.stringify(report.segments));
  assert.deepEqual(log.errors, []);
  assert.deepEqual(violations(log), []);
  await context.close();
});

test('cross-origin: the npm package bundled by Vite, served by the site, sends to the collector named by endpoint', async () => {
  // Built as scripts/test.sh builds it, with `wayline` being this checkout's package (js/dist).
  const out = join(tmp, 'npm-app');
  const config = join(tmp, 'vite.config.mjs');
  writeFileSync(config, `export default { resolve: { alias: { wayline: ${JSON.stringify(join(root, 'js', 'dist', 'index.js'))} } } };`);
  execFileSync(join(root, 'node_modules', '.bin', 'vite'),
    ['build', join(root, 'www', 'npm-app'), '--config', config, '--base', './', '--outDir', out, '--emptyOutDir', '--logLevel', 'warn'],
    { cwd: root, stdio: 'inherit' });
  const coll = collector.url;
  site.pages.clear();
  site.dir = out;
  // The bundle and its wasm come from the site itself: only connect-src names the collector.
  site.csp = `default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self' ${coll}; style-src 'self'; img-src 'self' data:`;
  const { page, log, context } = await openPage(browser);
  const wasm = [];
  page.on('request', (r) => r.url().endsWith('.wasm') && wasm.push(r.url()));
  try {
    await page.goto(`${site.origin}/index.html?writeKey=wk_shop&endpoint=${encodeURIComponent(coll)}`);
    await page.waitForFunction(() => document.getElementById('status').textContent.startsWith('ready: '));
    // The demo page shows the visitor's id, read in its `ready` listener.
    const anon = (await page.textContent('#status')).slice('ready: '.length);
    assert.match(anon, /^[0-9a-f-]{36}$/);
    await page.click('#signup');
    const mine = (e) => e.filter(byAnon(anon));
    const events = mine(await waitForEvents(collector, (e) => mine(e).some((x) => x.event === 'Signed Up')));
    assertNoDuplicates(assert, events);
    assert.deepEqual(events.map((e) => e.event || e.type), ['page', 'Signed Up']);
    assert.ok(events[0].context.page.url.startsWith(site.origin + '/index.html'));
    assert.equal(wasm.length, 1);
    assert.ok(wasm[0].startsWith(site.origin + '/assets/wayline_bg-'), wasm[0]);
    assert.deepEqual(log.errors, []);
    assert.deepEqual(violations(log), []);
  } finally {
    site.dir = null;
    await context.close();
  }
});
