// Campaigns as a real site's visitors meet them: several tabs, the back/forward cache, a page left while a delay
// waits (docs/campaigns.md, "Semantics"). Chromium runs with its back/forward cache on (Playwright turns it off by
// default), as in lifecycle.test.mjs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { root, startCollector, launch, openPage, ready, waitForEvents, byAnon, sleep } from './helpers.mjs';

let collector;
let browser;
before(async () => {
  collector = await startCollector({ www: join(root, 'tests', 'e2e', 'site'), sdk: join(root, 'js', 'dist-full') });
  browser = await launch({ backForwardCache: true });
});
after(async () => {
  await browser.close();
  await collector.stop();
});

/** Opens the campaigns page (`query` tells pages apart) in `page` and waits for the config. */
async function load(page, query) {
  await page.goto(collector.url + '/campaigns.html' + query);
  await ready(page);
  await page.waitForFunction(() => window.configResult);
}

const shows = (page) => page.evaluate(() => window.notices.filter((n) => n.name === 'campaign:show').map((n) => n.campaign));

/** The `Campaign Shown` events stored for the visitor, as `campaign page-query`, once `count` are there (and a
 *  moment more, so that one too many would be seen). */
async function storedShows(anon, count) {
  const shown = (e) => e.filter(byAnon(anon)).filter((x) => x.event === 'Campaign Shown');
  await waitForEvents(collector, (e) => shown(e).length >= count);
  await sleep(500);
  return shown(collector.events()).map((e) => `${e.properties.campaign} ${e.context.page.search}`);
}

// The "delayed" campaign of campaigns-config.json: a badge 2 s after `Start Delay`, frequency `always`.
test('a delay waiting in one tab does not also end in a tab opened beside it: one trigger, one prompt', async () => {
  const context = await browser.newContext();
  const a = (await openPage(browser, context)).page;
  await load(a, '?tab=a');
  await a.evaluate(() => wayline.track('Start Delay'));
  await sleep(1200); // the tab's coalesced state write, with the delay waiting
  const b = (await openPage(browser, context)).page;
  await load(b, '?tab=b');
  assert.equal((await b.evaluate(() => wayline.explain('delayed'))).pendingUntil, undefined, 'no delay waits in the new tab');
  await a.locator('wayline-prompt').waitFor({ state: 'attached', timeout: 5000 });
  await sleep(1500);
  assert.deepEqual(await shows(a), ['delayed']);
  assert.deepEqual(await shows(b), [], 'the tab opened beside it shows nothing');
  assert.equal(await b.locator('wayline-prompt').count(), 0);
  const anon = await a.evaluate(() => wayline.anonymousId());
  await a.evaluate(() => wayline.flush());
  await b.evaluate(() => wayline.flush());
  assert.deepEqual(await storedShows(anon, 1), ['delayed ?tab=a']);
  await context.close();
});

// Each tab decides on its own, with the state the other tabs stored: a prompt built in one tab is stored at once
// (not with the next coalesced write, a quarter of a second later), so a tab beside it triggering the same
// campaign a moment later knows it was shown. ("capped": a badge shown once.)
test('a campaign shown once in one tab is not shown again by a tab beside it a moment later', async () => {
  const context = await browser.newContext();
  const [a, b] = [(await openPage(browser, context)).page, (await openPage(browser, context)).page];
  await load(a, '?tab=a');
  await load(b, '?tab=b');
  await sleep(1200); // the tabs' first writes
  await a.evaluate(() => wayline.track('Cap Me'));
  await a.locator('wayline-prompt').waitFor({ state: 'attached', timeout: 2000 });
  await sleep(50);
  await b.evaluate(() => wayline.track('Cap Me'));
  await sleep(500);
  assert.deepEqual([await shows(a), await shows(b)], [['capped'], []]);
  assert.equal(await b.locator('wayline-prompt').count(), 0);
  assert.deepEqual((await b.evaluate(() => wayline.explain('capped'))).reasons.map((r) => r.code), ['shown-once']);
  const anon = await a.evaluate(() => wayline.anonymousId());
  await a.evaluate(() => wayline.flush());
  await b.evaluate(() => wayline.flush());
  assert.deepEqual(await storedShows(anon, 1), ['capped ?tab=a']);
  await context.close();
});

test('a delay handed to the next page ends there, and not again on the page left when Back restores it from the cache', async () => {
  const context = await browser.newContext();
  await context.addInitScript(() => {
    window.restored = 0;
    addEventListener('pageshow', (e) => { if (e.persisted) window.restored += 1; });
  });
  const { page } = await openPage(browser, context);
  await load(page, '?p=1');
  await page.evaluate(() => wayline.track('Start Delay'));
  const due = (await page.evaluate(() => wayline.explain('delayed'))).pendingUntil;
  await sleep(500);
  await load(page, '?p=2');
  assert.equal((await page.evaluate(() => wayline.explain('delayed'))).pendingUntil, due, 'the next page took the delay up');
  await page.locator('wayline-prompt').waitFor({ state: 'attached', timeout: 5000 });
  assert.deepEqual(await shows(page), ['delayed']);
  await page.goBack({ waitUntil: 'commit' });
  await page.waitForFunction(() => document.readyState === 'complete');
  assert.equal(await page.evaluate(() => window.restored), 1, 'Chromium restored the page from the cache');
  await sleep(1500);
  assert.deepEqual(await shows(page), [], 'the page left shows nothing when it comes back');
  assert.equal(await page.locator('wayline-prompt').count(), 0);
  assert.equal((await page.evaluate(() => wayline.explain('delayed'))).pendingUntil, undefined);
  const anon = await page.evaluate(() => wayline.anonymousId());
  await page.evaluate(() => wayline.flush());
  assert.deepEqual(await storedShows(anon, 1), ['delayed ?p=2']);
  await context.close();
});

test('back before the delay ends: the page restored from the cache takes it up again, and it shows once, on time', async () => {
  const context = await browser.newContext();
  const { page } = await openPage(browser, context);
  await load(page, '?q=1');
  await page.evaluate(() => wayline.track('Start Delay'));
  const due = (await page.evaluate(() => wayline.explain('delayed'))).pendingUntil;
  await load(page, '?q=2');
  await page.goBack({ waitUntil: 'commit' });
  await page.waitForFunction(() => document.readyState === 'complete');
  assert.equal((await page.evaluate(() => wayline.explain('delayed'))).pendingUntil, due, 'the delay waits on the page that came back');
  await page.locator('wayline-prompt').waitFor({ state: 'attached', timeout: 5000 });
  assert.ok(Date.now() >= due - 50, 'not before the delay ended');
  assert.deepEqual(await shows(page), ['delayed']);
  const anon = await page.evaluate(() => wayline.anonymousId());
  await page.evaluate(() => wayline.flush());
  assert.deepEqual(await storedShows(anon, 1), ['delayed ?q=1']);
  await context.close();
});
