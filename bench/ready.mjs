// Benchmark: SPEC §11's "ready within 30 ms of the script starting" — from the moment the stub's script tag starts
// to the SDK accepting calls (its `ready` event) and, with --segments, to the demo store's config (compiled, as the
// collector serves it) being in use (its `config` event). Each load is a fresh browser context (nothing cached:
// a first visit) or a reload in the same context (a later page of the visit: HTTP and code caches warm). Prints the
// median and the slowest of N loads of each. Usage:
//   node bench/ready.mjs [N]              js/dist
//   node bench/ready.mjs [N] --segments   js/dist-segments with the demo config
//   node bench/ready.mjs [N] --latency MS each response of the SDK's files (stub, loader, module) held MS first,
//                                         as a network's round trip would (loopback has next to none)
//   node bench/ready.mjs [N] --sdk DIR    another build's files (to compare two builds, run them alternately)
// Also prints where a first visit's time goes (medians, ms from the script tag): when the loader, the module and the
// config were requested and had arrived, and when compiling and instantiation started and ended.
// Needs target/debug/wayline and the SDK builds: run the test command once.
import { startCollector, launch, root } from '../tests/e2e/helpers.mjs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';

const n = Number(process.argv.slice(2).find((a, i, all) => /^\d+$/.test(a) && all[i - 1] !== '--latency') || 21);
const segments = process.argv.includes('--segments');
const latency = process.argv.includes('--latency') ? Number(process.argv[process.argv.indexOf('--latency') + 1]) : 0;
const sdkDir = process.argv.includes('--sdk') ? process.argv[process.argv.indexOf('--sdk') + 1] : null;
const site = join(root, 'tests', 'e2e', 'site');
const compiled = segments
  ? execFileSync(join(root, 'target', 'debug', 'wayline'), ['compile', join(root, 'www', 'demo-config.json')], { encoding: 'utf8' })
  : null;
// The compiled config is served as a file next to the pages, as a CDN would serve it. (Answering it through
// Playwright's request interception instead would route every request of the page through the test driver,
// which delays the SDK's own files by several milliseconds.)
const scratch = compiled ? mkdtempSync(join(tmpdir(), 'wayline-ready-')) : null;
if (scratch) {
  cpSync(site, scratch, { recursive: true });
  mkdirSync(join(scratch, 'demo'));
  writeFileSync(join(scratch, 'demo', 'demo-config.json'), compiled);
}
const collector = await startCollector({
  www: scratch || site,
  sdk: sdkDir || join(root, 'js', segments ? 'dist-segments' : 'dist'),
});
const browser = await launch();

/** The load's time to ready, or null when it was not ready within 10 s (counted and printed, not hidden). */
async function load(page) {
  const ready = await page
    .waitForFunction((segments) => window.__ready && (!segments || window.__config), segments, { timeout: 10000 })
    .then(() => true, () => false);
  if (!ready) return null;
  return page.evaluate((segments) => Math.max(window.__ready, segments ? window.__config : 0) - window.__scriptStart, segments);
}

/** Marks when the module's compiling (the stub's `compileStreaming`) and instantiation start and end (before any
 * page script runs). */
function markInstantiation() {
  const marks = { compileStreaming: 'compile', instantiate: 'instantiate', instantiateStreaming: 'instantiate' };
  for (const [name, what] of Object.entries(marks)) {
    const original = WebAssembly[name];
    WebAssembly[name] = function (...args) {
      performance.mark(`${what} started`);
      return original.apply(this, args).then((result) => {
        performance.mark(`${what} ended`);
        return result;
      });
    };
  }
}

/** The first visit's phases: resource timings of the SDK's files and the config, the marks, ready and config. */
function phases(page) {
  return page.evaluate(() => {
    const t0 = window.__scriptStart;
    const out = {};
    for (const e of performance.getEntriesByType('resource')) {
      const file = e.name.split('?')[0].split('/').pop();
      if (!/^wayline\.js$|^wayline_bg\.wasm$|config/.test(file)) continue;
      out[`${file} requested`] = e.startTime - t0;
      out[`${file} arrived`] = e.responseEnd - t0;
    }
    for (const m of performance.getEntriesByType('mark')) out[m.name] = m.startTime - t0;
    out.ready = window.__ready - t0;
    if (window.__config) out['config in use'] = window.__config - t0;
    return out;
  });
}

try {
  const url = collector.url + (segments ? '/ready-segments.html' : '/ready.html');
  const breakdown = [];
  const cold = [];
  const warm = [];
  for (let i = 0; i < n; i++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    if (latency) await page.route('**/sdk/**', async (route) => { await new Promise((r) => setTimeout(r, latency)); return route.continue(); });
    await page.addInitScript(markInstantiation);
    await page.goto(url);
    cold.push(await load(page));
    if (cold[cold.length - 1] !== null) breakdown.push(await phases(page));
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
  console.log('first visit, medians (ms from the script tag):');
  const names = [...new Set(breakdown.flatMap(Object.keys))];
  const median = (name) => {
    const v = breakdown.map((b) => b[name]).filter((x) => x !== undefined).sort((a, b) => a - b);
    return v[Math.floor(v.length / 2)];
  };
  for (const name of names.sort((a, b) => median(a) - median(b))) {
    console.log(`  ${name.padEnd(32)} ${median(name).toFixed(1)}`);
  }
} finally {
  await browser.close();
  await collector.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
}
