// The page bundled by Vite from the npm package (www/npm-app, built by the test command) loads the wasm the
// bundler emitted and delivers its events.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPage, waitForEvents, withCollectorAndBrowser } from './helpers.mjs';

const env = withCollectorAndBrowser();

test('the Vite-bundled npm page tracks and delivers', async () => {
  const { page, log, context } = await openPage(env.browser);
  const wasmRequests = [];
  page.on('request', (r) => r.url().endsWith('.wasm') && wasmRequests.push(new URL(r.url()).pathname));
  await page.goto(env.collector.url + '/npm-app/dist/index.html');
  await page.waitForFunction(() => document.getElementById('status').textContent.startsWith('ready: '));
  await page.click('#signup');
  const events = await waitForEvents(env.collector, (e) => e.some((x) => x.event === 'Signed Up'));
  const signup = events.find((x) => x.event === 'Signed Up');
  assert.deepEqual(signup.properties, { via: 'npm-app' });
  assert.ok(events.some((x) => x.type === 'page' && x.properties.path === '/npm-app/dist/index.html'));
  assert.equal(wasmRequests.length, 1);
  assert.match(wasmRequests[0], /^\/npm-app\/dist\/assets\/wayline_bg-.*\.wasm$/);
  assert.deepEqual(log.errors, []);
  await context.close();
});

test('importing the package in Node (server-side rendering) is harmless', async () => {
  const mod = await import('wayline');
  assert.equal(typeof mod.wayline.track, 'function');
  mod.wayline.track('Ignored On The Server');
  assert.equal(await mod.wayline.init({ writeKey: 'wk_demo' }), false);
  assert.equal(await mod.wayline.flush(), false);
});
