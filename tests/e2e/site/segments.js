// Records every segment and stage notice the SDK gives the page, registered before the SDK has loaded.
window.notices = [];
window.wayline.on('config', (result) => (window.configResult = result));
for (const name of ['segment:enter', 'segment:exit', 'stage:change']) {
  window.wayline.on(name, (payload) => window.notices.push({ name, ...payload }));
}
