// Remote config (SPEC §9): the SDK keeps the last good config for offline starts, revalidates it with its ETag
// (`GET /v1/config` answers 304), checks it again when the page becomes visible after a while, and on an invalid
// config keeps the last good one and reports every error with its location.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { root, openPage, ready, withCollectorAndBrowser, sleep } from './helpers.mjs';

const env = withCollectorAndBrowser({ www: join(root, 'tests', 'e2e', 'site'), sdk: join(root, 'js', 'dist-full') });
const good = readFileSync(join(root, 'tests', 'e2e', 'site', 'campaigns-config.json'), 'utf8');

async function load(page, query) {
  await page.goto(env.collector.url + '/campaigns.html' + query);
  await ready(page);
}
const warnings = (page) => page.evaluate(() => window.notices.filter((n) => n.name === 'warning'));

test('an offline start uses the stored config; a revalidation answered 304 keeps it', async () => {
  const context = await env.browser.newContext();
  const { page } = await openPage(env.browser, context);
  const requests = [];
  page.on('request', (r) => { if (r.url().includes('/v1/config')) requests.push(r.headers()['if-none-match'] || null); });
  const statuses = [];
  page.on('response', (r) => { if (r.url().includes('/v1/config')) statuses.push(r.status()); });
  const query = '?config=' + encodeURIComponent('/v1/config?writeKey=wk_demo');
  await load(page, query);
  await page.waitForFunction(() => window.configResult && window.configResult.source === 'network');
  assert.ok(await page.evaluate(() => localStorage.getItem('wayline:wk_demo:config')), 'stored for the next start');
  await page.reload();
  await ready(page);
  await page.waitForFunction(() => window.configResult && window.configResult.source === 'cache');
  await page.waitForFunction(() => wayline.segments !== undefined);
  await sleep(500);
  assert.equal(requests.length, 2);
  assert.equal(requests[0], null);
  assert.match(requests[1], /^"[0-9a-f]{32}"$/, 'revalidated with the stored ETag');
  assert.deepEqual(statuses, [200, 304]);

  await page.route('**/v1/config*', (route) => route.abort('internetdisconnected'));
  await page.reload();
  await ready(page);
  await page.waitForFunction(() => window.configResult && window.configResult.source === 'cache');
  await page.waitForFunction(() => window.notices.some((n) => n.name === 'warning' && n.code === 'config_unavailable'));
  const message = (await warnings(page)).find((w) => w.code === 'config_unavailable').message;
  assert.match(message, /stored config stays in use/);
  assert.match(message, /\(network error\)/);
  assert.ok(await page.evaluate(() => wayline.explain('potentials-nudge')), 'the demo config is live offline');
  await context.close();
});

// The compiled format is negotiated: the SDK's request names the one it reads, and a collector of another release
// refuses it with a 406 saying why (here an SDK asking for format 4, its request rewritten), rather than serving a
// config the SDK would misread or refuse without saying which side is out of date; the stored config stays.
test('the SDK asks for the compiled format it reads; another one is refused (406), said, and the stored config stays', async () => {
  const context = await env.browser.newContext();
  const { page } = await openPage(env.browser, context);
  const asked = [];
  page.on('request', (r) => { if (r.url().includes('/v1/config')) asked.push(new URL(r.url()).search); });
  const statuses = [];
  page.on('response', (r) => { if (r.url().includes('/v1/config')) statuses.push(r.status()); });
  const query = '?config=' + encodeURIComponent('/v1/config?writeKey=wk_demo');
  await load(page, query);
  await page.waitForFunction(() => window.configResult && window.configResult.source === 'network');
  assert.deepEqual(asked, ['?writeKey=wk_demo&format=3']);
  await page.route('**/v1/config*', (route) => route.continue({ url: route.request().url().replace('format=3', 'format=4') }));
  await page.reload();
  await ready(page);
  await page.waitForFunction(() => window.configResult && window.configResult.source === 'cache');
  await page.waitForFunction(() => window.notices.some((n) => n.name === 'warning' && n.code === 'config_unavailable'));
  const message = (await warnings(page)).find((w) => w.code === 'config_unavailable').message;
  assert.match(message, /\(status 406\); the stored config stays in use\nthe SDK reads compiled configs of format "4"; this collector serves format 3/);
  assert.deepEqual(statuses, [200, 406]);
  assert.ok(await page.evaluate(() => wayline.explain('potentials-nudge')), 'the stored config is live');
  await context.close();
});

test('a page whose consent starts pending starts with the stored config too, offline', async () => {
  const context = await env.browser.newContext();
  const { page } = await openPage(env.browser, context);
  const query = '?config=' + encodeURIComponent('/v1/config?writeKey=wk_demo');
  await load(page, query);
  await page.waitForFunction(() => window.configResult && window.configResult.source === 'network');
  await page.route('**/v1/config*', (route) => route.abort('internetdisconnected'));
  await load(page, query + '&consent=pending');
  await page.waitForFunction(() => window.configResult);
  assert.deepEqual(await page.evaluate(() => window.configResult), { ok: true, source: 'cache' });
  assert.ok(await page.evaluate(() => wayline.explain('potentials-nudge')), 'the demo config is live offline');
  assert.equal(await page.evaluate(() => wayline.debugState().consent), 'pending');
  await context.close();
});

test('a config fetched while consent is pending is stored once it is granted, for the next offline start', async () => {
  const context = await env.browser.newContext();
  const { page } = await openPage(env.browser, context);
  const query = '?config=' + encodeURIComponent('/v1/config?writeKey=wk_demo');
  await load(page, query + '&consent=pending');
  await page.waitForFunction(() => window.configResult && window.configResult.source === 'network');
  assert.equal(await page.evaluate(() => localStorage.getItem('wayline:wk_demo:config')), null, 'nothing stored while pending');
  await page.evaluate(() => wayline.consent('granted'));
  await page.waitForFunction(() => localStorage.getItem('wayline:wk_demo:config'), null, { timeout: 3000 });
  await page.route('**/v1/config*', (route) => route.abort('internetdisconnected'));
  await load(page, query);
  await page.waitForFunction(() => window.configResult);
  assert.deepEqual(await page.evaluate(() => window.configResult), { ok: true, source: 'cache' });
  await context.close();
});

test('an invalid config keeps the last good one and reports every error with its location', async () => {
  const context = await env.browser.newContext();
  const { page } = await openPage(env.browser, context);
  await load(page, '');
  await page.waitForFunction(() => window.configResult && window.configResult.source === 'network');
  const broken = JSON.parse(good);
  broken.campaigns[0].timing = { delay: 'ten seconds' };
  broken.campaigns[1].trigger = { segmentEnter: 'nobody' };
  broken.segments.buyer = 'count("Order Completed") >= ';
  await page.route('**/campaigns-config.json', (route) => route.fulfill({ contentType: 'application/json', body: JSON.stringify(broken) }));
  await page.reload();
  await ready(page);
  await page.waitForFunction(() => window.notices.some((n) => n.name === 'warning' && n.code === 'config_invalid'));
  const message = (await warnings(page)).find((w) => w.code === 'config_invalid').message;
  assert.match(message, /last good one stays/);
  assert.match(message, /campaigns\[0\]\.timing\.delay/);
  assert.match(message, /campaigns\[1\]\.trigger\.segmentEnter/);
  assert.match(message, /segments\.buyer:1:\d+/);
  assert.match(message, /\^/);
  assert.deepEqual(await page.evaluate(() => window.configResult), { ok: true, source: 'cache' }, 'the stored config is live');
  await page.evaluate(() => wayline.track('Show badge'));
  await page.locator('wayline-prompt').waitFor({ state: 'attached' });
  await context.close();
});

test('a changed config is picked up when the page becomes visible again', async () => {
  const context = await env.browser.newContext();
  const { page } = await openPage(env.browser, context);
  let version = 1;
  await page.route('**/campaigns-config.json', (route) => {
    const config = JSON.parse(good);
    if (version === 2) config.campaigns.push({ id: 'added-later', trigger: { event: 'Later' }, action: { type: 'reward', reward: 'badge', badge: 'New' } });
    route.fulfill({ contentType: 'application/json', body: JSON.stringify(config) });
  });
  await page.goto(env.collector.url + '/campaigns.html?configRefresh=0');
  await ready(page);
  await page.waitForFunction(() => window.configResult && window.configResult.source === 'network');
  assert.equal(await page.evaluate(() => wayline.explain('added-later')), null);
  version = 2;
  await page.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
  await page.waitForFunction(() => wayline.explain('added-later') !== null);
  await page.evaluate(() => wayline.track('Later'));
  await page.locator('wayline-prompt').waitFor({ state: 'attached' });
  await context.close();
});

// A clock set back (docs/sdk.md, "When the clock jumps") makes the last check seem to lie ahead: the page becoming
// visible after the jump checks the config again, rather than only once the clock has caught up (two days here).
test('after the clock is set back, a page becoming visible again still checks the config', async () => {
  const context = await env.browser.newContext();
  const { page } = await openPage(env.browser, context);
  let requests = 0;
  await page.route('**/campaigns-config.json', (route) => {
    requests++;
    route.fulfill({ contentType: 'application/json', body: good });
  });
  const t0 = Date.now();
  await context.clock.install({ time: t0 });
  await page.goto(env.collector.url + '/campaigns.html?configRefresh=60000');
  await ready(page);
  await page.waitForFunction(() => window.configResult && window.configResult.source === 'network');
  assert.equal(requests, 1);
  await context.clock.setSystemTime(t0 - 2 * 24 * 3600 * 1000);
  await context.clock.runFor(61_000);
  await page.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
  await context.clock.runFor(1000);
  for (let i = 0; i < 20 && requests < 2; i++) await sleep(100);
  assert.equal(requests, 2, 'checked again after the jump');
  await context.close();
});

// After an upgrade that changes the compiled format, a returning visitor's stored copy is of the old one: it is
// skipped without a warning (the SDK did nothing wrong, nor did the site), and its ETag is not sent, so the request
// brings this format's config whole (200), not a 304 for the old copy that would leave the SDK with nothing.
test('a stored config of another compiled format is skipped quietly: the SDK fetches the config afresh and stores it', async () => {
  const context = await env.browser.newContext();
  const { page } = await openPage(env.browser, context);
  const query = '?config=' + encodeURIComponent('/v1/config?writeKey=wk_demo');
  await load(page, query);
  await page.waitForFunction(() => window.configResult && window.configResult.source === 'network');
  // What an SDK of the previous format stored: the same config under the same ETag, as version 2 (themes rendered
  // by the SDK).
  const stored = await page.evaluate(() => localStorage.getItem('wayline:wk_demo:config'));
  assert.match(stored, /^"[0-9a-f]{32}"\n/);
  assert.match(stored, /"wayline":"compiled","v":3,/);
  await page.evaluate((text) => localStorage.setItem('wayline:wk_demo:config', text), stored.replace('"v":3,', '"v":2,'));
  const requests = [];
  page.on('request', (r) => { if (r.url().includes('/v1/config')) requests.push(r.headers()['if-none-match'] || null); });
  const statuses = [];
  page.on('response', (r) => { if (r.url().includes('/v1/config')) statuses.push(r.status()); });
  await page.reload();
  await ready(page);
  await page.waitForFunction(() => window.configResult && window.configResult.source === 'network');
  assert.deepEqual(await page.evaluate(() => window.configResult), { ok: true, source: 'network' });
  await sleep(300);
  assert.deepEqual((await warnings(page)).map((w) => w.code), [], 'no warning');
  assert.deepEqual(requests, [null], 'fetched whole, without the stored ETag');
  assert.deepEqual(statuses, [200]);
  assert.ok(await page.evaluate(() => wayline.explain('potentials-nudge')), 'the fetched config is live');
  assert.equal(await page.evaluate(() => localStorage.getItem('wayline:wk_demo:config')), stored, 'and stored in its place');
  await context.close();
});

test("a config the collector refuses as invalid (503) is reported with the collector's errors and their locations", async () => {
  const context = await env.browser.newContext();
  const { page } = await openPage(env.browser, context);
  const query = '?config=' + encodeURIComponent('/v1/config?writeKey=wk_demo');
  await load(page, query);
  await page.waitForFunction(() => window.configResult && window.configResult.source === 'network');
  // What the collector answers once its config file no longer passes the check (docs/collector.md).
  const error = {
    code: 'invalid_config',
    message: 'config www/demo-config.json: 1 error; it is not served',
    diagnostics: 'www/demo-config.json:segments.potentials:1:1: unknown function `cout`; did you mean `count`?\ncout("Page Viewed") >= 3\n^^^^\n',
  };
  await page.route('**/v1/config*', (route) => route.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify({ error }) }));
  await page.reload();
  await ready(page);
  await page.waitForFunction(() => window.notices.some((n) => n.name === 'warning' && n.code === 'config_unavailable'));
  const message = (await warnings(page)).find((w) => w.code === 'config_unavailable').message;
  assert.match(message, /status 503/);
  assert.match(message, /stored config stays in use/);
  assert.match(message, /1 error; it is not served/);
  assert.match(message, /www\/demo-config\.json:segments\.potentials:1:1: unknown function `cout`/);
  assert.deepEqual(await page.evaluate(() => window.configResult), { ok: true, source: 'cache' }, 'the stored config is live');
  await context.close();
});

test('a revalidation answered 304 stores the config again when storage lost it, for the next offline start', async () => {
  const context = await env.browser.newContext();
  const { page } = await openPage(env.browser, context);
  const statuses = [];
  page.on('response', (r) => { if (r.url().includes('/v1/config')) statuses.push(r.status()); });
  const query = '?config=' + encodeURIComponent('/v1/config?writeKey=wk_demo') + '&configRefresh=0';
  await load(page, query);
  await page.waitForFunction(() => window.configResult && window.configResult.source === 'network');
  // Storage cleared while the page is open (site data cleared, another tab's consent denied, the browser's purge).
  await page.evaluate(() => localStorage.removeItem('wayline:wk_demo:config'));
  await page.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
  await page.waitForFunction(() => localStorage.getItem('wayline:wk_demo:config'), null, { timeout: 3000 }).catch(() => {});
  assert.deepEqual(statuses, [200, 304]);
  assert.ok(await page.evaluate(() => localStorage.getItem('wayline:wk_demo:config')), 'stored again');
  await page.route('**/v1/config*', (route) => route.abort('internetdisconnected'));
  await page.reload();
  await ready(page);
  await page.waitForFunction(() => window.configResult);
  assert.deepEqual(await page.evaluate(() => window.configResult), { ok: true, source: 'cache' });
  await context.close();
});

test('a config request that never answers gives up after 10 s, so later checks are not held by it', async () => {
  const context = await env.browser.newContext();
  const { page } = await openPage(env.browser, context);
  let hang = true;
  await page.route('**/campaigns-config.json', (route) => {
    if (hang) return; // never answered (a hung connection)
    route.fulfill({ contentType: 'application/json', body: good });
  });
  await page.goto(env.collector.url + '/campaigns.html?configRefresh=0');
  await ready(page);
  await sleep(500);
  assert.equal(await page.evaluate(() => window.configResult), undefined, 'still waiting');
  hang = false;
  await page.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
  await sleep(500);
  assert.equal(await page.evaluate(() => window.configResult), undefined, 'one request at a time');
  // The request gives up: reported, and the next check asks again.
  await page.waitForFunction(() => window.configResult, null, { timeout: 12000 });
  assert.deepEqual(await page.evaluate(() => window.configResult), { ok: false, source: 'network' });
  await page.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
  await page.waitForFunction(() => window.configResult.ok, null, { timeout: 5000 });
  await context.close();
});

test("a config response the page hands over that never settles is given up after 10 s, as the SDK's own request is, and the SDK asks itself", async () => {
  const { page, log, context } = await openPage(env.browser);
  let requests = 0;
  await page.route('**/segments-config.json', (route) => { requests++; return route.continue(); });
  await page.goto(env.collector.url + '/late-init.html');
  await page.evaluate(() => {
    window.configResults = [];
    wayline.on('config', (result) => window.configResults.push(result));
    wayline.init({ writeKey: 'wk_demo', autoPage: false, config: '/segments-config.json', configResponse: new Promise(() => {}) });
  });
  await ready(page);
  // Kept for the config, as while any request is under way.
  await page.evaluate(() => wayline.track('Order Completed'));
  await sleep(500);
  assert.deepEqual(await page.evaluate(() => window.configResults), [], "waiting for the page's response");
  assert.equal(requests, 0);
  // Given up on (reported as the SDK's own request that times out is), then the SDK's own request brings it.
  await page.waitForFunction(() => window.configResults.length >= 2, null, { timeout: 15000 });
  assert.deepEqual(await page.evaluate(() => window.configResults), [{ ok: false, source: 'network' }, { ok: true, source: 'network' }]);
  assert.match(log.warnings.find((w) => w.includes('config_unavailable')) || '', /\(network error\)/);
  assert.equal(requests, 1, 'its own request, once');
  assert.equal(await page.evaluate(() => wayline.stage('lifecycle')), 'purchase', 'the order kept for the config counts');
  assert.deepEqual(log.errors, []);
  await context.close();
});

test('coming back online checks the config at once: a start that failed to fetch it gets it', async () => {
  const context = await env.browser.newContext();
  const { page } = await openPage(env.browser, context);
  let down = true;
  await page.route('**/campaigns-config.json', (route) =>
    down ? route.abort('internetdisconnected') : route.fulfill({ contentType: 'application/json', body: good }));
  await load(page, '');
  await page.waitForFunction(() => window.configResult);
  assert.deepEqual(await page.evaluate(() => window.configResult), { ok: false, source: 'network' });
  // Events recorded meanwhile are kept for the config, as while it loads.
  await page.evaluate(() => wayline.track('Order Completed'));
  down = false;
  await context.setOffline(true);
  await context.setOffline(false);
  await page.waitForFunction(() => window.configResult.ok, null, { timeout: 5000 });
  assert.deepEqual(await page.evaluate(() => window.configResult), { ok: true, source: 'network' });
  assert.deepEqual(await page.evaluate(() => wayline.segments()), ['buyer'], 'the order before the config counts');
  await context.close();
});

test('the same config under a new ETag is stored with that tag, so the next page revalidates with it', async () => {
  const context = await env.browser.newContext();
  const { page } = await openPage(env.browser, context);
  let tag = '"one"';
  await page.route('**/campaigns-config.json', (route) =>
    route.fulfill({ contentType: 'application/json', headers: { ETag: tag }, body: good }));
  await page.goto(env.collector.url + '/campaigns.html?configRefresh=0');
  await ready(page);
  await page.waitForFunction(() => (localStorage.getItem('wayline:wk_demo:config') || '').startsWith('"one"'));
  // A proxy rewrites the tag of the same text (W/"…", another build of the same file).
  tag = '"two"';
  await page.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
  await page.waitForFunction(() => (localStorage.getItem('wayline:wk_demo:config') || '').startsWith('"two"'), null, { timeout: 3000 });
  await context.close();
});
