// Benchmark: the cost of `wayline.track` on the main thread in headless Chromium, against the real collector.
// Prints median, p95, p99 and max per call over N calls (default 5000) after a warm-up, and checks that every event
// was delivered. Usage: node bench/track.mjs [N]   (needs target/debug/wayline and js/dist: run the test command once)
import { startCollector, launch, openPage, ready, waitForEvents, root } from '../tests/e2e/helpers.mjs';
import { join } from 'node:path';

const n = Number(process.argv[2] || 5000);
const collector = await startCollector({ www: join(root, 'tests', 'e2e', 'site') });
const browser = await launch();
try {
  const { page } = await openPage(browser);
  await page.goto(collector.url + '/blank.html');
  await ready(page);
  const result = await page.evaluate(async (n) => {
    const props = { revenue: 42, currency: 'EUR', items: [{ sku: 'ridge-30', qty: 1 }], coupon: null };
    for (let i = 0; i < 500; i++) wayline.track('Warm Up', props);
    await wayline.flush();
    // performance.now() is coarse (100 µs) outside cross-origin isolation, so calls are timed in chunks of 50:
    // each sample is the mean cost of one call within its chunk, including the batch sends those calls start.
    const chunk = 50;
    const samples = [];
    let slowest = 0;
    const started = performance.now();
    for (let i = 0; i < n; i += chunk) {
      const t0 = performance.now();
      for (let j = 0; j < chunk; j++) wayline.track('Order Completed', props);
      const dt = performance.now() - t0;
      slowest = Math.max(slowest, dt);
      samples.push(dt / chunk);
    }
    const total = performance.now() - started;
    await wayline.flush();
    samples.sort((a, b) => a - b);
    const q = (p) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))] * 1000;
    return { median: q(0.5), p95: q(0.95), p99: q(0.99), slowestChunkMs: slowest, mean: (total / n) * 1000 };
  }, n);
  const stored = await waitForEvents(collector, (e) => e.filter((x) => x.event === 'Order Completed').length >= n, 30000);
  const delivered = stored.filter((x) => x.event === 'Order Completed').length;
  const f = (x) => x.toFixed(1).padStart(7);
  console.log(`track() x ${n} in headless Chromium, µs per call (chunks of 50 calls)`);
  console.log(`median ${f(result.median)}  mean ${f(result.mean)}  p95 ${f(result.p95)}  p99 ${f(result.p99)}`);
  console.log(`slowest chunk of 50 calls: ${result.slowestChunkMs.toFixed(1)} ms`);
  console.log(`delivered: ${delivered} of ${n}`);
  if (delivered !== n) process.exitCode = 1;
} finally {
  await browser.close();
  await collector.stop();
}
