// The npm package and the script tag in the setups front-end developers use: imported by server-side rendering in
// plain Node, type-checked by TypeScript under the module resolutions projects use, and loaded in Chromium under a
// Content-Security-Policy that refuses the module or the collector, and behind an extension that blocks the
// collector.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, mkdirSync, writeFileSync, symlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { root, openPage, ready, waitForEvents, withCollectorAndBrowser, assertNoDuplicates } from './helpers.mjs';

const env = withCollectorAndBrowser();
// This checkout's package (`wayline` in node_modules may be another checkout's).
const pkg = join(root, 'js');

// SSR (Next.js, Nuxt, SvelteKit, Remix): the module is imported on the server, where its calls run too.
test('server-side rendering in plain Node: import is safe, every call is a no-op, promises settle', async () => {
  const rejections = [];
  const onRejection = (e) => rejections.push(e);
  process.on('unhandledRejection', onRejection);
  try {
    const mod = await import(pathToFileURL(join(pkg, 'dist', 'index.js')).href);
    const w = mod.wayline;
    assert.equal(mod.default, w);
    const calls = ['track', 'page', 'identify', 'group', 'alias', 'reset', 'consent', 'outcome', 'off'];
    for (const name of calls) assert.equal(w[name]('A', {}), undefined, name);
    const off = w.on('ready', () => assert.fail('no ready on the server'));
    assert.equal(typeof off, 'function');
    off();
    assert.deepEqual(w.segments(), []);
    assert.equal(w.stage('j'), undefined);
    assert.equal(w.explain('c'), null);
    assert.equal(w.anonymousId(), undefined);
    assert.equal(w.userId(), undefined);
    assert.equal(w.debugState(), null);
    const early = w.flush();
    assert.equal(await w.init({ writeKey: 'wk_demo', endpoint: 'https://collector.example' }), false);
    assert.equal(await early, false);
    assert.equal(await w.flush(), false);
    // analytics.js's callback still comes, so server code awaiting it does not hang.
    await new Promise((resolve) => w.track('Callback', {}, resolve));
  } finally {
    process.off('unhandledRejection', onRejection);
  }
  assert.deepEqual(rejections, []);
});

// The declarations as a project's `tsc --strict` reads them: every form the runtime takes (and docs/sdk.md lists)
// must type-check, under `bundler` and `node16` resolution, and in a server-only project without the DOM library.
test('the declarations describe what the runtime takes, under bundler, node16 and without the DOM library', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wayline-types-'));
  try {
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(pkg, join(dir, 'node_modules', 'wayline'));
    writeFileSync(join(dir, 'package.json'), '{ "name": "consumer", "private": true, "type": "module" }');
    writeFileSync(join(dir, 'app.ts'), `import { wayline, type InitOptions } from 'wayline';
const options: InitOptions = {
  writeKey: 'wk', consent: 'pending', config: '/v1/config',
  // What the stub hands over: an object with the response's status, headers and text, not a Response.
  configResponse: Promise.resolve({ status: 200, headers: { get: (_: string) => null }, text: async () => '{}' }),
};
export async function run(): Promise<boolean> {
  const ok = await wayline.init(options);
  // Ids as analytics.js takes them: a number is sent as its text; a missing id keeps the current one.
  wayline.identify(42, { plan: 'pro' });
  wayline.identify(null, { plan: 'pro' });
  wayline.identify(undefined, { plan: 'pro' }, () => undefined);
  wayline.group(7, { plan: 'enterprise' });
  wayline.alias(42, 7);
  wayline.alias('user-42', 'anon-1', { context: { ip: '0.0.0.0' } });
  // A page view with a name and no category.
  wayline.page(null, 'Home');
  wayline.page(null, 'Home', { section: 'top' });
  wayline.page(undefined, 'Home', undefined, () => undefined);
  return ok && (await wayline.flush());
}
`);
    const tsc = join(root, 'node_modules', '.bin', 'tsc');
    const base = { strict: true, noEmit: true, target: 'ES2022', skipLibCheck: false };
    const setups = {
      bundler: { module: 'ESNext', moduleResolution: 'bundler', lib: ['ES2022', 'DOM'] },
      node16: { module: 'node16', moduleResolution: 'node16', lib: ['ES2022', 'DOM'] },
      // A server-only project (no DOM library, no @types/node) that imports code shared with the browser.
      'server only': { module: 'nodenext', moduleResolution: 'nodenext', lib: ['ES2022'], types: [] },
    };
    const failures = [];
    for (const [name, options] of Object.entries(setups)) {
      const config = join(dir, `tsconfig.${name.replace(' ', '-')}.json`);
      writeFileSync(config, JSON.stringify({ compilerOptions: { ...base, ...options }, files: ['app.ts'] }));
      try {
        execFileSync(tsc, ['-p', config], { cwd: dir, encoding: 'utf8', stdio: 'pipe' });
      } catch (e) {
        failures.push(`${name}:\n${e.stdout}${e.stderr}`);
      }
    }
    assert.deepEqual(failures, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Serves `path` at the collector's origin as a page with the stub (`attrs` added to its tag) under `csp`. */
async function pageWithPolicy(page, path, csp, attrs = '') {
  await page.route('**' + path, (route) => route.fulfill({
    status: 200,
    headers: { 'content-type': 'text/html', 'content-security-policy': csp },
    body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Policy</title><link rel="icon" href="data:,">` +
      `<script src="/sdk/wayline-stub.js" data-write-key="wk_demo"${attrs}></script></head><body><h1>Policy</h1></body></html>`,
  }));
  await page.goto(env.collector.url + path);
}

/** `wayline.flush()` on the page, or `'pending'` after `ms`. */
const flushWithin = (page, ms) =>
  page.evaluate((ms) => Promise.race([wayline.flush(), new Promise((r) => setTimeout(() => r('pending'), ms))]), ms);

// A page that forgot the collector in `connect-src`: the browser refuses every batch. A page that awaits `flush()`
// before navigating (a checkout's last click) must not wait for good; the events stay queued.
test("a collector the page's connect-src does not allow: flush() resolves false, nothing thrown", async () => {
  const { page, log, context } = await openPage(env.browser);
  // `localhost` is another origin than the page's `127.0.0.1`.
  const other = env.collector.url.replace('127.0.0.1', 'localhost');
  await pageWithPolicy(page, '/integration-connect.html', "script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'",
    ` data-endpoint="${other}"`);
  await ready(page);
  await page.evaluate(() => wayline.track('Blocked By Policy'));
  assert.equal(await flushWithin(page, 5000), false, 'the first flush');
  assert.equal(await flushWithin(page, 5000), false, 'a flush while retries wait');
  assert.ok((await page.evaluate(() => wayline.debugState().queued)) >= 1, 'the events stay queued');
  const policy = /^(Connecting to .* violates|Fetch API cannot load .*Content Security Policy)/;
  assert.deepEqual(log.errors.filter((e) => !policy.test(e)), []);
  await context.close();
});

// An extension (uBlock Origin, Ghostery) blocks requests to the collector. flush() says they could not be sent,
// rather than never answering; once the collector is reachable again, a flush sends everything, once.
test('a collector blocked by an extension: flush() resolves false, then true once it can send again', async () => {
  const { page, log, context } = await openPage(env.browser);
  await page.route('**/v1/batch', (route) => route.abort('blockedbyclient'));
  await pageWithPolicy(page, '/integration-blocked.html', "script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'");
  await ready(page);
  const anon = await page.evaluate(() => {
    wayline.track('Blocked By Extension');
    return wayline.anonymousId();
  });
  assert.equal(await flushWithin(page, 5000), false, 'the first flush');
  assert.equal(await flushWithin(page, 5000), false, 'a flush while retries wait');
  await page.unroute('**/v1/batch');
  assert.equal(await flushWithin(page, 5000), true, 'a flush once the collector can be reached');
  const events = await waitForEvents(env.collector, (e) => e.some((x) => x.anonymousId === anon && x.event === 'Blocked By Extension'));
  assertNoDuplicates(assert, events);
  assert.deepEqual(log.errors.filter((e) => !/ERR_BLOCKED_BY_CLIENT/.test(e)), []);
  await context.close();
});

// The module's request fails on the network as the page loads (a connection reset, the server restarting): the
// loader fetches it again after a second, and again after two and four more, so the SDK starts in this page and the
// calls made meanwhile are replayed, not lost. A request the page's policy refuses is not made again (the test
// below).
test('a module request that fails on the network is made again: the SDK starts and keeps the calls made meanwhile', async () => {
  const { page, log, context } = await openPage(env.browser);
  let requests = 0;
  await page.route('**/wayline_bg.wasm', (route) => (++requests === 1 ? route.abort('connectionreset') : route.continue()));
  await pageWithPolicy(page, '/integration-wasm-retry.html', "script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'");
  await page.evaluate(() => wayline.track('Before The Module'));
  await ready(page);
  const anon = await page.evaluate(() => wayline.anonymousId());
  assert.equal(await flushWithin(page, 5000), true);
  assert.equal(requests, 2);
  const events = await waitForEvents(env.collector, (e) => e.some((x) => x.anonymousId === anon && x.event === 'Before The Module'));
  assertNoDuplicates(assert, events);
  assert.deepEqual(log.warnings.filter((w) => w.startsWith('[wayline]')), []);
  assert.deepEqual(log.errors.filter((e) => !/ERR_CONNECTION_RESET/.test(e)), []);
  await context.close();
});

// While the module cannot be fetched (its request failed on the network, and the loader waits to make it again),
// flush() resolves false at once, as when the collector cannot be reached, rather than after the tries (about seven
// seconds when they all fail); the calls made meanwhile, that flush among them, are still replayed in order once
// the module starts, and a flush made then is answered by the SDK.
test('flush() while the module request waits to be made again resolves false at once; the calls are kept', async () => {
  const { page, log, context } = await openPage(env.browser);
  let requests = 0;
  await page.route('**/wayline_bg.wasm', async (route) => {
    if (++requests === 1) return route.abort('connectionreset');
    // The next try is answered late, so that the test's flush below surely comes before the module starts.
    await new Promise((r) => setTimeout(r, 2000));
    return route.continue();
  });
  await pageWithPolicy(page, '/integration-wasm-flush.html', "script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'");
  await page.waitForFunction(() => window.wayline && window.wayline.loaded);
  await page.waitForTimeout(200);
  const early = await page.evaluate(async () => {
    wayline.track('Before The Flush');
    const started = performance.now();
    const flushed = await Promise.race([wayline.flush(), new Promise((r) => setTimeout(() => r('pending'), 500))]);
    wayline.track('After The Flush');
    return [flushed, performance.now() - started, wayline.anonymousId()];
  });
  assert.equal(early[0], false, 'resolved false while the module waits to be fetched again');
  assert.ok(early[1] < 100, `at once (${early[1]} ms)`);
  assert.equal(early[2], undefined, 'the SDK has not started');
  await ready(page);
  assert.equal(requests, 2);
  assert.equal(await flushWithin(page, 5000), true, 'a flush once the SDK runs');
  const id = await page.evaluate(() => wayline.anonymousId());
  const events = await waitForEvents(env.collector, (e) => ['Before The Flush', 'After The Flush'].every((n) => e.some((x) => x.anonymousId === id && x.event === n)));
  const mine = events.filter((x) => x.anonymousId === id && x.type === 'track').map((x) => x.event);
  assert.deepEqual(mine, ['Before The Flush', 'After The Flush'], 'replayed in order');
  assertNoDuplicates(assert, events);
  assert.deepEqual(log.warnings.filter((w) => w.startsWith('[wayline]')), []);
  assert.deepEqual(log.errors.filter((e) => !/ERR_CONNECTION_RESET/.test(e)), []);
  await context.close();
});

// A flush made while the module's first request is on its way waits; when that request then fails (and the loader
// waits to make it again), the waiting flush resolves false at once too, rather than after the tries; its calls
// are still replayed once the module starts.
test('flush() waiting on the module\'s first request resolves false when that request fails; the calls are kept', async () => {
  const { page, log, context } = await openPage(env.browser);
  let requests = 0;
  let failFirst;
  const firstHeld = new Promise((r) => (failFirst = r));
  let firstArrived;
  const arrived = new Promise((r) => (firstArrived = r));
  await page.route('**/wayline_bg.wasm', async (route) => {
    if (++requests === 1) {
      firstArrived();
      await firstHeld;
      return route.abort('connectionreset');
    }
    return route.continue();
  });
  await pageWithPolicy(page, '/integration-wasm-held.html', "script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'");
  await page.waitForFunction(() => window.wayline && window.wayline.loaded);
  await arrived;
  await page.evaluate(() => {
    wayline.track('Before The Failure');
    window.flushed = 'pending';
    window.flushStarted = performance.now();
    wayline.flush().then((v) => {
      window.flushed = v;
      window.flushEnded = performance.now();
    });
  });
  // Still waiting: the request is only slow so far.
  await page.waitForTimeout(300);
  assert.equal(await page.evaluate(() => window.flushed), 'pending');
  const failedAt = await page.evaluate(() => performance.now());
  failFirst();
  await page.waitForFunction(() => window.flushed !== 'pending', null, { timeout: 5000 });
  const [flushed, ended] = await page.evaluate(() => [window.flushed, window.flushEnded]);
  assert.equal(flushed, false, 'resolved false once the request failed');
  // The loader's next try comes about a second later; the flush did not wait for it.
  assert.ok(ended - failedAt < 500, `at once after the failure (${Math.round(ended - failedAt)} ms)`);
  await ready(page);
  assert.equal(requests, 2);
  const id = await page.evaluate(() => wayline.anonymousId());
  assert.equal(await flushWithin(page, 5000), true, 'a flush once the SDK runs');
  const events = await waitForEvents(env.collector, (e) => e.some((x) => x.anonymousId === id && x.event === 'Before The Failure'));
  assert.deepEqual(events.filter((x) => x.anonymousId === id && x.type === 'track').map((x) => x.event), ['Before The Failure']);
  assertNoDuplicates(assert, events);
  assert.deepEqual(log.errors.filter((e) => !/ERR_CONNECTION_RESET/.test(e)), []);
  await context.close();
});

// A flush made while the module's first request is simply on its way waits for the SDK, which answers it.
test('flush() while the module is still being fetched waits for the SDK', async () => {
  const { page, context } = await openPage(env.browser);
  await page.route('**/wayline_bg.wasm', async (route) => {
    await new Promise((r) => setTimeout(r, 1500));
    return route.continue();
  });
  await pageWithPolicy(page, '/integration-wasm-slow.html', "script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'");
  await page.waitForFunction(() => window.wayline && window.wayline.loaded);
  assert.equal(await page.evaluate(() => wayline.anonymousId()), undefined, 'the SDK has not started');
  assert.equal(await flushWithin(page, 5000), true);
  await context.close();
});

// A module that cannot be fetched at all (the server down for good): the loader tries four times in about seven
// seconds, then gives up with the one warning, and a flush resolves `false`.
test('a module request that keeps failing is tried a bounded number of times, then one warning', async () => {
  const { page, log, context } = await openPage(env.browser);
  let requests = 0;
  await page.route('**/wayline_bg.wasm', (route) => (++requests, route.abort('connectionrefused')));
  await pageWithPolicy(page, '/integration-wasm-down.html', "script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'");
  // (At once: the first request failed, and the module cannot be had until a later one succeeds.)
  const flushed = await flushWithin(page, 15000);
  assert.equal(flushed, false);
  const given = Date.now() + 12000;
  while (!log.warnings.some((w) => w.startsWith('[wayline]')) && Date.now() < given) await page.waitForTimeout(100);
  assert.equal(requests, 4, 'the stub\'s request and three more');
  await page.waitForTimeout(500);
  const warnings = log.warnings.filter((w) => w.startsWith('[wayline]'));
  assert.equal(warnings.length, 1, JSON.stringify(log.console));
  assert.match(warnings[0], /could not load its WebAssembly module/);
  await page.waitForTimeout(3000);
  assert.equal(requests, 4, 'no more tries');
  await context.close();
});

// The SDK's files come from the collector's origin, which the page's script-src names but its connect-src does
// not: the module (fetched by the stub) is refused. The one warning names the directive to fix.
test("a module the page's connect-src refuses: one warning naming connect-src, flush() resolves false", async () => {
  // The site on `localhost` (a server of its own: Chromium lets a page from a loopback server load from another
  // loopback origin), the SDK's files from the collector on `127.0.0.1`.
  const sdk = env.collector.url;
  const server = createServer((req, res) => res.writeHead(200, {
    'content-type': 'text/html',
    'content-security-policy': `script-src 'self' ${sdk} 'wasm-unsafe-eval'; connect-src 'self'`,
  }).end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>SDK origin</title><link rel="icon" href="data:,">` +
    `<script src="${sdk}/sdk/wayline-stub.js" data-write-key="wk_demo"></script></head><body><h1>SDK origin</h1></body></html>`));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { page, log, context } = await openPage(env.browser);
  try {
    await page.goto(`http://localhost:${server.address().port}/`);
    await page.waitForFunction(() => window.wayline && window.wayline.loaded);
    assert.equal(await flushWithin(page, 5000), false);
    assert.equal(await page.evaluate(() => { wayline.track('Nothing Thrown'); return 'ok'; }), 'ok');
    // The warning comes once the loader has seen the refusal (the browser's event may come after the failed request).
    const given = Date.now() + 5000;
    while (!log.warnings.some((w) => w.startsWith('[wayline]')) && Date.now() < given) await page.waitForTimeout(100);
    const warnings = log.warnings.filter((w) => w.startsWith('[wayline]'));
    assert.equal(warnings.length, 1, JSON.stringify(log.console));
    assert.match(warnings[0], /connect-src/);
    assert.match(warnings[0], /wasm-unsafe-eval/);
    const policy = /^(Connecting to .* violates|Fetch API cannot load .*Content Security Policy)/;
    assert.deepEqual(log.errors.filter((e) => !policy.test(e)), []);
    // The module is requested once: a request the policy refused is not made again (which the page would see as
    // a second refusal on its console).
    assert.equal(log.errors.filter((e) => /^Connecting to .*wayline_bg\.wasm.* violates/.test(e)).length, 1, JSON.stringify(log.errors));
  } finally {
    await context.close();
    await new Promise((resolve) => server.close(resolve));
  }
});
