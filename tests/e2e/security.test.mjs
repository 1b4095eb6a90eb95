// What a reviewer of a third-party script checks (docs/sdk.md, "Security"): values the SDK hands the page are
// built without touching prototypes whatever keys the page, the config or storage gave; a page whose
// Object.prototype was polluted (a prototype-pollution bug in one of its libraries) does not steer the SDK through
// it (where the stub loads the SDK from, where events go, which config runs, debug mode); config and stored text
// never becomes HTML, CSS outside the prompt's own stylesheet, or code. Build with the compiler (js/dist-full).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { root, openPage, ready, withCollectorAndBrowser } from './helpers.mjs';

const env = withCollectorAndBrowser({ www: join(root, 'tests', 'e2e', 'site'), sdk: join(root, 'js', 'dist-full') });

const POLLUTED = '{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}, "prototype": {"polluted": true}}';

test('payloads built from keys such as __proto__ keep their prototype and leave Object.prototype alone', async () => {
  const { page, log, context } = await openPage(env.browser);
  await page.goto(env.collector.url + '/security.html');
  const result = await page.evaluate(async (polluted) => {
    const notices = [];
    for (const name of ['campaign:show', 'survey:answer', 'reward:claim', 'segment:enter', 'warning', 'config']) {
      wayline.on(name, (p) => notices.push([name, p]));
    }
    const config = JSON.parse(`{
      "segments": {"__proto__": "count(\\"Go\\") >= 1", "constructor": "count(\\"Go\\") >= 1"},
      "campaigns": [
        {"id": "__proto__", "trigger": {"event": "Go"}, "timing": {"frequency": "always"},
         "action": {"type": "custom", "payload": ${polluted}}},
        {"id": "reward", "trigger": {"event": "Reward"}, "timing": {"frequency": "always"},
         "action": {"type": "reward", "reward": "coupon", "code": "SAVE10"}}
      ]}`);
    await wayline.init({ writeKey: 'wk_demo', config, flushAt: 1 });
    wayline.identify('u1', JSON.parse(polluted));
    // The reward first: the custom action, which the page never closes, holds off other prompts.
    wayline.track('Reward');
    await new Promise((r) => setTimeout(r, 300));
    document.querySelector('wayline-prompt').shadowRoot.querySelector('[data-a=copy]').click();
    await new Promise((r) => setTimeout(r, 100));
    wayline.track('Go', JSON.parse(polluted), JSON.parse(`{"context": ${polluted}}`));
    const explained = wayline.explain('__proto__');
    const values = [...notices.map(([, p]) => p), explained, wayline.debugState()];
    const plain = (v, path) => {
      if (v === null || typeof v != 'object') return [];
      const bad = [];
      const proto = Object.getPrototypeOf(v);
      if (proto !== (Array.isArray(v) ? Array.prototype : Object.prototype)) bad.push(path + ': prototype changed');
      if ('polluted' in v && !Object.prototype.hasOwnProperty.call(v, 'polluted')) bad.push(path + ': inherits polluted');
      for (const k of Object.keys(v)) bad.push(...plain(v[k], path + '.' + k));
      return bad;
    };
    const show = notices.find(([n, p]) => n == 'campaign:show' && p.campaign == '__proto__');
    return {
      objectPolluted: ({}).polluted,
      prototypePolluted: Object.prototype.polluted,
      bad: values.flatMap((v, i) => plain(v, String(i))),
      names: notices.map(([n]) => n),
      ownProto: show && Object.prototype.hasOwnProperty.call(show[1].action.payload, '__proto__'),
      explained: explained && explained.campaign,
      flushed: await wayline.flush(),
    };
  }, POLLUTED);
  assert.equal(result.objectPolluted, undefined);
  assert.equal(result.prototypePolluted, undefined);
  assert.deepEqual(result.bad, []);
  assert.ok(result.names.includes('campaign:show') && result.names.includes('reward:claim'), result.names.join());
  assert.ok(result.names.includes('segment:enter'), result.names.join());
  assert.equal(result.ownProto, true, 'the payload keeps __proto__ as an own key, as JSON.parse does');
  assert.equal(result.explained, '__proto__');
  assert.equal(result.flushed, true);
  assert.deepEqual(log.errors, []);
  await context.close();
});

test('a polluted Object.prototype does not pick where the stub loads the SDK from', async () => {
  const { page, log, context } = await openPage(env.browser);
  const requested = [];
  await page.route('**/evil.js', (route) => {
    requested.push(route.request().url());
    return route.fulfill({ contentType: 'text/javascript', body: 'window.evilRan = true;' });
  });
  // A library's prototype-pollution bug (`?__proto__[src]=…` in a query-string parser) ran before the stub.
  await page.addInitScript(() => {
    Object.prototype.src = '/evil.js';
  });
  await page.goto(env.collector.url + '/blank.html');
  await ready(page);
  assert.equal(await page.evaluate(() => window.evilRan), undefined);
  assert.deepEqual(requested, []);
  await context.close();
});

test('a polluted Object.prototype does not set init options: the endpoint, the config, debug mode', async () => {
  const { page, log, context } = await openPage(env.browser);
  const elsewhere = [];
  await page.route('http://127.0.0.2:9/**', (route) => {
    elsewhere.push(route.request().url());
    return route.fulfill({ status: 200, body: '{}' });
  });
  await page.addInitScript(() => {
    Object.prototype.endpoint = 'http://127.0.0.2:9';
    Object.prototype.debug = true;
    Object.prototype.config = {
      campaigns: [{ id: 'phish', trigger: { event: 'Page Viewed' }, timing: { frequency: 'always' },
        action: { type: 'reward', reward: 'referral', url: 'https://evil.example/login', text: 'Log in again' } }],
    };
  });
  await page.goto(env.collector.url + '/blank.html');
  await ready(page);
  // (The test site's Content-Security-Policy blocks a batch to another origin, which a site without one would send.)
  const flushed = await page.evaluate(async () => {
    wayline.track('Polluted Page');
    return Promise.race([wayline.flush(), new Promise((r) => setTimeout(() => r('timed out'), 5000))]);
  });
  assert.equal(flushed, true, "the batch went to the page's own origin");
  assert.deepEqual(elsewhere, [], 'no batch went to the polluted endpoint');
  assert.deepEqual(log.console.filter((l) => l.includes('127.0.0.2')), []);
  assert.equal(await page.locator('wayline-prompt').count(), 0, 'no prompt from a polluted config');
  assert.deepEqual(log.console.filter((l) => l.startsWith('debug: [wayline]')), [], 'no debug mode');
  await context.close();
});

test('a tampered stored config renders its text as text, its CSS in the prompt alone, and runs nothing', async () => {
  const { page, log, context } = await openPage(env.browser);
  const html = '<img src=x onerror="window.pwned=1">';
  // What the collector serves (a compiled config, which the SDK takes as it is), then changed as any script on the
  // origin could change the copy in localStorage, which the SDK starts from before it asks the network.
  const dir = mkdtempSync(join(tmpdir(), 'wayline-security-'));
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify({
    campaigns: [{ id: 'r', trigger: { event: 'Go' }, timing: { frequency: 'always' },
      action: { type: 'reward', reward: 'referral', url: 'https://example.com/r', title: 'T', text: 'X' } }],
  }));
  const compiled = JSON.parse(execFileSync(join(root, 'target', 'debug', 'wayline'), ['compile', file], { encoding: 'utf8' }));
  rmSync(dir, { recursive: true, force: true });
  const action = findAction(compiled);
  assert.ok(action, 'the compiled config holds the action');
  Object.assign(action, { url: 'javascript:window.pwned=1', title: html, text: html });
  compiled.themes = { r: [`}</style>${html}<style>@import url(/evil.css);:host{--wl-accent:red}`, `"><img src=x onerror="window.pwned=1">`] };
  compiled.strings = { en: { copy: html, share: html, close: html } };
  const requested = [];
  await page.route('**/evil.css', (route) => {
    requested.push(route.request().url());
    return route.fulfill({ contentType: 'text/css', body: '' });
  });
  await page.exposeFunction('recordShare', () => {});
  await page.addInitScript((stored) => {
    if (!sessionStorage.getItem('seeded')) {
      sessionStorage.setItem('seeded', '1');
      localStorage.setItem('wayline:wk_demo:config', '\n/missing-config.json\n' + stored);
    }
    navigator.share = (data) => { window.recordShare(JSON.parse(JSON.stringify(data))); return Promise.resolve(); };
  }, JSON.stringify(compiled));
  await page.goto(env.collector.url + '/security.html');
  await page.evaluate(() => wayline.init({ writeKey: 'wk_demo', config: '/missing-config.json' }));
  await page.evaluate(() => wayline.track('Go'));
  const host = page.locator('wayline-prompt');
  await host.waitFor({ state: 'attached', timeout: 5000 });
  const inside = await page.evaluate(() => {
    const root = document.querySelector('wayline-prompt').shadowRoot;
    return {
      elements: [...root.querySelectorAll('*')].map((e) => e.tagName.toLowerCase()).filter((t) => !['div', 'h2', 'p', 'button'].includes(t)),
      images: document.querySelectorAll('img').length,
      text: root.textContent,
      accent: getComputedStyle(document.querySelector('wayline-prompt')).getPropertyValue('--wl-accent'),
    };
  });
  assert.deepEqual(inside.elements, []);
  assert.equal(inside.images, 0);
  assert.ok(inside.text.includes(html), 'the markup shows as text');
  await page.locator('wayline-prompt [data-a=share]').click();
  await page.waitForTimeout(200);
  assert.equal(await page.evaluate(() => window.pwned), undefined);
  assert.equal(await page.evaluate(() => location.pathname), '/security.html', 'nothing navigated');
  assert.deepEqual(requested, [], 'no @import from the prompt stylesheet');
  assert.deepEqual(log.errors.filter((e) => !e.includes('missing-config') && !e.includes('404')), []);
  await context.close();
});

/** The first action object in a compiled config (its place in the compiled arrays is the compiler's). */
function findAction(v) {
  if (v && typeof v == 'object') {
    if (v.type === 'reward') return v;
    for (const k of Object.keys(v)) {
      const found = findAction(v[k]);
      if (found) return found;
    }
  }
  return null;
}
