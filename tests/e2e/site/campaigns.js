// Test page for campaigns: loads a config by URL (`?config=/campaigns-config.json` by default) and records every
// notice the SDK gives the page, registered before the SDK has loaded.
const params = new URLSearchParams(location.search);
window.notices = [];
window.wayline.on('config', (result) => (window.configResult = result));
for (const name of ['campaign:show', 'campaign:close', 'survey:answer', 'reward:claim', 'warning']) {
  window.wayline.on(name, (payload) => window.notices.push({ name, ...payload }));
}
window.wayline.init({
  writeKey: 'wk_demo',
  config: params.get('config') || '/campaigns-config.json',
  autoPage: params.get('autoPage') !== 'false',
  flushAt: 1,
  ...(params.has('configRefresh') ? { configRefresh: Number(params.get('configRefresh')) } : {}),
  ...(params.has('consent') ? { consent: params.get('consent') } : {}),
  ...(params.has('consentFirst') ? { personalizeWithoutConsent: false } : {}),
});
