// The prompts as a screen-reader or keyboard-only visitor meets them (SPEC §7, docs/prompts.md, Accessibility):
// Chromium's own accessibility tree (the DevTools protocol's `Accessibility.getFullAXTree`), forced colours, and the
// WCAG contrast of what the default palette draws, light and dark, read from computed styles.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { root, openPage, ready, withCollectorAndBrowser } from './helpers.mjs';

const env = withCollectorAndBrowser({ www: join(root, 'tests', 'e2e', 'site'), sdk: join(root, 'js', 'dist-full') });

/** The campaigns page in a new context (`options` are the context's), with the prompt `event` shows on screen and
 *  the focus moved into it. */
async function shown(event, options = {}) {
  const context = await env.browser.newContext({ viewport: { width: 1280, height: 800 }, ...options });
  const { page } = await openPage(env.browser, context);
  await page.goto(env.collector.url + '/campaigns.html');
  await ready(page);
  await page.waitForFunction(() => window.configResult);
  await page.evaluate((e) => wayline.track(e), event);
  await page.locator('wayline-prompt').waitFor({ state: 'attached', timeout: 5000 });
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0))));
  return { page, context };
}

/** Chromium's accessibility tree of the page, less the ignored nodes. */
async function axTree(page) {
  const cdp = await page.context().newCDPSession(page);
  const { nodes } = await cdp.send('Accessibility.getFullAXTree');
  await cdp.detach();
  return nodes.filter((n) => !n.ignored);
}
const ax = (nodes, role, name) => nodes.find((n) => n.role?.value === role && (name === undefined || n.name?.value === name));
const description = (node) => node?.description?.value || '';

test('a reward prompt describes what it offers: the dialog the focus enters has the code, points or badge as its description', async () => {
  const cases = [
    ['Show coupon', 'Copy', ['10% off your next order.', 'SAVE10']],
    ['Show points', 'OK', ['200 points']],
    ['Show badge', 'OK', ['Trail Blazer']],
    ['Show referral', 'Copy', ['https://trailhead.example/r/friend']],
  ];
  for (const [event, button, offered] of cases) {
    const { page, context } = await shown(event);
    const nodes = await axTree(page);
    const dialog = ax(nodes, 'dialog');
    assert.ok(ax(nodes, 'button', button).properties.some((p) => p.name === 'focused'), `${event}: the focus is on ${button}`);
    for (const text of offered) {
      assert.ok(`${dialog.name.value} ${description(dialog)}`.includes(text),
        `${event}: "${text}" is in the dialog's name or description: ${JSON.stringify([dialog.name.value, description(dialog)])}`);
    }
    await context.close();
  }
  // Without a title or a text, the link names the dialog: it does not describe it as well.
  const { page, context } = await shown('Show untitled referral');
  const dialog = ax(await axTree(page), 'dialog');
  assert.deepEqual([dialog.name.value, description(dialog)], ['https://trailhead.example/r/walk-with-a-friend-2026', '']);
  await context.close();
});

test('the NPS and CSAT scales say which end means what: the first and last options are described by the labels under them', async () => {
  for (const [event, ends] of [['Show nps', [['0', 'Not likely'], ['10', 'Very likely']]], ['Show csat', [['1', 'Very unsatisfied'], ['5', 'Very satisfied']]]]) {
    const { page, context } = await shown(event);
    const nodes = await axTree(page);
    for (const [value, label] of ends) assert.equal(description(ax(nodes, 'radio', value)), label, `${event}: option ${value}`);
    await context.close();
  }
});
