// The demo store's customer journey with its real config (www/demo-config.json, served by `GET /v1/config`):
// each campaign shows its prompt at the right moment and not otherwise, and what the visitor does reaches the
// collector. Real pages, real clicks, the real collector.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { root, openPage, ready, waitForEvents, withCollectorAndBrowser, byAnon, sleep, accessibilityViolations } from './helpers.mjs';

const env = withCollectorAndBrowser({ sdk: join(root, 'js', 'dist-segments') });
const prompt = (page) => page.locator('wayline-prompt');
const promptText = (page) => prompt(page).locator('[role=dialog]').innerText();

async function visit(page, path) {
  await page.goto(env.collector.url + path);
  await ready(page);
  await page.waitForFunction(() => wayline.explain('cart-exit') !== null);
}

/** A visitor who is not in the NPS holdout (10%): the holdout is decided by the anonymous id. */
async function notHeldOut(page) {
  for (let i = 0; i < 20; i++) {
    const why = await page.evaluate(() => wayline.explain('nps-second-order'));
    if (!why.heldOut) return;
    await page.evaluate(() => wayline.reset());
  }
  throw new Error('always held out');
}

async function order(page, { newsletter = false } = {}) {
  await visit(page, '/product.html');
  await page.click('#add-to-cart');
  await visit(page, '/checkout.html');
  if (newsletter) await page.check('input[name=newsletter]');
  await Promise.all([page.waitForURL('**/thank-you.html*'), page.click('form button[type=submit]')]);
  await ready(page);
}

async function closePrompt(page) {
  await prompt(page).locator('[data-a=x]').click();
  await prompt(page).waitFor({ state: 'detached' });
}

test('a potential (engaged, not yet buying) is nudged with a coupon; the copy is a claim', async () => {
  const { page, context } = await openPage(env.browser);
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: env.collector.url });
  await visit(page, '/');
  await visit(page, '/pricing.html');
  await visit(page, '/product.html');
  assert.equal(await prompt(page).count(), 0, 'browsing alone is not enough');
  await page.click('#add-to-cart');
  assert.ok((await page.evaluate(() => wayline.segments())).includes('potentials'));
  await prompt(page).waitFor({ state: 'attached', timeout: 5000 });
  assert.match(await promptText(page), /FIRSTWALK10/);
  await prompt(page).locator('[data-a=copy]').click();
  await closePrompt(page);
  const anon = await page.evaluate(() => wayline.anonymousId());
  await page.evaluate(() => wayline.flush());
  const events = await waitForEvents(env.collector, (e) => e.filter(byAnon(anon)).some((x) => x.event === 'Reward Claimed'));
  const claim = events.filter(byAnon(anon)).find((e) => e.event === 'Reward Claimed');
  assert.deepEqual(claim.properties, { campaign: 'potentials-nudge', reward: 'coupon', how: 'copy' });
  await context.close();
});

test('cart abandonment: "what stopped you?" on exit intent with a cart, and not without one', async () => {
  const { page, context } = await openPage(env.browser);
  await visit(page, '/');
  await page.mouse.move(400, 300);
  await page.mouse.move(400, -5);
  await page.evaluate(() => document.dispatchEvent(new MouseEvent('mouseout', { clientY: -1, relatedTarget: null, bubbles: true })));
  await sleep(300);
  assert.equal(await prompt(page).count(), 0, 'no cart, no question');
  const why = await page.evaluate(() => wayline.explain('cart-exit'));
  assert.deepEqual(why.reasons.map((r) => r.code), ['audience-rule']);

  await visit(page, '/product.html');
  await page.click('#add-to-cart');
  await visit(page, '/cart.html');
  await page.mouse.move(400, 300);
  await page.evaluate(() => document.dispatchEvent(new MouseEvent('mouseout', { clientY: -1, relatedTarget: null, bubbles: true })));
  await prompt(page).waitFor({ state: 'attached', timeout: 3000 });
  assert.match(await promptText(page), /What stopped you/);
  await prompt(page).locator('[data-a=v][data-v="3"]').click(); // "Other" asks for more
  await page.keyboard.type('Waiting for payday');
  await prompt(page).locator('[data-a=n]').click();
  await closePrompt(page);
  const anon = await page.evaluate(() => wayline.anonymousId());
  await page.evaluate(() => wayline.flush());
  const events = (await waitForEvents(env.collector, (e) => e.filter(byAnon(anon)).some((x) => x.event === 'Campaign Completed'))).filter(byAnon(anon));
  const answers = events.filter((e) => e.event === 'Survey Answered').map((e) => [e.properties.question, e.properties.answer]);
  assert.deepEqual(answers, [['reason', 'Other'], ['detail', 'Waiting for payday']]);
  await context.close();
});

test('NPS after the second order (not the first), once per 90 days; retained customers then get a referral link', async () => {
  const { page, context } = await openPage(env.browser);
  await visit(page, '/');
  await notHeldOut(page);
  await order(page);
  await sleep(1500);
  assert.equal(await prompt(page).count(), 0, 'no NPS after the first order');
  await order(page);
  await prompt(page).waitFor({ state: 'attached', timeout: 5000 });
  assert.match(await promptText(page), /recommend Trailhead/);
  await prompt(page).locator('[data-a=v][data-v="10"]').click(); // a promoter: what do you like most?
  await prompt(page).locator('[data-a=t][data-v="0"]').click();
  await prompt(page).locator('[data-a=n]').click();
  await closePrompt(page);
  assert.equal(await page.evaluate(() => wayline.stage('lifecycle')), 'retention');
  await sleep(5000); // the minimum gap between two prompts
  await visit(page, '/');
  await prompt(page).waitFor({ state: 'attached', timeout: 5000 });
  assert.match(await promptText(page), /trailhead\.example\/r\/friend/);
  await prompt(page).locator('[data-a=copy]').click();
  await closePrompt(page);
  await page.waitForFunction(() => wayline.stage('lifecycle') === 'advocacy');

  await order(page);
  await sleep(1500);
  assert.equal(await prompt(page).count(), 0, 'the third order asks nothing: once per 90 days');
  const why = await page.evaluate(() => wayline.explain('nps-second-order'));
  assert.ok(why.reasons.some((r) => r.code === 'capped' && r.until > Date.now() + 89 * 86400e3), JSON.stringify(why));
  const anon = await page.evaluate(() => wayline.anonymousId());
  await page.evaluate(() => wayline.flush());
  const events = (await waitForEvents(env.collector, (e) => e.filter(byAnon(anon)).some((x) => x.event === 'Reward Claimed'))).filter(byAnon(anon));
  const nps = events.filter((e) => e.event === 'Survey Answered' && e.properties.campaign === 'nps-second-order');
  assert.deepEqual(nps.map((e) => [e.properties.question, e.properties.answer]), [['score', 10], ['love', ['The gear']]]);
  assert.equal(events.filter((e) => e.event === 'Campaign Shown' && e.properties.campaign === 'nps-second-order').length, 1);
  await context.close();
});

test('a newsletter sign-up at checkout is rewarded on the next page', async () => {
  const { page, context } = await openPage(env.browser);
  await visit(page, '/');
  await order(page, { newsletter: true });
  await prompt(page).waitFor({ state: 'attached', timeout: 5000 });
  assert.match(await promptText(page), /200/);
  await prompt(page).locator('[data-a=ok]').click();
  await prompt(page).waitFor({ state: 'detached' });
  const anon = await page.evaluate(() => wayline.anonymousId());
  await page.evaluate(() => wayline.flush());
  const events = (await waitForEvents(env.collector, (e) => e.filter(byAnon(anon)).some((x) => x.event === 'Reward Claimed'))).filter(byAnon(anon));
  assert.deepEqual(events.find((e) => e.event === 'Reward Claimed').properties, { campaign: 'newsletter-reward', reward: 'points', how: 'ok' });
  await context.close();
});

test('the debug panel shows segments, the stage and explain for every campaign', async () => {
  const { page, context } = await openPage(env.browser);
  await visit(page, '/');
  await page.click('.wl-debug button');
  await page.locator('.wl-debug div p').first().waitFor();
  await page.waitForFunction(() => document.querySelector('.wl-debug div').textContent.includes('cart-exit'));
  const text = await page.locator('.wl-debug div').innerText();
  assert.match(text, /lifecycle stage: awareness/);
  for (const id of ['potentials-nudge', 'cart-exit', 'nps-second-order', 'newsletter-reward', 'referral-invite']) assert.match(text, new RegExp(id));
  assert.match(text, /audience rule is false/);
  await context.close();
});

test('the demo pages, the debug panel and the demo\'s prompts have no WCAG A/AA violation axe-core finds, light or dark', async () => {
  for (const colorScheme of ['light', 'dark']) {
    const context = await env.browser.newContext({ colorScheme });
    const { page } = await openPage(env.browser, context);
    const audit = async (what) => assert.deepEqual(await accessibilityViolations(page), [], `${what}, ${colorScheme}`);
    for (const path of ['/', '/pricing.html', '/product.html', '/cart.html', '/checkout.html']) {
      await visit(page, path);
      await audit(path);
    }
    await page.click('.wl-debug button');
    await page.locator('.wl-debug div p').first().waitFor();
    await audit('the debug panel');
    // The cart-abandonment survey, in the demo's theme.
    await visit(page, '/product.html');
    await page.click('#add-to-cart');
    await visit(page, '/cart.html');
    await page.mouse.move(400, 300);
    await page.evaluate(() => document.dispatchEvent(new MouseEvent('mouseout', { clientY: -1, relatedTarget: null, bubbles: true })));
    await prompt(page).locator('[role=dialog]').waitFor();
    await prompt(page).locator('[role=dialog]').evaluate((d) => Promise.all(d.getAnimations({ subtree: true }).map((a) => a.finished)));
    await audit('the cart-abandonment survey');
    await context.close();
  }
});

test('this build reads compiled configs only: a config as written is refused with a warning, tracking goes on', async () => {
  const { page, context } = await openPage(env.browser);
  await page.route('**/v1/config*', (route) => route.fulfill({ contentType: 'application/json', path: join(root, 'www', 'demo-config.json') }));
  const warnings = [];
  page.on('console', (m) => { if (m.type() === 'warning') warnings.push(m.text()); });
  await page.goto(env.collector.url + '/');
  await ready(page);
  await page.waitForFunction(() => wayline.explain('cart-exit') === null);
  await sleep(300);
  assert.ok(warnings.some((w) => w.includes('config_not_compiled') && w.includes('wayline compile')), warnings.join('\n'));
  assert.deepEqual(await page.evaluate(() => wayline.segments()), []);
  await context.close();
});
