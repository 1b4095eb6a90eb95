// Wayline reads the arguments of `track`, `page`, `identify`, `group` and `alias` as analytics-next does: every case
// of tests/e2e/analytics-arguments.json (random argument lists, each with what analytics-next's own resolvers make
// of them; tests/e2e/analytics-arguments.mjs writes it) is replayed through the real SDK, and the messages the
// collector stored are compared with them: the event name, the page's name and category, the ids, which argument
// became the properties or traits, which the options (their members in the context, their `messageId` the
// message's) and which function was called back. Cases are told apart by a `track('Call', { case })` before each
// one (and a `track('Case', { case })` before what the test calls to prepare it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { root, openPage, waitForEvents, withCollectorAndBrowser, sleep } from './helpers.mjs';

const data = JSON.parse(readFileSync(join(root, 'tests', 'e2e', 'analytics-arguments.json'), 'utf8'));
const env = withCollectorAndBrowser({ www: join(root, 'tests', 'e2e', 'site') });

// The `kN` keys of an object (`kN` marks the argument at position N).
const marks = (o) => Object.keys(o || {}).filter((k) => /^k\d$/.test(k)).sort();

test(`${data.cases.length} argument lists read as analytics-next ${data['analytics-next']} reads them`, { timeout: 60000 }, async () => {
  const { page, log, context } = await openPage(env.browser);
  await page.goto(env.collector.url + '/manual.html');
  await page.waitForFunction(() => window.wayline && window.wayline.loaded);
  // Aliases first, while there is no user id: analytics-next would send the current user id as an alias's
  // `userId` (its `addIdentity`), and Wayline's default previous id is then the anonymous id.
  const order = ['alias', 'track', 'page', 'group', 'identify'];
  const cases = data.cases.map((c, i) => ({ ...c, i })).sort((a, b) => order.indexOf(a.method) - order.indexOf(b.method));
  const result = await page.evaluate(async (cases) => {
    await wayline.init({ writeKey: 'wk_demo', autoPage: false, trackClicks: false, flushAt: 200 });
    const called = [];
    const decode = (v, i, at) => {
      if (v && v.$ === 'undefined') return undefined;
      if (v && v.$ === 'NaN') return NaN;
      if (v && v.$ === 'function') return () => called.push([i, at]);
      return v;
    };
    const thrown = [];
    for (const c of cases) {
      wayline.track('Case', { case: c.i });
      // A user to keep when the call gives no id, with no traits.
      if (c.method == 'identify') wayline.identify('prior-' + c.i);
      wayline.track('Call', { case: c.i });
      try {
        wayline[c.method](...c.args.map((v, at) => decode(v, c.i, at)));
      } catch (e) {
        thrown.push(`${c.i}: ${e}`);
      }
    }
    wayline.track('Case', { case: -1 });
    const flushed = await wayline.flush();
    // Callbacks come within 300 ms.
    await new Promise((r) => setTimeout(r, 400));
    return { called, thrown, flushed, anon: wayline.anonymousId() };
  }, cases);
  assert.deepEqual(result.thrown, []);
  assert.equal(result.flushed, true);
  const events = await waitForEvents(env.collector, (e) => e.some((x) => x.event === 'Case' && x.properties.case === -1));
  // Each case's messages: those between its `Call` marker and the next `Case` (stored in the order they were
  // recorded).
  const byCase = new Map();
  let current = null;
  for (const e of events) {
    if (e.anonymousId !== result.anon) continue;
    if (e.type === 'track' && e.event === 'Case') {
      current = null;
    } else if (e.type === 'track' && e.event === 'Call') {
      current = e.properties.case;
      assert.ok(!byCase.has(current), `case ${current} marked twice`);
      byCase.set(current, []);
    } else if (current !== null) {
      byCase.get(current).push(e);
    }
  }
  const calledBack = new Map();
  for (const [i, at] of result.called) calledBack.set(i, [...(calledBack.get(i) || []), at]);
  const failures = [];
  for (const c of cases) {
    const messages = (byCase.get(c.i) || []).filter((e) => e.type === (c.method === 'track' ? 'track' : c.method));
    if (!byCase.has(c.i)) failures.push(`case ${c.i}: no marker stored`);
    let got = null;
    if (messages.length > 1) {
      failures.push(`case ${c.i}: ${messages.length} messages`);
      continue;
    }
    const m = messages[0];
    if (m) {
      // The `messageId` a case's options gave (the SDK's own are UUIDs).
      got = { context: marks(m.context), messageId: /^m-\d+-\d$/.test(m.messageId) ? m.messageId : null, callback: -1 };
      switch (c.method) {
        case 'track':
          Object.assign(got, { event: m.event, properties: marks(m.properties) });
          break;
        case 'page':
          Object.assign(got, { category: m.category ?? null, name: m.name ?? null, properties: marks(m.properties) });
          break;
        case 'identify':
          got.userId = m.userId === 'prior-' + c.i ? '$prior' : m.userId;
          got.traits = marks(m.traits);
          break;
        case 'group':
          Object.assign(got, { groupId: m.groupId, traits: marks(m.traits) });
          break;
        case 'alias':
          got.userId = m.userId;
          got.previousId = m.previousId === m.anonymousId ? '$prior' : m.previousId;
          break;
      }
    }
    const calls = calledBack.get(c.i) || [];
    if (calls.length > 1) failures.push(`case ${c.i}: ${calls.length} callbacks called`);
    // A refused call's callback is not compared: analytics-next never calls it (its promise rejects), Wayline calls
    // the callback of every call (docs/sdk.md), so that a page that navigates in it is never stuck.
    if (got) got.callback = calls.length ? calls[0] : -1;
    const expect = c.expect && { ...c.expect };
    if (expect) for (const k of ['properties', 'traits', 'context']) if (expect[k]) expect[k] = [...expect[k]].sort();
    try {
      assert.deepEqual(got, expect);
    } catch {
      failures.push(`case ${c.i}: ${c.method}(${c.args.map((a) => JSON.stringify(a)).join(', ')})\n  expected ${JSON.stringify(expect)}\n  got      ${JSON.stringify(got)}`);
    }
  }
  assert.equal(failures.length, 0, `${failures.length} of ${cases.length} cases differ:\n${failures.join('\n')}`);
  assert.deepEqual(log.errors, []);
  await context.close();
});

// The script-tag stub finds the callback as the facade does (js/src/stub.js): the first function among `track`'s
// four arguments and `page`'s five, and any of `identify`'s, whose arguments end there; it calls it after 300 ms
// and replays the call with a missing argument in its place.
test('the stub finds the callback where analytics-next does', async () => {
  const { page, log, context } = await openPage(env.browser);
  // The loader comes late, so the calls are surely queued by the stub.
  await page.route('**/sdk/wayline.js', async (route) => {
    await sleep(500);
    await route.continue();
  });
  await page.goto(env.collector.url + '/manual.html', { waitUntil: 'commit' });
  await page.waitForFunction(() => Array.isArray(window.wayline));
  const result = await page.evaluate(async () => {
    const heard = [];
    const mark = (name) => () => heard.push(name);
    const stubbed = Array.isArray(wayline);
    wayline.track('Stub Track', { p: 1 }, { k2: 2 }, mark('track'), undefined);
    wayline.identify('stub-user', mark('identify'), { k2: 2 });
    wayline.page('Docs', 'Intro', mark('page'), { k3: 3 });
    // A function past `track`'s four arguments is no callback.
    wayline.track('Stub Beyond', {}, {}, {}, mark('beyond'));
    wayline.init({ writeKey: 'wk_demo', autoPage: false });
    await new Promise((r) => setTimeout(r, 400));
    const early = [...heard];
    while (!wayline.loaded) await new Promise((r) => setTimeout(r, 20));
    await wayline.flush();
    await new Promise((r) => setTimeout(r, 400));
    return { stubbed, early, heard, anon: wayline.anonymousId() };
  });
  assert.equal(result.stubbed, true);
  assert.deepEqual(result.early, ['track', 'identify', 'page']);
  assert.deepEqual(result.heard, ['track', 'identify', 'page'], 'each called once, not again when replayed');
  const events = await waitForEvents(env.collector, (e) => e.some((x) => x.anonymousId === result.anon && x.event === 'Stub Beyond'));
  const mine = events.filter((e) => e.anonymousId === result.anon);
  const track = mine.find((e) => e.event === 'Stub Track');
  assert.deepEqual([track.properties, track.context.k2], [{ p: 1 }, 2]);
  const identify = mine.find((e) => e.type === 'identify');
  assert.deepEqual([identify.userId, identify.context.k2], ['stub-user', undefined], 'nothing read after the callback');
  const view = mine.find((e) => e.type === 'page');
  assert.deepEqual([view.category, view.name, view.context.k3], ['Docs', 'Intro', 3]);
  assert.deepEqual(log.errors, []);
  await context.close();
});
