// The visitor's wall clock jumps (docs/sdk.md, "When the clock jumps"): set back two days by hand, then forward
// again as a laptop waking from sleep. The page's clock is Playwright's: `setSystemTime` moves `Date.now()` without
// running timers; `fastForward` moves it and runs the timers then due once, as a page coming back from sleep does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { root, openPage, ready, waitForEvents, assertNoDuplicates, withCollectorAndBrowser, byAnon } from './helpers.mjs';

// The build with the rule engine (bash scripts/build-sdk.sh --full).
const env = withCollectorAndBrowser({ www: join(root, 'tests', 'e2e', 'site'), sdk: join(root, 'js', 'dist-full') });

const DAY = 24 * 3600 * 1000;

test('a page survives its clock set back two days and forward again: events delivered once, segments run on', async () => {
  const { page, log, context } = await openPage(env.browser);
  const t0 = Date.now();
  await context.clock.install({ time: t0 });
  await page.goto(env.collector.url + '/segments.html');
  await ready(page);
  await page.waitForFunction(() => window.configResult);
  // Two views of /pricing within 3 s: in `pricing-curious` (segments-config.json).
  const anon = await page.evaluate(() => {
    history.pushState({}, '', '/pricing');
    wayline.page();
    wayline.page();
    wayline.track('Before Jump');
    return wayline.anonymousId();
  });
  assert.deepEqual(await page.evaluate(() => wayline.segments()), ['pricing-curious']);

  // Set back two days: no time passed for the rules (still in), and then time runs on the new clock: the
  // window's 3 s later the segment is left, by the SDK's own timer (not two days later).
  const back = t0 - 2 * DAY;
  await context.clock.setSystemTime(back);
  await context.clock.runFor(1000);
  assert.deepEqual(await page.evaluate(() => window.notices.filter((n) => n.name === 'segment:exit')), [], 'no time passed');
  await context.clock.runFor(4000);
  // Left by the SDK's own timer: no call came since the jump.
  assert.equal(await page.evaluate(() => window.notices.filter((n) => n.name === 'segment:exit').length), 1, 'left on the new clock');
  assert.deepEqual(await page.evaluate(() => wayline.segments()), []);
  await page.evaluate(() => wayline.track('After Back'));
  const exit = await page.evaluate(() => window.notices.find((n) => n.name === 'segment:exit'));
  assert.ok(exit && exit.at >= back && exit.at <= back + 6000, `exit at ${exit && exit.at - back} ms after the jump`);
  assert.equal(await page.evaluate(() => wayline.flush()), true, 'sent on the clock set back');

  // Forward again, two days at once (a laptop waking up): timers due meanwhile run, and the page goes on.
  await context.clock.fastForward(2 * DAY);
  const forward = await page.evaluate(() => {
    wayline.track('After Forward');
    wayline.page();
    return Date.now();
  });
  assert.ok(forward >= t0, 'the clock is right again');
  assert.equal(await page.evaluate(() => wayline.flush()), true);

  const names = ['Before Jump', 'After Back', 'After Forward', 'Segment Entered', 'Segment Exited'];
  const events = (
    await waitForEvents(env.collector, (e) => {
      const mine = e.filter(byAnon(anon));
      return names.every((n) => mine.some((x) => x.event === n)) && mine.filter((x) => x.type === 'page').length === 3;
    })
  ).filter(byAnon(anon));
  assertNoDuplicates(assert, events);
  for (const n of names) assert.equal(events.filter((e) => e.event === n).length, 1, n);
  const of = (n) => events.find((e) => e.event === n);
  // The collector puts each event on its own clock by `sentAt`: sent on the clock it was stamped with, an event
  // stamped two days back is stored at the time it really happened.
  const after = of('After Back');
  assert.ok(Math.abs(Date.parse(after.originalTimestamp) - back) < 10_000);
  assert.ok(Math.abs(Date.parse(after.timestamp) - Date.parse(after.receivedAt)) < 60_000, 'skew corrected');
  // One session across the jump back (no time passed); the two days forward start another.
  assert.equal(after.context.sessionId, of('Before Jump').context.sessionId);
  assert.notEqual(of('After Forward').context.sessionId, after.context.sessionId);
  assert.deepEqual(await page.evaluate(() => window.notices.map((n) => n.name + ':' + (n.segment || n.to))), [
    'stage:change:awareness',
    'segment:enter:pricing-curious',
    'segment:exit:pricing-curious',
  ]);
  assert.deepEqual(log.errors, []);
  await context.close();
});

test('after the clock is set back, the visitor interacting goes on counting as engaged time', async () => {
  const { page, log, context } = await openPage(env.browser);
  const t0 = Date.now();
  await context.clock.install({ time: t0 });
  await page.goto(env.collector.url + '/blank.html');
  await ready(page);
  const anon = await page.evaluate(() => wayline.anonymousId());
  const interact = async (seconds) => {
    for (let i = 0; i < seconds; i++) {
      await page.mouse.move(100 + 10 * i, 100 + (i % 2) * 10);
      await context.clock.runFor(1000);
    }
  };
  await interact(3);
  // Set back two days, then ten seconds of moving the mouse about (one interaction a second, each within 30 s of
  // the one before): all ten are engaged time, as on any clock.
  await context.clock.setSystemTime(t0 + 3000 - 2 * DAY);
  await interact(10);
  await page.mouse.move(5, 5);
  await page.evaluate(() => history.pushState({}, '', '/next'));
  assert.equal(await page.evaluate(() => wayline.flush()), true);
  const events = (
    await waitForEvents(env.collector, (e) => e.some((x) => x.anonymousId === anon && x.event === 'Page Engagement'))
  ).filter(byAnon(anon));
  const engaged = events.find((e) => e.event === 'Page Engagement').properties.engagedMs;
  assert.ok(engaged >= 11_000 && engaged <= 14_000, `engaged ${engaged} ms of about 13 s of interaction`);
  assert.deepEqual(log.errors, []);
  await context.close();
});
