/* Wayline script-tag stub: queues calls until the SDK has loaded, then loads it.
 * Use as a file (<script src="/sdk/wayline-stub.js" data-write-key="…"></script>, works under a strict CSP)
 * or paste its minified form inline with the same data- attributes. */
(function (w, d) {
  var q = w.wayline;
  // `window.wayline` is the SDK's. Anything else there (an element with that id, which browsers expose by name, or
  // the page's own object) is replaced, with one console message: the calls made through it would otherwise throw.
  // An array is a queue the page made itself, and is kept.
  if (!(q && (q.stub || q.loaded || Array.isArray(q)))) {
    try {
      q && console.warn('[wayline] replaced the page\'s window.wayline (global_taken)');
    } catch (e) {}
    q = [];
  }
  w.wayline = q;
  var s = d.currentScript, k = s && s.dataset.writeKey;
  // A second stub (a tag manager's beside a hard-coded one) does nothing: the first one's SDK serves the page. One
  // that names another write key says so once (the loader keeps the first one's attributes and this flag).
  if (q.stub || q.loaded) {
    k && k != (q.opts || 0).writeKey && !q.d && (q.d = 1) && console.warn('[wayline] ignored the data-write-key of a second stub (duplicate_stub)');
    return;
  }
  q.stub = 1;
  // The script's own data- attributes alone: a `dataset` (or `{}`) inherits from Object.prototype, which a
  // prototype-pollution bug in a library on the page could have given a `src` (where the SDK is loaded from) or a
  // `config` (docs/sdk.md, "Security").
  q.opts = Object.assign(Object.create(null), s && s.dataset);
  'init track page identify group alias reset consent flush on off outcome'.split(' ').forEach(function (m, i) {
    q[m] = function () {
      var a = [].slice.call(arguments);
      // A flush resolves false once the loader has failed (below), as the SDK's does when it cannot send.
      if (m == 'flush') return new Promise(function (r) { q.failed ? r(false) : q.push([m, a, r]); });
      // analytics.js's callback (of track, page, identify, group and alias: 1 to 5 above) is called here, after
      // 300 ms (its default timeout), and not replayed: so also when the loader never arrives. Found as the facade
      // (facade.js) finds it: the first function among track's and alias's first four arguments, page's five, and
      // any of identify's and group's, which end there; it is replayed as a missing argument.
      for (var k = 0; k < a.length && typeof a[k] != 'function'; k++);
      if (i && i < 6 && a[k] && k < (i == 2 ? 5 : i == 3 || i == 4 ? a.length : 4)) {
        setTimeout(a[k], 300);
        if (i == 3 || i == 4) a.length = k;
        else a[k] = void 0;
      }
      // A rejected `configResponse` waits here for the SDK, which reports it: not an uncaught rejection meanwhile.
      try {
        i || a[0].configResponse instanceof Promise && a[0].configResponse.catch(n);
      } catch (e) {}
      q.push([m, a]);
    };
  });
  // Queries answer as the SDK does before `init` (nothing to queue, and no call throws into the page).
  var n = function () {};
  q.stage = q.anonymousId = q.userId = n;
  q.segments = function () { return []; };
  q.explain = q.debugState = function () { return null; };
  var l = d.createElement('script');
  var u = q.opts.src || (s && s.src ? new URL('wayline.js', s.src).href : '/sdk/wayline.js');
  // The loader failed to load (a 404, a blocked request, a Content-Security-Policy or Trusted Types refusing it):
  // calls stay no-ops, a flush made meanwhile or later resolves false (a page awaiting it must not hang), and one
  // message says why.
  var fail = function () {
    if (q.failed) return;
    q.failed = 1;
    console.warn('[wayline] could not load ' + u + ', so tracking is off on this page (under Trusted Types, allow the policy "wayline")');
    q.forEach(function (c) { c[2] && c[2](false); });
  };
  l.type = 'module';
  l.onerror = fail;
  // Where the page enforces Trusted Types (`require-trusted-types-for 'script'`), a script's URL must come from a
  // policy: the stub's own, `wayline`, if the page's `trusted-types` directive allows it, else the page's default
  // policy, which a plain string goes through. (On a page with no `trusted-types` directive the policy is made and
  // changes nothing; a browser without Trusted Types has no `createPolicy` to call. A directive that does not name
  // `wayline` reports the refused policy, as it reports any it does not allow.)
  try {
    u = trustedTypes.createPolicy('wayline', { createScriptURL: function (x) { return x; } }).createScriptURL(u);
  } catch (e) {}
  try {
    l.src = u;
  } catch (e) {
    return fail();
  }
  d.head.appendChild(l);
  // The module is fetched now, alongside the loader rather than after it: one round trip less before ready. It is
  // compiled as it streams in (`compileStreaming`, where the browser has it), on the browser's compiler threads
  // while the loader is fetched and the page renders, rather than once the loader has run. (The loader takes the
  // module, or the response, and the request, `q.f`, which tells it a failed request from a failed compile; the
  // catch only keeps a failure from reading as unhandled if it never loads. A request the page's `connect-src`
  // refused, which the loader does not make again as it does one that failed on the network, is told by the
  // browser's `securitypolicyviolation` event naming it: `q.v`.)
  // So is the config `data-config` names, revalidated with the server (as the SDK's own request would be) rather
  // than taken from the HTTP cache unchecked: the loader hands the response to `init` as `configResponse`. Its
  // body is read as soon as it arrives: a body read only once the SDK asks waits behind the page's other tasks.
  // Both ask the collector (a URL naming /v1/config) for the compiled format this release reads (`format=`,
  // src/core/compiled.rs's FORMAT_QUERY), which a collector of another release refuses with a 406 saying why.
  // (Without WebAssembly the SDK cannot run: reading `compileStreaming` throws before either request is made, so
  // the page neither downloads the module nor sees a failed request's rejection, which nothing would handle.)
  try {
    var c = WebAssembly.compileStreaming, m = new URL('wayline_bg.wasm', l.src), f = q.f = fetch(m);
    d.addEventListener('securitypolicyviolation', function (e) { q.v |= e.blockedURI == m; });
    (q.w = c ? WebAssembly.compileStreaming(f) : f).catch(n);
    // It gives up after 10 s, as the SDK's own does (transport::CONFIG_TIMEOUT), so a hung connection does not
    // hold every later check of the config.
    var t = w.AbortSignal && AbortSignal.timeout && AbortSignal.timeout(1e4);
    var cfg = q.opts.config;
    if (cfg)
      (q.c = fetch(/\/v1\/config/.test(cfg) ? cfg + (/\?/.test(cfg) ? '&' : '?') + 'format=3' : cfg, { credentials: 'omit', cache: 'no-cache', signal: t }).then(function (r) {
        var b = r.text();
        b.catch(n);
        return { status: r.status, headers: r.headers, text: function () { return b; } };
      })).catch(n);
  } catch (e) {}
})(window, document);
