// The page's own code, as it runs on load (prerendered or not): a track call through the stub.
wayline.track('Page Code Ran', { run: new URLSearchParams(location.search).get('run') });
