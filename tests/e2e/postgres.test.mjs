// The collector on PostgreSQL (`wayline serve --db postgres://…`), driven by the real SDK in Chromium: a burst, a
// reload mid-batch and five tabs at once are stored whole and once, and the reports read the same database.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { root, openPage, ready, waitForEvents, assertNoDuplicates, startCollector, startPostgres, launch, byAnon } from './helpers.mjs';

const env = {};
before(async () => {
  env.postgres = await startPostgres();
  env.collector = await startCollector({ www: join(root, 'tests', 'e2e', 'site'), database: env.postgres.url });
  env.browser = await launch();
});
after(async () => {
  await env.browser.close();
  await env.collector.stop();
  env.postgres.stop();
});

test('a burst, a reload mid-batch and five tabs reach PostgreSQL whole and once', async () => {
  const { page, context } = await openPage(env.browser);
  await page.goto(env.collector.url + '/blank.html');
  await ready(page);
  const anon = await page.evaluate(() => {
    for (let i = 0; i < 2000; i++) wayline.track('Burst', { i });
    return wayline.anonymousId();
  });
  await page.reload();
  await ready(page);
  const tabs = [];
  for (let t = 0; t < 5; t++) {
    const tab = await context.newPage();
    await tab.goto(env.collector.url + '/blank.html');
    await ready(tab);
    await tab.evaluate((t) => {
      for (let i = 0; i < 100; i++) wayline.track('Tab', { t, i });
    }, t);
    tabs.push(tab);
  }
  await page.evaluate(() => wayline.flush());
  const events = (await waitForEvents(env.collector, (e) => e.filter(byAnon(anon)).filter((x) => x.event === 'Burst' || x.event === 'Tab').length >= 2500, 30000)).filter(byAnon(anon));
  assertNoDuplicates(assert, events);
  assert.deepEqual(events.filter((e) => e.event === 'Burst').map((e) => e.properties.i).sort((a, b) => a - b), [...Array(2000).keys()]);
  assert.equal(events.filter((e) => e.event === 'Tab').length, 500);

  const res = await fetch(env.collector.url + '/v1/reports', { headers: { authorization: 'Bearer rk_demo' } });
  assert.equal(res.status, 200);
  const report = await res.json();
  assert.equal(report.events.series.find((s) => s.name === 'Burst').total, 2000);
  assert.equal(report.events.series.find((s) => s.name === 'Tab').total, 500);
  await context.close();
});
