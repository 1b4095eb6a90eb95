// Shared plumbing for the end-to-end tests: the real collector binary on a free loopback port with a fresh
// database, Debian's Chromium through playwright-core, and the stored events read back with `wayline events`.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { before, after } from 'node:test';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const binary = join(root, 'target', 'debug', 'wayline');

/** Starts `wayline serve` on 127.0.0.1:0; resolves once it printed its address. `sources`: a sources file
 *  (`--sources`), else the built-in demo source. */
export async function startCollector({ www = join(root, 'www'), sdk = join(root, 'js', 'dist'), database, sources } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'wayline-e2e-'));
  const db = database || join(dir, 'events.db');
  const args = ['serve', '--listen', '127.0.0.1:0', '--db', db, '--www', www, '--sdk', sdk];
  if (sources) args.push('--sources', sources);
  const child = spawn(binary, args, {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('collector did not start: ' + out)), 15000);
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const m = out.match(/listening on (http:\/\/\S+)/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on('exit', (code) => reject(new Error(`collector exited with ${code}: ${out}`)));
  });
  return {
    url,
    db,
    events: () => readEvents(db),
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Starts a throwaway PostgreSQL server on a free loopback port (as the `postgres` user when run as root, since
 *  PostgreSQL refuses root); resolves to `{ url, stop }`, `url` being a `--db` URL for a fresh database. */
export async function startPostgres() {
  const bin = readdirSync('/usr/lib/postgresql').map((v) => join('/usr/lib/postgresql', v, 'bin')).sort().pop();
  const dir = mkdtempSync(join(tmpdir(), 'wayline-pg-'));
  const data = join(dir, 'data');
  const root = process.getuid && process.getuid() === 0;
  const run = (cmd, args) =>
    root ? execFileSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { stdio: 'pipe' }) : execFileSync(cmd, args, { stdio: 'pipe' });
  if (root) {
    execFileSync('chmod', ['755', dir]);
    execFileSync('chown', ['postgres:', dir]);
  }
  run(join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'wayline', '-E', 'UTF8', '--no-sync']);
  const port = await new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
  run(join(bin, 'pg_ctl'), ['-D', data, '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, '-l', join(dir, 'log'), '-w', 'start']);
  return {
    url: `postgres://wayline@127.0.0.1:${port}/postgres`,
    stop() {
      run(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', 'stop']);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function readEvents(db) {
  const out = execFileSync(binary, ['events', '--db', db], { encoding: 'utf8', maxBuffer: 1 << 30 });
  return out.split('\n').filter(Boolean).map((line) => JSON.parse(line));
}

/** Headless Chromium as every test drives it; with `backForwardCache`, without Playwright's switch that turns the
 * back/forward cache off (for the tests of pages restored from it). */
export async function launch({ backForwardCache = false } = {}) {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    ...(backForwardCache ? { ignoreDefaultArgs: ['--disable-back-forward-cache'] } : {}),
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
}

/** A new page that records console messages and page errors, so tests can assert on both. */
export async function openPage(browser, context) {
  const ctx = context || (await browser.newContext());
  const page = await ctx.newPage();
  const log = { errors: [], warnings: [], console: [] };
  page.on('pageerror', (e) => log.errors.push(String(e)));
  page.on('console', (m) => {
    log.console.push(`${m.type()}: ${m.text()}`);
    if (m.type() === 'warning') log.warnings.push(m.text());
    if (m.type() === 'error') log.errors.push(m.text());
  });
  return { page, log, context: ctx };
}

/** Waits until the SDK on the page is ready. */
export async function ready(page) {
  await page.waitForFunction(() => window.wayline && window.wayline.loaded && window.wayline.anonymousId());
}

/** Polls the database until `predicate(events)` holds (delivery is asynchronous), or fails after `ms`. */
export async function waitForEvents(collector, predicate, ms = 10000) {
  const deadline = Date.now() + ms;
  let events = [];
  while (Date.now() < deadline) {
    events = collector.events();
    if (predicate(events)) return events;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('timed out waiting for events; stored: ' + JSON.stringify(events.map((e) => e.event || e.type)));
}

export function assertNoDuplicates(assert, events) {
  const ids = events.map((e) => e.messageId);
  assert.equal(new Set(ids).size, ids.length, 'duplicate messageIds stored');
}

/** Starts `wayline proxy` in front of `upstreamUrl` (`http://HOST:PORT`); resolves once it printed its address. */
export async function startProxy(upstreamUrl) {
  const upstream = new URL(upstreamUrl).host;
  const child = spawn(binary, ['proxy', '--upstream', upstream, '--listen', '127.0.0.1:0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('proxy did not start: ' + out)), 15000);
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const m = out.match(/wayline proxy listening on (http:\/\/\S+)/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on('exit', (code) => reject(new Error(`proxy exited with ${code}: ${out}`)));
  });
  return {
    url,
    setFaults: (plan) => setFaults(url, plan),
    log: () => faultLog(url),
    clearLog: () => clearFaultLog(url),
    state: () => faultState(url),
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

/** Replaces the proxy's fault plan (and restarts its counters); returns the proxy's state. Throws if refused. */
export async function setFaults(proxyUrl, plan) {
  const res = await fetch(proxyUrl + '/__faults', { method: 'POST', body: JSON.stringify(plan) });
  const body = await res.json();
  if (!res.ok) throw new Error(`fault plan refused (${res.status}): ${JSON.stringify(body)}`);
  return body;
}

/** Every `/v1/` request the proxy saw since the log was last cleared, oldest first. */
export async function faultLog(proxyUrl) {
  const res = await fetch(proxyUrl + '/__faults/log');
  if (!res.ok) throw new Error(`fault log: ${res.status}`);
  return res.json();
}

export async function clearFaultLog(proxyUrl) {
  const res = await fetch(proxyUrl + '/__faults/log', { method: 'DELETE' });
  if (!res.ok) throw new Error(`clearing the fault log: ${res.status}`);
}

/** The proxy's `{ plan, seen, faulted }`: `seen` counts ingest requests as soon as they are read, held ones included. */
export async function faultState(proxyUrl) {
  const res = await fetch(proxyUrl + '/__faults');
  if (!res.ok) throw new Error(`fault state: ${res.status}`);
  return res.json();
}

/** One collector and one browser for the tests of a file: `const env = withCollectorAndBrowser(options)`, then
 *  `env.collector` and `env.browser` inside the tests. `options` are those of `startCollector`. */
export function withCollectorAndBrowser(options) {
  const env = {};
  before(async () => {
    env.collector = await startCollector(options);
    env.browser = await launch();
  });
  after(async () => {
    await env.browser.close();
    await env.collector.stop();
  });
  return env;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A filter for the stored events of one visitor. */
export const byAnon = (anon) => (e) => e.anonymousId === anon;

/** The localStorage keys Wayline wrote on the page's origin. */
export const waylineKeys = (page) =>
  page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('wayline:')));

/** The WCAG 2.1 A and AA problems axe-core (pinned in package-lock.json) finds in the page, or only inside the
 *  elements `within` selects (shadow roots included), as `rule: element` lines. */
export async function accessibilityViolations(page, within) {
  // Through the DevTools protocol, which the page's Content-Security-Policy does not govern.
  if (!(await page.evaluate(() => typeof axe === 'object'))) {
    await page.evaluate(readFileSync(join(root, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8'));
  }
  return page.evaluate(async (within) => {
    const result = await axe.run(within ? { include: [[within]] } : document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
      resultTypes: ['violations'],
    });
    return result.violations.flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(' ')}`));
  }, within);
}
