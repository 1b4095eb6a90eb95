// Asks the browser to prerender /prerender-to.html?run=RUN (speculation rules) and, with `go=MS` in this page's
// query, navigates there MS milliseconds later, which shows the prerendered page; with `away=MS`, navigates to
// another page instead, /blank.html?run=RUN, and the prerendered page is discarded (tests/e2e/prerender.test.mjs).
const query = new URLSearchParams(location.search);
const next = '/prerender-to.html?run=' + encodeURIComponent(query.get('run'));
const rules = document.createElement('script');
rules.type = 'speculationrules';
rules.textContent = JSON.stringify({ prerender: [{ source: 'list', urls: [next] }] });
document.head.append(rules);
if (query.has('go')) setTimeout(() => (location.href = next), Number(query.get('go')));
if (query.has('away')) setTimeout(() => (location.href = '/blank.html?run=' + encodeURIComponent(query.get('run'))), Number(query.get('away')));
