// Prerendered pages (speculation rules; Chrome also prerenders what the address bar predicts) run their scripts
// before the visitor sees them, and may never be shown. The SDK starts when the page is shown: a page never shown
// records nothing, and one shown records its page view then, once.
//
// Chromium does not prerender while DevTools is attached (`PrerenderingDisabledByDevTools`), which is how
// Playwright drives it, so these pages are loaded by a headless Chromium started here without it. A probe script
// on the prerendered page (tests/e2e/site/prerender-probe.js) posts to the collector by itself, so the test knows the
// browser did prerender the page.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { randomUUID } from 'node:crypto';
import { root, startCollector, waitForEvents } from './helpers.mjs';

let collector;
before(async () => {
  collector = await startCollector({ www: join(root, 'tests', 'e2e', 'site') });
});
after(async () => {
  await collector.stop();
});

/** Opens `url` in a headless Chromium without DevTools; resolves with a function that closes it. */
function openHeadless(url) {
  const profile = mkdtempSync(join(tmpdir(), 'wayline-prerender-'));
  const browser = spawn('/usr/bin/chromium', [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    `--user-data-dir=${profile}`, url,
  ], { stdio: 'ignore', detached: true });
  return async () => {
    const exited = new Promise((r) => browser.once('exit', r));
    // The whole process group: the browser's renderer and utility processes too.
    process.kill(-browser.pid, 'SIGKILL');
    await exited;
    rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  };
}

const ofRun = (run) => (e) => JSON.stringify(e.properties || {}).includes(run) || (e.context?.page?.search || '').includes(run);

// The visitor goes elsewhere: the prerendered page is discarded, and the page they go to (with the SDK, in the
// same browser profile) sends what is queued, also what another page of the site left in storage.
test('a prerendered page that is never shown records nothing', { timeout: 30000 }, async () => {
  const run = randomUUID();
  const close = openHeadless(`${collector.url}/prerender-from.html?run=${run}&away=3000`);
  try {
    const events = (await waitForEvents(collector, (e) => e.some((x) => x.type === 'page' && x.context.page.path === '/blank.html' && ofRun(run)(x))))
      .filter(ofRun(run));
    const probe = events.find((e) => e.event === 'Probe Ran');
    assert.equal(probe.properties.prerendering, true, 'the browser prerendered the page');
    // The page gone to sends within 2 s (flushInterval) of its events: wait past that.
    await new Promise((r) => setTimeout(r, 3000));
    const recorded = collector.events().filter(ofRun(run)).filter((e) => !e.event?.startsWith('Probe'));
    assert.deepEqual(recorded.map((e) => [e.event || e.type, e.context.page.path]), [['page', '/blank.html']],
      'nothing recorded for the page never shown');
  } finally {
    await close();
  }
});

test('a prerendered page records its page view when it is shown, once, and the calls its code made meanwhile', { timeout: 30000 }, async () => {
  const run = randomUUID();
  const close = openHeadless(`${collector.url}/prerender-from.html?run=${run}&go=1500`);
  try {
    const events = (await waitForEvents(collector, (e) => e.filter(ofRun(run)).length >= 4)).filter(ofRun(run));
    await new Promise((r) => setTimeout(r, 2500));
    const all = collector.events().filter(ofRun(run));
    const probe = all.find((e) => e.event === 'Probe Ran');
    assert.equal(probe.properties.prerendering, true, 'the browser prerendered the page');
    const shown = all.find((e) => e.event === 'Probe Shown');
    assert.ok(shown, 'and showed it');
    const sdk = all.filter((e) => !e.event?.startsWith('Probe'));
    assert.deepEqual(sdk.map((e) => e.event || e.type), ['page', 'Page Code Ran'], JSON.stringify(events.map((e) => e.event || e.type)));
    // The client's clock, for both (`timestamp` is corrected for skew where the message had a `sentAt`).
    const at = (e) => Date.parse(e.originalTimestamp || e.timestamp);
    assert.ok(at(sdk[0]) >= at(shown) - 50, `the page view is recorded when the page is shown (${at(sdk[0]) - at(probe)} ms after the probe ran)`);
  } finally {
    await close();
  }
});
