// Benchmark: the wasm code a first visit runs up to ready (and, with --segments, until the demo config is in use),
// and what compiling it costs. Chromium compiles a module's functions lazily, each on its first call, on the main
// thread (V8's Liftoff): the functions the start calls are compiled while the page waits for the SDK, so their size
// is part of SPEC §11's time to ready. Prints, over N first visits (fresh browser contexts), the median number of
// functions compiled, their bytes and the compile time V8 reports, and the largest of them by name.
//   node bench/startup-compile.mjs [N]              js/dist
//   node bench/startup-compile.mjs [N] --segments   js/dist-segments with the demo config in use
// The module served is the build's own with its function names kept (wasm-opt -g over the same passes, as
// js/size-breakdown.mjs does, without the build's function ordering): the same code, named. V8 reports each
// compiled function with --trace-wasm-compilation-times on the browser's standard output.
// Needs target/debug/wayline and the SDK build: run the test command once.
import { chromium } from 'playwright-core';
import { startCollector, root } from '../tests/e2e/helpers.mjs';
import { sections, reader, customName } from '../js/wasm-read.mjs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';

const n = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) || 5);
const segments = process.argv.includes('--segments');
const scratch = mkdtempSync(join(tmpdir(), 'wayline-startup-'));
const sdk = join(scratch, 'sdk');
cpSync(join(root, 'js', segments ? 'dist-segments' : 'dist'), sdk, { recursive: true });
const features = readFileSync(join(root, 'scripts', 'wasm-opt-features'), 'utf8').trim().split(/\s+/);
execFileSync(join(root, 'node_modules', '.bin', 'wasm-opt'), [
  '-Oz', '-g', ...features, '--low-memory-unused', '--flatten', '--rereloop', '-Oz', '-Oz',
  '--strip-producers', '--strip-target-features', '--minify-imports-and-exports-and-modules',
  join(root, 'target', segments ? 'wasm-pkg-segments' : 'wasm-pkg', 'wayline_bg.wasm'), '-o', join(sdk, 'wayline_bg.wasm'),
]);
const names = new Map();
for (const { id, payload } of sections(readFileSync(join(sdk, 'wayline_bg.wasm')))) {
  if (id !== 0 || customName(payload) !== 'name') continue;
  const r = reader(payload);
  r.name();
  while (r.pos < payload.length) {
    const sub = r.byte();
    const end = r.leb() + r.pos;
    if (sub === 1) for (let k = r.leb(); k > 0; k--) names.set(r.leb(), r.name());
    r.pos = end;
  }
}
const site = join(scratch, 'site');
cpSync(join(root, 'tests', 'e2e', 'site'), site, { recursive: true });
if (segments) {
  mkdirSync(join(site, 'demo'));
  const compiled = execFileSync(join(root, 'target', 'debug', 'wayline'), ['compile', join(root, 'www', 'demo-config.json')], { encoding: 'utf8' });
  writeFileSync(join(site, 'demo', 'demo-config.json'), compiled);
}
const collector = await startCollector({ www: site, sdk });
const server = await chromium.launchServer({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--js-flags=--trace-wasm-compilation-times'],
});
let out = '';
server.process().stdout.on('data', (d) => (out += d));
const browser = await chromium.connect(server.wsEndpoint());
const runs = [];
try {
  for (let i = 0; i < n; i++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    out = '';
    await page.goto(collector.url + (segments ? '/ready-segments.html' : '/ready.html'));
    await page.waitForFunction((segments) => window.__ready && (!segments || window.__config), segments, { timeout: 10000 });
    // The trace of the last functions arrives on stdout just after.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const compiled = new Map();
    for (const m of out.matchAll(/#(\d+) using Liftoff, took (\d+) μs and \d+ bytes; bodysize (\d+)/g)) {
      compiled.set(Number(m[1]), { us: Number(m[2]), body: Number(m[3]) });
    }
    runs.push(compiled);
    await context.close();
  }
} finally {
  await browser.close();
  await server.close();
  await collector.stop();
  rmSync(scratch, { recursive: true, force: true });
}
const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sum = (m, k) => [...m.values()].reduce((s, f) => s + f[k], 0);
console.log(`functions compiled (Liftoff, main thread) from the script tag to ready${segments ? ' and the demo config in use' : ''}, ` +
  `median of ${n} first visits:`);
console.log(`  ${median(runs.map((m) => m.size))} functions, ${median(runs.map((m) => sum(m, 'body')))} B of code, ` +
  `${(median(runs.map((m) => sum(m, 'us'))) / 1000).toFixed(1)} ms (V8's own timing; the slowest visit ` +
  `${(Math.max(...runs.map((m) => sum(m, 'us'))) / 1000).toFixed(1)} ms)`);
console.log(`  of ${names.size} functions in the module; the largest compiled:`);
const short = (s = '?') => s.replace(/\[[0-9a-f]+\]/g, '').replace(/wayline::/g, '').slice(0, 100);
for (const [index, f] of [...runs[0]].sort((a, b) => b[1].body - a[1].body).slice(0, 12)) {
  console.log(`  ${String(f.body).padStart(7)} B  ${short(names.get(index))}`);
}
