// Benchmark: the cost of `wayline.track` on the main thread in headless Chromium, against the real collector.
// Prints median, p95 and p99 per call over N calls (default 5000) after a warm-up, and checks that every event
// was delivered. Usage:
//   node bench/track.mjs [N]              js/dist, no config
//   node bench/track.mjs [N] --segments   js/dist-segments with the demo store's config (www/demo-config.json)
//                                         and 10,000 events of history first (SPEC §11's setting)
//   node bench/track.mjs [N] --offline    js/dist, offline with the queue at its bound (10,000 events waiting),
//                                         so every call also drops the oldest event (the worst case of a long
//                                         offline spell); reports the drops instead of delivery
//   node bench/track.mjs [N] --own-context  every call gives a context of its own (analytics.js's `options.context`,
//                                         a different one each time); with --offline, 10,000 such messages wait
// Also prints the longest SDK task (timers: coalesced storage writes, batch sends; storage events; locks) during the
// calls and the two seconds after them (SPEC §11: no SDK task over 10 ms).
// Needs target/debug/wayline and the SDK builds: run the test command once.
import { startCollector, launch, openPage, ready, waitForEvents, root } from '../tests/e2e/helpers.mjs';
import { join } from 'node:path';
import { timeSdkTasks } from './task_timing.mjs';
import { execFileSync } from 'node:child_process';

const n = Number(process.argv.find((a) => /^\d+$/.test(a)) || 5000);
const segments = process.argv.includes('--segments');
const offline = process.argv.includes('--offline');
const ownContext = process.argv.includes('--own-context');
const collector = await startCollector({
  www: join(root, 'tests', 'e2e', 'site'),
  sdk: join(root, 'js', segments ? 'dist-segments' : 'dist'),
});
const browser = await launch();
try {
  const { page, context } = await openPage(browser);
  // The SDK does its deferred work (storage writes, sends) in its own tasks: each is timed.
  await page.addInitScript(timeSdkTasks);
  // The demo store's config, compiled as the collector serves it, so the benchmark measures the real one.
  if (segments) {
    const compiled = execFileSync(join(root, 'target', 'debug', 'wayline'), ['compile', join(root, 'www', 'demo-config.json')], { encoding: 'utf8' });
    await page.route('**/demo/demo-config.json', (route) => route.fulfill({ contentType: 'application/json', body: compiled }));
  }
  await page.goto(collector.url + (segments ? '/bench-segments.html' : '/blank.html'));
  await ready(page);
  if (segments) await page.waitForFunction(() => wayline.stage('lifecycle') !== undefined);
  if (offline) await context.setOffline(true);
  const result = await page.evaluate(async ({ n, history, offline, ownContext }) => {
    const props = { revenue: 42, currency: 'EUR', items: [{ sku: 'ridge-30', qty: 1 }], coupon: null };
    // With --own-context, each call's message has a context of its own.
    let calls = 0;
    const track = (name) => {
      const i = calls++;
      if (!ownContext) return wayline.track(name, props);
      wayline.track(name, props, { context: { ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` } });
    };
    // History: page views, products added and orders, as a long-time visitor would have.
    for (let i = 0; i < history; i++) {
      if (i % 10 === 0) wayline.page();
      else wayline.track(i % 3 ? 'Product Added' : 'Order Completed', props);
      if (i % 500 === 499 && !offline) await wayline.flush();
    }
    // Offline, the warm-up fills the queue to its bound (10,000 events): every later call drops the oldest.
    for (let i = 0; i < (offline ? 10000 : 500); i++) track('Warm Up');
    if (!offline) await wayline.flush();
    // performance.now() is coarse (100 µs) outside cross-origin isolation, so calls are timed in chunks of 50:
    // each sample is the mean cost of one call within its chunk, including the batch sends those calls start.
    const chunk = 50;
    const samples = [];
    window.__taskMs = [];
    let slowest = 0;
    const started = performance.now();
    for (let i = 0; i < n; i += chunk) {
      const t0 = performance.now();
      for (let j = 0; j < chunk; j++) track('Benchmark Event');
      const dt = performance.now() - t0;
      slowest = Math.max(slowest, dt);
      samples.push(dt / chunk);
    }
    const total = performance.now() - started;
    if (!offline) await wayline.flush();
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const slowestSdkTask = Math.max(0, ...window.__taskMs);
    samples.sort((a, b) => a - b);
    const q = (p) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))] * 1000;
    return {
      median: q(0.5), p95: q(0.95), p99: q(0.99), slowestChunkMs: slowest, slowestSdkTask, sdkTasks: window.__taskMs.length, mean: (total / n) * 1000,
      segments: wayline.segments(), stage: wayline.stage('lifecycle'), state: wayline.debugState(),
    };
  }, { n, history: segments ? 10000 : 0, offline, ownContext });
  const f = (x) => x.toFixed(1).padStart(7);
  console.log(`track() x ${n} in headless Chromium, µs per call (chunks of 50 calls)` +
    (segments ? `, demo config, 10,000 events of history (segments: ${result.segments.join(', ')}; stage: ${result.stage})` : '') +
    (offline ? ', offline with the queue at its bound' : '') + (ownContext ? ', a context of its own on every call' : ''));
  console.log(`median ${f(result.median)}  mean ${f(result.mean)}  p95 ${f(result.p95)}  p99 ${f(result.p99)}`);
  console.log(`slowest chunk of 50 calls: ${result.slowestChunkMs.toFixed(1)} ms`);
  console.log(`slowest SDK task (timers, storage events, locks): ${result.slowestSdkTask.toFixed(1)} ms (of ${result.sdkTasks})`);
  if (offline) {
    const { queued, droppedOverflow } = result.state;
    console.log(`waiting: ${queued} events; dropped at the bound: ${droppedOverflow}`);
  } else {
    const stored = await waitForEvents(collector, (e) => e.filter((x) => x.event === 'Benchmark Event').length >= n, 30000);
    const delivered = stored.filter((x) => x.event === 'Benchmark Event').length;
    console.log(`delivered: ${delivered} of ${n}`);
    if (delivered !== n) process.exitCode = 1;
  }
} finally {
  await browser.close();
  await collector.stop();
}
