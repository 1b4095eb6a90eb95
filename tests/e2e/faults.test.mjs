// Fault-injection suite (SPEC §8 and §11, "nothing lost"): headless Chromium loads the pages through `wayline proxy`,
// which forwards to the real collector and injects faults into the ingest API on demand. Each scenario tracks a known
// number of distinct events (`properties.run` names the scenario's run, `properties.i` — and `properties.tab` with
// many tabs — the event), then reads the database back: every event stored exactly once. A table of the scenarios is
// printed at the end: tracked, expected, stored, duplicates, ingest requests seen by the proxy (and how many of them
// were faulted or held), copies of the events the browser put into requests (at-least-once delivery: retries and
// beacons repeat events; the collector's `messageId` dedupe stores each once), and the time to drain (from the
// first `track` call until the last event's `receivedAt`).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { root, startCollector, startProxy, launch, openPage, ready, sleep, waylineKeys } from './helpers.mjs';

let collector, proxy, browser;
const rows = [];

before(async () => {
  collector = await startCollector({ www: join(root, 'tests', 'e2e', 'site') });
  proxy = await startProxy(collector.url);
  browser = await launch();
});

after(async () => {
  printTable();
  await browser?.close();
  await proxy?.stop();
  await collector?.stop();
});

const newRun = (name) => `${name}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
const keyOf = (e) => `${e.properties.tab ?? ''}/${e.properties.i}`;

/** Tracks `Fault Event` with `i` in [from, to) on the page, yielding to the event loop every `pauseEvery` calls. */
function track(page, run, from, to, { tab, pauseEvery = 0 } = {}) {
  return page.evaluate(
    async ({ run, from, to, tab, pauseEvery }) => {
      for (let i = from; i < to; i++) {
        const properties = tab === undefined ? { run, i } : { run, tab, i };
        wayline.track('Fault Event', properties);
        if (pauseEvery && (i - from + 1) % pauseEvery === 0) await new Promise((r) => setTimeout(r, 20));
      }
    },
    { run, from, to, tab, pauseEvery },
  );
}

/**
 * Counts the copies of the run's events that the browser put into ingest requests (every attempt, whatever became
 * of it): at-least-once delivery shows as more copies sent than events tracked, the collector's dedupe as none stored
 * twice. Watches a whole context, so requests of every tab (and beacons) are seen.
 */
function watchSent(context, run) {
  const sent = { copies: 0, requests: 0, sends: [] };
  context.on('request', (r) => {
    if (!r.url().includes('/v1/batch')) return;
    let body;
    try {
      body = JSON.parse(r.postData() || '');
    } catch {
      return;
    }
    const mine = (body.batch || []).filter((m) => m.properties && m.properties.run === run);
    if (mine.length) {
      sent.requests += 1;
      sent.copies += mine.length;
      let page = null;
      try {
        page = r.frame().page();
      } catch {}
      for (const m of mine) sent.sends.push({ key: keyOf(m), tab: m.properties.tab, page });
    }
  });
  return sent;
}

/** The stored events of a run. */
const storedOf = (run) => collector.events().filter((e) => e.properties && e.properties.run === run);

/**
 * Polls the database until `expected` distinct events of the run are stored (or `ms` passed), then waits `settleMs`
 * more so that late copies (retries, beacons) would show, and returns the run's stored events.
 */
async function drain(run, expected, { ms = 60000, settleMs = 1000 } = {}) {
  const deadline = Date.now() + ms;
  let mine = storedOf(run);
  while (Date.now() < deadline && new Set(mine.map(keyOf)).size < expected) {
    await sleep(150);
    mine = storedOf(run);
  }
  if (settleMs) {
    await sleep(settleMs);
    mine = storedOf(run);
  }
  return mine;
}

/** Waits until the proxy has logged no new ingest request for `quietMs`, then clears its log. */
async function quietProxy(quietMs = 700, ms = 10000) {
  const deadline = Date.now() + ms;
  let last = -1;
  let since = Date.now();
  while (Date.now() < deadline) {
    const n = (await proxy.log()).length;
    if (n !== last) {
      last = n;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) {
      break;
    }
    await sleep(100);
  }
  await proxy.clearLog();
}

/** Records the scenario's row for the table, then asserts: every expected event stored, none twice. */
function check(name, { tracked, expectedKeys, mine, t0, sent, log, note = '' }) {
  const keys = mine.map(keyOf);
  const distinct = new Set(keys);
  const ids = new Set(mine.map((e) => e.messageId));
  const duplicates = mine.length - distinct.size;
  const last = Math.max(...mine.map((e) => Date.parse(e.receivedAt)));
  const ingest = log.filter((e) => e.path.startsWith('/v1/'));
  rows.push({
    scenario: name,
    tracked,
    expected: expectedKeys.length,
    stored: mine.length,
    duplicates,
    requests: `${ingest.length} (${ingest.filter((e) => e.outcome !== 'forwarded').length})`,
    sent: sent ? sent.copies : '-',
    drain: mine.length ? `${last - t0}` : '-',
    note,
  });
  assert.equal(ids.size, mine.length, `${name}: a messageId stored more than once`);
  assert.equal(duplicates, 0, `${name}: ${duplicates} events stored more than once`);
  const missing = expectedKeys.filter((k) => !distinct.has(k));
  const unexpected = [...distinct].filter((k) => !expectedKeys.includes(k));
  assert.deepEqual({ missing, unexpected }, { missing: [], unexpected: [] }, `${name}: stored ${mine.length} of ${expectedKeys.length}`);
}

function printTable() {
  if (!rows.length) return;
  const cols = [
    ['scenario', 'scenario'],
    ['tracked', 'tracked'],
    ['expected', 'expected'],
    ['stored', 'stored'],
    ['duplicates', 'duplicates'],
    ['requests', 'requests (faulted)'],
    ['sent', 'copies sent'],
    ['drain', 'time to drain (ms)'],
    ['note', 'note'],
  ];
  const width = cols.map(([k, h]) => Math.max(h.length, ...rows.map((r) => String(r[k]).length)));
  const left = (i) => i === 0 || i === cols.length - 1;
  const line = (cells) =>
    cells.map((c, i) => (left(i) ? String(c).padEnd(width[i]) : String(c).padStart(width[i]))).join('  ').trimEnd();
  const out = [line(cols.map(([, h]) => h)), width.map((w) => '-'.repeat(w)).join('  ')];
  for (const r of rows) out.push(line(cols.map(([k]) => r[k])));
  console.log('\n' + out.join('\n') + '\n');
}

const range = (from, to, tab) => Array.from({ length: to - from }, (_, k) => `${tab ?? ''}/${from + k}`);

/** A fresh run with no faults: a new page on `path`, ready, with the requests it sends watched. */
async function startRun(name, path) {
  const run = newRun(name);
  await proxy.setFaults({ mode: 'none' });
  await quietProxy();
  const { page, context, log } = await openPage(browser);
  const sent = watchSent(context, run);
  await page.goto(proxy.url + path);
  await ready(page);
  return { run, page, context, sent, log };
}

test('reload in the middle of a batch, three times', { timeout: 120000 }, async () => {
  const { run, page, context, sent } = await startRun('reload', '/faults-batch.html');
  // Every ingest request is held 1.5 s before it reaches the collector.
  await proxy.setFaults({ mode: 'delay', ms: 1500 });
  const K = 10;
  const t0 = Date.now();
  for (let round = 0; round < 3; round++) {
    const { seen } = await proxy.state();
    await track(page, run, round * K, (round + 1) * K);
    // Reload as soon as a batch is held at the proxy (read by it, not yet answered).
    const deadline = Date.now() + 5000;
    while ((await proxy.state()).seen === seen) {
      assert.ok(Date.now() < deadline, 'no batch was sent within 5 s of tracking');
      await sleep(25);
    }
    await page.reload();
    await ready(page);
  }
  await proxy.setFaults({ mode: 'none' });
  assert.equal(await page.evaluate(() => wayline.flush()), true);
  const mine = await drain(run, 3 * K, { settleMs: 2000 }); // past the 1.5 s hold of any request still held
  check('reload mid-batch x3', { tracked: 3 * K, expectedKeys: range(0, 3 * K), mine, t0, sent, log: await proxy.log() });
  await context.close();
});

test('offline for 30 s, then online', { timeout: 120000 }, async () => {
  const run = newRun('offline');
  await proxy.setFaults({ mode: 'none' });
  await quietProxy();
  const { page, context } = await openPage(browser);
  const sent = watchSent(context, run);
  let attemptsOffline = 0;
  let offline = false;
  page.on('request', (r) => {
    if (offline && r.url().includes('/v1/')) attemptsOffline += 1;
  });
  await page.goto(proxy.url + '/faults-batch.html');
  await ready(page);
  const N = 40;
  await context.setOffline(true);
  offline = true;
  const offAt = Date.now();
  assert.equal(await page.evaluate(() => navigator.onLine), false);
  const t0 = Date.now();
  await track(page, run, 0, N, { pauseEvery: 5 });
  await sleep(30000);
  const state = await page.evaluate(() => wayline.debugState());
  const onAt = Date.now();
  offline = false;
  await context.setOffline(false);
  const mine = await drain(run, N);
  const log = await proxy.log();
  const whileOffline = log.filter((e) => e.at_ms >= offAt && e.at_ms < onAt);
  const note = `offline: ${whileOffline.length} at the proxy, ${attemptsOffline} attempted`;
  check('offline 30 s', { tracked: N, expectedKeys: range(0, N), mine, t0, sent, log, note });
  assert.deepEqual(whileOffline, [], 'nothing reached the proxy while offline');
  assert.equal(state.queued, N, 'all events waited in the queue while offline');
  assert.equal(attemptsOffline, 0, 'sending paused while offline (no request attempted)');
  await context.close();
});

test('half of all requests answered 500', { timeout: 120000 }, async () => {
  const { run, page, context, sent } = await startRun('status500', '/faults-batch.html');
  await proxy.setFaults({ mode: 'status', status: 500, every: 2 });
  const N = 50;
  const t0 = Date.now();
  await track(page, run, 0, N, { pauseEvery: 5 });
  const mine = await drain(run, N);
  const log = await proxy.log();
  check('500 on every 2nd request', { tracked: N, expectedKeys: range(0, N), mine, t0, sent, log });
  assert.ok(log.some((e) => e.outcome === 'status:500'), 'some requests were answered 500');
  await context.close();
});

test('a fetch the page replaced throws, then returns no promise: both read as failed sends and are retried', { timeout: 120000 }, async () => {
  const { run, page, context, sent } = await startRun('patchedFetch', '/faults-batch.html');
  // As a privacy extension or a broken polyfill might: the SDK reads `window.fetch` on each send.
  await page.evaluate(() => {
    const real = window.fetch;
    let calls = 0;
    window.fetch = function (...args) {
      calls += 1;
      if (calls === 1) throw new TypeError('fetch blocked');
      if (calls === 2) return undefined;
      return real.apply(this, args);
    };
    window.patchedFetchCalls = () => calls;
  });
  const N = 20;
  const t0 = Date.now();
  await track(page, run, 0, N);
  const mine = await drain(run, N);
  check('patched fetch throws, then returns nothing', { tracked: N, expectedKeys: range(0, N), mine, t0, sent, log: await proxy.log() });
  assert.ok((await page.evaluate(() => window.patchedFetchCalls())) >= 3, 'the SDK sent again after both failures');
  await context.close();
});

test('429 with Retry-After: 2 once: the SDK waits before sending again', { timeout: 120000 }, async () => {
  const { run, page, context, sent } = await startRun('status429', '/faults-batch.html');
  await proxy.setFaults({ mode: 'status', status: 429, retryAfter: 2, count: 1 });
  const N = 20;
  const t0 = Date.now();
  await track(page, run, 0, N);
  const mine = await drain(run, N);
  const log = (await proxy.log()).filter((e) => e.path === '/v1/batch');
  const at = log.findIndex((e) => e.outcome === 'status:429');
  const gap = at >= 0 && log.length > at + 1 ? log[at + 1].at_ms - log[at].at_ms : null;
  const note = gap === null ? 'no request after the 429' : `next request ${gap} ms after the 429`;
  check('429 Retry-After: 2', { tracked: N, expectedKeys: range(0, N), mine, t0, sent, log, note });
  assert.ok(at >= 0, 'the 429 was served');
  assert.ok(log.length > at + 1, 'a request followed the 429');
  assert.ok(gap >= 1900, `the next request came ${gap} ms after the 429 (Retry-After: 2)`);
  await context.close();
});

for (const when of ['after', 'before']) {
  test(`connection reset ${when} forwarding, every 2nd request`, { timeout: 120000 }, async () => {
    const { run, page, context, sent } = await startRun('reset-' + when, '/faults-batch.html');
    await proxy.setFaults({ mode: 'reset', when, every: 2 });
    const N = 40;
    const t0 = Date.now();
    await track(page, run, 0, N, { pauseEvery: 5 });
    const mine = await drain(run, N);
    const log = await proxy.log();
    check(`reset ${when}, every 2nd`, { tracked: N, expectedKeys: range(0, N), mine, t0, sent, log });
    const resets = log.filter((e) => e.outcome === 'reset-' + when);
    assert.ok(resets.length >= 1, 'some requests were reset');
    if (when === 'after') {
      assert.ok(resets.every((e) => e.upstream_status === 200), 'reset-after requests were stored by the collector');
    }
    await context.close();
  });
}

test('the tab closed right after tracking: the page-exit path delivers', { timeout: 120000 }, async () => {
  const { run, page, context, sent } = await startRun('close', '/faults-exit.html');
  const N = 50;
  const t0 = Date.now();
  await track(page, run, 0, N);
  assert.equal((await page.evaluate(() => wayline.debugState())).queued, N, 'nothing sent before the tab closed');
  await page.close();
  const mine = await drain(run, N, { ms: 20000 });
  const log = await proxy.log();
  // Playwright does not report the requests a page makes while it is being closed: the proxy's log counts them.
  const note = `${log.length} request(s) after close, by the page-exit path`;
  check('tab closed after tracking', { tracked: N, expectedKeys: range(0, N), mine, t0, sent: null, log, note });
  await context.close();
});

test('five tabs tracking at once, two closed mid-way', { timeout: 120000 }, async () => {
  const run = newRun('tabs');
  await proxy.setFaults({ mode: 'none' });
  await quietProxy();
  const context = await browser.newContext(); // one origin: the tabs share localStorage
  const sent = watchSent(context, run);
  const pages = [];
  for (let t = 0; t < 5; t++) {
    const { page } = await openPage(browser, context);
    await page.goto(proxy.url + '/faults-batch.html');
    await ready(page);
    pages.push(page);
  }
  const closed = [0, 1];
  const expectedKeys = [];
  const t0 = Date.now();
  await Promise.all(pages.map((p, t) => track(p, run, 0, 10, { tab: t, pauseEvery: 3 })));
  await Promise.all(
    pages.map(async (p, t) => {
      if (closed.includes(t)) {
        await track(p, run, 10, 15, { tab: t });
        await p.close(); // right after tracking
        expectedKeys.push(...range(0, 15, t));
      } else {
        await track(p, run, 10, 20, { tab: t, pauseEvery: 3 });
        await sleep(300);
        await track(p, run, 20, 30, { tab: t, pauseEvery: 3 });
        expectedKeys.push(...range(0, 30, t));
      }
    }),
  );
  const open = pages.filter((_, t) => !closed.includes(t));
  await Promise.all(open.map((p) => p.evaluate(() => wayline.flush())));
  const mine = await drain(run, expectedKeys.length);
  const log = await proxy.log();
  const repeated = sent.copies - new Set(sent.sends.map((x) => x.key)).size;
  const byOtherTab = sent.sends.filter((x) => x.page && pages.indexOf(x.page) !== x.tab).length;
  const note = `${repeated} copies repeated, ${byOtherTab} sent by another tab (exit requests of closed tabs not seen)`;
  check('5 tabs, 2 closed mid-way', { tracked: expectedKeys.length, expectedKeys, mine, t0, sent, log, note });
  await context.close();
});

test('localStorage filled to its quota by the host page before the SDK starts', { timeout: 120000 }, async () => {
  const run = newRun('quota');
  await proxy.setFaults({ mode: 'none' });
  await quietProxy();
  const { page, log: pageLog, context } = await openPage(browser);
  const sent = watchSent(context, run);
  await page.goto(proxy.url + '/faults-quota.html');
  assert.equal(await page.evaluate(() => window.quotaFull), true, 'the host page filled localStorage');
  await ready(page);
  const N = 30;
  const t0 = Date.now();
  await track(page, run, 0, N, { pauseEvery: 5 });
  await page.evaluate(() => wayline.flush());
  const mine = await drain(run, N);
  check('localStorage full', { tracked: N, expectedKeys: range(0, N), mine, t0, sent, log: await proxy.log() });
  assert.deepEqual(pageLog.errors, []);
  await page.evaluate(() => localStorage.clear());
  await context.close();
});

test('consent pending, then granted: the held events are delivered', { timeout: 120000 }, async () => {
  const { run, page, context, sent } = await startRun('granted', '/faults-consent.html');
  const N = 10;
  const t0 = Date.now();
  await track(page, run, 0, N);
  await sleep(1500);
  assert.deepEqual(await proxy.log(), [], 'nothing sent while consent is pending');
  assert.deepEqual(await waylineKeys(page), [], 'nothing stored while consent is pending');
  await page.evaluate(() => wayline.consent('granted'));
  const mine = await drain(run, N);
  const note = 'drain includes 1.5 s held while pending';
  check('consent pending -> granted', { tracked: N, expectedKeys: range(0, N), mine, t0, sent, log: await proxy.log(), note });
  await context.close();
});

test('consent pending, then denied: nothing delivered, nothing left in storage', { timeout: 120000 }, async () => {
  const { run, page, context, sent } = await startRun('denied', '/faults-consent.html');
  const N = 10;
  const t0 = Date.now();
  await track(page, run, 0, N);
  await page.evaluate(() => wayline.consent('denied'));
  await sleep(1500); // past the coalesced profile (1 s) and queue (250 ms) writes
  const keys = await waylineKeys(page);
  const queued = (await page.evaluate(() => wayline.debugState())).queued;
  await page.close(); // the page-exit path must not send anything either
  const mine = await drain(run, 0, { ms: 0, settleMs: 1500 });
  const log = await proxy.log();
  check('consent pending -> denied', { tracked: N, expectedKeys: [], mine, t0, sent, log });
  assert.deepEqual(log, [], 'no ingest request at all');
  assert.deepEqual(keys, [], 'no wayline: keys left in localStorage');
  assert.equal(queued, 0, 'the held events were dropped');
  await context.close();
});
