// The page bundled by Vite from the npm package (www/npm-app, built by the test command), and the same page bundled
// here by webpack 5, load the wasm the bundler emitted and deliver their events.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import webpack from 'webpack';
import { root, openPage, startCollector, waitForEvents, withCollectorAndBrowser } from './helpers.mjs';

const env = withCollectorAndBrowser();

test('the Vite-bundled npm page tracks and delivers', async () => {
  const { page, log, context } = await openPage(env.browser);
  const wasmRequests = [];
  page.on('request', (r) => r.url().endsWith('.wasm') && wasmRequests.push(new URL(r.url()).pathname));
  await page.goto(env.collector.url + '/npm-app/dist/index.html');
  await page.waitForFunction(() => document.getElementById('status').textContent.startsWith('ready: '));
  await page.click('#signup');
  const events = await waitForEvents(env.collector, (e) => e.some((x) => x.event === 'Signed Up'));
  const signup = events.find((x) => x.event === 'Signed Up');
  assert.deepEqual(signup.properties, { via: 'npm-app' });
  assert.ok(events.some((x) => x.type === 'page' && x.properties.path === '/npm-app/dist/index.html'));
  assert.equal(wasmRequests.length, 1);
  assert.match(wasmRequests[0], /^\/npm-app\/dist\/assets\/wayline_bg-.*\.wasm$/);
  assert.deepEqual(log.errors, []);
  await context.close();
});

// webpack 5 in production mode, with no configuration for the package: it emits `wayline_bg.wasm` as an asset
// through the glue's `new URL('./wayline_bg.wasm', import.meta.url)`, and the glue as a chunk of its own (loaded
// at `init`). The page is www/npm-app's script and markup, served by a collector of its own from a temporary folder.
test('the webpack-bundled npm page tracks and delivers', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wayline-webpack-'));
  const out = join(dir, 'webpack');
  const compiler = webpack({
    mode: 'production',
    context: root,
    entry: './www/npm-app/main.js',
    output: { path: out, filename: 'main.js' },
  });
  const stats = await new Promise((resolve, reject) =>
    compiler.run((err, s) => compiler.close(() => (err ? reject(err) : resolve(s)))));
  assert.ok(!stats.hasErrors() && !stats.hasWarnings(), stats.toString('errors-warnings'));
  // The Vite page's markup, its script the bundle (a classic script, as html-webpack-plugin writes it).
  const html = readFileSync(join(root, 'www', 'npm-app', 'index.html'), 'utf8')
    .replace('<script type="module" src="./main.js"></script>', '<script defer src="./main.js"></script>');
  assert.match(html, /<script defer src/);
  writeFileSync(join(out, 'index.html'), html);
  const collector = await startCollector({ www: dir });
  const { page, log, context } = await openPage(env.browser);
  try {
    const wasmRequests = [];
    page.on('request', (r) => r.url().endsWith('.wasm') && wasmRequests.push(new URL(r.url()).pathname));
    await page.goto(collector.url + '/webpack/index.html');
    await page.waitForFunction(() => document.getElementById('status').textContent.startsWith('ready: '));
    await page.click('#signup');
    const events = await waitForEvents(collector, (e) => e.some((x) => x.event === 'Signed Up'));
    const signup = events.find((x) => x.event === 'Signed Up');
    assert.deepEqual(signup.properties, { via: 'npm-app' });
    assert.ok(events.some((x) => x.type === 'page' && x.properties.path === '/webpack/index.html'));
    assert.equal(wasmRequests.length, 1);
    assert.match(wasmRequests[0], /^\/webpack\/[0-9a-f]+\.wasm$/);
    assert.deepEqual(log.errors, []);
  } finally {
    await context.close();
    await collector.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('importing the package in Node (server-side rendering) is harmless', async () => {
  const mod = await import('wayline');
  assert.equal(typeof mod.wayline.track, 'function');
  mod.wayline.track('Ignored On The Server');
  assert.equal(await mod.wayline.init({ writeKey: 'wk_demo' }), false);
  assert.equal(await mod.wayline.flush(), false);
});
