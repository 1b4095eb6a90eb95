// Reports and the dashboard (SPEC §10) over what real visitors did in the demo store: the real SDK with the demo
// config, the real collector, then `GET /v1/reports` with the source's read key and the dashboard page drawn from it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { root, openPage, ready, waitForEvents, withCollectorAndBrowser, byAnon, sleep, accessibilityViolations } from './helpers.mjs';

const env = withCollectorAndBrowser({ sdk: join(root, 'js', 'dist-segments') });
const prompt = (page) => page.locator('wayline-prompt');

async function visit(page, path) {
  await page.goto(env.collector.url + path);
  await ready(page);
  await page.waitForFunction(() => wayline.explain('cart-exit') !== null);
}

async function order(page) {
  await visit(page, '/product.html');
  await page.click('#add-to-cart');
  await visit(page, '/checkout.html');
  await Promise.all([page.waitForURL('**/thank-you.html*'), page.click('form button[type=submit]')]);
  await ready(page);
}

async function closePrompt(page) {
  await prompt(page).locator('[data-a=x]').click();
  await prompt(page).waitFor({ state: 'detached' });
}

async function reportFor(query, key = 'rk_demo') {
  const res = await fetch(env.collector.url + '/v1/reports' + query, { headers: { authorization: 'Bearer ' + key } });
  return { status: res.status, body: await res.json() };
}

const today = () => new Date().toISOString().slice(0, 10);

test('what visitors did comes back as a report: campaigns against conversion, NPS, rewards, segments, stages', async () => {
  // A potential claims the coupon, then orders: a shown visitor who converted.
  const a = await openPage(env.browser);
  await a.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: env.collector.url });
  await visit(a.page, '/');
  await visit(a.page, '/pricing.html');
  await visit(a.page, '/product.html');
  await a.page.click('#add-to-cart');
  await prompt(a.page).waitFor({ state: 'attached', timeout: 5000 });
  await prompt(a.page).locator('[data-a=copy]').click();
  await closePrompt(a.page);
  await order(a.page);
  const anonA = await a.page.evaluate(() => wayline.anonymousId());
  await a.page.evaluate(() => wayline.flush());

  // A repeat buyer outside the holdout answers NPS with a 10.
  const b = await openPage(env.browser);
  await visit(b.page, '/');
  for (let i = 0; i < 20 && (await b.page.evaluate(() => wayline.explain('nps-second-order'))).heldOut; i++) {
    await b.page.evaluate(() => wayline.reset());
  }
  await order(b.page);
  await sleep(1200);
  await order(b.page);
  await prompt(b.page).waitFor({ state: 'attached', timeout: 5000 });
  await prompt(b.page).locator('[data-a=v][data-v="10"]').click();
  await prompt(b.page).locator('[data-a=t][data-v="0"]').click();
  await prompt(b.page).locator('[data-a=n]').click();
  await closePrompt(b.page);
  const anonB = await b.page.evaluate(() => wayline.anonymousId());
  await b.page.evaluate(() => wayline.flush());

  const stored = await waitForEvents(env.collector, (e) =>
    e.filter(byAnon(anonA)).some((x) => x.event === 'Order Completed') &&
    e.filter(byAnon(anonB)).filter((x) => x.event === 'Survey Answered').length === 2);

  assert.equal((await reportFor('', 'wk_demo')).status, 401, 'the write key reads nothing');
  const { status, body: r } = await reportFor(`?from=${today()}&to=${today()}`);
  assert.equal(status, 200);
  assert.equal(r.events.total, stored.length, 'every stored event is counted once');

  const campaign = (id) => r.campaigns.find((c) => c.campaign === id);
  const nudge = campaign('potentials-nudge');
  assert.equal(nudge.action, 'reward');
  assert.equal(nudge.outcomes.shown, 1);
  assert.equal(nudge.outcomes.rewardClaimed, 1);
  assert.deepEqual(nudge.conversion.shown, { visitors: 1, converted: 1, rate: 100 });
  const nps = campaign('nps-second-order');
  assert.equal(nps.outcomes.shown, 1);
  assert.equal(nps.outcomes.answered, 1);
  assert.ok(r.campaigns.map((c) => c.campaign).join() === 'potentials-nudge,cart-exit,nps-second-order,newsletter-reward,referral-invite',
    'every campaign of the config, in its order');

  const score = r.surveys.find((s) => s.campaign === 'nps-second-order' && s.question === 'score');
  assert.equal(score.kind, 'nps');
  assert.deepEqual(score.nps, { score: 100, promoters: 1, passives: 0, detractors: 0 });
  const love = r.surveys.find((s) => s.question === 'love');
  assert.deepEqual(love.answers, [{ answer: 'The gear', count: 1 }]);

  assert.deepEqual(r.rewards, [{ campaign: 'potentials-nudge', claims: 1, visitors: 1, how: { copy: 1 } }]);

  const segment = (name) => r.segments.find((s) => s.segment === name);
  assert.equal(segment('repeat-buyer').members, 1, 'b bought twice');
  const entries = stored.filter((e) => e.event === 'Segment Entered' && e.properties.segment === 'potentials');
  assert.ok(entries.length >= 1);
  assert.equal(segment('potentials').entered, entries.length);
  const exits = stored.filter((e) => e.event === 'Segment Exited' && e.properties.segment === 'potentials');
  assert.equal(segment('potentials').members, entries.length - exits.length, 'buying ends being a potential');
  const lifecycle = r.journeys.find((j) => j.journey === 'lifecycle');
  assert.equal(lifecycle.stages[0].stage, 'awareness', 'stages in config order');
  // A reset() to leave the holdout starts another visitor: count who has a stage, as stored.
  const staged = new Set(stored.filter((e) => e.event === 'Journey Stage Changed').map((e) => e.anonymousId));
  assert.equal(lifecycle.stages.reduce((n, s) => n + s.visitors, 0), staged.size, 'each visitor at one stage');
  assert.equal(lifecycle.stages.find((s) => s.stage === 'retention').visitors, 1, 'b answered NPS as a repeat buyer');

  // The dashboard: the browser asks for the read key (HTTP Basic) and gets the same report drawn.
  const viewer = await env.browser.newContext({ httpCredentials: { username: 'rk_demo', password: '' } });
  const page = await viewer.newPage();
  const errors = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  const res = await page.goto(env.collector.url + `/dashboard?from=${today()}&to=${today()}`);
  assert.equal(res.status(), 200);
  assert.equal(await page.locator('#events svg rect').count() > 0, true);
  assert.match(await page.locator('#surveys').innerText(), /NPS\s+100/);
  assert.match(await page.locator('#campaigns').innerText(), /potentials-nudge[\s\S]*100% 1\/1/);
  assert.match(await page.locator('#rewards').innerText(), /copy 1/);
  const dir = join(root, 'tests', 'e2e', 'artifacts');
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, 'dashboard.png'), fullPage: true });
  assert.deepEqual(await accessibilityViolations(page), [], 'WCAG A/AA violations axe-core finds in the dashboard');
  assert.deepEqual(errors, []);
  await viewer.close();
  await a.context.close();
  await b.context.close();
});
