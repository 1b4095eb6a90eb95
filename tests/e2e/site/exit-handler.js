// The page's own exit handler, registered after the SDK's: what it tracks must still be delivered.
addEventListener('pagehide', () => {
  window.wayline.track('Tracked In Pagehide', { late: true });
});
