// The page lifecycle as browsers drive it: the back/forward cache (bfcache) and page freezing (docs/sdk.md,
// "Back/forward cache and frozen pages").
//
// Playwright launches Chromium with `--disable-back-forward-cache`; these tests launch it without that switch
// (`ignoreDefaultArgs`), so that a back navigation restores the page from the cache, and ask Chromium through
// the DevTools protocol why a page was not restored (`Page.backForwardCacheNotUsed`).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { root, startCollector, launch, openPage, ready, waitForEvents, assertNoDuplicates, byAnon } from './helpers.mjs';

let collector;
let browser;
before(async () => {
  collector = await startCollector({ www: join(root, 'tests', 'e2e', 'site') });
  browser = await launch({ backForwardCache: true });
});
after(async () => {
  await browser.close();
  await collector.stop();
});

const MINUTE = 60 * 1000;

/** A page whose `Date.now()` runs ahead by the `skew` stored in `localStorage` (ms), read at each call, so that
 *  another page of the origin can move the clock of a page lying in the cache; and whose bfcache restores are
 *  counted in `window.restored`. */
async function lifecyclePage() {
  const context = await browser.newContext();
  await context.addInitScript(() => {
    const now = Date.now;
    Date.now = () => now.call(Date) + Number(localStorage.getItem('skew') || 0);
    window.restored = 0;
    addEventListener('pageshow', (e) => { if (e.persisted) window.restored += 1; });
  });
  const tab = await openPage(browser, context);
  const cdp = await context.newCDPSession(tab.page);
  await cdp.send('Page.enable');
  tab.notRestored = [];
  cdp.on('Page.backForwardCacheNotUsed', (e) => tab.notRestored.push(e.notRestoredExplanations.map((x) => x.reason)));
  tab.cdp = cdp;
  return tab;
}

/** Goes back, and resolves once the page is there (a restore fires no `load`). */
async function back(page) {
  await page.goBack({ waitUntil: 'commit' });
  await page.waitForFunction(() => document.readyState === 'complete');
}

test('a page with the SDK is restored from the back/forward cache, also when the next page has the SDK', async () => {
  const { page, log, notRestored, context } = await lifecyclePage();
  await page.goto(collector.url + '/blank.html?from=cache-1');
  await ready(page);
  const anon = await page.evaluate(() => wayline.anonymousId());
  await page.evaluate(() => wayline.track('Before Leaving'));
  // Another page of the site, with the SDK: it asks for the locks the cached page held.
  await page.goto(collector.url + '/blank.html?next=cache-1');
  await ready(page);
  await page.evaluate(() => wayline.track('On The Next Page'));
  await back(page);
  assert.deepEqual(notRestored, [], 'Chromium restored the page from the cache');
  assert.equal(await page.evaluate(() => window.restored), 1);

  // The restored page is seen again: a page view, and it goes on recording and sending.
  await page.evaluate(() => wayline.track('After Restore'));
  const events = await waitForEvents(collector, (e) => {
    const mine = e.filter(byAnon(anon));
    return mine.some((x) => x.event === 'After Restore')
      && mine.filter((x) => x.type === 'page' && x.context.page.search === '?from=cache-1').length >= 2;
  });
  const mine = events.filter(byAnon(anon));
  assertNoDuplicates(assert, mine);
  const names = mine.map((e) => (e.type === 'page' ? `page ${e.context.page.search}` : e.event));
  for (const name of ['Before Leaving', 'On The Next Page', 'After Restore']) {
    assert.equal(names.filter((n) => n === name).length, 1, `${name} once: ${names}`);
  }
  assert.equal(names.filter((n) => n === 'page ?from=cache-1').length, 2, `a page view on load and on restore: ${names}`);
  // The restored view comes after the engagement the page sent as it was left.
  const at = (e) => Date.parse(e.originalTimestamp || e.timestamp);
  const views = mine.filter((e) => e.type === 'page' && e.context.page.search === '?from=cache-1').sort((x, y) => at(x) - at(y));
  assert.ok(at(views[1]) >= at(mine.find((e) => e.event === 'On The Next Page')), 'the second view is the restore');
  assert.equal(views[1].context.sessionId, views[0].context.sessionId, 'the session goes on');
  assert.deepEqual(log.errors, []);
  await context.close();
});

test('after a long stay in the cache the restored page starts a new session; the time in the cache is no engaged time', async () => {
  const { page, log, notRestored, context } = await lifecyclePage();
  await page.goto(collector.url + '/blank.html?from=cache-2');
  await ready(page);
  const anon = await page.evaluate(() => wayline.anonymousId());
  await page.mouse.move(10, 10);
  await page.mouse.move(30, 30);
  await page.goto(collector.url + '/blank.html?next=cache-2');
  await ready(page);
  // 31 minutes pass while the first page lies in the cache (sessions end after 30 minutes without a call).
  await page.evaluate((skew) => localStorage.setItem('skew', String(skew)), 31 * MINUTE);
  await back(page);
  assert.deepEqual(notRestored, [], 'Chromium restored the page from the cache');
  await page.mouse.move(40, 40);
  await page.mouse.move(60, 60);
  await page.waitForTimeout(300);
  // Left again: its engagement since the restore.
  await page.goto(collector.url + '/blank.html?again=cache-2');
  await ready(page);
  await page.evaluate(() => wayline.flush());
  const events = await waitForEvents(collector, (e) =>
    e.filter(byAnon(anon)).filter((x) => x.event === 'Page Engagement').length >= 2
    && e.some((x) => x.type === 'page' && x.context.page.search === '?again=cache-2'));
  const mine = events.filter(byAnon(anon));
  assertNoDuplicates(assert, mine);
  const views = mine.filter((e) => e.type === 'page' && e.context.page.search === '?from=cache-2');
  assert.equal(views.length, 2, 'a page view on load and on restore');
  const [first, restored] = views.sort((x, y) => Date.parse(x.originalTimestamp) - Date.parse(y.originalTimestamp));
  assert.notEqual(restored.context.sessionId, first.context.sessionId, 'a new session after 31 minutes');
  for (const e of mine.filter((x) => x.event === 'Page Engagement')) {
    assert.ok(e.properties.engagedMs < 30 * 1000, `no time in the cache counted: ${e.properties.engagedMs} ms`);
  }
  assert.deepEqual(log.errors, []);
  await context.close();
});

// Headless Chromium does not freeze a page that is visible, and every page it shows is (`Page.setWebLifecycleState`
// changes nothing for it): the page's own `freeze` and `resume` events stand in for the browser's here.
test('a frozen tab lets go of its locks, so another tab sends, and comes back as a tab of its own', async () => {
  const context = await browser.newContext();
  const a = await openPage(browser, context);
  await a.page.goto(collector.url + '/blank.html?tab=frozen');
  await ready(a.page);
  const b = await openPage(browser, context);
  await b.page.goto(collector.url + '/blank.html?tab=beside');
  await ready(b.page);
  const anon = await b.page.evaluate(() => wayline.anonymousId());
  const locks = async () => {
    const { held, pending } = await b.page.evaluate(() => navigator.locks.query());
    return { held: held.map((l) => l.name.replace(/:\d+$/, ':N')).sort(), pending: pending.map((l) => l.name) };
  };
  await b.page.waitForFunction(() => navigator.locks.query().then((q) => q.pending.length === 1));
  await a.page.evaluate(() => {
    wayline.track('Before Freeze');
    document.dispatchEvent(new Event('visibilitychange'));
    document.dispatchEvent(new Event('freeze'));
  });
  await b.page.waitForTimeout(200);
  assert.deepEqual(await locks(), { held: ['wayline:wk_demo:sender', 'wayline:wk_demo:tab:N'], pending: [] },
    'the frozen tab holds no lock and waits for none: the other tab is the sender');
  await b.page.evaluate(() => wayline.track('While A Is Frozen'));
  assert.equal(await b.page.evaluate(() => wayline.flush()), true, 'B sends while A is frozen');
  await a.page.evaluate(() => document.dispatchEvent(new Event('resume')));
  await b.page.waitForTimeout(200);
  assert.deepEqual(await locks(), { held: ['wayline:wk_demo:sender', 'wayline:wk_demo:tab:N', 'wayline:wk_demo:tab:N'], pending: ['wayline:wk_demo:sender'] },
    'resumed, it holds a lifetime lock again and waits for the sender lock');
  await a.page.evaluate(() => wayline.track('After Resume'));
  assert.equal(await a.page.evaluate(() => wayline.flush()), true);
  const names = ['Before Freeze', 'While A Is Frozen', 'After Resume'];
  const events = await waitForEvents(collector, (e) => names.every((n) => e.some((x) => x.event === n && x.anonymousId === anon)));
  assertNoDuplicates(assert, events.filter(byAnon(anon)));
  for (const n of names) assert.equal(events.filter((x) => x.event === n).length, 1, n);
  assert.deepEqual(a.log.errors, []);
  assert.deepEqual(b.log.errors, []);
  await context.close();
});

// A page frozen with a batch on the wire: after the resume its queue starts afresh, and the old request's answer,
// which arrives late, is that request's alone. Before, it acknowledged whatever batch the resumed tab had sent by
// then: an event tracked after the resume was dropped as delivered when the old request succeeded, and a flush
// then resolved `true` though the collector never had it. A flush waiting as the page froze resolves `false` (its
// events went to the stored log, for whichever tab sends), not `true` because this tab's queue was emptied.
test('a batch in flight as the page freezes: its late answer acknowledges nothing sent after the resume', async () => {
  const context = await browser.newContext();
  const { page, log } = await openPage(browser, context);
  await page.goto(collector.url + '/blank.html?tab=in-flight');
  await ready(page);
  const anon = await page.evaluate(() => wayline.anonymousId());
  await page.evaluate(() => wayline.flush());
  // Every batch fetch waits until the test answers it; exit beacons go through.
  const held = [];
  let holding = true;
  await page.route('**/v1/batch', (route) => (holding && route.request().resourceType() === 'fetch' ? held.push(route) : route.continue()));
  await page.evaluate(() => {
    wayline.track('Before Freeze');
    window.flushed = wayline.flush();
  });
  for (let i = 0; i < 50 && held.length < 1; i++) await page.waitForTimeout(50);
  assert.equal(held.length, 1, 'the batch is on the wire');
  await page.evaluate(() => document.dispatchEvent(new Event('freeze')));
  await page.evaluate(() => document.dispatchEvent(new Event('resume')));
  assert.equal(await page.evaluate(() => window.flushed), false, 'the waiting flush: its events were handed over, not confirmed');
  await page.evaluate(() => {
    wayline.track('After Resume');
    wayline.flush();
  });
  await page.waitForTimeout(500);
  // The old request succeeds, late; a batch sent since (if any) fails.
  await held[0].continue();
  await page.waitForTimeout(300);
  holding = false;
  for (const route of held.slice(1)) await route.abort('connectionreset');
  assert.equal(await page.evaluate(() => wayline.flush()), true);
  const events = await waitForEvents(collector, (e) => ['Before Freeze', 'After Resume'].every((n) => e.some((x) => x.event === n && x.anonymousId === anon)), 3000);
  assertNoDuplicates(assert, events.filter(byAnon(anon)));
  assert.deepEqual(log.errors.filter((e) => !/ERR_CONNECTION_RESET|Failed to load resource/.test(e)), []);
  await context.close();
});

// A batch on the wire as the page enters the back/forward cache, which the collector refuses (a 4xx with its JSON
// error). The page hands its log over as it is cached; restored, it sends that log again (as whichever tab sends
// would), and that send's refusal is the one `batch_rejected`. The old request's late refusal drops nothing of the
// restored page's queue and says nothing: before, it was reported too, so the one refusal was said twice.
test('a batch refused after the page went into the back/forward cache is reported once', async () => {
  const { page, log, notRestored, context } = await lifecyclePage();
  await context.route('**/e/plain.html', (route) => route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>Plain</title>plain' }));
  await page.goto(collector.url + '/blank.html?from=refused');
  await ready(page);
  await page.evaluate(() => wayline.flush());
  // The first batch fetch waits until the test answers it; every other batch (and exit beacon) is refused.
  const held = [];
  const refused = [];
  const refuse = (route) => route.fulfill({
    status: 400,
    contentType: 'application/json',
    body: JSON.stringify({ error: { code: 'invalid_body', message: 'refused by the test' } }),
  });
  await context.route('**/v1/batch', (route) => {
    if (route.request().resourceType() !== 'fetch') return refuse(route);
    if (held.length === 0) return held.push(route);
    refused.push(JSON.parse(route.request().postData()).batch.map((m) => m.event || m.type));
    return refuse(route);
  });
  await page.evaluate(() => {
    wayline.track('Refused Later');
    wayline.flush();
  });
  for (let i = 0; i < 50 && held.length < 1; i++) await page.waitForTimeout(50);
  assert.equal(held.length, 1, 'the batch is on the wire');
  await page.goto(collector.url + '/e/plain.html');
  await back(page);
  assert.deepEqual(notRestored, [], 'Chromium restored the page from the cache');
  assert.equal(await page.evaluate(() => window.restored), 1);
  // The old request is refused, late; the restored page then sends the log it handed over, which is refused too.
  await refuse(held[0]);
  await page.waitForTimeout(500);
  await page.evaluate(() => wayline.flush());
  const rejected = () => log.warnings.filter((w) => w.includes('(batch_rejected)'));
  for (let i = 0; i < 100 && rejected().length < 1; i++) await page.waitForTimeout(50);
  await page.waitForTimeout(1000);
  assert.ok(refused.some((names) => names.includes('Refused Later')), `the handed-over log is sent again: ${JSON.stringify(refused)}`);
  assert.equal(rejected().length, refused.length, log.warnings.join('\n'));
  assert.match(rejected()[0], /status 400 \(invalid_body: refused by the test\)/);
  await context.close();
});

// A batch on the wire as the page enters the back/forward cache, answered late with a `503` and `Retry-After: 3600`.
// Its events went with the log the page handed over, which the restored page (the sending tab) takes in and sends
// again: that send, and the events tracked since, go as soon as the old request has answered. Before, the late
// answer set its hour's wait (or its backoff, for a `5xx` without `Retry-After` or a network error) on the restored
// page's new queue, and its events waited for nothing.
test('a retry asked for after the page went into the back/forward cache holds back nothing tracked since', async () => {
  const { page, log, notRestored, context } = await lifecyclePage();
  await context.route('**/e/plain.html', (route) => route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>Plain</title>plain' }));
  await page.goto(collector.url + '/blank.html?from=retry-late');
  await ready(page);
  const anon = await page.evaluate(() => wayline.anonymousId());
  await page.evaluate(() => wayline.flush());
  // The first batch fetch waits until the test answers it; every other request goes through.
  const held = [];
  await context.route('**/v1/batch', (route) => (held.length === 0 && route.request().resourceType() === 'fetch' ? held.push(route) : route.continue()));
  await page.evaluate(() => {
    wayline.track('Before Leaving');
    wayline.flush();
  });
  for (let i = 0; i < 50 && held.length < 1; i++) await page.waitForTimeout(50);
  assert.equal(held.length, 1, 'the batch is on the wire');
  await page.goto(collector.url + '/e/plain.html');
  await back(page);
  assert.deepEqual(notRestored, [], 'Chromium restored the page from the cache');
  assert.equal(await page.evaluate(() => window.restored), 1);
  await page.evaluate(() => {
    wayline.track('After Restore');
    window.flushed = wayline.flush();
  });
  await page.waitForTimeout(300);
  await held[0].fulfill({ status: 503, headers: { 'Retry-After': '3600' }, contentType: 'application/json', body: '{}' });
  const flushed = await page.evaluate(() => Promise.race([window.flushed, new Promise((r) => setTimeout(() => r('still waiting'), 5000))]));
  assert.equal(flushed, true, 'the new events were sent without waiting for the old request\'s Retry-After');
  const events = await waitForEvents(collector, (e) => ['Before Leaving', 'After Restore'].every((n) => e.some((x) => x.event === n && x.anonymousId === anon)), 3000);
  assertNoDuplicates(assert, events.filter(byAnon(anon)));
  assert.deepEqual(log.errors.filter((e) => !/503|Failed to load resource/.test(e)), []);
  await context.close();
});

// A page whose send got no answer (a connection reset) and whose retry was on the wire as the page froze: the
// collector answers that request late, after the resume, and so is known to be reachable. A single network error of
// the resumed page's own next send is then retried, as any first one is, and the flush waiting for it resolves `true`
// once the retry gets through. Before, the late answer, not the resumed tab's, left the page counting the failure
// from before the freeze as the first of two sends without an answer, and that flush resolved `false`.
test('a late answer to a request on the wire as the page froze shows the collector reachable', async () => {
  const context = await browser.newContext();
  const { page, log } = await openPage(browser, context);
  await page.goto(collector.url + '/blank.html?tab=late-reachable');
  await ready(page);
  const anon = await page.evaluate(() => wayline.anonymousId());
  await page.evaluate(() => wayline.flush());
  // Batch fetches, in order: reset, held (answered late), reset, then through. Exit beacons go through.
  const held = [];
  let fetches = 0;
  await page.route('**/v1/batch', (route) => {
    if (route.request().resourceType() !== 'fetch') return route.continue();
    fetches += 1;
    if (fetches === 1 || fetches === 3) return route.abort('connectionreset');
    if (fetches === 2) return held.push(route);
    return route.continue();
  });
  await page.evaluate(() => {
    wayline.track('Before Freeze');
    wayline.flush();
  });
  for (let i = 0; i < 100 && held.length < 1; i++) await page.waitForTimeout(50);
  assert.equal(held.length, 1, 'the retry is on the wire');
  await page.evaluate(() => document.dispatchEvent(new Event('freeze')));
  await page.evaluate(() => document.dispatchEvent(new Event('resume')));
  // The collector answers the old request: it is reachable.
  await held[0].continue();
  await page.waitForTimeout(300);
  const flushed = await page.evaluate(() => {
    wayline.track('After Resume');
    return Promise.race([wayline.flush(), new Promise((r) => setTimeout(() => r('still waiting'), 8000))]);
  });
  assert.equal(flushed, true, 'one network error after an answer is retried before flush() gives up');
  assert.equal(fetches, 4, 'one reset of the new send, retried');
  const events = await waitForEvents(collector, (e) => ['Before Freeze', 'After Resume'].every((n) => e.some((x) => x.event === n && x.anonymousId === anon)), 3000);
  assertNoDuplicates(assert, events.filter(byAnon(anon)));
  assert.deepEqual(log.errors.filter((e) => !/ERR_CONNECTION_RESET|Failed to load resource/.test(e)), []);
  await context.close();
});
