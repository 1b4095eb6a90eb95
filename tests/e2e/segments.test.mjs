// Segments and journeys decided on the device (SPEC §5): a visitor enters a segment, leaves it when its window
// expires with no new event, the journey stage advances, the page hears each change, and the change events reach
// the env.collector.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { root, openPage, ready, waitForEvents, assertNoDuplicates, withCollectorAndBrowser, byAnon, sleep } from './helpers.mjs';

// The build with the rule engine (bash scripts/build-sdk.sh --segments).
const env = withCollectorAndBrowser({ www: join(root, 'tests', 'e2e', 'site'), sdk: join(root, 'js', 'dist-full') });


test('enter a segment, leave it when its window expires with no new event, advance the journey', async () => {
  const { page, log, context } = await openPage(env.browser);
  await page.goto(env.collector.url + '/segments.html');
  await ready(page);
  await page.waitForFunction(() => window.configResult);
  assert.deepEqual(await page.evaluate(() => window.configResult), { ok: true, source: 'network' });
  const anon = await page.evaluate(() => {
    history.pushState({}, '', '/pricing');
    wayline.page();
    wayline.page();
    return wayline.anonymousId();
  });
  assert.deepEqual(await page.evaluate(() => wayline.segments()), ['pricing-curious']);
  assert.equal(await page.evaluate(() => wayline.stage('lifecycle')), 'awareness');
  await page.evaluate(() => wayline.track('Plan Selected', { plan: 'pro' }));
  assert.equal(await page.evaluate(() => wayline.stage('lifecycle')), 'evaluation');
  // The app retitles its view, with no call after it: the exit that time alone brings is a message of the page as
  // it is then.
  await page.evaluate(() => { document.title = 'Plans'; });
  // No new event: the 3 s window lets the first view go, and the SDK's timer notices without polling.
  const entered = await page.evaluate(() => window.notices.find((n) => n.name === 'segment:enter').at);
  await page.waitForFunction(() => window.notices.some((n) => n.name === 'segment:exit'), null, { timeout: 8000 });
  const exited = await page.evaluate(() => window.notices.find((n) => n.name === 'segment:exit').at);
  assert.ok(exited - entered >= 2000 && exited - entered <= 4500, `left ${exited - entered} ms after entering`);
  assert.deepEqual(await page.evaluate(() => wayline.segments()), []);
  const notices = await page.evaluate(() => window.notices.map((n) => n.name + ':' + (n.segment || n.to)));
  assert.deepEqual(notices, [
    'stage:change:awareness',
    'segment:enter:pricing-curious',
    'stage:change:evaluation',
    'segment:exit:pricing-curious',
  ]);
  await page.evaluate(() => wayline.flush());
  const events = (await waitForEvents(env.collector, (e) => e.filter(byAnon(anon)).some((x) => x.event === 'Segment Exited'))).filter(byAnon(anon));
  assertNoDuplicates(assert, events);
  const entry = events.find((e) => e.event === 'Segment Entered');
  assert.deepEqual(entry.properties, { segment: 'pricing-curious' });
  const stage = events.filter((e) => e.event === 'Journey Stage Changed').map((e) => [e.properties.from, e.properties.to]);
  assert.deepEqual(stage, [[null, 'awareness'], ['awareness', 'evaluation']]);
  const exit = events.find((e) => e.event === 'Segment Exited');
  assert.equal(Date.parse(exit.originalTimestamp), exited, 'the exit event carries the exact instant');
  assert.equal(exit.context.page.title, 'Plans');
  assert.deepEqual(log.errors, []);
  await context.close();
});

test('memberships and stages survive a reload without being announced again', async () => {
  const { page, context } = await openPage(env.browser);
  await page.goto(env.collector.url + '/segments.html');
  await ready(page);
  await page.waitForFunction(() => window.configResult);
  await page.evaluate(() => {
    wayline.identify('u-7', { plan: 'pro' });
    wayline.track('Order Completed');
  });
  assert.deepEqual(await page.evaluate(() => wayline.segments()), ['pro']);
  await page.waitForTimeout(1300); // the coalesced state write (1 s)
  await page.reload();
  await ready(page);
  await page.waitForFunction(() => wayline.stage('lifecycle') === 'purchase');
  assert.deepEqual(await page.evaluate(() => wayline.segments()), ['pro']);
  assert.deepEqual(await page.evaluate(() => window.notices), []);
  await context.close();
});

test('a change is stored with its event: a page that crashes right after it does not announce it again', async () => {
  const context = await env.browser.newContext();
  const { page } = await openPage(env.browser, context);
  await page.goto(env.collector.url + '/segments.html');
  await ready(page);
  await page.waitForFunction(() => window.configResult);
  const anon = await page.evaluate(() => {
    wayline.track('Order Completed');
    return wayline.anonymousId();
  });
  // The event is in the stored log (written 250 ms after it) before the page dies without a pagehide.
  await page.waitForFunction(() =>
    Object.keys(localStorage).some((k) => k.includes(':queue:') && localStorage.getItem(k).includes('Journey Stage Changed')));
  // The renderer dies at once; the command itself gets no answer.
  const cdp = await context.newCDPSession(page);
  cdp.send('Page.crash').catch(() => {});
  await new Promise((resolve) => page.once('crash', resolve));
  const next = await context.newPage();
  await next.goto(env.collector.url + '/segments.html');
  await ready(next);
  await next.waitForFunction(() => window.configResult);
  assert.equal(await next.evaluate(() => wayline.anonymousId()), anon);
  assert.equal(await next.evaluate(() => wayline.stage('lifecycle')), 'purchase');
  assert.deepEqual(await next.evaluate(() => window.notices), [], 'not announced again');
  await next.evaluate(() => {
    wayline.track('After Crash');
    return wayline.flush();
  });
  const events = (await waitForEvents(env.collector, (e) => e.some((x) => x.event === 'After Crash' && x.anonymousId === anon))).filter(byAnon(anon));
  assert.deepEqual(events.filter((e) => e.event === 'Journey Stage Changed').map((e) => e.properties.to), ['purchase']);
  await context.close();
});

/** Two tabs of segments.html in one context, the second opened once the first stored the visitor. */
async function twoTabs() {
  const context = await env.browser.newContext();
  const a = await openPage(env.browser, context);
  await a.page.goto(env.collector.url + '/segments.html');
  await ready(a.page);
  await a.page.waitForFunction(() => window.configResult);
  await a.page.waitForFunction(() => localStorage.getItem('wayline:wk_demo:profile'));
  const b = await openPage(env.browser, context);
  await b.page.goto(env.collector.url + '/segments.html');
  await ready(b.page);
  await b.page.waitForFunction(() => window.configResult);
  const anon = await a.page.evaluate(() => wayline.anonymousId());
  assert.equal(await b.page.evaluate(() => wayline.anonymousId()), anon);
  return { context, a, b, anon };
}

test('a segment entered in one tab is entered in the tab beside it without being announced twice', async () => {
  const { context, a, b, anon } = await twoTabs();
  await a.page.bringToFront();
  await a.page.evaluate(() => wayline.identify('u-both', { plan: 'pro' }));
  await b.page.waitForFunction(() => wayline.segments().includes('pro'), null, { timeout: 5000 });
  for (const tab of [a, b]) {
    await tab.page.evaluate(() => {
      wayline.track('Settled');
      return wayline.flush();
    });
  }
  const events = (await waitForEvents(env.collector, (e) => e.filter((x) => x.event === 'Settled' && x.anonymousId === anon).length === 2)).filter(byAnon(anon));
  assert.deepEqual(events.filter((e) => e.event === 'Segment Entered').map((e) => e.properties.segment), ['pro']);
  assert.deepEqual(a.log.errors.concat(b.log.errors), []);
  await context.close();
});

test('a window ending in two tabs at once is left once: the hidden tab takes in the exit the visible tab stored', async () => {
  // Both tabs reach the instant the window ends together. The tab in the background re-checks it later, and
  // meanwhile hears the exit in the state the visible tab stores with its `Segment Exited`.
  const { context, a, b, anon } = await twoTabs();
  // Headless Chromium shows every page as visible: B is hidden as the browser would hide it, through the
  // document's state and its event.
  await b.page.evaluate(() => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
    document.dispatchEvent(new Event('visibilitychange', { bubbles: true }));
  });
  await a.page.evaluate(() => {
    history.pushState({}, '', '/pricing');
    wayline.page();
    wayline.page();
  });
  await b.page.waitForFunction(() => wayline.segments().includes('pricing-curious'), null, { timeout: 5000 });
  // The 3 s window ends with no new event in either tab.
  for (const tab of [a, b]) {
    await tab.page.waitForFunction(() => !wayline.segments().includes('pricing-curious'), null, { timeout: 15000 });
  }
  await a.page.waitForTimeout(2500); // past the hidden sending tab's own re-check
  // Each page heard of the entry and the exit; A's exit carries the instant the window ended, and so does B's.
  const heard = [];
  for (const tab of [a, b]) {
    heard.push(await tab.page.evaluate(() => window.notices.filter((n) => n.segment === 'pricing-curious')));
  }
  assert.deepEqual(heard.map((n) => n.map((x) => x.name)), [['segment:enter', 'segment:exit'], ['segment:enter', 'segment:exit']]);
  assert.equal(heard[1][1].at, heard[0][1].at);
  for (const tab of [b, a]) {
    await tab.page.evaluate(() => {
      wayline.track('Both Left');
      return wayline.flush();
    });
  }
  const events = (await waitForEvents(env.collector, (e) => e.filter((x) => x.event === 'Both Left' && x.anonymousId === anon).length === 2)).filter(byAnon(anon));
  assertNoDuplicates(assert, events);
  assert.deepEqual(events.filter((e) => e.event === 'Segment Entered').map((e) => e.properties.segment), ['pricing-curious']);
  assert.deepEqual(events.filter((e) => e.event === 'Segment Exited').map((e) => e.properties.segment), ['pricing-curious']);
  assert.deepEqual(a.log.errors.concat(b.log.errors), []);
  await context.close();
});

test('memberships, stages and their events survive a page whose consent starts pending', async () => {
  // The profile is read under pending consent, so the stored state must be too: else the page enters again what
  // the profile's traits make true, and once consent is granted that fresh state replaces the stored one and the
  // same enter is sent again.
  const { page, context } = await openPage(env.browser);
  await page.goto(env.collector.url + '/segments.html');
  await ready(page);
  await page.waitForFunction(() => window.configResult);
  const anon = await page.evaluate(() => {
    wayline.identify('u-8', { plan: 'pro' });
    wayline.track('Order Completed');
    return wayline.anonymousId();
  });
  await page.waitForTimeout(1300); // the coalesced state write (1 s)
  await page.goto(env.collector.url + '/segments-pending.html');
  await ready(page);
  await page.waitForFunction(() => window.configResult);
  assert.equal(await page.evaluate(() => wayline.anonymousId()), anon);
  assert.deepEqual(await page.evaluate(() => wayline.segments()), ['pro']);
  assert.equal(await page.evaluate(() => wayline.stage('lifecycle')), 'purchase');
  assert.deepEqual(await page.evaluate(() => window.notices), []);
  await page.evaluate(async () => {
    wayline.consent('granted');
    wayline.track('Granted');
    await wayline.flush();
  });
  const events = (await waitForEvents(env.collector, (e) => e.filter(byAnon(anon)).some((x) => x.event === 'Granted'))).filter(byAnon(anon));
  assertNoDuplicates(assert, events);
  assert.deepEqual(events.filter((e) => e.event === 'Segment Entered').map((e) => e.properties.segment), ['pro']);
  await context.close();
});

// SPEC §8: rules and prompts work on the device in every consent state "unless configured otherwise":
// `personalizeWithoutConsent: false` holds segments, journeys and campaigns until consent is granted (the events
// tracked meanwhile are then fed to them) and stops them when consent is withdrawn.
test('personalizeWithoutConsent: false runs segments only while consent is granted', async () => {
  const { page, log, context } = await openPage(env.browser);
  await page.goto(env.collector.url + '/segments-consent-first.html');
  await ready(page);
  await page.waitForFunction(() => window.configResult);
  await page.evaluate(() => {
    wayline.identify('u-consent', { plan: 'pro' });
    wayline.track('Order Completed');
  });
  assert.deepEqual(await page.evaluate(() => [wayline.segments(), wayline.stage('lifecycle') ?? null]), [[], null], 'pending: nothing decided');
  assert.deepEqual(await page.evaluate(() => window.notices), []);
  await page.evaluate(() => wayline.consent('granted'));
  assert.deepEqual(await page.evaluate(() => [wayline.segments(), wayline.stage('lifecycle')]), [['pro'], 'purchase'], 'granted: the held events count');
  assert.deepEqual(await page.evaluate(() => window.notices.map((n) => n.name)), ['segment:enter', 'stage:change']);
  const anon = await page.evaluate(async () => { await wayline.flush(); return wayline.anonymousId(); });
  const events = (await waitForEvents(env.collector, (e) => e.filter(byAnon(anon)).some((x) => x.event === 'Segment Entered'))).filter(byAnon(anon));
  assertNoDuplicates(assert, events);
  // Withdrawn: nothing is decided any more, for the new visitor denied consent makes.
  await page.evaluate(() => {
    wayline.consent('denied');
    wayline.identify('u-2', { plan: 'pro' });
    wayline.track('Order Completed');
  });
  assert.deepEqual(await page.evaluate(() => [wayline.segments(), wayline.stage('lifecycle') ?? null]), [[], null], 'denied: nothing decided');
  // Granted again: the profile's traits are facts about this visitor, but the order tracked under denied was not
  // kept for the rules.
  await page.evaluate(() => wayline.consent('granted'));
  assert.deepEqual(await page.evaluate(() => [wayline.segments(), wayline.stage('lifecycle') ?? null]), [['pro'], null]);
  await page.evaluate(() => wayline.track('Order Completed'));
  assert.equal(await page.evaluate(() => wayline.stage('lifecycle')), 'purchase', 'running again');
  assert.deepEqual(log.errors, []);
  await context.close();
});

// A config held for consent is the config in use: a later check of it that fails (offline, or a broken file)
// keeps it, says so, and keeps the events tracked meanwhile for it, as for a config that runs.
test('personalizeWithoutConsent: false keeps the held config and its events when a later check of it fails', async () => {
  const context = await env.browser.newContext();
  const { page, log } = await openPage(env.browser, context);
  let broken = false;
  await page.route('**/segments-config.json', (route) =>
    broken ? route.fulfill({ contentType: 'application/json', body: '{"segments": {"broken": "count(("}}' }) : route.continue());
  await page.goto(env.collector.url + '/segments-consent-first.html');
  await ready(page);
  await page.waitForFunction(() => window.configResult);
  await page.evaluate(() => {
    wayline.on('config', (r) => (window.configResults = [...(window.configResults || []), r]));
    wayline.identify('u-held', { plan: 'pro' });
    wayline.track('Order Completed');
  });
  // Back online: the config is checked again, and the file is broken now.
  broken = true;
  await context.setOffline(true);
  await context.setOffline(false);
  for (let i = 0; i < 100 && !log.warnings.some((w) => w.includes('config_invalid')); i++) await sleep(50);
  // The listener added late hears the last config event; the broken check changes nothing in use, so it adds none.
  assert.deepEqual(await page.evaluate(() => window.configResults), [{ ok: true, source: 'network' }]);
  assert.match(log.warnings.find((w) => w.includes('config_invalid')) || '', /last good one stays/);
  await page.evaluate(() => wayline.consent('granted'));
  assert.deepEqual(await page.evaluate(() => [wayline.segments(), wayline.stage('lifecycle')]), [['pro'], 'purchase'], 'the order tracked under pending counts');
  assert.deepEqual(log.errors, []);
  await context.close();
});

// Under pending the events are kept for the rules, however consent became pending: after denied too.
test('personalizeWithoutConsent: false keeps the events of a pending that follows denied for the rules', async () => {
  const { page, log, context } = await openPage(env.browser);
  await page.goto(env.collector.url + '/segments-consent-first.html');
  await ready(page);
  await page.waitForFunction(() => window.configResult);
  await page.evaluate(() => {
    wayline.consent('denied');
    wayline.consent('pending');
    wayline.track('Order Completed');
  });
  assert.equal(await page.evaluate(() => wayline.stage('lifecycle') ?? null), null, 'pending: nothing decided');
  await page.evaluate(() => wayline.consent('granted'));
  assert.equal(await page.evaluate(() => wayline.stage('lifecycle') ?? null), 'purchase', 'the order tracked under pending counts');
  assert.deepEqual(log.errors, []);
  await context.close();
});

// A script that runs after the SDK started (an external script after the stub, which the SDK may overtake) still
// learns that it is ready and which config is in use: `ready` and `config` listeners added late hear the last one.
test('ready and config listeners added after the events hear the last one, after on() returned', async () => {
  const { page, log, context } = await openPage(env.browser);
  await page.goto(env.collector.url + '/segments.html');
  await ready(page);
  await page.waitForFunction(() => window.configResult);
  const late = await page.evaluate(async () => {
    const heard = [];
    const order = [];
    const ready = new Promise((r) => wayline.on('ready', (v) => { order.push('ready'); r(v); }));
    const config = new Promise((r) => wayline.on('config', (v) => { order.push('config'); r(v); }));
    order.push('returned');
    wayline.on('ready', () => { throw new Error('late listener'); });
    const within = (p) => Promise.race([p, new Promise((r) => setTimeout(() => r('not heard'), 2000))]);
    heard.push(await within(ready), await within(config));
    return { heard, order };
  });
  assert.deepEqual(late.heard, [true, { ok: true, source: 'network' }]);
  assert.deepEqual(late.order, ['returned', 'ready', 'config']);
  await page.waitForTimeout(50);
  assert.ok(log.errors.some((e) => e.includes('late listener')), 'a throwing late listener is reported on the console');
  assert.equal(log.errors.filter((e) => e.includes('Uncaught')).length, 0, log.errors.join('\n'));
  await context.close();
});

test('a ready listener added by a config listener while the SDK starts (the stored config) hears ready', async () => {
  const { page, log, context } = await openPage(env.browser);
  await page.addInitScript(() => {
    window.heard = [];
    // Through the stub: the config listener is registered before the SDK starts.
    window.addEventListener('DOMContentLoaded', () =>
      window.wayline.on('config', (r) => {
        window.heard.push('config:' + r.source);
        window.wayline.on('ready', () => window.heard.push('ready (added by config:' + r.source + ')'));
      }));
  });
  await page.goto(env.collector.url + '/segments.html');
  await ready(page);
  await page.waitForFunction(() => window.heard.length >= 2);
  assert.deepEqual(await page.evaluate(() => window.heard), ['config:network', 'ready (added by config:network)']);
  // Reloaded: the stored config is in use while the SDK starts, before it is ready.
  // (The network then brings the same config: no second `config`.)
  await page.reload();
  await ready(page);
  await page.waitForTimeout(300);
  assert.deepEqual(await page.evaluate(() => window.heard), ['config:cache', 'ready (added by config:cache)']);
  assert.deepEqual(log.errors, []);
  await context.close();
});

test('a config with errors reports every one of them with its location, and tracking goes on', async () => {
  const { page, log, context } = await openPage(env.browser);
  await page.goto(env.collector.url + '/bad-config.html');
  await ready(page);
  await page.waitForFunction(() => window.configResult);
  assert.deepEqual(await page.evaluate(() => window.configResult), { ok: false, source: 'network' });
  const anon = await page.evaluate(() => { wayline.track('Despite The Config'); return wayline.anonymousId(); });
  await page.evaluate(() => wayline.flush());
  await waitForEvents(env.collector, (e) => e.some((x) => x.event === 'Despite The Config' && x.anonymousId === anon));
  const warning = log.warnings.find((w) => w.includes('config_invalid'));
  assert.ok(warning, log.warnings.join('\n'));
  assert.match(warning, /segments\.broken:1:\d+/);
  assert.match(warning, /segments\.also-broken:1:\d+/);
  assert.match(warning, /\^/);
  assert.deepEqual(await page.evaluate(() => wayline.segments()), []);
  await context.close();
});

test("the stub requests data-config before the loader runs, and that response is the SDK's only request for it", async () => {
  const { page, log, context } = await openPage(env.browser);
  const requests = [];
  let status = 200;
  await page.route('**/segments-config.json', async (route) => {
    requests.push(route.request().headers()['if-none-match'] || null);
    if (status !== 200) return route.fulfill({ status, body: 'unavailable' });
    return route.continue();
  });
  await page.goto(env.collector.url + '/segments.html');
  await ready(page);
  await page.waitForFunction(() => window.configResult);
  assert.deepEqual(await page.evaluate(() => window.configResult), { ok: true, source: 'network' });
  await page.evaluate(() => { history.pushState({}, '', '/pricing'); wayline.page(); wayline.page(); });
  assert.deepEqual(await page.evaluate(() => wayline.segments()), ['pricing-curious'], 'the prefetched config is live');
  await page.waitForTimeout(300);
  assert.deepEqual(requests, [null], 'one request, made by the stub');

  // The stored copy starts the next page; the stub's response (an error here) is what the SDK reports on.
  status = 503;
  await page.goto(env.collector.url + '/segments.html');
  await ready(page);
  await page.waitForFunction(() => window.configResult);
  assert.deepEqual(await page.evaluate(() => window.configResult), { ok: true, source: 'cache' });
  await page.waitForTimeout(300);
  assert.equal(requests.length, 2, 'still one request per page');
  const warning = log.warnings.find((w) => w.includes('config_unavailable'));
  assert.ok(warning, log.warnings.join('\n'));
  assert.match(warning, /status 503/);
  assert.deepEqual(log.errors.filter((e) => !e.startsWith('Failed to load resource')), []);
  await context.close();
});

test("the stub reads data-config's body as soon as it arrives, before the loader runs; its ETag is the one stored", async () => {
  const { page, log, context } = await openPage(env.browser);
  await page.addInitScript(() => {
    const reads = (window.__bodyReads = []);
    const text = Response.prototype.text;
    Response.prototype.text = function () {
      reads.push({ file: this.url.split('/').pop(), loaderRan: !!(window.wayline && window.wayline.loaded) });
      return text.call(this);
    };
  });
  await page.route('**/segments-config.json', async (route) => {
    const response = await route.fetch();
    await route.fulfill({ response, headers: { ...response.headers(), etag: '"v-early"' } });
  });
  // The loader arrives well after the config (which its route above delays too).
  await page.route('**/sdk/wayline.js', async (route) => {
    await new Promise((resolve) => setTimeout(resolve, 500));
    await route.continue();
  });
  await page.goto(env.collector.url + '/segments.html');
  await ready(page);
  await page.waitForFunction(() => window.configResult);
  assert.deepEqual(await page.evaluate(() => window.configResult), { ok: true, source: 'network' });
  assert.deepEqual(await page.evaluate(() => window.__bodyReads), [{ file: 'segments-config.json', loaderRan: false }]);
  const stored = await page.evaluate(() => localStorage.getItem('wayline:wk_demo:config'));
  assert.ok(stored.startsWith('"v-early"\n'), stored.slice(0, 40));
  assert.deepEqual(log.errors, []);
  await context.close();
});

test('a rejected config response handed to init before the module has loaded is reported by the SDK, not as an uncaught rejection', async () => {
  const { page, log, context } = await openPage(env.browser);
  // The module arrives late, so that init waits for it with the rejected promise in hand.
  await page.route('**/sdk/wayline_bg.wasm', async (route) => { await new Promise((r) => setTimeout(r, 300)); return route.continue(); });
  await page.goto(env.collector.url + '/late-init.html');
  await page.evaluate(() => { wayline.init({ writeKey: 'wk_demo', autoPage: false, config: '/segments-config.json', configResponse: Promise.reject(new TypeError('offline')) }); });
  await ready(page);
  await page.waitForFunction(() => window.configResult);
  assert.deepEqual(await page.evaluate(() => window.configResult), { ok: false, source: 'network' });
  assert.match(log.warnings.find((w) => w.includes('config_unavailable')) || '', /network error/);
  assert.deepEqual(log.errors, []);

  // The same through the stub, before the loader has arrived.
  await page.route('**/sdk/wayline.js', async (route) => { await new Promise((r) => setTimeout(r, 300)); return route.continue(); });
  await page.goto(env.collector.url + '/late-init.html', { waitUntil: 'commit' });
  await page.waitForFunction(() => window.wayline && window.wayline.stub);
  await page.evaluate(() => { wayline.init({ writeKey: 'wk_demo', autoPage: false, config: '/segments-config.json', configResponse: Promise.reject(new TypeError('offline')) }); });
  await ready(page);
  await page.waitForFunction(() => window.configResult);
  assert.deepEqual(log.errors, []);
  await context.close();
});

test('init takes a config response the page requested itself, and makes its own request when that is not one', async () => {
  const { page, log, context } = await openPage(env.browser);
  let requests = 0;
  await page.route('**/segments-config.json', (route) => { requests++; return route.continue(); });
  await page.goto(env.collector.url + '/late-init.html');
  // A rejected promise: the SDK reports it as the config being unavailable and does not ask again.
  await page.evaluate(() => wayline.init({ writeKey: 'wk_demo', autoPage: false, config: '/segments-config.json', configResponse: Promise.reject(new TypeError('offline')) }));
  await ready(page);
  await page.waitForFunction(() => window.configResult);
  assert.deepEqual(await page.evaluate(() => window.configResult), { ok: false, source: 'network' });
  assert.equal(requests, 0);
  assert.match(log.warnings.find((w) => w.includes('config_unavailable')) || '', /network error/);

  // Not a promise: ignored, and the SDK requests the config itself.
  await page.reload();
  await page.evaluate(() => wayline.init({ writeKey: 'wk_demo', autoPage: false, config: '/segments-config.json', configResponse: 42 }));
  await ready(page);
  await page.waitForFunction(() => window.configResult);
  assert.deepEqual(await page.evaluate(() => window.configResult), { ok: true, source: 'network' });
  assert.equal(requests, 1);

  // A promise-like object that calls back at once, while the SDK is still starting: its response is used (with
  // no stored copy to start from, the config is in use only once that response is read).
  await page.evaluate(() => localStorage.clear());
  await page.reload();
  await page.evaluate(async () => {
    const response = await fetch('/segments-config.json');
    wayline.init({ writeKey: 'wk_demo', autoPage: false, config: '/segments-config.json', configResponse: { then: (ok) => ok(response) } });
  });
  await ready(page);
  await page.waitForFunction(() => window.configResult);
  assert.deepEqual(await page.evaluate(() => window.configResult), { ok: true, source: 'network' });
  assert.equal(requests, 2, 'the page\'s own request only');

  // A response whose body cannot be read: the request ends there, reported as the config being unavailable.
  await page.evaluate(() => localStorage.clear());
  await page.reload();
  await page.evaluate(() => wayline.init({ writeKey: 'wk_demo', autoPage: false, config: '/segments-config.json', configResponse: Promise.resolve({ status: 200 }) }));
  await ready(page);
  await page.waitForFunction(() => window.configResult);
  assert.deepEqual(await page.evaluate(() => window.configResult), { ok: false, source: 'network' });
  assert.match(log.warnings.filter((w) => w.includes('config_unavailable')).pop() || '', /unreadable body/);
  assert.equal(requests, 2);

  // A body whose promise-like calls back at once, while the SDK reads the response: the text is used.
  await page.evaluate(() => localStorage.clear());
  await page.reload();
  await page.evaluate(async () => {
    const text = await (await fetch('/segments-config.json')).text();
    const body = { then: (ok) => ok(text) };
    wayline.init({ writeKey: 'wk_demo', autoPage: false, config: '/segments-config.json', configResponse: Promise.resolve({ status: 200, headers: { get: () => null }, text: () => body }) });
  });
  await ready(page);
  await page.waitForFunction(() => window.configResult, null, { timeout: 5000 });
  assert.deepEqual(await page.evaluate(() => window.configResult), { ok: true, source: 'network' });
  assert.deepEqual(log.errors, []);
  await context.close();
});

test('two tabs reach a count together: one of them announces the segment, once', async () => {
  const context = await env.browser.newContext();
  const a = await openPage(env.browser, context);
  const b = await openPage(env.browser, context);
  for (const tab of [a, b]) {
    await tab.page.bringToFront();
    await tab.page.goto(env.collector.url + '/tabs-segments.html');
    await ready(tab.page);
    await tab.page.waitForFunction(() => window.configResult);
  }
  // Both may have started before either stored a profile: they settle on one visitor.
  const anonOf = (tab) => tab.page.evaluate(() => wayline.anonymousId());
  const deadline = Date.now() + 5000;
  while ((await anonOf(a)) !== (await anonOf(b)) && Date.now() < deadline) await a.page.waitForTimeout(50);
  const anon = await anonOf(a);
  assert.equal(await anonOf(b), anon);

  // The visit's first call starts its session (automatic page views are off), which is stored at once: settled
  // before the views below, whose counts are stored a second after each tab's.
  await a.page.evaluate(() => wayline.track('Visit Started'));
  await a.page.waitForTimeout(1500);
  // One view in B, two in A half a second later: neither tab counts three on its own.
  await b.page.bringToFront();
  await b.page.evaluate(() => wayline.track('Product Viewed', { sku: 'b1' }));
  await b.page.waitForTimeout(500);
  await a.page.bringToFront();
  await a.page.evaluate(() => {
    wayline.track('Product Viewed', { sku: 'a1' });
    wayline.track('Product Viewed', { sku: 'a2' });
  });
  assert.deepEqual(await a.page.evaluate(() => wayline.segments()), []);
  // B's state write (about a second after its view) reaches A, which then holds three; A's write reaches B.
  for (const tab of [a, b]) {
    await tab.page.waitForFunction(() => wayline.segments().includes('browsing'), null, { timeout: 8000 });
  }
  await a.page.waitForTimeout(2500); // any write back, and its merge in the other tab
  // Each page hears of the entry once; one tab reports it (below).
  for (const tab of [a, b]) {
    const enters = await tab.page.evaluate(() => window.notices.filter((n) => n.name === 'segment:enter'));
    assert.equal(enters.length, 1, JSON.stringify(enters));
  }
  for (const tab of [a, b]) {
    await tab.page.bringToFront();
    await tab.page.evaluate(() => wayline.flush());
  }
  await waitForEvents(env.collector, (e) => e.filter(byAnon(anon)).some((x) => x.event === 'Segment Entered'));
  await a.page.waitForTimeout(1000);
  for (const tab of [a, b]) await tab.page.evaluate(() => wayline.flush());
  const events = (await waitForEvents(env.collector, (e) => e.filter(byAnon(anon)).filter((x) => x.event === 'Product Viewed').length === 3)).filter(byAnon(anon));
  assertNoDuplicates(assert, events);
  assert.deepEqual(events.filter((e) => e.event === 'Segment Entered').map((e) => e.properties.segment), ['browsing']);
  for (const tab of [a, b]) assert.deepEqual(tab.log.errors, []);
  await context.close();
});

// The title an app sets before its call is read at the call (as analytics.js reads the page), and reaches the rules
// together with the call's event, as one change: as a page view's new page and its count do. A rule that holds for
// neither the state before nor the state after is not entered and left in between.
test('a title set before a call and the call itself are one change for the rules', async () => {
  const { page, log, context } = await openPage(env.browser);
  await page.goto(env.collector.url + '/manual.html');
  await page.waitForFunction(() => window.wayline && window.wayline.loaded);
  const anon = await page.evaluate(async () => {
    window.notices = [];
    for (const name of ['segment:enter', 'segment:exit']) wayline.on(name, (p) => window.notices.push({ name, ...p }));
    await wayline.init({
      writeKey: 'wk_demo', trackClicks: false,
      config: { segments: { 'first-look': 'page.title == "Pricing" && count("Plan Viewed") < 1', titled: 'page.title == "Pricing"' } },
    });
    // (An app's navigation would record its page view, with this title, before the call: docs/sdk.md.)
    document.title = 'Pricing';
    wayline.track('Plan Viewed');
    return wayline.anonymousId();
  });
  assert.deepEqual(await page.evaluate(() => wayline.segments()), ['titled']);
  assert.deepEqual(await page.evaluate(() => window.notices.map((n) => n.name + ':' + n.segment)), ['segment:enter:titled']);
  await page.evaluate(() => wayline.flush());
  const events = (await waitForEvents(env.collector, (e) => e.filter(byAnon(anon)).some((x) => x.event === 'Plan Viewed'))).filter(byAnon(anon));
  assert.deepEqual(events.filter((e) => e.event?.startsWith('Segment')).map((e) => [e.event, e.properties.segment]), [
    ['Segment Entered', 'titled'],
  ]);
  assert.equal(events.find((e) => e.event === 'Plan Viewed').context.page.title, 'Pricing');
  assert.deepEqual(log.errors, []);
  await context.close();
});

// Time alone ending a window in three tabs at once (docs/sdk.md, "Tabs open at the same time"). The tabs' clocks
// are Playwright's: installed on the context before the first page, so every page runs on it, then paused at one
// instant in every page together and run forward in small steps, with a real pause after each so that what one tab
// stores reaches the others (the `storage` event) before their clocks go further, as it would in real time. Web
// Locks and `storage` events are the browser's own. Headless Chromium shows every page as visible: a tab is hidden
// as the browser would hide it, through the document's state (read by the SDK as `document.visibilityState`) and,
// for a tab hidden after its start, its `visibilitychange`.
const hideScript = () =>
  Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });

async function hide(page) {
  await page.evaluate(() => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
    document.dispatchEvent(new Event('visibilitychange', { bubbles: true }));
  });
}

/** Tabs of segments.html in one context on a fake clock: the first one opened holds the sender lock (checked, not
 *  assumed). `startHidden` names the tabs opened in the background (hidden from their first script on). */
async function tabsOnOneClock(names, { startHidden = [] } = {}) {
  const context = await env.browser.newContext();
  await context.clock.install({ time: Date.now() });
  const tabs = {};
  for (const name of names) {
    const tab = await openPage(env.browser, context);
    if (startHidden.includes(name)) await tab.page.addInitScript(hideScript);
    // Each tab's URL names it, and so does the context of each event it sends.
    await tab.page.goto(env.collector.url + '/segments.html?tab=' + name);
    await ready(tab.page);
    await tab.page.waitForFunction(() => window.configResult);
    await tab.page.waitForFunction(() => localStorage.getItem('wayline:wk_demo:profile'));
    // Each tab holds a lock named after it, to tell which page holds the SDK's sender lock.
    await tab.page.evaluate((name) => {
      navigator.locks.request('probe:' + name, () => new Promise(() => {}));
      // Every notice with the page's clock reading when the page heard it.
      window.heard = [];
      for (const n of ['segment:enter', 'segment:exit']) {
        wayline.on(n, (p) => window.heard.push({ name: n, segment: p.segment, at: p.at, now: Date.now() }));
      }
    }, name);
    await tab.page.waitForFunction(async () => {
      const { held } = await navigator.locks.query();
      return held.some((l) => l.name === 'wayline:wk_demo:sender');
    });
    tabs[name] = tab;
  }
  const first = tabs[names[0]].page;
  await first.waitForFunction(async (n) => (await navigator.locks.query()).held.filter((l) => l.name.startsWith('probe:')).length === n, names.length);
  const { held } = await first.evaluate(() => navigator.locks.query());
  const sender = held.find((l) => l.name === 'wayline:wk_demo:sender').clientId;
  assert.equal(held.find((l) => l.name === 'probe:' + names[0]).clientId, sender, `${names[0]} is the sending tab`);
  const anon = await first.evaluate(() => wayline.anonymousId());
  for (const name of names) assert.equal(await tabs[name].page.evaluate(() => wayline.anonymousId()), anon);
  for (const name of startHidden) assert.equal(await tabs[name].page.evaluate(() => document.visibilityState), 'hidden');
  return { context, tabs, anon };
}

/** Runs every page's clock `ms` forward, `step` ms at a time, pausing `pause` ms of real time after each step. */
async function runClock(context, ms, step, pause = 25) {
  for (let done = 0; done < ms; done += step) {
    await context.clock.runFor(Math.min(step, ms - done));
    await sleep(pause);
  }
}

/** Pauses every page's clock at one instant, a second ahead of them all; resolves to that instant. */
async function pauseTogether(context, tabs) {
  let ahead = 0;
  for (const tab of Object.values(tabs)) ahead = Math.max(ahead, await tab.page.evaluate(() => Date.now()));
  const at = Math.ceil(ahead / 1000) * 1000 + 1000;
  await context.clock.pauseAt(at);
  for (const tab of Object.values(tabs)) assert.equal(await tab.page.evaluate(() => Date.now()), at);
  return at;
}

const exits = (tab) => tab.page.evaluate(() => window.heard.filter((n) => n.segment === 'pricing-curious' && n.name === 'segment:exit'));

/** Every tab sends what it holds; resolves to the visitor's stored events once `expected` page views are in. */
/** Runs the clock 70 s on (past every tab's own re-check), then: each tab heard the enter and the exit once, and
 * the collector stored each once, the exit at `instant` and sent by the tab `reporter`. Closes the context. */
async function assertLeftOnce(context, tabs, anon, instant, reporter) {
  await runClock(context, 70_000, 1000);
  for (const tab of Object.values(tabs)) {
    const heard = await tab.page.evaluate(() => window.heard.map((n) => n.name + ':' + n.segment));
    assert.deepEqual(heard, ['segment:enter:pricing-curious', 'segment:exit:pricing-curious'], 'each tab heard each change once');
    assert.deepEqual(await tab.page.evaluate(() => wayline.segments()), []);
  }
  const events = await flushAll(context, tabs, anon, 2);
  assertNoDuplicates(assert, events);
  assert.deepEqual(events.filter((e) => e.event === 'Segment Entered').map((e) => e.properties.segment), ['pricing-curious']);
  const exited = events.filter((e) => e.event === 'Segment Exited');
  assert.deepEqual(exited.map((e) => e.properties.segment), ['pricing-curious']);
  assert.equal(Date.parse(exited[0].originalTimestamp), instant);
  assert.equal(exited[0].context.page.search, '?tab=' + reporter, 'reported by tab ' + reporter);
  for (const tab of Object.values(tabs)) assert.deepEqual(tab.log.errors, []);
  await context.close();
}

async function flushAll(context, tabs, anon, expected) {
  await context.clock.resume();
  for (const tab of Object.values(tabs)) {
    await tab.page.evaluate(() => {
      wayline.track('Tabs Settled');
      return wayline.flush();
    });
  }
  const n = Object.keys(tabs).length;
  return (await waitForEvents(env.collector, (e) => {
    const mine = e.filter(byAnon(anon));
    return mine.filter((x) => x.event === 'Tabs Settled').length === n && mine.filter((x) => x.type === 'page').length === expected;
  })).filter(byAnon(anon));
}

test('three tabs, one visible: a window ending with no new event is left once, and every tab hears it', async () => {
  // A sends the events and is hidden; B is the visible tab; C is hidden (opened in the background). B reports the
  // exit at the instant; A re-checks 2 s later and C 70 s later, each after taking in the state B stored.
  const { context, tabs, anon } = await tabsOnOneClock(['A', 'B', 'C'], { startHidden: ['C'] });
  const { A, B, C } = tabs;
  await hide(A.page);
  const start = await pauseTogether(context, tabs);
  await B.page.evaluate(() => {
    history.pushState({}, '', '/pricing?tab=B');
    wayline.page();
    wayline.page();
  });
  await runClock(context, 1500, 250);
  for (const tab of [A, B, C]) assert.ok(await tab.page.evaluate(() => wayline.segments().includes('pricing-curious')));
  // The 3 s window lets the first view go at start + 3 s; no tab records anything after the views.
  const instant = start + 3000;
  await runClock(context, 1500 + 4000, 100);
  assert.deepEqual((await exits(B)).map((n) => [n.at, n.now]), [[instant, instant]], 'the visible tab reports it at the instant');
  for (const tab of [A, C]) {
    const heard = await exits(tab);
    assert.equal(heard.length, 1, JSON.stringify(heard));
    assert.equal(heard[0].at, instant, 'the exit keeps the instant it happened');
    assert.ok(heard[0].now < instant + 1000, `heard ${heard[0].now - instant} ms after the instant, in B's stored state`);
  }
  // Past C's own re-check (70 s after the instant), and A's long before it.
  await assertLeftOnce(context, tabs, anon, instant, 'B');
});

test('no tab visible: the sending tab reports a window ending 2 s after it, and the hidden tabs beside it do not again', async () => {
  // A sends the events; B and C were opened in the background. All three are hidden when the window ends: A
  // re-checks it 2 s later and reports it; B and C take in what A stored and, at their own re-check 70 s after
  // the instant, find nothing left to report.
  const { context, tabs, anon } = await tabsOnOneClock(['A', 'B', 'C'], { startHidden: ['B', 'C'] });
  const { A, B, C } = tabs;
  await hide(A.page);
  const start = await pauseTogether(context, tabs);
  // The views are recorded in C, a tab that does not send: what it records reaches A through its log and state.
  await C.page.evaluate(() => {
    history.pushState({}, '', '/pricing?tab=C');
    wayline.page();
    wayline.page();
  });
  await runClock(context, 1500, 250);
  for (const tab of [A, B, C]) assert.ok(await tab.page.evaluate(() => wayline.segments().includes('pricing-curious')));
  const instant = start + 3000;
  await runClock(context, 1500 + 1900, 100);
  for (const tab of [A, B, C]) assert.deepEqual(await exits(tab), [], 'no hidden tab reports it at the instant');
  await runClock(context, 1100, 100);
  const [byA] = await exits(A);
  assert.ok(byA, 'the sending tab reported it');
  assert.equal(byA.at, instant, 'the exit keeps the instant it happened');
  // Its re-check is a timer of its own, 2 s after the instant (which tab sent the exit is checked below).
  assert.ok(byA.now >= instant + 2000 && byA.now < instant + 2250, `reported ${byA.now - instant} ms after the instant`);
  await runClock(context, 1000, 100);
  for (const tab of [B, C]) {
    const heard = await exits(tab);
    assert.equal(heard.length, 1, JSON.stringify(heard));
    assert.equal(heard[0].at, instant);
    // A hidden tab writes its change at once: B and C hear it from A's stored state, before their clocks move on.
    // (Playwright runs the pages' clocks one after another, so a tab may take in A's write before its own clock
    // has made the step A's made: one step, 100 ms, earlier.)
    const after = heard[0].now - byA.now;
    assert.ok(after >= -100 && after < 1000, `heard ${after} ms after A`);
  }
  // Past B's and C's own re-check, 70 s after the instant.
  await assertLeftOnce(context, tabs, anon, instant, 'A');
});
