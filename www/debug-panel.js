// The demo store's debug panel: the visitor's segments, journey stage and, for every campaign in the config,
// what `wayline.explain` says right now. Host-page code, as a site owner would write it; it only reads the API.
const panel = document.createElement('aside');
panel.className = 'wl-debug';
panel.setAttribute('aria-label', 'Wayline debug panel');
const toggle = document.createElement('button');
toggle.type = 'button';
toggle.textContent = 'Wayline debug';
toggle.setAttribute('aria-expanded', 'false');
const body = document.createElement('div');
body.hidden = true;
panel.append(toggle, body);
document.body.append(panel);
toggle.addEventListener('click', () => {
  body.hidden = !body.hidden;
  toggle.setAttribute('aria-expanded', String(!body.hidden));
  render();
});

// The campaigns come from the site's config as written (the SDK reads the compiled form the collector serves from
// it, whose layout is the SDK's business).
let campaignIds = [];
fetch('/demo-config.json')
  .then((r) => r.json())
  .then((config) => {
    campaignIds = (config.campaigns || []).map((c) => c.id);
    render();
  })
  .catch(() => {});

const line = (label, value) => {
  const p = document.createElement('p');
  const b = document.createElement('b');
  b.textContent = label + ': ';
  p.append(b, document.createTextNode(value));
  return p;
};

function render() {
  if (body.hidden || typeof wayline.explain !== 'function') return;
  const rows = [
    line('segments', wayline.segments().join(', ') || '(none)'),
    line('lifecycle stage', wayline.stage('lifecycle') || '(none)'),
  ];
  for (const id of campaignIds) {
    const why = wayline.explain(id);
    if (!why) continue;
    let state = why.eligible ? 'eligible' : 'not eligible';
    if (why.pendingUntil) state += ', shows at ' + new Date(why.pendingUntil).toLocaleTimeString();
    const item = line(id, state);
    const reasons = document.createElement('ul');
    for (const r of why.reasons) {
      const li = document.createElement('li');
      li.textContent = r.message;
      reasons.append(li);
    }
    item.append(reasons);
    rows.push(item);
  }
  body.replaceChildren(...rows);
}

for (const name of ['segment:enter', 'segment:exit', 'stage:change', 'campaign:show', 'survey:answer', 'reward:claim']) {
  wayline.on(name, () => setTimeout(render));
}
setInterval(render, 1000);
