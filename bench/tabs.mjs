// Benchmark: the sending tab's cost of another tab's log. Two tabs of one site go offline; the second (not the
// sender) tracks 10,000 events in rounds of 500, so its stored log grows to the queue's bound (about 2 MiB, in
// parts). Each of its log writes reaches the sender as a storage event, on which the sender reads the parts that
// changed. Prints the slowest of those storage-event tasks in the sender (SPEC §11: no SDK task over 10 ms), how
// many there were, and what each tab holds. Usage:
//   node bench/tabs.mjs            js/dist
// Needs target/debug/wayline and the SDK build: run the test command once.
import { startCollector, launch, openPage, ready, root } from '../tests/e2e/helpers.mjs';
import { join } from 'node:path';

const collector = await startCollector({ www: join(root, 'tests', 'e2e', 'site'), sdk: join(root, 'js', 'dist') });
const browser = await launch();
try {
  const context = await browser.newContext();
  // Every `storage` listener is timed: the SDK reacts to other tabs' writes in that task.
  await context.addInitScript(() => {
    window.__storageTaskMs = [];
    const add = EventTarget.prototype.addEventListener;
    EventTarget.prototype.addEventListener = function (type, fn, options) {
      if (type !== 'storage' || typeof fn !== 'function') return add.call(this, type, fn, options);
      return add.call(this, type, function (event) {
        const t0 = performance.now();
        try { return fn.call(this, event); } finally { window.__storageTaskMs.push(performance.now() - t0); }
      }, options);
    };
  });
  const { page: sender } = await openPage(browser, context);
  await sender.goto(collector.url + '/blank.html');
  await ready(sender);
  const { page: other } = await openPage(browser, context);
  await other.goto(collector.url + '/blank.html');
  await ready(other);
  await context.setOffline(true);
  const props = { revenue: 42, currency: 'EUR', items: [{ sku: 'ridge-30', qty: 1 }], coupon: null };
  for (let round = 0; round < 20; round++) {
    await other.evaluate((props) => { for (let i = 0; i < 500; i++) wayline.track('Offline In Another Tab', props); }, props);
    await other.waitForTimeout(300); // longer than the coalesced log write (250 ms)
  }
  await sender.waitForTimeout(1000);
  const tasks = await sender.evaluate(() => window.__storageTaskMs);
  const held = await sender.evaluate(() => wayline.debugState().queued);
  const parts = await other.evaluate(() => Object.keys(localStorage).filter((k) => k.includes(':queue:')).length);
  const sorted = [...tasks].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  console.log(`sender's storage-event tasks: ${tasks.length}; median ${median.toFixed(1)} ms, slowest ${sorted[sorted.length - 1].toFixed(1)} ms`);
  console.log(`events the sender holds for sending: ${held}; log parts in storage: ${parts}`);
} finally {
  await browser.close();
  await collector.stop();
}
