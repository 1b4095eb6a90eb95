// SPA navigation: pushState, a URL-changing replaceState and popstate produce page views; a no-op replaceState and
// a hash-only change do not. Also identify then reset.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { root, openPage, ready, waitForEvents, assertNoDuplicates, withCollectorAndBrowser } from './helpers.mjs';

const env = withCollectorAndBrowser({ www: join(root, 'tests', 'e2e', 'site') });

test('history navigation produces page views, no-op replaceState does not', async () => {
  const { page, log, context } = await openPage(env.browser);
  await page.goto(env.collector.url + '/blank.html');
  await ready(page);
  const anon = await page.evaluate(() => wayline.anonymousId());
  await page.evaluate(() => {
    history.pushState({}, '', '/app/one');
    history.replaceState({}, '', '/app/one');
    history.replaceState({ changed: true }, '');
    history.pushState({}, '', '/app/one#section');
    history.replaceState({}, '', '/app/two?tab=1');
  });
  await page.evaluate(() => new Promise((resolve) => {
    addEventListener('popstate', () => setTimeout(resolve, 0), { once: true });
    history.back();
  }));
  await page.evaluate(() => wayline.flush());
  const views = (await waitForEvents(env.collector, (e) => e.filter((x) => x.anonymousId === anon).length >= 4))
    .filter((e) => e.anonymousId === anon && e.type === 'page');
  assert.deepEqual(views.map((v) => v.properties.path + v.properties.search), [
    '/blank.html',
    '/app/one',
    '/app/two?tab=1',
    '/app/one',
  ]);
  assert.equal(views[1].properties.referrer, env.collector.url + '/blank.html');
  assert.equal(views[2].properties.referrer, env.collector.url + '/app/one');
  assert.deepEqual(log.errors, []);
  await context.close();
});

// A referrer never carries a fragment (browsers strip it from `document.referrer`), and the page views' `url` is
// sent without one: the previous URL of an SPA navigation is its referrer as that page view's `url` said it.
test('the referrer after SPA navigation is the previous URL without its fragment', async () => {
  const { page, context } = await openPage(env.browser);
  await page.goto(env.collector.url + '/blank.html#intro');
  await ready(page);
  const anon = await page.evaluate(() => {
    history.pushState({}, '', '/app/one');
    history.pushState({}, '', '/app/one#part');
    // A manual page view of the page the visitor is on: the referrer of that page, the previous page of the app.
    wayline.page();
    history.pushState({}, '', '/app/two');
    return wayline.anonymousId();
  });
  await page.evaluate(() => wayline.flush());
  const views = (await waitForEvents(env.collector, (e) => e.filter((x) => x.anonymousId === anon).length >= 4))
    .filter((e) => e.anonymousId === anon && e.type === 'page');
  assert.deepEqual(views.map((v) => [v.properties.url.slice(env.collector.url.length), v.properties.referrer]), [
    ['/blank.html', ''],
    ['/app/one', env.collector.url + '/blank.html'],
    ['/app/one', env.collector.url + '/blank.html'],
    ['/app/two', env.collector.url + '/app/one'],
  ]);
  assert.equal(views[1].context.page.referrer, env.collector.url + '/blank.html');
  await context.close();
});

// A URL over 2,048 bytes is cut in the message: before an escape the cut would split (`%C3%A9`, é, written by the
// browser in `location.href`), so each value sent still decodes, and its referrer, the URL before it, is cut alike.
test('a long URL of escaped characters is sent cut between characters, and decodes', async () => {
  const { page, context } = await openPage(env.browser);
  await page.goto(env.collector.url + '/blank.html');
  await ready(page);
  const anon = await page.evaluate(() => {
    // Each `é` is six bytes in the URL; the cut at 2,048 bytes falls inside one for the URL, path and query.
    for (const pad of ['', 'x', 'xy']) history.pushState({}, '', `/${pad}${'é'.repeat(400)}?q=${pad}${'é'.repeat(400)}`);
    return wayline.anonymousId();
  });
  await page.evaluate(() => wayline.flush());
  const views = (await waitForEvents(env.collector, (e) => e.filter((x) => x.anonymousId === anon && x.type === 'page').length >= 4))
    .filter((e) => e.anonymousId === anon && e.type === 'page').slice(1);
  assert.equal(views.length, 3);
  for (const view of views) {
    for (const key of ['url', 'path', 'search', 'referrer']) {
      for (const value of [view.properties[key], view.context.page[key]]) {
        if (key === 'referrer' && view === views[0]) continue;
        assert.ok(value.length > 2_040 && value.length <= 2_048, `${key}: ${value.length}`);
        assert.match(decodeURIComponent(value), /é$/, `${key} ends ${value.slice(-8)}`);
      }
    }
  }
  await context.close();
});

// The Navigation API changes the URL without `history.pushState`: `navigation.navigate()`, or a link click the
// page's `navigate` handler intercepts.
test('navigations through the Navigation API produce page views', async () => {
  const { page, log, context } = await openPage(env.browser);
  await page.goto(env.collector.url + '/blank.html');
  await ready(page);
  const anon = await page.evaluate(async () => {
    navigation.addEventListener('navigate', (e) => { if (e.canIntercept) e.intercept({ handler: async () => {} }); });
    await navigation.navigate('/app/navigated').finished;
    const link = Object.assign(document.createElement('a'), { href: '/app/linked?x=1' });
    document.body.append(link);
    link.click();
    await new Promise((r) => navigation.addEventListener('navigatesuccess', r, { once: true }));
    await navigation.navigate('/app/linked?x=1#part').finished;
    return wayline.anonymousId();
  });
  assert.equal(await page.evaluate(() => location.pathname + location.search), '/app/linked?x=1');
  await page.evaluate(() => wayline.flush());
  const views = (await waitForEvents(env.collector, (e) => e.filter((x) => x.anonymousId === anon && x.type === 'page').length >= 3))
    .filter((e) => e.anonymousId === anon && e.type === 'page');
  assert.deepEqual(views.map((v) => [v.properties.path + v.properties.search, v.properties.referrer.slice(env.collector.url.length)]), [
    ['/blank.html', ''],
    ['/app/navigated', '/blank.html'],
    ['/app/linked?x=1', '/app/navigated'],
  ]);
  assert.deepEqual(log.errors, []);
  await context.close();
});

// Routers set the title once the new view renders, after they navigate; analytics.js reads the page at each call.
test('messages after SPA navigation carry the title the app set after navigating', async () => {
  const { page, context } = await openPage(env.browser);
  await page.goto(env.collector.url + '/blank.html');
  await ready(page);
  const anon = await page.evaluate(() => {
    history.pushState({}, '', '/app/one');
    document.title = 'One';
    wayline.track('Viewed One');
    document.title = 'One, again';
    document.getElementById('banner').click();
    return wayline.anonymousId();
  });
  await page.evaluate(() => wayline.flush());
  const events = (await waitForEvents(env.collector, (e) => e.filter((x) => x.anonymousId === anon).length >= 4))
    .filter((e) => e.anonymousId === anon);
  assert.deepEqual(events.map((e) => [e.event || e.type, e.context.page.path, e.context.page.title]), [
    ['page', '/blank.html', 'Blank'],
    // The automatic page view waits for the app's task; the app's `track` records it first, with the title then.
    ['page', '/app/one', 'One'],
    ['Viewed One', '/app/one', 'One'],
    ['Banner Clicked', '/app/one', 'One, again'],
  ]);
  await context.close();
});

// Routers title the new view after they navigate: in the same task (React's effects after a click), or in a
// microtask (Vue Router's `afterEach`, after its guards' promises). The automatic page view is recorded after the
// app's task, as of the navigation, and before anything the page does next.
test('the automatic page view of an SPA navigation carries the title the app sets after navigating', async () => {
  const { page, log, context } = await openPage(env.browser);
  await page.goto(env.collector.url + '/blank.html');
  await ready(page);
  const anon = await page.evaluate(() => wayline.anonymousId());
  const before = await page.evaluate(() => Date.now());
  await page.evaluate(() => {
    history.pushState({}, '', '/app/sync');
    document.title = 'Sync';
  });
  await page.evaluate(() => new Promise((resolve) => {
    history.pushState({}, '', '/app/microtask');
    Promise.resolve().then(() => Promise.resolve()).then(() => { document.title = 'Microtask'; });
    // Two navigations in one task: each is a page view, the first with the title the page had at the second.
    setTimeout(() => {
      history.pushState({}, '', '/app/redirecting');
      document.title = 'Redirecting';
      history.replaceState({}, '', '/app/redirected');
      document.title = 'Redirected';
      setTimeout(resolve, 0);
    }, 0);
  }));
  // A navigation followed at once by a call of the page (`flush`): the view is recorded first.
  await page.evaluate(() => {
    history.pushState({}, '', '/app/left');
    document.title = 'Left';
  });
  const views = (await page.evaluate(() => wayline.flush()).then(() =>
    waitForEvents(env.collector, (e) => e.filter((x) => x.anonymousId === anon && x.type === 'page').length >= 6)))
    .filter((e) => e.anonymousId === anon && e.type === 'page');
  assert.deepEqual(views.map((v) => [v.properties.path, v.properties.title, v.context.page.title]), [
    ['/blank.html', 'Blank', 'Blank'],
    ['/app/sync', 'Sync', 'Sync'],
    ['/app/microtask', 'Microtask', 'Microtask'],
    ['/app/redirecting', 'Redirecting', 'Redirecting'],
    ['/app/redirected', 'Redirected', 'Redirected'],
    ['/app/left', 'Left', 'Left'],
  ]);
  // Timestamped as of the navigation, in order.
  const times = views.slice(1).map((v) => Date.parse(v.timestamp));
  assert.ok(times.every((t, i) => t >= before && (i === 0 || t >= times[i - 1])), JSON.stringify(times));
  assert.deepEqual(log.errors, []);
  await context.close();
});

// Anything the page does after navigating follows the navigation's page view, even in the same task: a `track`,
// a tagged click, and the answers to queries (the rules have seen the page view).
test('a call in the navigating task comes after its page view', async () => {
  const { page, context } = await openPage(env.browser);
  await page.goto(env.collector.url + '/blank.html');
  await ready(page);
  const anon = await page.evaluate(() => {
    history.pushState({}, '', '/thanks');
    wayline.track('Order Completed');
    return wayline.anonymousId();
  });
  await page.evaluate(() => wayline.flush());
  const events = (await waitForEvents(env.collector, (e) => e.filter((x) => x.anonymousId === anon).length >= 3))
    .filter((e) => e.anonymousId === anon && e.event !== 'Page Engagement');
  assert.deepEqual(events.map((e) => [e.event || e.type, e.context.page.path]), [
    ['page', '/blank.html'],
    ['page', '/thanks'],
    ['Order Completed', '/thanks'],
  ]);
  await context.close();
});

// With automatic page views off, analytics.js still reads the address at each call: a `track` between the app's
// navigation and its `page()` names the page the visitor is on, and the page left is reported then.
test('with autoPage off, messages after SPA navigation carry the new page before page() is called', async () => {
  const { page, log, context } = await openPage(env.browser);
  await page.goto(env.collector.url + '/manual.html');
  await page.waitForFunction(() => window.wayline && window.wayline.loaded);
  const anon = await page.evaluate(async () => {
    await wayline.init({ writeKey: 'wk_demo', autoPage: false, trackClicks: false });
    wayline.page();
    document.dispatchEvent(new KeyboardEvent('keydown', { key: 'a' }));
    await new Promise((r) => setTimeout(r, 50));
    history.pushState({}, '', '/app/one?utm_source=spa');
    wayline.track('Before Page Call');
    wayline.page();
    history.pushState({}, '', '#part');
    wayline.track('After A Hash Change');
    return wayline.anonymousId();
  });
  await page.evaluate(() => wayline.flush());
  const events = (await waitForEvents(env.collector, (e) => e.filter((x) => x.anonymousId === anon).length >= 5))
    .filter((e) => e.anonymousId === anon);
  const origin = env.collector.url;
  assert.deepEqual(events.map((e) => [e.event || e.type, e.context.page.path, e.context.page.referrer, e.context.campaign?.source]), [
    ['page', '/manual.html', '', undefined],
    ['Page Engagement', '/manual.html', '', undefined],
    ['Before Page Call', '/app/one', origin + '/manual.html', 'spa'],
    ['page', '/app/one', origin + '/manual.html', 'spa'],
    ['After A Hash Change', '/app/one', origin + '/manual.html', 'spa'],
  ]);
  assert.equal(events[1].properties.path, '/manual.html');
  assert.equal(events[3].properties.referrer, origin + '/manual.html');
  assert.deepEqual(log.errors, []);
  await context.close();
});

test('identify then reset', async () => {
  const { page, log, context } = await openPage(env.browser);
  await page.goto(env.collector.url + '/blank.html');
  await ready(page);
  const before = await page.evaluate(() => {
    const anon = wayline.anonymousId();
    wayline.identify('user-42', { plan: 'pro', companySize: 50 });
    wayline.track('Report Exported', { format: 'csv' });
    wayline.reset();
    wayline.track('Logged Out Browse');
    return anon;
  });
  const after = await page.evaluate(() => wayline.anonymousId());
  assert.notEqual(after, before);
  assert.equal(await page.evaluate(() => wayline.userId()), undefined);
  await page.evaluate(() => wayline.flush());
  const events = await waitForEvents(env.collector, (e) => e.some((x) => x.event === 'Logged Out Browse'));
  const identify = events.find((e) => e.type === 'identify' && e.userId === 'user-42');
  assert.deepEqual(identify.traits, { plan: 'pro', companySize: 50 });
  assert.equal(identify.anonymousId, before);
  const exported = events.find((e) => e.event === 'Report Exported');
  assert.equal(exported.userId, 'user-42');
  const out = events.find((e) => e.event === 'Logged Out Browse');
  assert.equal(out.userId, undefined);
  assert.equal(out.anonymousId, after);
  assertNoDuplicates(assert, events);
  // After a reload the new identity is the one that persists.
  await page.reload();
  await ready(page);
  assert.equal(await page.evaluate(() => wayline.anonymousId()), after);
  assert.deepEqual(log.errors, []);
  await context.close();
});

test('calls made before the SDK loaded are replayed in order', async () => {
  const { page, log, context } = await openPage(env.browser);
  // The SDK module loads asynchronously and could win the race against the page's next script on a fast machine;
  // hold it back so the page's calls certainly come first, as on a real network.
  await page.route('**/sdk/wayline.js', async (route) => {
    await new Promise((resolve) => setTimeout(resolve, 300));
    await route.continue();
  });
  await page.goto(env.collector.url + '/early.html');
  assert.equal(await page.evaluate(() => window.earlyLoaded), true, 'calls happened before the SDK loaded');
  assert.equal(await page.evaluate(() => window.earlyFlush), true, 'flush() from the stub resolved after delivery');
  await page.evaluate(() => wayline.flush());
  const events = await waitForEvents(env.collector, (e) => e.some((x) => x.event === 'On Ready'));
  const mine = events.filter((e) => e.anonymousId === events.find((x) => x.event === 'Early 1').anonymousId);
  // The ready listener's call, made while init ran, comes after the calls queued before it.
  assert.deepEqual(mine.map((e) => e.event || e.type), ['Early 1', 'Early 2', 'Early 3', 'Early 4', 'Early 5', 'identify', 'Early 6', 'On Ready']);
  const times = mine.map((e) => Date.parse(e.originalTimestamp));
  assert.deepEqual([...times].sort((a, b) => a - b), times);
  assert.equal(mine.at(-1).userId, 'early-user');
  assert.deepEqual(log.errors, []);
  await context.close();
});

test('a click on a data-wayline-event element is tracked with its properties', async () => {
  const { page, context } = await openPage(env.browser);
  await page.goto(env.collector.url + '/blank.html');
  await ready(page);
  await page.click('#banner');
  await page.evaluate(() => wayline.flush());
  const events = await waitForEvents(env.collector, (e) => e.some((x) => x.event === 'Banner Clicked'));
  assert.deepEqual(events.find((x) => x.event === 'Banner Clicked').properties, { slot: 'top' });
  await context.close();
});

test('a click whose data-wayline-properties is not JSON is tracked without properties, with a warning', async () => {
  const { page, log, context } = await openPage(env.browser);
  await page.goto(env.collector.url + '/blank.html');
  await ready(page);
  // Single quotes: the usual slip in an HTML attribute.
  await page.evaluate(() => document.querySelector('[data-wayline-event]').setAttribute('data-wayline-properties', "{'slot':'top'}"));
  await page.click('#banner');
  await page.evaluate(() => wayline.flush());
  const anon = await page.evaluate(() => wayline.anonymousId());
  const events = await waitForEvents(env.collector, (e) => e.some((x) => x.anonymousId === anon && x.event === 'Banner Clicked'));
  assert.deepEqual(events.find((x) => x.anonymousId === anon && x.event === 'Banner Clicked').properties, {});
  assert.ok(log.warnings.some((w) => /invalid_properties/.test(w)), JSON.stringify(log.warnings));
  await context.close();
});

test('each page reports its own scroll depth and engaged time, across in-app navigation', async () => {
  const { page, log, context } = await openPage(env.browser);
  await page.goto(env.collector.url + '/blank.html');
  await ready(page);
  const anon = await page.evaluate(() => wayline.anonymousId());
  // A page four viewports tall, scrolled so that half of it has been in view.
  const scrollTo = (fraction) => page.evaluate(async (f) => {
    const y = f * document.documentElement.scrollHeight - innerHeight;
    scrollTo(0, y);
    await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 50)));
  }, fraction);
  await page.evaluate(() => {
    const tall = document.createElement('div');
    tall.style.height = 4 * innerHeight + 'px';
    document.body.append(tall);
  });
  await page.mouse.move(10, 10);
  await scrollTo(0.5);
  // An in-app navigation that keeps the scroll position, then a small scroll within the same whole percent:
  // the new page has been seen to the same depth and must say so.
  await page.evaluate(() => history.pushState({}, '', '/app/long'));
  await page.evaluate(() => scrollBy(0, 1));
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 50))));
  // The app titles its view after it navigated, and makes no call on it before the visitor moves on.
  await page.evaluate(() => { document.title = 'Long'; });
  await page.evaluate(() => history.pushState({}, '', '/app/next'));
  await page.evaluate(() => wayline.flush());
  const engagement = (await waitForEvents(env.collector, (e) =>
    e.filter((x) => x.anonymousId === anon && x.event === 'Page Engagement').length >= 2))
    .filter((e) => e.anonymousId === anon && e.event === 'Page Engagement');
  assert.deepEqual(engagement.map((e) => e.properties.path), ['/blank.html', '/app/long']);
  assert.deepEqual(engagement.map((e) => e.context.page.title), ['Blank', 'Long'], 'each with the title of the page left');
  for (const e of engagement) {
    assert.ok(e.properties.scrollDepth >= 49 && e.properties.scrollDepth <= 51, JSON.stringify(e.properties));
    assert.equal(typeof e.properties.engagedMs, 'number');
  }
  assert.ok(engagement[0].properties.engagedMs > 0, 'the first page had an interaction while visible');
  assert.deepEqual(log.errors, []);
  await context.close();
});

// The page's engagement, sent as the visitor leaves, carries the title the page has then.
test('the Page Engagement sent as the visitor leaves carries the title the page has then', async () => {
  const { page, log, context } = await openPage(env.browser);
  await page.goto(env.collector.url + '/blank.html');
  await ready(page);
  const anon = await page.evaluate(() => wayline.anonymousId());
  await page.mouse.move(10, 10);
  await page.evaluate(() => { document.title = 'Retitled'; });
  await page.goto(env.collector.url + '/manual.html');
  const [engagement] = (await waitForEvents(env.collector, (e) => e.some((x) => x.anonymousId === anon && x.event === 'Page Engagement')))
    .filter((e) => e.anonymousId === anon && e.event === 'Page Engagement');
  assert.equal(engagement.context.page.title, 'Retitled');
  assert.equal(engagement.properties.path, '/blank.html');
  assert.deepEqual(log.errors, []);
  await context.close();
});

// With automatic page views off the app's navigation still ends a page (its `Page Engagement`): the page it goes
// to reports its own scroll depth as a page view's would, also at the same whole percent as the page left.
test('with autoPage off, each page the app navigates to reports its own scroll depth', async () => {
  const { page, log, context } = await openPage(env.browser);
  await page.goto(env.collector.url + '/manual.html');
  await page.waitForFunction(() => window.wayline && window.wayline.loaded);
  await page.evaluate(() => wayline.init({ writeKey: 'wk_demo', autoPage: false, trackClicks: false }));
  const anon = await page.evaluate(() => wayline.anonymousId());
  await page.evaluate(async () => {
    const tall = document.createElement('div');
    tall.style.height = 4 * innerHeight + 'px';
    document.body.append(tall);
    scrollTo(0, document.documentElement.scrollHeight / 2 - innerHeight);
    await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 50)));
  });
  await page.mouse.move(10, 10);
  // The app navigates, keeping the scroll position; the visitor scrolls within the same whole percent.
  await page.evaluate(() => history.pushState({}, '', '/app/long'));
  await page.evaluate(() => scrollBy(0, 1));
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 50))));
  // The app titles its view after it navigated, and makes no call on it before the visitor moves on.
  await page.evaluate(() => { document.title = 'Long'; });
  await page.evaluate(() => history.pushState({}, '', '/app/next'));
  await page.evaluate(() => wayline.flush());
  const engagement = (await waitForEvents(env.collector, (e) =>
    e.filter((x) => x.anonymousId === anon && x.event === 'Page Engagement').length >= 2))
    .filter((e) => e.anonymousId === anon && e.event === 'Page Engagement');
  assert.deepEqual(engagement.map((e) => e.properties.path), ['/manual.html', '/app/long']);
  for (const e of engagement) {
    assert.ok(e.properties.scrollDepth >= 49 && e.properties.scrollDepth <= 51, JSON.stringify(e.properties));
  }
  assert.deepEqual(log.errors, []);
  await context.close();
});

// SPEC §3: each automatic touchpoint can be switched off (here with the stub's data- attributes); what is switched
// off is not sent.
test('touchpoints switched off are not sent: engagement, scroll depth, session id, attribution', async () => {
  const visit = async (file) => {
    const { page, log, context } = await openPage(env.browser);
    await page.goto(env.collector.url + '/' + file + '?utm_source=news&utm_medium=email');
    await ready(page);
    const anon = await page.evaluate(() => wayline.anonymousId());
    await page.mouse.move(10, 10);
    await page.evaluate(async () => {
      const tall = document.createElement('div');
      tall.style.height = 4 * innerHeight + 'px';
      document.body.append(tall);
      scrollTo(0, document.documentElement.scrollHeight / 2);
      await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 50)));
    });
    await page.mouse.move(20, 20);
    await page.evaluate(() => history.pushState({}, '', '/app/next'));
    await page.evaluate(() => wayline.track('Done'));
    await page.evaluate(() => wayline.flush());
    const mine = (e) => e.filter((x) => x.anonymousId === anon);
    const events = mine(await waitForEvents(env.collector, (e) => mine(e).some((x) => x.event === 'Done')));
    assert.deepEqual(log.errors, []);
    await context.close();
    return events;
  };
  const off = await visit('touchpoints-off.html');
  assert.deepEqual(off.map((e) => e.event ?? e.type), ['page', 'page', 'Done']);
  for (const e of off) {
    assert.equal(e.context.sessionId, undefined);
    assert.equal(e.context.attribution, undefined);
  }
  assert.equal(off[0].context.campaign.source, 'news', 'the landing page\'s own UTM parameters, as analytics.js sends them');
  const noScroll = await visit('scroll-off.html');
  const engagement = noScroll.find((e) => e.event === 'Page Engagement');
  assert.ok(engagement.properties.engagedMs > 0, JSON.stringify(engagement.properties));
  assert.equal(engagement.properties.scrollDepth, undefined);
  assert.equal(typeof noScroll[0].context.sessionId, 'number');
  assert.equal(noScroll[0].context.attribution.first.channel, 'email');
});

test('page() reads its arguments as analytics.js does: two leading strings are a category and a name', async () => {
  const { page, log, context } = await openPage(env.browser);
  await page.goto(env.collector.url + '/blank.html');
  await ready(page);
  const anon = await page.evaluate(() => wayline.anonymousId());
  const codes = await page.evaluate(async () => {
    const codes = [];
    wayline.on('warning', (w) => codes.push(w.code));
    wayline.page('Docs', 'Intro', { version: 2 });
    wayline.page('Docs', 'Setup');
    wayline.page('Guides', 'Own', { category: 'Mine' });
    wayline.page(null, 'Unfiled', { v: 1 });
    wayline.page('Pricing', { plan: 'pro' });
    wayline.page('Plans');
    wayline.page({ plan: 'team' });
    await new Promise((r) => setTimeout(r, 50));
    return codes;
  });
  assert.deepEqual(codes, []);
  await page.evaluate(() => wayline.flush());
  const views = (await waitForEvents(env.collector, (e) => e.filter((x) => x.anonymousId === anon).length >= 8))
    .filter((e) => e.anonymousId === anon && e.type === 'page');
  const manual = views.slice(1);
  assert.deepEqual(
    manual.map((v) => [v.category, v.name, v.properties.category, v.properties.name]),
    [
      ['Docs', 'Intro', 'Docs', 'Intro'],
      ['Docs', 'Setup', 'Docs', 'Setup'],
      // The call's category replaces a `category` property, as analytics.js sends it.
      ['Guides', 'Own', 'Guides', 'Own'],
      [undefined, 'Unfiled', undefined, 'Unfiled'],
      [undefined, 'Pricing', undefined, 'Pricing'],
      [undefined, 'Plans', undefined, 'Plans'],
      [undefined, undefined, undefined, undefined],
    ],
  );
  assert.equal(manual[0].properties.version, 2);
  assert.equal(manual[0].properties.path, '/blank.html');
  assert.equal(manual[3].properties.v, 1);
  assert.equal(manual[4].properties.plan, 'pro');
  assert.equal(manual[6].properties.plan, 'team');
  assert.deepEqual(log.errors, []);
  await context.close();
});

test('a pushState the browser refuses throws to its caller unchanged, and navigation is still heard after', async () => {
  const { page, log, context } = await openPage(env.browser);
  await page.goto(env.collector.url + '/blank.html');
  await ready(page);
  const anon = await page.evaluate(() => wayline.anonymousId());
  const thrown = await page.evaluate(() => {
    const results = [];
    for (let i = 0; i < 2; i++) {
      try {
        history.pushState({}, '', 'https://elsewhere.example/app');
        results.push('no error');
      } catch (e) {
        results.push(e instanceof DOMException ? e.name : String(e));
      }
    }
    history.pushState({}, '', '/app/after');
    return results;
  });
  assert.deepEqual(thrown, ['SecurityError', 'SecurityError']);
  await page.evaluate(() => wayline.flush());
  const views = (await waitForEvents(env.collector, (e) => e.filter((x) => x.anonymousId === anon).length >= 2))
    .filter((e) => e.anonymousId === anon && e.type === 'page');
  assert.deepEqual(views.map((v) => v.properties.path), ['/blank.html', '/app/after']);
  assert.deepEqual(log.errors, []);
  await context.close();
});
