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

/** The background and text colours of the open prompt's scale and choice options, and of the dialog. */
const optionColours = (page) =>
  page.evaluate(() => {
    const root = document.querySelector('wayline-prompt').shadowRoot;
    const colours = (e) => { const s = getComputedStyle(e); return `${s.backgroundColor} ${s.color}`; };
    return { dialog: colours(root.querySelector('.d')), options: [...root.querySelectorAll('.o')].map(colours) };
  });

test('in forced colours (Windows High Contrast), a ticked box and a checked radio still look so once the focus has left them', async () => {
  {
    const { page, context } = await shown('Show multiple', { forcedColors: 'active' });
    await page.keyboard.press(' ');
    await page.keyboard.press('Tab');
    const { dialog, options } = await optionColours(page);
    assert.notEqual(options[0], options[1], 'the ticked box differs from the others');
    assert.notEqual(options[0].split(') ')[0] + ')', dialog.split(') ')[0] + ')', 'its background is not the dialog\'s');
    await context.close();
  }
  {
    const { page, context } = await shown('Show single', { forcedColors: 'active' });
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Shift+Tab');
    const { options } = await optionColours(page);
    assert.notEqual(options[1], options[0], 'the checked radio differs from the others');
    await context.close();
  }
  {
    const { page, context } = await shown('Show rating', { forcedColors: 'active' });
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Shift+Tab');
    const [bg, star] = (await optionColours(page)).options[1].split(/ (?=rgb|color)/).map(rgba);
    const ratio = contrast(over(star, [255, 255, 255]), over(bg, [255, 255, 255]));
    assert.ok(ratio >= 3, `the chosen star contrasts ${ratio.toFixed(2)}:1 with the selection's colour behind it`);
    await context.close();
  }
});

/** `rgb(…)`, `rgba(…)` or `color(srgb …)` as [r, g, b, alpha], r, g and b from 0 to 255. */
function rgba(css) {
  const n = css.match(/[\d.]+/g).map(Number);
  if (css.startsWith('color(')) return [n[0] * 255, n[1] * 255, n[2] * 255, n[3] ?? 1];
  return [n[0], n[1], n[2], n[3] ?? 1];
}
/** `top` (with its alpha times `opacity`) laid over the opaque `under`. */
const over = (top, under, opacity = 1) => under.map((u, i) => top[i] * top[3] * opacity + u * (1 - top[3] * opacity));
const luminance = (c) =>
  c.map((v) => { v /= 255; return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
    .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
const contrast = (a, b) => { const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };

test('the stars not chosen and the text box\'s border and placeholder contrast enough with the prompt, light and dark', async () => {
  for (const colorScheme of ['light', 'dark']) {
    const rating = await shown('Show rating', { colorScheme });
    await rating.page.keyboard.press('ArrowRight'); // two stars chosen, three not
    const star = await rating.page.evaluate(() => {
      const root = document.querySelector('wayline-prompt').shadowRoot;
      const s = getComputedStyle(root.querySelectorAll('.o')[4]);
      return { bg: getComputedStyle(root.querySelector('.d')).backgroundColor, color: s.color, opacity: Number(s.opacity) };
    });
    const bg = rgba(star.bg).slice(0, 3);
    const starRatio = contrast(over(rgba(star.color), bg, star.opacity), bg);
    // WCAG 1.4.11: the star is the control's only shape.
    assert.ok(starRatio >= 3, `${colorScheme}: a star not chosen contrasts ${starRatio.toFixed(2)}:1`);
    await rating.context.close();

    const text = await shown('Show text', { colorScheme });
    const box = await text.page.evaluate(() => {
      const t = document.querySelector('wayline-prompt').shadowRoot.querySelector('textarea');
      return { border: getComputedStyle(t).borderTopColor, placeholder: getComputedStyle(t, '::placeholder').color,
        opacity: Number(getComputedStyle(t, '::placeholder').opacity) };
    });
    const borderRatio = contrast(over(rgba(box.border), bg), bg);
    // WCAG 1.4.11: the border is all that shows where to type.
    assert.ok(borderRatio >= 3, `${colorScheme}: the text box's border contrasts ${borderRatio.toFixed(2)}:1 (${box.border})`);
    const placeholderRatio = contrast(over(rgba(box.placeholder), bg, box.opacity), bg);
    // WCAG 1.4.3: the placeholder is text.
    assert.ok(placeholderRatio >= 4.5, `${colorScheme}: the placeholder contrasts ${placeholderRatio.toFixed(2)}:1 (${box.placeholder})`);
    await text.context.close();
  }
});
