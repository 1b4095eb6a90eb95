// Tells the collector, without the SDK (a Segment message posted to /v1/track), that this page ran while being
// prerendered and when it was shown: so a test knows the browser did prerender it (tests/e2e/prerender.test.mjs).
(function () {
  var run = new URLSearchParams(location.search).get('run');
  var probe = function (event, properties) {
    var message = { type: 'track', event: event, anonymousId: 'probe-' + run, properties: properties,
      messageId: 'probe-' + event + '-' + run, timestamp: new Date().toISOString(), writeKey: 'wk_demo' };
    fetch('/v1/track', { method: 'POST', body: JSON.stringify(message), headers: { 'Content-Type': 'text/plain' } });
  };
  probe('Probe Ran', { run: run, prerendering: !!document.prerendering });
  document.addEventListener('prerenderingchange', function () { probe('Probe Shown', { run: run }); });
})();
