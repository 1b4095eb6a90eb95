// Benchmark: SPEC §11's "ready within 30 ms of the script starting" — from the moment the stub's script tag starts
// to the SDK accepting calls (its `ready` event) and, with --segments, to the demo store's config (compiled, as the
// collector serves it) being in use (its `config` event). Each load is a fresh browser context (nothing cached:
// a first visit) or a reload in the same context (a later page of the visit: HTTP and code caches warm). Prints the
// median and the slowest of N loads of each. Usage:
//   node bench/ready.mjs [N]              js/dist
//   node bench/ready.mjs [N] --segments   js/dist-segments with the demo config
//   node bench/ready.mjs [N] --latency MS each response of the SDK's files (stub, loader, module) held MS first,
//                                         as a network's round trip would (loopback has next to none)
// Needs target/debug/wayline and the SDK builds: run the test command once.
import { startCollector, launch, root } from '../tests/e2e/helpers.mjs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';

const n = Number(process.argv.slice(2).find((a, i, all) => /^\d+$/.test(a) && all[i - 1] !== '--latency') || 21);
const segments = process.argv.includes('--segments');
const latency = process.argv.includes('--latency') ? Number(process.argv[process.argv.indexOf('--latency') + 1]) : 0;
const collector = await startCollector({
  www: join(root, 'tests', 'e2e', 'site'),
  sdk: join(root, 'js', segments ? 'dist-segments' : 'dist'),
});
const compiled = segments
  ? execFileSync(join(root, 'target', 'debug', 'wayline'), ['compile', join(root, 'www', 'demo-config.json')], { encoding: 'utf8' })
  : null;
const browser = await launch();

/** The load's time to ready, or null when it was not ready within 10 s (counted and printed, not hidden). */
async function load(page) {
  const ready = await page
    .waitForFunction((segments) => window.__ready && (!segments || window.__config), segments, { timeout: 10000 })
    .then(() => true, () => false);
  if (!ready) return null;
  return page.evaluate((segments) => Math.max(window.__ready, segments ? window.__config : 0) - window.__scriptStart, segments);
}

try {
  const url = collector.url + (segments ? '/ready-segments.html' : '/ready.html');
  const cold = [];
  const warm = [];
  for (let i = 0; i < n; i++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    if (compiled) await page.route('**/demo/demo-config.json', (route) => route.fulfill({ contentType: 'application/json', body: compiled }));
    if (latency) await page.route('**/sdk/**', async (route) => { await new Promise((r) => setTimeout(r, latency)); return route.continue(); });
    await page.goto(url);
    cold.push(await load(page));
    await page.reload();
    warm.push(await load(page));
    await context.close();
  }
  const stats = (all) => {
    const s = all.filter((x) => x !== null).sort((a, b) => a - b);
    const missed = all.length - s.length;
    return `median ${s[Math.floor(s.length / 2)].toFixed(1)} ms, slowest ${s[s.length - 1].toFixed(1)} ms` +
      (missed ? `; ${missed} not ready within 10 s` : '');
  };
  console.log(`time from the script tag to ready${segments ? ' with the demo config in use' : ''}` +
    `${latency ? `, ${latency} ms before each SDK response` : ''}, ${n} loads each:`);
  console.log(`first visit (nothing cached): ${stats(cold)}`);
  console.log(`reload (caches warm):         ${stats(warm)}`);
} finally {
  await browser.close();
  await collector.stop();
}
