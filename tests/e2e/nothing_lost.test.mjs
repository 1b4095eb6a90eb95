// Persistence, consent and storage failures (SPEC §8): events survive a reload while the collector is unreachable,
// consent decides what is stored and sent, and a full localStorage costs nothing but a warning.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { root, openPage, ready, waitForEvents, assertNoDuplicates, withCollectorAndBrowser, byAnon, waylineKeys } from './helpers.mjs';

const env = withCollectorAndBrowser({ www: join(root, 'tests', 'e2e', 'site') });

test('events tracked while the collector is unreachable survive a reload and are delivered once', async () => {
  const { page, log, context } = await openPage(env.browser);
  // Every request to the ingest API fails, including the page-exit beacons.
  await page.route('**/v1/batch', (route) => route.abort('connectionrefused'));
  await page.goto(env.collector.url + '/blank.html');
  await ready(page);
  const anon = await page.evaluate(() => {
    for (let i = 0; i < 30; i++) wayline.track('Persisted', { i });
    return wayline.anonymousId();
  });
  await page.waitForTimeout(400); // longer than the coalesced queue write (250 ms)
  const stored = await page.evaluate(() => {
    const keys = Object.keys(localStorage).filter((k) => k.startsWith('wayline:wk_demo:queue:'));
    return keys.length === 1 ? localStorage.getItem(keys[0]) : keys.join(',');
  });
  assert.match(stored, /^wayline-queue 1\n/);
  assert.equal(stored.split('\n').filter((l) => l.startsWith('e ')).length, 31);
  await page.unroute('**/v1/batch');
  await page.reload();
  await ready(page);
  await page.evaluate(() => wayline.flush());
  const events = (await waitForEvents(env.collector, (e) => e.filter(byAnon(anon)).length >= 32)).filter(byAnon(anon));
  assertNoDuplicates(assert, events);
  assert.deepEqual(events.filter((e) => e.event === 'Persisted').map((e) => e.properties.i), [...Array(30).keys()]);
  assert.equal(events.filter((e) => e.type === 'page').length, 2, 'one page view per load');
  // The previous page's log is removed once delivered; this page's own log once its events are.
  await page.waitForFunction(() => !Object.keys(localStorage).some((k) => k.startsWith('wayline:wk_demo:queue:')));
  assert.deepEqual(log.errors.filter((e) => !/Failed to load resource|ERR_CONNECTION_REFUSED/.test(e)), []);
  await context.close();
});

test('a long offline log is stored in parts, rewritten part by part, and delivered whole once', async () => {
  const { page, log, context } = await openPage(env.browser);
  await page.route('**/v1/batch', (route) => route.abort('connectionrefused'));
  await page.goto(env.collector.url + '/blank.html');
  await ready(page);
  const pad = 'x'.repeat(1000);
  const anon = await page.evaluate((pad) => {
    for (let i = 0; i < 400; i++) wayline.track('Long Offline', { i, pad });
    return wayline.anonymousId();
  }, pad);
  const parts = () => page.evaluate(() => Object.fromEntries(Object.keys(localStorage)
    .filter((k) => k.startsWith('wayline:wk_demo:queue:')).map((k) => [k, localStorage.getItem(k)])));
  // 400 KB of events: written in parts of about 48 KiB, under one tab's keys `queue:<tab>` and `queue:<tab>~<n>`.
  await page.waitForFunction(() => Object.keys(localStorage).filter((k) => k.startsWith('wayline:wk_demo:queue:')).length >= 8);
  await page.waitForTimeout(600);
  const before = await parts();
  const keys = Object.keys(before).sort((a, b) => a.length - b.length || a.localeCompare(b));
  const tab = keys[0].slice('wayline:wk_demo:queue:'.length);
  assert.ok(keys.length >= 8 && keys.length <= 10, keys.join(', '));
  assert.deepEqual(keys.slice(1), keys.slice(1).map((_, n) => `wayline:wk_demo:queue:${tab}~${n + 1}`));
  for (const text of Object.values(before)) {
    assert.match(text, /^wayline-queue 1\n/);
    assert.ok(text.length < 52 * 1024, `a part of ${text.length} bytes`);
  }
  const count = (all) => Object.values(all).join('').split('\n').filter((l) => l.startsWith('e ')).length;
  assert.equal(count(before), 401, 'every event once across the parts, with the page view');
  // One more event rewrites the last part only.
  await page.evaluate(() => wayline.track('Long Offline', { i: 400 }));
  await page.waitForTimeout(600);
  const after = await parts();
  const changed = keys.filter((k) => after[k] !== before[k]);
  assert.deepEqual(changed, [keys[keys.length - 1]]);
  assert.equal(count(after), 402);
  // A reload online: the previous page's parts are sent whole, once, in order, and removed.
  await page.unroute('**/v1/batch');
  await page.reload();
  await ready(page);
  await page.evaluate(() => wayline.flush());
  const events = (await waitForEvents(env.collector, (e) => e.filter(byAnon(anon)).length >= 403, 20000)).filter(byAnon(anon));
  assertNoDuplicates(assert, events);
  assert.deepEqual(events.filter((e) => e.event === 'Long Offline').map((e) => e.properties.i), [...Array(401).keys()]);
  await page.waitForFunction(() => !Object.keys(localStorage).some((k) => k.startsWith('wayline:wk_demo:queue:')));
  assert.deepEqual(log.errors.filter((e) => !/Failed to load resource|ERR_CONNECTION_REFUSED/.test(e)), []);
  await context.close();
});

test('events that each have a context of their own survive a reload in parts and are delivered with it, once', async () => {
  const { page, log, context } = await openPage(env.browser);
  await page.route('**/v1/batch', (route) => route.abort('connectionrefused'));
  await page.goto(env.collector.url + '/blank.html');
  await ready(page);
  // analytics.js's `context` option on most calls, a different one each time; every fifth call uses the page's.
  const anon = await page.evaluate(() => {
    const pad = 'x'.repeat(200);
    for (let i = 0; i < 600; i++) {
      if (i % 5 === 4) wayline.track('Own Context', { i, pad });
      else wayline.track('Own Context', { i, pad }, { context: { ip: `10.0.${i >> 8}.${i & 255}`, n: i } });
    }
    return wayline.anonymousId();
  });
  await page.waitForFunction(() => Object.keys(localStorage).filter((k) => k.startsWith('wayline:wk_demo:queue:')).length >= 3);
  await page.waitForTimeout(600);
  const stored = await page.evaluate(() => Object.keys(localStorage)
    .filter((k) => k.startsWith('wayline:wk_demo:queue:')).map((k) => localStorage.getItem(k)));
  // Each part names a context once, before the first of its events that uses it.
  for (const text of stored) {
    const declared = new Set();
    for (const line of text.split('\n').slice(1).filter(Boolean)) {
      const [kind, a, , ctx] = line.split(' ');
      if (kind === 'c') {
        assert.ok(!declared.has(a), `context ${a} twice in a part`);
        declared.add(a);
      } else assert.ok(declared.has(ctx), `context ${ctx} used before its line`);
    }
  }
  await page.unroute('**/v1/batch');
  await page.reload();
  await ready(page);
  await page.evaluate(() => wayline.flush());
  const events = (await waitForEvents(env.collector, (e) => e.filter(byAnon(anon)).filter((x) => x.event === 'Own Context').length >= 600, 20000))
    .filter(byAnon(anon)).filter((x) => x.event === 'Own Context');
  assertNoDuplicates(assert, events);
  assert.deepEqual(events.map((e) => e.properties.i), [...Array(600).keys()]);
  for (const e of events) {
    const i = e.properties.i;
    if (i % 5 === 4) {
      assert.equal(e.context.ip, undefined);
      assert.equal(e.context.page.path, '/blank.html');
    } else {
      assert.equal(e.context.ip, `10.0.${i >> 8}.${i & 255}`);
      assert.equal(e.context.n, i);
    }
  }
  assert.deepEqual(log.errors.filter((e) => !/Failed to load resource|ERR_CONNECTION_REFUSED/.test(e)), []);
  await context.close();
});

test('consent pending keeps events in memory only; granted sends what was held', async () => {
  const { page, log, context } = await openPage(env.browser);
  await page.goto(env.collector.url + '/consent.html');
  await ready(page);
  const anon = await page.evaluate(() => {
    wayline.track('Held 1');
    wayline.track('Held 2');
    return wayline.anonymousId();
  });
  await page.waitForTimeout(1200);
  assert.equal(env.collector.events().filter(byAnon(anon)).length, 0, 'nothing sent while pending');
  assert.deepEqual(await waylineKeys(page), [], 'nothing stored while pending');
  assert.equal((await page.evaluate(() => wayline.debugState())).queued, 3);
  // A page that awaits a flush before navigating is not kept waiting while nothing may be sent.
  const whilePending = await page.evaluate(() => Promise.race([wayline.flush(), new Promise((r) => setTimeout(() => r('hung'), 2000))]));
  assert.equal(whilePending, false);
  assert.equal((await page.evaluate(() => wayline.debugState())).queued, 3, 'the events stay queued');
  const granted = await page.evaluate(() => { wayline.consent('granted'); return wayline.flush(); });
  assert.equal(granted, true);
  const events = (await waitForEvents(env.collector, (e) => e.filter(byAnon(anon)).length === 3)).filter(byAnon(anon));
  assert.deepEqual(events.map((e) => e.event || e.type), ['page', 'Held 1', 'Held 2']);
  assert.ok((await waylineKeys(page)).includes('wayline:wk_demo:profile'), 'the profile is stored once granted');
  assert.deepEqual(log.errors, []);
  await context.close();
});

// A tab that is not the sender answers a flush by writing its log and nudging the sender through storage: not while
// consent is pending (nothing is written then) or denied (storage was purged), when the flush answers at once.
test('a flush in a tab that is not the sender writes nothing to storage while consent is pending or denied', async () => {
  const context = await env.browser.newContext();
  const sender = await openPage(env.browser, context);
  await sender.page.goto(env.collector.url + '/blank.html');
  await ready(sender.page);
  const senderLock = async () => (await navigator.locks.query()).held.some((l) => l.name === 'wayline:wk_demo:sender');
  await sender.page.waitForFunction(senderLock);
  const { page, log } = await openPage(env.browser, context);
  await page.goto(env.collector.url + '/consent.html');
  await ready(page);
  assert.ok(await page.evaluate(async () => (await navigator.locks.query()).pending.some((l) => l.name === 'wayline:wk_demo:sender')),
    'this tab waits for the sender lock');
  const flushKey = () => page.evaluate(() => localStorage.getItem('wayline:wk_demo:flush'));
  assert.equal(await page.evaluate(() => { wayline.track('Held'); return wayline.flush(); }), false);
  assert.equal(await flushKey(), null, 'nothing written while pending');
  await page.evaluate(() => wayline.consent('denied'));
  await page.evaluate(() => wayline.flush());
  assert.equal(await flushKey(), null, 'nothing written once denied');
  assert.deepEqual(log.errors, []);
  await context.close();
});

test('a flush while the browser is offline answers false at once; back online, the events are sent', async () => {
  const { page, log, context } = await openPage(env.browser);
  await page.goto(env.collector.url + '/blank.html');
  await ready(page);
  await page.evaluate(() => wayline.flush());
  await context.setOffline(true);
  const offline = await page.evaluate(() => {
    wayline.track('Offline 1');
    return Promise.race([wayline.flush(), new Promise((r) => setTimeout(() => r('hung'), 2000))]);
  });
  assert.equal(offline, false);
  await context.setOffline(false);
  const anon = await page.evaluate(() => wayline.anonymousId());
  assert.equal(await page.evaluate(() => wayline.flush()), true);
  assert.deepEqual(env.collector.events().filter(byAnon(anon)).map((e) => e.event || e.type), ['page', 'Offline 1']);
  assert.ok(log.errors.every((e) => /net::|Failed to load resource/.test(e)), log.errors.join('\n'));
  await context.close();
});

test('events recorded while consent was granted are kept when it turns pending, and sent once it is granted again', async () => {
  const { page, log, context } = await openPage(env.browser);
  await page.route('**/v1/batch', (route) => route.abort('connectionrefused'));
  await page.goto(env.collector.url + '/blank.html');
  await ready(page);
  // Recorded under granted consent, then consent turns pending before the coalesced writes (and the page goes).
  const anon = await page.evaluate(() => {
    wayline.identify('user-before-pending', { plan: 'pro' });
    wayline.track('Before Pending');
    wayline.consent('pending');
    wayline.track('While Pending');
    return wayline.anonymousId();
  });
  await page.unroute('**/v1/batch');
  await page.reload();
  await ready(page);
  assert.equal(await page.evaluate(() => wayline.userId()), 'user-before-pending');
  await page.evaluate(() => wayline.flush());
  const events = (await waitForEvents(env.collector, (e) => e.some((x) => x.event === 'Before Pending' && x.anonymousId === anon))).filter(byAnon(anon));
  assert.deepEqual(events.filter((e) => e.type !== 'page').map((e) => e.event || e.type), ['identify', 'Before Pending']);
  assertNoDuplicates(assert, events);
  assert.deepEqual(log.errors.filter((e) => !/Failed to load resource|ERR_CONNECTION_REFUSED/.test(e)), []);
  await context.close();
});

test('consent pending then denied: nothing delivered, storage purged', async () => {
  const { page, log, context } = await openPage(env.browser);
  // A profile and queue from an earlier, consented visit.
  await page.goto(env.collector.url + '/blank.html');
  await ready(page);
  await page.evaluate(() => wayline.flush());
  await page.route('**/v1/batch', (route) => route.abort('connectionrefused'));
  const oldAnon = await page.evaluate(() => { wayline.track('Queued Earlier'); return wayline.anonymousId(); });
  // The coalesced profile (1 s) and queue (250 ms) writes.
  await page.waitForFunction(() => {
    const keys = Object.keys(localStorage);
    return keys.includes('wayline:wk_demo:profile') && keys.some((k) => k.startsWith('wayline:wk_demo:queue:'));
  });
  await page.goto(env.collector.url + '/consent.html');
  await ready(page);
  const anon = await page.evaluate(() => {
    wayline.track('Never Sent');
    wayline.consent('denied');
    wayline.track('Not Even Recorded');
    return wayline.anonymousId();
  });
  await page.unroute('**/v1/batch');
  assert.notEqual(anon, oldAnon, 'identity purged');
  assert.deepEqual(await waylineKeys(page), []);
  assert.equal((await page.evaluate(() => wayline.debugState())).queued, 0);
  await page.waitForTimeout(1200);
  const all = env.collector.events();
  // ('Queued Earlier' was tracked with consent and may have left with the page-exit beacon; what matters is
  // that nothing recorded after the page started under pending consent leaves the device.)
  assert.equal(all.filter((e) => e.event === 'Never Sent' || e.event === 'Not Even Recorded').length, 0);
  assert.equal(all.filter(byAnon(anon)).length, 0);
  assert.deepEqual(log.errors.filter((e) => !/Failed to load resource|ERR_CONNECTION_REFUSED/.test(e)), []);
  await context.close();
});

test('a localStorage filled to its quota by the host page costs one warning and no event', async () => {
  const { page, log, context } = await openPage(env.browser);
  await page.goto(env.collector.url + '/quota.html');
  assert.equal(await page.evaluate(() => window.quotaFull), true);
  await ready(page);
  const anon = await page.evaluate(() => {
    for (let i = 0; i < 20; i++) wayline.track('Quota', { i });
    return wayline.anonymousId();
  });
  await page.evaluate(() => wayline.flush());
  const events = (await waitForEvents(env.collector, (e) => e.filter(byAnon(anon)).length === 21)).filter(byAnon(anon));
  assertNoDuplicates(assert, events);
  // The first coalesced profile write (after 1 s) meets the full storage; later writes go to memory silently.
  await page.waitForTimeout(1500);
  await page.evaluate(() => wayline.track('After The Warning'));
  await page.waitForTimeout(1500);
  assert.equal(log.warnings.filter((w) => w.includes('storage_write_failed')).length, 1);
  assert.deepEqual(log.errors, []);
  await page.evaluate(() => localStorage.clear());
  await context.close();
});

test('events tracked in the page\'s own pagehide handler, after the SDK\'s, are delivered', async () => {
  const { page, context } = await openPage(env.browser);
  await page.goto(env.collector.url + '/exit-handler.html');
  await ready(page);
  // Registered now, so it runs after the SDK's own pagehide listener.
  await page.addScriptTag({ url: '/exit-handler.js' });
  const anon = await page.evaluate(() => wayline.anonymousId());
  await page.goto(env.collector.url + '/blank.html');
  await ready(page);
  const events = await waitForEvents(env.collector, (e) => e.some((x) => x.event === 'Tracked In Pagehide' && x.anonymousId === anon));
  assertNoDuplicates(assert, events);
  await context.close();
});

test('a localStorage that throws on access leaves the SDK working in memory, with one warning', async () => {
  const context = await env.browser.newContext();
  await context.addInitScript(() => {
    Object.defineProperty(window, 'localStorage', {
      get() {
        throw new DOMException('The operation is insecure.', 'SecurityError');
      },
    });
  });
  const { page, log } = await openPage(env.browser, context);
  await page.goto(env.collector.url + '/blank.html');
  await ready(page);
  const anon = await page.evaluate(() => {
    wayline.track('Memory Only');
    return wayline.anonymousId();
  });
  await page.evaluate(() => wayline.flush());
  await waitForEvents(env.collector, (e) => e.some((x) => x.event === 'Memory Only' && x.anonymousId === anon));
  assert.equal(log.warnings.filter((w) => w.includes('storage_unavailable')).length, 1);
  assert.deepEqual(log.errors, []);
  await context.close();
});

test('corrupt or foreign stored values are discarded with a warning, never a crash', async () => {
  const context = await env.browser.newContext();
  await context.addInitScript(() => {
    if (sessionStorage.getItem('seeded')) return;
    sessionStorage.setItem('seeded', '1');
    localStorage.setItem('wayline:wk_demo:profile', '{"v":1,"anonymousId":');
    localStorage.setItem('wayline:wk_demo:queue:123', 'not a wayline queue');
    localStorage.setItem('wayline:wk_demo:queue:456', 'wayline-queue 1\nc 1 {}\ne 1 5 1 {"type":"track","event":"Broken",\ngarbage line\n');
  });
  const { page, log } = await openPage(env.browser, context);
  await page.goto(env.collector.url + '/blank.html');
  await ready(page);
  const anon = await page.evaluate(() => {
    wayline.track('After Corruption');
    return wayline.anonymousId();
  });
  await page.evaluate(() => wayline.flush());
  const events = await waitForEvents(env.collector, (e) => e.some((x) => x.event === 'After Corruption' && x.anonymousId === anon));
  assert.equal(events.filter((e) => e.event === 'Broken').length, 0);
  const warnings = log.warnings.join('\n');
  assert.match(warnings, /profile_corrupt/);
  assert.match(warnings, /queue_discarded/);
  assert.match(warnings, /events_dropped/);
  assert.deepEqual(log.errors, []);
  await context.close();
});
