// Every message carries the page facts analytics-next sends: each page of tests/e2e/page-facts.json (random paths,
// query strings, hashes, titles, referrers and canonical links, each with what analytics-next's own functions made
// of it in Chromium; tests/e2e/page-facts.mjs writes it) is loaded with the real SDK, and the messages the collector
// stored are compared with them: the load's page view (its `path`, `referrer`, `search`, `title` and `url`
// properties, its `context.page` and `context.campaign`) and a `track` after it (its `context.page` and
// `context.campaign`: analytics-next adds both to every message), and a `page` call after them, with a name, a
// category and properties of Segment's page properties' names, or not (its properties, `context.page` and
// `context.campaign`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { root, openPage, waitForEvents, withCollectorAndBrowser } from './helpers.mjs';
import { html } from './page-facts.mjs';

const data = JSON.parse(readFileSync(join(root, 'tests', 'e2e', 'page-facts.json'), 'utf8'));
const env = withCollectorAndBrowser({ www: join(root, 'tests', 'e2e', 'site') });
const title = (t) => (typeof t == 'string' ? t : t.s.repeat(t.n));

// One case's page at `data.origin`, in a context of its own (so a visitor of its own): the page from the case, the
// SDK's files and its requests to the collector taken there. Resolves to the visitor's anonymous id.
async function visit(c, i, errors) {
  const { page, log, context } = await openPage(env.browser);
  const sdk = '<script src="/sdk/wayline-stub.js" data-write-key="wk_demo" data-track-clicks="false" data-track-engagement="false"></script>';
  await context.route(`${data.origin}/**`, async (route) => {
    const request = route.request();
    if (request.isNavigationRequest()) {
      return route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: html({ ...c, title: title(c.title) }, sdk) });
    }
    const url = new URL(request.url());
    if (!/^\/(sdk|v1)\//.test(url.pathname)) return route.fulfill({ status: 404, body: '' });
    // As from the collector's own origin, which the demo write key allows.
    const headers = { ...request.headers(), origin: env.collector.url };
    const response = await route.fetch({ url: env.collector.url + url.pathname + url.search, headers });
    return route.fulfill({ response });
  });
  await page.goto(c.href, c.referrer ? { referer: c.referrer } : {});
  await page.waitForFunction(() => window.wayline && window.wayline.loaded && window.wayline.anonymousId());
  const anon = await page.evaluate(async ([i, call]) => {
    wayline.track('Facts', { case: i });
    wayline.page(...call);
    if (!(await wayline.flush())) throw new Error('not flushed');
    return wayline.anonymousId();
  }, [i, c.call]);
  errors.push(...log.errors.map((e) => `case ${i}: ${e}`));
  await context.close();
  return anon;
}

test(`${data.cases.length} pages' facts as analytics-next ${data['analytics-next']} sends them`, { timeout: 180000 }, async () => {
  const errors = [];
  const anons = new Array(data.cases.length);
  // A few pages at a time.
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < data.cases.length) {
        const i = next++;
        anons[i] = await visit(data.cases[i], i, errors);
      }
    }),
  );
  assert.deepEqual(errors, []);
  const facts = (e) => e.type === 'track' && e.event === 'Facts';
  const events = await waitForEvents(env.collector, (e) => e.filter(facts).length >= data.cases.length);
  const failures = [];
  data.cases.forEach((c, i) => {
    const mine = events.filter((e) => e.anonymousId === anons[i]);
    const view = mine.filter((e) => e.type === 'page' && !('case' in e.properties));
    const called = mine.filter((e) => e.type === 'page' && e.properties.case === i);
    const track = mine.find((e) => facts(e) && e.properties.case === i);
    if (view.length !== 1 || called.length !== 1 || !track) {
      failures.push(`case ${i}: ${view.length} page views on load, ${called.length} called, ${track ? 'a' : 'no'} track stored`);
      return;
    }
    const got = {
      properties: view[0].properties,
      page: view[0].context.page,
      campaign: view[0].context.campaign ?? null,
      trackPage: track.context.page,
      trackCampaign: track.context.campaign ?? null,
      call: { properties: called[0].properties, page: called[0].context.page, campaign: called[0].context.campaign ?? null },
    };
    const expect = {
      properties: c.expect.page,
      page: c.expect.page,
      campaign: c.expect.campaign,
      trackPage: c.expect.page,
      trackCampaign: c.expect.campaign,
      call: c.expect.call,
    };
    try {
      assert.deepEqual(got, expect);
    } catch {
      const differs = Object.keys(expect).filter((k) => {
        try {
          assert.deepEqual(got[k], expect[k]);
          return false;
        } catch {
          return true;
        }
      });
      const show = (o) => JSON.stringify(Object.fromEntries(differs.map((k) => [k, o[k]])));
      failures.push(`case ${i}: ${c.href}${c.canonical !== null ? ` (canonical ${JSON.stringify(c.canonical)})` : ''}\n  expected ${show(expect)}\n  got      ${show(got)}`);
    }
  });
  assert.equal(failures.length, 0, `${failures.length} of ${data.cases.length} pages differ:\n${failures.join('\n')}`);
});
