// The SDK on pages whose libraries changed JavaScript's globals before (or after) it loaded: Prototype 1.6's
// `toJSON` methods and Enumerable, MooTools-style replaced built-ins and Object.prototype getters, the real zone.js
// (Angular), fetch and sendBeacon wrappers of monitoring agents, wrapped JSON and console, routers wrapping
// history, replaced localStorage, and a page that already has something at `window.wayline`. On each, the SDK
// records and delivers its events with the right content, throws nothing into the page and logs no unexpected
// error (the brief: never throw into the host page, never panic on input from it, keep working whatever it does).
// Libraries loaded before the SDK are script tags on the test pages (tests/e2e/site/hostile-*.html and
// tests/e2e/site/hostile/); wrappers that monitoring agents install first in <head> are init scripts here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { root, openPage, ready, waitForEvents, withCollectorAndBrowser, byAnon, assertNoDuplicates, startCollector } from './helpers.mjs';

const env = withCollectorAndBrowser({ www: join(root, 'tests', 'e2e', 'site') });

/** Opens `path` (after `init`, a function run in the page before any of its scripts), waits for the SDK. */
async function visit(path, init, arg) {
  const opened = await openPage(env.browser);
  if (init) await opened.page.addInitScript(init, arg);
  await opened.page.goto(env.collector.url + path);
  await ready(opened.page);
  return opened;
}

/** The stored events of `anon`, once `count` of them are there. */
async function storedFor(anon, count) {
  const events = (await waitForEvents(env.collector, (e) => e.filter(byAnon(anon)).length >= count)).filter(byAnon(anon));
  assertNoDuplicates(assert, events);
  return events;
}

const named = (events, name) => events.filter((e) => e.event === name);

// Prototype 1.6: `JSON.stringify([1, 2])` is the string '"[1, 2]"', a Date is written with its quotes inside the
// string. (Its String and Number `toJSON` do not reach `JSON.stringify`, which asks objects alone for one.)
test('Prototype 1.6 (toJSON on Array and Date, Enumerable on Array.prototype): properties arrive as given, its Hash as its toJSON writes it', async () => {
  const { page, log, context } = await visit('/hostile-prototype.html');
  const result = await page.evaluate(async () => {
    const before = JSON.stringify([1, 'a']);
    wayline.track('Cart Viewed', {
      items: ['sku-1', 'sku-2'], count: 2, price: 9.5, label: 'Basket "big"', empty: [],
      nested: { tags: ['a'], ok: true, none: null }, at: new Date(Date.UTC(2024, 0, 2, 3, 4, 5)),
    });
    wayline.identify('user-1', { plan: 'pro', roles: ['admin', 'editor'], seats: 12.5 });
    wayline.page('Pricing', { tiers: ['free', 'pro'] });
    wayline.track('Hash Filters', { filters: $H({ color: 'red', size: 'S' }), pairs: $H({ color: 'red' }).toObject() });
    const flushed = await wayline.flush();
    return { before, after: JSON.stringify([1, 'a']), flushed, anon: wayline.anonymousId() };
  });
  // The library is in force before and after the SDK's calls: the page's globals are as the page left them.
  assert.equal(result.before, '"[1, \\"a\\"]"');
  assert.equal(result.after, result.before);
  assert.equal(result.flushed, true);
  const events = await storedFor(result.anon, 6);
  assert.deepEqual(named(events, 'Queued Before Load')[0].properties, { list: [1, 2], name: 'early' });
  assert.deepEqual(named(events, 'Cart Viewed')[0].properties, {
    items: ['sku-1', 'sku-2'], count: 2, price: 9.5, label: 'Basket "big"', empty: [],
    nested: { tags: ['a'], ok: true, none: null }, at: '2024-01-02T03:04:05.000Z',
  });
  const identify = events.find((e) => e.type === 'identify');
  assert.equal(identify.userId, 'user-1');
  assert.deepEqual(identify.traits, { plan: 'pro', roles: ['admin', 'editor'], seats: 12.5 });
  const manual = events.find((e) => e.type === 'page' && e.name === 'Pricing');
  assert.deepEqual(manual.properties.tiers, ['free', 'pro']);
  assert.equal(manual.context.page.title, 'Prototype 1.6 page');
  // A Hash is the page's own object: its own toJSON is honoured, as JSON.stringify does, and gives JSON text;
  // its `toObject()` is sent as an object (docs/sdk.md).
  assert.deepEqual(named(events, 'Hash Filters')[0].properties, { filters: '{"color": "red", "size": "S"}', pairs: { color: 'red' } });
  assert.deepEqual(log.errors, []);
  await context.close();
});

// Prototype 1.6's Date#toJSON is swapped for the browser's `toISOString` while the SDK writes, which throws for an
// invalid Date where the browser's own `toJSON` writes null: the other properties must not be lost with it.
test('Prototype 1.6: an invalid Date among the properties is written null, as the browser writes it; the rest arrive', async () => {
  const { page, log, context } = await visit('/hostile-prototype.html');
  const result = await page.evaluate(async () => {
    wayline.track('Invalid Date', {
      when: new Date('not a date'), at: new Date(Date.UTC(2024, 0, 2, 3, 4, 5)), items: ['a', 'b'], n: 1,
    });
    const flushed = await wayline.flush();
    return { flushed, anon: wayline.anonymousId(), after: JSON.stringify([1]) };
  });
  assert.equal(result.flushed, true);
  assert.equal(result.after, '"[1]"', "Prototype's toJSON is back");
  const events = await storedFor(result.anon, 3);
  assert.deepEqual(named(events, 'Invalid Date')[0].properties, { when: null, at: '2024-01-02T03:04:05.000Z', items: ['a', 'b'], n: 1 });
  // Said as a repair (on this page alone, where the SDK had to write the Date itself).
  assert.match(log.warnings.join('\n'), /invalid Dates; .*such Dates null \(properties_repaired\)/);
  assert.deepEqual(log.errors, []);
  await context.close();
});

// An inline config is page data too: its journeys and lists are arrays (the build with the rule compiler).
test('Prototype 1.6 with an inline config: the config compiles and its rules run', async () => {
  const collector = await startCollector({ www: join(root, 'tests', 'e2e', 'site'), sdk: join(root, 'js', 'dist-full') });
  const { page, log, context } = await openPage(env.browser);
  try {
    await page.goto(collector.url + '/hostile-prototype-manual.html');
    const result = await page.evaluate(async () => {
      const config = new Promise((r) => wayline.on('config', r));
      await wayline.init({
        writeKey: 'wk_demo',
        config: {
          segments: { pro: 'traits.plan in ["pro", "team"]' },
          journeys: { lifecycle: [{ stage: 'awareness', rule: 'count("Page Viewed") >= 1' }, { stage: 'evaluation', rule: 'count("Plan Selected") >= 1' }] },
        },
      });
      const answer = await config;
      wayline.identify('user-3', { plan: 'team' });
      wayline.track('Plan Selected', { plans: ['team'] });
      return { ok: answer.ok, segments: wayline.segments(), stage: wayline.stage('lifecycle'), flushed: await wayline.flush(), anon: wayline.anonymousId() };
    });
    assert.equal(result.ok, true);
    assert.deepEqual(result.segments, ['pro']);
    assert.equal(result.stage, 'evaluation');
    assert.equal(result.flushed, true);
    const events = collector.events().filter(byAnon(result.anon));
    assert.deepEqual(named(events, 'Plan Selected')[0].properties, { plans: ['team'] });
    assert.deepEqual(log.errors, []);
  } finally {
    await context.close();
    await collector.stop();
  }
});

// MooTools 1.1/1.2 and Sugar-style pages: built-ins replaced with the library's own, Object.prototype extended.
test('MooTools-style built-ins (bind, forEach, push) and Object.prototype methods and getters: nothing changes', async () => {
  const { page, log, context } = await visit('/hostile-mootools.html');
  const result = await page.evaluate(async () => {
    const reads = window.getterReads;
    wayline.track('Filtered', { colors: ['red', 'blue'], range: { min: 1, max: 5 } });
    wayline.identify('user-2', { plan: 'team' });
    history.pushState({}, '', '/catalog?page=2');
    const flushed = await wayline.flush();
    const keys = [];
    for (const k in {}) keys.push(k);
    return {
      flushed, anon: wayline.anonymousId(), pushCalls: window.pushCalls, keys,
      getterReadsBySdk: window.getterReads - reads,
    };
  });
  assert.equal(result.flushed, true);
  // The library is in force: its push counted calls (the SDK's glue pushes too), for…in sees its additions.
  assert.ok(result.pushCalls > 0);
  assert.deepEqual(result.keys, ['extend', 'size', 'isEmpty']);
  const events = await storedFor(result.anon, 5);
  assert.deepEqual(named(events, 'Queued Before Load')[0].properties, { list: [1, 2], name: 'early' });
  assert.deepEqual(named(events, 'Filtered')[0].properties, { colors: ['red', 'blue'], range: { min: 1, max: 5 } });
  assert.deepEqual(events.find((e) => e.type === 'identify').traits, { plan: 'team' });
  const views = events.filter((e) => e.type === 'page');
  assert.deepEqual(views.map((v) => v.properties.path + v.properties.search), ['/hostile-mootools.html', '/catalog?page=2']);
  assert.deepEqual(log.errors, []);
  await context.close();
});

// Angular loads zone.js first: it patches Promise, setTimeout, addEventListener, fetch, XMLHttpRequest,
// queueMicrotask and more, and the SDK's callbacks then run inside zones.
test('zone.js 0.16 (Angular): the SDK tracks, navigates, sends and retries through the patched globals', async () => {
  const { page, log, context } = await visit('/hostile-zone.html');
  const result = await page.evaluate(async () => {
    const original = (f) => f[Zone.__symbol__('OriginalDelegate')];
    const patched = [!!window[Zone.__symbol__('Promise')] && Promise !== window[Zone.__symbol__('Promise')],
      !!original(window.fetch), !!original(window.setTimeout), !!original(EventTarget.prototype.addEventListener),
      !!original(XMLHttpRequest.prototype.send)];
    wayline.track('Zoned', { list: ['a'] });
    history.pushState({}, '', '/dashboard');
    const flushed = await wayline.flush();
    return { patched, flushed, anon: wayline.anonymousId(), zone: Zone.current.name };
  });
  assert.deepEqual(result.patched, [true, true, true, true, true], 'zone.js patched Promise, fetch, setTimeout, addEventListener, XHR');
  assert.equal(result.flushed, true);
  const events = await storedFor(result.anon, 4);
  assert.deepEqual(named(events, 'Queued Before Load')[0].properties, { list: [1, 2], name: 'early' });
  assert.deepEqual(named(events, 'Zoned')[0].properties, { list: ['a'] });
  assert.deepEqual(events.filter((e) => e.type === 'page').map((v) => v.properties.path), ['/hostile-zone.html', '/dashboard']);
  assert.deepEqual(log.errors, []);
  await context.close();
});

// Error and performance monitors (Sentry, Datadog RUM, New Relic) wrap `fetch` first thing in <head>; some hand
// back a promise of their own, a subclass of Promise, or a bare thenable.
const fetchWrappers = {
  // Sentry's instrumentation: the original called with `apply`, then a `.then` of its own on the result.
  'a wrapper that chains on the result (Sentry style)': () => {
    const original = window.fetch;
    window.fetch = function (...args) {
      window.wrapped = (window.wrapped || 0) + 1;
      return original.apply(window, args).then((response) => response, (error) => { throw error; });
    };
  },
  // A promise subclass (agents that trace async work subclass Promise to carry their context).
  'a wrapper that answers a Promise subclass': () => {
    class TracedPromise extends Promise {}
    const original = window.fetch;
    window.fetch = function (...args) {
      window.wrapped = (window.wrapped || 0) + 1;
      return TracedPromise.resolve(original.apply(window, args));
    };
  },
  // A thenable that is not a Promise at all, calling back synchronously once settled (as jQuery 1.x Deferreds).
  'a wrapper that answers a non-native thenable': () => {
    const original = window.fetch;
    window.fetch = function (...args) {
      window.wrapped = (window.wrapped || 0) + 1;
      let state = null;
      const waiting = [];
      original.apply(window, args).then((v) => settle([true, v]), (e) => settle([false, e]));
      function settle(s) {
        state = s;
        for (const [ok, err] of waiting.splice(0)) (s[0] ? ok : err)(s[1]);
      }
      return {
        then(ok, err) {
          if (state) (state[0] ? ok : err)(state[1]);
          else waiting.push([ok, err]);
        },
      };
    };
  },
};
for (const [name, wrap] of Object.entries(fetchWrappers)) {
  test(`fetch replaced by ${name}: every batch is delivered once, a failed one retried`, async () => {
    const { page, log, context } = await visit('/blank.html', wrap);
    const anon = await page.evaluate(() => wayline.anonymousId());
    // One batch refused by the network (through the wrapper), then retried.
    let failures = 1;
    await page.route('**/v1/batch', (route) => (failures-- > 0 ? route.abort('connectionreset') : route.continue()));
    const result = await page.evaluate(async () => {
      wayline.track('Wrapped Fetch', { n: 1 });
      const flushed = await wayline.flush();
      wayline.track('Wrapped Fetch', { n: 2 });
      return { flushed: flushed && (await wayline.flush()), wrapped: window.wrapped };
    });
    assert.equal(result.flushed, true);
    assert.ok(result.wrapped >= 3, `${result.wrapped} requests through the wrapper`);
    const events = await storedFor(anon, 3);
    assert.deepEqual(named(events, 'Wrapped Fetch').map((e) => e.properties.n), [1, 2]);
    assert.ok(log.errors.every((e) => /Failed to load resource|net::/.test(e)), log.errors.join('\n'));
    await context.close();
  });
}

// On exit the SDK hands its queue to `navigator.sendBeacon`; some pages lose it: a privacy tool or a test harness
// deletes it, a monitor wraps it and forgets to return its answer, or calls it detached from `navigator`.
const beaconChanges = {
  deleted: () => {
    delete Navigator.prototype.sendBeacon;
  },
  'wrapped without returning its answer': () => {
    const original = navigator.sendBeacon;
    navigator.sendBeacon = function (url, data) {
      original.call(navigator, url, data);
    };
  },
  'wrapped and called without its navigator (throws Illegal invocation)': () => {
    const original = navigator.sendBeacon;
    navigator.sendBeacon = function (url, data) {
      return original(url, data);
    };
  },
};
for (const [name, change] of Object.entries(beaconChanges)) {
  test(`navigator.sendBeacon ${name}: what was queued is delivered as the page is left, once`, async () => {
    const { page, log, context } = await visit('/exit.html', change);
    const anon = await page.evaluate(() => {
      wayline.track('Before Exit', { list: [1] });
      return wayline.anonymousId();
    });
    // The visitor leaves the site: no later page of it runs the SDK.
    await page.goto('about:blank');
    const events = await storedFor(anon, 2);
    assert.deepEqual(named(events, 'Before Exit').map((e) => e.properties), [{ list: [1] }]);
    assert.deepEqual(log.errors, []);
    await context.close();
  });

  test(`navigator.sendBeacon ${name}: what was queued on exit is delivered by the next page, once`, async () => {
    const { page, log, context } = await visit('/exit.html', change);
    const anon = await page.evaluate(() => {
      wayline.track('Before Exit', { list: [1] });
      return wayline.anonymousId();
    });
    await page.goto('about:blank');
    assert.deepEqual(log.errors, []);
    // The next page of the site (the visitor comes back, or goes on to another page).
    const next = await context.newPage();
    await next.goto(env.collector.url + '/blank.html');
    await ready(next);
    await next.evaluate(() => wayline.flush());
    const events = await storedFor(anon, 3);
    assert.deepEqual(named(events, 'Before Exit').map((e) => e.properties), [{ list: [1] }]);
    await context.close();
  });
}

// Monitoring tools wrap JSON's methods (to measure or log serialisation), and date libraries replace JSON.parse
// with one that turns ISO date strings into Dates (json.date-extensions' `JSON.useDateParser()`).
test('JSON.stringify and JSON.parse wrapped: properties, repairs and delivery unchanged', async () => {
  const { page, log, context } = await visit('/blank.html', () => {
    const { stringify, parse } = JSON;
    window.jsonCalls = 0;
    JSON.stringify = function (value, replacer, space) {
      window.jsonCalls++;
      return stringify.call(JSON, value, replacer, space);
    };
    const iso = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;
    JSON.parse = function (text, reviver) {
      return parse.call(JSON, text, function (key, value) {
        if (typeof value == 'string' && iso.test(value)) return new Date(value);
        return reviver ? reviver.call(this, key, value) : value;
      });
    };
  });
  const result = await page.evaluate(async () => {
    const cyclic = { name: 'loop', at: '2024-01-02T03:04:05Z' };
    cyclic.self = cyclic;
    wayline.track('Wrapped JSON', cyclic);
    const flushed = await wayline.flush();
    return { flushed, anon: wayline.anonymousId(), jsonCalls: window.jsonCalls };
  });
  assert.equal(result.flushed, true);
  assert.ok(result.jsonCalls > 0, 'the SDK went through the wrapper');
  const events = await storedFor(result.anon, 2);
  assert.deepEqual(named(events, 'Wrapped JSON')[0].properties, { name: 'loop', at: '2024-01-02T03:04:05Z', self: '[Circular]' });
  assert.deepEqual(log.errors, []);
  assert.match(log.warnings.join('\n'), /properties_repaired/);
  await context.close();
});

// A wrapper that passes the value alone (`JSON.stringify = (v) => orig(v)`): the repair of a cyclic value cannot
// run through it, so the call is recorded without its properties and the loss is said, not silent.
test('JSON.stringify wrapped without its replacer: a cyclic value is recorded without properties, reported as properties_lost', async () => {
  const { page, log, context } = await visit('/blank.html', () => {
    const { stringify } = JSON;
    JSON.stringify = function (value) {
      return stringify.call(JSON, value);
    };
  });
  const result = await page.evaluate(async () => {
    const notices = [];
    wayline.on('warning', (w) => notices.push(w.code));
    const cyclic = { name: 'loop' };
    cyclic.self = cyclic;
    wayline.track('Lost Properties', cyclic);
    wayline.track('Kept Properties', { name: 'plain' });
    const flushed = await wayline.flush();
    return { flushed, notices, anon: wayline.anonymousId() };
  });
  assert.equal(result.flushed, true);
  assert.deepEqual(result.notices, ['properties_lost']);
  const events = await storedFor(result.anon, 3);
  assert.deepEqual(named(events, 'Lost Properties')[0].properties, {});
  assert.deepEqual(named(events, 'Kept Properties')[0].properties, { name: 'plain' });
  assert.match(log.warnings.join('\n'), /properties could not be written as JSON.*\(properties_lost\)/);
  assert.deepEqual(log.errors, []);
  await context.close();
});

// Production builds silence the console (`console.warn = function () {}`), test harnesses make it throw
// (jest-fail-on-console style), and error monitors wrap it and report what it says, here through the SDK itself.
test('console methods that throw, or that call back into the SDK: nothing thrown, nothing lost', async () => {
  const { page, log, context } = await visit('/blank.html', () => {
    const warn = console.warn;
    for (const m of ['error', 'debug', 'log', 'info']) {
      console[m] = () => {
        throw new Error(`console.${m} is disabled on this page`);
      };
    }
    console.warn = function (...args) {
      warn.apply(console, args);
      if (window.wayline && window.wayline.loaded) window.wayline.track('Console Warning', { message: String(args[0]) });
    };
  });
  const result = await page.evaluate(async () => {
    const thrown = [];
    for (const call of [
      () => wayline.track(42),
      () => wayline.consent('maybe'),
      () => wayline.on('warning', () => { throw new Error('a listener that throws'); }),
      () => wayline.track(''),
      () => wayline.track('After Warnings', { ok: true }),
    ]) {
      try { call(); } catch (e) { thrown.push(String(e)); }
    }
    await new Promise((r) => setTimeout(r, 50));
    const flushed = await wayline.flush();
    return { thrown, flushed, anon: wayline.anonymousId() };
  });
  assert.deepEqual(result.thrown, []);
  assert.equal(result.flushed, true);
  const events = await storedFor(result.anon, 5);
  assert.deepEqual(named(events, 'After Warnings')[0].properties, { ok: true });
  const reported = named(events, 'Console Warning').map((e) => e.properties.message.match(/\(([a-z_]+)\)$/)[1]);
  assert.deepEqual(reported, ['invalid_event_name', 'invalid_consent', 'invalid_event_name']);
  assert.deepEqual(log.errors, []);
  await context.close();
});

// Routers wrap history.pushState to hear their own navigations: before the SDK loads (the SDK then wraps theirs),
// after it (theirs wraps the SDK's), or they keep the original they found and call it directly; some announce a
// navigation with a synthetic popstate (single-spa's navigateToUrl).
const routers = {
  'wrapped by a router before the SDK loads': [() => {
    const push = history.pushState;
    history.pushState = function (...args) {
      const result = push.apply(this, args);
      window.dispatchEvent(new Event('locationchange'));
      return result;
    };
  }, () => {}],
  'wrapped by a router after the SDK loaded': [null, () => {
    for (const m of ['pushState', 'replaceState']) {
      const original = history[m];
      history[m] = function (...args) {
        const result = original.apply(this, args);
        window.dispatchEvent(new Event('locationchange'));
        return result;
      };
    }
  }],
  'called by a router that kept the original from before the SDK loaded': [() => {
    const push = history.pushState.bind(history);
    window.routerPush = (url) => push({}, '', url);
  }, () => {
    history.pushState = function (state, unused, url) {
      window.routerPush(url);
    };
  }],
  'followed by a synthetic popstate (single-spa style)': [null, () => {
    const push = history.pushState;
    history.pushState = function (...args) {
      const result = push.apply(this, args);
      window.dispatchEvent(new PopStateEvent('popstate', { state: args[0] }));
      return result;
    };
  }],
};
for (const [name, [before, after]] of Object.entries(routers)) {
  test(`history.pushState ${name}: one page view per navigation, with its referrer`, async () => {
    const { page, log, context } = await visit('/blank.html', before || undefined);
    const anon = await page.evaluate(async (after) => {
      new Function(after)();
      history.pushState({}, '', '/app/one');
      history.pushState({}, '', '/app/two?x=1');
      await new Promise((r) => setTimeout(r, 50));
      await wayline.flush();
      return wayline.anonymousId();
    }, `(${after})()`);
    const views = (await storedFor(anon, 3)).filter((e) => e.type === 'page');
    assert.deepEqual(views.map((v) => [v.properties.path + v.properties.search, v.properties.referrer.replace(env.collector.url, '')]), [
      ['/blank.html', ''],
      ['/app/one', '/blank.html'],
      ['/app/two?x=1', '/app/one'],
    ]);
    assert.deepEqual(log.errors, []);
    await context.close();
  });
}

// localStorage replaced: by a consent manager that refuses writes of vendors without consent, and by the in-memory
// stand-in that sites install where storage is blocked (Safari's old private mode, sandboxed frames), which has
// no `key()` or `length`.
const storages = {
  'whose setItem throws for keys it does not allow (a consent manager)': () => {
    const set = Storage.prototype.setItem;
    Storage.prototype.setItem = function (key, value) {
      if (String(key).startsWith('wayline:')) throw new DOMException('blocked by the consent manager', 'SecurityError');
      return set.call(this, key, value);
    };
  },
  'replaced by an in-memory stand-in without key() or length': () => {
    const data = Object.create(null);
    const memory = {
      getItem: (k) => (k in data ? data[k] : null),
      setItem: (k, v) => { data[k] = String(v); },
      removeItem: (k) => { delete data[k]; },
      clear: () => { for (const k in data) delete data[k]; },
    };
    Object.defineProperty(window, 'localStorage', { value: memory, configurable: true });
  },
};
for (const [name, change] of Object.entries(storages)) {
  test(`localStorage ${name}: events are recorded and delivered`, async () => {
    const { page, log, context } = await visit('/blank.html', change);
    const result = await page.evaluate(async () => {
      wayline.track('Stored Elsewhere', { list: [1] });
      await new Promise((r) => setTimeout(r, 1200));
      wayline.track('Stored Elsewhere', { list: [2] });
      const timeout = new Promise((r) => setTimeout(() => r('flush never answered'), 5000));
      return { flushed: await Promise.race([wayline.flush(), timeout]), anon: wayline.anonymousId() };
    });
    assert.equal(result.flushed, true);
    const events = await storedFor(result.anon, 3);
    assert.deepEqual(named(events, 'Stored Elsewhere').map((e) => e.properties.list[0]), [1, 2]);
    assert.deepEqual(log.errors, []);
    await context.close();
  });
}
// `window.wayline` already taken by the page: an element with that id (named access), or the page's own object.
for (const [path, event] of [['/hostile-clash-element.html', 'element'], ['/hostile-clash-global.html', 'object']]) {
  test(`window.wayline already the page's ${event}: the SDK takes the name, says so once, and loses no call`, async () => {
    const { page, log, context } = await visit(path);
    const result = await page.evaluate(async () => ({
      thrown: window.clashThrew,
      flushed: await wayline.flush(),
      anon: wayline.anonymousId(),
      element: document.getElementById('wayline') && document.getElementById('wayline').textContent,
    }));
    assert.deepEqual(result.thrown, []);
    assert.equal(result.flushed, true);
    const events = await storedFor(result.anon, 2);
    assert.deepEqual(named(events, 'Clash Call')[0].properties, { ok: true });
    if (event == 'element') assert.equal(result.element, "The page's own widget container");
    assert.equal(log.warnings.filter((w) => /global_taken/.test(w)).length, 1, log.warnings.join('\n'));
    assert.deepEqual(log.errors, []);
    await context.close();
  });
}
