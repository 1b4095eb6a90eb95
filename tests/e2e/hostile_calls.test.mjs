// Every public method called with values a page can hand it by mistake or on purpose (Symbols, Proxies whose traps
// throw, throwing getters and toJSON, BigInts, huge and deeply nested values, lone surrogates, host objects): the
// page never sees an exception, nothing is reported as an uncaught error, and afterwards the SDK still tracks,
// decides segments and delivers (SPEC §2: "the page is unaffected"; the brief: never throw into the host page,
// never panic on input from the page).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { root, openPage, ready, waitForEvents, withCollectorAndBrowser, byAnon } from './helpers.mjs';

const env = withCollectorAndBrowser({ www: join(root, 'tests', 'e2e', 'site'), sdk: join(root, 'js', 'dist-full') });

test('every method, every hostile argument: nothing thrown, the SDK keeps working', { timeout: 120000 }, async () => {
  const { page, log, context } = await openPage(env.browser);
  await page.goto(env.collector.url + '/segments.html');
  await ready(page);
  await page.waitForFunction(() => window.configResult);
  const result = await page.evaluate(async () => {
    const throwing = () => {
      throw new Error('hostile');
    };
    const trap = new Proxy({}, {
      get: throwing, has: throwing, ownKeys: throwing, getOwnPropertyDescriptor: throwing, getPrototypeOf: throwing,
    });
    const getter = Object.defineProperty({ ok: 1 }, 'bad', { enumerable: true, get: throwing });
    const deep = {};
    let at = deep;
    for (let i = 0; i < 5000; i++) at = at.next = {};
    const deepArray = [];
    let into = deepArray;
    for (let i = 0; i < 5000; i++) into = into[0] = [];
    const wide = Object.fromEntries([...Array(10000)].map((_, i) => ['k' + i, i]));
    const values = {
      undefined: undefined, null: null, true: true, zero: 0, negativeZero: -0, NaN: NaN, Infinity: -Infinity,
      huge: 1e308, unsafe: 2 ** 53 + 1, bigint: 123n, empty: '', long: 'x'.repeat(200000), nul: '\u0000',
      loneSurrogate: '\ud800', emoji: '😀'.repeat(3), symbol: Symbol('s'), object: {}, array: [],
      nullProto: Object.assign(Object.create(null), { a: 1 }), deep, deepArray, wide,
      sparse: new Array(100000), proxy: trap, getter, toJSON: { toJSON: throwing }, date: new Date(NaN),
      regexp: /x/g, map: new Map([[1, 2]]), set: new Set([1]), bytes: new Uint8Array(4), buffer: new ArrayBuffer(8),
      promise: Promise.resolve(1), error: new Error('e'), fn: () => 1, window, body: document.body,
      frozen: Object.freeze({ a: [1] }), boxed: new String('s'), stringWithToString: { toString: throwing },
    };
    const methods = [
      'track', 'page', 'identify', 'reset', 'consent', 'on', 'off', 'outcome', 'flush', 'segments', 'stage',
      'explain', 'anonymousId', 'userId', 'debugState',
    ];
    const thrown = [];
    const pending = [];
    let calls = 0;
    for (const method of methods) {
      for (const [name, value] of Object.entries(values)) {
        for (const args of [[value], ['Hostile Call', value], [value, value, value]]) {
          calls += 1;
          try {
            const answer = wayline[method](...args);
            if (answer && typeof answer.then === 'function') pending.push(answer);
          } catch (e) {
            thrown.push(`${method}(${name}): ${e}`);
          }
        }
      }
    }
    // Promises from `flush` settle (they may be false while the visitor is unidentified or offline) and never reject.
    const settled = await Promise.allSettled(pending);
    const rejected = settled.filter((s) => s.status === 'rejected').map((s) => String(s.reason));
    // Still working: a plain event, the segment the page's config puts a pricing visitor in, an answer to flush.
    history.pushState({}, '', '/pricing');
    wayline.page();
    wayline.page();
    wayline.track('After Hostile Calls', { ok: true });
    const flushed = await wayline.flush();
    return {
      calls, thrown, rejected, flushed, segments: wayline.segments(), anon: wayline.anonymousId(),
      state: wayline.debugState(),
    };
  });
  assert.ok(result.calls > 1500, `${result.calls} calls`);
  assert.deepEqual(result.thrown, []);
  assert.deepEqual(result.rejected, []);
  assert.equal(result.flushed, true);
  assert.deepEqual(result.segments, ['pricing-curious']);
  assert.equal(result.state.consent, 'granted');
  const events = await waitForEvents(env.collector, (e) => e.some((x) => x.event === 'After Hostile Calls'));
  const mine = events.filter(byAnon(result.anon));
  assert.deepEqual(mine.find((e) => e.event === 'After Hostile Calls').properties, { ok: true });
  // The calls reached the SDK and were refused with their warnings, not silently lost in the glue.
  const codes = new Set(log.warnings.map((w) => (w.match(/\(([a-z_]+)\)$/) || [])[1]));
  for (const code of [
    'invalid_event_name', 'event_name_too_long', 'properties_not_object', 'properties_repaired', 'invalid_properties',
    'properties_too_large', 'invalid_user_id', 'invalid_consent', 'invalid_listener', 'invalid_outcome',
  ]) {
    assert.ok(codes.has(code), `a ${code} warning`);
  }
  assert.deepEqual(log.errors, []);
  assert.ok(!log.console.some((m) => /panicked|unreachable|RuntimeError/.test(m)), 'no wasm trap reported');
  await context.close();
});

test('hostile values under every storage key the SDK reads: it starts, says what it discarded, and delivers', { timeout: 120000 }, async () => {
  const { page, log, context } = await openPage(env.browser);
  // Written before the SDK runs: what another version, a full disk, an extension or the page itself may leave.
  await context.addInitScript(() => {
    if (sessionStorage.getItem('seeded')) return;
    sessionStorage.setItem('seeded', '1');
    const k = 'wayline:wk_demo:';
    const entries = {
      [k + 'profile']: '{"v":1,"anonymousId":"' + 'a'.repeat(70000) + '"}',
      [k + 'segments']: '{"v":1,"segments":{"v":1,"a":{"x":{"b":3600000,"c":[1e300,1,-1e300,2]}}},"campaigns":[1,2,3]}',
      [k + 'queue:dead-tab']: `wayline-queue 1\nc 1 {}\ne 1 ${Date.now()} 1 {"type":"track","event":"Left Behind","messageId":"m-left","anonymousId":"x","timestamp":"${new Date().toISOString()}","context":\ne 1 5 1 {"repeated":true,"context":\ne 2 9999999999999999999999 1 {"context":\n\u0000\ud800`,
      [k + 'queue:dead-tab~1']: 'not a log',
      [k + 'queue:']: '',
      [k + 'queue:x~99999999999999']: 'wayline-queue 1\n',
      [k + 'queue:~']: 'wayline-queue 1\n',
      [k + 'ack:dead-tab']: '1e300',
      [k + 'ack:']: '-1',
      [k + 'flush']: '{"garbage":',
      'wayline:': 'x',
      'wayline:wk_demo': 'x',
    };
    for (const [key, value] of Object.entries(entries)) localStorage.setItem(key, value);
  });
  await page.goto(env.collector.url + '/segments.html');
  await ready(page);
  await page.waitForFunction(() => window.configResult);
  const result = await page.evaluate(async () => {
    history.pushState({}, '', '/pricing');
    wayline.page();
    wayline.page();
    wayline.track('After Hostile Storage', { ok: true });
    const flushed = await wayline.flush();
    return { flushed, anon: wayline.anonymousId(), segments: wayline.segments() };
  });
  assert.equal(result.flushed, true);
  assert.deepEqual(result.segments, ['pricing-curious']);
  assert.ok(result.anon && result.anon.length < 100, 'a fresh anonymous id replaced the oversized one');
  const events = await waitForEvents(env.collector, (e) => e.some((x) => x.event === 'After Hostile Storage'));
  assert.deepEqual(events.filter(byAnon(result.anon)).find((e) => e.event === 'After Hostile Storage').properties, { ok: true });
  // The one well-formed event another tab left behind is delivered with the rest, once.
  await waitForEvents(env.collector, (e) => e.some((x) => x.messageId === 'm-left'));
  assert.equal(env.collector.events().filter((x) => x.messageId === 'm-left').length, 1);
  assert.deepEqual(log.errors, []);
  assert.match(log.warnings.join('\n'), /profile_too_large/);
  await context.close();
});

test('calls the page makes from code the SDK runs while it holds its state are carried out after, not dropped', async () => {
  const { page, log, context } = await openPage(env.browser);
  // A page (or a library on it) that wraps localStorage.setItem and tracks from inside it: the SDK writes
  // storage in its own task, holding its state, so the call re-enters it.
  await page.addInitScript(() => {
    const original = Storage.prototype.setItem;
    let calls = 0;
    Storage.prototype.setItem = function (key, value) {
      original.call(this, key, value);
      if (String(key).startsWith('wayline:') && window.wayline && window.wayline.loaded && calls++ < 3) {
        window.wayline.track('From setItem', { n: calls, key: String(key).split(':')[2] });
      }
    };
  });
  await page.goto(env.collector.url + '/segments.html');
  await ready(page);
  await page.waitForFunction(() => window.configResult);
  const anon = await page.evaluate(() => {
    wayline.track('Before');
    return wayline.anonymousId();
  });
  const events = (await waitForEvents(env.collector, (e) => e.filter((x) => x.event === 'From setItem' && x.anonymousId === anon).length === 3)).filter(byAnon(anon));
  assert.deepEqual(events.filter((e) => e.event === 'From setItem').map((e) => e.properties.n), [1, 2, 3]);
  assert.deepEqual(log.errors, []);
  await context.close();
});

test('a command made from page code the SDK runs comes before the calls the page makes after it', async () => {
  const { page, log, context } = await openPage(env.browser);
  // Granting consent stores the config in the page's own call: the page's setItem wrapper tracks from there,
  // while the SDK holds its state, so that call is made again; it came first, so it is delivered first.
  await page.addInitScript(() => {
    const original = Storage.prototype.setItem;
    Storage.prototype.setItem = function (key, value) {
      original.call(this, key, value);
      if (String(key).endsWith(':config') && window.wayline && window.wayline.loaded) {
        window.wayline.track('Inner');
      }
    };
  });
  await page.goto(env.collector.url + '/segments-pending.html');
  await ready(page);
  await page.waitForFunction(() => window.configResult);
  const anon = await page.evaluate(() => {
    wayline.consent('granted');
    wayline.track('After');
    return wayline.anonymousId();
  });
  const names = ['Inner', 'After'];
  const events = (await waitForEvents(env.collector, (e) => e.filter((x) => names.includes(x.event) && x.anonymousId === anon).length === 2))
    .filter(byAnon(anon))
    .filter((e) => names.includes(e.event));
  assert.deepEqual(events.map((e) => e.event), names);
  assert.deepEqual(log.errors, []);
  await context.close();
});
