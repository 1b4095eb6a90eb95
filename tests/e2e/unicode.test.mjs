// Text across JavaScript (UTF-16), the SDK's WebAssembly (UTF-8) and the collector: unpaired surrogates from the
// page in every field it hands the SDK, and prompts in other scripts and locales at 320 px.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { root, openPage, ready, waitForEvents, withCollectorAndBrowser, byAnon } from './helpers.mjs';

const env = withCollectorAndBrowser({ www: join(root, 'tests', 'e2e', 'site'), sdk: join(root, 'js', 'dist-full') });

const R = '\uFFFD';

test('unpaired surrogates in names, keys, values, traits, ids, the title and the URL: nothing thrown, each stored as U+FFFD, the batch kept', async () => {
  const { page, log, context } = await openPage(env.browser);
  const bodies = [];
  page.on('request', (r) => {
    if (r.url().includes('/v1/batch')) bodies.push(r.postData());
  });
  await page.goto(env.collector.url + '/blank.html');
  await ready(page);
  const anon = await page.evaluate(async () => {
    const half = '😀'.slice(0, 1);
    document.title = 'T' + half + 'itle';
    history.pushState({}, '', '/unicode?q=' + half);
    wayline.track('Ev' + half, {
      ['k' + half]: 'v' + half,
      halves: half + half, // two unpaired halves, as `JSON.stringify` writes them: "\ud83d\ud83d"
      control: '\uD800\u0001',
      low: '\uDE00',
      whole: '😀',
    });
    wayline.track('Good', { a: 1 });
    wayline.identify('u' + half, { name: 'n' + half, halves: half + half, control: '\uD800\u0001' });
    await wayline.flush();
    return wayline.anonymousId();
  });
  const events = (await waitForEvents(env.collector, (e) => e.filter(byAnon(anon)).some((x) => x.type === 'identify')))
    .filter(byAnon(anon));
  assert.deepEqual(log.errors, []);
  for (const body of bodies) assert.doesNotThrow(() => JSON.parse(body), 'every batch is JSON');

  const track = events.find((e) => e.event === 'Ev' + R);
  assert.ok(track, 'the event is stored under its name with U+FFFD: ' + JSON.stringify(events.map((e) => e.event)));
  assert.deepEqual(track.properties, {
    ['k' + R]: 'v' + R, halves: R + R, control: R + '\u0001', low: R, whole: '😀',
  });
  assert.equal(track.context.page.title, 'T' + R + 'itle');
  assert.equal(track.context.page.search, '?q=%EF%BF%BD');
  assert.ok(events.some((e) => e.event === 'Good'), 'the good event of the same batch is stored');

  const identify = events.find((e) => e.type === 'identify');
  assert.equal(identify.userId, 'u' + R);
  // The traits are the SDK's own reading of the page's JSON: two halves are two U+FFFD, as in a track's properties,
  // and the control character after a half is kept.
  assert.deepEqual(identify.traits, { name: 'n' + R, halves: R + R, control: R + '\u0001' });
  await context.close();
});

/** A config with one survey and one points reward in Japanese, with emoji, and UI strings for `pt` and `ja`. */
const config = {
  strings: {
    pt: { submit: 'Enviar', thanks: 'Obrigado!', notLikely: 'Pouco provável', veryLikely: 'Muito provável' },
    ja: { submit: '送信', thanks: 'ありがとうございます！🎉', notLikely: '可能性は低い', veryLikely: '可能性は高い', points: '{n}ポイント' },
    de: { points: '{n} Punkte' },
  },
  campaigns: [
    {
      id: 'ja-survey', trigger: { event: 'Show survey' }, timing: { frequency: 'always' },
      action: {
        type: 'survey', title: '🇯🇵👩🏽‍💻 アンケートにご協力ください',
        questions: [{ id: 'score', type: 'nps', text: 'このサイトを友人や同僚に薦める可能性はどのくらいありますか？' + '👍🏽'.repeat(40) }],
      },
    },
    {
      id: 'ja-points', trigger: { event: 'Show points' }, timing: { frequency: 'always' },
      action: { type: 'reward', reward: 'points', points: 1500, title: 'ようこそ🎉', text: '中文字符'.repeat(30) },
    },
  ],
};

async function promptPage(locale) {
  const context = await env.browser.newContext({ locale, viewport: { width: 320, height: 640 } });
  await context.route('**/unicode-config.json', (route) => route.fulfill({ contentType: 'application/json', body: JSON.stringify(config) }));
  const { page, log } = await openPage(env.browser, context);
  await page.goto(env.collector.url + '/campaigns.html?config=/unicode-config.json&autoPage=false');
  await ready(page);
  await page.waitForFunction(() => window.configResult);
  assert.equal((await page.evaluate(() => window.configResult)).ok, true);
  return { page, log, context };
}

/** Tracks `event`, waits for its prompt, and returns whatever of the prompt runs out sideways. */
async function overflowing(page, event) {
  await page.evaluate((e) => wayline.track(e), event);
  await page.locator('wayline-prompt').waitFor({ state: 'attached', timeout: 5000 });
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0))));
  return page.evaluate(() => {
    const dialog = document.querySelector('wayline-prompt').shadowRoot.querySelector('[role=dialog]');
    const box = dialog.getBoundingClientRect();
    const out = [];
    if (box.left < 0 || box.right > innerWidth) out.push(`dialog ${box.left}–${box.right}`);
    if (dialog.scrollWidth > dialog.clientWidth) out.push(`dialog scrolls sideways: ${dialog.scrollWidth} > ${dialog.clientWidth}`);
    for (const el of dialog.querySelectorAll('*')) {
      const r = el.getBoundingClientRect();
      if (r.width && (r.left < box.left - 0.5 || r.right > box.right + 0.5)) out.push(`${el.tagName} ${r.left}–${r.right}`);
    }
    return out;
  });
}

test('pt-BR takes the config\'s pt strings; Japanese, emoji sequences and CJK text wrap inside the prompt at 320 px', async () => {
  {
    const { page, context } = await promptPage('pt-BR');
    assert.equal(await page.evaluate(() => navigator.language), 'pt-BR');
    assert.deepEqual(await overflowing(page, 'Show survey'), []);
    const text = await page.locator('wayline-prompt [role=dialog]').innerText();
    assert.match(text, /Pouco provável/);
    assert.match(text, /Muito provável/);
    await context.close();
  }
  const { page, log, context } = await promptPage('ja');
  assert.deepEqual(await overflowing(page, 'Show survey'), []);
  const survey = await page.locator('wayline-prompt [role=dialog]').innerText();
  assert.match(survey, /可能性は低い/);
  assert.ok(survey.includes('🇯🇵👩🏽‍💻'), 'emoji sequences shown whole');
  await page.locator('wayline-prompt [data-a=v][data-v="9"]').click();
  await page.locator('wayline-prompt [role=status]').filter({ hasText: /\S/ }).waitFor();
  assert.match(await page.locator('wayline-prompt [role=dialog]').innerText(), /ありがとうございます！🎉/);
  await page.keyboard.press('Escape');
  await page.locator('wayline-prompt').waitFor({ state: 'detached' });
  assert.deepEqual(await overflowing(page, 'Show points'), []);
  assert.match(await page.locator('wayline-prompt [role=dialog]').innerText(), /1,500ポイント/);
  assert.deepEqual(log.errors, []);
  await context.close();
});

// A reward's points are written as the visitor's locale writes numbers (`navigator.language`, which also picks the
// strings): grouped by thousands with a comma in English, a narrow no-break space in French, a dot in German. Before,
// every locale read `1500 points`.
test('a reward prompt writes its points as the visitor\'s locale does', async () => {
  for (const [locale, shown] of [['en-US', '1,500 points'], ['fr-FR', '1\u202f500 points'], ['de-DE', '1.500 Punkte']]) {
    const { page, log, context } = await promptPage(locale);
    await page.evaluate(() => wayline.track('Show points'));
    await page.locator('wayline-prompt').waitFor({ state: 'attached', timeout: 5000 });
    const k = await page.evaluate(() => document.querySelector('wayline-prompt').shadowRoot.querySelector('.k').textContent);
    assert.equal(k, shown, locale);
    assert.deepEqual(log.errors, []);
    await context.close();
  }
});
