// Runs before the SDK module has loaded: these calls go into the stub's queue and must be replayed in order.
window.earlyLoaded = typeof window.wayline.loaded === 'undefined';
for (let i = 1; i <= 5; i++) window.wayline.track('Early ' + i, { n: i });
window.wayline.identify('early-user', { plan: 'pro' });
window.wayline.track('Early 6', { n: 6 });
window.earlyFlush = window.wayline.flush();
// A listener registered before load that tracks when the SDK is ready: its call is made while `init` runs.
window.wayline.on('ready', () => window.wayline.track('On Ready'));
