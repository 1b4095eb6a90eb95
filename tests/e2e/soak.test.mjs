// A long visit: tens of thousands of calls of every kind (events with properties, page views, identify,
// listeners added and removed, segments, stages, explain, flushes, clicks, SPA navigations). Neither the wasm
// module's memory nor the JavaScript heap may keep growing with them: a JS value the SDK failed to release, or a
// Rust allocation it never frees, would grow without bound over a visit that lasts all day.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { root, startCollector } from './helpers.mjs';

test('memory stays flat over a long visit', { timeout: 240000 }, async () => {
  const collector = await startCollector({ www: join(root, 'tests', 'e2e', 'site'), sdk: join(root, 'js', 'dist-full') });
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--js-flags=--expose-gc', '--enable-precise-memory-info'],
  });
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    // Keeps the module's memory in reach of the test: the instance the loader gets is otherwise private.
    // (The loader instantiates the module the stub compiled; a response only where that failed.)
    await page.addInitScript(() => {
      for (const name of ['instantiateStreaming', 'instantiate']) {
        const original = WebAssembly[name];
        WebAssembly[name] = async (...args) => {
          const result = await original.apply(WebAssembly, args);
          const instance = result instanceof WebAssembly.Instance ? result : result.instance;
          window.__memory = Object.values(instance.exports).find((e) => e instanceof WebAssembly.Memory);
          return result;
        };
      }
    });
    await page.goto(collector.url + '/soak.html');
    await page.waitForFunction(() => window.wayline && window.wayline.loaded && window.wayline.anonymousId() && window.__memory);
    const round = (n) => page.evaluate(async (n) => {
      const listener = () => {};
      for (let i = 0; i < n; i++) {
        wayline.track('Soak Event', { i, label: 'x'.repeat(i % 50), nested: { list: [i, 'a', null, true] } });
        if (i % 10 === 0) {
          history.pushState({}, '', (i % 20 ? '/pricing/' : '/other/') + i);
          wayline.page();
        }
        if (i % 25 === 0) wayline.identify('user-' + (i % 7), { plan: i % 2 ? 'pro' : 'free', seats: i });
        if (i % 50 === 0) {
          const off = wayline.on('segment:enter', listener);
          wayline.segments();
          wayline.stage('lifecycle');
          wayline.explain('nothing-here');
          off();
          document.getElementById('b').click();
        }
        if (i % 1000 === 999) await wayline.flush();
      }
      await wayline.flush();
      gc();
      await new Promise((r) => setTimeout(r, 300));
      gc();
      return { wasm: window.__memory.buffer.byteLength, heap: performance.memory.usedJSHeapSize };
    }, n);
    const warm = await round(10000);
    const after = await round(30000);
    const longer = await round(30000);
    const mb = (b) => (b / 1048576).toFixed(1) + ' MB';
    console.log(`wasm memory ${mb(warm.wasm)} → ${mb(after.wasm)} → ${mb(longer.wasm)}; ` +
      `JS heap ${mb(warm.heap)} → ${mb(after.heap)} → ${mb(longer.heap)}`);
    // The wasm memory only grows (it is never handed back) but must level off: one 64 KiB page is allowed for the
    // allocator's fragmentation, where a leak of 32 bytes a call would take 15. The JS heap may wobble with GC.
    assert.ok(longer.wasm - after.wasm <= 65536, `wasm memory grew by ${mb(longer.wasm - after.wasm)}`);
    // One leaked value per call, even a 32-byte one, would add about 1 MB over 30,000 calls.
    assert.ok(longer.heap - after.heap < 512 * 1024, `JS heap grew by ${mb(longer.heap - after.heap)}`);
    assert.deepEqual(errors, []);
    const stored = collector.events().filter((e) => e.event === 'Soak Event').length;
    assert.equal(stored, 70000, 'every event delivered');
  } finally {
    await browser.close();
    await collector.stop();
  }
});
