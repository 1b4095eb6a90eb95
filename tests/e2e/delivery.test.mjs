// Batching by count and by age, and delivery from the page-exit path (sendBeacon) when the page is left.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { root, openPage, ready, waitForEvents, assertNoDuplicates, withCollectorAndBrowser, sleep, byAnon } from './helpers.mjs';

const env = withCollectorAndBrowser({ www: join(root, 'tests', 'e2e', 'site') });

test('a batch goes out when it reaches flushAt, in the Segment batch shape', async () => {
  const { page, context } = await openPage(env.browser);
  await page.goto(env.collector.url + '/batching.html');
  await ready(page);
  const anon = await page.evaluate(() => {
    wayline.track('One');
    return wayline.anonymousId();
  });
  await sleep(800);
  assert.equal(env.collector.events().filter(byAnon(anon)).length, 0, 'page view + 1 event is below flushAt=3');
  await page.evaluate(() => wayline.track('Two'));
  const events = (await waitForEvents(env.collector, (e) => e.filter(byAnon(anon)).length === 3)).filter(byAnon(anon));
  assert.deepEqual(events.map((e) => e.event || e.type), ['page', 'One', 'Two']);
  assert.equal(new Set(events.map((e) => e.sentAt)).size, 1, 'one batch');
  await context.close();
});

test('a batch goes out when its oldest event reaches flushInterval', async () => {
  const { page, context } = await openPage(env.browser);
  await page.goto(env.collector.url + '/age.html');
  await ready(page);
  const started = Date.now();
  const anon = await page.evaluate(() => {
    wayline.track('Aged');
    return wayline.anonymousId();
  });
  const events = (await waitForEvents(env.collector, (e) => e.some(byAnon(anon)), 5000)).filter(byAnon(anon));
  assert.equal(events.length, 1);
  const waited = Date.parse(events[0].receivedAt) - Date.parse(events[0].originalTimestamp);
  assert.ok(waited >= 600, `sent after ~700 ms, not at once (waited ${waited} ms)`);
  assert.ok(Date.now() - started < 5000);
  await context.close();
});

test('events queued when the page is left are delivered by the page-exit path', async () => {
  const { page, context } = await openPage(env.browser);
  await page.goto(env.collector.url + '/exit.html');
  await ready(page);
  const anon = await page.evaluate(() => {
    for (let i = 0; i < 50; i++) wayline.track('Before Exit', { i, padding: 'x'.repeat(200) });
    return wayline.anonymousId();
  });
  assert.equal((await page.evaluate(() => wayline.debugState())).queued, 51);
  await page.goto('about:blank');
  const events = (await waitForEvents(env.collector, (e) => e.filter(byAnon(anon)).length === 51)).filter(byAnon(anon));
  assertNoDuplicates(assert, events);
  assert.deepEqual(events.filter((e) => e.event).map((e) => e.properties.i), [...Array(50).keys()]);
  await context.close();
});

test('hiding the page (visibilitychange) also hands the queue to sendBeacon', async () => {
  const { page, context } = await openPage(env.browser);
  await page.goto(env.collector.url + '/exit.html');
  await ready(page);
  const anon = await page.evaluate(() => {
    wayline.track('Hidden Soon');
    return wayline.anonymousId();
  });
  await page.evaluate(() => {
    Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));
  });
  const events = (await waitForEvents(env.collector, (e) => e.filter(byAnon(anon)).length === 2)).filter(byAnon(anon));
  assert.deepEqual(events.map((e) => e.event || e.type), ['page', 'Hidden Soon']);
  // Beaconed events stay queued (and stored) until a confirmed send; sending them again stores nothing twice.
  assert.equal((await page.evaluate(() => wayline.debugState())).queued, 2);
  assert.equal(await page.evaluate(() => wayline.flush()), true);
  assert.equal((await page.evaluate(() => wayline.debugState())).queued, 0);
  assert.equal(env.collector.events().filter(byAnon(anon)).length, 2);
  await context.close();
});

test('Retry-After as an HTTP date: the SDK waits until then before sending again', async () => {
  const { page, context } = await openPage(env.browser);
  // The first batch is answered 429 with `Retry-After` three seconds ahead, as a date (RFC 9110's other form).
  await page.addInitScript(() => {
    const real = window.fetch;
    window.batchTimes = [];
    window.fetch = function (url, init) {
      if (!String(url).endsWith('/v1/batch')) return real.apply(this, arguments);
      window.batchTimes.push(Date.now());
      if (window.batchTimes.length > 1) return real.apply(this, arguments);
      const at = new Date(Math.ceil(Date.now() / 1000) * 1000 + 3000).toUTCString();
      window.retryAt = Date.parse(at);
      return Promise.resolve(new Response('{}', { status: 429, headers: { 'Retry-After': at } }));
    };
  });
  await page.goto(env.collector.url + '/manual.html');
  const anon = await page.evaluate(async () => {
    await wayline.init({ writeKey: 'wk_demo', flushInterval: 0, autoPage: false });
    wayline.track('Retried');
    return wayline.anonymousId();
  });
  await waitForEvents(env.collector, (e) => e.some(byAnon(anon)), 15000);
  const { batchTimes, retryAt } = await page.evaluate(() => ({ batchTimes, retryAt }));
  assert.equal(batchTimes.length, 2);
  assert.ok(batchTimes[1] >= retryAt - 50, `sent again ${retryAt - batchTimes[1]} ms before the date it was given`);
  await context.close();
});
