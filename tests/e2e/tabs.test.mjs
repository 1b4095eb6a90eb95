// Tabs of one site open at the same time share the stored profile: what one tab learns about the visitor
// (identify, reset) reaches the others, and no tab's later write undoes it (src/core/profile_merge.rs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { root, openPage, ready, waitForEvents, withCollectorAndBrowser } from './helpers.mjs';

const env = withCollectorAndBrowser({ www: join(root, 'tests', 'e2e', 'site') });

const same = (page, fn, expected) =>
  page.waitForFunction(([fn, expected]) => wayline[fn]() === expected, [fn, expected], { timeout: 5000 });

test('identify and reset in one tab reach the tabs open beside it, and survive their writes', async () => {
  const context = await env.browser.newContext();
  const a = await openPage(env.browser, context);
  const b = await openPage(env.browser, context);
  await a.page.goto(env.collector.url + '/blank.html');
  await b.page.goto(env.collector.url + '/blank.html');
  await ready(a.page);
  await ready(b.page);
  // Both may have started before either stored a profile: they settle on one visitor.
  const anonOf = (tab) => tab.page.evaluate(() => wayline.anonymousId());
  const deadline = Date.now() + 5000;
  while ((await anonOf(a)) !== (await anonOf(b)) && Date.now() < deadline) await a.page.waitForTimeout(50);
  const anon = await anonOf(a);
  assert.equal(await anonOf(b), anon);

  await a.page.evaluate(() => wayline.identify('u-tabs', { plan: 'pro' }));
  await same(b.page, 'userId', 'u-tabs');
  await b.page.evaluate(() => {
    wayline.track('Tracked In B');
    return wayline.flush();
  });
  // B's own profile write (its activity is later) comes after A's, and must keep the identity.
  await b.page.waitForTimeout(1300);
  const c = await openPage(env.browser, context);
  await c.page.goto(env.collector.url + '/blank.html');
  await ready(c.page);
  assert.equal(await c.page.evaluate(() => wayline.userId()), 'u-tabs');
  assert.equal(await c.page.evaluate(() => wayline.anonymousId()), anon);
  await waitForEvents(env.collector, (e) =>
    e.some((x) => x.event === 'Tracked In B' && x.userId === 'u-tabs' && x.anonymousId === anon));

  // Logout in C: A and B are the new anonymous visitor too.
  await c.page.evaluate(() => wayline.reset());
  const fresh = await c.page.evaluate(() => wayline.anonymousId());
  assert.notEqual(fresh, anon);
  await same(a.page, 'anonymousId', fresh);
  await same(b.page, 'anonymousId', fresh);
  assert.equal(await a.page.evaluate(() => wayline.userId()), undefined);
  await a.page.evaluate(() => {
    wayline.track('Tracked In A After Logout');
    return wayline.flush();
  });
  const events = await waitForEvents(env.collector, (e) => e.some((x) => x.event === 'Tracked In A After Logout'));
  const after = events.find((x) => x.event === 'Tracked In A After Logout');
  assert.equal(after.anonymousId, fresh);
  assert.equal(after.userId ?? null, null);
  for (const tab of [a, b, c]) assert.deepEqual(tab.log.errors, []);
  await context.close();
});

test('a tab opened right after the first page of a first visit is the same visitor from its start', async () => {
  // Several links opened together: the second page starts before the first has written its log. The new
  // visitor's id is stored at install, so the second page reads it instead of making a visitor of its own that
  // one of the two tabs would later adopt (its events split between two ids).
  const context = await env.browser.newContext();
  const a = await openPage(env.browser, context);
  await a.page.goto(env.collector.url + '/blank.html');
  await ready(a.page);
  const b = await openPage(env.browser, context);
  await b.page.goto(env.collector.url + '/blank.html');
  await ready(b.page);
  const anon = await a.page.evaluate(() => wayline.anonymousId());
  assert.equal(await b.page.evaluate(() => wayline.anonymousId()), anon);
  for (const tab of [a, b]) {
    await tab.page.evaluate(() => {
      wayline.track('Opened Together');
      return wayline.flush();
    });
  }
  const events = await waitForEvents(env.collector, (e) => e.filter((x) => x.event === 'Opened Together' && x.anonymousId === anon).length === 2);
  // Both pages' first views belong to the visitor.
  assert.equal(events.filter((x) => x.type === 'page' && x.anonymousId === anon).length, 2);
  assert.equal(await a.page.evaluate(() => wayline.anonymousId()), anon, 'neither tab adopted another id');
  for (const tab of [a, b]) assert.deepEqual(tab.log.errors, []);
  await context.close();
});

test('a page restored from the back/forward cache takes in what was stored while it was frozen', async () => {
  // A frozen page hears no `storage` events. Chromium keeps pages holding Web Locks out of the cache, so the
  // restore is played by the event itself, after a write the page did not hear (a page's own writes fire no
  // `storage` event in it).
  const context = await env.browser.newContext();
  const { page, log } = await openPage(env.browser, context);
  await page.goto(env.collector.url + '/blank.html');
  await ready(page);
  await page.waitForFunction(() => localStorage.getItem('wayline:wk_demo:profile'));
  const anon = await page.evaluate(() => {
    const key = 'wayline:wk_demo:profile';
    const stored = JSON.parse(localStorage.getItem(key));
    stored.userId = 'u-while-frozen';
    stored.idAt = Date.now();
    localStorage.setItem(key, JSON.stringify(stored));
    return stored.anonymousId;
  });
  await page.evaluate(() => window.dispatchEvent(new PageTransitionEvent('pageshow', { persisted: false })));
  assert.equal(await page.evaluate(() => wayline.userId()), undefined, 'a load\'s pageshow reads nothing');
  await page.evaluate(() => window.dispatchEvent(new PageTransitionEvent('pageshow', { persisted: true })));
  assert.equal(await page.evaluate(() => wayline.userId()), 'u-while-frozen');
  assert.equal(await page.evaluate(() => wayline.anonymousId()), anon);
  assert.deepEqual(log.errors, []);
  await context.close();
});
