// The demo storefront with the script tag: page views and tagged clicks are stored exactly once with the SPEC §3
// fields, the anonymous id and session survive a reload, and the strict CSP the collector sends is respected.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPage, ready, waitForEvents, assertNoDuplicates, withCollectorAndBrowser } from './helpers.mjs';

const env = withCollectorAndBrowser();

test('page view and tagged click are stored once with the spec fields', async () => {
  // A visitor's zone and language, which the context must report (not the machine's).
  const visitor = await env.browser.newContext({ timezoneId: 'America/Sao_Paulo', locale: 'pt-BR' });
  const { page, log, context } = await openPage(env.browser, visitor);
  const response = await page.goto(env.collector.url + '/product.html');
  assert.match(response.headers()['content-security-policy'], /script-src 'self' 'wasm-unsafe-eval'/);
  await ready(page);
  await page.click('#add-to-cart');
  assert.equal(await page.evaluate(() => wayline.flush()), true);

  const events = await waitForEvents(env.collector, (e) => e.length >= 2);
  assert.equal(events.length, 2);
  assertNoDuplicates(assert, events);
  const [view, added] = events;
  assert.equal(view.type, 'page');
  assert.equal(view.properties.path, '/product.html');
  assert.equal(added.type, 'track');
  assert.equal(added.event, 'Product Added');
  assert.deepEqual(added.properties, { product_id: 'ridge-30', price: 89, currency: 'EUR' });
  for (const e of events) {
    assert.match(e.messageId, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(e.anonymousId, view.anonymousId);
    assert.ok(Date.parse(e.timestamp) > 0 && Date.parse(e.originalTimestamp) > 0);
    const c = e.context;
    assert.equal(c.library.name, 'wayline');
    assert.equal(c.page.url, env.collector.url + '/product.html');
    assert.equal(c.page.title, 'Ridge Pack 30 · Trailhead Outfitters');
    assert.match(c.userAgent, /Chrome/);
    assert.equal(c.locale, 'pt-BR');
    assert.equal(c.timezone, 'America/Sao_Paulo');
    assert.ok(c.screen.width > 0 && c.screen.height > 0);
    assert.equal(typeof c.sessionId, 'number');
    assert.equal(c.attribution.first.channel, 'direct');
  }
  assert.deepEqual(log.errors, []);
  await context.close();
});

test('anonymous id and session survive a reload; UTM landing is attributed', async () => {
  const { page, log, context } = await openPage(env.browser);
  await page.goto(env.collector.url + '/index.html?utm_source=newsletter&utm_medium=email&utm_campaign=autumn');
  await ready(page);
  const anon = await page.evaluate(() => wayline.anonymousId());
  await page.evaluate(() => wayline.flush());
  await Promise.all([page.waitForURL(/pricing/), page.click('nav a[href="/pricing.html"]')]);
  await ready(page);
  assert.equal(await page.evaluate(() => wayline.anonymousId()), anon);
  await page.evaluate(() => wayline.flush());
  const pages = (e) => e.filter((x) => x.anonymousId === anon && x.type === 'page');
  const mine = pages(await waitForEvents(env.collector, (e) => pages(e).length >= 2));
  assert.equal(mine.length, 2);
  const [landing, next] = mine;
  // The click on the link was an interaction: the landing page's engaged time is recorded as it is left.
  const left = (await waitForEvents(env.collector, (e) => e.some((x) => x.anonymousId === anon && x.event === 'Page Engagement')))
    .find((x) => x.anonymousId === anon && x.event === 'Page Engagement');
  assert.equal(left.properties.path, '/index.html');
  assert.equal(landing.context.campaign.source, 'newsletter');
  assert.equal(landing.context.attribution.first.channel, 'email');
  assert.equal(next.context.sessionId, landing.context.sessionId);
  assert.equal(next.context.attribution.last.campaign, 'autumn');
  assert.equal(next.context.page.referrer, env.collector.url + '/index.html?utm_source=newsletter&utm_medium=email&utm_campaign=autumn');
  assert.deepEqual(log.errors, []);
  await context.close();
});

test('a browser without Temporal: the time zone comes from Intl', async () => {
  const visitor = await env.browser.newContext({ timezoneId: 'Europe/Berlin' });
  await visitor.addInitScript(() => delete window.Temporal);
  const { page, log, context } = await openPage(env.browser, visitor);
  await page.goto(env.collector.url + '/product.html');
  await ready(page);
  assert.equal(await page.evaluate(() => typeof Temporal), 'undefined');
  const anon = await page.evaluate(() => wayline.anonymousId());
  await page.evaluate(() => wayline.flush());
  const [view] = (await waitForEvents(env.collector, (e) => e.some((x) => x.anonymousId === anon))).filter((x) => x.anonymousId === anon);
  assert.equal(view.context.timezone, 'Europe/Berlin');
  assert.deepEqual(log.errors, []);
  await context.close();
});

test('the checkout identifies the visitor and records the order', async () => {
  const { page, log, context } = await openPage(env.browser);
  await page.goto(env.collector.url + '/checkout.html');
  await ready(page);
  await page.check('input[name=newsletter]');
  await Promise.all([page.waitForURL(/thank-you/), page.click('button[type=submit]')]);
  await ready(page);
  await page.evaluate(() => wayline.flush());
  const events = await waitForEvents(env.collector, (e) => e.some((x) => x.type === 'page' && x.properties.path === '/thank-you.html'));
  const order = events.find((e) => e.event === 'Order Completed');
  assert.ok(order, 'order stored (sent from the page-exit path or the next page)');
  assert.equal(order.userId, 'walker@example.com');
  assert.equal(order.properties.currency, 'EUR');
  assert.ok(events.some((e) => e.type === 'identify' && e.traits.email === 'walker@example.com'));
  assert.ok(events.some((e) => e.event === 'Newsletter Subscribed'));
  assertNoDuplicates(assert, events);
  assert.deepEqual(log.errors, []);
  await context.close();
});

/** Records the page's WebAssembly compile and instantiate calls: which ran, and whether the loader had yet. */
function recordWasmCalls() {
  const calls = (window.__wasmCalls = []);
  for (const name of ['compileStreaming', 'instantiateStreaming', 'instantiate']) {
    const original = WebAssembly[name];
    if (!original) continue;
    WebAssembly[name] = function (source, ...rest) {
      const given = source instanceof WebAssembly.Module ? 'module' : source instanceof Response ? 'response' : typeof source;
      calls.push({ name, given, loaderRan: !!(window.wayline && window.wayline.loaded) });
      return original.call(this, source, ...rest);
    };
  }
}

/** Loads the storefront page through the stub and checks that its page view reaches the collector. */
async function startsAndDelivers(page) {
  await page.goto(env.collector.url + '/product.html');
  await ready(page);
  const anon = await page.evaluate(() => wayline.anonymousId());
  assert.equal(await page.evaluate(() => wayline.flush()), true);
  const events = (await waitForEvents(env.collector, (e) => e.some((x) => x.anonymousId === anon))).filter((x) => x.anonymousId === anon);
  assert.deepEqual(events.map((e) => e.type), ['page']);
}

test('the stub compiles the module as it streams in, before the loader runs; the loader instantiates that module', async () => {
  const { page, log, context } = await openPage(env.browser);
  await page.addInitScript(recordWasmCalls);
  const requests = [];
  page.on('request', (r) => r.url().endsWith('/wayline_bg.wasm') && requests.push(r.url()));
  await startsAndDelivers(page);
  assert.deepEqual(await page.evaluate(() => window.__wasmCalls), [
    { name: 'compileStreaming', given: 'object', loaderRan: false },
    { name: 'instantiate', given: 'module', loaderRan: true },
  ]);
  assert.equal(requests.length, 1, 'the module is fetched once');
  assert.deepEqual(log.errors, []);
  await context.close();
});

test('a module served without the wasm media type: compiling it in the stub fails, and the SDK still starts', async () => {
  const { page, log, context } = await openPage(env.browser);
  await page.addInitScript(recordWasmCalls);
  await page.route('**/wayline_bg.wasm', async (route) => {
    const response = await route.fetch();
    await route.fulfill({ response, headers: { ...response.headers(), 'content-type': 'application/octet-stream' } });
  });
  await startsAndDelivers(page);
  const calls = await page.evaluate(() => window.__wasmCalls.map((c) => c.name));
  assert.deepEqual(calls.slice(0, 2), ['compileStreaming', 'instantiateStreaming']);
  assert.equal(calls[calls.length - 1], 'instantiate');
  // wasm-bindgen's glue says why it took the slower way.
  assert.equal(log.warnings.filter((w) => w.includes('application/wasm')).length, 1, log.warnings.join('\n'));
  assert.deepEqual(log.errors.filter((e) => !/MIME|Failed to load resource/.test(e)), []);
  await context.close();
});

test('a browser without compileStreaming: the loader instantiates the response the stub fetched', async () => {
  const { page, log, context } = await openPage(env.browser);
  await page.addInitScript(() => delete WebAssembly.compileStreaming);
  await page.addInitScript(recordWasmCalls);
  await startsAndDelivers(page);
  assert.deepEqual(await page.evaluate(() => window.__wasmCalls), [
    { name: 'instantiateStreaming', given: 'response', loaderRan: true },
  ]);
  assert.deepEqual(log.errors, []);
  await context.close();
});

// A page whose Content-Security-Policy lacks 'wasm-unsafe-eval' cannot compile the module however it is fetched:
// the stub's compile fails, and the module is not downloaded a second time only to be refused again (nor is the
// site's CSP report endpoint told twice); the one console warning says why.
test("a module the page's CSP refuses to compile is requested once, and one warning says why", async () => {
  const { page, log, context } = await openPage(env.browser);
  const requests = [];
  page.on('request', (r) => r.url().endsWith('/wayline_bg.wasm') && requests.push(r.url()));
  await page.route('**/product.html', async (route) => {
    const response = await route.fetch();
    const csp = response.headers()['content-security-policy'].replace(" 'wasm-unsafe-eval'", '');
    await route.fulfill({ response, headers: { ...response.headers(), 'content-security-policy': csp } });
  });
  await page.goto(env.collector.url + '/product.html');
  await page.waitForFunction(() => window.wayline && window.wayline.loaded);
  assert.equal(await page.evaluate(() => wayline.init({ writeKey: 'wk_demo' })), false);
  const warnings = log.warnings.filter((w) => w.includes('could not load its WebAssembly module'));
  assert.equal(warnings.length, 1, log.warnings.join('\n'));
  assert.match(warnings[0], /wasm-unsafe-eval/);
  assert.equal(requests.length, 1, 'the module is fetched once');
  assert.deepEqual(log.errors, []);
  await context.close();
});
