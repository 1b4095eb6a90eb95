// When the SDK is ready (it accepts calls) and, with a config, when that config is in use (bench/ready.mjs).
window.wayline.on('ready', () => (window.__ready = performance.now()));
window.wayline.on('config', (r) => { if (r.ok) window.__config = performance.now(); });
