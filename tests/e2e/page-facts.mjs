// Writes tests/e2e/page-facts.json: random pages (a path with encoded characters, a query string, a hash, a title,
// a referrer, a `<link rel="canonical">`), each with the page facts analytics-next sends for it: `context.page`
// (`path`, `referrer`, `search`, `title`, `url`), a `page` call's default properties (the same five, from
// analytics-page-tools' `getDefaultPageContext`, which reads the canonical link) and `context.campaign` (its
// env-enrichment plugin's `utm` of `context.page.search`, on every message when the search is not empty), and for
// a `page` call made after the load (a name, a category, properties named as Segment's page properties, or not),
// its properties, `context.page` and `context.campaign` (`addPageContext` copies such properties into the context).
// analytics-next's own functions run in Chromium on each page (their source, taken from its dist/cjs, is
// evaluated in the page), so the browser's reading of the URL, title and referrer is the one both libraries get.
// tests/e2e/page_facts.test.mjs loads every page with the real SDK and compares the messages the collector stored.
// analytics-next is not a dependency of the build; to regenerate (the seed is fixed, so the file only changes when
// the generator, analytics-next's answers or Chromium's reading of a URL do):
//   npm install --prefix /tmp/seg --no-save @segment/analytics-next@1.84.3
//   node tests/e2e/page-facts.mjs /tmp/seg/node_modules/@segment/analytics-next
//
// Pages are served at https://shop.test (the test routes them, and the SDK's requests to the collector). Where
// Wayline differs on purpose (docs/sdk.md says so), the expectation is Wayline's, and the case's `deliberate` names
// the reason; `analyticsNext` then holds what analytics-next sends.
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { seeded } from '../rules/random.mjs';

const here = dirname(fileURLToPath(import.meta.url));

export const ORIGIN = 'https://shop.test';
const CASES = 160;
const { random, pick } = seeded(20261128);
const maybe = (p) => random() < p;

// Path segments: plain, escaped (upper and lower case hex, an encoded slash, UTF-8), raw characters the browser
// escapes (a space, `é`, a quote), an invalid escape, dot segments the browser resolves, an empty segment.
const SEGMENTS = ['shop', 'a', 'Docs', 'caf%C3%A9', 'caf%c3%a9', 'a%20b', 'a%2Fb', 'x%zz', '100%', 'café', 'a b', "it's",
  '..', '.', '', 'p+q', '%E9', '~user', 'a;b=c', 'Ω'];
// Query parameters: UTM ones (the five, others, repeated, empty, without `=`, with `+` and escapes, valid and not),
// and keys that only look like them.
const KEYS = ['utm_source', 'utm_medium', 'utm_campaign', 'utm_term', 'utm_content', 'utm_source', 'utm_campaign',
  'utm_name', 'utm_id', 'utm_source_platform', 'utm_', 'UTM_SOURCE', 'xutm_a', 'utm%5Fsource', 'q', 'page', 'gclid', 'a'];
const VALUES = ['news', 'e+mail', 'spring%20sale', 'caf%C3%A9', '%E9t%E9', '50%', '%zz', 'a%2Bb', '', 'x=y', 'Ω',
  'summer sale', 'a%26b', '%F0%9F%8E%89', '1+1%3D2', 'cpc'];
const HASHES = ['', '', '#', '#top', '#x?utm_source=hash', '#a%20b', '#/route?q=1'];
// Now and then (else none): absolute (this origin, another, with a query or a hash), relative, empty.
const CANONICALS = [`${ORIGIN}/canonical/page`, `${ORIGIN}/canonical?x=1`, `${ORIGIN}/c#frag`,
  'https://other.test/elsewhere', '/relative/path', 'relative-no-slash', '', `${ORIGIN}/caf%C3%A9?utm_source=canon`];
const TITLES = ['Home', '', '  Spaced   out  ', 'Café & Co', 'Tab\there', '<b>not bold</b>', 'Ω ✓ 🎉', 'A "quoted" title'];
// `null`: none. The browser's referrer policy (strict-origin-when-cross-origin) applies to both libraries alike.
const REFERRERS = [null, null, `${ORIGIN}/previous?utm_source=old`, 'https://www.google.com/search?q=shoes',
  `${ORIGIN}/`, 'http://plain.test/page'];

function query() {
  switch (Math.floor(random() * 6)) {
    case 0: return '';
    case 1: return '?';
    default: {
      const pairs = Array.from({ length: 1 + Math.floor(random() * 5) }, () => {
        const k = pick(KEYS);
        return maybe(0.1) ? k : `${k}=${pick(VALUES)}`;
      });
      // Now and then a second `?` or an empty pair.
      return '?' + pairs.map((p, i) => (i && maybe(0.1) ? '?' : i ? '&' : '') + (maybe(0.05) ? '&' : '') + p).join('');
    }
  }
}

function makeCase(i) {
  const path = '/' + Array.from({ length: Math.floor(random() * 4) }, () => pick(SEGMENTS)).join('/') + (maybe(0.2) ? '/' : '');
  const title = maybe(0.04) ? 'T'.repeat(2100) : pick(TITLES);
  return {
    href: ORIGIN + path + query() + pick(HASHES),
    title,
    // Written into the page as the title element's text (escaped), or no title element.
    hasTitle: title !== '' || maybe(0.5),
    canonical: maybe(0.6) ? null : pick(CANONICALS),
    referrer: pick(REFERRERS),
    call: pageCall(i),
  };
}

// Properties a page call may give: Segment's page properties (its `search` with other UTM parameters), `name` and
// `category`, and one of no meaning to either.
const OWN = { path: '/own/path', url: 'https://own.test/x?y=1', title: 'Own title', referrer: 'https://ref.own/',
  name: 'Own name', category: 'Own category', plan: 'pro' };
const OWN_SEARCH = ['?utm_source=own&utm_medium=prop', '', '?q=1'];
// The arguments of a `page` call after the load: `page(properties)`, `page(name, properties)` or
// `page(category, name, properties)`; the properties carry the case's number, by which the test finds it.
function pageCall(i) {
  const properties = { case: i };
  for (const [k, v] of Object.entries(OWN)) if (maybe(0.3)) properties[k] = v;
  if (maybe(0.3)) properties.search = pick(OWN_SEARCH);
  switch (Math.floor(random() * 3)) {
    case 0: return [properties];
    case 1: return ['Called', properties];
    default: return ['Docs', 'Called', properties];
  }
}

const escapeHtml = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
/** The case's page: its title and canonical link, and `head` at the end of its head (the test's SDK script). */
export function html(c, head = '') {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">${c.hasTitle ? `<title>${escapeHtml(c.title)}</title>` : ''}` +
    `${c.canonical === null ? '' : `<link rel="canonical" href="${escapeHtml(c.canonical)}">`}<link rel="icon" href="data:,">` +
    `${head}</head><body><p>page facts</p></body></html>`;
}

const MAX_TEXT = 2048;
// A facts object with each text cut to Wayline's 2,048 bytes (docs/sdk.md; only ASCII runs that long here).
const cut = (facts) => Object.fromEntries(Object.entries(facts).map(([k, v]) => [k, typeof v == 'string' ? v.slice(0, MAX_TEXT) : v]));

async function main() {
  const from = process.argv[2];
  if (!from) {
    console.error('usage: node tests/e2e/page-facts.mjs PATH_TO_@segment/analytics-next');
    process.exit(2);
  }
  const require = createRequire(import.meta.url);
  const version = require(join(from, 'package.json')).version;
  const pageTools = readFileSync(require.resolve('@segment/analytics-page-tools', { paths: [from] }), 'utf8');
  const { utm } = require(join(from, 'dist/cjs/plugins/env-enrichment/index.js'));
  const { gracefulDecodeURIComponent } = require(join(from, 'dist/cjs/core/query-string/gracefulDecodeURIComponent.js'));
  // The functions as analytics-next runs them, to evaluate in the page: analytics-page-tools' whole module,
  // `addPageContext` (a page call's properties and every message's `context.page`) with the modules it requires,
  // and `utm`, which calls the decoder through the module object its compiled source names.
  const sources = {
    tslib: readFileSync(require.resolve('tslib', { paths: [from] }), 'utf8'),
    '../../lib/pick': readFileSync(join(from, 'dist/cjs/lib/pick.js'), 'utf8'),
    '@segment/analytics-page-tools': pageTools,
    addPageContext: readFileSync(join(from, 'dist/cjs/core/page/add-page-context.js'), 'utf8'),
  };
  const inPage = `
    const sources = ${JSON.stringify(sources)};
    const loaded = {};
    const load = (name) => {
      if (!loaded[name]) {
        loaded[name] = { exports: {} };
        new Function('module', 'exports', 'require', sources[name])(loaded[name], loaded[name].exports, load);
      }
      return loaded[name].exports;
    };
    const { getDefaultBufferedPageContext, createPageContext } = load('@segment/analytics-page-tools');
    const { addPageContext } = load('addPageContext');
    const gracefulDecodeURIComponent_1 = { gracefulDecodeURIComponent: ${gracefulDecodeURIComponent} };
    const utm = ${utm};
  `;
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  const context = await browser.newContext();
  const page = await context.newPage();
  let current = null;
  await page.route(`${ORIGIN}/**`, (route) =>
    route.request().isNavigationRequest()
      ? route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: html(current) })
      : route.fulfill({ status: 404, body: '' }),
  );
  const cases = [];
  const tally = {};
  for (let i = 0; i < CASES; i++) {
    const c = makeCase(i);
    current = c;
    // From another document: a URL that differs from the last one only in its hash would not load a page.
    await page.goto('about:blank');
    await page.goto(c.href, c.referrer ? { referer: c.referrer } : {});
    const got = await page.evaluate(`(() => { ${inPage}
      const buffered = getDefaultBufferedPageContext();
      const page = createPageContext(buffered);
      // Without the canonical link, which Wayline does not read (docs/sdk.md).
      const located = createPageContext({ ...buffered, c: undefined });
      // analytics-next's env-enrichment: \`if (query && !evtCtx.campaign) evtCtx.campaign = utm(query)\`.
      const search = page.search || '';
      const parts = search.slice(1).split(/[&?]/);
      // Wayline counts only names that start with utm_ (analytics-next: any that contains it) ...
      const named = parts.filter((p) => !p.split('=')[0].includes('utm_') || p.startsWith('utm_'));
      // ... and a value is everything after the first '=' (analytics-next stops at a second one).
      const whole = named.map((p) => (p.indexOf('=') < 0 ? p : p.slice(0, p.indexOf('=') + 1) + p.slice(p.indexOf('=') + 1).replace(/=/g, '%3D')));
      return {
        page,
        located,
        campaign: search ? utm(search) : null,
        named: search ? utm('?' + named.join('&')) : null,
        whole: search ? utm('?' + whole.join('&')) : null,
        href: location.href,
        call: call(${JSON.stringify(c.call)}, page, located),
      };
      // The call's message as analytics-next makes it: CoreEventFactory.page's properties (a copy of the call's, and
      // the category as one), its name, then addPageContext with the page context, then env-enrichment's campaign
      // from the context's search. With the canonical link's context, and with the one Wayline reads (its texts
      // cut to 2,048 bytes).
      function call(args, withCanonical, withoutCanonical) {
        const [category, name, properties] = args.length == 3 ? args : args.length == 2 ? [null, ...args] : [null, null, ...args];
        const message = (pageCtx) => {
          const event = { type: 'page', properties: { ...properties }, context: {} };
          if (category !== null) {
            event.category = category;
            event.properties.category = category;
          }
          if (name !== null) event.name = name;
          addPageContext(event, pageCtx);
          const search = event.context.page.search || '';
          return { properties: event.properties, page: event.context.page, campaign: search ? utm(search) : null };
        };
        const cut = (o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, typeof v == 'string' ? v.slice(0, 2048) : v]));
        return { analyticsNext: message(withCanonical), located: message(cut(withoutCanonical)) };
      }
    })()`);
    const deliberate = [];
    const expect = { page: cut(got.located) };
    if (JSON.stringify(got.page) !== JSON.stringify(got.located)) {
      deliberate.push('canonical: Wayline sends the address the visitor is on, not the canonical link');
    }
    if (JSON.stringify(expect.page) !== JSON.stringify(got.located)) deliberate.push('a text over 2,048 bytes is cut');
    const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
    if (!same(got.named, got.campaign)) deliberate.push('campaign: only names that start with utm_ count');
    if (!same(got.whole, got.named)) deliberate.push("campaign: a value is all after the first '='");
    // analytics-next sends the search's `utm` for any non-empty search: `{}` when it has no UTM parameter, `""` for
    // an empty one. Wayline leaves empty parameters out, and the campaign when nothing is left (docs/sdk.md).
    let campaign = got.whole && Object.fromEntries(Object.entries(got.whole).filter(([, v]) => v !== ''));
    if (campaign && !Object.keys(campaign).length) campaign = null;
    if (!same(campaign, got.whole)) deliberate.push('campaign: empty UTM parameters are left out');
    expect.campaign = campaign;
    // The page call: its properties as analytics-next makes them (but for the canonical link and the cut, above);
    // its context as every other message of the page has it (Wayline copies no property into it: docs/sdk.md).
    expect.call = { properties: got.call.located.properties, page: expect.page, campaign };
    if (!same(got.call.located.page, cut(got.located))) deliberate.push("page call: its page properties stay out of its context.page");
    if (!same(got.call.located.campaign, got.campaign)) deliberate.push("page call: its campaign is the URL's, not its search property's");
    for (const d of deliberate) tally[d] = (tally[d] || 0) + 1;
    cases.push({
      ...c,
      title: c.title.length > 100 ? { $: 'repeat', s: c.title[0], n: c.title.length } : c.title,
      location: got.href,
      expect,
      ...(deliberate.length ? { deliberate, analyticsNext: { page: got.page, campaign: got.campaign, call: got.call.analyticsNext } } : {}),
    });
  }
  await browser.close();
  writeFileSync(join(here, 'page-facts.json'), JSON.stringify({ 'analytics-next': version, origin: ORIGIN, cases }, null, 1) + '\n');
  console.log(`${cases.length} cases`, tally);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
