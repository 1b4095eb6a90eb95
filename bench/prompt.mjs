// Benchmark: what opening a prompt costs the page's main thread. A `track` call triggers a campaign with a built-in
// prompt (the NPS survey of tests/e2e/site/campaigns-config.json, the first prompt of the visit, in a fresh browser
// context each time); a trace of the main thread shows how long the page's call took and each task that ran in the
// 250 ms after it: the SDK's prompt task (a timer: the prompt's DOM and stylesheet) and the next frame (the focus
// moved in, then the browser's style, layout and paint of the new prompt). SPEC §11 allows no SDK task over 10 ms.
// Prints the medians and the slowest of N runs.
//   node bench/prompt.mjs [N]            js/dist-full (the campaigns page's config is as written)
//   node bench/prompt.mjs [N] --sdk DIR  another build (to compare two builds, run them alternately)
// Needs target/debug/wayline and the SDK build: run the test command once.
import { startCollector, launch, root } from '../tests/e2e/helpers.mjs';
import { join } from 'node:path';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';

const n = Number(process.argv.slice(2).find((a, i, all) => /^\d+$/.test(a) && all[i - 1] !== '--sdk') || 9);
const sdkDir = process.argv.includes('--sdk') ? process.argv[process.argv.indexOf('--sdk') + 1] : join(root, 'js', 'dist-full');
const scratch = mkdtempSync(join(tmpdir(), 'wayline-prompt-'));
const tracePath = join(scratch, 'trace.json');
const collector = await startCollector({ www: join(root, 'tests', 'e2e', 'site'), sdk: sdkDir });
const browser = await launch();

/** One run: the call's duration, the longest task with a timer in it, the longest with an animation frame. */
async function run() {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(collector.url + '/campaigns.html');
  await page.waitForFunction(() => window.configResult);
  await page.waitForTimeout(300);
  await browser.startTracing(page, { path: tracePath, categories: ['toplevel', 'devtools.timeline', 'blink.user_timing'] });
  await page.evaluate(() => {
    performance.mark('wayline-call-start');
    wayline.track('Show nps');
    performance.mark('wayline-call-end');
  });
  await page.locator('wayline-prompt').waitFor({ state: 'attached', timeout: 5000 });
  await page.waitForTimeout(300);
  await browser.stopTracing();
  await context.close();
  const events = JSON.parse(readFileSync(tracePath, 'utf8')).traceEvents;
  const start = events.find((e) => e.name === 'wayline-call-start');
  const end = events.find((e) => e.name === 'wayline-call-end');
  const main = events.filter((e) => e.tid === start.tid && e.ph === 'X');
  const within = (t, name) => main.some((e) => e.name === name && e.ts >= t.ts && e.ts + e.dur <= t.ts + t.dur);
  const tasks = main.filter((e) => e.name === 'ThreadControllerImpl::RunTask' && e.ts > end.ts && e.ts < end.ts + 250000);
  const longest = (name) => Math.max(0, ...tasks.filter((t) => within(t, name)).map((t) => t.dur / 1000));
  return { call: (end.ts - start.ts) / 1000, timer: longest('TimerFire'), frame: longest('FireAnimationFrame') };
}

try {
  const runs = [];
  for (let i = 0; i < n; i++) runs.push(await run());
  const stat = (key) => {
    const v = runs.map((r) => r[key]).sort((a, b) => a - b);
    return `median ${v[Math.floor(v.length / 2)].toFixed(1)} ms, slowest ${v[v.length - 1].toFixed(1)} ms`;
  };
  console.log(`the first prompt of a visit, opened by a track() call; ${n} runs (traced: tracing adds to every figure)`);
  console.log(`the page's track() call:                          ${stat('call')}`);
  console.log(`the longest timer task after it (the prompt built): ${stat('timer')}`);
  console.log(`the next frame (focus moved in, layout, paint):    ${stat('frame')}`);
} finally {
  await browser.close();
  await collector.stop();
  rmSync(scratch, { recursive: true, force: true });
}
