// Benchmark: what reading other tabs' logs costs the sending tab (SPEC §11: no SDK task over 10 ms).
//  1. Two tabs of one site go offline; the second (not the sender) tracks 10,000 events in rounds of 500, so its
//     stored log grows to the queue's bound (about 2 MiB, in parts). Each of its log writes reaches the sender as
//     a storage event, after which the sender reads the parts that changed.
//  2. One tab at the bound, with the collector refusing connections, reloads: the new page is the sender and reads
//     the previous page's whole log.
// Prints, for the reading tab in each case, how many storage-event, timer and lock tasks it ran and the slowest, and
// how many events it holds for sending. Usage:
//   node bench/tabs.mjs            js/dist
// Needs target/debug/wayline and the SDK build: run the test command once.
import { startCollector, launch, openPage, ready, root } from '../tests/e2e/helpers.mjs';
import { join } from 'node:path';
import { timeSdkTasks } from './task_timing.mjs';

const collector = await startCollector({ www: join(root, 'tests', 'e2e', 'site'), sdk: join(root, 'js', 'dist') });
const browser = await launch();
const props = { revenue: 42, currency: 'EUR', items: [{ sku: 'ridge-30', qty: 1 }], coupon: null };

/** Prints the tasks `page` ran since the last call. */
async function report(page, name) {
  const tasks = (await page.evaluate(() => window.__taskMs.splice(0))).sort((a, b) => a - b);
  const median = tasks.length ? tasks[Math.floor(tasks.length / 2)] : 0;
  const slowest = tasks.length ? tasks[tasks.length - 1] : 0;
  const held = await page.evaluate(() => wayline.debugState().queued);
  console.log(`${name}: ${tasks.length} tasks, median ${median.toFixed(1)} ms, slowest ${slowest.toFixed(1)} ms; ` +
    `events held for sending: ${held}`);
}

try {
  const context = await browser.newContext();
  // The SDK reads other tabs' logs in storage-event, timer and Web Lock tasks: all are timed.
  await context.addInitScript(timeSdkTasks);

  const { page: sender } = await openPage(browser, context);
  await sender.goto(collector.url + '/blank.html');
  await ready(sender);
  const { page: other } = await openPage(browser, context);
  await other.goto(collector.url + '/blank.html');
  await ready(other);
  await context.setOffline(true);
  await sender.evaluate(() => window.__taskMs.splice(0));
  for (let round = 0; round < 20; round++) {
    await other.evaluate((props) => { for (let i = 0; i < 500; i++) wayline.track('Offline In Another Tab', props); }, props);
    await other.waitForTimeout(300); // longer than the coalesced log write (250 ms)
  }
  await sender.waitForTimeout(1000);
  const parts = await other.evaluate(() => Object.keys(localStorage).filter((k) => k.includes(':queue:')).length);
  console.log(`log parts in storage: ${parts}`);
  await report(sender, 'the sender, while another tab logs offline');
  await other.close();
  await sender.close();
  await context.setOffline(false);

  const { page } = await openPage(browser, context);
  await page.route('**/v1/batch', (route) => route.abort('connectionrefused'));
  await page.goto(collector.url + '/blank.html');
  await ready(page);
  await page.evaluate((props) => { for (let i = 0; i < 10000; i++) wayline.track('Before The Reload', props); }, props);
  await page.waitForTimeout(1000);
  await page.reload();
  await ready(page);
  await page.waitForFunction(() => wayline.debugState().queued > 7000, null, { timeout: 30000 });
  await page.waitForTimeout(500);
  await report(page, 'the new page, reading the previous page\'s log after a reload');
} finally {
  await browser.close();
  await collector.stop();
}
