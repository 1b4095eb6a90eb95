// Exit intent on a touch screen (no pointer to leave through the top of the window): a quick flick back up the
// page, after reading at least a screen of it, shows the demo store's "what stopped you?" to a visitor with a cart.
// Slow scrolling back up, or the same flick on a desktop, does not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { root, ready, withCollectorAndBrowser, sleep } from './helpers.mjs';

const env = withCollectorAndBrowser({ sdk: join(root, 'js', 'dist-segments') });
const phone = { viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true };
const prompt = (page) => page.locator('wayline-prompt');

/** A visitor with a cart, on a cart page made tall enough to scroll. */
async function withCart(options) {
  const context = await env.browser.newContext(options);
  const page = await context.newPage();
  const visit = async (path) => {
    await page.goto(env.collector.url + path);
    await ready(page);
    await page.waitForFunction(() => wayline.explain('cart-exit') !== null);
  };
  await visit('/product.html');
  await page.click('#add-to-cart');
  await visit('/cart.html');
  await page.evaluate(() => {
    const tall = document.createElement('div');
    tall.style.height = '4000px';
    document.body.append(tall);
  });
  // Read down the page, a screen and more.
  for (let y = 100; y <= 1800; y += 100) {
    await page.evaluate((y) => window.scrollTo(0, y), y);
    await sleep(40);
  }
  await sleep(400);
  return { context, page };
}

/** Scrolls from the current position by `dy` px in `steps` scroll events `every` ms apart. */
async function scrollBy(page, dy, steps, every) {
  await page.evaluate(
    async ({ dy, steps, every }) => {
      const from = window.scrollY;
      for (let i = 1; i <= steps; i++) {
        window.scrollTo(0, from + (dy * i) / steps);
        await new Promise((r) => setTimeout(r, every));
      }
    },
    { dy, steps, every },
  );
}

test('a quick flick back up on a phone shows the cart question', async () => {
  const { context, page } = await withCart(phone);
  assert.equal(await page.evaluate(() => navigator.maxTouchPoints > 0), true);
  assert.equal(await prompt(page).count(), 0);
  await scrollBy(page, -500, 4, 20);
  await prompt(page).waitFor({ state: 'attached', timeout: 3000 });
  assert.match(await prompt(page).locator('[role=dialog]').innerText(), /stopped you/i);
  await context.close();
});

test('slow scrolling back up on a phone is reading, not leaving', async () => {
  const { context, page } = await withCart(phone);
  await scrollBy(page, -1200, 24, 100);
  await sleep(500);
  assert.equal(await prompt(page).count(), 0);
  await context.close();
});

test('on a desktop the same flick is not exit intent (the pointer leaving the window is)', async () => {
  const { context, page } = await withCart({ viewport: { width: 1280, height: 800 } });
  await scrollBy(page, -600, 4, 20);
  await sleep(500);
  assert.equal(await prompt(page).count(), 0);
  await context.close();
});
