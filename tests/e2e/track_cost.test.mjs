// What a `track` call asks of the browser on the main thread (SPEC §11: its median cost; `node bench/track.mjs`
// measures the time). Counted rather than timed, so that the checks do not depend on the machine's load.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { root, openPage, ready, withCollectorAndBrowser } from './helpers.mjs';

const env = withCollectorAndBrowser({ www: join(root, 'tests', 'e2e', 'site') });

test('a track call makes no JavaScript string from the module’s text: the names it reads are made once', async () => {
  const { page, context, log } = await openPage(env.browser);
  await page.goto(env.collector.url + '/blank.html');
  await ready(page);
  const made = await page.evaluate(() => {
    // The glue makes a JavaScript string from wasm text with `TextDecoder#decode` (about 1 µs each in Chromium,
    // more than the property read it is made for).
    const props = { revenue: 42, currency: 'EUR', items: [{ sku: 'ridge-30', qty: 1 }], coupon: null };
    wayline.track('Warm Up', props);
    const decode = TextDecoder.prototype.decode;
    const made = [];
    TextDecoder.prototype.decode = function (bytes) {
      const text = decode.call(this, bytes);
      made.push(text);
      return text;
    };
    try {
      for (let i = 0; i < 5; i++) wayline.track('Measured', props);
    } finally {
      TextDecoder.prototype.decode = decode;
    }
    return made;
  });
  assert.deepEqual(made, [], 'strings made during five track calls');
  const state = await page.evaluate(() => wayline.debugState());
  assert.equal(state.queued, 7, 'the page view and the six events wait for their batch');
  assert.deepEqual(log.errors, []);
  await context.close();
});

test('a track call reads only what can change between calls: not the window’s document, which is read once', async () => {
  const { page, context, log } = await openPage(env.browser);
  await page.goto(env.collector.url + '/blank.html');
  await ready(page);
  const reads = await page.evaluate(() => {
    // The SDK reads the page's objects through `Reflect.get` (`convert::prop`): each read crosses into JavaScript.
    const props = { revenue: 42, currency: 'EUR' };
    wayline.track('Warm Up', props);
    const get = Reflect.get;
    const reads = [];
    Reflect.get = function (target, key, ...rest) {
      reads.push(target === window ? `window.${String(key)}` : String(key));
      return get.call(this, target, key, ...rest);
    };
    try {
      for (let i = 0; i < 5; i++) wayline.track('Measured', props);
    } finally {
      Reflect.get = get;
    }
    return reads;
  });
  // `Array.prototype.toJSON` (a Prototype.js page's, see convert::to_json) and `document.title` (apps retitle their
  // views) on each call; `window.document` is the same object for the SDK's life (docs/sdk.md, "Builds").
  assert.deepEqual(reads, Array(5).fill(['toJSON', 'title']).flat());
  const state = await page.evaluate(() => wayline.debugState());
  assert.equal(state.queued, 7, 'the page view and the six events wait for their batch');
  assert.deepEqual(log.errors, []);
  await context.close();
});
