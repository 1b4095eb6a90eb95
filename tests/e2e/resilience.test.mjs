// Bad input from the page, a collector that is down and a wasm file that cannot load: the page never sees an
// exception, and the console says what happened.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createServer } from 'node:http';
import { root, openPage, ready, waitForEvents, withCollectorAndBrowser, sleep } from './helpers.mjs';

const env = withCollectorAndBrowser({ www: join(root, 'tests', 'e2e', 'site') });

test('unserialisable properties are repaired or dropped with a warning, never thrown', async () => {
  const { page, log, context } = await openPage(env.browser);
  await page.goto(env.collector.url + '/blank.html');
  await ready(page);
  const threw = await page.evaluate(() => {
    const cyclic = { name: 'loop' };
    cyclic.self = cyclic;
    const calls = [
      () => wayline.track('Cyclic', cyclic),
      () => wayline.track('BigInt', { big: 12345678901234567890n }),
      () => wayline.track('Function', { fn: () => 1, kept: true }),
      () => wayline.track('Dom Node', { node: document.body }),
      () => wayline.track('Huge String', { note: 'x'.repeat(1 << 20) }),
      () => wayline.track('Many Huge Strings', Object.fromEntries([...Array(40)].map((_, i) => ['k' + i, 'y'.repeat(5000)]))),
      () => wayline.track(42),
      () => wayline.track('Array Props', [1, 2]),
      () => wayline.identify({ nested: { deep: true } }),
    ];
    const errors = [];
    for (const c of calls) {
      try { c(); } catch (e) { errors.push(String(e)); }
    }
    return errors;
  });
  assert.deepEqual(threw, []);
  await page.evaluate(() => wayline.flush());
  const events = await waitForEvents(env.collector, (e) => e.some((x) => x.event === 'Array Props'));
  const get = (name) => events.find((e) => e.event === name);
  assert.deepEqual(get('Cyclic').properties, { name: 'loop', self: '[Circular]' });
  assert.equal(get('BigInt').properties.big, '12345678901234567890');
  assert.deepEqual(get('Function').properties, { kept: true });
  assert.deepEqual(get('Dom Node').properties, { node: {} });
  assert.equal(get('Huge String').properties.note.length, 1025);
  assert.equal(get('Many Huge Strings'), undefined, 'still too large after cutting: dropped');
  assert.deepEqual(get('Array Props').properties, {});
  const codes = log.warnings.join('\n');
  for (const code of ['properties_repaired', 'properties_truncated', 'properties_too_large', 'invalid_event_name', 'properties_not_object']) {
    assert.match(codes, new RegExp(code));
  }
  assert.deepEqual(log.errors, []);
  await context.close();
});

// Without the rule engine (js/dist) the properties are checked as JSON but not read (docs/sdk.md, "Builds"): each
// kind of value is still sent, or replaced by {} with its warning, as the limits table says.
test('properties that are not an object or nest too deep are sent as {} with a warning; objects as given', async () => {
  const { page, log, context } = await openPage(env.browser);
  await page.goto(env.collector.url + '/blank.html');
  await ready(page);
  const nested = (levels) => {
    let v = 1;
    for (let i = 0; i < levels; i++) v = { a: v };
    return v;
  };
  const sent = await page.evaluate(({ within, past }) => {
    const n = () => log.length;
    const log = [];
    const warn = console.warn;
    console.warn = (...args) => { log.push(args.join(' ')); warn.apply(console, args); };
    const calls = {
      'Object Props': () => wayline.track('Object Props', { s: 'é\u2028"\\', n: [1e21, -0, 0.1], t: true, z: null, o: {} }),
      'String Props': () => wayline.track('String Props', 'str'),
      'Number Props': () => wayline.track('Number Props', 42),
      'Boolean Props': () => wayline.track('Boolean Props', true),
      'Null Props': () => wayline.track('Null Props', null),
      'No Props': () => wayline.track('No Props'),
      'Array Props': () => wayline.track('Array Props', [{ a: 1 }]),
      'Within Depth': () => wayline.track('Within Depth', within),
      'Past Depth': () => wayline.track('Past Depth', past),
      'Group Array': () => wayline.group('g-1', ['x']),
      'Wrapped Stringify': () => {
        // A page's JSON.stringify that answers text that is not JSON for this value.
        const stringify = JSON.stringify;
        JSON.stringify = (v, ...rest) => (v && v.wrapped ? '{"wrapped":1} junk' : stringify(v, ...rest));
        try { wayline.track('Wrapped Stringify', { wrapped: true }); } finally { JSON.stringify = stringify; }
      },
    };
    const warned = {};
    for (const [name, call] of Object.entries(calls)) {
      const before = n();
      call();
      warned[name] = log.slice(before).map((w) => (w.match(/\(([a-z_]+)\)$/) || [])[1]);
    }
    console.warn = warn;
    return warned;
  }, { within: nested(63), past: nested(64) });
  await page.evaluate(() => wayline.flush());
  const events = await waitForEvents(env.collector, (e) => e.some((x) => x.event === 'Wrapped Stringify') && e.some((x) => x.type === 'group'));
  const props = (name) => events.find((e) => e.event === name).properties;
  assert.deepEqual(props('Object Props'), { s: 'é\u2028"\\', n: [1e21, 0, 0.1], t: true, z: null, o: {} });
  for (const name of ['String Props', 'Number Props', 'Boolean Props', 'Null Props', 'No Props', 'Array Props', 'Past Depth', 'Wrapped Stringify']) {
    assert.deepEqual(props(name), {}, name);
  }
  assert.deepEqual(props('Within Depth'), nested(63));
  assert.deepEqual(events.find((e) => e.type === 'group').traits, {});
  assert.deepEqual(sent, {
    'Object Props': [], 'String Props': ['properties_not_object'], 'Number Props': ['properties_not_object'],
    'Boolean Props': ['properties_not_object'], 'Null Props': [], 'No Props': [], 'Array Props': ['properties_not_object'],
    'Within Depth': [], 'Past Depth': ['invalid_properties'], 'Group Array': ['properties_not_object'],
    'Wrapped Stringify': ['invalid_properties'],
  });
  assert.deepEqual(log.errors, []);
  await context.close();
});

test('the page keeps working when the collector is down', async () => {
  const { page, log, context } = await openPage(env.browser);
  let refused = 0;
  await page.route('**/v1/batch', (route) => {
    refused += 1;
    return route.abort('connectionrefused');
  });
  await page.goto(env.collector.url + '/down.html');
  await ready(page);
  const result = await page.evaluate(async () => {
    for (let i = 0; i < 10; i++) wayline.track('Offline Event', { i });
    await new Promise((r) => setTimeout(r, 2500));
    return { state: wayline.debugState(), ok: document.querySelector('h1').textContent };
  });
  assert.equal(result.state.queued, 11, 'events stay queued for retry');
  assert.ok(refused >= 2, `the SDK retried (${refused} attempts)`);
  assert.equal(result.ok, 'The collector is unreachable');
  // Failed fetches show up as network errors in the console; nothing is thrown into the page.
  assert.ok(log.errors.every((e) => /Failed to load resource|ERR_CONNECTION_REFUSED|net::/.test(e)), log.errors.join('\n'));
  await context.close();
});

// A refusal says why when its body is the collector's error, and gives the status alone when it is anything else
// (a proxy's HTML page, a body that cannot be read).
test('a refused batch is reported with the collector\'s code and message, or its status alone', async () => {
  for (const [body, expected] of [
    [JSON.stringify({ error: { code: 'payload_too_large', message: 'the request body is over 500 KB' } }),
      'the collector refused a batch with status 413 (payload_too_large: the request body is over 500 KB); its events were dropped'],
    ['<html><body>Request Entity Too Large</body></html>',
      'the collector refused a batch with status 413; its events were dropped'],
    [JSON.stringify({ error: 'too large' }), 'the collector refused a batch with status 413; its events were dropped'],
  ]) {
    const { page, log, context } = await openPage(env.browser);
    // The page view of the load goes through first: refused, its report could come before or after the test
    // listens.
    let refusing = false;
    await page.route('**/v1/batch', (route) => (refusing
      ? route.fulfill({ status: 413, contentType: 'application/json', body })
      : route.continue()));
    await page.goto(env.collector.url + '/down.html');
    await ready(page);
    assert.equal(await page.evaluate(() => wayline.flush()), true);
    refusing = true;
    await page.evaluate(() => {
      window.notices = [];
      wayline.on('warning', (w) => window.notices.push(w));
      wayline.track('Refused');
      return wayline.flush();
    });
    await page.waitForFunction(() => window.notices.some((n) => n.code === 'batch_rejected'));
    const notices = await page.evaluate(() => window.notices.filter((n) => n.code === 'batch_rejected'));
    assert.deepEqual(notices.map((n) => n.message), [expected]);
    assert.equal(await page.evaluate(() => wayline.debugState().queued), 0, 'the refused events are dropped');
    assert.deepEqual(log.errors.filter((e) => !/status of 413/.test(e)), []);
    await context.close();
  }
});

// Each refusal is reported with its own status, also when a later batch was refused before the earlier one's body
// was read (a body that streams slowly): before, the later status replaced the earlier in both reports.
test('two refusals in a row are each reported with their own status', async () => {
  const { page, context } = await openPage(env.browser);
  const bodies = [
    [413, { error: { code: 'payload_too_large', message: 'first' } }],
    [400, { error: { code: 'invalid_batch', message: 'second' } }],
  ];
  let n = 0;
  let refusing = false;
  await page.route('**/v1/batch', (route) => {
    if (!refusing) return route.continue();
    const [status, body] = bodies[Math.min(n++, 1)];
    return route.fulfill({ status, contentType: 'application/json', body: JSON.stringify(body) });
  });
  await page.goto(env.collector.url + '/blank.html');
  await ready(page);
  await page.evaluate(() => wayline.flush());
  refusing = true;
  await page.evaluate(async () => {
    window.notices = [];
    wayline.on('warning', (w) => window.notices.push(w));
    // The first refusal's body takes a while to read.
    const text = Response.prototype.text;
    let first = true;
    Response.prototype.text = function () {
      const read = text.call(this);
      if (!first) return read;
      first = false;
      return new Promise((resolve) => setTimeout(() => resolve(read), 1000));
    };
    wayline.track('First');
    wayline.flush();
    while (wayline.debugState().queued > 0) await new Promise((r) => setTimeout(r, 10));
    wayline.track('Second');
    wayline.flush();
  });
  await page.waitForFunction(() => window.notices.filter((n) => n.code === 'batch_rejected').length === 2);
  await sleep(200);
  const messages = await page.evaluate(() => window.notices.filter((n) => n.code === 'batch_rejected').map((n) => n.message));
  assert.deepEqual(messages, [
    'the collector refused a batch with status 400 (invalid_batch: second); its events were dropped',
    'the collector refused a batch with status 413 (payload_too_large: first); its events were dropped',
  ]);
  await context.close();
});

// One batch is in flight at a time: a request that is never answered (a proxy that hangs, a connection lost under
// a mobile browser) fails after 30 s and is retried, rather than holding every later batch for the life of the page.
// The page and its endpoint are a server of the test's own (the collector's pages may connect to it alone), which
// takes the first batch and never answers it; the SDK's files come from the collector.
test('a batch whose request is never answered is given up on after 30 s and sent again', async () => {
  const requests = [];
  const server = createServer((req, res) => {
    if (req.method === 'GET') {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end(`<!doctype html><title>Hanging endpoint</title><script src="${env.collector.url}/sdk/wayline-stub.js"></script>`);
      return;
    }
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      requests.push({ at: Date.now(), body });
      if (requests.length === 1) return;
      res.writeHead(200, { 'Access-Control-Allow-Origin': '*', 'Content-Type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${server.address().port}`;
  const { page, log, context } = await openPage(env.browser);
  try {
    await page.goto(origin + '/');
    await page.waitForFunction(() => window.wayline && window.wayline.loaded);
    await page.evaluate(async () => {
      await wayline.init({ writeKey: 'wk_demo', trackClicks: false, autoPage: false });
      wayline.track('After The Hang');
      wayline.flush();
    });
    const deadline = Date.now() + 45000;
    while (requests.length < 2 && Date.now() < deadline) await sleep(200);
    assert.equal(requests.length, 2, 'sent again once the first request was given up on');
    assert.match(requests[0].body, /After The Hang/);
    assert.match(requests[1].body, /After The Hang/);
    const waited = requests[1].at - requests[0].at;
    assert.ok(waited >= 29000 && waited < 40000, `sent again ${waited} ms later`);
    assert.deepEqual(log.errors.filter((e) => !/Failed to load resource|net::/.test(e)), []);
  } finally {
    await context.close();
    server.closeAllConnections();
    server.close();
  }
});

test('offline beyond the queue bound, the oldest events are dropped and counted with one warning, not one per call', async () => {
  const { page, log, context } = await openPage(env.browser);
  await page.goto(env.collector.url + '/blank.html');
  await ready(page);
  await context.setOffline(true);
  const warned = [];
  const state = await page.evaluate(async () => {
    const codes = [];
    wayline.on('warning', (w) => codes.push(w.code));
    for (let i = 0; i < 12000; i++) wayline.track('Offline Burst', { i });
    await new Promise((r) => setTimeout(r, 100));
    return { ...wayline.debugState(), codes };
  });
  warned.push(...state.codes);
  // The bounds are 10,000 events and 2 MiB; every event (the page view and the burst) is either waiting or counted.
  assert.ok(state.queued <= 10000 && state.queued > 9000, `${state.queued} waiting`);
  assert.equal(state.queued + state.droppedOverflow, 12001, 'what is not waiting was counted as dropped');
  assert.deepEqual(warned.filter((c) => c === 'events_dropped'), ['events_dropped'], 'one warning for the whole burst');
  assert.equal(log.warnings.filter((w) => w.includes('events_dropped')).length, 1);
  await context.close();
});

// Drops after a notice are announced once a minute has passed, even when the page is quiet by then (offline
// at the bound, nothing else wakes the SDK): the page's clock is Playwright's, run forward.
test('drops after an events_dropped notice are announced a minute later, also on a page quiet since', async () => {
  const { page, context } = await openPage(env.browser);
  await page.clock.install();
  await page.goto(env.collector.url + '/manual.html');
  await context.setOffline(true);
  const first = await page.evaluate(async () => {
    window.dropped = [];
    wayline.on('warning', (w) => w.code === 'events_dropped' && window.dropped.push(w.message));
    await wayline.init({ writeKey: 'wk_demo', autoPage: false });
    for (let i = 0; i < 10050; i++) wayline.track('Offline Burst', { i });
    return { dropped: window.dropped.slice(), state: wayline.debugState() };
  });
  assert.equal(first.dropped.length, 1, 'one notice for the burst');
  assert.ok(first.state.droppedOverflow > 1);
  await page.clock.runFor(61_000);
  const later = await page.evaluate(() => window.dropped);
  assert.equal(later.length, 2, 'the drops after the first notice are announced a minute later');
  assert.match(later[1], new RegExp(`totals: ${first.state.droppedOverflow} over the queue bound`));
  await context.close();
});

test('when the wasm file cannot load, calls are no-ops and one console message says why', async () => {
  const { page, log, context } = await openPage(env.browser);
  await page.route('**/wayline_bg.wasm', (route) => route.fulfill({ status: 404, body: 'gone' }));
  await page.goto(env.collector.url + '/blank.html');
  await page.waitForFunction(() => window.wayline && window.wayline.loaded);
  const result = await page.evaluate(async () => {
    const ok = await wayline.init({ writeKey: 'wk_demo' });
    wayline.track('Into The Void', { a: 1 });
    wayline.identify('u1');
    const flushed = await wayline.flush();
    return { ok, flushed, anon: wayline.anonymousId() ?? null };
  });
  assert.deepEqual(result, { ok: false, flushed: false, anon: null });
  const messages = log.warnings.filter((w) => w.includes('could not load its WebAssembly module'));
  assert.equal(messages.length, 1);
  assert.equal(log.errors.filter((e) => !/Failed to load resource/.test(e)).length, 0, log.errors.join('\n'));
  await context.close();
});

// A browser without WebAssembly (iOS Lockdown Mode, say, or a policy that turns it off) cannot run the SDK: the stub
// requests nothing for it, so the page neither downloads the module nor sees the error of a request that fails (an
// extension blocking it, the network going away), which would reach it as an unhandled rejection.
test('without WebAssembly the stub requests neither the module nor the config, and the page sees no error', async () => {
  const { page, log, context } = await openPage(env.browser);
  await page.addInitScript(() => delete window.WebAssembly);
  const requested = [];
  page.on('request', (r) => /wayline_bg\.wasm|segments-config\.json/.test(r.url()) && requested.push(r.url()));
  // Were they made, they would fail.
  await page.route(/wayline_bg\.wasm|segments-config\.json/, (route) => route.abort());
  await page.goto(env.collector.url + '/segments.html');
  await page.waitForFunction(() => window.wayline && window.wayline.loaded);
  const result = await page.evaluate(async () => {
    wayline.track('Nowhere');
    return { flushed: await wayline.flush(), anon: wayline.anonymousId() ?? null };
  });
  await sleep(300);
  assert.deepEqual(result, { flushed: false, anon: null });
  assert.deepEqual(log.errors, []);
  assert.deepEqual(requested, []);
  // One console message says why (SPEC §2: an old browser), as when the module cannot load.
  const said = log.warnings.filter((w) => w.includes('[wayline]'));
  assert.equal(said.length, 1, log.warnings.join('\n'));
  assert.match(said[0], /WebAssembly/);
  await context.close();
});

test('init with bad options rejects with a WaylineError that has a stable code; a good init still works', async () => {
  const { page, log, context } = await openPage(env.browser);
  await page.goto(env.collector.url + '/manual.html');
  await page.waitForFunction(() => window.wayline && window.wayline.loaded);
  const result = await page.evaluate(async () => {
    wayline.track('Queued Before Init');
    let error = null;
    try {
      await wayline.init({ endpoint: location.origin });
    } catch (e) {
      error = { name: e.name, code: e.code, isError: e instanceof Error, message: e.message };
    }
    const ok = await wayline.init({ writeKey: 'wk_demo', flushAt: 'many' }).catch((e) => e.code);
    const good = await wayline.init({ writeKey: 'wk_demo', autoPage: false });
    await wayline.flush();
    return { error, ok, good, anon: wayline.anonymousId() };
  });
  assert.deepEqual(result.error, {
    name: 'WaylineError',
    code: 'invalid_options',
    isError: true,
    message: 'init: `writeKey` is required',
  });
  assert.equal(result.ok, 'invalid_options');
  assert.equal(result.good, true);
  const events = await waitForEvents(env.collector, (e) => e.some((x) => x.anonymousId === result.anon));
  assert.deepEqual(events.filter((e) => e.anonymousId === result.anon).map((e) => e.event), ['Queued Before Init']);
  assert.deepEqual(log.errors, []);
  await context.close();
});

test('a script tag whose data- attributes init refuses: one console error with the code, no uncaught rejection', async () => {
  const { page, log, context } = await openPage(env.browser);
  await page.goto(env.collector.url + '/bad-options.html');
  await page.waitForFunction(() => window.wayline && window.wayline.loaded);
  await sleep(500);
  // Calls still do nothing harmful, and a good init later starts the SDK with them.
  const anon = await page.evaluate(async () => {
    wayline.track('Before The Good Init');
    await wayline.init({ writeKey: 'wk_demo', autoPage: false });
    await wayline.flush();
    return wayline.anonymousId();
  });
  assert.deepEqual(log.errors, ['[wayline] init: `flushAt` must be a number from 1 to 1000 (invalid_options)']);
  const events = await waitForEvents(env.collector, (e) => e.some((x) => x.anonymousId === anon));
  assert.deepEqual(events.filter((e) => e.anonymousId === anon).map((e) => e.event), ['Before The Good Init']);
  await context.close();
});

test('bad options queued through the stub before the SDK loaded: the same console error, no uncaught rejection', async () => {
  const { page, log, context } = await openPage(env.browser);
  await page.route('**/sdk/wayline.js', async (route) => {
    // Held back a little, so the page's calls go through the stub's queue.
    await new Promise((r) => setTimeout(r, 300));
    return route.continue();
  });
  await page.goto(env.collector.url + '/manual.html', { waitUntil: 'commit' });
  await page.waitForFunction(() => Array.isArray(window.wayline));
  await page.evaluate(() => {
    wayline.init({ writeKey: 'wk_demo', flushInterval: -1 });
    wayline.track('Queued With Bad Options');
  });
  await page.waitForFunction(() => window.wayline && window.wayline.loaded);
  await sleep(500);
  assert.deepEqual(log.errors.length, 1, log.errors.join('\n'));
  assert.match(log.errors[0], /^\[wayline\] init: `flushInterval` .* \(invalid_options\)$/);
  await context.close();
});

// analytics.js's last-argument callback (`track(event, properties, options, callback)`, and the same for `page` and
// `identify`), which pages use to navigate once a click is tracked: it is called once the call is recorded, and
// within 300 ms whatever happens, also when the SDK cannot run, so such a page never waits for good.
test('a callback as the last argument is called once the call is recorded, and also when the SDK cannot load', async () => {
  const { page, log, context } = await openPage(env.browser);
  await page.goto(env.collector.url + '/manual.html');
  await page.waitForFunction(() => window.wayline && window.wayline.loaded);
  const calls = () => {
    const heard = [];
    const mark = (name) => () => heard.push(name);
    wayline.track('Clicked', { to: '/next' }, {}, mark('track+options'));
    wayline.track('Clicked', { to: '/next' }, mark('track'));
    wayline.track('Clicked', mark('track bare'));
    wayline.page('Docs', 'Intro', {}, {}, mark('page'));
    wayline.identify('u-1', { plan: 'pro' }, {}, mark('identify'));
    return heard;
  };
  const result = await page.evaluate(async (body) => {
    const calls = eval(body);
    const beforeInit = calls();
    const ok = await wayline.init({ writeKey: 'wk_demo', autoPage: false });
    await new Promise((r) => setTimeout(r, 400));
    const running = calls();
    const immediately = running.length;
    await new Promise((r) => setTimeout(r, 20));
    await wayline.flush();
    return { ok, beforeInit, immediately, running };
  }, `(${calls})`);
  const all = ['track+options', 'track', 'track bare', 'page', 'identify'];
  assert.equal(result.ok, true);
  assert.deepEqual(result.beforeInit, all, 'queued before init: called once replayed');
  assert.equal(result.immediately, 0, 'called after the call, not inside it');
  assert.deepEqual(result.running, all);
  const events = await waitForEvents(env.collector, (e) => e.filter((x) => x.event === 'Clicked').length >= 6);
  assert.equal(events.filter((x) => x.event === 'Clicked').length, 6);
  for (const e of events.filter((x) => x.event === 'Clicked')) {
    assert.ok(e.properties.to === '/next' || Object.keys(e.properties).length === 0, JSON.stringify(e.properties));
  }
  assert.deepEqual(log.errors, []);

  // The wasm file cannot load: the callbacks are still called.
  const blocked = await openPage(env.browser);
  await blocked.page.route('**/wayline_bg.wasm', (route) => route.fulfill({ status: 404, body: 'gone' }));
  await blocked.page.goto(env.collector.url + '/manual.html');
  await blocked.page.waitForFunction(() => window.wayline && window.wayline.loaded);
  const failed = await blocked.page.evaluate(async (body) => {
    const calls = eval(body);
    const early = calls();
    const ok = await wayline.init({ writeKey: 'wk_demo' });
    const late = calls();
    await new Promise((r) => setTimeout(r, 350));
    return { ok, early, late };
  }, `(${calls})`);
  assert.deepEqual(failed, { ok: false, early: all, late: all });
  await blocked.context.close();
  await context.close();
});

// A callback is the page's code: one that throws is still called once (a second call would navigate twice, or
// count a click twice), the error reaches the page's own error handling once, and the SDK goes on.
test('a callback that throws is called once, and the SDK keeps working', async () => {
  const { page, log, context } = await openPage(env.browser);
  await page.goto(env.collector.url + '/manual.html');
  await page.waitForFunction(() => window.wayline && window.wayline.loaded);
  const result = await page.evaluate(async () => {
    let reported = 0;
    window.addEventListener('error', (e) => (reported++, e.preventDefault()));
    window.addEventListener('unhandledrejection', (e) => (reported++, e.preventDefault()));
    const counts = { loading: 0, running: 0 };
    const boom = (k) => () => {
      counts[k] += 1;
      throw new Error('page bug');
    };
    const started = wayline.init({ writeKey: 'wk_demo', autoPage: false });
    wayline.track('Throwing Callback', { when: 'loading' }, boom('loading'));
    const ok = await started;
    wayline.track('Throwing Callback', { when: 'running' }, boom('running'));
    await new Promise((r) => setTimeout(r, 400));
    wayline.track('After Throwing Callback');
    const flushed = await wayline.flush();
    return { ok, counts, reported, flushed };
  });
  assert.deepEqual(result, { ok: true, counts: { loading: 1, running: 1 }, reported: 2, flushed: true });
  const events = await waitForEvents(env.collector, (e) => e.some((x) => x.event === 'After Throwing Callback'));
  assert.equal(events.filter((x) => x.event === 'Throwing Callback').length, 2);
  assert.deepEqual(log.errors, []);
  await context.close();
});

// `await wayline.flush()` before leaving a page must never hang: made while the module is loading, it resolves
// `false` if the module then cannot load, also when made through the stub before the loader arrived.
test('a flush made while the module loads resolves false when it cannot load', async () => {
  const { page, context } = await openPage(env.browser);
  await page.route('**/wayline_bg.wasm', (route) => route.fulfill({ status: 404, body: 'gone' }));
  await page.addInitScript(() => {
    window.addEventListener('DOMContentLoaded', () => {
      window.stubFlush = window.wayline.flush();
    });
  });
  await page.goto(env.collector.url + '/blank.html');
  await page.waitForFunction(() => window.wayline && window.wayline.loaded);
  const result = await page.evaluate(async () => {
    const timeout = new Promise((r) => setTimeout(() => r('hung'), 2000));
    return { viaStub: await Promise.race([window.stubFlush, timeout]) };
  });
  assert.deepEqual(result, { viaStub: false });

  const manual = await openPage(env.browser);
  await manual.page.route('**/wayline_bg.wasm', (route) => route.fulfill({ status: 404, body: 'gone' }));
  await manual.page.goto(env.collector.url + '/manual.html');
  await manual.page.waitForFunction(() => window.wayline && window.wayline.loaded);
  const flushed = await manual.page.evaluate(async () => {
    const started = wayline.init({ writeKey: 'wk_demo' });
    const flushing = wayline.flush();
    const timeout = new Promise((r) => setTimeout(() => r('hung'), 2000));
    return { ok: await started, flushed: await Promise.race([flushing, timeout]) };
  });
  assert.deepEqual(flushed, { ok: false, flushed: false });
  await manual.context.close();
  await context.close();
});

// Segment's `group` and `alias` calls: recorded in the spec's shape and stored by the collector; a page migrating
// from analytics.js that calls them no longer meets "wayline.group is not a function".
test('group and alias are recorded as Segment messages, also when called through the stub before the SDK loaded', async () => {
  const { page, log, context } = await openPage(env.browser);
  await page.addInitScript(() => {
    // Called while only the stub exists.
    window.addEventListener('DOMContentLoaded', () => window.wayline.group('acme-early', { plan: 'starter' }));
  });
  await page.goto(env.collector.url + '/blank.html');
  await ready(page);
  const anon = await page.evaluate(async () => {
    wayline.group('acme', { plan: 'enterprise', seats: 40 });
    wayline.group(42);
    wayline.alias('user-7');
    wayline.identify('user-7');
    wayline.alias('user-8', 'legacy-3');
    // analytics.js's alias(to, options): an object second argument is options, not a previous id.
    wayline.alias('user-9', { integrations: {} });
    // A number that is no id is refused, not sent as "null".
    window.refused = [];
    wayline.on('warning', (w) => window.refused.push(w.code));
    wayline.identify(NaN);
    wayline.group(Infinity);
    wayline.alias(NaN);
    await wayline.flush();
    return wayline.anonymousId();
  });
  assert.deepEqual(await page.evaluate(() => window.refused), ['invalid_user_id', 'invalid_group_id', 'invalid_user_id']);
  const mine = (e) => e.filter((x) => x.anonymousId === anon && (x.type === 'group' || x.type === 'alias'));
  const events = mine(await waitForEvents(env.collector, (e) => mine(e).length >= 6));
  const shape = events.map((e) => [e.type, e.groupId ?? e.previousId, e.type === 'group' ? e.traits : e.userId]);
  assert.deepEqual(shape, [
    ['group', 'acme-early', { plan: 'starter' }],
    ['group', 'acme', { plan: 'enterprise', seats: 40 }],
    ['group', '42', {}],
    ['alias', anon, 'user-7'],
    ['alias', 'legacy-3', 'user-8'],
    ['alias', 'user-7', 'user-9'],
  ]);
  assert.equal(await page.evaluate(() => wayline.userId()), 'user-7', 'alias does not change the user id');
  assert.equal(events.filter((e) => e.userId === 'null').length, 0);
  assert.deepEqual(log.errors, []);
  await context.close();
});

test('identify with a missing id (null or undefined) updates the traits, as analytics-next reads it', async () => {
  const { page, log, context } = await openPage(env.browser);
  await page.goto(env.collector.url + '/blank.html');
  await ready(page);
  const result = await page.evaluate(async () => {
    const warned = [];
    wayline.on('warning', (w) => warned.push(w.code));
    wayline.identify('user-5', { plan: 'free' });
    wayline.identify(null, { plan: 'team' });
    wayline.identify(undefined, { seats: 3 });
    await wayline.flush();
    return { warned, anon: wayline.anonymousId(), user: wayline.userId() };
  });
  assert.deepEqual(result.warned, []);
  assert.equal(result.user, 'user-5');
  const mine = (e) => e.filter((x) => x.anonymousId === result.anon && x.type === 'identify');
  const identifies = mine(await waitForEvents(env.collector, (e) => mine(e).length >= 3));
  assert.deepEqual(identifies.map((e) => [e.userId, e.traits]), [
    ['user-5', { plan: 'free' }],
    ['user-5', { plan: 'team' }],
    ['user-5', { plan: 'team', seats: 3 }],
  ]);
  assert.deepEqual(log.errors, []);
  await context.close();
});

test("analytics.js's options change the message of their call, found where analytics-next finds them, also through the stub", async () => {
  const { page, log, context } = await openPage(env.browser);
  await page.addInitScript(() => {
    // Called while only the stub exists, with a callback after the options.
    window.addEventListener('DOMContentLoaded', () =>
      window.wayline.track('Early', { n: 1 }, { context: { ip: '0.0.0.0' } }, () => (window.called = true)));
  });
  await page.goto(env.collector.url + '/blank.html');
  await ready(page);
  const anon = await page.evaluate(async () => {
    const options = (tag) => ({ integrations: { All: false, [tag]: true }, context: { ip: '0.0.0.0' }, tag });
    window.warned = [];
    wayline.on('warning', (w) => window.warned.push(w.code));
    wayline.track('With Options', { plan: 'pro' }, options('track'));
    wayline.track('Dated', undefined, { timestamp: new Date('2026-01-02T03:04:05.678Z') });
    wayline.page('Docs', 'Intro', null, options('page'));
    wayline.page('Home', undefined, undefined, options('named page'));
    // As in analytics-next, a third argument after a name and no properties is the properties.
    wayline.page('About', undefined, { section: 'team' });
    wayline.page({ path_hint: 'x' }, options('page of properties'));
    wayline.identify({ plan: 'team' }, options('identify traits'));
    wayline.identify('user-1', { seats: 3 }, options('identify'));
    wayline.group('acme', { tier: 1 }, options('group'));
    wayline.alias('user-2', options('alias'));
    wayline.alias('user-3', 'legacy', options('alias with previous id'));
    wayline.track('Plain', { plan: 'pro' });
    wayline.track('Bad Options', {}, { timestamp: 'soon', anonymousId: 'other-device' });
    await wayline.flush();
    return wayline.anonymousId();
  });
  const mine = (e) => e.filter((x) => x.anonymousId === anon || x.anonymousId === 'other-device');
  const events = mine(await waitForEvents(env.collector, (e) => mine(e).length >= 15));
  const tags = events.map((e) => [e.event || e.name || e.type, e.context.tag ?? null, e.integrations ?? null, e.context.ip ?? null]);
  const withTag = (tag, name) => [name, tag, { All: false, [tag]: true }, '0.0.0.0'];
  assert.deepEqual(tags, [
    ['page', null, null, null],
    ['Early', null, null, '0.0.0.0'],
    withTag('track', 'With Options'),
    ['Dated', null, null, null],
    withTag('page', 'Intro'),
    withTag('named page', 'Home'),
    ['About', null, null, null],
    withTag('page of properties', 'page'),
    withTag('identify traits', 'identify'),
    withTag('identify', 'identify'),
    withTag('group', 'group'),
    withTag('alias', 'alias'),
    withTag('alias with previous id', 'alias'),
    ['Plain', null, null, null],
    ['Bad Options', null, null, null],
  ]);
  const byName = (n) => events.find((e) => (e.event || e.name) === n);
  assert.deepEqual(byName('With Options').properties, { plan: 'pro' });
  assert.equal(byName('Intro').category, 'Docs');
  assert.equal(byName('About').properties.section, 'team');
  assert.equal(byName('Dated').originalTimestamp, '2026-01-02T03:04:05.678Z');
  assert.equal(events.find((e) => e.context.tag === 'page of properties').properties.path_hint, 'x');
  assert.equal(events.find((e) => e.context.tag === 'alias with previous id').previousId, 'legacy');
  assert.equal(byName('Bad Options').anonymousId, 'other-device');
  assert.deepEqual(await page.evaluate(() => window.warned), ['invalid_call_options']);
  // The stub's callback comes 300 ms after the call (see below).
  await page.waitForFunction(() => window.called === true);
  assert.deepEqual(log.errors, []);
  await context.close();
});

// Through the script-tag stub (before the loader has arrived), a callback is called after 300 ms and only then:
// also when the loader never arrives (blocked by an extension, a 404), so a page that navigates in it never waits.
test('a callback given to the stub is called once after 300 ms, also when the loader never arrives', async () => {
  for (const blocked of [true, false]) {
    const { page, log, context } = await openPage(env.browser);
    if (blocked) await page.route('**/wayline.js', (route) => route.fulfill({ status: 404, body: 'blocked' }));
    await page.addInitScript(() => {
      window.heard = [];
      document.addEventListener('DOMContentLoaded', () => {
        window.wayline.track('Through The Stub', {}, {}, () => window.heard.push(performance.now()));
        window.wayline.identify('u-stub', () => window.heard.push(performance.now()));
      });
    });
    await page.goto(env.collector.url + '/blank.html');
    await page.waitForTimeout(700);
    const heard = await page.evaluate(() => window.heard);
    assert.equal(heard.length, 2, `blocked ${blocked}: each callback once`);
    if (!blocked) {
      await ready(page);
      const anon = await page.evaluate(async () => { await wayline.flush(); return wayline.anonymousId(); });
      await waitForEvents(env.collector, (e) => e.some((x) => x.anonymousId === anon && x.event === 'Through The Stub'));
      assert.deepEqual(log.errors, []);
    }
    await context.close();
  }
});

// A `ready` listener added after `ready` hears it in a promise reaction; one removed before then (the function `on`
// returns, or `off`) is not called, as a listener removed before an event is not: a component that subscribes,
// unsubscribes and subscribes again (React's StrictMode mounts effects twice) hears it once.
test('a late ready listener removed before it was told is not called', async () => {
  const { page, log, context } = await openPage(env.browser);
  await page.goto(env.collector.url + '/blank.html');
  await ready(page);
  const heard = await page.evaluate(async () => {
    const heard = { unsubscribed: 0, off: 0, remounted: 0, twice: 0 };
    wayline.on('ready', () => heard.unsubscribed++)();
    const f = () => heard.off++;
    wayline.on('ready', f);
    wayline.off('ready', f);
    const g = () => heard.remounted++;
    wayline.on('ready', g)();
    wayline.on('ready', g);
    // A listener added twice is told twice, as the event calls it twice.
    const h = () => heard.twice++;
    wayline.on('ready', h);
    wayline.on('ready', h);
    await new Promise((r) => setTimeout(r, 50));
    return heard;
  });
  assert.deepEqual(heard, { unsubscribed: 0, off: 0, remounted: 1, twice: 2 });
  assert.deepEqual(log.errors, []);
  await context.close();
});

test("the stub's queries answer as the SDK does before init, and throw nothing, until the loader arrives", async () => {
  const { page, log, context } = await openPage(env.browser);
  await page.route('**/wayline.js', (route) => route.fulfill({ status: 404, body: 'blocked' }));
  await page.addInitScript(() => {
    document.addEventListener('DOMContentLoaded', () => {
      const w = window.wayline;
      window.answers = {};
      for (const [name, args] of [
        ['segments', []], ['stage', ['lifecycle']], ['explain', ['nps']], ['anonymousId', []], ['userId', []],
        ['debugState', []],
      ]) {
        try {
          window.answers[name] = { value: w[name](...args) };
        } catch (e) {
          window.answers[name] = { thrown: String(e) };
        }
      }
    });
  });
  await page.goto(env.collector.url + '/blank.html');
  const answers = await page.evaluate(() => window.answers);
  assert.deepEqual(answers, {
    segments: { value: [] }, stage: { value: undefined }, explain: { value: null }, anonymousId: { value: undefined },
    userId: { value: undefined }, debugState: { value: null },
  });
  assert.deepEqual(log.errors.filter((e) => !/Failed to load resource/.test(e)), []);
  await context.close();
});

/** Serves `path` as a page with the stub under `csp` (the collector's own pages carry its policy). */
async function pageWithPolicy(page, path, csp, head = '') {
  await page.route('**' + path, (route) => route.fulfill({
    status: 200,
    headers: { 'content-type': 'text/html', 'content-security-policy': csp },
    body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Policy</title>${head}` +
      '<script src="/sdk/wayline-stub.js" data-write-key="wk_demo"></script></head><body><h1>Policy</h1></body></html>',
  }));
  await page.goto(env.collector.url + path);
}

// Trusted Types (`require-trusted-types-for 'script'`): a script's URL must come from a policy. The stub makes its
// own, `wayline`, which the page's `trusted-types` directive names to allow it.
test('a page that enforces Trusted Types and allows the stub\'s policy loads the SDK, and its events are stored', async () => {
  const { page, log, context } = await openPage(env.browser);
  await pageWithPolicy(page, '/trusted-types.html',
    "script-src 'self' 'wasm-unsafe-eval'; require-trusted-types-for 'script'; trusted-types wayline");
  await ready(page);
  const anon = await page.evaluate(async () => {
    wayline.track('Under Trusted Types');
    await wayline.flush();
    return wayline.anonymousId();
  });
  await waitForEvents(env.collector, (e) => e.some((x) => x.anonymousId === anon && x.event === 'Under Trusted Types'));
  assert.deepEqual(log.errors, []);
  await context.close();
});

// Where the loader cannot load (the page's Trusted Types allow no policy of the stub's, a 404, a blocked request),
// nothing is thrown into the page, one warning says why, and a `flush()` resolves false rather than never: a page
// that awaits it before navigating must not hang.
test('a loader that cannot load: nothing thrown, one warning, and flush() resolves false', async () => {
  for (const how of ['trusted types', '404']) {
    const { page, log, context } = await openPage(env.browser);
    if (how === '404') await page.route('**/sdk/wayline.js', (route) => route.fulfill({ status: 404, body: 'gone' }));
    await page.addInitScript(() => {
      document.addEventListener('DOMContentLoaded', () => {
        window.early = Promise.race([wayline.flush(), new Promise((r) => setTimeout(() => r('pending'), 3000))]);
      });
    });
    await pageWithPolicy(page, `/policy-${how === '404' ? 'missing' : 'tt'}.html`, how === '404'
      ? "script-src 'self' 'wasm-unsafe-eval'"
      : "script-src 'self' 'wasm-unsafe-eval'; require-trusted-types-for 'script'; trusted-types 'none'");
    assert.equal(await page.evaluate(() => window.early), false, `${how}: a flush made before it failed`);
    assert.equal(await page.evaluate(() => wayline.flush()), false, `${how}: a flush made after`);
    assert.equal(await page.evaluate(() => { wayline.track('Nothing Thrown'); return 'ok'; }), 'ok');
    const messages = log.warnings.filter((w) => w.startsWith('[wayline]'));
    assert.equal(messages.length, 1, `${how}: ${JSON.stringify(log.console)}`);
    assert.match(messages[0], /could not load .*wayline\.js/);
    assert.match(messages[0], /Trusted Types, allow the policy "wayline"/);
    // The browser's own reports of what the page's policy refused are no exceptions in the page.
    const reports = /^(Failed to load resource|Creating a TrustedTypePolicy|This document requires .TrustedScriptURL)/;
    assert.deepEqual(log.errors.filter((e) => !reports.test(e)), [], how);
    await context.close();
  }
});
